import type { CartStore, LastOrder, StoredCart } from '../../application/ports/cart.port';
import type { Cart, CartLine } from '../../domain/cart';
import { EMPTY_CART } from '../../domain/cart';
import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError, isNotFoundError } from './cloud-db';
import { Collections } from './collections';

/** Carts stored one document per shopper (`_id` = OPENID) with a version for compare-and-set. */
export class DbCartStore implements CartStore {
  constructor(
    private readonly db: CloudDb,
    private readonly now: () => number,
  ) {}

  async load(openid: string): Promise<StoredCart> {
    try {
      const { data } = await this.db.collection(Collections.carts).doc(openid).get();
      const lastOrder = readLastOrder(data.lastOrder);
      return {
        cart: { lines: readLines(data.lines) },
        version: Number(data.version),
        ...(lastOrder ? { lastOrder } : {}),
      };
    } catch (e) {
      if (isNotFoundError(e)) return { cart: EMPTY_CART, version: 0 };
      throw e;
    }
  }

  async save(openid: string, cart: Cart, expectedVersion: number, lastOrder?: LastOrder): Promise<boolean> {
    const lines = cart.lines.map((l) => ({ skuId: l.skuId, quantity: l.quantity, selected: l.selected }));
    const carts = this.db.collection(Collections.carts);
    const last = lastOrder
      ? { lastOrder: { clientRequestKey: lastOrder.clientRequestKey, outTradeNo: lastOrder.outTradeNo } }
      : {};
    if (expectedVersion === 0) {
      try {
        await carts.add({ data: { _id: openid, lines, version: 1, updatedAtMs: this.now(), ...last } });
        return true;
      } catch (e) {
        if (isDuplicateKeyError(e)) return false;
        throw e;
      }
    }
    const { stats } = await carts.where({ _id: openid, version: expectedVersion }).update({
      data: {
        lines,
        version: expectedVersion + 1,
        updatedAtMs: this.now(),
        ...(lastOrder ? { lastOrder: this.db.command.set(last.lastOrder) } : {}),
      },
    });
    return stats.updated === 1;
  }
}

function readLines(value: unknown): CartLine[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((l: unknown) => {
    if (typeof l !== 'object' || l === null) return [];
    const { skuId, quantity, selected } = l as Record<string, unknown>;
    if (typeof skuId !== 'string' || typeof quantity !== 'number') return [];
    return [{ skuId, quantity, selected: selected === true }];
  });
}

function readLastOrder(value: unknown): LastOrder | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { clientRequestKey, outTradeNo } = value as Record<string, unknown>;
  if (typeof clientRequestKey !== 'string' || typeof outTradeNo !== 'string') return undefined;
  return { clientRequestKey, outTradeNo };
}
