// Beijing time, the one clock face WeChat Pay writes: bills and their days, v2 and v3 timestamps, and our ids.
// Pure arithmetic on instants passed in; nothing here reads a clock.

/** Beijing time is UTC+8 all year: China has no daylight saving. */
export const BEIJING_OFFSET_MS = 8 * 3600_000;

/**
 * The instant `epochMs` as a Date whose UTC fields (getUTCFullYear … getUTCMilliseconds) read Beijing's wall clock.
 * Only for reading those fields or formatting them; the Date's own instant is shifted.
 */
export function beijingWallClock(epochMs: number): Date {
  return new Date(epochMs + BEIJING_OFFSET_MS);
}

/**
 * `epochMs` as RFC 3339 on Beijing's wall clock: whole seconds (2026-12-07T08:30:00+08:00, the form WeChat Pay's
 * time_expire takes; the milliseconds are dropped) or with milliseconds (2026-12-07T08:30:00.123+08:00, for
 * 发货信息管理's upload_time, which must be strictly later than the previous upload's).
 */
export function beijingRfc3339(epochMs: number, precision: 'second' | 'millisecond'): string {
  const wall = beijingWallClock(precision === 'second' ? Math.floor(epochMs / 1000) * 1000 : epochMs);
  return `${wall.toISOString().slice(0, precision === 'second' ? 19 : 23)}+08:00`;
}

/**
 * The instant Beijing's wall clock shows as the given fields (month 1–12), or undefined unless they name a real
 * moment: Date.UTC would roll 2026-02-30 over into March, a real timestamp round-trips unchanged.
 */
export function epochMsFromBeijing(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(wall);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  return wall - BEIJING_OFFSET_MS;
}
