// WeChat cloud function timer triggers: a 7-field cron "sec min hour day month weekday year" with , - * / in every
// field, month names JAN-DEC and weekday names SUN-SAT. Weekday numbers follow Tencent SCF (which runs the triggers):
// 0 = Sunday ... 6 = Saturday (an older WeChat page says 0 = Monday; see README). When both day-of-month and weekday are
// restricted a time matches either (classic cron). Times are evaluated in China Standard Time (UTC+8, no DST) by default.

/** A parsed cron expression: the allowed values of each field. */
export interface CronSchedule {
  source: string;
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
  years: ReadonlySet<number>;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  namesFrom?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
    namesFrom: 1,
  },
  { name: 'weekday', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], namesFrom: 0 },
  { name: 'year', min: 1970, max: 2099 },
];

/** China Standard Time, the zone WeChat's timer triggers use (minutes east of UTC). */
export const CHINA_UTC_OFFSET_MINUTES = 480;

function parseValue(text: string, f: FieldSpec, expr: string): number {
  const upper = text.toUpperCase();
  if (f.names !== undefined) {
    const i = f.names.indexOf(upper);
    if (i >= 0) return i + (f.namesFrom ?? 0);
  }
  if (!/^\d+$/.test(text))
    throw new Error(`cron "${expr}": ${f.name} value "${text}" is not a number${f.names ? ' or name' : ''}`);
  const n = Number(text);
  if (n < f.min || n > f.max)
    throw new Error(`cron "${expr}": ${f.name} value ${n} is outside ${f.min}-${f.max}`);
  return n;
}

function parseField(text: string, f: FieldSpec, expr: string): { values: Set<number>; restricted: boolean } {
  const values = new Set<number>();
  // As in classic cron, a field written with a leading "*" (also "*/n") does not count as restricting the day.
  const restricted = !text.startsWith('*');
  for (const item of text.split(',')) {
    if (item === '') throw new Error(`cron "${expr}": empty item in the ${f.name} field`);
    const [rangePart = '', stepPart, extra] = item.split('/');
    if (extra !== undefined) throw new Error(`cron "${expr}": "${item}" has more than one "/"`);
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) < 1)
        throw new Error(`cron "${expr}": step "${stepPart}" must be >= 1`);
      step = Number(stepPart);
    }
    let from: number;
    let to: number;
    if (rangePart === '*') {
      from = f.min;
      to = f.max;
    } else if (rangePart.includes('-')) {
      const [a = '', b = '', more] = rangePart.split('-');
      if (more !== undefined) throw new Error(`cron "${expr}": bad range "${rangePart}"`);
      from = parseValue(a, f, expr);
      to = parseValue(b, f, expr);
      if (from > to) throw new Error(`cron "${expr}": range "${rangePart}" runs backwards`);
    } else {
      from = parseValue(rangePart, f, expr);
      to = stepPart === undefined ? from : f.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values, restricted };
}

/** Parses a WeChat 7-field cron expression; throws an Error naming the field and value at fault. */
export function parseCron(expr: string): CronSchedule {
  if (typeof expr !== 'string') throw new Error('cron expression must be a string');
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 7) {
    throw new Error(
      `cron "${expr}" has ${parts.length} fields; WeChat timer triggers need 7: second minute hour day month weekday year`,
    );
  }
  const parsed = parts.map((p, i) => parseField(p, FIELDS[i] as FieldSpec, expr));
  const get = (i: number) => parsed[i] as { values: Set<number>; restricted: boolean };
  return {
    source: expr,
    seconds: get(0).values,
    minutes: get(1).values,
    hours: get(2).values,
    days: get(3).values,
    months: get(4).values,
    weekdays: get(5).values,
    years: get(6).values,
    dayRestricted: get(3).restricted,
    weekdayRestricted: get(5).restricted,
  };
}

function dayMatches(s: CronSchedule, day: number, weekday: number): boolean {
  if (s.dayRestricted && s.weekdayRestricted) return s.days.has(day) || s.weekdays.has(weekday);
  return s.days.has(day) && s.weekdays.has(weekday);
}

/**
 * The first firing time strictly after `afterMs` (epoch ms, whole seconds), or undefined if the schedule never fires
 * again before 2100. `utcOffsetMinutes` is the zone the fields are read in (default UTC+8).
 */
export function nextFireTime(
  s: CronSchedule,
  afterMs: number,
  utcOffsetMinutes = CHINA_UTC_OFFSET_MINUTES,
): number | undefined {
  const offsetMs = utcOffsetMinutes * 60_000;
  // Work on "wall clock" ms: the zone's local time expressed as if it were UTC.
  let t = Math.floor((afterMs + offsetMs) / 1000) * 1000 + 1000;
  for (let guard = 0; guard < 200_000; guard++) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    if (year > 2099) return undefined;
    if (!s.years.has(year)) {
      t = Date.UTC(year + 1, 0, 1);
      continue;
    }
    if (!s.months.has(d.getUTCMonth() + 1)) {
      t = Date.UTC(year, d.getUTCMonth() + 1, 1);
      continue;
    }
    if (!dayMatches(s, d.getUTCDate(), d.getUTCDay())) {
      t = Date.UTC(year, d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      t = Date.UTC(year, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!s.minutes.has(d.getUTCMinutes())) {
      t = Date.UTC(year, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes() + 1);
      continue;
    }
    if (!s.seconds.has(d.getUTCSeconds())) {
      t += 1000;
      continue;
    }
    return t - offsetMs;
  }
  return undefined;
}
