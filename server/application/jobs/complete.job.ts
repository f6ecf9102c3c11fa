// The completion queue (docs/adr/0009): orders whose goods left (SHIPPED, RECEIVED, PICKED_UP, DELIVERED) complete by
// themselves at fulfilment.completeAtMs. Settle rule: the order completed, or its fulfilment can no longer complete.
import { fulfilmentTransition, nextFulfilmentState } from '../../domain/fulfilment-state';
import type { CoreDeps } from '../core.deps';
import { fulfilmentOf } from '../fulfilment-view';
import { DEFAULT_BACKOFF, dueAgainAt, settled } from '../job-queue';
import type { JobState } from '../job-queue';
import type { OrderRecord } from '../order.model';
import { JOB_BATCH } from './loops';
import type { JobRunner, JobStateOf, JobTally, QueueJob } from './queue-runner';

export interface CompleteTally extends JobTally {
  completed: number;
}

const NOT_QUEUED: JobState = settled(null);

export function completeJob(d: CoreDeps, runner: JobRunner): QueueJob<OrderRecord, CompleteTally> {
  const state: JobStateOf<OrderRecord> = {
    queue: 'complete',
    backoff: DEFAULT_BACKOFF,
    idOf: (order) => order.outTradeNo,
    stateOf: (order) => order.completeJob ?? NOT_QUEUED,
    reload: (order) => d.orders.get(order.outTradeNo),
    write: (order, next, patch) => d.orders.update(order, { ...patch, completeJob: next }),
  };

  async function attempt(order: OrderRecord, r: CompleteTally): Promise<void> {
    const now = d.clock.now();
    const f = fulfilmentOf(order);
    const job = state.stateOf(order);
    if (nextFulfilmentState(f.state, 'COMPLETE') === undefined) {
      await runner.save(state, order, settled(job), r);
      return;
    }
    if (f.completeAtMs !== null && f.completeAtMs > now) {
      await runner.save(state, order, dueAgainAt(job, f.completeAtMs), r);
      return;
    }
    const patch: Partial<OrderRecord> = {
      fulfilment: { ...f, state: fulfilmentTransition(f.state, 'COMPLETE'), completedAtMs: now },
      updatedAtMs: now,
    };
    if (await runner.save(state, order, settled(job), r, patch)) {
      r.completed++;
      d.log.info('fulfil.completed', { outTradeNo: order.outTradeNo });
    }
  }

  return {
    loop: 'complete',
    due: (nowMs) => d.orders.listCompleteDue(nowMs, JOB_BATCH),
    logKey: (order) => ({ outTradeNo: order.outTradeNo }),
    events: { failed: 'fulfil.complete_failed' },
    attempt,
    state,
  };
}
