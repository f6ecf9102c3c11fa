// The signed HTTP transport every mode shares. It sends to the configured base URL (WeChat or the simulator) with
// node:http/https, keeps the raw answer bytes, verifies the answer's signature from its headers, and only then lets
// anyone parse it. wechatpay-node-v3 plugs in through its createHttp seam (payRequestSeam); partner endpoints and bill
// downloads call request/download directly.
import http from 'node:http';
import https from 'node:https';
import { ProviderError, ProviderErrorCodes } from '../../../application/ports/payment-provider.errors';
import { classifyHttpError, classifyTransportFailure, classifyUntrustedAnswer } from './error-classification';
import type { RequestKind } from './error-classification';
import type { RequestSigner, WechatPayDeps } from './signer';
import { signedPathOf } from './signer';
import { headerOf, validateSignedMessage } from './validator';
import type { SignatureVerifier } from './verifier';

/** A 2xx answer whose Wechatpay-* signature verified over its raw bytes; the only kind callers get to parse. */
export class VerifiedResponse {
  constructor(
    readonly status: number,
    /** Header names in lower case. */
    readonly headers: Readonly<Record<string, string>>,
    /** The answer bytes exactly as received. */
    readonly rawBody: Buffer,
  ) {}

  /** WeChat's Request-ID, for support tickets. */
  get requestId(): string | undefined {
    return this.headers['request-id'];
  }

  /** The body parsed as JSON (undefined for an empty body); throws SyntaxError on bad JSON. */
  json(): unknown {
    if (this.rawBody.length === 0) return undefined;
    return JSON.parse(this.rawBody.toString('utf8')) as unknown;
  }
}

/** One signed request. `body` is the exact JSON text to send (it is what gets signed). */
export interface TransportRequest {
  method: 'GET' | 'POST';
  pathWithQuery: string;
  body?: string;
  kind: RequestKind;
  operation: string;
}

/** What the transport needs. */
export interface TransportOptions {
  /** Origin only, e.g. https://api.mch.weixin.qq.com or http://127.0.0.1:PORT. */
  baseUrl: string;
  timeoutMs: number;
  signer: RequestSigner;
  verifier: SignatureVerifier;
  /** Sent as Wechatpay-Serial so WeChat signs its answer with a key we hold. */
  platformSerial: string;
  deps: WechatPayDeps;
  /** Largest answer accepted, in bytes (bills can be large; API answers are small). */
  maxBodyBytes?: number;
}

/** The shape of wechatpay-node-v3's pluggable HTTP service (IPayRequest), typed without `any`. */
export interface LibraryHttpService {
  post(
    url: string,
    params: Record<string, unknown>,
    headers: Record<string, unknown>,
  ): Promise<LibraryOutput>;
  get(url: string, headers: Record<string, unknown>): Promise<LibraryOutput>;
  upload(
    url: string,
    params: Record<string, unknown>,
    headers: Record<string, unknown>,
  ): Promise<LibraryOutput>;
}

/** The library's result shape; `data` is always our VerifiedResponse (see payRequestSeam). */
export interface LibraryOutput {
  status: number;
  data: VerifiedResponse;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

class TimeoutSignal extends Error {}
class TooLargeSignal extends Error {}

const USER_AGENT = 'wxpay-safe-shop (node; wechatpay-node-v3)';
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

function errorCodeOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = e.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

function lowerCaseHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string') out[k.toLowerCase()] = v;
    else if (Array.isArray(v)) out[k.toLowerCase()] = v.join(', ');
  }
  return out;
}

function hasSignatureHeaders(headers: Readonly<Record<string, string>>): boolean {
  return headerOf(headers, 'Wechatpay-Signature') !== undefined;
}

/** WeChat's error body {code, message}; both fall back to something readable. */
function errorBodyOf(body: Buffer, status: number): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null) {
      const rec = parsed as Record<string, unknown>;
      const code = typeof rec['code'] === 'string' && rec['code'] !== '' ? rec['code'] : `HTTP_${status}`;
      const message = typeof rec['message'] === 'string' ? rec['message'].slice(0, 300) : '';
      return { code, message };
    }
  } catch {
    // not JSON: a gateway page, say
  }
  return { code: `HTTP_${status}`, message: '' };
}

/** The transport shared by direct and partner modes. */
export class WechatPayTransport {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly maxBodyBytes: number;

  constructor(private readonly opts: TransportOptions) {
    this.base = new URL(opts.baseUrl);
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true })
        : new http.Agent({ keepAlive: true });
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** Releases pooled connections (idle keep-alive sockets never hold the process open; this frees them early). */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Signs and sends `req`, verifies the answer, and returns it if it is 2xx. Throws ProviderError otherwise: the
   * answer's own code and a retryability from error-classification, or NETWORK / TIMEOUT / BAD_RESPONSE_SIGNATURE.
   */
  async request(req: TransportRequest): Promise<VerifiedResponse> {
    const body = req.body ?? '';
    const authorization = this.opts.signer.authorization(req.method, req.pathWithQuery, body);
    return this.exchange(req, authorization);
  }

  /**
   * Downloads a bill file: the request is signed, the answer is NOT (WeChat does not sign file downloads), so the
   * caller must check the bytes against the hash from the signed apply answer. `url` is the download_url; only its
   * path and query are used — the host is always the configured base URL, so our Authorization goes nowhere else.
   */
  async download(url: string, operation: string): Promise<Buffer> {
    const pathWithQuery = signedPathOf(url);
    const authorization = this.opts.signer.authorization('GET', pathWithQuery, '');
    const req: TransportRequest = { method: 'GET', pathWithQuery, kind: 'read', operation };
    const answer = await this.send(req, authorization, '');
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw this.errorFromAnswer(req, answer);
  }

  /**
   * The object handed to wechatpay-node-v3's `pay.createHttp(...)`. The library passes full URLs on its hard-coded
   * host plus headers whose Authorization our WechatPayClient.buildAuthorization made; we keep only that header,
   * send to the base URL, and answer with `data` = our VerifiedResponse, so the library's own post-processing
   * (e.g. transactions_jsapi's Math.random-nonce requestPayment builder, which looks for data.prepay_id) never fires.
   */
  payRequestSeam(): LibraryHttpService {
    const authOf = (headers: Record<string, unknown>): string => {
      const a = headers['Authorization'];
      if (typeof a !== 'string')
        throw new Error('wechatpay-node-v3 handed over a request without Authorization');
      return a;
    };
    return {
      post: async (url, params, headers) => {
        const req: TransportRequest = {
          method: 'POST',
          pathWithQuery: signedPathOf(url),
          body: JSON.stringify(params),
          kind: 'write',
          operation: 'library POST',
        };
        const res = await this.exchange(req, authOf(headers));
        return { status: res.status, data: res };
      },
      get: async (url, headers) => {
        const req: TransportRequest = {
          method: 'GET',
          pathWithQuery: signedPathOf(url),
          kind: 'read',
          operation: 'library GET',
        };
        const res = await this.exchange(req, authOf(headers));
        return { status: res.status, data: res };
      },
      upload: () => Promise.reject(new Error('uploads are not used by this adapter')),
    };
  }

  private async exchange(req: TransportRequest, authorization: string): Promise<VerifiedResponse> {
    const answer = await this.send(req, authorization, req.body ?? '');
    const ok = answer.status >= 200 && answer.status < 300;
    // 2xx must be signed. Error answers are checked when they carry a signature (a 401 SIGN_ERROR cannot).
    if (ok || hasSignatureHeaders(answer.headers)) {
      const check = validateSignedMessage(
        answer.headers,
        answer.body,
        this.opts.verifier,
        this.opts.deps.nowMs(),
      );
      if (!check.ok) {
        throw new ProviderError(
          ProviderErrorCodes.BAD_RESPONSE_SIGNATURE,
          `WeChat Pay answer ${answer.status} treated as forged: ${check.message}`,
          classifyUntrustedAnswer(req.kind),
          { httpStatus: answer.status, operation: req.operation, ...requestIdOf(answer.headers) },
        );
      }
    }
    if (!ok) throw this.errorFromAnswer(req, answer);
    return new VerifiedResponse(answer.status, answer.headers, answer.body);
  }

  private errorFromAnswer(req: TransportRequest, answer: RawAnswer): ProviderError {
    const { code, message } = errorBodyOf(answer.body, answer.status);
    return new ProviderError(
      code,
      `WeChat Pay answered ${answer.status} ${code}${message === '' ? '' : `: ${message}`}`,
      classifyHttpError(answer.status, code),
      { httpStatus: answer.status, operation: req.operation, ...requestIdOf(answer.headers) },
    );
  }

  private send(req: TransportRequest, authorization: string, body: string): Promise<RawAnswer> {
    const payload = Buffer.from(body, 'utf8');
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
      Authorization: authorization,
      'Wechatpay-Serial': this.opts.platformSerial,
    };
    if (req.method === 'POST') {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const client = this.base.protocol === 'https:' ? https : http;
    const exchange = new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const r = client.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port === '' ? undefined : Number(this.base.port),
          method: req.method,
          path: req.pathWithQuery,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxBodyBytes) r.destroy(new TooLargeSignal());
            else chunks.push(chunk);
          });
          res.on('error', (e) => settle(() => reject(e)));
          res.on('aborted', () => settle(() => reject(new Error('answer aborted'))));
          res.on('end', () =>
            settle(() =>
              resolve({
                status: res.statusCode ?? 0,
                headers: lowerCaseHeaders(res.headers),
                body: Buffer.concat(chunks),
              }),
            ),
          );
        },
      );
      // One deadline for the whole exchange (connect, send, answer), not an idle timeout.
      const timer = setTimeout(() => r.destroy(new TimeoutSignal()), this.opts.timeoutMs);
      r.on('error', (e) => settle(() => reject(e)));
      r.end(payload);
    });
    return exchange.catch((e: unknown) => {
      throw this.transportError(req, e);
    });
  }

  private transportError(req: TransportRequest, e: unknown): ProviderError {
    if (e instanceof TimeoutSignal) {
      return new ProviderError(
        ProviderErrorCodes.TIMEOUT,
        `no answer from WeChat Pay within ${this.opts.timeoutMs} ms`,
        classifyTransportFailure(undefined, req.kind),
        { operation: req.operation },
      );
    }
    if (e instanceof TooLargeSignal) {
      return new ProviderError(
        ProviderErrorCodes.BAD_RESPONSE,
        `answer larger than ${this.maxBodyBytes} bytes`,
        classifyUntrustedAnswer(req.kind),
        { operation: req.operation },
      );
    }
    const code = errorCodeOf(e);
    return new ProviderError(
      ProviderErrorCodes.NETWORK,
      `network failure talking to WeChat Pay (${code ?? 'unknown error'})`,
      classifyTransportFailure(code, req.kind),
      { operation: req.operation, cause: e },
    );
  }
}

function requestIdOf(headers: Readonly<Record<string, string>>): { requestId?: string } {
  const id = headers['request-id'];
  return id === undefined ? {} : { requestId: id };
}
