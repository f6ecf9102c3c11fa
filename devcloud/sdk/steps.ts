// Dependent steps of one invocation (issue #19): how many database round trips and WeChat Pay calls lie on its
// critical path, whatever the machine's speed. Two operations started at the same frontier (a Promise.all) count once;
// one started after another finished counts after it. "After" is what the invocation observed: an operation depends on
// every operation that had finished when it started (the happened-before order the code made possible). Among those
// chains the one kept is the heaviest under the cloud latency model (a WeChat Pay call outweighs several database
// round trips), so a quick database write that happened to finish while a WeChat Pay call was in flight does not
// lengthen the chain of what waited for that call.
import { CLOUD_LATENCY } from '../latency';

/** A step of the critical path: a database round trip, or a WeChat Pay call (any HTTP request a function makes). */
export type StepKind = 'db' | 'pay';

/** The critical path of an invocation: its database round trips and WeChat Pay calls in a row. */
export interface StepDepth {
  db: number;
  pay: number;
}

interface Chain extends StepDepth {
  weightMs: number;
}

const WEIGHT_MS: Record<StepKind, number> = { db: CLOUD_LATENCY.dbMs, pay: CLOUD_LATENCY.payMs };

/** Records the steps of one invocation. */
export class StepTracker {
  private front: Chain = { db: 0, pay: 0, weightMs: 0 };

  /** A step starts now; call the answer when it has finished (again: no effect). */
  begin(kind: StepKind): () => void {
    const base = this.front;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const chain: Chain = { ...base, [kind]: base[kind] + 1, weightMs: base.weightMs + WEIGHT_MS[kind] };
      if (chain.weightMs > this.front.weightMs) this.front = chain;
    };
  }

  /** The critical path so far (steps finished). */
  depth(): StepDepth {
    return { db: this.front.db, pay: this.front.pay };
  }
}

/** The x-devcloud-depth header's value: `db=4,pay=1`. */
export function formatDepth(d: StepDepth): string {
  return `db=${d.db},pay=${d.pay}`;
}

/** Reads {@link formatDepth}'s form back; null when absent or malformed. */
export function parseDepth(v: string | undefined): StepDepth | null {
  const m = /^db=(\d+),pay=(\d+)$/.exec(v ?? '');
  return m ? { db: Number(m[1]), pay: Number(m[2]) } : null;
}
