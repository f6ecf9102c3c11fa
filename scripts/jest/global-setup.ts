// Builds the cloud function bundles once before any test, so suites that run them through the local cloud test
// exactly what DevTools would upload (and never race on half-written bundles).
import { buildFunctions } from '../build';

export default async function globalSetup(): Promise<void> {
  await buildFunctions();
}
