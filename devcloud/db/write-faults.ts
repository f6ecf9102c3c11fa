// Database write-failure injection for chaos runs: a share of the functions' writes fail like a cloud database
// request that failed ("before": nothing was written) or whose answer was lost ("after": the write is durable, the
// function still sees an error, as after a network timeout). The admin handle, the dev console and the client
// endpoint are never affected: only what business code writes through wx-server-sdk.
import { CloudSdkError, ErrCodes } from './errors';
import type { Engine, TransactionState } from './engine';

/** What to inject (POST /_devcloud/faults {dbWrites: spec}). */
export interface WriteFaultSpec {
  /** Share of write round trips that fail, 0..1. */
  rate: number;
  /** Fail before the write (nothing written), after it (written, answer lost), or either at random (default). */
  when?: 'before' | 'after' | 'either';
  /** Only writes touching these collections (default: every collection). */
  collections?: string[];
  /** PRNG seed, for reproducible runs (default 1). */
  seed?: number;
}

/** The active spec and what it has done. */
export interface WriteFaultStatus {
  spec: WriteFaultSpec | null;
  /** Writes considered while a spec was active. */
  writes: number;
  failedBefore: number;
  failedAfter: number;
}

/** Thrown for an injected failure; the message says it was injected, so no log line is mistaken for a real fault. */
export function injectedWriteError(when: 'before' | 'after'): CloudSdkError {
  return new CloudSdkError(
    ErrCodes.DB_REQUEST_FAILED,
    `database request fail. [InternalError] devcloud injected write failure (${when === 'before' ? 'nothing written' : 'written, answer lost'})`,
  );
}

/** Validates an untrusted spec (HTTP input); throws naming the bad field. */
export function parseWriteFaultSpec(input: unknown): WriteFaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error('dbWrites must be an object {rate, when?, collections?, seed?}');
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['rate', 'when', 'collections', 'seed'].includes(k))
      throw new Error(`unknown dbWrites field "${k}"`);
  if (typeof o.rate !== 'number' || !(o.rate >= 0 && o.rate <= 1))
    throw new Error('dbWrites.rate must be a number in [0, 1]');
  const spec: WriteFaultSpec = { rate: o.rate };
  if (o.when !== undefined) {
    if (o.when !== 'before' && o.when !== 'after' && o.when !== 'either')
      throw new Error('dbWrites.when must be "before", "after" or "either"');
    spec.when = o.when;
  }
  if (o.collections !== undefined) {
    if (!Array.isArray(o.collections) || o.collections.some((c) => typeof c !== 'string' || c === ''))
      throw new Error('dbWrites.collections must be an array of collection names');
    spec.collections = o.collections as string[];
  }
  if (o.seed !== undefined) {
    if (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed))
      throw new Error('dbWrites.seed must be an integer');
    spec.seed = o.seed;
  }
  return spec;
}

/** mulberry32: small, fast, good enough to pick which writes fail. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The switchable fault source shared by every function's database handle. */
export class WriteFaults {
  private spec: WriteFaultSpec | null = null;
  private random: () => number = prng(1);
  private counts = { writes: 0, failedBefore: 0, failedAfter: 0 };

  /** Starts injecting `spec` (null stops); the counters restart. */
  set(spec: WriteFaultSpec | null): WriteFaultStatus {
    this.spec = spec;
    this.random = prng(spec?.seed ?? 1);
    this.counts = { writes: 0, failedBefore: 0, failedAfter: 0 };
    return this.status();
  }

  status(): WriteFaultStatus {
    return { spec: this.spec, ...this.counts };
  }

  /** Decides the fate of one write touching `collections`. */
  private decide(collections: Iterable<string>): 'before' | 'after' | null {
    const spec = this.spec;
    if (spec === null || spec.rate <= 0) return null;
    if (spec.collections !== undefined) {
      const wanted = new Set(spec.collections);
      if (![...collections].some((c) => wanted.has(c))) return null;
    }
    this.counts.writes++;
    if (this.random() >= spec.rate) return null;
    const when =
      spec.when === 'before' || spec.when === 'after' ? spec.when : this.random() < 0.5 ? 'before' : 'after';
    if (when === 'before') this.counts.failedBefore++;
    else this.counts.failedAfter++;
    return when;
  }

  private guard<T>(collections: Iterable<string>, write: () => Promise<T>): Promise<T> {
    const fate = this.decide(collections);
    if (fate === 'before') return Promise.reject(injectedWriteError('before'));
    if (fate === null) return write();
    return write().then(() => {
      throw injectedWriteError('after');
    });
  }

  /** The engine as the functions see it: its write round trips pass through the injector, reads do not. */
  wrap(engine: Engine): Engine {
    const guard = this.guard.bind(this);
    const collectionsOf = (t: TransactionState) => new Set([...t.writes.values()].map((c) => c.collection));
    // The engine's methods never change: each is wrapped (or bound) once, not on every call.
    const methods = new Map<PropertyKey, unknown>();
    const method = (prop: PropertyKey, target: Engine, fn: (...a: unknown[]) => unknown): unknown => {
      switch (prop) {
        case 'insert':
        case 'update':
        case 'replace':
        case 'remove':
          return (collection: string, ...rest: unknown[]) =>
            guard([collection], () => fn.call(target, collection, ...rest) as Promise<unknown>);
        case 'txCommit':
          return (t: TransactionState) => guard(collectionsOf(t), () => target.txCommit(t));
        default:
          return fn.bind(target);
      }
    };
    return new Proxy(engine, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        let m = methods.get(prop);
        if (m === undefined) methods.set(prop, (m = method(prop, target, v as (...a: unknown[]) => unknown)));
        return m;
      },
    });
  }
}
