// Shoots exported page HTML files (scripts/screens/render-kit.ts) to PNG in headless Chromium: one browser for the
// whole batch, a 375-px-wide phone at device scale 2, after the fonts are ready. Runs in plain Node (not in jsdom).
// Usage: tsx scripts/screens/shoot.ts <manifest.json>   — manifest: [{"html": "...", "png": "..."}, ...]
// Chromium: CHROMIUM_PATH, else /usr/bin/chromium (Debian's package).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export interface ShotJob {
  html: string;
  png: string;
}

export interface ShotResult extends ShotJob {
  width: number;
  height: number;
  ms: number;
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumPath(): string {
  const p = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(p)) {
    throw new Error(
      `no Chromium at ${p}: install Debian's chromium and fonts-wqy-zenhei, or set CHROMIUM_PATH to a Chromium binary`,
    );
  }
  return p;
}

/** Shoots every job; answers the PNG sizes (CSS pixels) and the time each took. */
export async function shootAll(jobs: readonly ShotJob[]): Promise<ShotResult[]> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: FLAGS });
  try {
    const context = await browser.newContext({
      viewport: { width: 375, height: 667 },
      deviceScaleFactor: 2,
      offline: true,
    });
    const page = await context.newPage();
    const results: ShotResult[] = [];
    for (const job of jobs) {
      const started = Date.now();
      await page.goto(pathToFileURL(resolve(job.html)).href, { waitUntil: 'load' });
      // Browser-side code as strings: this file is type-checked without DOM types.
      await page.evaluate('document.fonts.ready.then(() => true)');
      const size = await page.evaluate<{ width: number; height: number }>(
        '({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })',
      );
      mkdirSync(dirname(resolve(job.png)), { recursive: true });
      await page.screenshot({ path: job.png, fullPage: true });
      results.push({ ...job, ...size, ms: Date.now() - started });
    }
    return results;
  } finally {
    await browser.close();
  }
}

async function cli(): Promise<void> {
  const manifest = process.argv[2];
  if (!manifest) throw new Error('usage: tsx scripts/screens/shoot.ts <manifest.json>');
  const jobs = JSON.parse(readFileSync(manifest, 'utf8')) as ShotJob[];
  const started = Date.now();
  const results = await shootAll(jobs);
  for (const r of results) console.log(`screens: ${r.png} ${r.width}×${r.height} (${r.ms} ms)`);
  console.log(`screens: ${results.length} PNG in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`${JSON.stringify({ event: 'shots', results })}\n`);
}

if (require.main === module) {
  cli().catch((e: unknown) => {
    console.error(`screens: shooting failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
