/**
 * Stock reservation by atomic conditional decrement (docs/adr/0007). Each SKU is taken with one single-document
 * update that checks stock ≥ quantity and the price, sale state and purchase limit the order was priced with, and that
 * records a hold (keyed by the order's outTradeNo) in the same write, so a placement that dies between steps leaves a
 * trace the sweep can repair.
 */

/** One SKU line of a reservation, with the catalog facts the order was priced from (checked atomically). */
export interface StockPin {
  skuId: string;
  quantity: number;
  priceFen: number;
  /** The SKU's purchase limit as priced; null = the SKU has none. */
  maxPerOrder: number | null;
}

/** Who a hold was taken for: a concurrent twin of the same checkout recognises its sibling by it. */
export interface HoldOwner {
  openid: string;
  clientRequestKey: string;
}

/** A hold as stored on its SKU. */
export interface StockHold {
  holdId: string;
  skuId: string;
  quantity: number;
  /** Business time the hold was taken. */
  atMs: number;
  owner: HoldOwner;
}

/** A SKU as it is now, read after a hold was refused to learn why. */
export interface SkuNow {
  stock: number;
  priceFen: number;
  onSale: boolean;
  maxPerOrder: number | null;
  holds: StockHold[];
}

/** Live stock of the skus collection. */
export interface StockStore {
  /** Takes `pin.quantity` and records hold `holdId` in one atomic write; false when the condition did not hold. */
  hold(holdId: string, pin: StockPin, owner: HoldOwner, atMs: number): Promise<boolean>;
  /** Gives hold `holdId` back (stock + quantity, hold removed) if it is still there; true only for the call that did. */
  releaseHold(holdId: string, skuId: string, quantity: number): Promise<boolean>;
  /**
   * Hold `holdId`'s order is written (its stock belongs to the order now): its holds on `skuIds` may be forgotten. The
   * store forgets them in that SKU's next decrement it makes anyway (no extra round trip), so a busy SKU's document
   * carries only the holds of checkouts in flight; what an instance never gets to, the sweep settles.
   */
  orderWritten(holdId: string, skuIds: readonly string[]): void;
  /** Forgets holds whose orders exist (their stock now belongs to the order); stock is unchanged. */
  settleHolds(skuId: string, holdIds: readonly string[]): Promise<void>;
  /** The SKU now, or null when it does not exist. */
  read(skuId: string): Promise<SkuNow | null>;
  /** Every hold still recorded, across all SKUs. */
  listHolds(): Promise<StockHold[]>;
}
