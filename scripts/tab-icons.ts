// Draws the tab bar icons (miniprogram/assets/tab/*.png) from TDesign's own icon set (@iconify-json/tdesign) in the
// tab bar's two colours. WeChat's tabBar takes only local PNG/JPG files (≤ 40 KB, 81×81 recommended), not SVG or the
// icon font, so they are rendered once in headless Chromium and committed. Run: `npm run mp:tab-icons`.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

interface IconSet {
  icons: Record<string, { body: string }>;
  width?: number;
  height?: number;
}

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'miniprogram', 'assets', 'tab');
const SIZE = 81;
/** tab → TDesign icon name. */
const ICONS: Record<string, string> = { home: 'home', cart: 'cart', orders: 'bill' };

async function main(): Promise<void> {
  const app = JSON.parse(readFileSync(join(ROOT, 'miniprogram', 'app.json'), 'utf8')) as {
    tabBar: { color: string; selectedColor: string };
  };
  const set = JSON.parse(
    readFileSync(require.resolve('@iconify-json/tdesign/icons.json'), 'utf8'),
  ) as IconSet;
  const view = set.width ?? 24;
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE } });
    for (const [tab, name] of Object.entries(ICONS)) {
      const icon = set.icons[name];
      if (!icon) throw new Error(`TDesign has no icon "${name}"`);
      for (const [suffix, color] of [
        ['', app.tabBar.color],
        ['-active', app.tabBar.selectedColor],
      ] as const) {
        const svg =
          `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${view} ${view}" ` +
          `style="color:${color}">${icon.body}</svg>`;
        await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
        const file = join(OUT, `${tab}${suffix}.png`);
        writeFileSync(
          file,
          await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: SIZE, height: SIZE } }),
        );
        console.log(`tab-icons: ${tab}${suffix}.png`);
      }
    }
  } finally {
    await browser.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
