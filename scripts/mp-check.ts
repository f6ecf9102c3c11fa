// "Would WeChat DevTools build it?" — offline, with WeChat's own tools where they exist:
//  1. every page app.json names (main package, subpackages, tab bar, entry page) has its .ts/.js, .wxml, .wxss, .json;
//  2. every usingComponents entry (app, pages, components — transitively) resolves to a component: a .json with
//     "component": true, a .wxml and a .ts/.js, found the way WeChat looks (relative, root-absolute, or the nearest
//     miniprogram_npm folder upwards);
//  3. the official compilers shipped in miniprogram-compiler compile every own WXML (wcc) and WXSS (wcsc) file;
//  4. TypeScript files parse (syntax only; `npm run typecheck` does the types);
//  5. miniprogram-ci's getCompiledResult compiles the whole project as DevTools would (in a child process).
// Every problem names the file. Usage: npm run mp:check [-- --no-ci] [--project DIR] [--env trial|release [--config F]]
// With --env it checks the package a deploy to that environment would upload (staged from deploy.config.json, or
// DIR as it is) and also refuses one that could reach the local stack (scripts/deploy/package-check.ts).
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { buildMiniprogramNpm } from './build';
import type { CiCompileOutcome } from './mp-ci-compile';
import { DEPLOY_TARGETS, loadDeployConfig, type DeployTarget } from './deploy/config';
import { checkCloudPackage } from './deploy/package-check';
import { stageMiniprogram } from './deploy/stage';

const ROOT = resolve(__dirname, '..');

export interface MpCheckOptions {
  /** Folder holding project.config.json (default: this repository). */
  projectDir?: string;
  /** Run miniprogram-ci's compile too (default true; it takes a few seconds). */
  ci?: boolean;
  /** Give up on the miniprogram-ci child after this long (default 300 s: a busy 2-core machine needs 90 s). */
  ciTimeoutMs?: number;
}

export interface MpCheckResult {
  /** Empty = DevTools would build it. Each entry starts with the path (relative to the project) it is about. */
  problems: string[];
  pages: string[];
  /** Components reached through usingComponents (mini-program-absolute paths, "/components/x/index"). */
  components: string[];
  wxmlCompiled: number;
  wxssCompiled: number;
  /** miniprogram-ci's outcome; absent when not run. */
  ci?: CiCompileOutcome;
  /** Bytes of compiled output outside subpackage roots (what the main package weighs), when miniprogram-ci ran. */
  mainPackageBytes?: number;
}

type Json = Record<string, unknown>;

interface Ctx {
  projectDir: string;
  mpRoot: string;
  problems: string[];
}

/** Project-relative path with forward slashes, for messages. */
function rel(ctx: Ctx, abs: string): string {
  return relative(ctx.projectDir, abs).split(sep).join('/');
}

function readJson(ctx: Ctx, abs: string): Json | undefined {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    ctx.problems.push(`${rel(ctx, abs)} is missing`);
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (e) {
    ctx.problems.push(`${rel(ctx, abs)} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

function scriptOf(base: string): string | undefined {
  return [`${base}.ts`, `${base}.js`].find((f) => existsSync(f));
}

/** app.json's pages: main package first, then each subpackage's pages under its root. */
function pagesOf(ctx: Ctx, app: Json): { pages: string[]; subRoots: string[] } {
  const pages: string[] = [];
  const subRoots: string[] = [];
  const list = app['pages'];
  if (!Array.isArray(list) || list.length === 0) {
    ctx.problems.push(`${rel(ctx, join(ctx.mpRoot, 'app.json'))}: "pages" must be a non-empty array`);
  } else {
    for (const p of list) if (typeof p === 'string') pages.push(p);
  }
  const subs = app['subpackages'] ?? app['subPackages'];
  if (Array.isArray(subs)) {
    for (const s of subs as Json[]) {
      const root = (typeof s['root'] === 'string' ? s['root'] : '').replace(/\/+$/, '');
      subRoots.push(root);
      for (const p of (s['pages'] as unknown[] | undefined) ?? []) {
        if (typeof p === 'string') pages.push(`${root}/${p}`);
      }
    }
  }
  return { pages, subRoots };
}

function checkPageFiles(ctx: Ctx, page: string, where: string): boolean {
  const base = join(ctx.mpRoot, page);
  let ok = true;
  for (const ext of ['.wxml', '.wxss', '.json']) {
    if (!existsSync(base + ext)) {
      ctx.problems.push(`${rel(ctx, base + ext)} is missing (page "${page}" in ${where})`);
      ok = false;
    }
  }
  if (!scriptOf(base)) {
    ctx.problems.push(`${rel(ctx, base)}.ts is missing (page "${page}" in ${where}; .js would do too)`);
    ok = false;
  }
  return ok;
}

/** Where WeChat would find a usingComponents target named in `fromJson`; undefined when nowhere. */
function resolveComponent(ctx: Ctx, fromJson: string, target: string): string | undefined {
  const candidates: string[] = [];
  if (target.startsWith('/')) {
    candidates.push(join(ctx.mpRoot, target));
  } else {
    candidates.push(resolve(dirname(fromJson), target));
    if (!target.startsWith('.')) {
      // A bare name: the nearest miniprogram_npm folder upwards, as DevTools' npm resolution does.
      for (let dir = dirname(fromJson); ; dir = dirname(dir)) {
        candidates.push(join(dir, 'miniprogram_npm', target));
        candidates.push(join(dir, 'miniprogram_npm', target, 'index'));
        if (dir === ctx.mpRoot || !dir.startsWith(ctx.mpRoot)) break;
      }
    }
  }
  return candidates.find((c) => existsSync(`${c}.json`) && existsSync(`${c}.wxml`) && scriptOf(c));
}

/** Follows usingComponents from app.json and the pages through every component; reports what does not resolve. */
function checkComponents(ctx: Ctx, startJsons: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...startJsons];
  while (queue.length > 0) {
    const jsonFile = queue.shift() ?? '';
    const json = existsSync(jsonFile) ? readJson(ctx, jsonFile) : undefined;
    const using = json?.['usingComponents'];
    if (using === undefined || typeof using !== 'object' || using === null) continue;
    for (const [tag, value] of Object.entries(using as Json)) {
      if (typeof value !== 'string' || value === '') {
        ctx.problems.push(`${rel(ctx, jsonFile)}: usingComponents["${tag}"] must be a non-empty path`);
        continue;
      }
      if (value.startsWith('plugin://') || value.startsWith('plugin-private://')) continue;
      const found = resolveComponent(ctx, jsonFile, value);
      if (!found) {
        ctx.problems.push(
          `${rel(ctx, jsonFile)}: usingComponents["${tag}"] = "${value}" does not resolve to a component ` +
            '(needs .json, .wxml and .ts/.js; bare names are looked up in miniprogram_npm — run `npm run build`)',
        );
        continue;
      }
      if (seen.has(found)) continue;
      seen.add(found);
      const compJson = readJson(ctx, `${found}.json`);
      if (compJson && compJson['component'] !== true) {
        ctx.problems.push(
          `${rel(ctx, `${found}.json`)} must declare "component": true (used as <${tag}> by ${rel(ctx, jsonFile)})`,
        );
      }
      queue.push(`${found}.json`);
    }
  }
  return [...seen].map((abs) => `/${relative(ctx.mpRoot, abs).split(sep).join('/')}`).sort();
}

/** The app's own files with this extension (never miniprogram_npm or node_modules). */
function ownFiles(ctx: Ctx, ext: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'miniprogram_npm' || name === 'node_modules') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(ext)) out.push(p);
    }
  };
  walk(ctx.mpRoot);
  return out.sort();
}

let binDir: string | undefined;

/** wcc or wcsc from miniprogram-compiler, made executable (the package ships them without the x bit). */
function compilerBinary(name: 'wcc' | 'wcsc'): string {
  const pkgDir = dirname(require.resolve('miniprogram-compiler/package.json'));
  const platform = process.platform === 'darwin' ? 'mac' : process.platform === 'win32' ? 'windows' : 'linux';
  const file = join(pkgDir, 'bin', platform, process.platform === 'win32' ? `${name}.exe` : name);
  if (!existsSync(file)) throw new Error(`miniprogram-compiler has no ${name} for ${process.platform}`);
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    // Same fix-up the package itself does before use; a read-only install gets a private executable copy.
    try {
      chmodSync(file, 0o755);
      return file;
    } catch {
      binDir ??= mkdtempSync(join(tmpdir(), 'mp-check-bin-'));
      const copy = join(binDir, name);
      if (!existsSync(copy)) {
        copyFileSync(file, copy);
        chmodSync(copy, 0o755);
      }
      return copy;
    }
  }
}

/** Compiles each own WXML file alone (so the error names it) with its custom tags and every own .wxs. */
function compileWxml(ctx: Ctx): number {
  const wcc = compilerBinary('wcc');
  const wxs = ownFiles(ctx, '.wxs').map((f) => relative(ctx.mpRoot, f).split(sep).join('/'));
  const files = ownFiles(ctx, '.wxml');
  for (const abs of files) {
    const file = relative(ctx.mpRoot, abs).split(sep).join('/');
    const jsonFile = abs.replace(/\.wxml$/, '.json');
    let tags: string[] = [];
    if (existsSync(jsonFile)) {
      try {
        const using = (JSON.parse(readFileSync(jsonFile, 'utf8')) as Json)['usingComponents'];
        if (using && typeof using === 'object') tags = Object.keys(using);
      } catch {
        // readJson reports a broken .json elsewhere.
      }
    }
    const components = tags.length > 0 ? `1 ${file} ${tags.length} ${tags.join(' ')}` : '0';
    const r = spawnSync(wcc, ['-d', '-cc', components, file, ...wxs, '-gn', '$gwx'], {
      cwd: ctx.mpRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw new Error(`wcc could not run: ${r.error.message}`);
    if (r.status !== 0) {
      const msg = r.stderr.toString().trim() || `exit code ${String(r.status)}`;
      ctx.problems.push(`${rel(ctx, abs)}: wcc: ${msg}`);
    }
  }
  return files.length;
}

/** The WXSS files `abs` imports, directly or through them (absolute @import paths start at the mini program root). */
function wxssImports(mpRoot: string, abs: string, seen = new Set<string>()): string[] {
  const text = readFileSync(abs, 'utf8');
  for (const m of text.matchAll(/@import\s+['"]([^'"]+)['"]/g)) {
    const target = m[1] ?? '';
    const file = target.startsWith('/') ? join(mpRoot, target) : join(dirname(abs), target);
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    wxssImports(mpRoot, file, seen);
  }
  return [...seen];
}

/** Compiles each own WXSS file with wcsc (with the files it imports). */
function compileWxss(ctx: Ctx): number {
  const wcsc = compilerBinary('wcsc');
  const files = ownFiles(ctx, '.wxss');
  for (const abs of files) {
    const file = relative(ctx.mpRoot, abs).split(sep).join('/');
    const isComponent = existsSync(abs.replace(/\.wxss$/, '.json'));
    // wcsc resolves an @import only among the files it is given (DevTools hands it all of them): the file's imports,
    // followed to their own imports, go along.
    const imports = wxssImports(ctx.mpRoot, abs).map((f) => relative(ctx.mpRoot, f).split(sep).join('/'));
    const r = spawnSync(wcsc, ['-db', '-pc', isComponent ? '1' : '0', file, ...imports], {
      cwd: ctx.mpRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw new Error(`wcsc could not run: ${r.error.message}`);
    if (r.status !== 0) {
      const msg = r.stderr.toString().trim() || `exit code ${String(r.status)}`;
      ctx.problems.push(`${rel(ctx, abs)}: wcsc: ${msg.split('\n')[0] ?? msg}`);
    }
  }
  return files.length;
}

/** Syntax errors only (fast, per file, with line numbers); types are `npm run typecheck`'s job. */
function parseTypeScript(ctx: Ctx): void {
  for (const abs of ownFiles(ctx, '.ts')) {
    if (abs.endsWith('.d.ts')) continue;
    const out = ts.transpileModule(readFileSync(abs, 'utf8'), {
      fileName: abs,
      reportDiagnostics: true,
      compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS },
    });
    for (const d of out.diagnostics ?? []) {
      const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const where = pos ? `:${pos.line + 1}:${pos.character + 1}` : '';
      ctx.problems.push(`${rel(ctx, abs)}${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
  }
}

/** Runs scripts/mp-ci-compile.ts in a child process and reads its one JSON line. */
export async function ciCompile(projectDir: string, timeoutMs = 300_000): Promise<CiCompileOutcome> {
  const workDir = mkdtempSync(join(tmpdir(), 'mp-ci-'));
  try {
    const child = spawn(
      process.execPath,
      // The working directory is a temp folder: load tsx by absolute path, not by name.
      ['--require', require.resolve('tsx/cjs'), join(__dirname, 'mp-ci-compile.ts'), projectDir, workDir],
      {
        // miniprogram-ci drops cache folders into its working and temp directories: keep them in workDir.
        cwd: workDir,
        env: { ...process.env, TMPDIR: workDir, TMP: workDir, TEMP: workDir },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killTree = () => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const code = await new Promise<number | null>((done) => {
      const timer = setTimeout(() => {
        killTree();
        done(null);
      }, timeoutMs);
      child.on('exit', (c) => {
        clearTimeout(timer);
        done(c);
      });
    });
    // The compiler fork miniprogram-ci started belongs to the child's process group: end it too.
    killTree();
    const line = stdout
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{"ok":'));
    if (line) return JSON.parse(line) as CiCompileOutcome;
    const tail = stderr.trim().split('\n').slice(-5).join(' | ');
    return {
      ok: false,
      code: null,
      message:
        code === null
          ? `miniprogram-ci did not finish within ${timeoutMs} ms`
          : `miniprogram-ci child exited with ${code} without a result: ${tail}`,
      ms: 0,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Runs every check; never throws for problems in the project (they are returned), only for a broken toolchain. */
export async function checkMiniprogram(opts: MpCheckOptions = {}): Promise<MpCheckResult> {
  const projectDir = resolve(opts.projectDir ?? ROOT);
  const ctx: Ctx = { projectDir, mpRoot: projectDir, problems: [] };
  const projectConfig = readJson(ctx, join(projectDir, 'project.config.json'));
  const mpRootName =
    typeof projectConfig?.['miniprogramRoot'] === 'string' ? projectConfig['miniprogramRoot'] : '';
  ctx.mpRoot = resolve(projectDir, mpRootName);
  const appJsonFile = join(ctx.mpRoot, 'app.json');
  const app = readJson(ctx, appJsonFile);
  const result: MpCheckResult = {
    problems: ctx.problems,
    pages: [],
    components: [],
    wxmlCompiled: 0,
    wxssCompiled: 0,
  };
  if (!app) return result;
  const appRel = rel(ctx, appJsonFile);
  const { pages, subRoots } = pagesOf(ctx, app);
  result.pages = pages;
  const okPages = pages.filter((p) => checkPageFiles(ctx, p, appRel));
  if (!scriptOf(join(ctx.mpRoot, 'app')))
    ctx.problems.push(`${rel(ctx, join(ctx.mpRoot, 'app'))}.ts is missing`);
  const tabBar = app['tabBar'] as Json | undefined;
  const mainPages = new Set((app['pages'] as unknown[] | undefined) ?? []);
  for (const item of (tabBar?.['list'] as Json[] | undefined) ?? []) {
    const p = typeof item['pagePath'] === 'string' ? item['pagePath'] : '';
    if (!mainPages.has(p))
      ctx.problems.push(`${appRel}: tabBar page "${p}" must be listed in the main package "pages"`);
    for (const key of ['iconPath', 'selectedIconPath']) {
      const icon = item[key];
      if (typeof icon === 'string' && !existsSync(join(ctx.mpRoot, icon))) {
        ctx.problems.push(`${appRel}: tabBar ${key} "${icon}" is missing`);
      }
    }
  }
  const entry = app['entryPagePath'];
  if (typeof entry === 'string' && !pages.includes(entry)) {
    ctx.problems.push(`${appRel}: entryPagePath "${entry}" is not a page`);
  }
  result.components = checkComponents(ctx, [
    appJsonFile,
    ...okPages.map((p) => join(ctx.mpRoot, `${p}.json`)),
  ]);
  result.wxmlCompiled = compileWxml(ctx);
  result.wxssCompiled = compileWxss(ctx);
  parseTypeScript(ctx);
  if (opts.ci ?? true) {
    const outcome = await ciCompile(projectDir, opts.ciTimeoutMs);
    result.ci = outcome;
    if (outcome.ok) {
      const prefix = mpRootName.replace(/\/+$/, '');
      const inSub = (f: string) => subRoots.some((r) => f === r || f.startsWith(`${r}/`));
      result.mainPackageBytes = Object.entries(outcome.files)
        .filter(([f]) => !inSub(prefix && f.startsWith(`${prefix}/`) ? f.slice(prefix.length + 1) : f))
        .reduce((sum, [, n]) => sum + n, 0);
    } else {
      ctx.problems.push(
        `miniprogram-ci compile failed${outcome.code ? ` (${outcome.code})` : ''}: ${outcome.message}`,
      );
    }
  }
  return result;
}

/** `--env trial|release`: the project folder to check and the problems of it as a cloud package. */
function cloudPackage(
  args: string[],
  projectDir: string | undefined,
): { projectDir: string; problems: string[] } {
  const target = args[args.indexOf('--env') + 1] ?? '';
  if (!(DEPLOY_TARGETS as readonly string[]).includes(target))
    throw new Error(`--env must be trial or release (got ${target || 'nothing'})`);
  const t = target as DeployTarget;
  if (projectDir) {
    const cfg = readJsonFile(join(projectDir, 'project.config.json'));
    const mpRoot = resolve(
      projectDir,
      typeof cfg['miniprogramRoot'] === 'string' ? cfg['miniprogramRoot'] : '',
    );
    return { projectDir, problems: checkCloudPackage(mpRoot, t) };
  }
  const c = args.indexOf('--config');
  let file = c >= 0 ? resolve(args[c + 1] ?? '') : join(ROOT, 'deploy.config.json');
  if (c < 0 && !existsSync(file)) {
    file = join(ROOT, 'deploy.config.example.json');
    console.log('mp-check: no deploy.config.json — staging with deploy.config.example.json');
  }
  const config = loadDeployConfig(file);
  const staged = stageMiniprogram({
    target: t,
    cloudEnv: config.envs[t].cloudEnv,
    appid: config.appid,
    outDir: join(ROOT, '.build', 'deploy', t, 'project'),
  });
  console.log(`mp-check: ${t} package staged in ${relative(ROOT, staged.projectDir)}`);
  return {
    projectDir: staged.projectDir,
    problems: checkCloudPackage(staged.mpRoot, t, config.envs[t].cloudEnv),
  };
}

function readJsonFile(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

async function cli(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf('--project');
  let projectDir = i >= 0 ? args[i + 1] : undefined;
  let cloudProblems: string[] = [];
  if (args.includes('--env')) {
    const p = cloudPackage(args, projectDir);
    projectDir = p.projectDir;
    cloudProblems = p.problems;
    if (cloudProblems.length > 0) {
      console.error(`mp-check: this package must NOT be uploaded — ${cloudProblems.length} problem(s):`);
      for (const p of cloudProblems) console.error(`  - ${p}`);
      process.exit(1);
    }
    console.log('mp-check: a cloud package: transport cloud, a real env id, nothing local.');
  }
  if (
    !projectDir &&
    (!existsSync(join(ROOT, 'miniprogram', 'miniprogram_npm', 'tdesign-miniprogram')) ||
      !existsSync(join(ROOT, 'miniprogram', 'staff', 'miniprogram_npm')))
  ) {
    buildMiniprogramNpm();
    console.log('mp-check: filled the miniprogram_npm folders (npm run build)');
  }
  const r = await checkMiniprogram({ ...(projectDir ? { projectDir } : {}), ci: !args.includes('--no-ci') });
  console.log(
    `mp-check: ${r.pages.length} pages, ${r.components.length} components, wcc ${r.wxmlCompiled} WXML, wcsc ${r.wxssCompiled} WXSS` +
      (r.ci ? `, miniprogram-ci ${r.ci.ok ? 'compiled' : 'failed'} in ${(r.ci.ms / 1000).toFixed(1)} s` : ''),
  );
  if (r.mainPackageBytes !== undefined)
    console.log(`mp-check: main package ${(r.mainPackageBytes / 1024).toFixed(1)} KiB (uncompressed)`);
  if (r.problems.length > 0) {
    console.error(`mp-check: DevTools would NOT build it — ${r.problems.length} problem(s):`);
    for (const p of r.problems) console.error(`  - ${p}`);
    process.exit(1);
  }
  console.log('mp-check: DevTools would build it.');
}

if (require.main === module) {
  cli().catch((e: unknown) => {
    console.error(`mp-check failed to run: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  });
}
