import { DomainError } from '../domain/errors';
import { stockReservationPlan } from '../domain/stock';
import { hasReceivedPayment, isClosedUnpaid, isPayable, nextOrderState } from '../domain/order-state';
import type { StartPaymentView } from '../../typings/contracts/order';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { paidFulfilmentPatch } from './fulfilment-view';
import { dueAgainAt } from './job-queue';
import type { OrderRecord, PaymentRecord, PrepayRecord, ProviderCloseState } from './order.model';
import type { OrderStore } from './ports/order.port';
import type { PaymentState, PaymentTransaction } from './ports/payment-provider.port';
import { ProviderError } from './ports/payment-provider.errors';
import type { RefundService } from './refund.service';
import { owe } from './subscribe-messages';

/** How often an apply is retried when a concurrent writer changed the order between read and compare-and-set. */
const APPLY_ATTEMPTS = 5;
/** How often pay.start tries to save its prepay against concurrent writers before answering ORDER.BUSY. */
const PREPAY_SAVE_ATTEMPTS = 8;
/** An order this close to expiry is not offered for payment any more (the shopper could not finish in time). */
const MIN_TIME_TO_PAY_MS = 60_000;

/** The result of applying the provider's truth about a payment to our order. */
export type ApplyPaymentOutcome =
  /** The order moved to PAID (or PAID_AFTER_CLOSE, and a full refund was started). */
  | { kind: 'applied'; order: OrderRecord }
  /** We had recorded this very payment already (a duplicate notification or a second query). */
  | { kind: 'duplicate'; order: OrderRecord }
  /** The provider says the order is not paid (NOTPAY, CLOSED, …): nothing to apply. */
  | { kind: 'not-paid'; state: string }
  /** We have no such order. */
  | { kind: 'unknown-order' }
  /** The payment does not match our order (merchant, app, amount, or another transaction): nothing written. */
  | { kind: 'mismatch'; reason: string };

/** Why a genuine-looking payment does not belong to `order`, or null when it matches in every field we check. */
export function paymentMismatch(order: OrderRecord, tx: PaymentTransaction, d: CoreDeps): string | null {
  const m = d.policy.merchant;
  if (tx.outTradeNo !== order.outTradeNo) return 'out_trade_no differs';
  if (tx.appid !== m.appid) return 'appid differs from the configured app';
  if (tx.mchid !== m.mchid) return 'mchid differs from the configured merchant';
  if (m.subMchid !== undefined && tx.subMchid !== m.subMchid)
    return 'sub_mchid differs from the configured sub-merchant';
  if (tx.chargedFen !== order.payableFen) {
    return `amount ${tx.chargedFen} fen differs from the order's ${order.payableFen} fen`;
  }
  return null;
}

/** Starting payment, learning the truth about it, and applying that truth exactly once. */
export class PaymentService {
  constructor(
    private readonly d: CoreDeps,
    private readonly refunds: Pick<RefundService, 'refundInFull'>,
  ) {}

  /**
   * Creates (or reuses, while valid) the provider's prepay for the shopper's own unpaid order and returns the exact
   * wx.requestPayment parameters. The amount is the stored payableFen; nothing from the client is used but the id.
   */
  async start(openid: string, outTradeNo: string): Promise<StartPaymentView> {
    return this.startFor(await this.owned(openid, outTradeNo));
  }

  /** {@link start} for an order the caller has just read or written as its owner (checkout: no second read). */
  async startFor(first: OrderRecord): Promise<StartPaymentView> {
    let order = first;
    const { openid, outTradeNo } = order;
    const now = this.d.clock.now();
    if (!isPayable(order.status)) {
      throw new DomainError(AppErrorCodes.ORDER_NOT_PAYABLE, `an order in ${order.status} cannot be paid`, {
        status: order.status,
      });
    }
    // A Native / H5 order is paid by its URL, never by wx.requestPayment (docs/adr/0012).
    if ((order.channel ?? 'jsapi') !== 'jsapi') {
      throw new DomainError(
        AppErrorCodes.ORDER_NOT_PAYABLE,
        'this order is paid by its QR code or web link',
        {
          status: order.status,
          channel: order.channel ?? 'jsapi',
        },
      );
    }
    if (order.expiresAtMs - now < MIN_TIME_TO_PAY_MS) {
      throw new DomainError(AppErrorCodes.ORDER_EXPIRED, 'the payment window of this order has passed');
    }
    const view = (o: OrderRecord, p: PrepayRecord): StartPaymentView => ({
      outTradeNo: o.outTradeNo,
      payableFen: o.payableFen,
      requestPayment: p.requestPayment,
      simulated: o.simulated,
    });
    if (
      order.prepay &&
      'requestPayment' in order.prepay &&
      order.prepay.expiresAtMs - now > this.d.policy.prepayReuseMarginMs
    ) {
      return view(order, order.prepay);
    }
    let created: Awaited<ReturnType<CoreDeps['provider']['createJsapiPayment']>>;
    try {
      created = await this.d.provider.createJsapiPayment({
        outTradeNo: order.outTradeNo,
        description: order.description,
        payableFen: order.payableFen,
        payerOpenid: order.openid,
        expiresAtMs: order.expiresAtMs,
      });
    } catch (e) {
      this.d.log.error('payment.create_failed', { outTradeNo, error: e });
      await this.d.metrics.increment('payments.create_failed');
      throw e;
    }
    const prepay = {
      prepayId: created.prepayId,
      expiresAtMs: created.prepayExpiresAtMs,
      requestPayment: created.requestPayment,
      createdAtMs: now,
    };
    this.d.log.info('payment.created', {
      outTradeNo,
      payableFen: order.payableFen,
      providerId: this.d.provider.id,
    });
    // The parameters leave only once the prepay is saved: close and cancel decide from the stored prepay whether
    // WeChat has an order to close, so a payable prepay we do not know of must never reach a shopper.
    for (let attempt = 0; attempt < PREPAY_SAVE_ATTEMPTS; attempt++) {
      if (isPayable(order.status)) {
        const saved = await this.d.orders.update(order, { prepay, updatedAtMs: now });
        if (saved) return view(saved, prepay);
      } else {
        // Closed while WeChat created the prepay: keep it on the order and leave WeChat's close to the close job.
        const record = isClosedUnpaid(order.status) && order.prepay === null;
        const providerClose = order.providerClose === 'not-needed' ? 'pending' : order.providerClose;
        const closeJob = dueAgainAt(order.closeJob, prepay.createdAtMs + this.d.policy.closeGuardMs);
        const saved = record
          ? await this.d.orders.update(order, { prepay, providerClose, closeJob, updatedAtMs: now })
          : order;
        if (saved) {
          throw new DomainError(
            AppErrorCodes.ORDER_NOT_PAYABLE,
            `an order in ${order.status} cannot be paid`,
            {
              status: order.status,
            },
          );
        }
      }
      order = await this.owned(openid, outTradeNo);
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the order kept changing while the payment was started');
  }

  /**
   * Asks the provider for the truth about the shopper's order and applies it (the status page calls this when no
   * notification has arrived yet: the wx.requestPayment result is only a hint).
   */
  async sync(openid: string, outTradeNo: string): Promise<OrderRecord> {
    const order = await this.owned(openid, outTradeNo);
    return this.syncOrder(order);
  }

  /** Queries the provider about `order` unless it is settled already, applies a payment, returns the fresh order. */
  async syncOrder(order: OrderRecord): Promise<OrderRecord> {
    return (await this.queryOrder(order)).order;
  }

  /**
   * {@link syncOrder}, also telling what WeChat said: its trade_state, NOT_FOUND (it has no such order) or null (not
   * asked: the order is settled here or has no prepay).
   */
  async queryOrder(
    order: OrderRecord,
  ): Promise<{ order: OrderRecord; state: PaymentState | 'NOT_FOUND' | null }> {
    if (hasReceivedPayment(order.status) || order.prepay === null) return { order, state: null };
    const q = await this.d.provider.queryPayment(order.outTradeNo);
    if (q.kind === 'found') {
      // The order as the caller read it: a stale copy only costs a lost compare-and-set and a re-read.
      const outcome = await this.applyPayment(q.transaction, 'query', order);
      if (outcome.kind === 'applied' || outcome.kind === 'duplicate')
        return { order: outcome.order, state: q.transaction.state };
    }
    const state = q.kind === 'found' ? q.transaction.state : 'NOT_FOUND';
    return { order: (await this.d.orders.get(order.outTradeNo)) ?? order, state };
  }

  /**
   * The demo provider's payer pays the shopper's order; the payment is applied through the same path as a verified
   * notification. Refused with PAYMENT.NOT_SIMULATED unless the demo provider is configured.
   */
  async simulatePay(openid: string, outTradeNo: string): Promise<OrderRecord> {
    const payer = this.d.simulatedPayer;
    if (!payer)
      throw new DomainError(AppErrorCodes.NOT_SIMULATED, 'payments are real here: use wx.requestPayment');
    const order = await this.owned(openid, outTradeNo);
    if (order.prepay === null)
      throw new DomainError(AppErrorCodes.ORDER_NOT_PAYABLE, 'start the payment first');
    const tx = await payer.simulatePayment(order.outTradeNo);
    await this.applyPayment(tx, 'demo');
    // Read back: applying may have gone further (an automatic refund of a tester order).
    return (await this.d.orders.get(outTradeNo)) ?? order;
  }

  /**
   * Applies the provider's (verified) truth about a payment: AWAITING_PAYMENT → PAID, a closed order → PAID_AFTER_CLOSE
   * with an automatic full refund; a repeat of the recorded payment is a duplicate; anything that does not match the
   * stored order (app, merchant, amount) — or a transaction_id that already paid another order — is refused with
   * nothing written. `loaded` is the order as the caller just read it (saves a read); null/undefined reads it here.
   * Costs one read (unless `loaded`) and one compare-and-set write; a duplicate costs no write.
   */
  async applyPayment(
    tx: PaymentTransaction,
    source: PaymentRecord['source'],
    loaded?: OrderRecord | null,
  ): Promise<ApplyPaymentOutcome> {
    if (tx.state !== 'SUCCESS' && tx.state !== 'REFUND') return { kind: 'not-paid', state: tx.state };
    let order =
      loaded && loaded.outTradeNo === tx.outTradeNo ? loaded : await this.d.orders.get(tx.outTradeNo);
    if (!order) {
      this.d.log.warn('payment.unknown_order', { outTradeNo: tx.outTradeNo, source });
      return { kind: 'unknown-order' };
    }
    const mismatch = paymentMismatch(order, tx, this.d);
    if (mismatch) {
      this.d.log.error('payment.mismatch', { outTradeNo: tx.outTradeNo, source, reason: mismatch });
      await this.d.metrics.increment('payments.mismatch');
      return { kind: 'mismatch', reason: mismatch };
    }
    if (!tx.transactionId) return { kind: 'mismatch', reason: 'a paid transaction without transaction_id' };
    for (let attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
      if (hasReceivedPayment(order.status)) {
        if (order.payment?.transactionId === tx.transactionId) return { kind: 'duplicate', order };
        this.d.log.error('payment.second_transaction', { outTradeNo: order.outTradeNo, source });
        return { kind: 'mismatch', reason: 'the order was already paid by another transaction' };
      }
      const next = nextOrderState(order.status, 'PAYMENT_SUCCEEDED');
      if (next === undefined)
        return { kind: 'mismatch', reason: `an order in ${order.status} cannot take a payment` };
      const now = this.d.clock.now();
      const payment: PaymentRecord = {
        transactionId: tx.transactionId,
        paidFen: tx.chargedFen,
        successTimeMs: tx.successTimeMs ?? now,
        source,
        appliedAtMs: now,
      };
      // Counters of payments are derived from the orders (docs/API.md, "Counters"), so this one write is the payment.
      // It also owes the "paid" message (docs/adr/0010): the message job sends it later, never this path.
      const owesPaid = next === 'PAID' && this.d.messages?.settings.templates.paid !== undefined;
      const updated = await this.d.orders.recordPayment(order, {
        status: next,
        payment,
        updatedAtMs: now,
        ...paidFulfilmentPatch(order, next, now, this.d.policy.fulfilment.autoCompleteMs),
        ...(owesPaid ? owe(order, 'paid', now) : {}),
      });
      if (updated === 'transaction-taken') {
        this.d.log.error('payment.transaction_reused', {
          outTradeNo: order.outTradeNo,
          transactionId: tx.transactionId,
          source,
        });
        await this.d.metrics.increment('payments.transaction_reused');
        return { kind: 'mismatch', reason: 'the transaction_id already paid another order' };
      }
      if (updated) {
        this.d.log.info('payment.applied', { outTradeNo: order.outTradeNo, status: next, source });
        await this.afterPaid(updated);
        return { kind: 'applied', order: updated };
      }
      const reread = await this.d.orders.get(order.outTradeNo);
      if (!reread) return { kind: 'unknown-order' };
      order = reread;
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the order kept changing while the payment was applied');
  }

  /**
   * Closes the provider-side order before (or after) a local close. 'paid' means the provider refused because the order
   * is paid, and that payment has now been applied; 'pending' means WeChat's 5-minute guard, counted from the prepay,
   * has not passed yet. A refusal for an order WeChat still reports unpaid throws (retryable): close again later.
   */
  async closeAtProvider(order: OrderRecord): Promise<ProviderCloseState | 'paid'> {
    if (order.prepay === null) return 'not-needed';
    if (this.d.clock.now() < closeAllowedAtMs(order, this.d.policy.closeGuardMs)) return 'pending';
    const closed = await this.d.provider.closePayment(order.outTradeNo);
    if (closed.outcome === 'closed') return 'closed';
    const q = await this.d.provider.queryPayment(order.outTradeNo);
    if (q.kind === 'found') {
      const outcome = await this.applyPayment(q.transaction, 'query', order);
      if (outcome.kind === 'applied' || outcome.kind === 'duplicate') return 'paid';
    }
    throw new ProviderError(
      'CLOSE_REFUSED',
      `WeChat refused to close ${order.outTradeNo} but reports no payment for it (${q.kind === 'found' ? q.transaction.state : 'not found'}): close again later`,
      'retry',
      { operation: 'closePayment' },
    );
  }

  // Money that arrived for a closed order is not a sale; a tester's 1-fen order may be returned automatically.
  private async afterPaid(order: OrderRecord): Promise<void> {
    try {
      if (order.status === 'PAID_AFTER_CLOSE') await this.refunds.refundInFull(order, 'auto-refund');
      else if (order.isTestOrder && this.d.policy.testerAutoRefund) await this.settleTesterOrder(order);
    } catch (e) {
      // The payment stays applied; the reconcile job finds the order again (PAID_AFTER_CLOSE, or a PAID tester order
      // under auto-refund) and finishes what is missing.
      this.d.log.error('refund.auto.failed', { outTradeNo: order.outTradeNo, error: e });
    }
  }

  /**
   * A paid tester order under SHOP_TESTER_AUTO_REFUND is void: its stock goes back — exactly once, by the same
   * compare-and-set that marks the order stockReleased — and then its full refund is requested (idempotent per order).
   * The payment path runs it, and the reconcile job runs it again for any PAID tester order, so one that failed before
   * its refund was recorded is retried.
   */
  async settleTesterOrder(order: OrderRecord): Promise<void> {
    let current: OrderRecord | null = order;
    for (let attempt = 0; attempt < APPLY_ATTEMPTS && current && !current.stockReleased; attempt++) {
      const released = await this.d.orders.updateAndReleaseStock(
        current,
        { updatedAtMs: this.d.clock.now() },
        stockReservationPlan(current.lines),
      );
      if (released) {
        this.d.log.info('order.tester_stock_released', { outTradeNo: current.outTradeNo });
        current = released;
        break;
      }
      current = await this.d.orders.get(order.outTradeNo);
    }
    if (!current || !current.stockReleased) {
      throw new DomainError(
        AppErrorCodes.ORDER_BUSY,
        'the tester order kept changing while its stock was returned',
      );
    }
    if (current.status !== 'PAID') return;
    await this.refunds.refundInFull(current, 'tester-refund');
  }

  private owned(openid: string, outTradeNo: string): Promise<OrderRecord> {
    return ownedOrder(this.d.orders, openid, outTradeNo);
  }
}

/**
 * When WeChat lets us close the order: 5 minutes (closeGuardMs) after the WeChat order was created, i.e. after our
 * prepay — not after our order, which may have waited long before the shopper tapped "pay". The stored prepay is the
 * latest one; an earlier one for the same out_trade_no only makes this later, which is the safe side.
 */
export function closeAllowedAtMs(order: OrderRecord, closeGuardMs: number): number {
  return (order.prepay?.createdAtMs ?? order.createdAtMs) + closeGuardMs;
}

/** The shopper's own order; anyone else's (or none) is ORDER.NOT_FOUND, so existence is never revealed. */
export async function ownedOrder(
  orders: OrderStore,
  openid: string,
  outTradeNo: string,
): Promise<OrderRecord> {
  const order = await orders.get(outTradeNo);
  if (!order || order.openid !== openid)
    throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such order');
  return order;
}
