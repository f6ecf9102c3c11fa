// Tester orders under auto-refund whose refund was never recorded (the payment path failed after the payment). The
// query is the queue: a paid tester order with no refund is due; starting its refund takes it out (settle rule).
import type { CoreDeps } from '../core.deps';
import type { OrderRecord } from '../order.model';
import type { PaymentService } from '../payment.service';
import { JOB_BATCH } from './loops';
import type { JobTally, QueueJob } from './queue-runner';

export interface AutoRefundTally extends JobTally {
  autoRefundsStarted: number;
}

export function testerRefundJob(
  d: CoreDeps,
  payments: Pick<PaymentService, 'settleTesterOrder'>,
): QueueJob<OrderRecord, AutoRefundTally> {
  return {
    loop: 'tester-refund',
    due: async () => (d.policy.testerAutoRefund ? d.orders.listPaidTestOrders(JOB_BATCH) : []),
    logKey: (order) => ({ outTradeNo: order.outTradeNo }),
    events: { failed: 'reconcile.tester_refund_failed' },
    attempt: async (order, r) => {
      await payments.settleTesterOrder(order);
      r.autoRefundsStarted++;
    },
  };
}
