// kill -9 of the local stack (a child process) twice during notification storms, restarted on the same data: the
// run finishes, the invariants hold and the money-path counters equal the orders (the full run is `npm run crash`).
import { runCrash, type CrashReport } from '../../scripts/chaos/lib/crash';
import { formatReport } from '../../scripts/chaos/lib/run';
import { VIOLATION_CODES } from '../../scripts/chaos/lib/invariants';
import { KNOWN_OPEN } from './known-open';

const SEED = 7;
const ORDERS = 100;

describe('kill -9 during notification storms, twice', () => {
  let report: CrashReport;
  beforeAll(async () => {
    report = await runCrash({ seed: SEED, orders: ORDERS, roundSize: 25, keepData: false });
    console.log(formatReport(report));
  }, 240_000);

  it('killed the stack twice while payments were being notified', () => {
    expect(report.kills).toHaveLength(2);
    for (const k of report.kills) expect(k.paidBeforeKill).toBeGreaterThan(0);
    expect(report.placed).toBeGreaterThan(ORDERS * 0.9);
    expect(report.driverFailures).toEqual([]);
  });

  it.each(VIOLATION_CODES.filter((c) => !KNOWN_OPEN.includes(c)))('holds: %s', (code) => {
    expect(report.violations.filter((v) => v.code === code)).toEqual([]);
  });
});
