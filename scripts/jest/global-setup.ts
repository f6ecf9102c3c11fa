// Builds the cloud function bundles once before any test, so suites that run them through the local cloud test
// exactly what DevTools would upload (and never race on half-written bundles). Page tests need TDesign copied into
// miniprogram/miniprogram_npm (as DevTools' "Build npm" does): copied here once when missing, never mid-run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunctions, buildMiniprogramNpm } from '../build';

export default async function globalSetup(): Promise<void> {
  await buildFunctions();
  if (
    !existsSync(
      join(__dirname, '..', '..', 'miniprogram', 'miniprogram_npm', 'tdesign-miniprogram', 'button'),
    )
  )
    buildMiniprogramNpm();
}
