// The virtual clock and WeChat's time formats.
import {
  VirtualClock,
  beijingDate,
  beijingMidnight,
  formatBeijingDateTime,
  formatRfc3339Beijing,
  parseRfc3339,
} from './clock';

function fakeReal(start: number): { now: () => number; tick: (ms: number) => void } {
  let t = start;
  return { now: () => t, tick: (ms) => (t += ms) };
}

describe('VirtualClock', () => {
  it('runs at timeScale × real speed', () => {
    const real = fakeReal(1_000_000);
    const c = new VirtualClock(undefined, 60, real.now);
    expect(c.now()).toBe(1_000_000);
    real.tick(1000);
    expect(c.now()).toBe(1_060_000);
    expect(c.realDelayUntil(1_120_000)).toBe(1000);
  });

  it('jumps forward but never backwards', () => {
    const real = fakeReal(0);
    const c = new VirtualClock(undefined, 1, real.now);
    c.jumpTo(5000);
    expect(c.now()).toBe(5000);
    c.jumpTo(1000);
    expect(c.now()).toBe(5000);
    real.tick(10);
    expect(c.now()).toBe(5010);
  });

  it('changes speed without moving time', () => {
    const real = fakeReal(0);
    const c = new VirtualClock(undefined, 1, real.now);
    real.tick(100);
    c.setTimeScale(10);
    expect(c.now()).toBe(100);
    real.tick(100);
    expect(c.now()).toBe(1100);
    expect(() => c.setTimeScale(0)).toThrow(/positive/);
  });

  it('continues from a saved state, counting the time that passed at the saved speed', () => {
    const real = fakeReal(0);
    const c = new VirtualClock(undefined, 2, real.now);
    c.jumpTo(1_000_000);
    const saved = c.state();
    real.tick(500);
    const again = new VirtualClock(saved, 1, real.now);
    expect(again.now()).toBe(1_001_000);
    expect(again.timeScale).toBe(1);
  });

  it('refuses a non-positive time scale', () => {
    expect(() => new VirtualClock(undefined, -1)).toThrow(/timeScale/);
    expect(() => new VirtualClock(undefined, Number.NaN)).toThrow(/timeScale/);
  });
});

describe('time formats', () => {
  it('prints Beijing time in RFC 3339 and bill format', () => {
    const t = Date.UTC(2026, 10, 23, 2, 34, 56); // 10:34:56 in Beijing
    expect(formatRfc3339Beijing(t)).toBe('2026-11-23T10:34:56+08:00');
    expect(formatBeijingDateTime(t)).toBe('2026-11-23 10:34:56');
    expect(beijingDate(Date.UTC(2026, 10, 23, 16, 0, 0))).toBe('2026-11-24');
    expect(beijingMidnight('2026-11-24')).toBe(Date.UTC(2026, 10, 23, 16, 0, 0));
    expect(beijingMidnight('2026-02-30')).toBeUndefined();
    expect(beijingMidnight('20261124')).toBeUndefined();
  });

  it.each([
    ['2026-11-23T10:34:56+08:00', Date.UTC(2026, 10, 23, 2, 34, 56)],
    ['2026-11-23T02:34:56Z', Date.UTC(2026, 10, 23, 2, 34, 56)],
    ['2026-11-23T02:34:56.789Z', Date.UTC(2026, 10, 23, 2, 34, 56, 789)],
    ['2026-11-22T21:34:56-05:00', Date.UTC(2026, 10, 23, 2, 34, 56)],
  ])('parses %s', (text, ms) => {
    expect(parseRfc3339(text)).toBe(ms);
  });

  it.each([
    '2026-11-23 10:34:56+08:00',
    '2026-11-23T10:34:56',
    '2026-02-30T00:00:00+08:00',
    '2026-13-01T00:00:00Z',
    'tomorrow',
    '2026-11-23T24:00:00Z',
  ])('refuses %s', (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });
});
