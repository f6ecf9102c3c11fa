// The sync queue: AWAITING_PAYMENT orders with syncJob due. Asks WeChat about an order whose notification may be lost,
// a while after its prepay, then after a growing pause. Settle rule: the order leaves AWAITING_PAYMENT (paid or
// closed), or reaches its expiry (the close job asks before it closes).
import { hasReceivedPayment } from '../../domain/order-state';
import type { CoreDeps } from '../core.deps';
import type { BackoffPolicy, JobState } from '../job-queue';
import { SYNC_AFTER_MS, backoffMs, dueAgainAt, settled } from '../job-queue';
import type { OrderRecord } from '../order.model';
import type { PaymentService } from '../payment.service';
import { JOB_BATCH } from './loops';
import type { JobRunner, JobStateOf, JobTally, QueueJob } from './queue-runner';

/**
 * The sync queue asks again after 2, 4, 8 … minutes (never after expiry: the close job queries then); a person is told
 * after 12 failures and it keeps asking hourly until the order expires.
 */
const SYNC_BACKOFF: BackoffPolicy = {
  baseMs: SYNC_AFTER_MS,
  maxMs: 3_600_000,
  maxAttempts: 12,
  afterGiveUp: 'keep-asking',
};

export interface SyncTally extends JobTally {
  synced: number;
  paymentsRecovered: number;
}

/** Due again at `atMs` without counting a failure (no question was asked). */
function dueWithoutAsking(job: JobState, atMs: number): JobState {
  return { ...dueAgainAt(job, atMs), attempts: job.attempts };
}

export function syncJob(
  d: CoreDeps,
  payments: Pick<PaymentService, 'syncOrder'>,
  runner: JobRunner,
): QueueJob<OrderRecord, SyncTally> {
  // No attention record of its own: the close job asks at expiry and tells a person if WeChat still cannot be asked.
  const state: JobStateOf<OrderRecord> = {
    queue: 'sync',
    backoff: SYNC_BACKOFF,
    idOf: (order) => order.outTradeNo,
    stateOf: (order) => order.syncJob,
    reload: (order) => d.orders.get(order.outTradeNo),
    write: (order, next) => d.orders.update(order, { syncJob: next }),
  };

  async function attempt(order: OrderRecord, r: SyncTally): Promise<void> {
    const now = d.clock.now();
    if (now >= order.expiresAtMs) {
      await runner.save(state, order, settled(order.syncJob), r);
      return;
    }
    if (order.prepay === null) {
      // Nothing to ask WeChat about yet: look again later (no call).
      const atMs = Math.min(now + SYNC_AFTER_MS, order.expiresAtMs);
      await runner.save(state, order, dueWithoutAsking(order.syncJob, atMs), r);
      return;
    }
    const dueFromPrepay = order.prepay.createdAtMs + SYNC_AFTER_MS;
    if (now < dueFromPrepay) {
      await runner.save(state, order, dueWithoutAsking(order.syncJob, dueFromPrepay), r);
      return;
    }
    const synced = await payments.syncOrder(order);
    r.synced++;
    if (hasReceivedPayment(synced.status)) {
      r.paymentsRecovered++;
      return;
    }
    if (synced.status !== 'AWAITING_PAYMENT') return;
    // Still unpaid is an answer, not a failure: the pause grows, the error is cleared.
    const attempts = synced.syncJob.attempts + 1;
    const next = now + backoffMs(attempts, SYNC_BACKOFF);
    await runner.save(
      state,
      synced,
      next >= synced.expiresAtMs
        ? settled(synced.syncJob)
        : { ...dueAgainAt(synced.syncJob, next), attempts, lastError: null },
      r,
    );
  }

  return {
    loop: 'sync',
    due: (nowMs) => d.orders.listSyncDue(nowMs, JOB_BATCH),
    logKey: (order) => ({ outTradeNo: order.outTradeNo }),
    events: { failed: 'reconcile.sync_failed', backoffFailed: 'reconcile.backoff_failed' },
    attempt,
    state,
  };
}
