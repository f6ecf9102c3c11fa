// A whole local stack (simulator + local cloud running the built bundles) in a child process, for tests that kill it
// with SIGKILL. argv: <dataDir> <identity.json>. Prints one JSON line {"event":"stack.ready", gatewayUrl, simulatorUrl}.
import { readFileSync } from 'node:fs';
import type { SimIdentity } from '../../simulator';
import { startStack } from '../../devcloud/stack/stack';

async function main(): Promise<void> {
  const [dataDir, identityFile] = process.argv.slice(2);
  if (dataDir === undefined || identityFile === undefined)
    throw new Error('usage: stack-child.ts <dataDir> <identity.json>');
  const identity = JSON.parse(readFileSync(identityFile, 'utf8')) as SimIdentity;
  const stack = await startStack({
    dataDir,
    identity,
    timers: false,
    console: false,
    log: () => undefined,
    env: { LOG_LEVEL: 'silent' },
  });
  process.stdout.write(
    `${JSON.stringify({ event: 'stack.ready', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl })}\n`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
