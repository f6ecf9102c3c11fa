// Builds what DevTools uploads and previews:
//  1. each cloudfunctions/<name>/src/index.ts → cloudfunctions/<name>/index.js (one self-contained CommonJS bundle,
//     wx-server-sdk external because the cloud installs it from the folder's package.json);
//  2. miniprogram/miniprogram_npm from miniprogram/package.json's dependencies (what DevTools' "Build npm" would produce).
// Usage: tsx scripts/build.ts [--functions-only | --mp-only]
import { build, type BuildOptions, type Plugin } from 'esbuild';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const FUNCTIONS_DIR = join(ROOT, 'cloudfunctions');
/** The one wx-server-sdk version every function pins (exact). */
export const WX_SERVER_SDK_VERSION = '4.0.2';
/** The lowest Node runtime CloudBase offers that we deploy to (see README). */
export const FUNCTION_NODE_TARGET = 'node16';

/** Refuses to bundle dev-only code into a function, whatever imports it. */
const devOnlyGuard: Plugin = {
  name: 'dev-only-guard',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[tj]s$/ }, (args) => {
      const rel = relative(ROOT, args.path).split('\\').join('/');
      if (/^(simulator|devcloud|test|scripts)\//.test(rel)) {
        return { errors: [{ text: `dev-only module ${rel} must never be bundled into a cloud function` }] };
      }
      return undefined;
    });
  },
};

/**
 * Modules wechatpay-node-v3 requires at load time that our code path never runs, each replaced by a stub that throws
 * if it is ever called. superagent (and through it formidable, qs, mime tables, form-data, cookiejar) is the library's
 * default HTTP client: every request goes through our transport instead, plugged in with createHttp. @fidm/x509 (and
 * tweetnacl, asn1) parses certificates in get_certificates and getSN: we always pass serial_no and verify with
 * node:crypto. Together they were ~0.9 MB of each payment bundle and most of its cold-start time (ADR 0001).
 */
export const UNUSED_LIBRARY_MODULES: Readonly<Record<string, string>> = {
  superagent: 'its HTTP client (requests go through our WechatPayTransport via createHttp)',
  '@fidm/x509': 'its certificate parser (serial_no is always given; keys are parsed by node:crypto)',
};

/** Error text of a stub; the bundle test and the stub test look for it. */
export function stubMessage(name: string): string {
  return `${name} is not shipped in this bundle: wechatpay-node-v3 reached ${UNUSED_LIBRARY_MODULES[name] ?? name}, which our code path never uses`;
}

function stubSource(name: string): string {
  const message = JSON.stringify(stubMessage(name));
  // A callable Proxy: loading succeeds (the library requires it at the top of its files); any use throws.
  return `"use strict";
const fail = () => { throw new Error(${message}); };
module.exports = new Proxy(function stub() {}, {
  get(_t, key) { return key === "__esModule" || key === "then" || typeof key === "symbol" ? undefined : fail(); },
  apply: fail,
  construct: fail,
});
`;
}

/** Replaces {@link UNUSED_LIBRARY_MODULES} by throwing stubs, only where wechatpay-node-v3 itself requires them. */
export const unusedLibraryStubs: Plugin = {
  name: 'unused-library-stubs',
  setup(b) {
    const names = Object.keys(UNUSED_LIBRARY_MODULES).map((n) => n.replace(/[/.]/g, '\\$&'));
    const filter = new RegExp(`^(${names.join('|')})$`);
    b.onResolve({ filter }, (args) => {
      if (!/[\\/]node_modules[\\/]wechatpay-node-v3[\\/]/.test(args.importer)) return undefined;
      return { path: args.path, namespace: 'unused-library-stub' };
    });
    b.onLoad({ filter: /.*/, namespace: 'unused-library-stub' }, (args) => ({
      contents: stubSource(args.path),
      loader: 'js',
    }));
  },
};

/** Names of the function folders that have a TypeScript entry. */
export function functionNames(): string[] {
  if (!existsSync(FUNCTIONS_DIR)) return [];
  return readdirSync(FUNCTIONS_DIR)
    .filter((n) => statSync(join(FUNCTIONS_DIR, n)).isDirectory())
    .filter((n) => existsSync(join(FUNCTIONS_DIR, n, 'src', 'index.ts')))
    .sort();
}

function checkFolder(name: string): void {
  const dir = join(FUNCTIONS_DIR, name);
  const pkgPath = join(dir, 'package.json');
  if (!existsSync(pkgPath)) throw new Error(`cloudfunctions/${name}/package.json is missing`);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
    main?: string;
    dependencies?: Record<string, string>;
  };
  const pinned = pkg.dependencies?.['wx-server-sdk'];
  if (pinned !== WX_SERVER_SDK_VERSION) {
    throw new Error(
      `cloudfunctions/${name}/package.json must pin "wx-server-sdk": "${WX_SERVER_SDK_VERSION}" exactly (found ${String(pinned)})`,
    );
  }
  const extra = Object.keys(pkg.dependencies ?? {}).filter((d) => d !== 'wx-server-sdk');
  if (extra.length > 0) {
    throw new Error(
      `cloudfunctions/${name}/package.json: bundle ${extra.join(', ')} instead of depending on it`,
    );
  }
  if (pkg.main !== undefined && pkg.main !== 'index.js')
    throw new Error(`cloudfunctions/${name}: main must be index.js`);
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new Error(`cloudfunctions/${name}/config.json is missing`);
  JSON.parse(readFileSync(cfgPath, 'utf8'));
}

/**
 * The esbuild options of one function's bundle. Whitespace is minified (names are kept, so stack traces still name
 * functions): it takes a payment bundle from ~300 KB to ~215 KB, the budget of issue 10 being 300 KB.
 */
export function functionBuildOptions(name: string): BuildOptions {
  return {
    entryPoints: [join(FUNCTIONS_DIR, name, 'src', 'index.ts')],
    outfile: join(FUNCTIONS_DIR, name, 'index.js'),
    bundle: true,
    platform: 'node',
    target: FUNCTION_NODE_TARGET,
    format: 'cjs',
    external: ['wx-server-sdk'],
    plugins: [devOnlyGuard, unusedLibraryStubs],
    minifyWhitespace: true,
    // Syntax too (constant folding, shorter forms; names are still kept): ~7 KB less on the largest bundle.
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: {
      js: `// Generated by \`npm run build\` from src/ — do not edit. Deploy this folder from DevTools.`,
    },
  };
}

/** The source files esbuild puts into a function's bundle (repository-relative), without writing anything. */
export async function bundleInputs(name: string): Promise<string[]> {
  const result = await build({ ...functionBuildOptions(name), write: false, metafile: true });
  return Object.keys(result.metafile.inputs).map((p) =>
    relative(ROOT, resolve(ROOT, p)).split('\\').join('/'),
  );
}

/** Bundles every function; returns name → bundle size in bytes. */
export async function buildFunctions(): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const name of functionNames()) {
    checkFolder(name);
    const options = functionBuildOptions(name);
    await build(options);
    sizes[name] = statSync(String(options.outfile)).size;
  }
  return sizes;
}

/**
 * Fills each miniprogram_npm from the package.json beside it, as DevTools' "Build npm" does: miniprogram/package.json
 * → miniprogram/miniprogram_npm (the main package), and a subpackage root's own package.json (e.g. staff/) →
 * <root>/miniprogram_npm, so a dependency only staff pages use is never downloaded by shoppers. A package with a mini
 * program build (`miniprogram` field, e.g. TDesign's miniprogram_dist) is copied as it is; a plain CommonJS package
 * (e.g. qrcode-generator) has its `main` file copied as `<name>/index.js`, which is what `require('<name>')` finds.
 */
export function buildMiniprogramNpm(mpRoot: string = join(ROOT, 'miniprogram')): void {
  const app = JSON.parse(readFileSync(join(mpRoot, 'app.json'), 'utf8')) as {
    subPackages?: { root: string }[];
    subpackages?: { root: string }[];
  };
  const subpackages = app.subPackages ?? app.subpackages ?? [];
  const homes = [mpRoot, ...subpackages.map((s) => join(mpRoot, s.root))].filter((dir) =>
    existsSync(join(dir, 'package.json')),
  );
  for (const home of homes) {
    const mpPkg = JSON.parse(readFileSync(join(home, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(mpPkg.dependencies ?? {}))
      copyNpmPackage(name, join(home, 'miniprogram_npm', name));
  }
}

function copyNpmPackage(name: string, dest: string): void {
  const pkgDir = join(ROOT, 'node_modules', name);
  if (!existsSync(join(pkgDir, 'package.json'))) throw new Error(`${name} is not installed: run npm install`);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    miniprogram?: string;
    main?: string;
  };
  rmSync(dest, { recursive: true, force: true });
  const mpDist = join(pkgDir, pkg.miniprogram ?? 'miniprogram_dist');
  if (existsSync(mpDist)) {
    cpSync(mpDist, dest, { recursive: true });
    return;
  }
  const main = join(pkgDir, pkg.main ?? 'index.js');
  if (!existsSync(main)) throw new Error(`${name}: no miniprogram_dist and no main file to copy`);
  mkdirSync(dest, { recursive: true });
  copyFileSync(main, join(dest, 'index.js'));
}

async function cli(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  if (!args.has('--mp-only')) {
    const sizes = await buildFunctions();
    const names = Object.keys(sizes);
    if (names.length === 0) console.log('build: no cloud functions with src/index.ts yet');
    for (const n of names)
      console.log(`build: cloudfunctions/${n}/index.js ${((sizes[n] ?? 0) / 1024).toFixed(1)} KiB`);
  }
  if (!args.has('--functions-only')) {
    buildMiniprogramNpm();
    console.log(
      'build: miniprogram_npm copied (miniprogram/package.json and subpackage package.json dependencies)',
    );
  }
}

if (require.main === module) {
  cli().catch((e: unknown) => {
    console.error(`build failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
