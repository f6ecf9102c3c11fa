// The WeChat-facing HTTP API: request authentication, routing, API faults, signed answers, event log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventLog } from './events';
import { excerpt } from './events';
import type { ApiCall, ApiResult, Channel, Engine } from './engine';
import type { Bills } from './bills';
import { randomHex, signSha256Rsa, verifySha256Rsa } from './crypto';
import { paramError, wx, WxError } from './errors';
import type { FaultBook, FaultContext } from './faults';
import { isJsonObject, type JsonObject } from './fields';
import type { MerchantKeys, SimIdentity } from './identity';
import {
  anonymousSigner,
  findMerchant,
  responseSigner,
  type KnownMerchant,
  type PlatformSigner,
} from './keys';
import type { VirtualClock } from './clock';
import type { MerchantMode } from '../types';

/** Allowed distance between a request's Authorization timestamp and the wall clock, seconds. */
const MAX_CLOCK_SKEW_S = 300;
const DEFAULT_HANG_MS = 10_000;

/** Dependencies of the API handler. */
export interface ApiDeps {
  identity: SimIdentity;
  engine: Engine;
  bills: Bills;
  faults: FaultBook;
  events: EventLog;
  clock: VirtualClock;
  /** Waits `ms` real milliseconds; resolves early (false) when the simulator closes. */
  sleep: (ms: number) => Promise<boolean>;
}

type Handler = (call: ApiCall, params: string[]) => ApiResult | RawResult;

/** An unsigned raw answer (bill download). */
interface RawResult {
  raw: Buffer;
  contentType: string;
}

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
}

const ROUTES = new WeakMap<ApiDeps, Route[]>();

function routes(d: ApiDeps): Route[] {
  const cached = ROUTES.get(d);
  if (cached) return cached;
  const built = buildRoutes(d);
  ROUTES.set(d, built);
  return built;
}

function buildRoutes(d: ApiDeps): Route[] {
  const e = d.engine;
  const create = (family: MerchantMode) => (call: ApiCall, p: string[]) =>
    e.createTransaction(call, family, p[0] as Channel);
  return [
    {
      method: 'POST',
      pattern: /^\/v3\/pay\/transactions\/(jsapi|native|h5|app)$/,
      handler: create('direct'),
    },
    {
      method: 'POST',
      pattern: /^\/v3\/pay\/partner\/transactions\/(jsapi|native|h5|app)$/,
      handler: create('partner'),
    },
    {
      method: 'GET',
      pattern: /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/,
      handler: (c, p) => e.queryByOutTradeNo(c, 'direct', p[0] ?? ''),
    },
    {
      method: 'GET',
      pattern: /^\/v3\/pay\/transactions\/id\/([^/]+)$/,
      handler: (c, p) => e.queryById(c, 'direct', p[0] ?? ''),
    },
    {
      method: 'GET',
      pattern: /^\/v3\/pay\/partner\/transactions\/out-trade-no\/([^/]+)$/,
      handler: (c, p) => e.queryByOutTradeNo(c, 'partner', p[0] ?? ''),
    },
    {
      method: 'GET',
      pattern: /^\/v3\/pay\/partner\/transactions\/id\/([^/]+)$/,
      handler: (c, p) => e.queryById(c, 'partner', p[0] ?? ''),
    },
    {
      method: 'POST',
      pattern: /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/,
      handler: (c, p) => e.close(c, 'direct', p[0] ?? ''),
    },
    {
      method: 'POST',
      pattern: /^\/v3\/pay\/partner\/transactions\/out-trade-no\/([^/]+)\/close$/,
      handler: (c, p) => e.close(c, 'partner', p[0] ?? ''),
    },
    { method: 'POST', pattern: /^\/v3\/refund\/domestic\/refunds$/, handler: (c) => e.createRefund(c) },
    {
      method: 'POST',
      pattern: /^\/v3\/refund\/domestic\/refunds\/([^/]+)\/apply-abnormal-refund$/,
      handler: (c, p) => e.applyAbnormalRefund(c, p[0] ?? ''),
    },
    {
      method: 'GET',
      pattern: /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/,
      handler: (c, p) => e.queryRefund(c, p[0] ?? ''),
    },
    { method: 'GET', pattern: /^\/v3\/bill\/tradebill$/, handler: (c) => d.bills.tradeBill(c) },
    { method: 'GET', pattern: /^\/v3\/bill\/fundflowbill$/, handler: (c) => d.bills.fundFlowBill(c) },
    {
      method: 'GET',
      pattern: /^\/v3\/billdownload\/file$/,
      handler: (c) => {
        const f = d.bills.download(c);
        return { raw: f.body, contentType: f.contentType };
      },
    },
    { method: 'GET', pattern: /^\/v3\/certificates$/, handler: (c) => e.certificates(c) },
    { method: 'POST', pattern: /^\/v3\/security\/echo$/, handler: (c) => e.echo(c) },
  ];
}

/** Parsed `Authorization: WECHATPAY2-SHA256-RSA2048 k="v",…` parameters. */
export function parseAuthorization(header: string | undefined): Record<string, string> | undefined {
  if (!header) return undefined;
  const m = /^WECHATPAY2-SHA256-RSA2048\s+(.+)$/.exec(header.trim());
  if (!m || m[1] === undefined) return undefined;
  const out: Record<string, string> = {};
  const re = /([a-z_]+)="([^"]*)"/g;
  let hit: RegExpExecArray | null;
  while ((hit = re.exec(m[1])) !== null) {
    if (hit[1] !== undefined && hit[2] !== undefined) out[hit[1]] = hit[2];
  }
  return out;
}

/** Every API certificate WeChat accepts request signatures from for this merchant (two during a rotation). */
function merchantCertificates(keys: MerchantKeys): { serial: string; certificatePem: string }[] {
  return [
    { serial: keys.merchantSerial, certificatePem: keys.merchantCertificatePem },
    ...(keys.additionalCertificates ?? []),
  ];
}

/**
 * Checks the Authorization header as WeChat does: format, known mchid, the serial of one of the merchant's
 * certificates (the current one, or one registered for a rotation), the
 * timestamp within ±5 minutes of the wall clock, and SHA256withRSA over METHOD\nURL\nTS\nNONCE\nBODY\n.
 */
export function authenticate(
  identity: SimIdentity,
  method: string,
  url: string,
  authorization: string | undefined,
  body: string,
  nowSeconds: number,
): KnownMerchant {
  const a = parseAuthorization(authorization);
  const required = ['mchid', 'nonce_str', 'timestamp', 'serial_no', 'signature'];
  if (!a || required.some((k) => !a[k])) {
    throw wx.signError('Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》', {
      field: 'authorization',
      location: 'header',
      issue: `expected WECHATPAY2-SHA256-RSA2048 with ${required.join(', ')}`,
    });
  }
  const mchid = a.mchid ?? '';
  const merchant = findMerchant(identity, mchid);
  if (!merchant) {
    throw wx.signError('商户号不存在或未开通APIv3', {
      field: 'mchid',
      location: 'authorization',
      issue: `unknown mchid ${mchid}`,
    });
  }
  const serialNo = (a.serial_no ?? '').toUpperCase();
  const certificate = merchantCertificates(merchant.keys).find((c) => c.serial.toUpperCase() === serialNo);
  if (certificate === undefined) {
    throw wx.signError('商户证书序列号有误，请使用签名私钥匹配的证书序列号', {
      field: 'serial_no',
      location: 'authorization',
      issue: `serial_no is not the certificate serial of merchant ${mchid}`,
    });
  }
  const ts = Number(a.timestamp);
  if (!/^\d{1,12}$/.test(a.timestamp ?? '') || Math.abs(nowSeconds - ts) > MAX_CLOCK_SKEW_S) {
    throw wx.signError('Http头Authorization中的timestamp与当前时间相差超过5分钟，请检查服务器时间', {
      field: 'timestamp',
      location: 'authorization',
      issue: `timestamp ${a.timestamp ?? ''} is more than ${MAX_CLOCK_SKEW_S}s from now (${nowSeconds})`,
    });
  }
  const message = `${method}\n${url}\n${a.timestamp ?? ''}\n${a.nonce_str ?? ''}\n${body}\n`;
  if (!verifySha256Rsa(message, a.signature ?? '', certificate.certificatePem)) {
    throw wx.signError('错误的签名，验签失败', {
      detail: { issue: 'sign not match' },
      field: 'signature',
      location: 'authorization',
      sign_information: {
        method,
        url,
        sign_message_length: Buffer.byteLength(message),
        truncated_sign_message: message.slice(0, 128),
      },
    });
  }
  return merchant;
}

/** Writes a signed JSON answer (or a signed empty 204). */
export function sendSigned(
  res: ServerResponse,
  status: number,
  json: unknown,
  signer: PlatformSigner,
  requestId: string,
): string {
  const body = json === undefined ? '' : JSON.stringify(json);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomHex(32);
  const signature = signSha256Rsa(`${timestamp}\n${nonce}\n${body}\n`, signer.privateKeyPem);
  const headers: Record<string, string> = {
    'Request-ID': requestId,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Serial': signer.serial,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    'Content-Length': String(Buffer.byteLength(body)),
  };
  if (body !== '') headers['Content-Type'] = 'application/json; charset=utf-8';
  res.writeHead(status, headers);
  res.end(body);
  return body;
}

/** Handles one request under /v3/: never throws; always answers (unless the simulator closes mid-hang). */
export async function handleApi(
  d: ApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const started = Date.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const url = req.url ?? '/';
  const parsedUrl = new URL(url, 'http://simulator.local');
  const path = parsedUrl.pathname;
  const bodyText = rawBody.toString('utf8');
  const requestedSerial = headerValue(req, 'wechatpay-serial');
  const requestId = `${randomHex(32)}-${process.pid % 100}`;
  let merchant: KnownMerchant | undefined;
  let result: { status: number; json?: unknown; raw?: RawResult; outTradeNo?: string; outRefundNo?: string };
  const faultCtx: FaultContext = { path, method, ...scopeOf(path, bodyText) };

  const logAndReturn = (status: number, answered: string, code?: string): void => {
    d.events.add({
      kind: 'api',
      at: d.clock.now(),
      summary: `${method} ${url} → ${status}${code ? ` ${code}` : ''}`,
      method,
      path: url,
      status,
      realDurationMs: Date.now() - started,
      requestId,
      ...(code !== undefined ? { code } : {}),
      ...(merchant ? { mchid: merchant.mchid } : {}),
      ...(result?.outTradeNo !== undefined
        ? { outTradeNo: result.outTradeNo }
        : faultCtx.outTradeNo !== undefined
          ? { outTradeNo: faultCtx.outTradeNo }
          : {}),
      ...(result?.outRefundNo !== undefined ? { outRefundNo: result.outRefundNo } : {}),
      ...(excerpt(bodyText) !== undefined ? { requestExcerpt: excerpt(bodyText) } : {}),
      ...(excerpt(answered) !== undefined ? { responseExcerpt: excerpt(answered) } : {}),
    });
  };

  const errorBefore = d.faults.take('api.error', faultCtx, (f) => (f.when ?? 'before') === 'before');
  const hangBefore = d.faults.take('api.timeout', faultCtx, (f) => f.when === 'before');
  if (hangBefore && !(await d.sleep(hangBefore.hangMs ?? DEFAULT_HANG_MS))) return;

  try {
    if (errorBefore)
      throw new WxError(
        errorBefore.status ?? 500,
        errorBefore.code ?? 'SYSTEM_ERROR',
        '系统错误（模拟故障）',
      );
    merchant = authenticate(
      d.identity,
      method,
      url,
      headerValue(req, 'authorization'),
      bodyText,
      Math.floor(Date.now() / 1000),
    );
    const route = routes(d).find((r) => r.pattern.test(path));
    if (!route) throw new WxError(404, 'RESOURCE_NOT_EXISTS', `请求的接口不存在：${path}`);
    if (route.method !== method)
      throw new WxError(405, 'METHOD_NOT_ALLOWED', `${path} 只支持 ${route.method}`);
    const params = (route.pattern.exec(path) ?? []).slice(1).map((p) => safeDecode(p));
    let body: JsonObject = {};
    if (method === 'POST' && bodyText.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(bodyText);
      } catch {
        throw paramError('/', '请求体不是合法的JSON');
      }
      if (!isJsonObject(parsed)) throw paramError('/', '请求体必须是JSON对象');
      body = parsed;
    }
    const call: ApiCall = { merchant, query: parsedUrl.searchParams, body };
    if (requestedSerial !== undefined) call.requestedSerial = requestedSerial;
    const out = route.handler(call, params);
    result = 'raw' in out ? { status: 200, raw: out } : out;
  } catch (e) {
    const err = e instanceof WxError ? e : wx.systemError();
    if (!(e instanceof WxError))
      d.events.add({ kind: 'system', at: d.clock.now(), summary: `internal error: ${String(e)}` });
    result = { status: err.status, json: err.body() };
  }

  // Faults after processing: the work is done (and persisted) but the answer is lost or late.
  const errorAfter = d.faults.take('api.error', faultCtx, (f) => f.when === 'after');
  if (errorAfter)
    result = {
      status: errorAfter.status ?? 500,
      json: { code: errorAfter.code ?? 'SYSTEM_ERROR', message: '系统错误（模拟故障）' },
    };
  const hangAfter = d.faults.take('api.timeout', faultCtx, (f) => (f.when ?? 'after') === 'after');
  if (hangAfter && !(await d.sleep(hangAfter.hangMs ?? DEFAULT_HANG_MS))) return;
  if (res.destroyed) {
    logAndReturn(result.status, '(client went away before the answer)');
    return;
  }

  if (result.raw) {
    // Bill downloads are not signed: the client checks hash_value instead.
    res.writeHead(200, {
      'Content-Type': result.raw.contentType,
      'Content-Length': String(result.raw.raw.length),
      'Request-ID': requestId,
    });
    res.end(result.raw.raw);
    logAndReturn(200, `(${result.raw.raw.length} bytes ${result.raw.contentType})`);
    return;
  }
  const signer = merchant
    ? responseSigner(d.identity, merchant.keys.keyMode, requestedSerial)
    : anonymousSigner(d.identity, requestedSerial);
  const answered = sendSigned(
    res,
    result.status,
    result.status === 204 ? undefined : result.json,
    signer,
    requestId,
  );
  const code =
    isJsonObject(result.json) && typeof result.json.code === 'string' ? result.json.code : undefined;
  logAndReturn(result.status, answered, code);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The order a request is about, for fault scoping and the event log: path out-trade-no or body out_trade_no. */
function scopeOf(path: string, body: string): { outTradeNo?: string } {
  const m = /\/out-trade-no\/([^/]+)/.exec(path);
  if (m?.[1] !== undefined) return { outTradeNo: safeDecode(m[1]) };
  if (body.includes('out_trade_no')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (isJsonObject(parsed) && typeof parsed.out_trade_no === 'string')
        return { outTradeNo: parsed.out_trade_no };
    } catch {
      // not JSON: no scope
    }
  }
  return {};
}
