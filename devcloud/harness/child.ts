// A whole local stack in a child process (./child-main.ts under tsx): for runs that must not share the event loop
// with their load generator (the bench) and for runs that kill the stack with SIGKILL and start it again on the same
// data and ports (crash runs, crash tests). The parent talks to it over HTTP like any client (`gateway`) and, over
// IPC, asks for what only the stack's own process can do (the commands of the spec's setup module, and its CPU time).
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Stack } from '../stack/stack';
import { GatewayClient } from './gateway-client';
import { forkIpcChild, stderrTail, type IpcChildExit } from './ipc-child';

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
  const whyDead = (what: string, e: IpcChildExit, stderr: string) =>
    new Error(
      `${what} (${e.code ?? e.signal}): ${stderrTail(stderr)}${o.logFile ? ` (log: ${o.logFile})` : ''}`,
    );
  return forkIpcChild<ChildReady, StackChild<I>>({
    module: join(__dirname, 'child-main.ts'),
    args: [JSON.stringify(spec)],
    name: 'stack',
    execArgv: o.execArgv,
    env: { ...process.env, ...o.processEnv },
    stdout: 'pipe',
    logFile: o.logFile,
    echo: o.echo,
    startTimeoutMs: o.startTimeoutMs,
    exitError: (during, e, stderr) =>
      whyDead(
        during === 'call' ? 'the stack process exited' : 'the stack exited before it was ready',
        e,
        stderr,
      ),
    ready: (ready, ipc) => {
      const gateway = new GatewayClient(ready.gatewayUrl);
      return {
        gatewayUrl: ready.gatewayUrl,
        simulatorUrl: ready.simulatorUrl,
        consoleUrl: ready.consoleUrl,
        pid: ready.pid,
        info: ready.info as I,
        gateway,
        exited: ipc.exited,
        call: ipc.call,
        cpuMs: ipc.cpuMs,
        kill: async () => {
          gateway.close();
          if (!ipc.gone()) ipc.child.kill('SIGKILL');
          await ipc.exited;
        },
        stop: async () => {
          gateway.close();
          await ipc.stop();
        },
      };
    },
  });
}
