// npm run doctor — checks the WeChat Pay configuration the functions read, offline (and with --online, against the
// configured API). Usage:
//   npm run doctor [-- --env-file <file> | --local-stack [data-dir]] [--function-env <name>=<file> …]
//                     [--catalog <file>] [--online [--openid <openid>]] [--json]
// With --online and WECHAT_APPSECRET in the settings, also asks WeChat's server API (发货信息管理, the cloud database:
// wechat-api.ts). Reads process.env unless --env-file (or --local-stack: the running local stack's configuration) is given. Never prints a secret. Exit code: 0 when no check failed (warn and
// cannot-tell included), 1 when any check failed, 2 on a usage error. See docs/DOCTOR.md.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { offlineChecks } from './checks';
import type { DoctorInput } from './checks';
import { parseEnvFile } from './env-file';
import { localStackEnv } from './local-stack';
import { onlineChecks } from './online';
import { maskSecrets, renderJson, renderText, secretsOf } from './report';
import { exitCodeOf } from './result';
import { appSecretPlacementCheck, wechatApiChecks } from './wechat-api';

const ROOT = resolve(__dirname, '..', '..');

interface Args {
  envFile?: string;
  localStack?: string;
  functionEnvs: { name: string; file: string }[];
  catalog?: string;
  json: boolean;
  online: boolean;
  openid?: string;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { functionEnvs: [], json: false, online: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--env-file') args.envFile = value();
    else if (a === '--local-stack') {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        args.localStack = next;
        i++;
      } else args.localStack = join(ROOT, '.data');
    } else if (a === '--catalog') args.catalog = value();
    else if (a === '--json') args.json = true;
    else if (a === '--online') args.online = true;
    else if (a === '--openid') args.openid = value();
    else if (a === '--function-env') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0) throw new UsageError('--function-env takes <function>=<file>');
      args.functionEnvs.push({ name: v.slice(0, eq), file: v.slice(eq + 1) });
    } else throw new UsageError(`unknown option ${a}`);
  }
  return args;
}

function readEnvFile(file: string): Record<string, string> {
  try {
    return parseEnvFile(readFileSync(resolve(file), 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Each function's config.json timeout (ms), from the project's cloudfunctions/ folder. */
function configTimeouts(): Record<string, number> {
  const out: Record<string, number> = {};
  const dir = join(ROOT, 'cloudfunctions');
  if (!existsSync(dir)) return out;
  for (const fn of readdirSync(dir)) {
    const file = join(dir, fn, 'config.json');
    if (!existsSync(file)) continue;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { timeout?: unknown };
    if (typeof parsed.timeout === 'number') out[fn] = parsed.timeout * 1000;
  }
  return out;
}

/** Runs the doctor on `argv` with `env` as the process environment; returns the exit code and the text to print. */
export async function runDoctor(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  nowMs = Date.now(),
): Promise<{ code: number; output: string }> {
  let args: Args;
  let input: DoctorInput;
  try {
    args = parseArgs(argv);
    if (args.envFile !== undefined && args.localStack !== undefined)
      throw new UsageError('give --env-file or --local-stack, not both');
    let config: Readonly<Record<string, string | undefined>> = env;
    if (args.envFile !== undefined) config = readEnvFile(args.envFile);
    if (args.localStack !== undefined) {
      try {
        config = localStackEnv(resolve(args.localStack));
      } catch (e) {
        throw new UsageError(e instanceof Error ? e.message : String(e));
      }
    }
    const functionEnvs =
      args.functionEnvs.length === 0
        ? undefined
        : Object.fromEntries(args.functionEnvs.map((f) => [f.name, readEnvFile(f.file)]));
    let catalog: unknown;
    if (args.catalog !== undefined) {
      try {
        catalog = JSON.parse(readFileSync(resolve(args.catalog), 'utf8')) as unknown;
      } catch {
        throw new UsageError(`cannot read ${args.catalog} as JSON`);
      }
    }
    input = {
      env: config,
      nowMs,
      configTimeoutsMs: configTimeouts(),
      ...(functionEnvs === undefined ? {} : { functionEnvs }),
      ...(catalog === undefined ? {} : { catalog }),
    };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, output: `doctor: ${e.message}\n` };
    throw e;
  }
  const results = offlineChecks(input);
  if (input.functionEnvs !== undefined) results.push(appSecretPlacementCheck(input.functionEnvs));
  if (args.online && input.env['PAY_PROVIDER']?.trim() === 'wechatpay-v3') {
    results.push(
      ...(await onlineChecks(input.env, Date.now, args.openid === undefined ? {} : { openid: args.openid })),
    );
  }
  // Access tokens obtained with WECHAT_APPSECRET: never printed, masked like the secrets they come from.
  const tokens: string[] = [];
  if (args.online) {
    results.push(
      ...(await wechatApiChecks(input.env, {
        collectionsFile: join(ROOT, 'data', 'collections.json'),
        tokens,
      })),
    );
  }
  const text = args.json ? renderJson(results) : renderText(results);
  const secrets = [input.env, ...Object.values(input.functionEnvs ?? {})].flatMap(secretsOf);
  secrets.push(...tokens);
  secrets.sort((a, b) => b.length - a.length);
  return { code: exitCodeOf(results), output: maskSecrets(text, secrets) };
}

if (require.main === module) {
  void runDoctor(process.argv.slice(2), process.env).then(({ code, output }) => {
    process.stdout.write(output);
    process.exitCode = code;
  });
}
