// Commands of the bench's stack process for issue 19's phases ("a big shop's day"): bulk seeding of past orders through
// the local database's own transactions (one journaled write set per chunk: no function, no HTTP, no per-order append),
// and the stock accounting of the flash sale. Spread into the commands of ./stack-setup.ts.
import { PerformanceObserver } from 'node:perf_hooks';
import type { Stack } from '../../../devcloud/stack/stack';

type Doc = Record<string, unknown> & { _id: string };

/** Orders per write set when seeding (one journal line and one datafile append each). */
const SEED_CHUNK = 2_000;

/** Who gets how many seeded orders. */
export interface SeedShare {
  openid: string;
  count: number;
}

/** What {@link bigDayCommands}'s seedBulk answers. */
export interface SeedOutcome {
  added: number;
  total: number;
  seconds: number;
}

/** Live (not closed) orders' quantity of each SKU, and the stock and holds left on it. */
export interface SkuAccount {
  skuId: string;
  liveOrders: number;
  liveQuantity: number;
  stock: number | null;
  /** Holds on the SKU (each checkout's decrement, kept until the close timer's sweep: docs/adr/0007). */
  holds: number;
  /** Quantity of the holds whose order does not exist (stock taken by no order: not sold, not in stock). */
  orphanQuantity: number;
}

/** Every document of `collection` (admin reads page by 100, in _id order). */
async function everyDoc(stack: Stack, collection: string): Promise<Doc[]> {
  const out: Doc[] = [];
  for (;;) {
    const { data } = await stack.cloud.db
      .collection(collection)
      .orderBy('_id', 'asc')
      .skip(out.length)
      .limit(100)
      .get();
    out.push(...(data as Doc[]));
    if (data.length < 100) return out;
  }
}

/** The stack process's heap and the time its garbage collections took so far. */
export interface HeapFigures {
  heapUsedMb: number;
  gcMs: number;
}

export function bigDayCommands(
  stack: Stack,
): Record<string, (args: Record<string, unknown>) => Promise<unknown>> {
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  }).observe({ entryTypes: ['gc'] });
  return {
    /**
     * A full garbage collection, then the heap: what the process keeps once a phase's garbage is gone. The growth phase
     * runs it before each size's measurement, so neither pays for collecting the bulk seeding's leftovers (an artefact
     * of seeding 100 k orders in seconds, not of the shop's operations). Needs --expose-gc (the bench's stack has it).
     */
    gc: async () => {
      const collect = (globalThis as { gc?: () => void }).gc;
      if (collect === undefined)
        throw new Error('gc is not exposed: start the stack process with --expose-gc');
      collect();
      const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;
      // The observer hears of that collection asynchronously: its time must land before the caller's window opens.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const figures: HeapFigures = { heapUsedMb, gcMs };
      return figures;
    },
    heap: () => {
      const figures: HeapFigures = { heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20, gcMs };
      return Promise.resolve(figures);
    },
    /**
     * Removes every order of the shoppers whose OPENID starts with `openidPrefix` (letters, digits, - and _), and their
     * carts; answers how many orders. The growth phase's warm-up rounds place orders that are not part of either size.
     */
    removeOrders: async ({ openidPrefix }) => {
      const prefix = String(openidPrefix);
      if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`removeOrders: bad prefix ${prefix}`);
      const db = stack.cloud.db;
      const startsWith = db.RegExp({ regexp: `^${prefix}` });
      const removed = (await db.collection('orders').where({ openid: startsWith }).remove()).stats.removed;
      await db.collection('carts').where({ _id: startsWith }).remove();
      return removed;
    },
    /**
     * Adds past orders cloned from order `template` (a paid one): `shares` say whose and how many; each gets its own
     * number, request key, payment key and a creation time one second apart ending before `startMs`, so a shopper's
     * newest orders are the ones placed during the run. Written in chunks, each one transaction of the store.
     */
    seedBulk: async ({ template, shares, startMs, tag }) => {
      const t0 = process.hrtime.bigint();
      const orders = stack.cloud.db.collection('orders');
      const { data } = await orders.doc(String(template)).get();
      const { _id: _unused, ...base } = data as Doc;
      const list = shares as SeedShare[];
      const n = list.reduce((s, x) => s + x.count, 0);
      const t = Number(startMs);
      const owners: string[] = [];
      for (const share of list) for (let i = 0; i < share.count; i++) owners.push(share.openid);
      // Interleaved (not one shopper's block after another's), as a shop's history is.
      const order = owners.map((_, i) => i).sort((a, b) => ((a * 7919) % n) - ((b * 7919) % n));
      for (let from = 0; from < n; from += SEED_CHUNK) {
        const to = Math.min(n, from + SEED_CHUNK);
        await stack.cloud.db.runTransaction(async (tx) => {
          const c = tx.collection('orders');
          for (let i = from; i < to; i++) {
            const no = `BD${String(tag)}x${String(i).padStart(6, '0')}`;
            const at = t - (n - i) * 1000;
            await c.add({
              data: {
                ...base,
                _id: no,
                openid: owners[order[i] ?? i],
                clientRequestKey: `seed-${no}`,
                createdAtMs: at,
                updatedAtMs: at,
                expiresAtMs: at + 30 * 60_000,
                paymentKey: `seed:${no}`,
              },
            });
          }
        });
      }
      const total = (await orders.count()).total;
      const outcome: SeedOutcome = { added: n, total, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
      return outcome;
    },
    /** One document as stored (admin read), or null. */
    doc: async ({ collection, id }) =>
      (await stack.cloud.db.collection(String(collection)).doc(String(id)).get()).data ?? null,
    /** The simulator's records of an order and (optionally) one of its refunds, as it keeps them. */
    simRecords: async ({ outTradeNo, outRefundNo }) => ({
      order: await stack.sim.control.order(String(outTradeNo)),
      refund: typeof outRefundNo === 'string' ? await stack.sim.control.refund(outRefundNo) : null,
    }),
    /** Moves the simulator's virtual clock (the functions' business clock) forward. */
    advanceClock: async ({ ms }) => stack.sim.control.advance(Number(ms)),
    /** The simulator's virtual now. */
    simNow: () => Promise.resolve(stack.sim.now()),
    /** Per SKU: the live orders holding it and their quantity, the stock and the holds left (one read of all orders). */
    skuAccounts: async ({ skuIds }) => {
      const ids = skuIds as string[];
      const docs = await everyDoc(stack, 'orders');
      const known = new Set(docs.map((d) => d._id));
      const out: SkuAccount[] = [];
      for (const skuId of ids) {
        let liveOrders = 0;
        let liveQuantity = 0;
        for (const d of docs) {
          if (String(d.status).startsWith('CLOSED')) continue;
          const lines = (d.lines ?? []) as { skuId?: string; quantity?: number }[];
          const q = lines.filter((l) => l.skuId === skuId).reduce((s, l) => s + (l.quantity ?? 0), 0);
          if (q > 0) {
            liveOrders += 1;
            liveQuantity += q;
          }
        }
        const sku = (await stack.cloud.db.collection('skus').doc(skuId).get()).data;
        const holds = (sku?.holds ?? {}) as Record<string, { q?: number }>;
        const orphanQuantity = Object.entries(holds)
          .filter(([no]) => !known.has(no))
          .reduce((s, [, h]) => s + (h.q ?? 0), 0);
        out.push({
          skuId,
          liveOrders,
          liveQuantity,
          stock: typeof sku?.stock === 'number' ? sku.stock : null,
          holds: Object.keys(holds).length,
          orphanQuantity,
        });
      }
      return out;
    },
  };
}
