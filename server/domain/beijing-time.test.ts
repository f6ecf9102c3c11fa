import { beijingRfc3339, beijingWallClock, epochMsFromBeijing } from './beijing-time';

describe('Beijing time', () => {
  it('reads 16:00 UTC as midnight of the next Beijing day', () => {
    const d = beijingWallClock(Date.UTC(2026, 1, 28, 16, 0, 1));
    expect([d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours()]).toEqual([
      2026, 3, 1, 0,
    ]);
  });

  it('turns a Beijing wall-clock time back into the instant it names', () => {
    expect(epochMsFromBeijing(2026, 3, 1, 0, 0, 1)).toBe(Date.UTC(2026, 1, 28, 16, 0, 1));
  });

  it('refuses fields that name no real moment instead of rolling them over', () => {
    expect(epochMsFromBeijing(2026, 2, 30, 0, 0, 0)).toBeUndefined();
    expect(epochMsFromBeijing(2026, 13, 1, 0, 0, 0)).toBeUndefined();
    expect(epochMsFromBeijing(2026, 3, 1, 24, 0, 0)).toBeUndefined();
    expect(epochMsFromBeijing(2026, 3, 1, 0, 60, 0)).toBeUndefined();
  });
});

describe('beijingRfc3339', () => {
  const t = Date.UTC(2026, 11, 6, 23, 59, 59, 999); // 2026-12-07 07:59:59.999 in Beijing
  it('whole seconds drop the milliseconds (time_expire)', () => {
    expect(beijingRfc3339(t, 'second')).toBe('2026-12-07T07:59:59+08:00');
  });
  it('milliseconds keep them (upload_time)', () => {
    expect(beijingRfc3339(t, 'millisecond')).toBe('2026-12-07T07:59:59.999+08:00');
  });
});
