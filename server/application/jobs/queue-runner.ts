// The one runner every timer job goes through (docs/ARCHITECTURE.md "Jobs"): it takes a queue's due items in due
// order, asks the run limit before each, backs a failed attempt off on the item's own job state, tells a person once
// when a queue gives up, and keeps their attention record current until the item settles. A job file only says what
// an item is, when it is due and how it settles.
import type { CoreDeps } from '../core.deps';
import type { AttentionItem } from '../ports/attention.port';
import { attentionRecord } from '../ports/attention.port';
import type { BackoffPolicy, JobState, RunLimit } from '../job-queue';
import { eachDueItem, failedAttempt, gaveUpJustNow, needsAttention } from '../job-queue';
import type { JobLoop } from './loops';

/** What every run counts, whatever its jobs count besides. */
export interface JobTally {
  /** Attempts that failed. */
  errors: number;
  /** Items a queue gave up on in this run: a person is told. */
  gaveUp: number;
}

/** Where an item keeps its place in the queue, and what a person is shown once the queue gives up on it. */
export interface JobStateOf<Item> {
  /** The queue's name in `job.gave_up` and the `jobs.gave_up.<queue>` metric. */
  queue: string;
  backoff: BackoffPolicy;
  idOf(item: Item): string;
  stateOf(item: Item): JobState;
  /** The item as stored now (a failed attempt is recorded on the latest version), null when it is gone. */
  reload(item: Item): Promise<Item | null>;
  /** Compare-and-set of the job state (and `patch`): the saved item, or null when another writer came first. */
  write(item: Item, next: JobState, patch?: Partial<Item>): Promise<Item | null>;
  /**
   * A queue that keeps asking after it gave up keeps a record a person sees, refreshed on each later failure and
   * resolved by `resolvedBy` when the item settles.
   */
  attention?: {
    id(item: Item): string;
    describe(item: Item, next: JobState): AttentionItem;
    resolvedBy: string;
  };
}

/** One queue of one timer. */
export interface QueueJob<Item, Tally extends JobTally> {
  loop: JobLoop;
  /** The due items, earliest first, at most a batch. */
  due(nowMs: number): Promise<readonly Item[]>;
  /** How the log names an item. */
  logKey(item: Item): Record<string, string>;
  events: { failed: string; backoffFailed?: string };
  /** One attempt: does the work and saves where it leaves the item (settled, or due again). */
  attempt(item: Item, tally: Tally): Promise<void>;
  /** Absent for a queue that is a query over state (nothing to back off): a failure is logged and asked next run. */
  state?: JobStateOf<Item>;
}

export class JobRunner {
  constructor(private readonly d: CoreDeps) {}

  /** Runs one queue within the limit; answers how many due items were left for the next run. */
  async run<Item, Tally extends JobTally>(
    job: QueueJob<Item, Tally>,
    tally: Tally,
    limit: RunLimit<JobLoop>,
  ): Promise<number> {
    const due = await job.due(this.d.clock.now());
    return eachDueItem(due, job.loop, limit, async (item) => {
      try {
        await job.attempt(item, tally);
      } catch (e) {
        tally.errors++;
        this.d.log.error(job.events.failed, { ...job.logKey(item), error: e });
        if (job.state) await this.failed(job, job.state, item, e, tally);
      }
    });
  }

  /** A task done as a whole once per run (no items of its own), started only while the limit lets its loop start. */
  async once(
    loop: JobLoop,
    limit: RunLimit<JobLoop>,
    tally: JobTally,
    failedEvent: string,
    task: () => Promise<void>,
  ): Promise<void> {
    if (limit.shouldStop(loop)) return;
    try {
      await task();
    } catch (e) {
      tally.errors++;
      this.d.log.error(failedEvent, { error: e });
    }
  }

  /** Saves an item's next job state; a lost compare-and-set leaves it due for the next run. */
  async save<Item>(
    spec: JobStateOf<Item>,
    item: Item,
    next: JobState,
    tally: JobTally,
    patch?: Partial<Item>,
  ): Promise<boolean> {
    const saved = await spec.write(item, next, patch);
    if (saved === null) return false;
    await this.saved(spec, saved, spec.stateOf(item), next, tally);
    return true;
  }

  /**
   * After an item's new job state is written (by `save`, or by a job's own write that does more): at the give-up a
   * person is told once (log, metric); while the queue still asks, the attention record is refreshed on each failed
   * attempt (progress such as WeChat's guard is not one); settling resolves it.
   */
  async saved<Item>(
    spec: JobStateOf<Item>,
    item: Item,
    prev: JobState,
    next: JobState,
    tally: JobTally,
  ): Promise<void> {
    if (gaveUpJustNow(prev, next)) await this.gaveUp(spec.queue, spec.idOf(item), next, tally);
    const attention = spec.attention;
    if (attention === undefined) return;
    if (next.state === 'queued' && needsAttention(next) && next.attempts > prev.attempts) {
      await this.record(attention.describe(item, next));
    } else if (next.state === 'settled' && needsAttention(prev)) {
      await this.resolve(attention.id(item), attention.resolvedBy);
    }
  }

  private async failed<Item, Tally extends JobTally>(
    job: QueueJob<Item, Tally>,
    spec: JobStateOf<Item>,
    item: Item,
    error: unknown,
    tally: Tally,
  ): Promise<void> {
    try {
      const fresh = await spec.reload(item);
      if (fresh === null) return;
      const next = failedAttempt(spec.stateOf(fresh), this.d.clock.now(), error, spec.backoff);
      await this.save(spec, fresh, next, tally);
    } catch (e) {
      this.d.log.error(job.events.backoffFailed ?? job.events.failed, { ...job.logKey(item), error: e });
    }
  }

  private async gaveUp(queue: string, id: string, job: JobState, tally: JobTally): Promise<void> {
    tally.gaveUp++;
    this.d.log.error('job.gave_up', { queue, id, attempts: job.attempts, lastError: job.lastError });
    await this.d.metrics.increment(`jobs.gave_up.${queue}`);
  }

  /**
   * Records (or counts one more run that still found) what a person must look at. Never fails the job: the record is
   * written again on the next failed attempt.
   */
  private async record(item: AttentionItem): Promise<void> {
    try {
      await this.d.attention.record(attentionRecord(item, this.d.clock.now()));
    } catch (e) {
      this.d.log.error('attention.record_failed', { id: item.id, error: e });
    }
  }

  private async resolve(id: string, by: string): Promise<void> {
    try {
      if (await this.d.attention.resolve(id, by, this.d.clock.now()))
        this.d.log.info('attention.resolved', { id, by });
    } catch (e) {
      this.d.log.error('attention.resolve_failed', { id, error: e });
    }
  }
}
