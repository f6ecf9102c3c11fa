// A chaos run against a stack in a child process that is killed with SIGKILL twice while notifications are being
// delivered, and started again on the same data dir and ports each time; the run then finishes and the invariants
// (and the money-path counters) are checked as in any chaos run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startStackChild, type StackChild, type StackChildSpec } from '../../../devcloud/harness';
import { CHAOS_TIME_SCALE, chaosFunctionEnv } from './local';
import { dbWriteFaultSpec, runChaos, type ChaosOptions, type ChaosReport } from './run';
import { sleep, StackClient } from './target';

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

/** Options: a chaos run's, plus how many kills (default 2) and after how many payments of a round to kill. */
export interface CrashOptions extends Omit<ChaosOptions, 'duringRound' | 'progress'> {
  kills?: number;
  logLevel?: string;
  /** Keep the data dir (default: only when an invariant failed). */
  keepData?: boolean;
}

export async function runCrash(o: CrashOptions): Promise<CrashReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wxshop-crash-'));
  // The same data dir and ports at every start: the notify_url WeChat holds stays valid across the kills.
  const spec: StackChildSpec = {
    dataDir,
    gatewayPort: await freePort(),
    simulatorPort: await freePort(),
    consolePort: await freePort(),
    console: true,
    timeScale: CHAOS_TIME_SCALE,
    env: chaosFunctionEnv(o.logLevel ?? 'silent'),
    log: true,
    setup: join(__dirname, 'child-setup.ts'),
    setupArgs: { orders: o.orders },
  };
  const logFile = join(dataDir, 'stack.log');
  let child: StackChild = await startStackChild(spec, { logFile });
  const client = new StackClient(child.gatewayUrl, child.simulatorUrl, child.consoleUrl!);
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
        await child.kill();
        const t0 = Date.now();
        child = await startStackChild(spec, { logFile });
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
    client.close();
    await child.stop();
    const keep = o.keepData ?? (report === undefined || report.violations.length > 0);
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}
