import { DomainError } from '../domain/errors';
import { nextOrderState, nextRefundStatus } from '../domain/order-state';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { REFUND_FOLLOW_UP_AFTER_MS, queuedAt } from './job-queue';
import type { RefundDoc } from './order.model';
import type { AbnormalRefundType, Refund } from './ports/payment-provider.port';
import { ProviderErrorCodes, isProviderError } from './ports/payment-provider.errors';
import { REFUND_CAS_ATTEMPTS, ledgerEntryOf, ledgerFields, ledgerOf, withEntry } from './refund-ledger';
import type { RefundService } from './refund.service';

// Only the refund function (staff) uses this: kept apart from RefundService so the timer bundles do not ship it.

/** Input of {@link AbnormalRefundService.retryAbnormal}: where the money should go this time (card fields never logged). */
export interface AbnormalRetryRequest {
  outRefundNo: string;
  type: AbnormalRefundType;
  bankType?: string;
  bankAccount?: string;
  realName?: string;
  /** The admin OPENID asking. */
  requestedBy: string;
}

/** Retrying ABNORMAL refunds at WeChat (staff action). */
export class AbnormalRefundService {
  constructor(
    private readonly d: CoreDeps,
    private readonly refunds: Pick<RefundService, 'applyRefund'>,
  ) {}

  /**
   * Staff's way out of an ABNORMAL refund (the shopper's card refused the money): asks WeChat first (it may have been
   * settled by hand in the merchant platform meanwhile — then that is applied and nothing is retried), otherwise
   * retries it with apply-abnormal-refund. The same refund and amount go out again: a new refund would pay twice.
   * The refund is PROCESSING again and the order back in REFUND_PROCESSING until WeChat reports the outcome.
   */
  async retryAbnormal(req: AbnormalRetryRequest): Promise<RefundDoc> {
    let doc = await this.d.refunds.get(req.outRefundNo);
    if (!doc) throw new DomainError(AppErrorCodes.REFUND_NOT_FOUND, 'no such refund');
    if (doc.status !== 'ABNORMAL') {
      throw new DomainError(
        AppErrorCodes.REFUND_NOT_ALLOWED,
        `only an ABNORMAL refund can be retried; this one is ${doc.status}`,
        { status: doc.status },
      );
    }
    const q = await this.d.provider.queryRefund(doc.outRefundNo);
    if (q.kind === 'not-found') {
      throw new DomainError(AppErrorCodes.REFUND_NOT_FOUND, 'WeChat Pay does not know this refund');
    }
    if (q.refund.status !== 'ABNORMAL') {
      // Settled by hand (SUCCESS) or already being retried (PROCESSING): take WeChat's word, retry nothing.
      await this.refunds.applyRefund(q.refund, { source: 'query' });
      return (await this.d.refunds.get(doc.outRefundNo)) ?? doc;
    }
    let answer: Refund;
    try {
      answer = await this.d.provider.applyAbnormalRefund({
        refundId: q.refund.refundId,
        outRefundNo: doc.outRefundNo,
        type: req.type,
        ...(req.bankType !== undefined ? { bankType: req.bankType } : {}),
        ...(req.bankAccount !== undefined ? { bankAccount: req.bankAccount } : {}),
        ...(req.realName !== undefined ? { realName: req.realName } : {}),
      });
    } catch (e) {
      // WeChat's code and message (and our own code for a local refusal) say what went wrong; the card fields are never
      // logged (they are not in the error either: the adapter sends them encrypted and names only the field).
      this.d.log.error('refund.abnormal_retry_failed', {
        outRefundNo: doc.outRefundNo,
        type: req.type,
        ...(isProviderError(e)
          ? { code: e.code, message: e.message, httpStatus: e.httpStatus, requestId: e.requestId }
          : { error: e }),
      });
      if (isProviderError(e, ProviderErrorCodes.UNSUPPORTED)) {
        throw new DomainError(
          AppErrorCodes.REFUND_RETRY_UNSUPPORTED,
          'this payment provider cannot retry an abnormal refund: settle it by hand in the merchant platform (the reconcile job then applies the SUCCESS)',
        );
      }
      if (isProviderError(e, ProviderErrorCodes.INVALID_ARGUMENT)) {
        throw new DomainError(
          AppErrorCodes.REQUEST_INVALID,
          'the bank card details are incomplete or malformed',
          {
            field: 'bankAccount',
          },
        );
      }
      throw e;
    }
    if (answer.status !== 'PROCESSING') {
      await this.refunds.applyRefund(answer, { source: 'answer' });
      return (await this.d.refunds.get(doc.outRefundNo)) ?? doc;
    }
    for (let attempt = 0; attempt < REFUND_CAS_ATTEMPTS; attempt++) {
      const now = this.d.clock.now();
      const order = await this.d.orders.get(doc.outTradeNo);
      if (!order || order.payment === null)
        throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such paid order');
      const nextStatus = nextRefundStatus(doc.status, 'RETRIED');
      if (nextStatus === undefined) return doc; // someone else moved it on meanwhile
      const refundPatch: Partial<RefundDoc> = {
        status: nextStatus,
        refundId: answer.refundId || doc.refundId,
        failure: null,
        abnormalRetries: (doc.abnormalRetries ?? 0) + 1,
        lastAbnormalRetry: { type: req.type, atMs: now },
        // Back in the follow-up queue from the start: the retry's outcome is asked about like a new refund's.
        followUp: queuedAt(now + REFUND_FOLLOW_UP_AFTER_MS),
        updatedAtMs: now,
      };
      const ledger = await ledgerOf(this.d.refunds, order);
      const entry = ledger.find((e) => e.outRefundNo === doc!.outRefundNo) ?? ledgerEntryOf(doc);
      const all = withEntry(ledger, { ...entry, status: nextStatus, retriedTo: req.type });
      const ok = await this.d.orders.updateWithRefund(
        order,
        {
          status: nextOrderState(order.status, 'REFUND_RETRIED') ?? order.status,
          ...ledgerFields(all),
          updatedAtMs: now,
        },
        doc,
        refundPatch,
      );
      if (ok) {
        this.d.log.info('refund.abnormal_retried', {
          outRefundNo: doc.outRefundNo,
          type: req.type,
          requestedBy: req.requestedBy,
        });
        await this.d.metrics.increment('refunds.abnormal_retried');
        // The retry starts the follow-up's patience afresh (its gaveUpAtMs is cleared): a "not final for days" record
        // raised before it is answered by this person's action, and raised again if the retry too stays unsettled.
        await this.d.attention.resolve(`refund-unsettled:${doc.outRefundNo}`, req.requestedBy, now);
        return { ...doc, ...refundPatch, orderVersion: order.version + 1, version: doc.version + 1 };
      }
      const reread = await this.d.refunds.get(doc.outRefundNo);
      if (!reread) throw new DomainError(AppErrorCodes.REFUND_NOT_FOUND, 'no such refund');
      doc = reread;
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the refund kept changing while the retry was recorded');
  }
}
