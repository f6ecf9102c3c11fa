/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// `npm run screens`, step 1: every page in its main states → .build/screens/<name>.html and manifest.json (step 2,
// shoot.ts, writes docs/screens/<name>.png from them).
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allScreens, captureScreens, readmeGallery } from './capture';

const ROOT = resolve(__dirname, '..', '..');

it('exports every page state as HTML', async () => {
  const htmlDir = join(ROOT, '.build', 'screens');
  const shots = await captureScreens(allScreens(), htmlDir, join(ROOT, 'docs', 'screens'));
  writeFileSync(join(htmlDir, 'manifest.json'), JSON.stringify(shots, null, 2));
  // The README's gallery table, ready to paste when screens are added or renamed.
  writeFileSync(join(htmlDir, 'gallery.md'), `${readmeGallery(shots, ROOT)}\n`);
  for (const s of shots) console.log(`screens: ${s.name} rendered in ${s.renderMs} ms`);
  expect(shots.length).toBe(allScreens().length);
}, 300_000);
