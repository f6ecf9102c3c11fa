// A bare signed HTTP client for simulator tests. It signs with wechatpay-axios-plugin's Rsa/Formatter (an
// implementation independent of the simulator) and can tamper with requests after signing.
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { Formatter, Rsa } from 'wechatpay-axios-plugin';
import type { MerchantMode, SimIdentity } from '../types';

/** A raw answer: status, headers, body text and parsed JSON (if any). */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  raw: Buffer;
  json: unknown;
}

/** How to send: which merchant signs, what to send, and optional sabotage. */
export interface RawRequest {
  merchant: MerchantMode;
  method: 'GET' | 'POST';
  /** Path with query, exactly as sent and signed. */
  path: string;
  body?: unknown;
  /** Extra headers (e.g. Wechatpay-Serial). */
  headers?: Record<string, string>;
  /** Change the body after signing. */
  tamperBody?: (signedBody: string) => string;
  /** Override parts of the Authorization header. */
  auth?: Partial<{ mchid: string; serial: string; timestamp: string; nonce: string; signature: string }>;
  /** Sign with another key and serial than the merchant's current certificate (a rotation's new one). */
  signWith?: { privateKeyPem: string; serial: string };
  /** Send no Authorization header at all. */
  noAuth?: boolean;
  /** Real ms before giving up (default 10 000). */
  timeoutMs?: number;
}

/** Sends one signed request to the simulator at `baseUrl`. */
export function rawRequest(baseUrl: string, identity: SimIdentity, r: RawRequest): Promise<RawAnswer> {
  const m = r.merchant === 'direct' ? identity.direct : identity.partner;
  const mchid = r.merchant === 'direct' ? identity.direct.mchid : identity.partner.spMchid;
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const timestamp = r.auth?.timestamp ?? String(Formatter.timestamp());
  const nonce = r.auth?.nonce ?? Formatter.nonce();
  const signature =
    r.auth?.signature ??
    Rsa.sign(
      Formatter.request(r.method, r.path, timestamp, nonce, body),
      Rsa.from(r.signWith?.privateKeyPem ?? m.merchantPrivateKeyPem, 'private'),
    );
  const authorization = Formatter.authorization(
    r.auth?.mchid ?? mchid,
    nonce,
    signature,
    timestamp,
    r.auth?.serial ?? r.signWith?.serial ?? m.merchantSerial,
  );
  const sent = r.tamperBody ? r.tamperBody(body) : body;
  const url = new URL(r.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: r.method,
        agent: false,
        headers: {
          Accept: 'application/json',
          ...(sent !== ''
            ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(sent)) }
            : {}),
          ...(r.noAuth ? {} : { Authorization: authorization }),
          ...(r.headers ?? {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, raw, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(r.timeoutMs ?? 10_000, () =>
      req.destroy(new Error(`timeout after ${r.timeoutMs ?? 10_000} ms`)),
    );
    req.on('error', reject);
    req.end(sent);
  });
}

/** True when the answer's Wechatpay-* headers verify with the key named by Wechatpay-Serial in `trusted`. */
export function answerVerifies(a: RawAnswer, trusted: Record<string, string>): boolean {
  const h = (n: string): string => {
    const v = a.headers[n];
    return (Array.isArray(v) ? v[0] : v) ?? '';
  };
  const key = trusted[h('wechatpay-serial')];
  if (key === undefined) return false;
  return Rsa.verify(
    Formatter.response(h('wechatpay-timestamp'), h('wechatpay-nonce'), a.text),
    h('wechatpay-signature'),
    Rsa.from(key, 'public'),
  );
}

/** The trusted-key map of a merchant that holds both platform keys. */
export function allPlatformKeys(identity: SimIdentity): Record<string, string> {
  return {
    [identity.platform.certificate.serial]: identity.platform.certificate.certificatePem,
    [identity.platform.publicKey.publicKeyId]: identity.platform.publicKey.publicKeyPem,
  };
}
