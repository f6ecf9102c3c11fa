/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// `npm run screens` in small: ONE real page (the cart with its problem lines) rendered by the page tests' render,
// exported as one HTML file and shot in headless Chromium. Not a pixel snapshot: it checks that the export carries
// what makes the picture look like the shop (text, TDesign styles, icons, fonts) and that the PNG is a full phone
// screen with content. The full set is `npm run screens` (docs/screens/).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { allScreens, captureScreens } from '../../scripts/screens/capture';

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'screens-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

it('renders the cart page to a PNG that looks like the shop', async () => {
  const cart = allScreens().find((s) => s.name === 'cart')!;
  const [shot] = await captureScreens([cart], dir, dir);
  const html = readFileSync(shot!.html, 'utf8');
  // The page's own text, from the real WXML with fixture answers.
  for (const text of ['云南小粒咖啡豆', '已售罄', '已下架', '价格有变动', '去结算', '购物车'])
    expect(html).toContain(text);
  // TDesign styled (its compiled component CSS under the component prefix), rpx at ×0.5, icons as masks, fonts.
  expect(html).toMatch(/\.t-stepper--t-stepper/);
  expect(html).toMatch(/-webkit-mask:url\("data:image\/svg\+xml;base64,/);
  expect(html).toContain('src:local("WenQuanYi Zen Hei")');
  // pages/cart/index.wxss `.line { margin-bottom: 24rpx; padding: 24rpx 16rpx }` on a 375-px phone.
  expect(html).toMatch(/\.main--line\{[^}]*padding:12px 8px/);

  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ html: shot!.html, png: shot!.png }]));
  const run = spawnSync(
    process.execPath,
    [
      '--require',
      require.resolve('tsx/cjs'),
      join(ROOT, 'scripts', 'screens', 'shoot.ts'),
      join(dir, 'manifest.json'),
    ],
    { encoding: 'utf8', timeout: 90_000 },
  );
  if (run.status !== 0) throw new Error(`shooting failed: ${run.stderr || run.stdout}`);
  // A 375-px phone at device scale 2, at least one screen tall, and far from blank.
  const size = pngSize(shot!.png);
  expect(size.width).toBe(750);
  expect(size.height).toBeGreaterThanOrEqual(1334);
  expect(statSync(shot!.png).size).toBeGreaterThan(40_000);
}, 120_000);

it('hands `class` on a TDesign tag to the component root as WeChat does (virtualHost), so page CSS reaches it', async () => {
  const detail = allScreens().find((s) => s.name === 'goods-detail')!;
  const [shot] = await captureScreens([detail], dir, dir);
  const html = readFileSync(shot!.html, 'utf8');
  // <t-image class="hero__img"> in pages/goods-detail/index.wxml: the class lands on t-image's root view.
  expect(html).toMatch(/<wx-view class="main--hero__img\s+t-image--t-image"/);
  // …and the picture is the demo SVG the local gateway serves, inlined for the offline browser.
  expect(html).toMatch(/<img src="data:image\/svg\+xml;base64,/);
}, 60_000);
