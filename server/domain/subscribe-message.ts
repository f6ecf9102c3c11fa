// Subscription message fields (一次性订阅消息, docs/adr/0010): a template's key names its WeChat field type by its prefix
// (`thing4`, `amount2`, `character_string1` …), and each type takes values of one shape and length. WeChat refuses a
// whole send (47003) for one bad field, so every value is formatted and checked here, before the send. Pure: the
// caller passes instants and amounts; nothing here reads a clock.
import { beijingWallClock } from './beijing-time';
import { graphemesOf } from './text';

/** WeChat's subscription message field types (the key's prefix). */
export const FIELD_TYPES = [
  'thing',
  'number',
  'letter',
  'symbol',
  'character_string',
  'amount',
  'phrase',
  'name',
  'time',
  'date',
  'phone_number',
  'car_number',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** What we put in a field: plain text, an amount in fen, or an instant (epoch ms). */
export type FieldValue =
  { kind: 'text'; text: string } | { kind: 'fen'; fen: number } | { kind: 'time'; ms: number };

export const text = (t: string): FieldValue => ({ kind: 'text', text: t });
export const fen = (f: number): FieldValue => ({ kind: 'fen', fen: f });
export const instant = (ms: number): FieldValue => ({ kind: 'time', ms });

/** A value that cannot go into its field (no safe fix): names the field, as WeChat's 47003 does. */
export class SubscribeFieldError extends Error {
  override readonly name = 'SubscribeFieldError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** Limits in characters (code points). */
export const FIELD_LIMITS = {
  thing: 20,
  number: 32,
  letter: 32,
  symbol: 5,
  character_string: 32,
  amountDigits: 10,
  phrase: 5,
  nameHan: 10,
  nameLetters: 20,
  phone_number: 17,
  car_number: 8,
} as const;

const ELLIPSIS = '…';
const HAN = /^\p{Script=Han}+$/u;

/** The field type a template key names (`thing4` → thing), or null when the prefix is not one of WeChat's. */
export function fieldTypeOf(key: string): FieldType | null {
  const m = /^([a-z_]+?)(\d+)$/.exec(key);
  if (m === null) return null;
  const prefix = m[1] as FieldType;
  return (FIELD_TYPES as readonly string[]).includes(prefix) ? prefix : null;
}

function length(s: string): number {
  return [...s].length;
}

/** "12.34" from 1234 fen (no sign, always two decimals). */
function yuan(f: number): string {
  const whole = Math.floor(f / 100);
  const cents = String(f % 100).padStart(2, '0');
  return `${whole}.${cents}`;
}

/** "2026年11月30日 15:01", Beijing time. */
export function beijingTimeText(ms: number): string {
  const d = beijingWallClock(ms);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${hh}:${mm}`;
}

// "2026年11月30日", optionally " 15:01"; or "15:01"; either may be a range joined by "~".
const DATE_PART = String.raw`\d{4}年\d{1,2}月\d{1,2}日`;
const CLOCK_PART = String.raw`(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`;
const POINT = `(?:${DATE_PART}(?: ${CLOCK_PART})?|${CLOCK_PART})`;
const TIME_TEXT = new RegExp(`^${POINT}(?:~${POINT})?$`);
const DATE_TEXT = new RegExp(`^${DATE_PART}(?: ${CLOCK_PART})?(?:~${DATE_PART}(?: ${CLOCK_PART})?)?$`);

/** Checks (and for `thing`, fits) a text for a field type; throws SubscribeFieldError naming `field`. */
function checkText(field: string, type: FieldType, raw: string): string {
  const fail = (problem: string): never => {
    throw new SubscribeFieldError(field, problem);
  };
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  const value = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (value === '') fail('is empty');
  const n = length(value);
  switch (type) {
    case 'thing': {
      // Descriptive text: cutting loses nothing that identifies anything, so a long one is cut with an ellipsis.
      // Cut between whole characters (no half emoji), counting code points as WeChat does.
      if (n <= FIELD_LIMITS.thing) return value;
      let kept = '';
      for (const g of graphemesOf(value)) {
        if (length(kept) + length(g) > FIELD_LIMITS.thing - 1) break;
        kept += g;
      }
      return kept.trimEnd() + ELLIPSIS;
    }
    case 'number':
      if (!/^\d+(?:\.\d+)?$/.test(value)) fail('must be digits (a decimal point allowed)');
      if (n > FIELD_LIMITS.number) fail(`is longer than ${FIELD_LIMITS.number} characters`);
      return value;
    case 'letter':
      if (!/^[A-Za-z]+$/.test(value)) fail('must be letters only');
      if (n > FIELD_LIMITS.letter) fail(`is longer than ${FIELD_LIMITS.letter} characters`);
      return value;
    case 'symbol':
      if (!/^[\p{P}\p{S}]+$/u.test(value)) fail('must be symbols only');
      if (n > FIELD_LIMITS.symbol) fail(`is longer than ${FIELD_LIMITS.symbol} characters`);
      return value;
    case 'character_string':
      // Order and tracking numbers: cutting would make them wrong, so a bad one is refused, never fixed.
      if (!/^[\x21-\x7e]+$/.test(value)) fail('must be letters, digits and symbols without spaces');
      if (n > FIELD_LIMITS.character_string)
        fail(`is longer than ${FIELD_LIMITS.character_string} characters`);
      return value;
    case 'amount': {
      const m = /^[¥￥$€£]?(\d+)(?:\.\d{1,2})?元?$/.exec(value);
      if (m === null || !/^[¥￥$€£]|元$/.test(value))
        fail('must be a currency sign and digits, e.g. ¥12.34 or 12.34元');
      if ((m as RegExpExecArray)[1]!.length > FIELD_LIMITS.amountDigits)
        fail(`has more than ${FIELD_LIMITS.amountDigits} digits`);
      return value;
    }
    case 'phrase':
      if (!HAN.test(value)) fail('must be Chinese characters only');
      if (n > FIELD_LIMITS.phrase) fail(`is longer than ${FIELD_LIMITS.phrase} Chinese characters`);
      return value;
    case 'name':
      if (HAN.test(value)) {
        if (n > FIELD_LIMITS.nameHan) fail(`is longer than ${FIELD_LIMITS.nameHan} Chinese characters`);
        return value;
      }
      if (/^[A-Za-z]+(?: [A-Za-z]+)*$/.test(value)) {
        if (n > FIELD_LIMITS.nameLetters) fail(`is longer than ${FIELD_LIMITS.nameLetters} letters`);
        return value;
      }
      return fail('must be Chinese characters or letters');
    case 'time':
      if (!TIME_TEXT.test(value)) fail('must be a time such as 2026年11月30日 15:01');
      return value;
    case 'date':
      if (!DATE_TEXT.test(value)) fail('must be a date such as 2026年11月30日');
      return value;
    case 'phone_number':
      if (!/^\+?[\d-]+$/.test(value)) fail('must be digits and - (a leading + allowed)');
      if (n > FIELD_LIMITS.phone_number) fail(`is longer than ${FIELD_LIMITS.phone_number} characters`);
      return value;
    case 'car_number':
      if (!/^(?:\p{Script=Han}|[A-Z0-9])[A-Z0-9]*\p{Script=Han}?$/u.test(value))
        fail('must be letters and digits, Chinese characters only first or last');
      if (n > FIELD_LIMITS.car_number) fail(`is longer than ${FIELD_LIMITS.car_number} characters`);
      return value;
  }
}

/**
 * The value of one field, formatted for its type and checked: an amount is "¥12.34" (or "12.34" in a number field),
 * an instant Beijing time "2026年11月30日 15:01". A long `thing` is cut with an ellipsis; anything else that does not fit
 * throws SubscribeFieldError naming the field.
 */
export function formatField(key: string, value: FieldValue): string {
  const type = fieldTypeOf(key);
  if (type === null) throw new SubscribeFieldError(key, 'is not a known field type');
  switch (value.kind) {
    case 'text':
      return checkText(key, type, value.text);
    case 'fen': {
      if (!Number.isSafeInteger(value.fen) || value.fen < 0)
        throw new SubscribeFieldError(key, 'amount is not a whole number of fen');
      const y = yuan(value.fen);
      if (type === 'number') return checkText(key, type, y);
      if (type === 'amount' || type === 'thing' || type === 'character_string')
        return checkText(key, type, `¥${y}`);
      throw new SubscribeFieldError(key, `cannot hold an amount (a ${type} field)`);
    }
    case 'time': {
      if (!Number.isFinite(value.ms)) throw new SubscribeFieldError(key, 'is not a time');
      if (type === 'time' || type === 'date' || type === 'thing')
        return checkText(key, type, beijingTimeText(value.ms));
      throw new SubscribeFieldError(key, `cannot hold a time (a ${type} field)`);
    }
  }
}

/** The `data` of subscribeMessage.send: every field formatted, the first bad one refused (naming it). */
export function formatMessageData(
  fields: Readonly<Record<string, FieldValue>>,
): Record<string, { value: string }> {
  const data: Record<string, { value: string }> = {};
  for (const [key, value] of Object.entries(fields)) data[key] = { value: formatField(key, value) };
  return data;
}
