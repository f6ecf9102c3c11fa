// Native (QR at the counter) and H5 (web checkout) orders (docs/adr/0012): the same orders collection, state machine,
// stock holds, close and sync queues and notification path as mini program orders; only who creates them and how the
// payer reaches WeChat differ.
import { assertDeliveryAllowed, parseDelivery, type DeliverySnapshot } from '../domain/delivery';
import { DomainError } from '../domain/errors';
import { isClosedUnpaid, isPayable } from '../domain/order-state';
import { priceOrder } from '../domain/pricing';
import type { OrderLineRequest } from '../domain/pricing';
import { stockReservationPlan } from '../domain/stock';
import type { ChannelOrderView, PayChannel } from '../../typings/contracts/channel';
import { outOfStock, reserveStock, twinsOrder, writePlacedOrder } from './stock-holds';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { dueAgainAt } from './job-queue';
import { newOrderRecord } from './new-order';
import type { OrderRecord, PayUrlRecord } from './order.model';
import { toOrderView } from './order-view';
import type { PaymentService } from './payment.service';
import type { CheckoutService } from './checkout.service';
import { ProviderError } from './ports/payment-provider.errors';

/** Stable codes of this use case (besides the order and pricing ones). */
export const ChannelErrorCodes = {
  /** createH5 / getH5 were called some other way than the function's HTTP access. */
  HTTP_ONLY: 'CHANNEL.HTTP_ONLY',
  /** The HTTP request carried no usable client IP from the platform: WeChat needs it for H5 (scene_info). */
  CLIENT_IP_UNKNOWN: 'CHANNEL.CLIENT_IP_UNKNOWN',
  /** Too many unpaid web checkout orders at once, from this address or in all (SHOP_H5_MAX_UNPAID*): try later. */
  TOO_MANY_UNPAID: 'CHANNEL.TOO_MANY_UNPAID',
} as const;

/** The owner of every H5 order: a web checkout has no OPENID. Contains a colon, which no OPENID does. */
export const H5_OWNER = 'h5:web';

/** The owner of a counter order: the channel and the staff member who created it (never equal to any OPENID). */
export function nativeOwner(staffOpenid: string): string {
  return `native:${staffOpenid}`;
}

/** WeChat's code_url and h5_url work for 2 hours (like a prepay_id); within this margin a fresh one is asked for. */
export const PAY_URL_LIFETIME_MS = 2 * 3_600_000;
const PAY_URL_REUSE_MARGIN_MS = 5 * 60_000;
/** An order this close to expiry gets no (new) pay URL: the payer could not finish in time. */
const MIN_TIME_TO_PAY_MS = 60_000;
const PLACE_ATTEMPTS = 3;
const SAVE_ATTEMPTS = 8;
/** How long a create whose twin (same key) holds the stock waits for that twin's order (as checkout does). */

/** How the provider order is created for the channel (the H5 one carries the payer's IP from the HTTP request). */
type CreateAtProvider =
  { channel: 'native' } | { channel: 'h5'; payerClientIp: string; h5Type?: 'Wap' | 'iOS' | 'Android' };

/** True when `a` equals `b`, comparing every character (no early exit on the first difference). */
function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Counter (Native) and web checkout (H5) orders: created from catalog SKUs, priced by the server only. */
export class ChannelOrderService {
  /**
   * `payUrls`: the configured provider creates Native and H5 orders (WeChat Pay APIv3; cloudPay and the demo provider
   * pay inside the mini program only). Without it every create is refused before any stock is held.
   */
  constructor(
    private readonly d: CoreDeps,
    private readonly payments: Pick<PaymentService, 'syncOrder'>,
    private readonly options: { payUrls: boolean },
    private readonly checkout?: Pick<CheckoutService, 'cancel'>,
  ) {}

  private assertPayUrls(operation: string): void {
    if (!this.options.payUrls)
      throw new ProviderError(
        'UNSUPPORTED',
        `${this.d.provider.id} takes mini program payments only: Native and H5 orders need WeChat Pay APIv3`,
        'fatal',
        { operation },
      );
  }

  /**
   * Staff create a counter order: priced from the catalog (only skuId and quantity of each line are read), stock held
   * as at checkout, the WeChat Native order created, its code_url answered once saved. Idempotent per (staff member,
   * clientRequestKey): a repeat answers the same order (and a fresh code_url when the old one is about to lapse).
   */
  async createNative(
    staffOpenid: string,
    clientRequestKey: string,
    lines: readonly OrderLineRequest[],
  ): Promise<ChannelOrderView> {
    this.assertPayUrls('createNativePayment');
    const order = await this.placeOrFind(
      nativeOwner(staffOpenid),
      clientRequestKey,
      lines,
      'native',
      staffOpenid,
    );
    return this.withPayUrl(order, { channel: 'native' });
  }

  /**
   * A web checkout's order, paid in the browser (H5). `payerClientIp` is the HTTP request's address as the platform
   * reported it — never a field of the request. The key is the browser's secret for the order (getH5 needs it).
   */
  async createH5(
    clientRequestKey: string,
    lines: readonly OrderLineRequest[],
    payerClientIp: string,
    h5Type?: 'Wap' | 'iOS' | 'Android',
    requested?: { delivery: unknown; remark: unknown },
  ): Promise<ChannelOrderView> {
    this.assertPayUrls('createH5Payment');
    // The web page's address form, as checkout's (docs/adr/0009): refused field by field before any stock is held.
    const delivery =
      requested === undefined
        ? null
        : parseDelivery(requested.delivery, requested.remark, this.d.policy.fulfilment.pickupPoint);
    const order = await this.placeOrFind(
      H5_OWNER,
      clientRequestKey,
      lines,
      'h5',
      undefined,
      delivery,
      payerClientIp,
    );
    return this.withPayUrl(order, { channel: 'h5', payerClientIp, ...(h5Type ? { h5Type } : {}) });
  }

  /**
   * A new web order only while fewer than the configured number await payment, from this address and in all
   * (docs/adr/0012): a web checkout has no identity, so this bounds the stock a script can hold and the WeChat calls
   * it causes. Checked before any stock is held; a repeat of an existing key never gets here. Concurrent creates may
   * pass together, so a limit can be exceeded by as many as arrive at once: it bounds abuse, it is not a quota.
   */
  private async admitWebOrder(payerClientIp: string): Promise<void> {
    const limits = this.d.policy.webCheckout;
    if (limits === undefined) return;
    // Unpaid orders created within an order's lifetime are the ones that still hold stock and a pay URL.
    const since = this.d.clock.now() - this.d.policy.orderTtlMs;
    const tooMany = (where: string, limit: number) =>
      new DomainError(
        ChannelErrorCodes.TOO_MANY_UNPAID,
        `${limit} unpaid web orders ${where} already await payment: pay or let one expire, then try again`,
        { limit },
      );
    const perIp = limits.maxUnpaidPerIp;
    if (perIp !== null && (await this.d.orders.countAwaitingFrom(payerClientIp, since)) >= perIp)
      throw tooMany('from this address', perIp);
    const shop = limits.maxUnpaid;
    if (shop !== null && (await this.d.orders.countAwaiting(H5_OWNER, since)) >= shop)
      throw tooMany('in this shop', shop);
  }

  /** A counter order for staff, after asking WeChat about it (a payment it reports is applied). */
  async getNative(outTradeNo: string): Promise<ChannelOrderView> {
    const order = await this.d.orders.get(outTradeNo);
    if (!order || order.channel !== 'native') throw notFound();
    return this.view(await this.payments.syncOrder(order));
  }

  /**
   * Staff cancel an unpaid counter order (the customer walked away): the shopper's cancel, with the order's own owner
   * key — WeChat asked or closed first, a payment it has applied instead (ORDER.ALREADY_PAID), the stock given back
   * exactly once. Any staff member may cancel any counter order.
   */
  async cancelNative(outTradeNo: string): Promise<ChannelOrderView> {
    const order = await this.d.orders.get(outTradeNo);
    if (!order || order.channel !== 'native' || !this.checkout) throw notFound();
    await this.checkout.cancel(order.openid, outTradeNo);
    return this.view((await this.d.orders.get(outTradeNo)) ?? order);
  }

  /** A web checkout's order for whoever holds the key that created it (anyone else: ORDER.NOT_FOUND). */
  async getH5(outTradeNo: string, clientRequestKey: string): Promise<ChannelOrderView> {
    const order = await this.d.orders.get(outTradeNo);
    if (!order || order.channel !== 'h5' || !sameSecret(order.clientRequestKey, clientRequestKey))
      throw notFound();
    return this.view(await this.payments.syncOrder(order));
  }

  private async placeOrFind(
    owner: string,
    clientRequestKey: string,
    lines: readonly OrderLineRequest[],
    channel: PayChannel,
    createdBy?: string,
    delivery: DeliverySnapshot | null = null,
    /** H5: the payer's address, kept on the order and checked against the web checkout's limits first. */
    payerClientIp?: string,
  ): Promise<OrderRecord> {
    const first = await this.d.orders.findByClientKey(owner, clientRequestKey);
    if (first) return first;
    if (payerClientIp !== undefined) await this.admitWebOrder(payerClientIp);
    for (let attempt = 0; attempt < PLACE_ATTEMPTS; attempt++) {
      const catalog = await this.d.catalog.loadCatalog();
      // No tester price: there is no shopper identity to be a tester.
      const priced = priceOrder(catalog, lines, {});
      if (delivery !== null)
        assertDeliveryAllowed(
          catalog,
          priced.lines.map((l) => l.productId),
          delivery.kind,
        );
      const now = this.d.clock.now();
      const order = newOrderRecord(this.d, now, {
        openid: owner,
        channel,
        createdBy,
        ...(payerClientIp === undefined ? {} : { payerClientIp }),
        clientRequestKey,
        priced,
        isTestOrder: false,
        // A counter sale is handed over at the counter; a web order keeps the address its page sent, if any
        // (docs/adr/0012).
        delivery,
      });
      const plan = stockReservationPlan(priced.lines);
      const reserved = await reserveStock(this.d, order, plan, catalog);
      if (reserved.kind === 'stale') continue;
      if (reserved.kind === 'short') {
        // A concurrent twin (same key) may hold the stock: its order is the answer once it is written.
        const twin = await twinsOrder(this.d, owner, clientRequestKey, reserved.twinInFlight);
        if (twin) return twin;
        throw outOfStock(reserved);
      }
      const written = await writePlacedOrder(this.d, order, plan, now);
      if (written.kind === 'twin') return written.first;
      this.d.log.info('order.placed', {
        outTradeNo: order.outTradeNo,
        channel,
        totalFen: order.totalFen,
        payableFen: order.payableFen,
      });
      return order;
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the catalog kept changing, please retry');
  }

  /**
   * The order with a pay URL that still works: the stored one, or one created at WeChat now (same out_trade_no, same
   * fields: WeChat answers the order it has). The URL leaves only once saved on the order (as pay.start does), so the
   * close job always knows WeChat has an order to close.
   */
  private async withPayUrl(first: OrderRecord, how: CreateAtProvider): Promise<ChannelOrderView> {
    let order = first;
    const now = this.d.clock.now();
    if (!isPayable(order.status) || order.expiresAtMs - now < MIN_TIME_TO_PAY_MS) return this.view(order);
    const stored = order.prepay;
    // Reused while it works for the rest of the order's life, or for a while yet.
    const reusable =
      stored !== null &&
      'payUrl' in stored &&
      (stored.expiresAtMs >= order.expiresAtMs || stored.expiresAtMs - now > PAY_URL_REUSE_MARGIN_MS);
    if (reusable) return this.view(order);
    const base = {
      outTradeNo: order.outTradeNo,
      description: order.description,
      payableFen: order.payableFen,
      expiresAtMs: order.expiresAtMs,
    };
    let payUrl: string;
    try {
      payUrl =
        how.channel === 'native'
          ? (await this.d.provider.createNativePayment(base)).codeUrl
          : (
              await this.d.provider.createH5Payment({
                ...base,
                payerClientIp: how.payerClientIp,
                ...(how.h5Type ? { h5Type: how.h5Type } : {}),
              })
            ).h5Url;
    } catch (e) {
      this.d.log.error('payment.create_failed', {
        outTradeNo: order.outTradeNo,
        channel: how.channel,
        error: e,
      });
      await this.d.metrics.increment('payments.create_failed');
      throw e;
    }
    const prepay: PayUrlRecord = {
      channel: how.channel,
      payUrl,
      expiresAtMs: Math.min(now + PAY_URL_LIFETIME_MS, order.expiresAtMs),
      createdAtMs: now,
    };
    this.d.log.info('payment.created', { outTradeNo: order.outTradeNo, channel: how.channel });
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      if (isPayable(order.status)) {
        const saved = await this.d.orders.update(order, { prepay, updatedAtMs: now });
        if (saved) return this.view(saved);
      } else {
        // Closed while WeChat created the order: keep it on the order, leave WeChat's close to the close job.
        if (isClosedUnpaid(order.status) && order.prepay === null) {
          const providerClose = order.providerClose === 'not-needed' ? 'pending' : order.providerClose;
          const closeJob = dueAgainAt(order.closeJob, now + this.d.policy.closeGuardMs);
          const saved = await this.d.orders.update(order, {
            prepay,
            providerClose,
            closeJob,
            updatedAtMs: now,
          });
          if (saved) return this.view(saved);
        } else {
          return this.view(order);
        }
      }
      order = (await this.d.orders.get(order.outTradeNo)) ?? order;
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the order kept changing while its payment was created');
  }

  private view(order: OrderRecord): ChannelOrderView {
    const now = this.d.clock.now();
    const p = order.prepay;
    const usable =
      p !== null &&
      'payUrl' in p &&
      isPayable(order.status) &&
      order.expiresAtMs > now &&
      p.expiresAtMs > now;
    return {
      channel: order.channel === 'h5' ? 'h5' : 'native',
      order: toOrderView(order, now),
      payUrl: usable ? p.payUrl : null,
      payUrlExpiresAtMs: usable ? p.expiresAtMs : null,
    };
  }
}

function notFound(): DomainError {
  return new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such order');
}
