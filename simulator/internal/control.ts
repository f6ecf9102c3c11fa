// The control API: the in-process implementation and its HTTP routes under /sim/.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ClockView,
  EventFilter,
  EventKind,
  FaultRecord,
  FaultSpec,
  FailOptions,
  MerchantMode,
  NotificationRecord,
  NotificationStatus,
  OrderRecord,
  OrderRef,
  PayOptions,
  RefundOutcome,
  RefundRecord,
  RefundStatus,
  SimEvent,
  SimSettings,
  SimulatorControl,
  TradeState,
} from '../types';
import { yuan } from './bills';
import { certificateSerial } from './crypto';
import type { VirtualClock } from './clock';
import { formatRfc3339Beijing } from './clock';
import type { Engine } from './engine';
import { ControlError } from './errors';
import type { EventLog } from './events';
import { parseFaultSpec, type FaultBook } from './faults';
import { isJsonObject, type JsonObject } from './fields';
import { KEY_MODES, publicIdentity, type KeyMode, type PublicIdentity, type SimIdentity } from './identity';
import type { Notifier } from './notifier';
import type { Scheduler } from './scheduler';

const TRADE_STATES: readonly TradeState[] = ['NOTPAY', 'SUCCESS', 'REFUND', 'CLOSED'];
const REFUND_STATUSES: readonly RefundStatus[] = ['PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL'];
const REFUND_OUTCOMES: readonly RefundOutcome[] = ['SUCCESS', 'CLOSED', 'ABNORMAL'];
const NOTIFICATION_STATUSES: readonly NotificationStatus[] = ['pending', 'held', 'delivered', 'failed'];
const EVENT_KINDS: readonly EventKind[] = ['api', 'notify', 'payer', 'refund', 'control', 'clock', 'system'];
const MAX_ADVANCE_MS = 400 * 24 * 3600 * 1000;

/** What the in-process control needs. */
export interface ControlDeps {
  identity: SimIdentity;
  saveIdentity: () => void;
  engine: Engine;
  notifier: Notifier;
  scheduler: Scheduler;
  clock: VirtualClock;
  saveClock: () => void;
  faults: FaultBook;
  events: EventLog;
  settings: () => SimSettings;
  saveSettings: (s: SimSettings) => void;
}

/** The control API over direct method calls (the handle's `control`); the HTTP routes call these too. */
export class InProcessControl implements SimulatorControl {
  constructor(private readonly d: ControlDeps) {}

  health(): Promise<{ ok: true; nowMs: number }> {
    return Promise.resolve({ ok: true, nowMs: this.d.clock.now() });
  }

  identity(): Promise<PublicIdentity> {
    return Promise.resolve(publicIdentity(this.d.identity));
  }

  identityWithSecrets(): Promise<SimIdentity> {
    return Promise.resolve(structuredClone(this.d.identity));
  }

  setKeyMode(merchant: MerchantMode, mode: KeyMode): Promise<PublicIdentity> {
    if (merchant !== 'direct' && merchant !== 'partner')
      throw bad(`merchant must be "direct" or "partner"; got ${String(merchant)}`);
    if (!KEY_MODES.includes(mode))
      throw bad(`mode must be one of ${KEY_MODES.join(', ')}; got ${String(mode)}`);
    this.d.identity[merchant].keyMode = mode;
    this.d.saveIdentity();
    this.log(`key mode of ${merchant} merchant → ${mode}`);
    return this.identity();
  }

  addMerchantCertificate(merchant: MerchantMode, certificatePem: string): Promise<PublicIdentity> {
    if (merchant !== 'direct' && merchant !== 'partner')
      throw bad(`merchant must be "direct" or "partner"; got ${String(merchant)}`);
    if (typeof certificatePem !== 'string') throw bad('certificatePem must be a PEM certificate');
    let serial: string;
    try {
      serial = certificateSerial(certificatePem);
    } catch {
      throw bad('certificatePem is not a PEM X.509 certificate');
    }
    const keys = this.d.identity[merchant];
    const known = [keys.merchantSerial, ...(keys.additionalCertificates ?? []).map((c) => c.serial)];
    if (!known.includes(serial)) {
      keys.additionalCertificates = [...(keys.additionalCertificates ?? []), { serial, certificatePem }];
      this.d.saveIdentity();
      this.log(`merchant certificate ${serial} registered for ${merchant} merchant`);
    }
    return this.identity();
  }

  orders(filter: { tradeState?: TradeState; limit?: number } = {}): Promise<OrderRecord[]> {
    return Promise.resolve(this.d.engine.listOrders(filter));
  }

  order(outTradeNo: string, ref: OrderRef = {}): Promise<OrderRecord> {
    return Promise.resolve(this.d.engine.findOrder(outTradeNo, ref));
  }

  pay(outTradeNo: string, opts: PayOptions = {}): Promise<OrderRecord> {
    return Promise.resolve(this.d.engine.pay(outTradeNo, opts));
  }

  payLate(outTradeNo: string, opts: PayOptions = {}): Promise<OrderRecord> {
    return Promise.resolve(this.d.engine.payLate(outTradeNo, opts));
  }

  cancel(outTradeNo: string, ref: OrderRef = {}): Promise<OrderRecord> {
    return Promise.resolve(this.d.engine.cancel(outTradeNo, ref));
  }

  fail(outTradeNo: string, opts: FailOptions = {}): Promise<OrderRecord> {
    return Promise.resolve(this.d.engine.fail(outTradeNo, opts));
  }

  refunds(
    filter: { outTradeNo?: string; status?: RefundStatus; limit?: number } = {},
  ): Promise<RefundRecord[]> {
    return Promise.resolve(this.d.engine.listRefunds(filter));
  }

  refund(outRefundNo: string, ref: OrderRef = {}): Promise<RefundRecord> {
    return Promise.resolve(this.d.engine.findRefund(outRefundNo, ref));
  }

  setRefundOutcome(
    outRefundNo: string,
    outcome: RefundOutcome,
    opts: OrderRef & { now?: boolean } = {},
  ): Promise<RefundRecord> {
    if (!REFUND_OUTCOMES.includes(outcome))
      throw bad(`outcome must be one of ${REFUND_OUTCOMES.join(', ')}; got ${String(outcome)}`);
    return Promise.resolve(this.d.engine.setRefundOutcome(outRefundNo, outcome, opts));
  }

  settleRefundByHand(outRefundNo: string, opts: OrderRef & { notify?: boolean } = {}): Promise<RefundRecord> {
    // A refusal is a rejected promise, as over HTTP, not a synchronous throw.
    return Promise.resolve().then(() => this.d.engine.settleRefundByHand(outRefundNo, opts));
  }

  notifications(
    filter: { outTradeNo?: string; status?: NotificationStatus; eventType?: string; limit?: number } = {},
  ): Promise<NotificationRecord[]> {
    return Promise.resolve(this.d.notifier.list(filter));
  }

  notification(id: string): Promise<NotificationRecord> {
    return Promise.resolve(this.d.notifier.get(id));
  }

  replay(id: string): Promise<NotificationRecord> {
    return this.d.notifier.replay(id);
  }

  clock(): Promise<ClockView> {
    return Promise.resolve(this.clockView());
  }

  async advance(ms: number): Promise<ClockView> {
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_ADVANCE_MS) {
      throw bad(`ms must be an integer between 0 and ${MAX_ADVANCE_MS}; got ${String(ms)}`);
    }
    const before = this.d.clock.now();
    await this.d.scheduler.advance(ms);
    this.d.saveClock();
    this.d.events.add({
      kind: 'clock',
      at: this.d.clock.now(),
      summary: `advanced ${ms} ms: ${formatRfc3339Beijing(before)} → ${formatRfc3339Beijing(this.d.clock.now())}`,
    });
    return this.clockView();
  }

  setTimeScale(timeScale: number): Promise<ClockView> {
    if (typeof timeScale !== 'number' || !(timeScale > 0) || timeScale > 1e7) {
      throw bad(`timeScale must be a number in (0, 1e7]; got ${String(timeScale)}`);
    }
    this.d.clock.setTimeScale(timeScale);
    this.d.saveClock();
    this.d.scheduler.kick();
    this.log(`time scale → ${timeScale}`);
    return this.clock();
  }

  faults(): Promise<FaultRecord[]> {
    return Promise.resolve(this.d.faults.list());
  }

  addFault(spec: FaultSpec): Promise<FaultRecord> {
    const rec = this.d.faults.add(parseFaultSpec(spec));
    this.log(
      `fault added ${rec.kind} ${rec.id}${rec.outTradeNo ? ` for ${rec.outTradeNo}` : ''}${rec.count ? ` ×${rec.count}` : ''}`,
    );
    return Promise.resolve(rec);
  }

  removeFault(id: string): Promise<void> {
    if (!this.d.faults.remove(id))
      throw new ControlError(404, 'SIM.FAULT_NOT_FOUND', `no fault with id ${id}`);
    this.log(`fault removed ${id}`);
    return Promise.resolve();
  }

  clearFaults(): Promise<void> {
    this.d.faults.clear();
    this.log('all faults cleared');
    return Promise.resolve();
  }

  events(filter: EventFilter = {}): Promise<SimEvent[]> {
    return Promise.resolve(this.d.events.query(filter));
  }

  settings(): Promise<SimSettings> {
    return Promise.resolve({ ...this.d.settings() });
  }

  updateSettings(patch: Partial<SimSettings>): Promise<SimSettings> {
    const next = { ...this.d.settings() };
    if (!isJsonObject(patch)) throw bad('settings patch must be a JSON object');
    for (const [k, v] of Object.entries(patch)) {
      switch (k) {
        case 'refundDelayMs':
        case 'closeGuardMs':
          if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
            throw bad(`${k} must be a non-negative integer (ms)`);
          next[k] = v;
          break;
        case 'defaultRefundOutcome':
          if (!REFUND_OUTCOMES.includes(v as RefundOutcome))
            throw bad(`defaultRefundOutcome must be one of ${REFUND_OUTCOMES.join(', ')}`);
          next.defaultRefundOutcome = v as RefundOutcome;
          break;
        case 'switchingPublicKeyShare':
          if (typeof v !== 'number' || v < 0 || v > 1)
            throw bad('switchingPublicKeyShare must be a number in [0, 1]');
          next.switchingPublicKeyShare = v;
          break;
        default:
          throw bad(`unknown setting "${k}"`);
      }
    }
    this.d.saveSettings(next);
    this.log(`settings updated: ${JSON.stringify(patch)}`);
    return this.settings();
  }

  private clockView(): ClockView {
    const nowMs = this.d.clock.now();
    return {
      nowMs,
      now: formatRfc3339Beijing(nowMs),
      timeScale: this.d.clock.timeScale,
      offsetMs: nowMs - Date.now(),
    };
  }

  private log(summary: string): void {
    this.d.events.add({ kind: 'control', at: this.d.clock.now(), summary });
  }
}

function bad(message: string): ControlError {
  return new ControlError(400, 'SIM.BAD_REQUEST', message);
}

// ------------------------------------------------------------------ HTTP routes

type ControlRoute = {
  method: string;
  pattern: RegExp;
  run: (c: InProcessControl, p: string[], q: URLSearchParams, body: JsonObject) => Promise<unknown>;
};

function ref(q: URLSearchParams, body: JsonObject): OrderRef {
  const out: OrderRef = {};
  const mchid = optStr(body.mchid) ?? q.get('mchid') ?? undefined;
  const subMchid = optStr(body.subMchid) ?? q.get('subMchid') ?? undefined;
  if (mchid !== undefined) out.mchid = mchid;
  if (subMchid !== undefined) out.subMchid = subMchid;
  return out;
}

function optStr(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function optInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw bad(`${name} must be an integer; got ${v}`);
  return Number(v);
}

function optEnum<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw bad(`${name} must be one of ${allowed.join(', ')}; got ${v}`);
  return v as T;
}

function withLimit<T extends object>(o: T, limit: number | undefined): T & { limit?: number } {
  return limit === undefined ? o : { ...o, limit };
}

const CONTROL_ROUTES: ControlRoute[] = [
  { method: 'GET', pattern: /^\/sim\/health$/, run: (c) => c.health() },
  {
    method: 'GET',
    pattern: /^\/sim\/identity$/,
    run: (c, _p, q) =>
      q.get('secrets') === 'true' || q.get('secrets') === '1' ? c.identityWithSecrets() : c.identity(),
  },
  {
    method: 'POST',
    pattern: /^\/sim\/key-mode$/,
    run: (c, _p, _q, b) => c.setKeyMode(b.merchant as MerchantMode, b.mode as KeyMode),
  },
  {
    method: 'POST',
    pattern: /^\/sim\/merchant-certificates$/,
    run: (c, _p, _q, b) => c.addMerchantCertificate(b.merchant as MerchantMode, b.certificatePem as string),
  },
  {
    method: 'GET',
    pattern: /^\/sim\/orders$/,
    run: (c, _p, q) => {
      const tradeState = optEnum(q, 'tradeState', TRADE_STATES);
      return c.orders(withLimit(tradeState ? { tradeState } : {}, optInt(q, 'limit')));
    },
  },
  { method: 'GET', pattern: /^\/sim\/orders\/([^/]+)$/, run: (c, p, q, b) => c.order(p[0] ?? '', ref(q, b)) },
  {
    method: 'POST',
    pattern: /^\/sim\/orders\/([^/]+)\/pay$/,
    run: (c, p, q, b) => c.pay(p[0] ?? '', { ...ref(q, b), ...bank(b) }),
  },
  {
    method: 'POST',
    pattern: /^\/sim\/orders\/([^/]+)\/pay-late$/,
    run: (c, p, q, b) => c.payLate(p[0] ?? '', { ...ref(q, b), ...bank(b) }),
  },
  {
    method: 'POST',
    pattern: /^\/sim\/orders\/([^/]+)\/cancel$/,
    run: (c, p, q, b) => c.cancel(p[0] ?? '', ref(q, b)),
  },
  {
    method: 'POST',
    pattern: /^\/sim\/orders\/([^/]+)\/fail$/,
    run: (c, p, q, b) => {
      const reason = optStr(b.reason);
      return c.fail(p[0] ?? '', { ...ref(q, b), ...(reason !== undefined ? { reason } : {}) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/sim\/refunds$/,
    run: (c, _p, q) => {
      const status = optEnum(q, 'status', REFUND_STATUSES);
      const outTradeNo = q.get('outTradeNo') ?? undefined;
      return c.refunds(
        withLimit(
          { ...(status ? { status } : {}), ...(outTradeNo ? { outTradeNo } : {}) },
          optInt(q, 'limit'),
        ),
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/sim\/refunds\/([^/]+)$/,
    run: (c, p, q, b) => c.refund(p[0] ?? '', ref(q, b)),
  },
  {
    method: 'POST',
    pattern: /^\/sim\/refunds\/([^/]+)\/outcome$/,
    run: (c, p, q, b) => {
      if (b.now !== undefined && typeof b.now !== 'boolean') throw bad('now must be a boolean');
      return c.setRefundOutcome(p[0] ?? '', b.outcome as RefundOutcome, {
        ...ref(q, b),
        now: b.now === true,
      });
    },
  },
  {
    method: 'POST',
    pattern: /^\/sim\/refunds\/([^/]+)\/settle-by-hand$/,
    run: (c, p, q, b) => {
      if (b.notify !== undefined && typeof b.notify !== 'boolean') throw bad('notify must be a boolean');
      return c.settleRefundByHand(p[0] ?? '', { ...ref(q, b), notify: b.notify === true });
    },
  },
  {
    method: 'GET',
    pattern: /^\/sim\/notifications$/,
    run: (c, _p, q) => {
      const status = optEnum(q, 'status', NOTIFICATION_STATUSES);
      const outTradeNo = q.get('outTradeNo') ?? undefined;
      const eventType = q.get('eventType') ?? undefined;
      return c.notifications(
        withLimit(
          {
            ...(status ? { status } : {}),
            ...(outTradeNo ? { outTradeNo } : {}),
            ...(eventType ? { eventType } : {}),
          },
          optInt(q, 'limit'),
        ),
      );
    },
  },
  { method: 'GET', pattern: /^\/sim\/notifications\/([^/]+)$/, run: (c, p) => c.notification(p[0] ?? '') },
  { method: 'POST', pattern: /^\/sim\/notifications\/([^/]+)\/replay$/, run: (c, p) => c.replay(p[0] ?? '') },
  { method: 'GET', pattern: /^\/sim\/clock$/, run: (c) => c.clock() },
  { method: 'POST', pattern: /^\/sim\/clock\/advance$/, run: (c, _p, _q, b) => c.advance(b.ms as number) },
  {
    method: 'POST',
    pattern: /^\/sim\/clock\/time-scale$/,
    run: (c, _p, _q, b) => c.setTimeScale(b.timeScale as number),
  },
  { method: 'GET', pattern: /^\/sim\/faults$/, run: (c) => c.faults() },
  {
    method: 'POST',
    pattern: /^\/sim\/faults$/,
    run: (c, _p, _q, b) => c.addFault(b as unknown as FaultSpec),
  },
  { method: 'DELETE', pattern: /^\/sim\/faults$/, run: (c) => c.clearFaults().then(() => ({ ok: true })) },
  {
    method: 'DELETE',
    pattern: /^\/sim\/faults\/([^/]+)$/,
    run: (c, p) => c.removeFault(p[0] ?? '').then(() => ({ ok: true })),
  },
  { method: 'GET', pattern: /^\/sim\/events$/, run: (c, _p, q) => c.events(eventFilter(q)) },
  { method: 'GET', pattern: /^\/sim\/settings$/, run: (c) => c.settings() },
  { method: 'POST', pattern: /^\/sim\/settings$/, run: (c, _p, _q, b) => c.updateSettings(b) },
];

function bank(b: JsonObject): { bankType?: string } {
  const bankType = optStr(b.bankType);
  return bankType !== undefined ? { bankType } : {};
}

function eventFilter(q: URLSearchParams): EventFilter {
  const f: EventFilter = {};
  const kind = optEnum(q, 'kind', EVENT_KINDS);
  if (kind) f.kind = kind;
  for (const name of ['outTradeNo', 'outRefundNo', 'notificationId', 'method', 'pathContains'] as const) {
    const v = q.get(name);
    if (v) f[name] = v;
  }
  for (const name of ['status', 'minStatus', 'afterSeq', 'fromMs', 'toMs', 'limit'] as const) {
    const v = optInt(q, name);
    if (v !== undefined) f[name] = v;
  }
  return f;
}

/** Serves /sim/* (JSON in, JSON out; errors as {error: {code, message}}) and the tiny cashier page. */
export async function handleControl(
  control: InProcessControl,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://simulator.local');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  try {
    const cashier = /^\/sim\/cashier\/([^/]+)$/.exec(path);
    if (cashier && method === 'GET') {
      const orders = await control.orders({ limit: 100000 });
      const order = orders.find((o) => o.prepayId === decodeURIComponent(cashier[1] ?? ''));
      if (!order) throw new ControlError(404, 'SIM.ORDER_NOT_FOUND', 'no order with this prepay_id');
      const html = cashierPage(order);
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(html)),
      });
      res.end(html);
      return;
    }
    const route = CONTROL_ROUTES.find((r) => r.pattern.test(path) && r.method === method);
    if (!route) {
      const other = CONTROL_ROUTES.some((r) => r.pattern.test(path));
      throw new ControlError(
        other ? 405 : 404,
        other ? 'SIM.METHOD_NOT_ALLOWED' : 'SIM.NOT_FOUND',
        other
          ? `${method} is not allowed on ${path}`
          : `no control route ${method} ${path} (see simulator/README.md)`,
      );
    }
    let body: JsonObject = {};
    const text = rawBody.toString('utf8').trim();
    if (text !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw bad('the request body is not valid JSON');
      }
      if (!isJsonObject(parsed)) throw bad('the request body must be a JSON object');
      body = parsed;
    }
    const params = (route.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
    const result = await route.run(control, params, url.searchParams, body);
    sendJson(res, 200, result);
  } catch (e) {
    if (e instanceof ControlError) sendJson(res, e.status, { error: { code: e.code, message: e.message } });
    else
      sendJson(res, 500, {
        error: { code: 'SIM.INTERNAL', message: e instanceof Error ? e.message : String(e) },
      });
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.destroyed) return;
  const body = JSON.stringify(value ?? null);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function cashierPage(o: OrderRecord): string {
  const no = encodeURIComponent(o.outTradeNo);
  const q = o.subMchid
    ? `?subMchid=${encodeURIComponent(o.subMchid)}`
    : `?mchid=${encodeURIComponent(o.mchid)}`;
  return `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>模拟收银台</title>
<body style="font-family:sans-serif;max-width:28em;margin:2em auto">
<h1>模拟收银台 (simulator cashier)</h1>
<p>${escapeHtml(o.description)}</p><p><b>¥${yuan(o.totalFen)}</b> · ${escapeHtml(o.outTradeNo)} · ${o.tradeState}</p>
<button onclick="act('pay')">支付 pay</button> <button onclick="act('cancel')">取消 cancel</button>
<button onclick="act('fail')">余额不足 fail</button><pre id="out"></pre>
<script>
async function act(a){const r=await fetch('/sim/orders/${no}/'+a+'${q}',{method:'POST'});
document.getElementById('out').textContent=JSON.stringify(await r.json(),null,2);}
</script></body></html>`;
}
