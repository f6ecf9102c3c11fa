// The child side of ./child.ts: starts a stack from the spec in argv[2] (JSON), runs the spec's setup module, tells
// the parent over IPC that it is ready, then answers the parent's commands until it is told to stop, loses its parent,
// or is killed with SIGKILL (which is what crash runs and crash tests do to it, then start it again on the same data).
import { readFileSync } from 'node:fs';
import type { SimIdentity } from '../../simulator';
import { startStack } from '../stack/stack';
import type { ChildReady, ChildRequest, ChildSetup, StackChildSpec } from './child';
import { connectSimulator } from './remote-simulator';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as StackChildSpec;
  const log = spec.log === true ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined;
  const stack = await startStack({
    dataDir: spec.dataDir,
    timers: false,
    console: spec.console ?? false,
    log,
    env: spec.env ?? {},
    ...(spec.identityFile === undefined
      ? {}
      : { identity: JSON.parse(readFileSync(spec.identityFile, 'utf8')) as SimIdentity }),
    ...(spec.gatewayPort === undefined ? {} : { gatewayPort: spec.gatewayPort }),
    ...(spec.simulatorPort === undefined ? {} : { simulatorPort: spec.simulatorPort }),
    ...(spec.externalSimulatorUrl === undefined
      ? {}
      : { simulator: await connectSimulator(spec.externalSimulatorUrl) }),
    ...(spec.consolePort === undefined ? {} : { consolePort: spec.consolePort }),
    ...(spec.timeScale === undefined ? {} : { timeScale: spec.timeScale }),
  });
  const setup: Awaited<ReturnType<ChildSetup>> =
    spec.setup === undefined
      ? {}
      : // The setup module is named at run time; the child runs under tsx, whose CommonJS hook loads it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        await (require(spec.setup) as { setup: ChildSetup }).setup(stack, { spec, log });

  let stopping: Promise<void> | undefined;
  const stop = (code: number) => {
    stopping ??= (async () => {
      await setup.close?.().catch(() => undefined);
      await stack.close().catch(() => undefined);
      process.exit(code);
    })();
    return stopping;
  };
  const commands: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
    ...setup.commands,
    cpu: () => Promise.resolve(process.cpuUsage()),
    stop: () => stop(0),
  };
  process.on('message', (m: ChildRequest) => {
    const command = commands[m.cmd];
    const run = command ? command(m.args ?? {}) : Promise.reject(new Error(`unknown command ${m.cmd}`));
    run.then(
      (result) => process.send?.({ id: m.id, ok: true, result }),
      (e: unknown) =>
        process.send?.({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.on('disconnect', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  const ready: ChildReady = {
    gatewayUrl: stack.gatewayUrl,
    simulatorUrl: stack.simulatorUrl,
    consoleUrl: stack.consoleUrl,
    pid: process.pid,
    info: setup.info ?? null,
  };
  process.send?.({ ready });
}

main().catch((e: unknown) => {
  process.stderr.write(
    `the stack failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
