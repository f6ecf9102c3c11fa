// WeChat's trade-management pushes applied to orders (docs/adr/0009): a push is a hint, never the truth. The
// settlement push (sent when the buyer confirms, or WeChat confirms automatically, and again at settlement) makes a
// SHIPPED order RECEIVED only after get_order agrees — the same path as the payer's confirmReceipt — and a repeat
// changes nothing. WeChat's reminders (an order not shipped ~48 h after payment; the shipping API not called) become
// attention records staff see; a later successful upload of that order resolves its reminder.
import { isDomainError } from '../domain/errors';
import { ZERO_FEN } from '../domain/money';
import { raiseAttention } from './attention';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import type { FulfilmentService } from './fulfilment.service';
import { shippingReminderId } from './jobs/shipping-upload.job';
import type {
  TradeEventSink,
  TradeOrderSettlementEvent,
  TradeRemindAccessApiEvent,
  TradeRemindShippingEvent,
} from './ports/trade-management.port';

export class FulfilmentEventSink implements TradeEventSink {
  constructor(
    private readonly d: Pick<CoreDeps, 'orders' | 'log' | 'attention' | 'clock' | 'metrics'>,
    private readonly fulfilment: Pick<FulfilmentService, 'receiveIfConfirmed'>,
  ) {}

  async onOrderSettlement(e: TradeOrderSettlementEvent): Promise<void> {
    const order = await this.d.orders.get(e.merchantTradeNo);
    if (!order || (order.payment !== null && order.payment.transactionId !== e.transactionId)) {
      this.d.log.warn('fulfil.push.unknown_order', { outTradeNo: e.merchantTradeNo });
      return;
    }
    // The first push comes at shipping with the expected settlement only: nothing is confirmed yet.
    if (e.confirmReceiveTimeMs === null && e.settlementTimeMs === null) return;
    try {
      const after = await this.fulfilment.receiveIfConfirmed(order);
      this.d.log.info('fulfil.push.settlement', {
        outTradeNo: order.outTradeNo,
        fulfilment: after.fulfilment?.state ?? null,
      });
    } catch (err) {
      // Not shipped here, or WeChat does not (yet) say confirmed: acknowledged; confirmReceipt or the next push retries.
      if (
        isDomainError(err, AppErrorCodes.FULFIL_NOT_SHIPPED) ||
        isDomainError(err, AppErrorCodes.FULFIL_NOT_CONFIRMED)
      ) {
        this.d.log.warn('fulfil.push.not_applied', { outTradeNo: order.outTradeNo, code: err.code });
        return;
      }
      throw err;
    }
  }

  async onRemindShipping(e: TradeRemindShippingEvent): Promise<void> {
    this.d.log.warn('fulfil.push.remind_shipping', { outTradeNo: e.merchantTradeNo, msg: e.msg });
    const order = await this.d.orders.get(e.merchantTradeNo);
    if (!order || (order.payment !== null && order.payment.transactionId !== e.transactionId)) {
      this.d.log.warn('fulfil.push.unknown_order', { outTradeNo: e.merchantTradeNo });
      return;
    }
    const fulfilment = order.fulfilment?.state ?? 'none';
    const upload = order.shippingUpload?.state ?? 'none';
    await raiseAttention(
      this.d,
      {
        id: shippingReminderId(order.outTradeNo),
        kind: 'shipping-reminded',
        outTradeNo: order.outTradeNo,
        transactionId: e.transactionId,
        outRefundNo: null,
        refundId: null,
        amountFen: order.payment?.paidFen ?? ZERO_FEN,
        wechatState: `fulfilment ${fulfilment}, upload ${upload}`.slice(0, 100),
        notificationId: null,
        note:
          `微信提醒发货：此订单付款后未及时上传发货信息（资金在发货前冻结）。请发货，或检查发货信息上传 · WeChat reminds ` +
          `the shop to ship this order (fulfilment ${fulfilment}, upload ${upload}): ship it or check its upload. ${e.msg}`.slice(
            0,
            400,
          ),
      },
      'warn',
    );
  }

  async onRemindAccessApi(e: TradeRemindAccessApiEvent): Promise<void> {
    this.d.log.warn('fulfil.push.remind_access_api', { msg: e.msg });
    await raiseAttention(
      this.d,
      {
        id: 'shipping-api-reminded',
        kind: 'shipping-api-reminded',
        outTradeNo: '',
        transactionId: null,
        outRefundNo: null,
        refundId: null,
        amountFen: ZERO_FEN,
        wechatState: 'trade_manage_remind_access_api',
        notificationId: null,
        note:
          '微信提醒接入发货信息管理接口：检查 reconcile 定时器是否在上传发货信息、小程序是否已开通发货信息管理 · WeChat ' +
          `reminds the shop to call the shipping API: check the reconcile timer's uploads and 发货信息管理. ${e.msg}`.slice(
            0,
            300,
          ),
      },
      'warn',
    );
  }
}
