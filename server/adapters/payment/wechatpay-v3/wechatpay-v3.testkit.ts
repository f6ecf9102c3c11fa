// Test support (the stripe idea): real RSA keys and certificates generated at test time, WeChat Pay-side signing and
// AES-256-GCM encryption, and a local node:http server that answers like WeChat Pay with real signatures.
// Imported by tests only; never by the composition root, so it never reaches a function bundle.
import {
  createCipheriv,
  generateKeyPairSync,
  randomBytes,
  sign as rsaSign,
  verify as rsaVerify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';

/** An RSA key pair, as KeyObjects and PEM. */
export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Generates an RSA-2048 key pair (slow: do it once per suite). */
export function generateTestKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** A random certificate serial as WeChat prints them: 40 upper-case hex digits, positive. */
export function randomSerial(): string {
  const bytes = randomBytes(20);
  bytes[0] = 0x10 + ((bytes[0] ?? 0) % 0x60);
  return bytes.toString('hex').toUpperCase();
}

/** A self-signed X.509 certificate (PEM) for `keys` with `serial`, valid around `nowMs`. */
export function makeTestCertificate(
  keys: TestKeyPair,
  serial: string,
  commonName: string,
  nowMs = Date.now(),
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(nowMs - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(nowMs + 5 * 365 * 24 * 3600 * 1000);
  const attrs = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A random 32-character APIv3 key. */
export function randomApiV3Key(): string {
  return randomBytes(24).toString('base64').slice(0, 32);
}

/** A platform signing identity: the key id sent as Wechatpay-Serial and the private key behind it. */
export interface PlatformSigner {
  serial: string;
  privateKey: KeyObject;
}

/** Everything a suite needs: merchant, a platform certificate key, a WeChat Pay public key, the APIv3 key. */
export interface TestIdentity {
  merchant: TestKeyPair;
  merchantSerial: string;
  merchantCertificatePem: string;
  platformCert: TestKeyPair & { serial: string; certificatePem: string };
  platformPub: TestKeyPair & { id: string };
  apiV3Key: string;
}

/** Generates a full test identity (three RSA-2048 keys: once per suite). */
export function createTestIdentity(nowMs = Date.now()): TestIdentity {
  const merchant = generateTestKeyPair();
  const merchantSerial = randomSerial();
  const platformKeys = generateTestKeyPair();
  const platformSerial = randomSerial();
  const pubKeys = generateTestKeyPair();
  return {
    merchant,
    merchantSerial,
    merchantCertificatePem: makeTestCertificate(merchant, merchantSerial, 'test merchant', nowMs),
    platformCert: {
      ...platformKeys,
      serial: platformSerial,
      certificatePem: makeTestCertificate(platformKeys, platformSerial, 'Tenpay.com Root CA (test)', nowMs),
    },
    platformPub: { ...pubKeys, id: `PUB_KEY_ID_01${randomBytes(12).toString('hex').toUpperCase()}` },
    apiV3Key: randomApiV3Key(),
  };
}

/** The certificate-mode and public-key-mode signers of `id`. */
export function platformSigners(id: TestIdentity): { cert: PlatformSigner; pub: PlatformSigner } {
  return {
    cert: { serial: id.platformCert.serial, privateKey: id.platformCert.privateKey },
    pub: { serial: id.platformPub.id, privateKey: id.platformPub.privateKey },
  };
}

/** Options of {@link testEnv}. */
export interface TestEnvOptions {
  mode: 'direct' | 'partner';
  /** Which platform keys the merchant holds. */
  platformKeys: 'certificate' | 'public-key' | 'both';
  baseUrl?: string;
  timeoutMs?: number;
  subAppid?: boolean;
}

/** Test identifiers used by {@link testEnv}. */
export const TEST_IDS = {
  appid: 'wxd678efh567hg6787',
  mchid: '1230000109',
  spAppid: 'wx8888888888888888',
  spMchid: '1900000100',
  subMchid: '1900000109',
  subAppid: 'wxd678efh567hg6999',
  notifyUrl: 'https://shop.example.com/wxpay/notify',
} as const;

/** An env-like record for parseWechatPayV3Config built from `id`. */
export function testEnv(id: TestIdentity, opts: TestEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    WECHATPAY_MODE: opts.mode,
    WECHATPAY_MERCHANT_PRIVATE_KEY: id.merchant.privateKeyPem,
    WECHATPAY_MERCHANT_SERIAL: id.merchantSerial,
    WECHATPAY_APIV3_KEY: id.apiV3Key,
    WECHATPAY_NOTIFY_URL: TEST_IDS.notifyUrl,
  };
  if (opts.mode === 'direct') {
    env['WECHATPAY_APPID'] = TEST_IDS.appid;
    env['WECHATPAY_MCHID'] = TEST_IDS.mchid;
  } else {
    env['WECHATPAY_SP_APPID'] = TEST_IDS.spAppid;
    env['WECHATPAY_SP_MCHID'] = TEST_IDS.spMchid;
    env['WECHATPAY_SUB_MCHID'] = TEST_IDS.subMchid;
    if (opts.subAppid === true) env['WECHATPAY_SUB_APPID'] = TEST_IDS.subAppid;
  }
  if (opts.platformKeys !== 'public-key')
    env['WECHATPAY_PLATFORM_CERTIFICATES'] = id.platformCert.certificatePem;
  if (opts.platformKeys !== 'certificate') {
    env['WECHATPAY_PUBLIC_KEY_ID'] = id.platformPub.id;
    env['WECHATPAY_PUBLIC_KEY'] = id.platformPub.publicKeyPem;
  }
  if (opts.baseUrl !== undefined) env['WECHATPAY_BASE_URL'] = opts.baseUrl;
  if (opts.timeoutMs !== undefined) env['WECHATPAY_TIMEOUT_MS'] = String(opts.timeoutMs);
  return env;
}

/** Splits `WECHATPAY2-SHA256-RSA2048 k="v",…` into its scheme and fields. */
export function parseAuthorization(header: string): Record<string, string> {
  const space = header.indexOf(' ');
  const fields = Object.fromEntries(
    [...header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
  return { scheme: header.slice(0, space), ...fields };
}

/** Checks a request's Authorization against the merchant public key over exactly what the server received. */
export function authorizationVerifies(req: RecordedRequest, merchantPublicKey: KeyObject): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return false;
  const f = parseAuthorization(header);
  const message = Buffer.concat([
    Buffer.from(`${req.method}\n${req.path}\n${f['timestamp'] ?? ''}\n${f['nonce_str'] ?? ''}\n`),
    req.rawBody,
    Buffer.from('\n'),
  ]);
  return (
    f['scheme'] === 'WECHATPAY2-SHA256-RSA2048' &&
    rsaVerify('sha256', message, merchantPublicKey, Buffer.from(f['signature'] ?? '', 'base64'))
  );
}

/** WeChat Pay-side signature: base64 SHA256withRSA over `TIMESTAMP\nNONCE\nBODY\n`. */
export function platformSignature(
  privateKey: KeyObject,
  timestamp: string,
  nonce: string,
  body: Uint8Array,
): string {
  const message = Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), body, Buffer.from('\n')]);
  return rsaSign('sha256', message, privateKey).toString('base64');
}

/** The Wechatpay-* headers of a message signed by `signer` at `nowMs`. */
export function platformHeaders(
  signer: PlatformSigner,
  body: Uint8Array,
  nowMs: number,
): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = randomBytes(16).toString('hex');
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': signer.serial,
    'Wechatpay-Signature': platformSignature(signer.privateKey, timestamp, nonce, body),
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    'Request-ID': `test-${randomBytes(6).toString('hex')}`,
  };
}

/** The resource part of a notification: `plaintext` sealed with AES-256-GCM under `apiV3Key`. */
export function encryptTestResource(
  plaintext: string,
  apiV3Key: string,
  associatedData = 'transaction',
  originalType = 'transaction',
): Record<string, string> {
  const nonce = randomBytes(9).toString('base64');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(nonce));
  cipher.setAAD(Buffer.from(associatedData));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: sealed.toString('base64'),
    nonce,
    associated_data: associatedData,
    original_type: originalType,
  };
}

/** Options of {@link buildTestNotification}. */
export interface TestNotificationOptions {
  eventType: string;
  /** The decrypted resource document. */
  resource: Record<string, unknown>;
  apiV3Key: string;
  signer: PlatformSigner;
  /** When WeChat signed it (epoch ms). */
  signedAtMs: number;
  /** Replace the resource before signing (to test algorithms, nonces, …). */
  tamperResource?: (resource: Record<string, unknown>) => Record<string, unknown>;
}

/** A complete, validly signed and encrypted notification as WeChat would POST it (pretty-printed JSON body). */
export function buildTestNotification(opts: TestNotificationOptions): {
  headers: Record<string, string>;
  rawBody: Buffer;
} {
  const originalType = opts.eventType.startsWith('REFUND.') ? 'refund' : 'transaction';
  let resource: Record<string, unknown> = encryptTestResource(
    JSON.stringify(opts.resource),
    opts.apiV3Key,
    originalType,
    originalType,
  );
  if (opts.tamperResource) resource = opts.tamperResource(resource);
  const envelope = {
    id: `EV-${randomBytes(8).toString('hex')}`,
    create_time: '2026-11-23T10:34:56+08:00',
    resource_type: 'encrypt-resource',
    event_type: opts.eventType,
    summary: '支付成功',
    resource,
  };
  // Pretty-printed on purpose: a handler that re-serialises the body would change these bytes.
  const rawBody = Buffer.from(JSON.stringify(envelope, null, 2));
  return { headers: platformHeaders(opts.signer, rawBody, opts.signedAtMs), rawBody };
}

/** A request the fake WeChat Pay received, exactly as received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
}

/** How the fake answers one request. */
export interface FakeAnswer {
  status: number;
  body?: string | Buffer;
  /** 'platform' (default): sign with the server's signer; 'none': unsigned; 'forged': signed by an unknown key. */
  signing?: 'platform' | 'none' | 'forged';
  /** Sign with this signer instead of the server default. */
  signer?: PlatformSigner;
  /** Drop the connection instead of answering. */
  destroy?: boolean;
  /** Never answer (the client's deadline must fire). */
  hang?: boolean;
  /** Extra headers (e.g. Content-Type). */
  headers?: Record<string, string>;
}

/** A running fake WeChat Pay. */
export interface FakeWechatPay {
  baseUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a node:http server on 127.0.0.1 (ephemeral port) that records every request and answers with `handler`'s
 * answer, signed by `signer` with the time from `nowMs`. Close it in afterAll/afterEach.
 */
export async function startFakeWechatPay(
  handler: (req: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>,
  signer: PlatformSigner,
  nowMs: () => number,
): Promise<FakeWechatPay> {
  const requests: RecordedRequest[] = [];
  const forgedKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
      };
      requests.push(recorded);
      void Promise.resolve(handler(recorded)).then((answer) => {
        if (answer.destroy === true) {
          req.socket.destroy();
          return;
        }
        if (answer.hang === true) return;
        const body =
          typeof answer.body === 'string' ? Buffer.from(answer.body) : (answer.body ?? Buffer.alloc(0));
        const headers: Record<string, string> = {
          'Content-Type': 'application/json',
          ...(answer.headers ?? {}),
        };
        const signing = answer.signing ?? 'platform';
        if (signing === 'platform')
          Object.assign(headers, platformHeaders(answer.signer ?? signer, body, nowMs()));
        if (signing === 'forged') {
          Object.assign(
            headers,
            platformHeaders(
              { serial: (answer.signer ?? signer).serial, privateKey: forgedKey },
              body,
              nowMs(),
            ),
          );
        }
        res.writeHead(answer.status, headers);
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
