// The shipping upload queue (docs/adr/0009): orders whose shipment (SHIP, READY_FOR_PICKUP, a virtual payment) WeChat's
// 发货信息管理 must be told about. Settle rule: WeChat accepted the upload of the order's current parcels, or the
// service is not switched on for the app (not-managed), or the goods will never go (refunded before shipping).
// 10060001 (payment not found yet) is retried patiently; WeChat's final refusals (re-upload used up, payment refuses
// shipping, not the payer) give up at once; anything else backs off and gives up later. A give-up raises the
// attention record `shipping-upload-failed:<out_trade_no>` staff see; a later successful upload resolves it.
import { beijingRfc3339 } from '../../domain/beijing-time';
import { raiseAttention } from '../attention';
import type { CoreDeps } from '../core.deps';
import { fulfilmentOf, shippingUploadOf } from '../fulfilment-view';
import type { BackoffPolicy, JobState } from '../job-queue';
import { failedAttempt, queuedAt, settled } from '../job-queue';
import type { OrderRecord, ParcelRecord, ShippingUploadRecord } from '../order.model';
import type { TradeManagement } from '../ports/trade-management.port';
import { TradeErrcodes, TradeManagementError } from '../ports/trade-management.port';
import { logisticsTypeOf, shippingRequest, tradeOrderKey, uploadInstant } from '../shipping-request';
import { JOB_BATCH } from './loops';
import type { JobRunner, JobStateOf, JobTally, QueueJob } from './queue-runner';

/** Other failures: 1, 2, 4 … minutes, a person is told after 6 (about an hour). */
export const UPLOAD_BACKOFF: BackoffPolicy = {
  baseMs: 60_000,
  maxMs: 3_600_000,
  maxAttempts: 6,
  afterGiveUp: 'stop',
};
/** 10060001 (WeChat does not know the payment yet: usually minutes old): asked for about a day before a person. */
export const NOT_FOUND_BACKOFF: BackoffPolicy = {
  baseMs: 60_000,
  maxMs: 3_600_000,
  maxAttempts: 30,
  afterGiveUp: 'stop',
};
/** WeChat's final refusals: no retry helps. */
export const GIVE_UP_AT_ONCE: readonly number[] = [
  TradeErrcodes.REUPLOAD_USED_UP,
  TradeErrcodes.NOT_SHIPPABLE,
  TradeErrcodes.NOT_PAYER,
];
/** Who resolves the attention record when an upload later succeeds. */
export const UPLOAD_RESOLVED_BY = 'system:shipping-upload';
const WRITE_ATTEMPTS = 5;

export interface ShippingUploadTally extends JobTally {
  shippingUploaded: number;
  shippingNotManaged: number;
}

/** is_trade_managed asked once per process (per job instance): the answer is kept, a failure is not. */
export class TradeManagedCache {
  private answer: boolean | undefined;

  constructor(private readonly trade: TradeManagement) {}

  async get(): Promise<boolean> {
    this.answer ??= await this.trade.isTradeManaged();
    return this.answer;
  }
}

export function attentionIdFor(outTradeNo: string): string {
  return `shipping-upload-failed:${outTradeNo}`;
}

/** The attention record of WeChat's reminder to ship an order (tradeEvents); that order's accepted upload resolves it. */
export function shippingReminderId(outTradeNo: string): string {
  return `shipping-reminded:${outTradeNo}`;
}

function sameParcels(a: readonly ParcelRecord[], b: readonly ParcelRecord[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.expressCompany === b[i]?.expressCompany && p.trackingNo === b[i]?.trackingNo)
  );
}

function describe(e: unknown): { text: string; errcode: number | null } {
  if (e instanceof TradeManagementError)
    return { text: `${e.errcode} ${e.errmsg}`.slice(0, 200), errcode: e.errcode };
  return { text: (e instanceof Error ? e.message : 'unknown error').slice(0, 200), errcode: null };
}

export function shippingUploadJob(
  d: CoreDeps,
  trade: TradeManagement,
  runner: JobRunner,
  managed: TradeManagedCache = new TradeManagedCache(trade),
): QueueJob<OrderRecord, ShippingUploadTally> {
  const jobOf = (order: OrderRecord): JobState => shippingUploadOf(order).job;
  const state: JobStateOf<OrderRecord> = {
    queue: 'shipping-upload',
    backoff: UPLOAD_BACKOFF,
    idOf: (order) => order.outTradeNo,
    stateOf: jobOf,
    reload: (order) => d.orders.get(order.outTradeNo),
    write: (order, next, patch) => {
      const upload: ShippingUploadRecord = {
        ...shippingUploadOf(order),
        ...(patch?.shippingUpload ?? {}),
        job: next,
      };
      return d.orders.update(order, { ...patch, shippingUpload: upload, updatedAtMs: d.clock.now() });
    },
  };

  async function attempt(order: OrderRecord, r: ShippingUploadTally): Promise<void> {
    const upload = shippingUploadOf(order);
    const f = fulfilmentOf(order);
    if (f.state === 'CANCELLED' || f.state === 'NOT_PAID') {
      // The goods never went (refunded in full before shipping): never uploaded as shipped.
      d.log.warn('fulfil.upload.cancelled', { outTradeNo: order.outTradeNo, status: order.status });
      await runner.save(state, order, settled(upload.job), r, {
        shippingUpload: { ...upload, state: 'none' },
      });
      return;
    }
    if (order.channel !== undefined) {
      // A Native (counter) or H5 (web) payment is not a mini program transaction: 发货信息管理 covers only those, and
      // would answer "order not found" for ever. Settled without asking WeChat (docs/adr/0012).
      d.log.info('fulfil.upload.not_applicable', { outTradeNo: order.outTradeNo, channel: order.channel });
      await runner.save(state, order, settled(upload.job), r, {
        shippingUpload: { ...upload, state: 'not-applicable' },
      });
      return;
    }
    try {
      if (!(await managed.get())) {
        d.log.warn('fulfil.upload.not_managed', {
          outTradeNo: order.outTradeNo,
          why: '发货信息管理 is not switched on for this app (is_trade_managed false): nothing is uploaded',
        });
        if (
          await runner.save(state, order, settled(upload.job), r, {
            shippingUpload: { ...upload, state: 'not-managed' },
          })
        )
          r.shippingNotManaged++;
        return;
      }
      // After a failed attempt WeChat may hold the upload already (accepted, answer or record lost): asking first
      // keeps a repeat from spending WeChat's one change.
      if (upload.job.attempts > 0 && (await alreadyAtWeChat(order, upload))) {
        await recordUploaded(order, d.clock.now(), r);
        return;
      }
      const atMs = uploadInstant(order, d.clock.now());
      await trade.uploadShippingInfo(shippingRequest(order, d.policy.merchant, atMs));
      await recordUploaded(order, atMs, r);
    } catch (e) {
      await failed(order, e, r);
    }
  }

  async function alreadyAtWeChat(order: OrderRecord, upload: ShippingUploadRecord): Promise<boolean> {
    const info = await trade.getOrder(tradeOrderKey(order, d.policy.merchant));
    if (info.uploadCount <= upload.uploads) return false;
    d.log.warn('fulfil.upload.found_at_wechat', {
      outTradeNo: order.outTradeNo,
      uploadCount: info.uploadCount,
    });
    return true;
  }

  // WeChat has the upload: record it, even over a concurrent change (a lost record would upload again and spend
  // WeChat's one change). Parcels changed meanwhile stay queued: the change is uploaded next.
  async function recordUploaded(first: OrderRecord, atMs: number, r: ShippingUploadTally): Promise<void> {
    const sent = fulfilmentOf(first).parcels;
    const entry = {
      uploadTime: beijingRfc3339(atMs, 'millisecond'),
      atMs,
      logisticsType: logisticsTypeOf(first),
      parcels: sent.map((p) => ({ ...p })),
    };
    const hadError = shippingUploadOf(first).lastError !== null;
    let order: OrderRecord | null = first;
    for (let i = 0; i < WRITE_ATTEMPTS && order; i++) {
      const u = shippingUploadOf(order);
      const current = sameParcels(fulfilmentOf(order).parcels, sent);
      const next = current ? settled(u.job) : queuedAt(d.clock.now());
      const patch = {
        shippingUpload: {
          ...u,
          uploads: u.uploads + 1,
          history: [...u.history, entry].slice(-2),
          state: current ? ('uploaded' as const) : ('queued' as const),
          lastError: null,
        },
      };
      if (await runner.save(state, order, next, r, patch)) {
        r.shippingUploaded++;
        d.log.info('fulfil.uploaded', { outTradeNo: first.outTradeNo, uploads: u.uploads + 1 });
        // A failed upload's record (only when it had failed) and WeChat's reminder to ship (it may have come for any
        // order not uploaded in time: one conditional write that changes nothing when there is none).
        await resolveAttention([
          ...(hadError ? [attentionIdFor(first.outTradeNo)] : []),
          shippingReminderId(first.outTradeNo),
        ]);
        return;
      }
      order = await d.orders.get(first.outTradeNo);
    }
    // WeChat has it and the order could not say so: a person must know before anything uploads it again.
    d.log.error('fulfil.upload.record_lost', { outTradeNo: first.outTradeNo });
    throw new Error('the upload succeeded but could not be recorded on the order');
  }

  async function failed(order: OrderRecord, e: unknown, r: ShippingUploadTally): Promise<void> {
    r.errors++;
    const { text, errcode } = describe(e);
    const now = d.clock.now();
    const prev = shippingUploadOf(order).job;
    const next: JobState =
      errcode !== null && GIVE_UP_AT_ONCE.includes(errcode)
        ? {
            state: 'gave-up',
            nextAttemptAtMs: null,
            attempts: prev.attempts + 1,
            lastError: text,
            gaveUpAtMs: now,
          }
        : failedAttempt(
            prev,
            now,
            text,
            errcode === TradeErrcodes.ORDER_NOT_FOUND ? NOT_FOUND_BACKOFF : UPLOAD_BACKOFF,
          );
    const gaveUp = next.state === 'gave-up';
    d.log[gaveUp ? 'error' : 'warn']('fulfil.upload.failed', {
      outTradeNo: order.outTradeNo,
      errcode,
      error: text,
    });
    const upload = shippingUploadOf(order);
    const saved = await runner.save(state, order, next, r, {
      shippingUpload: { ...upload, state: gaveUp ? 'failed' : 'queued', lastError: text },
    });
    if (saved && gaveUp) await tellStaff(order, errcode, text);
  }

  // The order already says 'failed' (staff see it there too): a failed attention write is logged, not retried here.
  async function tellStaff(order: OrderRecord, errcode: number | null, text: string): Promise<void> {
    try {
      await raiseAttention(d, {
        id: attentionIdFor(order.outTradeNo),
        kind: 'shipping-upload-failed',
        outTradeNo: order.outTradeNo,
        transactionId: order.payment?.transactionId ?? null,
        outRefundNo: null,
        refundId: null,
        amountFen: order.payableFen,
        wechatState: errcode === null ? 'no answer' : String(errcode),
        notificationId: null,
        note: `WeChat's shipping upload failed: ${text}. Check the order and upload again (staff.retryUpload).`,
      });
    } catch (e) {
      d.log.error('attention.record_failed', { id: attentionIdFor(order.outTradeNo), error: e });
    }
  }

  async function resolveAttention(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      try {
        if (await d.attention.resolve(id, UPLOAD_RESOLVED_BY, d.clock.now()))
          d.log.info('attention.resolved', { id, by: UPLOAD_RESOLVED_BY });
      } catch (e) {
        d.log.error('attention.resolve_failed', { id, error: e });
      }
    }
  }

  return {
    loop: 'shipping-upload',
    due: (nowMs) => d.orders.listShippingUploadDue(nowMs, JOB_BATCH),
    logKey: (order) => ({ outTradeNo: order.outTradeNo }),
    events: { failed: 'fulfil.upload_job_failed' },
    attempt,
    state,
  };
}
