// `npm run deploy -- --env trial|release [--dry-run] [--desc TEXT] [--version X.Y.Z] [--config FILE] [--out DIR]`
// 1. reads and validates deploy.config.json (a dry run falls back to deploy.config.example.json, and says so);
// 2. builds every cloud function and stages each folder as it is uploaded (index.js, package.json, config.json);
// 3. stages the mini program for the target (scripts/deploy/stage.ts) and refuses it when it could reach the local
//    stack (package-check.ts) or DevTools would not build it (mp-check.ts);
// 4. prints exactly what would be uploaded: functions (bundle size, timeout, triggers, openapi permissions,
//    environment variables with secrets masked), the mini program package (files, sizes, subpackages), the migrations,
//    the version and description;
// 5. without --dry-run, uploads through miniprogram-ci (ci-boundary.ts): each function, its timer triggers, the mini
//    program version, and a preview QR code. A network failure — including the unhandled rejection miniprogram-ci
//    raises on its own — ends the command with a clear message and exit code 1.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { buildFunctions, functionNames } from '../build';
import { checkMiniprogram } from '../mp-check';
import type { CiBoundary } from './ci-boundary';
import { DEPLOY_TARGETS, loadDeployConfig, maskEnv, type DeployConfig, type DeployTarget } from './config';
import { MIGRATIONS, type MigrationStep } from './migrations';
import { checkCloudPackage } from './package-check';
import { packageFiles, stageMiniprogram, type PackageFile } from './stage';

const ROOT = resolve(__dirname, '..', '..');

export interface FunctionPlan {
  name: string;
  /** The staged folder that is uploaded. */
  dir: string;
  files: PackageFile[];
  bundleBytes: number;
  timeoutSeconds: number | undefined;
  triggers: { name: string; type: string; config: string }[];
  openapi: string[];
  /** Environment variables, secrets masked. */
  env: Record<string, string>;
}

export interface DeployPlan {
  target: DeployTarget;
  appid: string;
  cloudEnv: string;
  configFile: string;
  /** The upload key's file (its content is never read until the upload). */
  privateKeyPath: string;
  functions: FunctionPlan[];
  miniprogram: {
    projectDir: string;
    files: number;
    bytes: number;
    subpackages: { root: string; files: number; bytes: number }[];
    mainFiles: number;
    mainBytes: number;
    /** TDesign as "Build npm" lays it out; DevTools uploads only the components used (ignoreUploadUnusedFiles). */
    npmFiles: number;
    npmBytes: number;
  };
  migrations: readonly MigrationStep[];
  version: string;
  desc: string;
  outDir: string;
}

export interface DeployOptions {
  target: DeployTarget;
  dryRun: boolean;
  configFile?: string;
  outDir?: string;
  version?: string;
  desc?: string;
  /** Only run the data migrations (resume them): no build, no upload (needs WECHAT_APPSECRET). */
  migrateOnly?: boolean;
  /** Run mp-check's compilers on the staged package (default true; tests of the listing skip the slow part). */
  compile?: boolean;
  /** The mini program sources (default: miniprogram/). */
  sourceDir?: string;
  log?: (line: string) => void;
}

/** The deploy stopped before uploading anything; `problems` say why. */
export class DeployRefused extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length > 0 ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message);
  }
}

function resolveConfig(
  opts: DeployOptions,
  log: (l: string) => void,
): { file: string; config: DeployConfig } {
  const explicit = opts.configFile ? resolve(opts.configFile) : undefined;
  const real = join(ROOT, 'deploy.config.json');
  let file = explicit ?? real;
  if (!explicit && !existsSync(real) && opts.dryRun) {
    file = join(ROOT, 'deploy.config.example.json');
    log(
      'deploy: no deploy.config.json — this dry run uses deploy.config.example.json (a real upload needs yours)',
    );
  }
  try {
    return { file, config: loadDeployConfig(file) };
  } catch (e) {
    throw new DeployRefused(e instanceof Error ? e.message : String(e));
  }
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function gitDescription(target: DeployTarget): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: 'pipe' })
      .toString()
      .trim();
    return `${target} build of ${sha}`;
  } catch {
    return `${target} build`;
  }
}

/** Stages a function folder as it is uploaded and reads its settings. */
function planFunction(name: string, config: DeployConfig, outDir: string): FunctionPlan {
  const src = join(ROOT, 'cloudfunctions', name);
  const dir = join(outDir, 'functions', name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['index.js', 'package.json', 'config.json']) cpSync(join(src, f), join(dir, f));
  const fnConfig = readJson(join(dir, 'config.json'));
  const permissions = fnConfig['permissions'] as { openapi?: unknown } | undefined;
  const triggers = Array.isArray(fnConfig['triggers'])
    ? (fnConfig['triggers'] as { name: string; type: string; config: string }[])
    : [];
  const envFromFile = (fnConfig['envVariables'] ?? {}) as Record<string, string>;
  const env = { ...config.functionEnv, ...envFromFile, ...(config.functions[name]?.env ?? {}) };
  const files = ['config.json', 'index.js', 'package.json'].map((f) => ({
    path: f,
    bytes: statSync(join(dir, f)).size,
  }));
  return {
    name,
    dir,
    files,
    bundleBytes: statSync(join(dir, 'index.js')).size,
    timeoutSeconds: typeof fnConfig['timeout'] === 'number' ? fnConfig['timeout'] : undefined,
    triggers,
    openapi: Array.isArray(permissions?.openapi) ? (permissions.openapi as string[]) : [],
    env: maskEnv(env),
  };
}

/** Where the data migrations' position is kept between runs: beside the output folder (which a deploy empties). */
export function migrationStateFile(outDir: string): string {
  return `${outDir.replace(/[\\/]+$/, '')}.migrations.json`;
}

/** The target of `--migrate-only`: appid, cloud env and output folder from the config, nothing built. */
export function deployTargetOf(opts: DeployOptions): { appid: string; cloudEnv: string; outDir: string } {
  const { config } = resolveConfig(opts, () => undefined);
  return {
    appid: config.appid,
    cloudEnv: config.envs[opts.target].cloudEnv,
    outDir: resolve(opts.outDir ?? join(ROOT, '.build', 'deploy', opts.target)),
  };
}

/** Builds and stages everything; refuses (DeployRefused) a configuration or package that must not go out. */
export async function planDeploy(opts: DeployOptions): Promise<DeployPlan> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if (!DEPLOY_TARGETS.includes(opts.target))
    throw new DeployRefused(
      `--env must be trial or release (got ${String(opts.target)}); the local preview is npm start`,
    );
  const { file, config } = resolveConfig(opts, log);
  if (!opts.dryRun && !existsSync(config.privateKeyPath))
    throw new DeployRefused(
      `the upload key ${config.privateKeyPath} does not exist (admin console: 开发管理 → 开发设置 → 小程序代码上传密钥)`,
    );
  const cloudEnv = config.envs[opts.target].cloudEnv;
  const outDir = resolve(opts.outDir ?? join(ROOT, '.build', 'deploy', opts.target));
  rmSync(outDir, { recursive: true, force: true });
  log(`deploy: building ${functionNames().length} cloud functions …`);
  await buildFunctions();
  const functions = functionNames().map((n) => planFunction(n, config, outDir));
  const staged = stageMiniprogram({
    target: opts.target,
    cloudEnv,
    appid: config.appid,
    outDir: join(outDir, 'project'),
    ...(opts.sourceDir ? { sourceDir: opts.sourceDir } : {}),
  });
  const refused = checkCloudPackage(staged.mpRoot, opts.target, cloudEnv);
  if (refused.length > 0)
    throw new DeployRefused(`the ${opts.target} mini program package must not be uploaded:`, refused);
  if (opts.compile ?? true) {
    log('deploy: checking the package with WeChat’s compilers (mp:check) …');
    const r = await checkMiniprogram({ projectDir: staged.projectDir });
    if (r.problems.length > 0) throw new DeployRefused('DevTools would not build the package:', r.problems);
  }
  const files = packageFiles(staged.mpRoot);
  const app = readJson(join(staged.mpRoot, 'app.json'));
  const subs = (app['subpackages'] ?? app['subPackages'] ?? []) as { root: string }[];
  const roots = subs.map((s) => s.root.replace(/\/+$/, ''));
  const inRoot = (f: PackageFile, r: string) => f.path.startsWith(`${r}/`);
  const sum = (fs: PackageFile[]) => fs.reduce((n, f) => n + f.bytes, 0);
  const main = files.filter((f) => !roots.some((r) => inRoot(f, r)));
  const npm = files.filter((f) => inRoot(f, 'miniprogram_npm'));
  const declared = readJson(join(ROOT, 'package.json'))['version'];
  const pkgVersion = typeof declared === 'string' ? declared : '0.0.0';
  return {
    target: opts.target,
    appid: config.appid,
    cloudEnv,
    configFile: relative(ROOT, file) || file,
    privateKeyPath: config.privateKeyPath,
    functions,
    miniprogram: {
      projectDir: staged.projectDir,
      files: files.length,
      bytes: sum(files),
      subpackages: roots.map((root) => {
        const own = files.filter((f) => inRoot(f, root));
        return { root, files: own.length, bytes: sum(own) };
      }),
      mainFiles: main.length,
      mainBytes: sum(main),
      npmFiles: npm.length,
      npmBytes: sum(npm),
    },
    migrations: MIGRATIONS,
    version: opts.version ?? pkgVersion,
    desc: opts.desc ?? gitDescription(opts.target),
    outDir,
  };
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** The plan as the lines the command prints. */
export function describePlan(plan: DeployPlan): string[] {
  const lines = [
    `deploy plan: ${plan.target} → cloud env ${plan.cloudEnv}, appid ${plan.appid} (${plan.configFile})`,
    `cloud functions (${plan.functions.length}), uploaded with "install dependencies in the cloud":`,
  ];
  for (const f of plan.functions) {
    lines.push(
      `  ${f.name.padEnd(12)} index.js ${kib(f.bundleBytes)}, ${f.files.length} files ${kib(f.files.reduce((n, x) => n + x.bytes, 0))}; timeout ${f.timeoutSeconds ?? '-'} s`,
    );
    lines.push(`    openapi: ${f.openapi.length > 0 ? f.openapi.join(', ') : '(none)'}`);
    if (f.triggers.length > 0)
      lines.push(`    triggers: ${f.triggers.map((t) => `${t.name} ${t.type} "${t.config}"`).join('; ')}`);
    const env = Object.entries(f.env);
    if (env.length > 0) lines.push(`    env: ${env.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  const mp = plan.miniprogram;
  lines.push(
    `mini program package: ${mp.files} files, ${kib(mp.bytes)} (sources before compiling); main package ${mp.mainFiles} files, ${kib(mp.mainBytes)}`,
  );
  lines.push(
    `  of which miniprogram_npm (TDesign): ${mp.npmFiles} files, ${kib(mp.npmBytes)} — only the components used are uploaded`,
  );
  for (const s of mp.subpackages) lines.push(`  subpackage ${s.root}: ${s.files} files, ${kib(s.bytes)}`);
  lines.push(
    `  transport cloud, wx.cloud.init env ${plan.cloudEnv}; staged in ${relative(ROOT, mp.projectDir) || mp.projectDir}`,
  );
  lines.push('data migrations (run after the functions, before the indexes they prepare):');
  for (const m of plan.migrations) lines.push(`  ${m.id} on ${m.collection} — before ${m.before}`);
  lines.push(`version ${plan.version}, description "${plan.desc}"`);
  return lines;
}

/**
 * Resolves with the call, or rejects with the first unhandled rejection raised meanwhile (miniprogram-ci rejects
 * promises of its own nobody awaits when the network fails).
 */
function guarded<T>(call: () => Promise<T>, stray: Promise<never>): Promise<T> {
  return Promise.race([call(), stray]);
}

/** Uploads the plan through the boundary; throws an Error naming the step that failed. */
export async function uploadPlan(
  plan: DeployPlan,
  ci: CiBoundary,
  log: (l: string) => void,
): Promise<string[]> {
  let onStray: (e: unknown) => void = () => undefined;
  const stray = new Promise<never>((_, reject) => (onStray = reject));
  stray.catch(() => undefined);
  const handler = (e: unknown) => onStray(e);
  process.on('unhandledRejection', handler);
  const manual: string[] = [];
  let step = '';
  try {
    for (const f of plan.functions) {
      step = `uploading cloud function ${f.name}`;
      const r = await guarded(
        () => ci.uploadFunction({ env: plan.cloudEnv, name: f.name, path: f.dir }),
        stray,
      );
      log(`deploy: function ${f.name} uploaded (${r.filesCount} files, ${kib(r.packSize)})`);
      if (f.triggers.length > 0) {
        step = `creating the triggers of ${f.name}`;
        await guarded(
          () => ci.createTimeTrigger({ env: plan.cloudEnv, functionName: f.name, triggers: f.triggers }),
          stray,
        );
        log(`deploy: triggers of ${f.name}: ${f.triggers.map((t) => t.name).join(', ')}`);
      }
      if (f.timeoutSeconds !== undefined || Object.keys(f.env).length > 0)
        manual.push(
          `${f.name}: timeout ${f.timeoutSeconds ?? '-'} s${Object.keys(f.env).length > 0 ? `, env ${Object.keys(f.env).join(', ')}` : ''}`,
        );
    }
    step = 'uploading the mini program';
    await guarded(() => ci.upload({ version: plan.version, desc: plan.desc }), stray);
    log(
      `deploy: mini program ${plan.version} uploaded ("${plan.desc}") — choose it as 体验版 / submit it in the admin console`,
    );
    step = 'making the preview QR code';
    const qr = join(plan.outDir, 'preview-qrcode.jpg');
    await guarded(() => ci.preview({ version: plan.version, desc: plan.desc, qrcodeOutputDest: qr }), stray);
    log(`deploy: preview QR code written to ${relative(ROOT, qr) || qr}`);
    return manual;
  } catch (e) {
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    throw new Error(
      `${step} failed: ${message}. Check the network, that this machine's IP is on the upload IP allowlist and that ` +
        'privateKeyPath is the upload key of this appid (README: Going live — build and deploy).',
    );
  } finally {
    // Late rejections from miniprogram-ci's own promises after a failure are expected; keep swallowing them briefly.
    setTimeout(() => process.off('unhandledRejection', handler), 2000).unref();
  }
}

export function parseArgs(argv: string[]): DeployOptions {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new DeployRefused(`${name} needs a value`);
    return v;
  };
  const known = new Set([
    '--env',
    '--dry-run',
    '--desc',
    '--version',
    '--config',
    '--out',
    '--no-compile',
    '--migrate-only',
  ]);
  for (const a of argv)
    if (a.startsWith('--') && !known.has(a)) throw new DeployRefused(`unknown option ${a}`);
  const target = value('--env');
  if (target === undefined)
    throw new DeployRefused('usage: npm run deploy -- --env trial|release [--dry-run]');
  if (!(DEPLOY_TARGETS as readonly string[]).includes(target))
    throw new DeployRefused(`--env must be trial or release (got ${target}); the local preview is npm start`);
  const opts: DeployOptions = { target: target as DeployTarget, dryRun: argv.includes('--dry-run') };
  const desc = value('--desc');
  const version = value('--version');
  const configFile = value('--config');
  const outDir = value('--out');
  if (desc !== undefined) opts.desc = desc;
  if (version !== undefined) {
    if (!/^\d+\.\d+\.\d+$/.test(version))
      throw new DeployRefused(`--version must look like 1.2.3 (got ${version})`);
    opts.version = version;
  }
  if (configFile !== undefined) opts.configFile = configFile;
  if (outDir !== undefined) opts.outDir = outDir;
  if (argv.includes('--no-compile')) opts.compile = false;
  if (argv.includes('--migrate-only')) {
    if (opts.dryRun) throw new DeployRefused('--migrate-only and --dry-run exclude each other');
    opts.migrateOnly = true;
  }
  return opts;
}
