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
    expect(parseBenchArgs(['--latency', 'off']).latency).toBeNull();
    expect(parseBenchArgs(['--latency', 'db=5,pay=40']).latency).toMatchObject({
      dbMs: 5,
      payMs: 40,
      callMs: 80,
    });
    expect(() => parseBenchArgs(['--latency', 'disk=1'])).toThrow(/bad latency/);
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
    expect(run.bundles.map((b) => b.name)).toContain('payNotify');
    // The latency phase (cloud defaults): every operation answered, on its chain of dependent steps, and each
    // function's cold first call reported.
    expect(doc).toContain('**Latency**');
    const lat = run.latency;
    if (lat === undefined) throw new Error('no latency phase');
    for (const op of lat.ops) {
      expect(op).toMatchObject({ errors: 0 });
      expect(op.count).toBeGreaterThan(0);
      expect(op.depth).toEqual({ db: op.chain.db, pay: op.chain.pay });
      expect(op.boundMs).toBeGreaterThan(0);
    }
    expect(lat.cold.map((c) => c.op).sort()).toEqual([
      'order.checkout',
      'pay.start',
      'payNotify',
      'shop.addToCart',
    ]);
    for (const c of lat.cold) expect(c.coldDepth).toEqual(c.warmDepth);
  }, 240_000);
});
