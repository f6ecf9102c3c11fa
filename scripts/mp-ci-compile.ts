// Child process of scripts/mp-check.ts: compiles a mini program project offline with miniprogram-ci's
// getCompiledResult (what DevTools' compile does: TS through its TypeScript plugin, page and component resolution)
// and prints ONE JSON line with the outcome. It runs apart because miniprogram-ci leaves a forked compiler alive
// (the caller's process would never exit) and can raise unhandled rejections that would end the caller.
// Usage: tsx scripts/mp-ci-compile.ts <projectDir> <workDir>
// The private key is generated here into <workDir> (deleted by the caller): offline compiling needs a key file but
// never sends anything, so no real upload key is involved.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as MiniprogramCi from 'miniprogram-ci';

/** What the child prints. `files` maps every compiled output file to its size in bytes. */
export type CiCompileOutcome =
  | { ok: true; files: Record<string, number>; ms: number }
  | { ok: false; code: string | null; message: string; ms: number };

type CiModule = typeof MiniprogramCi;
/** ICreateProjectOptions lacks the `attr` hook the CI project honours (facts file: offline compile). */
type ProjectOptionsWithAttr = ConstructorParameters<CiModule['Project']>[0] & {
  attr: () => Promise<unknown>;
};

interface CiError {
  code?: unknown;
  message?: unknown;
}

function print(outcome: CiCompileOutcome): never {
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  process.exit(0);
}

async function main(): Promise<void> {
  const [projectDir, workDir] = process.argv.slice(2);
  if (!projectDir || !workDir) throw new Error('usage: mp-ci-compile <projectDir> <workDir>');
  const started = Date.now();
  // Offline, miniprogram-ci's network helpers reject promises nobody awaits; report them instead of dying.
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`[mp-ci] unhandled rejection inside miniprogram-ci: ${String(e)}\n`);
  });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPath = join(workDir, 'ci-offline.key');
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  // Loaded only here: requiring miniprogram-ci starts its services, which the caller's process must not carry.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ci = require('miniprogram-ci') as CiModule;
  const options: ProjectOptionsWithAttr = {
    // getCompiledResult never contacts WeChat; a syntactically valid appid is all it needs.
    appid: 'wx0000000000000000',
    type: 'miniProgram',
    projectPath: projectDir,
    privateKeyPath: keyPath,
    ignores: ['node_modules/**/*', 'cloudfunctions/**/*'],
    // Without this hook the project asks WeChat's servers for its attributes and hangs offline.
    attr: () => Promise.resolve(ci.DefaultProjectAttr),
  };
  const project = new ci.Project(options);
  try {
    const result = await ci.getCompiledResult(
      {
        project,
        desc: 'mp-check',
        // Required by the upload options type; the compile does not use it.
        version: '0.0.0',
        // The project's own project.config.json settings (useCompilerPlugins: typescript), as DevTools uses them.
        setting: { useProjectConfig: true, es6: true, minify: false, codeProtect: false },
      },
      join(workDir, 'compiled.zip'),
    );
    const files: Record<string, number> = {};
    for (const [name, content] of Object.entries(result)) files[name] = Buffer.byteLength(content);
    print({ ok: true, files, ms: Date.now() - started });
  } catch (e) {
    const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as CiError;
    print({
      ok: false,
      code: typeof err.code === 'number' || typeof err.code === 'string' ? String(err.code) : null,
      message: typeof err.message === 'string' ? err.message : String(e),
      ms: Date.now() - started,
    });
  }
}

main().catch((e: unknown) => {
  print({ ok: false, code: null, message: e instanceof Error ? e.message : String(e), ms: 0 });
});
