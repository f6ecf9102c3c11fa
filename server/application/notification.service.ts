import type { CoreDeps } from './core.deps';
import type { AttentionItem } from './ports/attention.port';
import { raiseAttention } from './attention';
import type { PaymentService } from './payment.service';
import { paymentMismatch } from './payment.service';
import type {
  IncomingNotification,
  PaymentNotificationEvent,
  PaymentTransaction,
} from './ports/payment-provider.port';
import { isNotificationRejected } from './ports/payment-provider.errors';
import type { RefundService } from './refund.service';

/** What the notify endpoint answers: 2xx only once the event is applied (or known to be applied already). */
export interface NotifyAnswer {
  httpStatus: 200 | 204 | 400 | 401 | 500;
  /** WeChat's failure body code: "FAIL" on every non-2xx. */
  code: 'SUCCESS' | 'FAIL';
  message: string;
}

const ok = (message: string): NotifyAnswer => ({ httpStatus: 200, code: 'SUCCESS', message });
const fail = (httpStatus: 400 | 401 | 500, message: string): NotifyAnswer => ({
  httpStatus,
  code: 'FAIL',
  message,
});

/**
 * The notify_url's use case (docs/adr/0005): verify (signature over the raw body, timestamp window, GCM-checked
 * decryption), check the event against the stored order, apply with compare-and-set (a duplicate is recognised from
 * the order: the same transaction is recorded already), and only then answer 2xx. Unverifiable → 4xx with nothing written; a failed write → 5xx so the provider retries.
 */
export class NotificationService {
  constructor(
    private readonly d: CoreDeps,
    private readonly payments: Pick<PaymentService, 'applyPayment'>,
    private readonly refunds: Pick<RefundService, 'applyRefund'>,
  ) {}

  /** Handles one delivery and says what to answer. Never throws. */
  async handle(incoming: IncomingNotification): Promise<NotifyAnswer> {
    let event: PaymentNotificationEvent;
    try {
      event = await this.d.provider.verifyNotification(incoming);
    } catch (e) {
      if (isNotificationRejected(e)) {
        this.d.log.warn('notify.rejected', { reason: e.reason });
        await this.d.metrics.increment(`notifications.rejected.${e.reason.toLowerCase()}`);
        await this.d.metrics.increment('notifications.rejected');
        return fail(e.httpStatus, `rejected: ${e.reason}`);
      }
      this.d.log.error('notify.verify_failed', { error: e });
      return fail(500, 'verification failed');
    }
    try {
      return await this.apply(event);
    } catch (e) {
      this.d.log.error('notify.apply_failed', { notificationId: event.notificationId, error: e });
      await this.d.metrics.increment('notifications.failed');
      return fail(500, 'could not apply the notification; please retry');
    }
  }

  /**
   * Applies a verified event. A payment costs two round trips (read the order, one compare-and-set that is the
   * payment), a duplicate one (the read shows the same transaction applied): deduplication is the order itself, and
   * counters of applied payments are derived from the orders, so nothing else is written on this path.
   */
  private async apply(event: PaymentNotificationEvent): Promise<NotifyAnswer> {
    if (event.kind === 'unsupported') {
      this.d.log.info('notify.unsupported', {
        notificationId: event.notificationId,
        eventType: event.eventType,
      });
      return ok('ignored');
    }
    if (event.kind === 'payment.succeeded')
      return this.applyPaymentEvent(event.notificationId, event.transaction);
    // A refund report is deduplicated by the refund's own state machine (a repeated status is a no-op).
    const refund = event.refund;
    const outcome = await this.refunds.applyRefund(refund, { source: 'notification' });
    if (outcome.kind === 'mismatch') return fail(400, `rejected: ${outcome.reason}`);
    if (outcome.kind === 'unknown-refund') {
      this.d.log.warn('notify.unknown_refund', { outRefundNo: refund.outRefundNo });
      await this.needsAttention({
        id: `refund:${event.notificationId}`,
        kind: 'refund-for-unknown-refund',
        outTradeNo: refund.outTradeNo,
        transactionId: refund.transactionId ?? null,
        outRefundNo: refund.outRefundNo,
        refundId: refund.refundId,
        amountFen: refund.refundFen,
        wechatState: refund.status,
        notificationId: event.notificationId,
      });
    }
    return ok(outcome.kind);
  }

  private async applyPaymentEvent(notificationId: string, tx: PaymentTransaction): Promise<NotifyAnswer> {
    // Check against the stored order before anything is written: a mismatch must leave no trace but the log.
    const order = await this.d.orders.get(tx.outTradeNo);
    if (!order) return this.unknownOrder(notificationId, tx);
    const mismatch = paymentMismatch(order, tx, this.d);
    if (mismatch) {
      this.d.log.error('notify.mismatch', { outTradeNo: tx.outTradeNo, notificationId, reason: mismatch });
      await this.d.metrics.increment('notifications.rejected.mismatch');
      return fail(400, `rejected: ${mismatch}`);
    }
    const outcome = await this.payments.applyPayment(tx, 'notification', order);
    if (outcome.kind === 'mismatch') {
      await this.d.metrics.increment('notifications.rejected.mismatch');
      return fail(400, `rejected: ${outcome.reason}`);
    }
    if (outcome.kind === 'unknown-order') return this.unknownOrder(notificationId, tx);
    return ok(outcome.kind);
  }

  private async unknownOrder(notificationId: string, tx: PaymentTransaction): Promise<NotifyAnswer> {
    this.d.log.warn('notify.unknown_order', { outTradeNo: tx.outTradeNo });
    await this.d.metrics.increment('notifications.rejected.unknown_order');
    await this.needsAttention({
      id: `payment:${tx.transactionId ?? notificationId}`,
      kind: 'payment-for-unknown-order',
      outTradeNo: tx.outTradeNo,
      transactionId: tx.transactionId ?? null,
      outRefundNo: null,
      refundId: null,
      amountFen: tx.chargedFen,
      wechatState: tx.state,
      notificationId,
    });
    // Not acknowledged: the order may not be visible yet, and a payment nobody can match needs a person.
    return fail(400, 'rejected: unknown out_trade_no');
  }

  /**
   * Keeps verified money nobody can match for a person (`attention`), once per transaction or refund notification.
   * A failed write throws: the delivery is then answered 5xx and WeChat brings it again.
   */
  private needsAttention(item: AttentionItem): Promise<void> {
    return raiseAttention(this.d, item);
  }
}
