// App-wide settings the pages cannot show: the update manager's wiring (against a wx mock), the sitemap, TDesign's
// theme tokens without "style": "v2", and that every page test file checks the setData budget.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MP = join(__dirname, '..', '..', 'miniprogram');
const readJson = (file: string) => JSON.parse(readFileSync(join(MP, file), 'utf8')) as Record<string, any>;

describe('app', () => {
  it('applies a downloaded update once the shopper agrees to restart', async () => {
    let onReady: (() => void) | undefined;
    const applyUpdate = jest.fn();
    const modal = { confirm: false };
    const g = global as any;
    g.wx = {
      getUpdateManager: () => ({ onUpdateReady: (cb: () => void) => (onReady = cb), applyUpdate }),
      showModal: jest.fn(async () => modal),
    };
    let app: any;
    g.App = (o: unknown) => (app = o);
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(join(MP, 'app'));
    });
    app.onLaunch();
    expect(onReady).toBeDefined();
    onReady!();
    await new Promise((r) => setImmediate(r));
    expect(g.wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '发现新版本' }));
    expect(applyUpdate).not.toHaveBeenCalled(); // 稍后: the update waits for the next cold start
    modal.confirm = true;
    onReady!();
    await new Promise((r) => setImmediate(r));
    expect(applyUpdate).toHaveBeenCalledTimes(1);
    delete g.wx;
    delete g.App;
  });

  it('keeps the cart and order pages out of WeChat search, and lets the goods be indexed', () => {
    const app = readJson('app.json');
    const sitemap = readJson(app.sitemapLocation as string);
    const ruleFor = (page: string) =>
      (sitemap.rules as { action: string; page: string }[]).find((r) => r.page === page || r.page === '*')
        ?.action;
    for (const page of [
      'pages/cart/index',
      'pages/orders/index',
      'order/confirm/index',
      'order/detail/index',
    ])
      expect(ruleFor(page)).toBe('disallow');
    expect(ruleFor('pages/goods/index')).toBe('allow');
    expect(ruleFor('pages/goods-detail/index')).toBe('allow');
  });

  it('uses TDesign with its theme tokens and without style v2 (its buttons would be 184 px wide)', () => {
    expect(readJson('app.json').style).toBeUndefined();
    const wxss = readFileSync(join(MP, 'app.wxss'), 'utf8');
    const imported = /@import\s+'([^']+)'/.exec(wxss)?.[1];
    // Relative to app.wxss, as TDesign's quick start writes it (WeChat's wcsc resolves it from the package root).
    expect(imported).toBe('miniprogram_npm/tdesign-miniprogram/common/style/theme/_index.wxss');
    const dist = join(__dirname, '..', '..', 'node_modules', 'tdesign-miniprogram', 'miniprogram_dist');
    expect(existsSync(join(dist, imported!.replace('miniprogram_npm/tdesign-miniprogram/', '')))).toBe(true);
  });

  it('every page test file checks the setData budget', () => {
    const files = readdirSync(__dirname).filter((f) => f.endsWith('.test.ts'));
    const pageTests = files.filter((f) => /= createHarness\(/.test(readFileSync(join(__dirname, f), 'utf8')));
    expect(pageTests.length).toBeGreaterThanOrEqual(5);
    for (const f of pageTests)
      expect([f, readFileSync(join(__dirname, f), 'utf8')]).toEqual([
        f,
        expect.stringContaining('checkSetDataBudget: true'),
      ]);
  });
});
