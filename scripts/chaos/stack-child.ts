// The local stack as a child process for crash runs: `tsx scripts/chaos/stack-child.ts --data-dir D --gateway-port P
// --simulator-port Q --console-port R --orders N [--log-level L]`. On the first start of a data dir it restocks the catalog for a run
// of N orders; every start prints one JSON line {"event":"chaos-stack.ready",gatewayUrl,simulatorUrl,pid} on stdout.
// It is meant to be killed with SIGKILL and started again on the same data dir and ports (notify_url stays valid).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack } from '../../devcloud/stack/stack';
import { CHAOS_TIME_SCALE, chaosFunctionEnv } from './lib/local';
import { prepareChaosCatalog } from './lib/run';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const dataDir = arg('--data-dir');
  const i = process.argv.indexOf('--log-level');
  const logLevel = i >= 0 ? (process.argv[i + 1] ?? 'silent') : 'silent';
  const stack = await startStack({
    dataDir,
    gatewayPort: Number(arg('--gateway-port')),
    simulatorPort: Number(arg('--simulator-port')),
    consolePort: Number(arg('--console-port')),
    timers: false,
    timeScale: CHAOS_TIME_SCALE,
    log: (line) => process.stderr.write(`${line}\n`),
    env: chaosFunctionEnv(logLevel),
  });
  const marker = join(dataDir, 'chaos-catalog-prepared');
  if (!existsSync(marker)) {
    await prepareChaosCatalog(stack.cloud.db, Number(arg('--orders')));
    writeFileSync(marker, 'yes\n');
  }
  process.stdout.write(
    `${JSON.stringify({ event: 'chaos-stack.ready', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl, consoleUrl: stack.consoleUrl, pid: process.pid })}\n`,
  );
  const stop = () => {
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(
    `chaos stack failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
