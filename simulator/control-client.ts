// A typed HTTP client for the simulator's control API (/sim/...). Used by tests, the dev console and the local stack.
import { request } from 'node:http';
import type {
  ClockView,
  EventFilter,
  FailOptions,
  FaultRecord,
  FaultSpec,
  KeyMode,
  MerchantMode,
  NotificationRecord,
  NotificationStatus,
  OrderRecord,
  OrderRef,
  PayOptions,
  PublicIdentity,
  RefundOutcome,
  RefundRecord,
  RefundStatus,
  SimEvent,
  SimIdentity,
  SimSettings,
  SimulatorControl,
  TradeState,
} from './types';

/** A control API error: the HTTP status and the simulator's {code, message}. */
export class SimControlError extends Error {
  override readonly name = 'SimControlError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Options of SimControl. */
export interface SimControlOptions {
  /** Real ms before a call is abandoned (default 120 000: clock advances wait for every delivery on the way). */
  timeoutMs?: number;
}

type Query = Record<string, string | number | undefined>;

/** The control API over HTTP: `new SimControl('http://127.0.0.1:7301').pay('ORDER123')`. */
export class SimControl implements SimulatorControl {
  private readonly base: URL;
  private readonly timeoutMs: number;

  /** `baseUrl` is the simulator URL (the one startSimulator or `npm run sim` printed). */
  constructor(baseUrl: string, opts: SimControlOptions = {}) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:')
      throw new Error(`SimControl needs an http:// simulator URL, got ${baseUrl}`);
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  health(): Promise<{ ok: true; nowMs: number }> {
    return this.call('GET', '/sim/health');
  }

  identity(): Promise<PublicIdentity> {
    return this.call('GET', '/sim/identity');
  }

  identityWithSecrets(): Promise<SimIdentity> {
    return this.call('GET', '/sim/identity', { secrets: 'true' });
  }

  setKeyMode(merchant: MerchantMode, mode: KeyMode): Promise<PublicIdentity> {
    return this.call('POST', '/sim/key-mode', {}, { merchant, mode });
  }

  addMerchantCertificate(merchant: MerchantMode, certificatePem: string): Promise<PublicIdentity> {
    return this.call('POST', '/sim/merchant-certificates', {}, { merchant, certificatePem });
  }

  orders(filter: { tradeState?: TradeState; limit?: number } = {}): Promise<OrderRecord[]> {
    return this.call('GET', '/sim/orders', filter);
  }

  order(outTradeNo: string, ref: OrderRef = {}): Promise<OrderRecord> {
    return this.call('GET', `/sim/orders/${enc(outTradeNo)}`, { ...ref });
  }

  pay(outTradeNo: string, opts: PayOptions = {}): Promise<OrderRecord> {
    return this.call('POST', `/sim/orders/${enc(outTradeNo)}/pay`, {}, opts);
  }

  payLate(outTradeNo: string, opts: PayOptions = {}): Promise<OrderRecord> {
    return this.call('POST', `/sim/orders/${enc(outTradeNo)}/pay-late`, {}, opts);
  }

  cancel(outTradeNo: string, ref: OrderRef = {}): Promise<OrderRecord> {
    return this.call('POST', `/sim/orders/${enc(outTradeNo)}/cancel`, {}, ref);
  }

  fail(outTradeNo: string, opts: FailOptions = {}): Promise<OrderRecord> {
    return this.call('POST', `/sim/orders/${enc(outTradeNo)}/fail`, {}, opts);
  }

  refunds(
    filter: { outTradeNo?: string; status?: RefundStatus; limit?: number } = {},
  ): Promise<RefundRecord[]> {
    return this.call('GET', '/sim/refunds', filter);
  }

  refund(outRefundNo: string, ref: OrderRef = {}): Promise<RefundRecord> {
    return this.call('GET', `/sim/refunds/${enc(outRefundNo)}`, { ...ref });
  }

  setRefundOutcome(
    outRefundNo: string,
    outcome: RefundOutcome,
    opts: OrderRef & { now?: boolean } = {},
  ): Promise<RefundRecord> {
    return this.call('POST', `/sim/refunds/${enc(outRefundNo)}/outcome`, {}, { ...opts, outcome });
  }

  settleRefundByHand(outRefundNo: string, opts: OrderRef & { notify?: boolean } = {}): Promise<RefundRecord> {
    return this.call('POST', `/sim/refunds/${enc(outRefundNo)}/settle-by-hand`, {}, opts);
  }

  notifications(
    filter: { outTradeNo?: string; status?: NotificationStatus; eventType?: string; limit?: number } = {},
  ): Promise<NotificationRecord[]> {
    return this.call('GET', '/sim/notifications', filter);
  }

  notification(id: string): Promise<NotificationRecord> {
    return this.call('GET', `/sim/notifications/${enc(id)}`);
  }

  replay(id: string): Promise<NotificationRecord> {
    return this.call('POST', `/sim/notifications/${enc(id)}/replay`);
  }

  clock(): Promise<ClockView> {
    return this.call('GET', '/sim/clock');
  }

  advance(ms: number): Promise<ClockView> {
    return this.call('POST', '/sim/clock/advance', {}, { ms });
  }

  setTimeScale(timeScale: number): Promise<ClockView> {
    return this.call('POST', '/sim/clock/time-scale', {}, { timeScale });
  }

  faults(): Promise<FaultRecord[]> {
    return this.call('GET', '/sim/faults');
  }

  addFault(spec: FaultSpec): Promise<FaultRecord> {
    return this.call('POST', '/sim/faults', {}, spec);
  }

  async removeFault(id: string): Promise<void> {
    await this.call('DELETE', `/sim/faults/${enc(id)}`);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/sim/faults');
  }

  events(filter: EventFilter = {}): Promise<SimEvent[]> {
    return this.call('GET', '/sim/events', { ...filter });
  }

  settings(): Promise<SimSettings> {
    return this.call('GET', '/sim/settings');
  }

  updateSettings(patch: Partial<SimSettings>): Promise<SimSettings> {
    return this.call('POST', '/sim/settings', {}, patch);
  }

  private call<T>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = body === undefined ? '' : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: false,
          headers: {
            Accept: 'application/json',
            ...(payload !== ''
              ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              reject(
                new SimControlError(
                  res.statusCode ?? 0,
                  'SIM.BAD_ANSWER',
                  `not JSON from ${method} ${path}: ${text.slice(0, 200)}`,
                ),
              );
              return;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve(parsed as T);
              return;
            }
            const err = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
            reject(
              new SimControlError(
                status,
                typeof err?.code === 'string' ? err.code : 'SIM.HTTP_ERROR',
                typeof err?.message === 'string' ? err.message : `${method} ${path} answered HTTP ${status}`,
              ),
            );
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
