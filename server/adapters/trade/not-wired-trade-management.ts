// Stands in for WeChat's 发货信息管理 until the cloud adapter (CloudTradeManagement, wxa.sec.order.* through
// wx-server-sdk's openapi) is wired: every call fails like an unanswered request, so uploads stay queued and back off
// (nothing is recorded as uploaded) and confirmReceipt answers FULFIL.NOT_CONFIRMED.
import type {
  TradeManagement,
  TradeOrderInfo,
  UploadShippingInfoRequest,
} from '../../application/ports/trade-management.port';
import { TradeErrcodes, TradeManagementError } from '../../application/ports/trade-management.port';

export class NotWiredTradeManagement implements TradeManagement {
  isTradeManaged(): Promise<boolean> {
    return Promise.reject(this.error('isTradeManaged'));
  }

  uploadShippingInfo(_request: UploadShippingInfoRequest): Promise<void> {
    return Promise.reject(this.error('uploadShippingInfo'));
  }

  getOrder(): Promise<TradeOrderInfo> {
    return Promise.reject(this.error('getOrder'));
  }

  private error(operation: string): TradeManagementError {
    return new TradeManagementError(TradeErrcodes.NO_ANSWER, 'trade management is not wired', operation);
  }
}
