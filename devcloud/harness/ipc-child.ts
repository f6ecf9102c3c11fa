// A module run in a child process under tsx, driven over IPC: what ./child.ts (a whole stack) and ./sim-child.ts (the
// simulator alone) share. The child sends `{ ready }` once it serves and answers each `{ id, cmd, args }` with
// `{ id, ok, result | error }`; `{ id: 0, cmd: 'stop' }` asks it to close and exit.
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** How a child process ended. */
export interface IpcChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How to run the child process. */
export interface IpcChildOptions<R, T> {
  /** The module the child runs (under tsx). */
  module: string;
  /** Its argv (the spec as JSON). */
  args: string[];
  /** What it is, for errors: `the ${name} did not start`, `${name} command failed`. */
  name: string;
  /** Node flags besides `--import tsx`. */
  execArgv?: string[];
  /** The child's environment (default: ours). */
  env?: NodeJS.ProcessEnv;
  /** `ignore`: the child's stdout is not read at all. */
  stdout: 'pipe' | 'ignore';
  /** Append the child's stdout and stderr to this file (default: keep only a tail of stderr for errors). */
  logFile?: string;
  /** Echo the child's stderr to ours as it comes. */
  echo?: boolean;
  startTimeoutMs?: number;
  /** The error for a call still waiting (`call`) or for the start (`start`) once the process has exited. */
  exitError: (during: 'call' | 'start', e: IpcChildExit, stderr: string) => Error;
  /** What the start resolves with, made from the child's `ready` message. */
  ready: (ready: R, ipc: IpcChild) => T;
}

/** A running child process, as `IpcChildOptions.ready` gets it. */
export interface IpcChild {
  child: ChildProcess;
  /** Resolves once the process has exited (however). */
  exited: Promise<IpcChildExit>;
  /** Whether the process has exited. */
  gone: () => boolean;
  /** Sends a command and waits for its answer. */
  call: <T = unknown>(cmd: string, args?: Record<string, unknown>) => Promise<T>;
  /** CPU time the child process used so far, in milliseconds (user + system). */
  cpuMs: () => Promise<number>;
  /** Asks it to stop and waits (SIGKILL after 10 s). */
  stop: () => Promise<void>;
}

/** The last lines of a child's stderr, on one line. */
export function stderrTail(stderr: string): string {
  return stderr.trim().split('\n').slice(-5).join(' | ');
}

/** Forks the module; resolves once it reports ready (rejects with `exitError` if it dies first). */
export function forkIpcChild<R, T>(o: IpcChildOptions<R, T>): Promise<T> {
  const child: ChildProcess = fork(o.module, o.args, {
    execArgv: ['--import', 'tsx', ...(o.execArgv ?? [])],
    ...(o.env === undefined ? {} : { env: o.env }),
    stdio: ['ignore', o.stdout, 'pipe', 'ipc'],
  });
  const logStream = o.logFile === undefined ? undefined : createWriteStream(o.logFile, { flags: 'a' });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
    if (o.echo === true) process.stderr.write(c);
  });
  if (logStream) {
    child.stdout?.pipe(logStream);
    child.stderr?.pipe(logStream);
  } else child.stdout?.resume();
  const exited = new Promise<IpcChildExit>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  void exited.then((e) => {
    const err = o.exitError('call', e, stderr);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  const call = <T>(cmd: string, args?: Record<string, unknown>): Promise<T> =>
    new Promise<T>((res, rej) => {
      if (gone()) return rej(new Error(`the ${o.name} process is gone (command ${cmd})`));
      const id = nextId++;
      pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
      child.send({ id, cmd, args });
    });
  const ipc: IpcChild = {
    child,
    exited,
    gone,
    call,
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
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `the ${o.name} did not start in ${(o.startTimeoutMs ?? 60_000) / 1000} s${o.logFile ? ` (log: ${o.logFile})` : ''}`,
        ),
      );
    }, o.startTimeoutMs ?? 60_000);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(o.exitError('start', e, stderr));
    });
    child.on('message', (m: { ready?: R; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.ready !== undefined) {
        clearTimeout(timer);
        resolve(o.ready(m.ready, ipc));
        return;
      }
      const p = m.id === undefined ? undefined : pending.get(m.id);
      if (p === undefined || m.id === undefined) return;
      pending.delete(m.id);
      if (m.ok === true) p.resolve(m.result);
      else p.reject(new Error(m.error ?? `${o.name} command failed`));
    });
  });
}
