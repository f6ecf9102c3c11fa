import type { CoreDeps } from './core.deps';
import type { AttentionItem } from './ports/attention.port';
import { attentionRecord } from './ports/attention.port';

/**
 * Records money that needs a person, once per record id (a repeat counts one more sighting), and logs and counts it
 * the first time. A failed write throws: the caller's delivery or request fails and is tried again.
 */
export async function raiseAttention(
  d: Pick<CoreDeps, 'attention' | 'clock' | 'log' | 'metrics'>,
  item: AttentionItem,
  level: 'warn' | 'error' = 'error',
): Promise<void> {
  const seen = await d.attention.record(attentionRecord(item, d.clock.now()));
  if (seen === 'new') {
    d.log[level]('attention.recorded', { id: item.id, kind: item.kind, amountFen: item.amountFen });
    await d.metrics.increment('attention.recorded');
  }
}
