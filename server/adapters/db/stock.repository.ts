import type { HoldOwner, SkuNow, StockHold, StockPin, StockStore } from '../../application/ports/stock.port';
import type { CloudDb } from './cloud-db';
import { Collections } from './collections';
import { fetchAll } from './query';

/** Field of the SKU document that maps a hold id (an outTradeNo: [0-9A-Za-z] only) to the hold. */
const HOLDS = 'holds';

interface StoredHold {
  q: number;
  at: number;
  o: string;
  k: string;
}

function holdsOf(skuId: string, doc: Record<string, unknown>): StockHold[] {
  const raw = doc[HOLDS];
  if (typeof raw !== 'object' || raw === null) return [];
  const out: StockHold[] = [];
  for (const [holdId, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null) continue;
    const h = v as Partial<StoredHold>;
    if (typeof h.q !== 'number') continue;
    out.push({
      holdId,
      skuId,
      quantity: h.q,
      atMs: typeof h.at === 'number' ? h.at : 0,
      owner: { openid: String(h.o ?? ''), clientRequestKey: String(h.k ?? '') },
    });
  }
  return out;
}

/** How many written orders' holds one decrement forgets at most, and how many an instance remembers per SKU. */
const MAX_FORGOTTEN_PER_WRITE = 64;
const MAX_REMEMBERED_PER_SKU = 1_024;

function assertHoldId(holdId: string): void {
  // The id becomes part of a field path: a dot or a dollar sign would address another field.
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(holdId)) throw new Error(`invalid hold id ${JSON.stringify(holdId)}`);
}

/**
 * Stock on the SKU documents (`skus`, `_id` = skuId): `stock` is what can still be sold; `holds.<outTradeNo>` records
 * each decrement until its order is known to exist. Every write is a single-document conditional update, which the
 * cloud database applies atomically — no transaction, so nothing to lose to a write conflict (docs/adr/0007).
 */
export class DbStockStore implements StockStore {
  /** Per SKU, holds whose orders this instance wrote, in the order written: forgotten by its next decrement there. */
  private readonly written = new Map<string, Set<string>>();

  constructor(private readonly db: CloudDb) {}

  orderWritten(holdId: string, skuIds: readonly string[]): void {
    assertHoldId(holdId);
    for (const skuId of skuIds) {
      let ids = this.written.get(skuId);
      if (ids === undefined) this.written.set(skuId, (ids = new Set()));
      ids.add(holdId);
      // Bounded memory: the oldest are left to the sweep.
      if (ids.size > MAX_REMEMBERED_PER_SKU) ids.delete(ids.values().next().value as string);
    }
  }

  private get skus() {
    return this.db.collection(Collections.skus);
  }

  async hold(holdId: string, pin: StockPin, owner: HoldOwner, atMs: number): Promise<boolean> {
    assertHoldId(holdId);
    const _ = this.db.command;
    const hold: StoredHold = { q: pin.quantity, at: atMs, o: owner.openid, k: owner.clientRequestKey };
    const data: Record<string, unknown> = {
      stock: _.inc(-pin.quantity),
      [`${HOLDS}.${holdId}`]: _.set(hold),
    };
    // Holds of orders already written ride along (removing a hold that is gone already changes nothing), so the
    // SKU's document does not grow with every checkout until the sweep: each write of it copies the whole document.
    const forget: string[] = [];
    for (const id of this.written.get(pin.skuId) ?? []) {
      if (forget.length === MAX_FORGOTTEN_PER_WRITE) break;
      forget.push(id);
      data[`${HOLDS}.${id}`] = _.remove();
    }
    const { stats } = await this.skus
      .where({
        _id: pin.skuId,
        stock: _.gte(pin.quantity),
        priceFen: pin.priceFen,
        onSale: true,
        maxPerOrder: pin.maxPerOrder === null ? _.exists(false) : pin.maxPerOrder,
      })
      .update({ data });
    if (stats.updated !== 1) return false;
    const ids = this.written.get(pin.skuId);
    for (const id of forget) ids?.delete(id);
    return true;
  }

  async releaseHold(holdId: string, skuId: string, quantity: number): Promise<boolean> {
    assertHoldId(holdId);
    const _ = this.db.command;
    const { stats } = await this.skus
      .where({ _id: skuId, [`${HOLDS}.${holdId}.q`]: quantity })
      .update({ data: { stock: _.inc(quantity), [`${HOLDS}.${holdId}`]: _.remove() } });
    return stats.updated === 1;
  }

  async settleHolds(skuId: string, holdIds: readonly string[]): Promise<void> {
    if (holdIds.length === 0) return;
    const _ = this.db.command;
    const data: Record<string, unknown> = {};
    for (const id of holdIds) {
      assertHoldId(id);
      data[`${HOLDS}.${id}`] = _.remove();
    }
    await this.skus.where({ _id: skuId }).update({ data });
  }

  async read(skuId: string): Promise<SkuNow | null> {
    const { data } = await this.skus.where({ _id: skuId }).limit(1).get();
    const doc = data[0];
    if (!doc) return null;
    return {
      stock: Number(doc.stock),
      priceFen: Number(doc.priceFen),
      onSale: doc.onSale === true,
      maxPerOrder: typeof doc.maxPerOrder === 'number' ? doc.maxPerOrder : null,
      holds: holdsOf(skuId, doc),
    };
  }

  async listHolds(): Promise<StockHold[]> {
    const docs = await fetchAll(this.skus.field({ _id: true, [HOLDS]: true }));
    return docs.flatMap((d) => holdsOf(String(d._id), d));
  }
}
