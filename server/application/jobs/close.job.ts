// The close queue: orders with closeJob due, earliest first. An unpaid order past expiry is asked about first (a paid
// one is applied, not closed), closed at WeChat (once its 5-minute guard has passed), then closed here with its stock
// returned exactly once; a WeChat close left pending (guard, or a failure) is finished later. An order WeChat cannot
// be asked about is closed here after CLOSE_WITHOUT_ANSWER_AFTER_MS past expiry, WeChat still asked. Settle rule: the
// order is paid (the close is moot), or closed here and at WeChat (or WeChat has no such order). A failure backs off;
// after too many a person is told ('close-unconfirmed') and WeChat is still asked, hourly.
import { stockReservationPlan } from '../../domain/stock';
import { hasReceivedPayment, isPayable, transition } from '../../domain/order-state';
import type { CoreDeps } from '../core.deps';
import { isProviderError } from '../ports/payment-provider.errors';
import type { BackoffPolicy, JobState } from '../job-queue';
import { DEFAULT_BACKOFF, dueAgainAt, failedAttempt, settled } from '../job-queue';
import type { OrderRecord, ProviderCloseState } from '../order.model';
import type { PaymentService } from '../payment.service';
import { closeAllowedAtMs } from '../payment.service';
import { JOB_BATCH } from './loops';
import type { JobRunner, JobStateOf, JobTally, QueueJob } from './queue-runner';

/**
 * The close queue asks 1, 2, 4 … minutes apart, at most an hour; after 12 failures (~7 h) a person is told
 * ('close-unconfirmed') and it keeps asking every hour: until WeChat confirms the close (or the payment), the money
 * is not final.
 */
const CLOSE_BACKOFF: BackoffPolicy = { ...DEFAULT_BACKOFF, afterGiveUp: 'keep-asking' };

/**
 * An expired order whose WeChat query keeps failing is closed here (status CLOSED_BY_TIMEOUT, stock back once,
 * providerClose 'pending': WeChat is still asked) once a failed query comes this long after its expiry — not on the
 * first error. WeChat takes no payment after time_expire (we send expiresAtMs, cut to the second), but a payment made
 * just before it may not have reached us: its notification is retried 15 s, 15 s, 30 s, 3 min and 10 min later
 * (~14 min in all), and the query that would find it is what fails. Closing at once would turn such a payment into
 * PAID_AFTER_CLOSE (refunded, the sale lost); never closing would hold the stock for as long as WeChat cannot be
 * asked. 15 minutes outlasts those retries; the close job's backoff (1, 2, 4, 8 min) gets there on the 5th failed
 * query. A payment that still lands becomes PAID_AFTER_CLOSE and is refunded (the queued close finds it).
 */
export const CLOSE_WITHOUT_ANSWER_AFTER_MS = 15 * 60_000;

/** What the close queue counts (CloseExpiredResult in jobs.service.ts says what each means). */
export interface CloseTally extends JobTally {
  closed: number;
  paidInstead: number;
  providerClosed: number;
  deferred: number;
  settled: number;
}

export function closeJob(
  d: CoreDeps,
  payments: Pick<PaymentService, 'syncOrder' | 'closeAtProvider'>,
  runner: JobRunner,
): QueueJob<OrderRecord, CloseTally> {
  const state: JobStateOf<OrderRecord> = {
    queue: 'close',
    backoff: CLOSE_BACKOFF,
    idOf: (order) => order.outTradeNo,
    stateOf: (order) => order.closeJob,
    reload: (order) => d.orders.get(order.outTradeNo),
    write: (order, closeJob, patch = {}) => d.orders.update(order, { ...patch, closeJob }),
    attention: {
      id: (order) => `close-unconfirmed:${order.outTradeNo}`,
      describe: (order, next) => ({
        id: `close-unconfirmed:${order.outTradeNo}`,
        kind: 'close-unconfirmed',
        outTradeNo: order.outTradeNo,
        transactionId: null,
        outRefundNo: null,
        refundId: null,
        amountFen: order.payableFen,
        wechatState: 'UNCONFIRMED',
        notificationId: null,
        note:
          `WeChat has not confirmed this unpaid order closed (last error: ${next.lastError ?? 'unknown'}); it is ` +
          `${order.status} here and the job still asks every hour. A payment WeChat reports for a closed order is ` +
          'refunded automatically. Check the order at the merchant platform.',
      }),
      resolvedBy: 'system:close-job',
    },
  };
  const save = (order: OrderRecord, next: JobState, r: CloseTally, patch?: Partial<OrderRecord>) =>
    runner.save(state, order, next, r, patch);
  const closeAllowedAt = (order: OrderRecord) => closeAllowedAtMs(order, d.policy.closeGuardMs);

  async function attempt(order: OrderRecord, r: CloseTally): Promise<void> {
    const now = d.clock.now();
    if (hasReceivedPayment(order.status)) {
      // Paid (maybe after an early cancel: that money is refunded by the payment path): nothing to close any more.
      await save(order, settled(order.closeJob), r, {
        ...(order.providerClose === 'pending' ? { providerClose: 'not-needed' as const } : {}),
      });
      r.settled++;
      return;
    }
    if (isPayable(order.status)) {
      if (now < order.expiresAtMs) {
        await save(order, dueAgainAt(order.closeJob, order.expiresAtMs), r);
        return;
      }
      await expire(order, r);
      return;
    }
    if (order.providerClose !== 'pending') {
      await save(order, settled(order.closeJob), r);
      r.settled++;
      return;
    }
    // Closed here, not yet at WeChat (also: closed here without an answer from WeChat). Closing first is the query:
    // WeChat refuses to close a paid order, and then closeAtProvider asks and applies the payment (PAID_AFTER_CLOSE,
    // refunded).
    const closing = await payments.closeAtProvider(order);
    if (closing === 'pending') {
      await save(order, dueAgainAt(order.closeJob, closeAllowedAt(order)), r);
      r.deferred++;
      return;
    }
    if (closing === 'paid') {
      r.paidInstead++;
      const fresh = await d.orders.get(order.outTradeNo);
      if (fresh) await save(fresh, settled(fresh.closeJob), r, { providerClose: 'not-needed' });
      return;
    }
    if (await save(order, settled(order.closeJob), r, { providerClose: closing })) r.providerClosed++;
  }

  /** An unpaid order past expiry: ask, close at WeChat, close here and return the stock. */
  async function expire(order: OrderRecord, r: CloseTally): Promise<void> {
    const now = d.clock.now();
    if (order.prepay !== null) {
      let synced: OrderRecord;
      try {
        synced = await payments.syncOrder(order);
      } catch (e) {
        // WeChat could not be asked. Within the grace the close backs off (a payment made just before expiry may
        // still be notified); past it the order closes here and WeChat is still asked (CLOSE_WITHOUT_ANSWER_AFTER_MS).
        if (!isProviderError(e) || now < order.expiresAtMs + CLOSE_WITHOUT_ANSWER_AFTER_MS) throw e;
        r.errors++;
        d.log.error('close.query_failed', { outTradeNo: order.outTradeNo, closedHere: true, error: e });
        await closeHere(order, 'pending', failedAttempt(order.closeJob, now, e, CLOSE_BACKOFF), r);
        return;
      }
      if (hasReceivedPayment(synced.status)) {
        r.paidInstead++;
        await save(synced, settled(synced.closeJob), r);
        return;
      }
      order = synced;
    }
    let providerClose: ProviderCloseState;
    let next: JobState;
    try {
      const closing = await payments.closeAtProvider(order);
      if (closing === 'paid') {
        r.paidInstead++;
        const fresh = await d.orders.get(order.outTradeNo);
        if (fresh) await save(fresh, settled(fresh.closeJob), r);
        return;
      }
      providerClose = closing;
      next =
        closing === 'pending' ? dueAgainAt(order.closeJob, closeAllowedAt(order)) : settled(order.closeJob);
      if (closing === 'pending') r.deferred++;
    } catch (e) {
      // WeChat has just said the order is unpaid, and stops taking payment at time_expire (our expiry): the order
      // closes here now (its stock returns) and the WeChat close is retried with backoff. A payment that still
      // lands becomes PAID_AFTER_CLOSE and is refunded.
      r.errors++;
      d.log.error('close.provider_failed', { outTradeNo: order.outTradeNo, error: e });
      providerClose = 'pending';
      next = failedAttempt(order.closeJob, now, e, CLOSE_BACKOFF);
    }
    await closeHere(order, providerClose, next, r);
  }

  /** Closes the order here for timeout and returns its stock, exactly once (one compare-and-set with the release). */
  async function closeHere(
    order: OrderRecord,
    providerClose: ProviderCloseState,
    next: JobState,
    r: CloseTally,
  ): Promise<void> {
    const now = d.clock.now();
    const closed = await d.orders.updateAndReleaseStock(
      order,
      {
        status: transition(order.status, 'EXPIRED'),
        closedAtMs: now,
        providerClose,
        closeJob: next,
        updatedAtMs: now,
      },
      stockReservationPlan(order.lines),
    );
    if (!closed) return;
    r.closed++;
    await runner.saved(state, closed, order.closeJob, next, r);
  }

  return {
    loop: 'close',
    due: (nowMs) => d.orders.listCloseDue(nowMs, JOB_BATCH),
    logKey: (order) => ({ outTradeNo: order.outTradeNo }),
    events: { failed: 'close.failed', backoffFailed: 'close.backoff_failed' },
    attempt,
    state,
  };
}
