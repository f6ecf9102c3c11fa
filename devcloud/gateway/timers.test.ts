import { join } from 'node:path';
import { startDevCloud } from '../index';
import { tempDir } from '../test-support/temp';
import { parseCron } from './cron';
import type { TimerTrigger } from './loader';
import { TimerScheduler, type TimerClock } from './timers';

const cst = (h: number, mi: number, s = 0) => Date.UTC(2026, 2, 1, h - 8, mi, s);

/** A clock whose timers only run when the test says so. */
function manualClock(start: number) {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let seq = 0;
  const clock: TimerClock & { nowMs: number } = {
    nowMs: start,
    now: () => clock.nowMs,
    setTimeout: (fn, ms) => {
      seq += 1;
      pending.set(seq, { fn, ms });
      return seq;
    },
    clearTimeout: (h) => {
      pending.delete(h as number);
    },
  };
  /** Runs the only pending timer after moving the clock to its due time. */
  const runNext = () => {
    const [id, t] = [...pending.entries()][0]!;
    pending.delete(id);
    clock.nowMs += t.ms;
    t.fn();
  };
  return { clock, pending, runNext };
}

const trigger = (config: string): TimerTrigger => ({
  functionName: 'closeExpired',
  name: 'every5min',
  config,
  schedule: parseCron(config),
});

describe('TimerScheduler', () => {
  it('arms each trigger for its next time, fires it then, and re-arms', () => {
    const { clock, pending, runNext } = manualClock(cst(10, 2, 30));
    const fired: number[] = [];
    const s = new TimerScheduler([trigger('0 */5 * * * * *')], (_t, at) => fired.push(at), clock);
    s.start();
    expect([...pending.values()].map((p) => p.ms)).toEqual([150_000]);
    expect(s.info()).toEqual([
      {
        functionName: 'closeExpired',
        trigger: 'every5min',
        config: '0 */5 * * * * *',
        nextFireAt: new Date(cst(10, 5)).toISOString(),
      },
    ]);
    runNext();
    expect(fired).toEqual([cst(10, 5)]);
    expect([...pending.values()].map((p) => p.ms)).toEqual([300_000]);
    runNext();
    expect(fired).toEqual([cst(10, 5), cst(10, 10)]);
  });

  it('fires nothing after stop()', () => {
    const { clock, pending } = manualClock(cst(10, 0));
    const fired: number[] = [];
    const s = new TimerScheduler([trigger('* * * * * * *')], (_t, at) => fired.push(at), clock);
    s.start();
    const armed = [...pending.values()][0]!;
    s.stop();
    expect(pending.size).toBe(0);
    armed.fn();
    expect(fired).toEqual([]);
  });

  it('leaves a schedule that never fires again unarmed', () => {
    const { clock, pending } = manualClock(cst(10, 0));
    const s = new TimerScheduler([trigger('0 0 0 1 1 * 2020')], () => undefined, clock);
    s.start();
    expect(pending.size).toBe(0);
    expect(s.info()[0]!.nextFireAt).toBeNull();
  });
});

describe('timer triggers in the local cloud', () => {
  it("runs a function's config.json trigger on schedule with the timer event", async () => {
    const tmp = tempDir();
    const start = Date.UTC(2026, 2, 1, 2, 0, 0, 250);
    const { clock, pending, runNext } = manualClock(start);
    const cloud = await startDevCloud({
      dataDir: tmp.dir,
      functionsDir: join(__dirname, '..', 'fixtures', 'functions'),
      collectionsFile: join(__dirname, '..', 'fixtures', 'collections.json'),
      env: {},
      timerClock: clock,
      log: () => undefined,
    });
    try {
      expect([...pending.values()].map((p) => p.ms)).toEqual([750]);
      runNext();
      let ticks: { event: { Time: string; Type: string } }[] = [];
      for (let i = 0; i < 250 && ticks.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        ticks = (await cloud.db.collection('ticks').get()).data as never;
      }
      expect(ticks).toHaveLength(1);
      expect(ticks[0]!.event).toEqual({
        Type: 'Timer',
        TriggerName: 'everySecond',
        Time: '2026-03-01T02:00:01Z',
        Message: '',
      });
      expect(cloud.stats().timerRuns).toEqual([
        expect.objectContaining({
          functionName: 'ticker',
          trigger: 'everySecond',
          onDemand: false,
          ok: true,
          dbOps: 1,
        }),
      ]);
    } finally {
      await cloud.close();
      tmp.cleanup();
    }
    expect(pending.size).toBe(0);
  });
});
