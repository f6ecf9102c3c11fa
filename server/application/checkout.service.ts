import { removeSelected, selectedForCheckout } from '../domain/cart';
import { DomainError, ErrorCodes } from '../domain/errors';
import { newOutTradeNo } from '../domain/ids';
import { ZERO_FEN } from '../domain/money';
import { canCancel, hasReceivedPayment, transition } from '../domain/order-state';
import { paymentDescription, priceOrder } from '../domain/pricing';
import { stockReservationPlan } from '../domain/stock';
import type { OrderView } from '../../typings/contracts/order';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { SYNC_AFTER_MS, dueAgainAt, queuedAt, settled } from './job-queue';
import type { OrderRecord } from './order.model';
import { toOrderView } from './order-view';
import { PaymentService, closeAllowedAtMs, ownedOrder } from './payment.service';

/** How often a compare-and-set is retried against concurrent writers before giving up with a retryable error. */
export const CAS_ATTEMPTS = 5;

/** Checkout and the shopper's own orders: place (idempotent per client key), get, list, cancel. */
export class CheckoutService {
  constructor(
    private readonly d: CoreDeps,
    private readonly payments: PaymentService = new PaymentService(d),
  ) {}

  /**
   * Places an order from the selected cart lines: priced from the catalog only, stock reserved atomically with the
   * insert, idempotent per (openid, clientRequestKey) — a double tap returns the first order.
   */
  async place(openid: string, clientRequestKey: string): Promise<OrderView> {
    const existing = await this.d.orders.findByClientKey(openid, clientRequestKey);
    if (existing) return toOrderView(existing, this.d.clock.now());

    const [stored, catalog] = await Promise.all([this.d.carts.load(openid), this.d.catalog.loadCatalog()]);
    const selection = selectedForCheckout(stored.cart);
    const tester = this.d.policy.testerOpenids.has(openid);
    const testerPayableFen = this.d.policy.testerPayableFen;
    const priced = priceOrder(catalog, selection, {
      tester,
      ...(testerPayableFen === undefined ? {} : { testerPayableFen }),
    });
    const now = this.d.clock.now();
    const order: OrderRecord = {
      outTradeNo: newOutTradeNo(now, this.d.random.base62(10)),
      openid,
      clientRequestKey,
      status: 'AWAITING_PAYMENT',
      version: 1,
      lines: [...priced.lines],
      totalFen: priced.totalFen,
      payableFen: priced.payableFen,
      isTestOrder: priced.isTestOrder,
      simulated: this.d.policy.simulatedPayments,
      providerId: this.d.provider.id,
      description: paymentDescription(priced),
      createdAtMs: now,
      expiresAtMs: now + this.d.policy.orderTtlMs,
      updatedAtMs: now,
      prepay: null,
      payment: null,
      refundReservedFen: ZERO_FEN,
      refundedFen: ZERO_FEN,
      closedAtMs: null,
      providerClose: 'not-needed',
      stockReleased: false,
      closeJob: queuedAt(now + this.d.policy.orderTtlMs),
      syncJob: queuedAt(now + SYNC_AFTER_MS),
    };
    const plan = stockReservationPlan(priced.lines);
    const outcome = await this.d.orders.createWithReservation(order, plan);
    if (outcome.kind !== 'created') {
      // A concurrent twin of this request may have won: its order took the stock (so this one saw a shortage) or the
      // client key (a duplicate). Either way the shopper's answer is that first order.
      const first = await this.d.orders.findByClientKey(openid, clientRequestKey);
      if (first) return toOrderView(first, now);
    }
    if (outcome.kind === 'duplicate') {
      throw new DomainError(
        AppErrorCodes.ORDER_NOT_FOUND,
        'the order for this request could not be read back',
      );
    }
    if (outcome.kind === 'busy') {
      throw new DomainError(
        AppErrorCodes.ORDER_BUSY,
        'many shoppers are checking out these items now, please retry',
      );
    }
    if (outcome.kind === 'out-of-stock') {
      throw new DomainError(
        ErrorCodes.ORDER_OUT_OF_STOCK,
        `only ${outcome.available} left of ${outcome.skuId}`,
        {
          skuId: outcome.skuId,
          available: outcome.available,
        },
      );
    }
    this.d.log.info('order.placed', {
      outTradeNo: order.outTradeNo,
      totalFen: order.totalFen,
      payableFen: order.payableFen,
      isTestOrder: order.isTestOrder,
    });
    await this.d.metrics.increment('orders.placed');
    await this.dropOrderedLines(openid);
    return toOrderView(order, now);
  }

  /** One order, only for its owner (anyone else gets ORDER.NOT_FOUND: existence is not revealed). */
  async get(openid: string, outTradeNo: string): Promise<OrderView> {
    return toOrderView(await this.owned(openid, outTradeNo), this.d.clock.now());
  }

  /** The shopper's orders, newest first. */
  async listMine(openid: string, limit: number, beforeMs?: number): Promise<OrderView[]> {
    const n = Math.max(1, Math.min(50, Math.floor(limit)));
    const now = this.d.clock.now();
    return (await this.d.orders.listByOpenid(openid, n, beforeMs)).map((o) => toOrderView(o, now));
  }

  /**
   * Cancels an unpaid order. The provider-side order is closed first (a paid one is applied instead and the cancel
   * refused with ORDER.ALREADY_PAID). Within WeChat's 5-minute guard (counted from the prepay) a close is not allowed
   * but a query is: WeChat is asked first, and money it already has is applied (ORDER.ALREADY_PAID); otherwise the
   * local close goes ahead and the WeChat close is queued for the close job — a payment that still lands becomes
   * PAID_AFTER_CLOSE and is refunded.
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
        await this.d.metrics.increment('orders.closed.user');
        return toOrderView(closed, now);
      }
      order = await this.owned(openid, outTradeNo);
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the order is being changed elsewhere, please retry');
  }

  // Inside the close guard only a query can tell: a shopper who paid and tapped cancel is served their order. If the
  // query fails the cancel still goes ahead — the queued close and the PAID_AFTER_CLOSE refund cover a late payment.
  private async paidAtProvider(order: OrderRecord): Promise<boolean> {
    try {
      return hasReceivedPayment((await this.payments.syncOrder(order)).status);
    } catch (e) {
      this.d.log.warn('order.cancel.query_failed', { outTradeNo: order.outTradeNo, error: e });
      return false;
    }
  }

  private owned(openid: string, outTradeNo: string): Promise<OrderRecord> {
    return ownedOrder(this.d.orders, openid, outTradeNo);
  }

  // The order is placed whatever happens here: a cart that keeps the lines is an annoyance, not a loss.
  private async dropOrderedLines(openid: string): Promise<void> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const stored = await this.d.carts.load(openid);
      if (await this.d.carts.save(openid, removeSelected(stored.cart), stored.version)) return;
    }
    this.d.log.warn('cart.cleanup.skipped', { reason: 'concurrent cart changes' });
  }
}
