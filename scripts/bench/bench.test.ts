// Smoke test of `npm run bench -- --quick`: a tiny run through a real stack produces the report with every section
// and sane accounting. Nothing here asserts a speed (figures on a shared machine are not test material); it asserts
// that the bench measures what it says (every operation answered, the flash sale accounted, no oversell).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, parseBenchArgs } from './bench';
import { ROUND_TRIP_TARGETS } from './lib/report';

describe('npm run bench -- --quick', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wxshop-bench-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses unknown arguments', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown argument "--fast"/);
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(/--runs/);
    expect(parseBenchArgs(['--quick', '--runs', '2'])).toMatchObject({ quick: true, runs: 2 });
  });

  it('runs a tiny bench and writes the report with every section', async () => {
    const out = join(dir, 'PERFORMANCE.md');
    // The bundles were just built by jest's global setup; rebuilding here would race other suites reading them.
    const [run] = await bench({ quick: true, runs: 1, out, build: false }, () => undefined);
    if (run === undefined) throw new Error('no run');
    const doc = readFileSync(out, 'utf8');
    for (const heading of [
      '## Machine',
      '## Results',
      '## Notes',
      'fsync’d appends/s',
      'checkouts',
      'ORDER.BUSY',
    ])
      expect(doc).toContain(heading);
    for (const op of Object.keys(ROUND_TRIP_TARGETS)) {
      // prettier pads table cells: the row starts with the operation and some spaces.
      expect(doc).toMatch(new RegExp(`\\| ${op.replace(/[()]/g, '\\$&')} +\\|`));
      expect(Number.isInteger(run.roundTrips[op])).toBe(true);
    }
    // The timed phases did real work: every checkout and notification answered ok.
    expect(run.checkouts).toMatchObject({ count: 12, errors: 0 });
    expect(run.notifications).toMatchObject({ count: 12, errors: 0 });
    expect(run.duplicates.errors).toBe(0);
    expect(run.verifyOnly.errors).toBe(0);
    // Every flash-sale shopper is accounted for, and nothing was sold twice.
    const f = run.flash;
    expect(f.sold + f.busy + f.outOfStock + f.otherErrors).toBe(f.shoppers);
    expect(f.oversold).toBe(0);
    expect(f.stockLeft).toBe(f.stock - f.sold);
    expect(run.scale.map((s) => s.orders)).toEqual([60, 120]);
    // The simulator ran in a process of its own: its CPU is measured apart (it verified and signed every pay.start).
    expect(run.checkouts.simCpuMsPerOp).toBeGreaterThan(0);
    // Issue 19's CPU targets are judged (met or missed) and the retired ratios are context rows without a target.
    const row = (label: string) => doc.split('\n').find((l) => l.startsWith(`| ${label}`)) ?? '';
    expect(row('stack CPU per notification ÷ per verify-only request')).toMatch(
      /≤ 1\.5 +\| \*\*(met|missed)\*\*/,
    );
    expect(row('… ÷ CPU of its two RSA signatures (bounds)')).toMatch(/≤ 4 +\| \*\*(met|missed)\*\*/);
    expect(row('… ÷ fsync bound')).not.toMatch(/met|missed/);
    expect(row('… ÷ RSA signatures/s')).not.toMatch(/met|missed/);
    expect(row('simulator CPU per checkout')).not.toBe('');
    expect(run.bundles.map((b) => b.name)).toContain('payNotify');
  }, 240_000);
});
