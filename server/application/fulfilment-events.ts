// WeChat's trade-management pushes applied to orders (docs/adr/0009): a push is a hint, never the truth. The
// settlement push (sent when the buyer confirms, or WeChat confirms automatically, and again at settlement) makes a
// SHIPPED order RECEIVED only after get_order agrees — the same path as the payer's confirmReceipt — and a repeat
// changes nothing. Reminders are logged for staff.
import { isDomainError } from '../domain/errors';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import type { FulfilmentService } from './fulfilment.service';
import type {
  TradeEventSink,
  TradeOrderSettlementEvent,
  TradeRemindAccessApiEvent,
  TradeRemindShippingEvent,
} from './ports/trade-management.port';

export class FulfilmentEventSink implements TradeEventSink {
  constructor(
    private readonly d: Pick<CoreDeps, 'orders' | 'log'>,
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

  onRemindShipping(e: TradeRemindShippingEvent): Promise<void> {
    this.d.log.warn('fulfil.push.remind_shipping', { outTradeNo: e.merchantTradeNo, msg: e.msg });
    return Promise.resolve();
  }

  onRemindAccessApi(e: TradeRemindAccessApiEvent): Promise<void> {
    this.d.log.warn('fulfil.push.remind_access_api', { msg: e.msg });
    return Promise.resolve();
  }
}
