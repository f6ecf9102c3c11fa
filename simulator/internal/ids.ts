// The identifiers WeChat Pay hands out, in production's shapes (prefixes, Beijing dates, lengths).
import { beijingDate, formatRfc3339Beijing } from './clock';
import { randomAlnum, randomDigits, randomHex } from './crypto';

function compactDate(epochMs: number): string {
  return beijingDate(epochMs).replace(/-/g, '');
}

export function newPrepayId(now: number): string {
  const t = formatRfc3339Beijing(now).replace(/[-:T]/g, '').slice(0, 14);
  return `wx${t}${randomHex(20).toLowerCase()}`;
}

export function newCodeUrl(): string {
  return `weixin://wxpay/bizpayurl?pr=${randomAlnum(7)}`;
}

export function newTransactionId(now: number): string {
  return `42000${randomDigits(5)}${compactDate(now)}${randomDigits(10)}`;
}

export function newRefundId(now: number): string {
  return `50${randomDigits(9)}${compactDate(now)}${randomDigits(10)}`;
}

export function newOpenid(): string {
  return `o${randomAlnum(27)}`;
}
