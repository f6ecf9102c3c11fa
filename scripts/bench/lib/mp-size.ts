// The mini program's main package as DevTools would upload it, computed by reachability: start from app.json (its
// app.* files, sitemap, tabBar icons, the main pages and global components) and follow every page's and component's
// usingComponents, JS/TS imports and requires, WXML import/include/wxs/src="/…" references and WXSS @imports. Files
// under a subpackage root belong to that subpackage, not the main package; miniprogram_npm components nothing uses
// are not counted (DevTools' "filter unused files" does the same). TypeScript sources are counted at their own size
// as a stand-in for the JavaScript DevTools compiles them to (type annotations make them slightly larger).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The main package figures. */
export interface MainPackage {
  bytes: number;
  files: number;
  /** Of which under miniprogram_npm (TDesign and any other npm components used). */
  npmBytes: number;
  subpackages: { root: string; bytes: number; files: number }[];
  /** WeChat's limit for the main package. */
  limitBytes: number;
}

const SCRIPT_EXTS = ['.ts', '.js'];
const PART_EXTS = ['.json', '.ts', '.js', '.wxml', '.wxss', '.wxs'];

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/** Measures the package rooted at `root` (the folder holding app.json). */
export function measureMainPackage(root: string): MainPackage {
  const app = readJson(join(root, 'app.json'));
  const subRoots = ((app.subpackages ?? app.subPackages ?? []) as { root?: string; pages?: string[] }[])
    .map((s) => ({ root: (s.root ?? '').replace(/^\/|\/$/g, ''), pages: s.pages ?? [] }))
    .filter((s) => s.root !== '');
  /** Every file reachable from what `seed` adds. */
  const reach = (
    seed: (add: (file: string) => void, addUnit: (base: string) => void) => void,
  ): Set<string> => {
    const seen = new Set<string>();
    const queue: string[] = [];
    const add = (file: string): void => {
      const abs = resolve(file);
      if (!abs.startsWith(resolve(root)) || seen.has(abs) || !isFile(abs)) return;
      seen.add(abs);
      queue.push(abs);
    };
    /** A page or component path without extension: all its parts. */
    const addUnit = (base: string): void => {
      for (const ext of PART_EXTS) add(`${base}${ext}`);
      for (const ext of PART_EXTS) add(join(base, `index${ext}`));
    };
    const componentBase = (fromDir: string, ref: string): string => {
      if (ref.startsWith('/')) return join(root, ref);
      if (ref.startsWith('.')) return join(fromDir, ref);
      // An npm component ("tdesign-miniprogram/button/button") lives in miniprogram_npm.
      return join(root, 'miniprogram_npm', ref);
    };
    const resolveScript = (fromDir: string, spec: string): void => {
      const base = spec.startsWith('/')
        ? join(root, spec)
        : spec.startsWith('.')
          ? join(fromDir, spec)
          : null;
      const candidates = base === null ? [join(root, 'miniprogram_npm', spec)] : [base];
      for (const c of candidates) {
        add(c);
        for (const ext of SCRIPT_EXTS) add(`${c}${ext}`);
        for (const ext of SCRIPT_EXTS) add(join(c, `index${ext}`));
      }
    };

    seed(add, addUnit);
    while (queue.length > 0) {
      const file = queue.shift() as string;
      const dir = dirname(file);
      const text = /\.(json|ts|js|wxml|wxss|wxs)$/.test(file) ? readFileSync(file, 'utf8') : '';
      if (file.endsWith('.json')) {
        const json = readJson(file);
        const using = (json.usingComponents ?? {}) as Record<string, string>;
        for (const ref of Object.values(using)) addUnit(componentBase(dir, ref));
      } else if (/\.(ts|js|wxs)$/.test(file)) {
        for (const m of text.matchAll(/(?:require\(\s*|import\s*\(\s*|from\s+|import\s+)['"]([^'"]+)['"]/g)) {
          const spec = m[1];
          if (spec !== undefined && !/^(node:|typings|miniprogram-api-typings)/.test(spec))
            resolveScript(dir, spec);
        }
      } else if (file.endsWith('.wxml')) {
        for (const m of text.matchAll(/<(?:import|include|wxs)\s[^>]*src=["']([^"']+)["']/g)) {
          if (m[1] !== undefined) {
            const p = m[1].startsWith('/') ? join(root, m[1]) : join(dir, m[1]);
            add(p);
            add(`${p}.wxml`);
            add(`${p}.wxs`);
          }
        }
        for (const m of text.matchAll(/\ssrc=["'](\/[^"'{}]+)["']/g))
          if (m[1] !== undefined) add(join(root, m[1]));
      } else if (file.endsWith('.wxss')) {
        for (const m of text.matchAll(/@import\s+["']([^"']+)["']/g)) {
          if (m[1] !== undefined) add(m[1].startsWith('/') ? join(root, m[1]) : join(dir, m[1]));
        }
      }
    }
    return seen;
  };

  const seen = reach((add, addUnit) => {
    for (const f of ['app.json', 'app.ts', 'app.js', 'app.wxss', 'sitemap.json']) add(join(root, f));
    const tabBar = (app.tabBar ?? {}) as { list?: { iconPath?: string; selectedIconPath?: string }[] };
    for (const item of tabBar.list ?? []) {
      if (item.iconPath) add(join(root, item.iconPath));
      if (item.selectedIconPath) add(join(root, item.selectedIconPath));
    }
    for (const page of (app.pages ?? []) as string[]) addUnit(join(root, page));
  });
  const inSub = (abs: string): string | undefined => {
    const rel = relative(root, abs).split('\\').join('/');
    return subRoots.find((s) => rel === s.root || rel.startsWith(`${s.root}/`))?.root;
  };
  let bytes = 0;
  let files = 0;
  let npmBytes = 0;
  for (const abs of seen) {
    if (inSub(abs) !== undefined || abs.endsWith('.d.ts')) continue;
    const size = statSync(abs).size;
    bytes += size;
    files += 1;
    if (relative(root, abs).startsWith('miniprogram_npm')) npmBytes += size;
  }
  const subpackages = subRoots.map((s) => {
    let b = 0;
    let n = 0;
    const own = reach((_add, addUnit) => {
      for (const page of s.pages) addUnit(join(root, s.root, page));
    });
    for (const abs of own) {
      // What the main package already carries is not downloaded again with the subpackage.
      if (!seen.has(abs) || inSub(abs) === s.root) {
        b += statSync(abs).size;
        n += 1;
      }
    }
    return { root: s.root, bytes: b, files: n };
  });
  return { bytes, files, npmBytes, subpackages, limitBytes: 2 * 1024 * 1024 };
}
