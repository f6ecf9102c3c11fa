// The queue arithmetic: backoff, the give-up point (a person is told), and what a queue does after it.
import type { BackoffPolicy, JobState } from './job-queue';
import {
  dueAgainAt,
  eachDueItem,
  failedAttempt,
  gaveUpJustNow,
  needsAttention,
  queuedAt,
  settled,
} from './job-queue';

const T0 = Date.parse('2026-11-30T08:00:00Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const stop: BackoffPolicy = { baseMs: MINUTE, maxMs: 8 * MINUTE, maxAttempts: 3, afterGiveUp: 'stop' };
const keepAsking: BackoffPolicy = { ...stop, afterGiveUp: 'keep-asking' };

function failTimes(n: number, policy: BackoffPolicy, from: JobState = queuedAt(T0)): JobState[] {
  const states: JobState[] = [];
  let job = from;
  for (let i = 0; i < n; i++) {
    job = failedAttempt(job, job.nextAttemptAtMs ?? T0, 'SYSTEM_ERROR', policy);
    states.push(job);
  }
  return states;
}

describe('job queue', () => {
  it('backs off and gives up at maxAttempts; a stopping queue takes the document out', () => {
    const [a, b, c] = failTimes(3, stop);
    expect(a).toMatchObject({ state: 'queued', nextAttemptAtMs: T0 + MINUTE, attempts: 1, gaveUpAtMs: null });
    expect(b).toMatchObject({ state: 'queued', nextAttemptAtMs: T0 + 3 * MINUTE, gaveUpAtMs: null });
    expect(c).toMatchObject({
      state: 'gave-up',
      nextAttemptAtMs: null,
      attempts: 3,
      gaveUpAtMs: T0 + 3 * MINUTE,
    });
    expect([a, b, c].map(needsAttention)).toEqual([false, false, true]);
    expect(gaveUpJustNow(b, c!)).toBe(true);
  });

  it('a queue that keeps asking stays queued at its longest interval, gave-up time kept, told once', () => {
    const states = failTimes(5, keepAsking);
    const gaveUpAt = T0 + 3 * MINUTE;
    expect(states[2]).toMatchObject({ state: 'queued', attempts: 3, gaveUpAtMs: gaveUpAt });
    expect(states[2]!.nextAttemptAtMs).toBe(gaveUpAt + keepAsking.maxMs);
    expect(states[4]).toMatchObject({ state: 'queued', attempts: 5, gaveUpAtMs: gaveUpAt });
    expect(states[4]!.nextAttemptAtMs! - states[3]!.nextAttemptAtMs!).toBe(keepAsking.maxMs);
    expect(states.map((s, i) => gaveUpJustNow(states[i - 1] ?? queuedAt(T0), s))).toEqual([
      false,
      false,
      true,
      false,
      false,
    ]);
  });

  it('a person told stays told through progress until the document settles or enters the queue afresh', () => {
    const gaveUp = failTimes(3, keepAsking)[2]!;
    const guarded = dueAgainAt(gaveUp, T0 + DAY);
    expect(guarded).toMatchObject({ state: 'queued', attempts: 0, gaveUpAtMs: gaveUp.gaveUpAtMs });
    expect(failedAttempt(guarded, T0 + DAY, 'x', keepAsking)).toMatchObject({
      attempts: 1,
      gaveUpAtMs: gaveUp.gaveUpAtMs,
      nextAttemptAtMs: T0 + DAY + MINUTE,
    });
    expect(needsAttention(settled(gaveUp))).toBe(false);
    expect(needsAttention(queuedAt(T0))).toBe(false);
  });

  it('a run loop starts items while the limit allows and answers how many it left', async () => {
    const seen: number[] = [];
    let checks = 0;
    const left = await eachDueItem([1, 2, 3, 4], 'close', { shouldStop: () => ++checks > 2 }, async (n) => {
      seen.push(n);
      await Promise.resolve();
    });
    expect(seen).toEqual([1, 2]);
    expect(left).toBe(2);
    expect(await eachDueItem([1], 'close', { shouldStop: () => false }, () => Promise.resolve())).toBe(0);
  });
});
