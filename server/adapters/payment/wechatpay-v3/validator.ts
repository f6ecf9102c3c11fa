// Checks that a message (an API answer or a notification) was signed by WeChat Pay, in the order wechatpay-go's
// validator uses: headers present, signature type, ±5 minute timestamp window, then the signature over the RAW body.
import type { SignatureVerifier } from './verifier';

/** The only signature type WeChat Pay APIv3 uses. */
export const SIGNATURE_TYPE = 'WECHATPAY2-SHA256-RSA2048';

/** How far (ms) a message's Wechatpay-Timestamp may be from our clock, in either direction. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Why a message is not trusted. */
export type SignedMessageFailure =
  | 'MISSING_HEADERS'
  | 'UNSUPPORTED_SIGNATURE_TYPE'
  | 'TIMESTAMP_STALE'
  | 'UNKNOWN_SERIAL'
  | 'SIGNATURE_INVALID';

/** The outcome of {@link validateSignedMessage}: ok, or why not, with a message safe to log. */
export type SignedMessageCheck =
  | { ok: true; serial: string; timestamp: number }
  | { ok: false; failure: SignedMessageFailure; message: string };

/** Reads a header by name regardless of case. */
export function headerOf(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

/** The bytes a WeChat Pay signature covers: `TIMESTAMP\nNONCE\nBODY\n`, BODY being the raw bytes as received. */
export function signedMessageBytes(timestamp: string, nonce: string, rawBody: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), rawBody, Buffer.from('\n', 'utf8')]);
}

/** Checks a message's Wechatpay-* headers and signature against `rawBody`, with `nowMs` as the current time. */
export function validateSignedMessage(
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: Uint8Array,
  verifier: SignatureVerifier,
  nowMs: number,
): SignedMessageCheck {
  const timestamp = headerOf(headers, 'Wechatpay-Timestamp');
  const nonce = headerOf(headers, 'Wechatpay-Nonce');
  const signature = headerOf(headers, 'Wechatpay-Signature');
  const serial = headerOf(headers, 'Wechatpay-Serial');
  const missing = [
    timestamp === undefined ? 'Wechatpay-Timestamp' : '',
    nonce === undefined ? 'Wechatpay-Nonce' : '',
    signature === undefined ? 'Wechatpay-Signature' : '',
    serial === undefined ? 'Wechatpay-Serial' : '',
  ].filter((n) => n !== '');
  if (timestamp === undefined || nonce === undefined || signature === undefined || serial === undefined) {
    return { ok: false, failure: 'MISSING_HEADERS', message: `missing header(s): ${missing.join(', ')}` };
  }
  const type = headerOf(headers, 'Wechatpay-Signature-Type');
  if (type !== undefined && type !== SIGNATURE_TYPE) {
    return {
      ok: false,
      failure: 'UNSUPPORTED_SIGNATURE_TYPE',
      message: `Wechatpay-Signature-Type must be ${SIGNATURE_TYPE}`,
    };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return {
      ok: false,
      failure: 'TIMESTAMP_STALE',
      message: 'Wechatpay-Timestamp is not a number of seconds',
    };
  }
  const tsSeconds = Number(timestamp);
  const skewMs = Math.abs(nowMs - tsSeconds * 1000);
  if (skewMs > MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      failure: 'TIMESTAMP_STALE',
      message: `Wechatpay-Timestamp is ${Math.round(skewMs / 1000)} s away from our clock (allowed ±300 s)`,
    };
  }
  const outcome = verifier.verify(serial, signedMessageBytes(timestamp, nonce, rawBody), signature);
  if (outcome === 'unknown-serial') {
    return {
      ok: false,
      failure: 'UNKNOWN_SERIAL',
      // Serials are public identifiers; naming them makes a key switch we were not told about easy to spot.
      message: `Wechatpay-Serial ${safeToken(serial)} names no key we hold (we hold: ${verifier.serials().join(', ')})`,
    };
  }
  if (outcome === 'bad-signature') {
    return {
      ok: false,
      failure: 'SIGNATURE_INVALID',
      message: 'signature does not verify over the raw body (is the body exactly the bytes received?)',
    };
  }
  return { ok: true, serial, timestamp: tsSeconds };
}

// Header values come from the sender: keep what we echo into logs short and printable.
function safeToken(value: string): string {
  const cleaned = value.replace(/[^0-9A-Za-z_-]/g, '?');
  return cleaned.length > 80 ? `${cleaned.slice(0, 80)}…` : cleaned;
}
