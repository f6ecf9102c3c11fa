// A chaos run against a stack in a child process that is killed with SIGKILL twice while notifications are being
// delivered, and started again on the same data dir and ports each time; the run then finishes and the invariants
// (and the money-path counters) are checked as in any chaos run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { dbWriteFaultSpec, runChaos, type ChaosOptions, type ChaosReport } from './run';
import { sleep, StackClient } from './target';

const ROOT = resolve(__dirname, '..', '..', '..');

/** One kill: when, and how much was in flight. */
export interface KillRecord {
  round: number;
  paidBeforeKill: number;
  notificationsPendingAtKill: number;
  restartMs: number;
}

export interface CrashReport extends ChaosReport {
  kills: KillRecord[];
  dataDir: string;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
}

function startChild(
  args: string[],
  logFile: string,
): Promise<Child & { gatewayUrl: string; simulatorUrl: string; consoleUrl: string }> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts', 'chaos', 'stack-child.ts'), ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(logFile, { flags: 'a' });
  proc.stderr.pipe(log);
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      fail(new Error(`the stack did not start in 60 s (log: ${logFile})`));
    }, 60_000);
    void exited.then(() => {
      clearTimeout(timer);
      fail(new Error(`the stack exited before it was ready (log: ${logFile})`));
    });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      let msg: { event?: string; gatewayUrl?: string; simulatorUrl?: string; consoleUrl?: string } = {};
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        log.write(`${line}\n`);
        return;
      }
      if (msg.event === 'chaos-stack.ready' && msg.gatewayUrl && msg.simulatorUrl && msg.consoleUrl) {
        clearTimeout(timer);
        ready({
          proc,
          exited,
          gatewayUrl: msg.gatewayUrl,
          simulatorUrl: msg.simulatorUrl,
          consoleUrl: msg.consoleUrl,
        });
      } else log.write(`${line}\n`);
    });
  });
}

/** Options: a chaos run's, plus how many kills (default 2) and after how many payments of a round to kill. */
export interface CrashOptions extends Omit<ChaosOptions, 'duringRound' | 'progress'> {
  kills?: number;
  logLevel?: string;
  /** Keep the data dir (default: only when an invariant failed). */
  keepData?: boolean;
}

export async function runCrash(o: CrashOptions): Promise<CrashReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wxshop-crash-'));
  const [gatewayPort, simulatorPort, consolePort] = [await freePort(), await freePort(), await freePort()];
  const args = [
    '--data-dir',
    dataDir,
    '--gateway-port',
    String(gatewayPort),
    '--simulator-port',
    String(simulatorPort),
    '--console-port',
    String(consolePort),
    '--orders',
    String(o.orders),
    '--log-level',
    o.logLevel ?? 'silent',
  ];
  const logFile = join(dataDir, 'stack.log');
  let child = await startChild(args, logFile);
  const client = new StackClient(child.gatewayUrl, child.simulatorUrl, child.consoleUrl);
  const kills: KillRecord[] = [];
  const wanted = o.kills ?? 2;
  const progress = { paid: 0 };
  const carried = { writes: 0, failedBefore: 0, failedAfter: 0 };
  let report: ChaosReport | undefined;
  try {
    report = await runChaos(client, {
      ...o,
      progress,
      duringRound: async (round, rounds) => {
        // Kill in evenly spread rounds, once that round's payments are flowing (a storm of notifications).
        const killRounds = Array.from({ length: wanted }, (_x, k) =>
          Math.floor(((k + 0.5) * rounds) / wanted),
        );
        if (!killRounds.includes(round) || kills.length >= wanted) return;
        const from = progress.paid;
        for (let w = 0; w < 600 && progress.paid - from < 8; w++) await sleep(10);
        const pending = (
          await client.sim.notifications({ status: 'pending', limit: 100_000 }).catch(() => [])
        ).length;
        const paidBeforeKill = progress.paid;
        const db = await client.dbWriteFaults().catch(() => null);
        if (db) {
          carried.writes += db.writes;
          carried.failedBefore += db.failedBefore;
          carried.failedAfter += db.failedAfter;
        }
        child.proc.kill('SIGKILL');
        await child.exited;
        const t0 = Date.now();
        child = await startChild(args, logFile);
        // The injector lives in the stack's memory: the storm goes on after the restart.
        await client.setDbWriteFaults(dbWriteFaultSpec(o));
        kills.push({
          round,
          paidBeforeKill,
          notificationsPendingAtKill: pending,
          restartMs: Date.now() - t0,
        });
        o.log?.(
          `killed -9 in round ${round + 1} after ${paidBeforeKill} payments (${pending} notifications pending); restarted in ${Date.now() - t0} ms`,
        );
      },
    });
    const f = report.faults;
    return {
      ...report,
      faults: {
        ...f,
        dbWrites: f.dbWrites + carried.writes,
        dbFailedBefore: f.dbFailedBefore + carried.failedBefore,
        dbFailedAfter: f.dbFailedAfter + carried.failedAfter,
      },
      kills,
      dataDir,
    };
  } finally {
    child.proc.kill('SIGTERM');
    await Promise.race([child.exited, sleep(10_000)]);
    if (!child.proc.killed || child.proc.exitCode === null) child.proc.kill('SIGKILL');
    const keep = o.keepData ?? (report === undefined || report.violations.length > 0);
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}
