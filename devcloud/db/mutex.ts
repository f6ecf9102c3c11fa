/**
 * A FIFO async mutex: `run` executes callbacks one at a time, in call order. A callback that finishes synchronously
 * while nobody holds or waits for the lock runs at once, with no promise of the lock's own (the store's writes are
 * such sections: each costs one promise, its answer, instead of a chain of them).
 */
export class Mutex {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  /** Runs `fn` once every earlier `run` has settled; resolves or rejects with fn's outcome. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.held) return new Promise<void>((go) => this.waiting.push(go)).then(() => this.enter(fn));
    this.held = true;
    return this.enter(fn);
  }

  /** Runs `fn` holding the lock (already taken for it), then hands the lock to the next waiter or frees it. */
  private enter<T>(fn: () => Promise<T> | T): Promise<T> {
    let out: Promise<T> | T;
    try {
      out = fn();
    } catch (e) {
      this.release();
      // What fn threw, as is (an async fn would reject with it too).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(e);
    }
    if (!isThenable(out)) {
      this.release();
      return Promise.resolve(out);
    }
    return Promise.resolve(out).then(
      (v) => {
        this.release();
        return v;
      },
      (e: unknown) => {
        this.release();
        throw e;
      },
    );
  }

  private release(): void {
    const next = this.waiting.shift();
    // Handed over: the lock stays held, so no newcomer runs before the waiter it was handed to.
    if (next === undefined) this.held = false;
    else next();
  }
}

/** True when `v` is a promise (of any realm) or another thenable: a section that waits. */
export function isThenable<T>(v: Promise<T> | T): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
