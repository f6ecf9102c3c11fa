// "DevTools would build it" (scripts/mp-check.ts) — and proof that it fails when a page is broken: the mini program
// is copied into a temp folder with a small probe page and one project component added, then broken one way at a
// time. The official wcc/wcsc and miniprogram-ci do the compiling; nothing here is mocked.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { checkMiniprogram } from '../../scripts/mp-check';

const ROOT = resolve(__dirname, '..', '..');
const PROBE = 'pages/check-probe/index';
const temps: string[] = [];

/** A copy of the project (project.config.json + miniprogram/ + TDesign as "Build npm" lays it out) plus a probe page. */
function makeProject(breakIt?: (mp: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'mp-check-test-'));
  temps.push(dir);
  cpSync(join(ROOT, 'project.config.json'), join(dir, 'project.config.json'));
  const mp = join(dir, 'miniprogram');
  cpSync(join(ROOT, 'miniprogram'), mp, {
    recursive: true,
    filter: (src) => !src.includes('miniprogram_npm'),
  });
  cpSync(
    join(ROOT, 'node_modules', 'tdesign-miniprogram', 'miniprogram_dist'),
    join(mp, 'miniprogram_npm', 'tdesign-miniprogram'),
    { recursive: true },
  );
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(mp, file)), { recursive: true });
    writeFileSync(join(mp, file), text);
  };
  write(
    `${PROBE}.json`,
    JSON.stringify({
      navigationBarTitleText: '检查',
      usingComponents: {
        't-button': 'tdesign-miniprogram/button/button',
        'probe-card': '/components/check-probe/index',
      },
    }),
  );
  write(
    `${PROBE}.wxml`,
    '<view class="probe"><probe-card title="{{title}}" /><t-button theme="primary" bind:tap="onTap">支付</t-button></view>\n',
  );
  write(`${PROBE}.wxss`, '.probe { padding: 24rpx; }\n');
  write(
    `${PROBE}.ts`,
    "Page({ data: { title: '咖啡' as string }, onTap(): void { this.setData({ title: '茶' }); } });\n",
  );
  write('components/check-probe/index.json', JSON.stringify({ component: true, usingComponents: {} }));
  write('components/check-probe/index.wxml', '<view class="card">{{title}}</view>\n');
  write('components/check-probe/index.wxss', '.card { color: #222; }\n');
  write(
    'components/check-probe/index.ts',
    'Component({ properties: { title: { type: String, value: "" } } });\n',
  );
  // The probe page first; the real project's pages stay listed (they are checked as well).
  const appFile = join(mp, 'app.json');
  const app = JSON.parse(readFileSync(appFile, 'utf8')) as { pages: string[] };
  const real = app.pages.filter((p) => p !== 'pages/index/index'); // the pre-pages shell's placeholder
  app.pages = [PROBE, ...real];
  writeFileSync(appFile, JSON.stringify(app, null, 2));
  breakIt?.(mp);
  return dir;
}

// The real project's check (miniprogram-ci takes seconds) starts at once and runs beside the break tests.
let realCheck: ReturnType<typeof checkMiniprogram>;
beforeAll(() => {
  realCheck = checkMiniprogram();
  realCheck.catch(() => undefined);
});

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('mp-check on a copy of the mini program', () => {
  it('passes the intact copy: pages, components, wcc, wcsc, TS syntax', async () => {
    const r = await checkMiniprogram({ projectDir: makeProject(), ci: false });
    expect(r.problems).toEqual([]);
    expect(r.pages).toContain(PROBE);
    expect(r.components).toEqual(
      expect.arrayContaining([
        '/components/check-probe/index',
        '/miniprogram_npm/tdesign-miniprogram/button/button',
      ]),
    );
    expect(r.wxmlCompiled).toBeGreaterThanOrEqual(2);
    expect(r.wxssCompiled).toBeGreaterThanOrEqual(3);
  });

  it('reports a missing page file, naming it', async () => {
    const r = await checkMiniprogram({
      projectDir: makeProject((mp) => unlinkSync(join(mp, `${PROBE}.wxml`))),
      ci: false,
    });
    expect(r.problems).toEqual([
      `miniprogram/${PROBE}.wxml is missing (page "${PROBE}" in miniprogram/app.json)`,
    ]);
  });

  it('reports broken WXML from the official wcc, naming the file and line', async () => {
    const r = await checkMiniprogram({
      projectDir: makeProject((mp) =>
        writeFileSync(join(mp, `${PROBE}.wxml`), '<view>\n  <text>支付</view>\n'),
      ),
      ci: false,
    });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(new RegExp(`^miniprogram/${PROBE}\\.wxml: wcc: .*${PROBE}\\.wxml:2:`));
  });

  it('reports broken WXSS from the official wcsc, naming the file', async () => {
    const r = await checkMiniprogram({
      projectDir: makeProject((mp) => writeFileSync(join(mp, `${PROBE}.wxss`), '.probe { color: red;\n')),
      ci: false,
    });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(new RegExp(`^miniprogram/${PROBE}\\.wxss: wcsc: `));
  });

  it('reports a usingComponents entry that resolves to nothing, and a component without component:true', async () => {
    const r = await checkMiniprogram({
      projectDir: makeProject((mp) => {
        const f = join(mp, `${PROBE}.json`);
        const json = JSON.parse(readFileSync(f, 'utf8')) as { usingComponents: Record<string, string> };
        json.usingComponents['t-nope'] = 'tdesign-miniprogram/nope/nope';
        writeFileSync(f, JSON.stringify(json));
        writeFileSync(join(mp, 'components/check-probe/index.json'), '{}');
      }),
      ci: false,
    });
    expect(r.problems).toHaveLength(2);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^miniprogram/${PROBE}\\.json: usingComponents\\["t-nope"\\] = "tdesign-miniprogram/nope/nope" does not resolve`,
          ),
        ),
        'miniprogram/components/check-probe/index.json must declare "component": true (used as <probe-card> by miniprogram/pages/check-probe/index.json)',
      ]),
    );
  });

  it('reports a TypeScript syntax error with file and line', async () => {
    const r = await checkMiniprogram({
      projectDir: makeProject((mp) =>
        writeFileSync(join(mp, `${PROBE}.ts`), 'Page({\n  data: { a: 1 ,\n});\n'),
      ),
      ci: false,
    });
    expect(r.problems.length).toBeGreaterThanOrEqual(1);
    expect(r.problems.every((p) => p.startsWith(`miniprogram/${PROBE}.ts:`))).toBe(true);
  });

  it('miniprogram-ci refuses a TS syntax error and an unresolved component as DevTools does', async () => {
    const [tsError, unresolved] = await Promise.all([
      checkMiniprogram({
        projectDir: makeProject((mp) =>
          writeFileSync(join(mp, `${PROBE}.ts`), 'Page({ data: { a: 1 , });\n'),
        ),
      }),
      checkMiniprogram({
        projectDir: makeProject((mp) =>
          writeFileSync(
            join(mp, `${PROBE}.json`),
            JSON.stringify({ usingComponents: { 'probe-card': '/components/not-there/index' } }),
          ),
        ),
      }),
    ]);
    const ciProblem = (r: typeof tsError) => r.problems.find((p) => p.startsWith('miniprogram-ci'));
    expect(tsError.ci).toMatchObject({ ok: false, code: '10045' });
    expect(ciProblem(tsError)).toContain(`${PROBE}.ts`);
    expect(unresolved.ci).toMatchObject({ ok: false, code: '10009' });
    expect(ciProblem(unresolved)).toContain('components/not-there/index');
  }, 420_000);
});

describe('the real mini program', () => {
  it('DevTools would build it: every page and component, wcc, wcsc and miniprogram-ci', async () => {
    const app = JSON.parse(readFileSync(join(ROOT, 'miniprogram', 'app.json'), 'utf8')) as {
      pages: string[];
      tabBar?: { list: Array<{ pagePath: string }> };
    };
    const r = await realCheck;
    expect(r.problems).toEqual([]);
    expect(r.pages).toEqual(expect.arrayContaining(app.pages));
    expect(r.wxmlCompiled).toBeGreaterThanOrEqual(r.pages.length);
    // Every page's TypeScript went through DevTools' TypeScript plugin into the compiled package.
    const compiled = r.ci?.ok ? Object.keys(r.ci.files) : [];
    for (const page of r.pages) expect(compiled).toContain(`${page}.js`);
    expect(r.mainPackageBytes).toBeGreaterThan(0);
  }, 420_000);
});
