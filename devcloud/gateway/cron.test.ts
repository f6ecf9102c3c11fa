import { nextFireTime, parseCron } from './cron';

// Wall-clock times in China (UTC+8) as epoch ms.
const cst = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h - 8, mi, s);

describe('parseCron', () => {
  it('parses lists, ranges, steps and names', () => {
    const s = parseCron('0 */15 9-11 1,15 JAN-MAR MON-FRI *');
    expect([...s.seconds]).toEqual([0]);
    expect([...s.minutes]).toEqual([0, 15, 30, 45]);
    expect([...s.hours]).toEqual([9, 10, 11]);
    expect([...s.days]).toEqual([1, 15]);
    expect([...s.months]).toEqual([1, 2, 3]);
    expect([...s.weekdays]).toEqual([1, 2, 3, 4, 5]);
    expect(s.years.size).toBe(130);
    expect(parseCron('5/20 * * * * * *').seconds).toEqual(new Set([5, 25, 45]));
    expect(parseCron('0 0 0 * * sun,sat 2030').weekdays).toEqual(new Set([0, 6]));
  });

  it.each([
    ['0 */5 * * * *', /has 6 fields/],
    ['60 * * * * * *', /second value 60 is outside 0-59/],
    ['0 0 25 * * * *', /hour value 25/],
    ['0 0 0 0 * * *', /day-of-month value 0/],
    ['0 0 0 * 13 * *', /month value 13/],
    ['0 0 0 * * 7 *', /weekday value 7/],
    ['0 0 0 * * * 2100', /year value 2100/],
    ['0 5-1 * * * * *', /runs backwards/],
    ['0 */0 * * * * *', /step "0"/],
    ['0 1,,2 * * * * *', /empty item/],
    ['0 0 0 ? * * *', /day-of-month value "\?"/],
    ['0 0 0 * FOO * *', /month value "FOO" is not a number or name/],
  ])('refuses %s', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(message);
  });
});

describe('nextFireTime', () => {
  it('finds the next second, minute and hour boundary strictly after the given time', () => {
    const every5min = parseCron('0 */5 * * * * *');
    expect(nextFireTime(every5min, cst(2026, 3, 1, 10, 2, 30))).toBe(cst(2026, 3, 1, 10, 5, 0));
    expect(nextFireTime(every5min, cst(2026, 3, 1, 10, 5, 0))).toBe(cst(2026, 3, 1, 10, 10, 0));
    expect(nextFireTime(parseCron('* * * * * * *'), cst(2026, 3, 1, 10, 0, 0) + 400)).toBe(
      cst(2026, 3, 1, 10, 0, 1),
    );
  });

  it('reads fields in China Standard Time by default, or in the given zone', () => {
    const twoAm = parseCron('0 0 2 * * * *');
    expect(nextFireTime(twoAm, cst(2026, 3, 1, 12))).toBe(cst(2026, 3, 2, 2));
    expect(nextFireTime(twoAm, Date.UTC(2026, 2, 1, 12), 0)).toBe(Date.UTC(2026, 2, 2, 2));
  });

  it('rolls over months and years and respects short months and leap years', () => {
    expect(nextFireTime(parseCron('0 0 0 31 * * *'), cst(2026, 4, 1))).toBe(cst(2026, 5, 31));
    expect(nextFireTime(parseCron('0 0 0 29 2 * *'), cst(2026, 1, 1))).toBe(cst(2028, 2, 29));
    expect(nextFireTime(parseCron('0 0 0 1 1 * 2027'), cst(2026, 6, 1))).toBe(cst(2027, 1, 1));
    expect(nextFireTime(parseCron('0 0 0 1 1 * 2027'), cst(2027, 6, 1))).toBeUndefined();
  });

  it('uses 0 = Sunday and ORs day-of-month with weekday when both are restricted', () => {
    // 2026-03-01 is a Sunday.
    expect(nextFireTime(parseCron('0 0 8 * * 0 *'), cst(2026, 2, 27))).toBe(cst(2026, 3, 1, 8));
    expect(nextFireTime(parseCron('0 0 8 * * MON *'), cst(2026, 2, 27))).toBe(cst(2026, 3, 2, 8));
    const either = parseCron('0 0 8 10 * SUN *');
    expect(nextFireTime(either, cst(2026, 3, 2))).toBe(cst(2026, 3, 8, 8));
    expect(nextFireTime(either, cst(2026, 3, 8, 9))).toBe(cst(2026, 3, 10, 8));
  });
});
