// The WeChat Pay simulator in a child process of its own (./sim-child-main.ts under tsx), for runs that measure the
// stack's CPU apart from the simulator's (the bench): start it here, hand its URL to the stack
// (StackChildSpec.externalSimulatorUrl, or StackOptions.simulator with ./remote-simulator.ts), read each process's CPU.
import { fork } from 'node:child_process';
import { join } from 'node:path';

/** How to start the simulator in the child; plain JSON (it travels in argv). */
export interface SimChildSpec {
  dataDir: string;
  port?: number;
  /** A SimIdentity as JSON (saves generating RSA keys). */
  identityFile?: string;
  timeScale?: number;
  /** The simulator's log lines go to the child's stderr. */
  log?: boolean;
}

/** A running simulator process. */
export interface SimChild {
  url: string;
  pid: number;
  /** CPU time the simulator process used so far, in milliseconds (user + system). */
  cpuMs(): Promise<number>;
  /** Asks it to stop and waits (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Starts the simulator in a child process; resolves once it serves (rejects with its stderr tail if it dies first). */
export function startSimulatorChild(
  spec: SimChildSpec,
  o: { execArgv?: string[]; echo?: boolean; startTimeoutMs?: number } = {},
): Promise<SimChild> {
  const child = fork(join(__dirname, 'sim-child-main.ts'), [JSON.stringify(spec)], {
    execArgv: ['--import', 'tsx', ...(o.execArgv ?? [])],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
    if (o.echo === true) process.stderr.write(c);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`the simulator process exited: ${stderr.trim()}`));
    pending.clear();
  });
  const call = <T>(cmd: string): Promise<T> =>
    new Promise<T>((res, rej) => {
      if (gone()) return rej(new Error(`the simulator process is gone (command ${cmd})`));
      const id = nextId++;
      pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
      child.send({ id, cmd });
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the simulator did not start in ${(o.startTimeoutMs ?? 60_000) / 1000} s`));
    }, o.startTimeoutMs ?? 60_000);
    void exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(
          `the simulator exited before it was ready: ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
        ),
      );
    });
    child.on(
      'message',
      (m: {
        ready?: { url: string; pid: number };
        id?: number;
        ok?: boolean;
        result?: unknown;
        error?: string;
      }) => {
        if (m.ready !== undefined) {
          clearTimeout(timer);
          resolve({
            url: m.ready.url,
            pid: m.ready.pid,
            cpuMs: async () => {
              const u = await call<{ user: number; system: number }>('cpu');
              return (u.user + u.system) / 1000;
            },
            stop: async () => {
              if (gone()) return;
              const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
              force.unref();
              try {
                child.send({ id: 0, cmd: 'stop' });
              } catch {
                // the channel closed as it was exiting on its own
              }
              await exited;
              clearTimeout(force);
            },
          });
          return;
        }
        const p = m.id === undefined ? undefined : pending.get(m.id);
        if (p === undefined || m.id === undefined) return;
        pending.delete(m.id);
        if (m.ok === true) p.resolve(m.result);
        else p.reject(new Error(m.error ?? 'simulator command failed'));
      },
    );
  });
}
