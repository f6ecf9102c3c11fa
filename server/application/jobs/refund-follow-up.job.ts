// The refund follow-up queue: refunds with followUp due, earliest first. An unsubmitted refund is submitted again
// (same out_refund_no), a submitted one is queried and WeChat's outcome applied. Settle rule: the refund is final
// (SUCCESS or CLOSED). No outcome yet backs off; after REFUND_BACKOFF.maxAttempts a person is told ('refund-unsettled')
// and it is still asked every 6 h; the record is resolved when the refund is final.
import { isRefundFinal } from '../../domain/order-state';
import type { CoreDeps } from '../core.deps';
import type { BackoffPolicy } from '../job-queue';
import { failedAttempt, settled } from '../job-queue';
import type { RefundDoc } from '../order.model';
import type { RefundService } from '../refund.service';
import { JOB_BATCH } from './loops';
import type { JobRunner, JobStateOf, JobTally, QueueJob } from './queue-runner';

/**
 * An unsettled refund is asked about after 1, 2, 4 … minutes, at most 6 h apart; after ~3 days of no outcome (refunds
 * to bank cards may take days) a person is told ('refund-unsettled') and it is still asked every 6 h until it is final.
 */
const REFUND_BACKOFF: BackoffPolicy = {
  baseMs: 60_000,
  maxMs: 6 * 3_600_000,
  maxAttempts: 20,
  afterGiveUp: 'keep-asking',
};

export interface RefundFollowUpTally extends JobTally {
  refundsFollowedUp: number;
}

export function refundFollowUpJob(
  d: CoreDeps,
  refunds: Pick<RefundService, 'submit' | 'applyRefund'>,
  runner: JobRunner,
): QueueJob<RefundDoc, RefundFollowUpTally> {
  const state: JobStateOf<RefundDoc> = {
    queue: 'refund',
    backoff: REFUND_BACKOFF,
    idOf: (refund) => refund.outRefundNo,
    stateOf: (refund) => refund.followUp,
    reload: (refund) => d.refunds.get(refund.outRefundNo),
    write: (refund, followUp) => d.refunds.update(refund, { followUp }),
    attention: {
      id: (refund) => `refund-unsettled:${refund.outRefundNo}`,
      describe: (refund, followUp) => ({
        id: `refund-unsettled:${refund.outRefundNo}`,
        kind: 'refund-unsettled',
        outTradeNo: refund.outTradeNo,
        transactionId: null,
        outRefundNo: refund.outRefundNo,
        refundId: refund.refundId,
        amountFen: refund.amountFen,
        wechatState: refund.status,
        notificationId: null,
        note:
          `WeChat has reported no final outcome for this refund after ${followUp.attempts} follow-ups ` +
          `(${followUp.lastError ?? refund.status}); the job still asks every 6 hours. Check it at the merchant ` +
          'platform; the order stays refunding until WeChat reports SUCCESS or CLOSED.',
      }),
      resolvedBy: 'system:refund-follow-up',
    },
  };

  async function attempt(refund: RefundDoc, r: RefundFollowUpTally): Promise<void> {
    if (!isRefundFinal(refund.status)) {
      if (refund.status === 'PROCESSING' && !refund.submitted) {
        await refunds.submit(refund);
      } else {
        const q = await d.provider.queryRefund(refund.outRefundNo);
        if (q.kind === 'found') await refunds.applyRefund(q.refund);
      }
      r.refundsFollowedUp++;
    }
    const fresh = (await d.refunds.get(refund.outRefundNo)) ?? refund;
    if (isRefundFinal(fresh.status)) {
      await runner.save(state, fresh, settled(fresh.followUp), r);
      return;
    }
    // No outcome yet counts as a failed attempt: that is what backs the question off and, in the end, tells a person.
    const why = fresh.submitted ? `still ${fresh.status} at WeChat` : 'not accepted by WeChat yet';
    await runner.save(state, fresh, failedAttempt(fresh.followUp, d.clock.now(), why, REFUND_BACKOFF), r);
  }

  return {
    loop: 'refund-follow-up',
    due: (nowMs) => d.refunds.listFollowUpDue(nowMs, JOB_BATCH),
    logKey: (refund) => ({ outRefundNo: refund.outRefundNo }),
    events: { failed: 'reconcile.refund_failed', backoffFailed: 'reconcile.backoff_failed' },
    attempt,
    state,
  };
}
