// A notify_url for tests: records every callback and checks it with an independent implementation
// (wechatpay-axios-plugin's Rsa/AesGcm), so the simulator is not graded by its own crypto code.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';

/** One callback as received, with the receiver's verdict. */
export interface ReceivedCallback {
  index: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  serial: string;
  /** Signature valid for the key named by Wechatpay-Serial (false for unknown serials). */
  signatureValid: boolean;
  /** Wechatpay-Timestamp within ±5 minutes of the wall clock. */
  timestampFresh: boolean;
  /** Parsed body. */
  envelope?: { id?: string; event_type?: string; resource?: Record<string, unknown> };
  /** The decrypted resource, when decryption (with the GCM tag check) succeeded. */
  resource?: Record<string, unknown>;
  decryptError?: string;
  answeredStatus: number;
}

/** How the receiver answers a callback: HTTP status and optional body, or 'hang' (never answer). */
export type Answer = { status: number; body?: string } | 'hang';

/** Options of startReceiver. */
export interface ReceiverOptions {
  /** Platform keys the merchant trusts: Wechatpay-Serial → certificate or public key PEM. */
  trustedKeys: Record<string, string>;
  /** The merchant's APIv3 key (decrypts resources). */
  apiV3Key: string;
  /** Decides the answer; default: 204 when signature, timestamp and decryption are all good, else 401 FAIL. */
  answer?: (cb: ReceivedCallback) => Answer;
}

/** A running receiver. */
export interface Receiver {
  /** The notify_url to give to orders (http://127.0.0.1:port/notify). */
  url: string;
  received: ReceivedCallback[];
  setAnswer(fn: (cb: ReceivedCallback) => Answer): void;
  close(): Promise<void>;
}

/** The default policy of a careful merchant: accept only verified, fresh, decryptable callbacks. */
export function strictAnswer(cb: ReceivedCallback): Answer {
  return cb.signatureValid && cb.timestampFresh && cb.resource !== undefined
    ? { status: 204 }
    : { status: 401, body: JSON.stringify({ code: 'FAIL', message: 'verification failed' }) };
}

/** Starts a receiver on 127.0.0.1 with an ephemeral port. */
export async function startReceiver(opts: ReceiverOptions): Promise<Receiver> {
  const received: ReceivedCallback[] = [];
  let answer = opts.answer ?? strictAnswer;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const h = (name: string): string => {
        const v = req.headers[name];
        return (Array.isArray(v) ? v[0] : v) ?? '';
      };
      const serial = h('wechatpay-serial');
      const timestamp = h('wechatpay-timestamp');
      const key = opts.trustedKeys[serial];
      const cb: ReceivedCallback = {
        index: received.length,
        path: req.url ?? '/',
        headers: req.headers,
        body,
        serial,
        signatureValid:
          key !== undefined &&
          Rsa.verify(
            Formatter.response(timestamp, h('wechatpay-nonce'), body),
            h('wechatpay-signature'),
            Rsa.from(key, 'public'),
          ),
        timestampFresh: Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) <= 300,
        answeredStatus: 0,
      };
      try {
        const env = JSON.parse(body) as NonNullable<ReceivedCallback['envelope']>;
        cb.envelope = env;
        const r = env.resource ?? {};
        const plain = Aes.AesGcm.decrypt(
          String(r.ciphertext),
          opts.apiV3Key,
          String(r.nonce),
          typeof r.associated_data === 'string' ? r.associated_data : '',
        );
        cb.resource = JSON.parse(plain) as Record<string, unknown>;
      } catch (e) {
        cb.decryptError = e instanceof Error ? e.message : String(e);
      }
      received.push(cb);
      const a = answer(cb);
      if (a === 'hang') return;
      cb.answeredStatus = a.status;
      res.writeHead(a.status, a.body !== undefined ? { 'Content-Type': 'application/json' } : {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notify`,
    received,
    setAnswer: (fn) => {
      answer = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
