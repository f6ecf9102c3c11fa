import { copyLinesBack, removeSelected, selectedForCheckout } from '../domain/cart';
import { DomainError } from '../domain/errors';
import type { OrderPhase } from '../domain/order-state';
import { canBuyAgain, canCancel, hasReceivedPayment, statesInPhase, transition } from '../domain/order-state';
import { priceOrder } from '../domain/pricing';
import type { Catalog } from '../domain/catalog';
import type { DeliverySnapshot, PickupPoint } from '../domain/delivery';
import { allowedDeliveryKinds, assertDeliveryAllowed, parseDelivery } from '../domain/delivery';
import { stockReservationPlan } from '../domain/stock';
import type { CheckoutQuoteView, CheckoutView, OrderView } from '../../typings/contracts/order';
import type { CartView } from '../../typings/contracts/shop';
import type { CartSelection } from '../domain/cart';
import type { PricedOrder, PricingOptions } from '../domain/pricing';
import { ORPHAN_HOLD_AFTER_MS, outOfStock, reserveStock, twinsOrder, writePlacedOrder } from './stock-holds';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { dueAgainAt, settled } from './job-queue';
import { newOrderRecord } from './new-order';
import type { MiniprogramState, OrderRecord } from './order.model';
import type { LastOrder, StoredCart } from './ports/cart.port';
import { toOrderLineView, toOrderView } from './order-view';
import type { PaymentService } from './payment.service';
import { closeAllowedAtMs, ownedOrder } from './payment.service';
import { cartView } from './shop.service';

/** How often a compare-and-set is retried against concurrent writers before giving up with a retryable error. */
export const CAS_ATTEMPTS = 5;
/**
 * How old the catalog behind a checkout may be. Every price, sale state and purchase limit it supplies is checked again
 * by the atomic stock decrement (docs/adr/0007), so its age only delays new products; a mismatch reloads it.
 */
export const CHECKOUT_CATALOG_MAX_AGE_MS = 60_000;
/** Pricing rounds when the catalog changed under a checkout (each after a fresh catalog load). */
const PLACE_ATTEMPTS = 3;
/** Stock left out of pricing: the conditional decrement decides it atomically, the catalog's figure may be stale. */
function stockDecidedAtReservation(catalog: Catalog): Catalog {
  return {
    products: catalog.products.map((p) => ({
      ...p,
      skus: p.skus.map((s) => ({ ...s, stock: Number.MAX_SAFE_INTEGER })),
    })),
  };
}

/** The lines and payable total the shopper was shown are what the server priced (line order aside). */
function shownAsPriced(
  displayed: { lines: readonly CartSelection[]; payableFen: number },
  selection: readonly CartSelection[],
  priced: PricedOrder,
): boolean {
  if (displayed.payableFen !== priced.payableFen || displayed.lines.length !== selection.length) return false;
  return selection.every((l) =>
    displayed.lines.some((d) => d.skuId === l.skuId && d.quantity === l.quantity),
  );
}

function quoteView(
  priced: PricedOrder,
  catalog: Catalog,
  pickupPoint: PickupPoint | null,
): CheckoutQuoteView {
  const productIds = priced.lines.map((l) => l.productId);
  return {
    lines: priced.lines.map(toOrderLineView),
    totalFen: priced.totalFen,
    payableFen: priced.payableFen,
    isTestOrder: priced.isTestOrder,
    deliveryKinds: allowedDeliveryKinds(catalog, productIds, pickupPoint),
    pickupPoint: pickupPoint ? { ...pickupPoint } : null,
  };
}

/** ORDER.PRICE_CHANGED, its details the new quote (flat: the client sees details three levels deep). */
function priceChanged(priced: PricedOrder, catalog: Catalog, pickupPoint: PickupPoint | null): DomainError {
  return new DomainError(
    AppErrorCodes.ORDER_PRICE_CHANGED,
    `the order now costs ${priced.payableFen} fen: show it and ask again`,
    { ...quoteView(priced, catalog, pickupPoint) },
  );
}

/** What place and checkout say about delivery, as the client sent it (validated before anything is read). */
export interface DeliveryInput {
  delivery: unknown;
  remark?: unknown;
}

/** What one sweep of stock holds did. */
export interface HoldSweepResult {
  /** Holds whose order exists: forgotten (the order owns that stock). */
  settled: number;
  /** Orphan holds of checkouts that never inserted their order: stock given back. */
  released: number;
}

/** Checkout and the shopper's own orders: place (idempotent per client key), get, list, cancel. */
export class CheckoutService {
  constructor(
    private readonly d: CoreDeps,
    private readonly payments: Pick<
      PaymentService,
      'closeAtProvider' | 'queryOrder' | 'syncOrder' | 'startFor'
    >,
  ) {}

  /**
   * Places an order from the selected cart lines: priced from the catalog only, stock held SKU by SKU with atomic
   * conditional decrements (never BUSY while stock remains, never oversold: docs/adr/0007), idempotent per
   * (openid, clientRequestKey) — a double tap returns the first order. One SKU costs 4 round trips on a warm instance
   * (cart read, decrement, order insert, cart write), each further SKU one more.
   */
  async place(openid: string, clientRequestKey: string, delivery: DeliveryInput): Promise<OrderView> {
    return toOrderView(
      await this.placeRecord(
        openid,
        clientRequestKey,
        null,
        this.parseDelivery(delivery),
        undefined,
        (order) => Promise.resolve(order),
      ),
      this.d.clock.now(),
    );
  }

  /** ORDER.DELIVERY_INVALID (details: field) before anything is read or written. */
  private parseDelivery(input: DeliveryInput): DeliverySnapshot {
    return parseDelivery(input.delivery, input.remark, this.d.policy.fulfilment.pickupPoint);
  }

  /**
   * {@link place} at the price the shopper saw, answering the payment parameters too (one call from tap to payment
   * sheet). When the cart's selected lines are not `displayed.lines`, or the payable total (the tester amount for a
   * tester) is not `displayed.payableFen`, it refuses with ORDER.PRICE_CHANGED and the new quote before anything is
   * written. A repeat of the key answers the first order and its prepay, whatever the prices are now. `placedFrom` is
   * the build the shopper is on (its subscription messages open that build: docs/adr/0010).
   */
  async checkout(
    openid: string,
    clientRequestKey: string,
    displayed: { lines: readonly CartSelection[]; payableFen: number },
    delivery: DeliveryInput,
    placedFrom?: MiniprogramState,
  ): Promise<CheckoutView> {
    // WeChat is asked for the prepay while the ordered lines leave the cart (independent documents: the order exists
    // before either starts, and a repeat of the key finds it whichever of the two a crash interrupted).
    return this.placeRecord(
      openid,
      clientRequestKey,
      displayed,
      this.parseDelivery(delivery),
      placedFrom,
      async (order) => {
        const payment = await this.payments.startFor(order);
        return { order: toOrderView(order, this.d.clock.now()), payment };
      },
    );
  }

  /**
   * What order.checkout would charge now for the cart's selected lines (the tester amount for a tester), priced from
   * the catalog read fresh, stock included: the confirm page shows it and sends its payableFen back.
   */
  async quote(openid: string): Promise<CheckoutQuoteView> {
    const [stored, catalog] = await Promise.all([this.d.carts.load(openid), this.d.catalog.loadCatalog()]);
    const priced = priceOrder(catalog, selectedForCheckout(stored.cart), this.pricingFor(openid));
    return quoteView(priced, catalog, this.d.policy.fulfilment.pickupPoint);
  }

  private pricingFor(openid: string): PricingOptions {
    const testerPayableFen = this.d.policy.testerPayableFen;
    return {
      tester: this.d.policy.testerOpenids.has(openid),
      ...(testerPayableFen === undefined ? {} : { testerPayableFen }),
    };
  }

  /**
   * Places the order (or finds the first one of the key) and answers `answer(order)`. For an order placed now, `answer`
   * runs while the ordered lines leave the cart; both are waited for, and a failure of either is the answer.
   */
  private async placeRecord<T>(
    openid: string,
    clientRequestKey: string,
    displayed: { lines: readonly CartSelection[]; payableFen: number } | null,
    delivery: DeliverySnapshot,
    placedFrom: MiniprogramState | undefined,
    answer: (order: OrderRecord) => Promise<T>,
  ): Promise<T> {
    // The catalog beside the cart read: free on a warm instance (cached), and on a fresh one its fill is not a step of
    // its own in front of the decrements. Awaited below; a failure surfaces there (not as an unhandled rejection).
    const cached = this.d.catalog.cachedCatalog(CHECKOUT_CATALOG_MAX_AGE_MS);
    cached.catch(() => undefined);
    const stored = await this.d.carts.load(openid);
    if (stored.lastOrder?.clientRequestKey === clientRequestKey) {
      const first = await this.d.orders.get(stored.lastOrder.outTradeNo);
      if (first && first.openid === openid) return answer(first);
    }
    const selection = selectedForCheckout(stored.cart);
    if (selection.length === 0) {
      // A late repeat of a checkout whose lines already left the cart.
      const first = await this.d.orders.findByClientKey(openid, clientRequestKey);
      if (first) return answer(first);
    }
    for (let attempt = 0; attempt < PLACE_ATTEMPTS; attempt++) {
      const catalog = attempt === 0 ? await cached : await this.d.catalog.loadCatalog();
      const priced = priceOrder(stockDecidedAtReservation(catalog), selection, this.pricingFor(openid));
      // Refused only on a freshly loaded catalog: the instance's cached one may be older than what the page showed.
      // Checked on every later round too, since a reload forced by the reservation may be what moved the price.
      if (displayed && !shownAsPriced(displayed, selection, priced)) {
        if (attempt === 0) continue;
        throw priceChanged(priced, catalog, this.d.policy.fulfilment.pickupPoint);
      }
      assertDeliveryAllowed(
        catalog,
        priced.lines.map((l) => l.productId),
        delivery.kind,
      );
      const now = this.d.clock.now();
      const order = newOrderRecord(this.d, now, {
        openid,
        clientRequestKey,
        priced,
        isTestOrder: priced.isTestOrder,
        delivery,
        placedFrom,
      });
      const plan = stockReservationPlan(priced.lines);
      const reserved = await reserveStock(this.d, order, plan, catalog);
      if (reserved.kind === 'stale') continue;
      if (reserved.kind === 'short') {
        // A concurrent twin of this request may have taken the stock: the shopper's answer is that first order.
        const first = await twinsOrder(this.d, openid, clientRequestKey, reserved.twinInFlight);
        if (first) return answer(first);
        throw outOfStock(reserved);
      }
      const written = await writePlacedOrder(this.d, order, plan, now);
      if (written.kind === 'twin') return answer(written.first);
      this.d.log.info('order.placed', {
        outTradeNo: order.outTradeNo,
        totalFen: order.totalFen,
        payableFen: order.payableFen,
        isTestOrder: order.isTestOrder,
      });
      const [dropped, answered] = await Promise.allSettled([
        this.dropOrderedLines(openid, stored, { clientRequestKey, outTradeNo: order.outTradeNo }),
        answer(order),
      ]);
      if (dropped.status === 'rejected') throw dropped.reason;
      if (answered.status === 'rejected') throw answered.reason;
      return answered.value;
    }
    throw new DomainError(
      AppErrorCodes.ORDER_BUSY,
      'the catalog kept changing during checkout, please retry',
    );
  }

  /**
   * Repairs what crashed checkouts left (docs/adr/0007): a hold whose order exists is forgotten (the order owns that
   * stock), a hold with no order ORPHAN_HOLD_AFTER_MS after it was taken is given back — exactly once, since the give-back
   * is conditional on the hold. The close timer runs it.
   */
  async sweepHolds(): Promise<HoldSweepResult> {
    const r: HoldSweepResult = { settled: 0, released: 0 };
    const holds = await this.d.stock.listHolds();
    if (holds.length === 0) return r;
    const now = this.d.clock.now();
    const existing = await this.d.orders.existing([...new Set(holds.map((h) => h.holdId))]);
    const settle = new Map<string, string[]>();
    for (const h of holds) {
      if (existing.has(h.holdId)) {
        settle.set(h.skuId, [...(settle.get(h.skuId) ?? []), h.holdId]);
      } else if (now - h.atMs > ORPHAN_HOLD_AFTER_MS) {
        if (await this.d.stock.releaseHold(h.holdId, h.skuId, h.quantity)) {
          r.released++;
          this.d.log.warn('stock.orphan_hold_released', {
            holdId: h.holdId,
            skuId: h.skuId,
            quantity: h.quantity,
          });
        }
      }
    }
    for (const [skuId, ids] of settle) {
      await this.d.stock.settleHolds(skuId, ids);
      r.settled += ids.length;
    }
    return r;
  }

  /** One order, only for its owner (anyone else gets ORDER.NOT_FOUND: existence is not revealed). */
  async get(openid: string, outTradeNo: string): Promise<OrderView> {
    return toOrderView(await this.owned(openid, outTradeNo), this.d.clock.now());
  }

  /** The shopper's orders, newest first; only those of `phase` when given (filtered by the database). */
  async listMine(openid: string, limit: number, beforeMs?: number, phase?: OrderPhase): Promise<OrderView[]> {
    const n = Math.max(1, Math.min(50, Math.floor(limit)));
    const states = phase === undefined ? undefined : statesInPhase(phase);
    const found = await this.d.orders.listByOpenid(openid, n, beforeMs, states);
    const now = this.d.clock.now();
    return found.map((o) => toOrderView(o, now));
  }

  /**
   * "再来一单": the order's lines copied back into its owner's cart at today's availability, selected, the cart's other
   * lines unselected (domain copyLinesBack; the cart prices them today, as every cart does). Refused with
   * ORDER.STILL_PAYABLE while the order awaits payment: that order is paid, not placed a second time.
   */
  async again(openid: string, outTradeNo: string): Promise<CartView> {
    const order = await this.owned(openid, outTradeNo);
    if (!canBuyAgain(order.status)) {
      throw new DomainError(
        AppErrorCodes.ORDER_STILL_PAYABLE,
        'the order still awaits payment: pay it (or cancel it) instead of ordering the same goods again',
        { status: order.status },
      );
    }
    const lines = order.lines.map((l) => ({ skuId: l.skuId, quantity: l.quantity }));
    // Read fresh: the quantities are cut to today's stock and limits (a rare action, unlike a cart change).
    const catalog = await this.d.catalog.loadCatalog();
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const stored = await this.d.carts.load(openid);
      const next = copyLinesBack(stored.cart, catalog, lines);
      if (await this.d.carts.save(openid, next, stored.version)) {
        this.d.log.info('order.again', { outTradeNo, lines: lines.length });
        return cartView(next, catalog);
      }
    }
    throw new DomainError(AppErrorCodes.CART_BUSY, 'the cart is being changed elsewhere, please retry');
  }

  /**
   * Cancels an unpaid order. The provider-side order is closed first (a paid one is applied instead and the cancel
   * refused with ORDER.ALREADY_PAID). Within WeChat's 5-minute guard (counted from the prepay) a close is not allowed
   * but a query is: WeChat is asked first, and money it already has is applied (ORDER.ALREADY_PAID); a payment it
   * cannot rule out (USERPAYING, or the query fails) refuses the cancel with ORDER.PAYMENT_UNCONFIRMED, nothing
   * written; only when WeChat has no payment does the local close go ahead, the WeChat close queued for the close job.
   */
  async cancel(openid: string, outTradeNo: string): Promise<OrderView> {
    let order = await this.owned(openid, outTradeNo);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      if (order.status === 'CLOSED_BY_USER') return toOrderView(order, this.d.clock.now());
      if (!canCancel(order.status)) {
        throw new DomainError(
          AppErrorCodes.ORDER_NOT_CANCELLABLE,
          `an order in ${order.status} cannot be cancelled`,
          {
            status: order.status,
          },
        );
      }
      const providerClose = await this.payments.closeAtProvider(order);
      if (providerClose === 'paid' || (providerClose === 'pending' && (await this.paidAtProvider(order)))) {
        throw new DomainError(
          AppErrorCodes.ORDER_ALREADY_PAID,
          'the order was paid before it could be cancelled',
        );
      }
      const now = this.d.clock.now();
      const closed = await this.d.orders.updateAndReleaseStock(
        order,
        {
          status: transition(order.status, 'USER_CANCELLED'),
          closedAtMs: now,
          providerClose,
          closeJob:
            providerClose === 'pending'
              ? dueAgainAt(order.closeJob, closeAllowedAtMs(order, this.d.policy.closeGuardMs))
              : settled(order.closeJob),
          updatedAtMs: now,
        },
        stockReservationPlan(order.lines),
      );
      if (closed) {
        this.d.log.info('order.cancelled', { outTradeNo, providerClose });
        return toOrderView(closed, now);
      }
      order = await this.owned(openid, outTradeNo);
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the order is being changed elsewhere, please retry');
  }

  // Inside the close guard only a query can tell, and a local close cannot stop a payment already under way: it would
  // land as PAID_AFTER_CLOSE and be refunded (paid, no goods). So the shopper's cancel waits while WeChat cannot rule a
  // payment out. The window is the guard itself (5 minutes from the last prepay): after it the close is WeChat's own
  // answer, and WeChat's notification normally arrives within seconds of a payment.
  private async paidAtProvider(order: OrderRecord): Promise<boolean> {
    let asked: Awaited<ReturnType<PaymentService['queryOrder']>>;
    try {
      asked = await this.payments.queryOrder(order);
    } catch (e) {
      this.d.log.warn('order.cancel.query_failed', { outTradeNo: order.outTradeNo, error: e });
      throw paymentUnconfirmed('WeChat could not be asked about the payment');
    }
    if (hasReceivedPayment(asked.order.status)) return true;
    if (asked.state === 'USERPAYING') {
      this.d.log.info('order.cancel.payment_in_progress', { outTradeNo: order.outTradeNo });
      throw paymentUnconfirmed('WeChat reports the payment in progress');
    }
    return false;
  }

  private owned(openid: string, outTradeNo: string): Promise<OrderRecord> {
    return ownedOrder(this.d.orders, openid, outTradeNo);
  }

  // The order is placed whatever happens here: a cart that keeps the lines is an annoyance, not a loss. The first try
  // writes against the cart as read at the start of the checkout (no second read).
  private async dropOrderedLines(openid: string, first: StoredCart, lastOrder: LastOrder): Promise<void> {
    let stored = first;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      if (await this.d.carts.save(openid, removeSelected(stored.cart), stored.version, lastOrder)) return;
      stored = await this.d.carts.load(openid);
    }
    this.d.log.warn('cart.cleanup.skipped', { reason: 'concurrent cart changes' });
  }
}

function paymentUnconfirmed(why: string): DomainError {
  return new DomainError(
    AppErrorCodes.ORDER_PAYMENT_UNCONFIRMED,
    `${why}: the order cannot be cancelled until its payment is confirmed, try again in a few minutes`,
  );
}
