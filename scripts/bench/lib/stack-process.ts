// Starts stack-child.ts in its own process (so the load generator and the stack do not share one event loop) and
// talks to it: ready info, then request/answer over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ChildInfo } from './stack-child';

/** A running stack process. */
export interface StackProcess {
  info: ChildInfo;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  /** CPU time the stack process used so far, in milliseconds (user + system). */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Forks the stack; resolves once it is serving (rejects with its stderr tail if it dies first). */
export function startStackProcess(env: Record<string, string> = {}): Promise<StackProcess> {
  const child: ChildProcess = fork(join(__dirname, 'stack-child.ts'), [], {
    // BENCH_CPU_PROF=<dir>: the stack writes a V8 CPU profile there when it stops (to see where its time goes).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
    if (process.env.BENCH_VERBOSE === '1') process.stderr.write(c);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  return new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      const e = new Error(
        `bench stack exited (${code ?? signal}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
      );
      for (const p of pending.values()) p.reject(e);
      pending.clear();
      reject(e);
    });
    child.on(
      'message',
      (m: { ready?: ChildInfo; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
        if (m.ready !== undefined) {
          const call = <T>(cmd: string, args?: Record<string, unknown>): Promise<T> =>
            new Promise<T>((res, rej) => {
              const id = nextId++;
              pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              child.send({ id, cmd, args });
            });
          resolve({
            info: m.ready,
            call,
            cpuMs: async () => {
              const u = await call<{ user: number; system: number }>('cpu');
              return (u.user + u.system) / 1000;
            },
            stop: () =>
              new Promise<void>((res) => {
                if (child.exitCode !== null) return res();
                child.once('exit', () => res());
                child.send({ id: 0, cmd: 'stop' });
                setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
              }),
          });
          return;
        }
        const p = m.id === undefined ? undefined : pending.get(m.id);
        if (p === undefined || m.id === undefined) return;
        pending.delete(m.id);
        if (m.ok === true) p.resolve(m.result);
        else p.reject(new Error(m.error ?? 'bench stack command failed'));
      },
    );
  });
}
