// The child side of ./sim-child.ts: the WeChat Pay simulator alone in this process (so a stack's CPU can be measured
// without the simulator's RSA work). Tells the parent its URL over IPC, answers `cpu`, stops when told or orphaned.
import { startSimulator, type SimIdentity } from '../../simulator';
import { readFileSync } from 'node:fs';
import type { SimChildSpec } from './sim-child';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as SimChildSpec;
  const sim = await startSimulator({
    dataDir: spec.dataDir,
    port: spec.port ?? 0,
    ...(spec.identityFile === undefined
      ? {}
      : { identity: JSON.parse(readFileSync(spec.identityFile, 'utf8')) as SimIdentity }),
    ...(spec.timeScale === undefined ? {} : { timeScale: spec.timeScale }),
    ...(spec.log === true ? { log: (line: string) => process.stderr.write(`[simulator] ${line}\n`) } : {}),
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= sim
      .close()
      .catch(() => undefined)
      .then(() => process.exit(0)));
  process.on('message', (m: { id: number; cmd: string }) => {
    if (m.cmd === 'stop') return void stop();
    const result = m.cmd === 'cpu' ? process.cpuUsage() : undefined;
    process.send?.(
      result === undefined
        ? { id: m.id, ok: false, error: `unknown command ${m.cmd}` }
        : { id: m.id, ok: true, result },
    );
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.send?.({ ready: { url: sim.url, pid: process.pid } });
}

main().catch((e: unknown) => {
  process.stderr.write(
    `the simulator failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
