// The WeChat Pay simulator in a child process of its own (./sim-child-main.ts under tsx), for runs that measure the
// stack's CPU apart from the simulator's (the bench): start it here, hand its URL to the stack
// (StackChildSpec.externalSimulatorUrl, or StackOptions.simulator with ./remote-simulator.ts), read each process's CPU.
import { join } from 'node:path';
import { forkIpcChild, stderrTail } from './ipc-child';

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
  return forkIpcChild<{ url: string; pid: number }, SimChild>({
    module: join(__dirname, 'sim-child-main.ts'),
    args: [JSON.stringify(spec)],
    name: 'simulator',
    execArgv: o.execArgv,
    stdout: 'ignore',
    echo: o.echo,
    startTimeoutMs: o.startTimeoutMs,
    exitError: (during, _e, stderr) =>
      new Error(
        during === 'call'
          ? `the simulator process exited: ${stderr.trim()}`
          : `the simulator exited before it was ready: ${stderrTail(stderr)}`,
      ),
    ready: (ready, ipc) => ({ url: ready.url, pid: ready.pid, cpuMs: ipc.cpuMs, stop: ipc.stop }),
  });
}
