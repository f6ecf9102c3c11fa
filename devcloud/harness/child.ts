// A whole local stack in a child process (./child-main.ts under tsx): for runs that must not share the event loop
// with their load generator (the bench) and for runs that kill the stack with SIGKILL and start it again on the same
// data and ports (crash runs, crash tests). The parent talks to it over HTTP like any client (`gateway`) and, over
// IPC, asks for what only the stack's own process can do (the commands of the spec's setup module, and its CPU time).
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Stack } from '../stack/stack';
import { GatewayClient } from './gateway-client';

/** How to start the stack in the child; plain JSON (it travels in argv). */
export interface StackChildSpec {
  dataDir: string;
  /** A SimIdentity as JSON (saves generating RSA keys); absent: the stack's own, kept in the data dir. */
  identityFile?: string;
  /** Fixed ports, so a stack started again after a kill keeps its URLs (the notify_url WeChat holds stays valid). */
  gatewayPort?: number;
  simulatorPort?: number;
  /**
   * Use the simulator already serving at this URL (its own process: ./sim-child.ts) instead of starting one in the
   * stack's process, so the stack process's CPU does not include the simulator's.
   */
  externalSimulatorUrl?: string;
  consolePort?: number;
  console?: boolean;
  timeScale?: number;
  /** The functions' settings on top of the stack's own. */
  env?: Record<string, string>;
  /** The stack's own log lines go to the child's stderr. */
  log?: boolean;
  /** Absolute path of a module exporting `setup: ChildSetup`, run in the child once the stack serves. */
  setup?: string;
  /** Anything the setup module needs (JSON). */
  setupArgs?: Record<string, unknown>;
}

/** What a setup module adds: commands the parent may send, info it reports once, and what to close on stop. */
export type ChildSetup = (
  stack: Stack,
  ctx: { spec: StackChildSpec; log: (line: string) => void },
) => Promise<{
  commands?: Record<string, (args: Record<string, unknown>) => Promise<unknown>>;
  info?: unknown;
  close?: () => Promise<void>;
}>;

/** A request from the parent. */
export interface ChildRequest {
  id: number;
  cmd: string;
  args?: Record<string, unknown>;
}

/** What the child reports once it serves. */
export interface ChildReady {
  gatewayUrl: string;
  simulatorUrl: string;
  consoleUrl: string | null;
  pid: number;
  info: unknown;
}

/** How the parent runs the child process. */
export interface StackChildOptions {
  /** Append the child's stdout and stderr to this file (default: keep only a tail of stderr for errors). */
  logFile?: string;
  /** Echo the child's stderr to ours as it comes. */
  echo?: boolean;
  /** Node flags besides `--import tsx` (a CPU profile, say). */
  execArgv?: string[];
  /** The child process's environment on top of ours. */
  processEnv?: Record<string, string>;
  startTimeoutMs?: number;
}

/** A running stack process. `I` is what its setup module reported. */
export interface StackChild<I = unknown> {
  gatewayUrl: string;
  simulatorUrl: string;
  consoleUrl: string | null;
  pid: number;
  info: I;
  gateway: GatewayClient;
  /** Resolves once the process has exited (however). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a command to the setup module (or `cpu`). */
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  /** CPU time the stack process used so far, in milliseconds (user + system). */
  cpuMs(): Promise<number>;
  /** SIGKILL now: nothing is flushed, nothing closed; resolves once it is gone. */
  kill(): Promise<void>;
  /** Asks the stack to close and waits (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** A port free right now on 127.0.0.1 (to start a stack again on the same ports after a kill). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** Starts the stack in a child process; resolves once it serves (rejects with its stderr tail if it dies first). */
export function startStackChild<I = unknown>(
  spec: StackChildSpec,
  o: StackChildOptions = {},
): Promise<StackChild<I>> {
  const child: ChildProcess = fork(join(__dirname, 'child-main.ts'), [JSON.stringify(spec)], {
    execArgv: ['--import', 'tsx', ...(o.execArgv ?? [])],
    env: { ...process.env, ...o.processEnv },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const whyDead = (what: string, e: { code: number | null; signal: NodeJS.Signals | null }) =>
    new Error(
      `${what} (${e.code ?? e.signal}): ${stderr.trim().split('\n').slice(-5).join(' | ')}${o.logFile ? ` (log: ${o.logFile})` : ''}`,
    );
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  void exited.then((e) => {
    const err = whyDead('the stack process exited', e);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  const call = <T>(cmd: string, args?: Record<string, unknown>): Promise<T> =>
    new Promise<T>((res, rej) => {
      if (child.exitCode !== null || child.signalCode !== null)
        return rej(new Error(`the stack process is gone (command ${cmd})`));
      const id = nextId++;
      pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
      child.send({ id, cmd, args } satisfies ChildRequest);
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `the stack did not start in ${(o.startTimeoutMs ?? 60_000) / 1000} s${o.logFile ? ` (log: ${o.logFile})` : ''}`,
        ),
      );
    }, o.startTimeoutMs ?? 60_000);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(whyDead('the stack exited before it was ready', e));
    });
    child.on(
      'message',
      (m: { ready?: ChildReady; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
        if (m.ready !== undefined) {
          clearTimeout(timer);
          const gateway = new GatewayClient(m.ready.gatewayUrl);
          const gone = () => child.exitCode !== null || child.signalCode !== null;
          resolve({
            gatewayUrl: m.ready.gatewayUrl,
            simulatorUrl: m.ready.simulatorUrl,
            consoleUrl: m.ready.consoleUrl,
            pid: m.ready.pid,
            info: m.ready.info as I,
            gateway,
            exited,
            call,
            cpuMs: async () => {
              const u = await call<{ user: number; system: number }>('cpu');
              return (u.user + u.system) / 1000;
            },
            kill: async () => {
              gateway.close();
              if (!gone()) child.kill('SIGKILL');
              await exited;
            },
            stop: async () => {
              gateway.close();
              if (gone()) return;
              const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
              force.unref();
              try {
                child.send({ id: 0, cmd: 'stop' } satisfies ChildRequest);
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
        else p.reject(new Error(m.error ?? 'stack command failed'));
      },
    );
  });
}
