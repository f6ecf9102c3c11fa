// Refuses a trial/release mini program package that could still talk to the local stack: its config/build-env.ts must
// say transport 'cloud', name a real cloud environment id (the one deploy.config.json gives, when known) and carry no
// local URL or identity; and no file of the package may force transport 'local', name the placeholder env id, a local
// gateway/simulator URL or a local identity. Used by `npm run mp:check -- --env trial|release` and by the deploy.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { cloudEnvProblem, type DeployTarget } from './config';
import { BUILD_ENV_FILE } from './stage';

interface BuildEnvValue {
  target?: unknown;
  transport?: unknown;
  cloudEnv?: unknown;
  localGatewayUrl?: unknown;
  localSimulatorUrl?: unknown;
  localOpenid?: unknown;
  localBanner?: unknown;
  localIdentities?: unknown;
}

/** Evaluates the source of a config/build-env.ts (it is plain data) and answers its BUILD_ENV. */
export function evalBuildEnvSource(source: string): BuildEnvValue {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
  }).outputText;
  const module = { exports: {} as { BUILD_ENV?: BuildEnvValue } };
  runInNewContext(js, { module, exports: module.exports, require: () => ({}) }, { timeout: 1000 });
  if (!module.exports.BUILD_ENV) throw new Error(`${BUILD_ENV_FILE} exports no BUILD_ENV`);
  return module.exports.BUILD_ENV;
}

/** The BUILD_ENV of a package's config/build-env.ts. */
export function readBuildEnv(mpRoot: string): BuildEnvValue {
  return evalBuildEnvSource(readFileSync(join(mpRoot, BUILD_ENV_FILE), 'utf8'));
}

/** Text that must never appear in a cloud package, with what it means. */
const FORBIDDEN: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /\btransport['"]?\s*(?::|=(?!=))\s*['"]local['"]/, what: "forces transport 'local'" },
  { pattern: /your-cloud-env-id/, what: 'names the placeholder cloud env id "your-cloud-env-id"' },
  {
    pattern:
      /https?:\/\/(?:127\.\d+\.\d+\.\d+|localhost|0\.0\.0\.0|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+)(?::\d+)?/,
    what: 'names a local gateway/simulator URL',
  },
  { pattern: /['"]o-dev-[A-Za-z0-9_-]*['"]/, what: 'names a local identity (o-dev-…)' },
];

function ownTextFiles(mpRoot: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'miniprogram_npm' || name === 'node_modules') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|wxml|wxs|json)$/.test(name)) out.push(p);
    }
  };
  walk(mpRoot);
  return out.sort();
}

/**
 * Every reason this package must not be uploaded as `target` (empty = fine). `cloudEnv`, when given, is the env id the
 * package must be built for.
 */
export function checkCloudPackage(mpRoot: string, target: DeployTarget, cloudEnv?: string): string[] {
  const problems: string[] = [];
  const where = BUILD_ENV_FILE.split(sep).join('/');
  if (!existsSync(join(mpRoot, BUILD_ENV_FILE))) return [`${where} is missing`];
  let env: BuildEnvValue;
  try {
    env = readBuildEnv(mpRoot);
  } catch (e) {
    return [`${where} cannot be read: ${e instanceof Error ? e.message : String(e)}`];
  }
  if (env.transport !== 'cloud')
    problems.push(
      `${where}: transport is ${JSON.stringify(env.transport)} — a ${target} package must use 'cloud' (the local transport talks to npm start's gateway)`,
    );
  if (env.target !== target)
    problems.push(
      `${where}: built for ${JSON.stringify(env.target)}, not ${target} (build it with npm run deploy)`,
    );
  const envProblem = cloudEnvProblem(env.cloudEnv);
  if (envProblem) problems.push(`${where}: cloudEnv ${envProblem}`);
  else if (cloudEnv !== undefined && env.cloudEnv !== cloudEnv)
    problems.push(
      `${where}: cloudEnv "${String(env.cloudEnv)}" is not the ${target} environment "${cloudEnv}" of deploy.config.json`,
    );
  for (const key of ['localGatewayUrl', 'localSimulatorUrl', 'localOpenid', 'localBanner'] as const)
    if (env[key] !== '' && env[key] !== undefined)
      problems.push(`${where}: ${key} must be empty in a cloud build (found ${JSON.stringify(env[key])})`);
  if (Array.isArray(env.localIdentities) && env.localIdentities.length > 0)
    problems.push(`${where}: localIdentities must be empty in a cloud build (the identity is WeChat's)`);
  for (const file of ownTextFiles(mpRoot)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const { pattern, what } of FORBIDDEN) {
      const i = lines.findIndex((l) => pattern.test(l));
      if (i >= 0) problems.push(`${relative(mpRoot, file).split(sep).join('/')}:${i + 1} ${what}`);
    }
  }
  return problems;
}
