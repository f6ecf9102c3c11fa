// The store's write lock: one section at a time, in call order, whether a section waits or not; a failed section
// frees the lock; a section that does not wait runs at once when nobody holds or waits for the lock.
import { Mutex } from './mutex';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Mutex', () => {
  it('runs a section that does not wait at once when the lock is free', async () => {
    const m = new Mutex();
    const seen: string[] = [];
    const p = m.run(() => {
      seen.push('ran');
      return 7;
    });
    expect(seen).toEqual(['ran']);
    await expect(p).resolves.toBe(7);
  });

  it('runs sections one at a time in call order, waiting or not', async () => {
    const m = new Mutex();
    const seen: string[] = [];
    const gate = deferred();
    const a = m.run(async () => {
      seen.push('a starts');
      await gate.promise;
      seen.push('a ends');
    });
    const b = m.run(() => {
      seen.push('b');
    });
    const c = m.run(async () => {
      seen.push('c starts');
      await Promise.resolve();
      seen.push('c ends');
    });
    await Promise.resolve();
    expect(seen).toEqual(['a starts']);
    gate.resolve();
    // A newcomer while the lock is being handed to b does not cut in.
    const d = m.run(() => {
      seen.push('d');
    });
    await Promise.all([a, b, c, d]);
    expect(seen).toEqual(['a starts', 'a ends', 'b', 'c starts', 'c ends', 'd']);
  });

  it('frees the lock after a section throws or rejects, and answers with its failure', async () => {
    const m = new Mutex();
    const thrown = m.run(() => {
      throw new Error('sync failure');
    });
    const rejected = m.run(async () => {
      await Promise.resolve();
      throw new Error('async failure');
    });
    const after = m.run(() => 'still works');
    await expect(thrown).rejects.toThrow('sync failure');
    await expect(rejected).rejects.toThrow('async failure');
    await expect(after).resolves.toBe('still works');
    // And the lock is free again: a section that does not wait runs at once.
    let ran = false;
    void m.run(() => (ran = true));
    expect(ran).toBe(true);
  });

  it('never lets two sections overlap, and starts them in call order, under random timing', async () => {
    const m = new Mutex();
    let inside = 0;
    let overlaps = 0;
    const called: number[] = [];
    const started: number[] = [];
    const runs: Promise<unknown>[] = [];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const launch = (i: number): void => {
      called.push(i);
      const waits = Math.floor(random() * 3);
      const section = (): Promise<void> | void => {
        started.push(i);
        inside += 1;
        if (inside > 1) overlaps += 1;
        if (waits === 0) {
          inside -= 1;
          return;
        }
        return (async () => {
          for (let k = 0; k < waits; k++) await Promise.resolve();
          inside -= 1;
        })();
      };
      runs.push(m.run(section));
    };
    for (let i = 0; i < 300; i++) {
      const when = random();
      if (when < 0.4) launch(i);
      else if (when < 0.8) {
        // From a later microtask, possibly between a release and the next section's start.
        const hops = Math.floor(random() * 4);
        let p = Promise.resolve();
        for (let k = 0; k < hops; k++) p = p.then(() => undefined);
        runs.push(p.then(() => launch(i)));
      } else {
        await Promise.resolve();
        launch(i);
      }
    }
    await Promise.all(runs);
    await Promise.all(runs); // the launches made from microtasks pushed their runs after the first look
    expect(overlaps).toBe(0);
    expect(started).toEqual(called);
  });
});
