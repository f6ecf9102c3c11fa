// The run limit: a timer run stops taking due items when its time is up; what it did not reach stays due.
import type { CoreDeps } from './core.deps';
import { queuedAt } from './job-queue';
import { CheckoutService } from './checkout.service';
import { InMemoryTradeManagement } from './ports/trade-management.testkit';
import { JobsService } from './jobs.service';
import type { OrderRecord } from './order.model';
import { PaymentService } from './payment.service';
import { RefundService } from './refund.service';

const NOW = Date.parse('2026-11-30T08:00:00Z');

function paidOrder(n: number): OrderRecord {
  return {
    outTradeNo: `O${n}`,
    status: 'PAID',
    version: 3,
    providerClose: 'not-needed',
    closeJob: queuedAt(NOW - 1000),
  } as unknown as OrderRecord;
}

function deps(due: OrderRecord[], updates: string[]): CoreDeps {
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return {
    orders: {
      listCloseDue: () => Promise.resolve(due),
      update: (o: OrderRecord, patch: Partial<OrderRecord>) => {
        updates.push(o.outTradeNo);
        return Promise.resolve({ ...o, ...patch, version: o.version + 1 });
      },
    },
    provider: {},
    clock: { now: () => NOW },
    metrics: { increment: () => Promise.resolve() },
    log: silent,
    policy: { closeGuardMs: 5 * 60_000 },
  } as unknown as CoreDeps;
}

// Wired as the composition root wires the timers (buildJobs), without importing the adapters it builds them from.
function jobs(d: CoreDeps): JobsService {
  const refunds = new RefundService(d);
  const payments = new PaymentService(d, refunds);
  return new JobsService(d, {
    payments,
    refunds,
    checkout: new CheckoutService(d, payments),
    trade: new InMemoryTradeManagement(),
  });
}

describe('JobsService run limit', () => {
  it('takes every due item without a limit', async () => {
    const updates: string[] = [];
    const r = await jobs(deps([paidOrder(1), paidOrder(2), paidOrder(3)], updates)).closeExpired();
    expect(r).toMatchObject({ settled: 3, unreached: 0 });
    expect(updates).toEqual(['O1', 'O2', 'O3']);
  });

  it('stops taking due items once the limit says so, and reports how many it left', async () => {
    const updates: string[] = [];
    let checks = 0;
    const r = await jobs(deps([paidOrder(1), paidOrder(2), paidOrder(3)], updates)).closeExpired({
      shouldStop: () => ++checks > 1,
    });
    expect(r).toMatchObject({ settled: 1, unreached: 2 });
    expect(updates).toEqual(['O1']);
  });
});
