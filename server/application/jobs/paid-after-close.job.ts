// Orders WeChat took money for after they closed here (PAID_AFTER_CLOSE): the money goes back in full. The status is
// the queue; the refund's fixed request key makes a repeat harmless, and the refund moves the order on (settle rule).
import type { CoreDeps } from '../core.deps';
import type { OrderRecord } from '../order.model';
import type { RefundService } from '../refund.service';
import { JOB_BATCH } from './loops';
import type { QueueJob } from './queue-runner';
import type { AutoRefundTally } from './tester-refund.job';

export function paidAfterCloseJob(
  d: CoreDeps,
  refunds: Pick<RefundService, 'refundInFull'>,
): QueueJob<OrderRecord, AutoRefundTally> {
  return {
    loop: 'paid-after-close',
    due: () => d.orders.listByStatus('PAID_AFTER_CLOSE', JOB_BATCH),
    logKey: (order) => ({ outTradeNo: order.outTradeNo }),
    events: { failed: 'reconcile.auto_refund_failed' },
    attempt: async (order, r) => {
      if (order.payment === null) return;
      await refunds.refundInFull(order, 'auto-refund');
      r.autoRefundsStarted++;
    },
  };
}
