// Tests only: WeChat's 发货信息管理 in memory, following the rules the port describes — a payment must be known
// (10060001), the payer must match (10060031), one change after the first upload (10060003), no shipping once the
// buyer confirmed or the payment was refunded (10060004), required fields per logistics type, and upload_time strictly
// later than the previous upload's. Every accepted request is kept for the test to read.
import type {
  TradeManagement,
  TradeOrderInfo,
  TradeOrderKey,
  TradeOrderState,
  UploadShippingInfoRequest,
} from './trade-management.port';
import { TradeErrcodes, TradeManagementError } from './trade-management.port';

/** WeChat's generic "invalid data" code, for a request whose fields break the rules. */
export const INVALID_DATA = 47001;

interface Payment {
  transactionId: string;
  mchid: string;
  outTradeNo: string;
  payerOpenid: string;
  orderState: TradeOrderState;
  uploads: UploadShippingInfoRequest[];
}

export class InMemoryTradeManagement implements TradeManagement {
  managed = true;
  /** Calls of isTradeManaged (the job caches it). */
  managedAsked = 0;
  readonly accepted: UploadShippingInfoRequest[] = [];
  private readonly payments: Payment[] = [];
  private readonly failures: number[] = [];

  /** WeChat learns of a payment (as after a successful JSAPI payment). */
  addPayment(p: { transactionId: string; mchid: string; outTradeNo: string; payerOpenid: string }): void {
    this.payments.push({ ...p, orderState: 1, uploads: [] });
  }

  /** The buyer confirms receipt in WeChat (order_state 3). */
  confirm(transactionId: string, state: TradeOrderState = 3): void {
    const p = this.payments.find((x) => x.transactionId === transactionId);
    if (p) p.orderState = state;
  }

  /** The next calls fail with these errcodes, in order. */
  failNext(...errcodes: number[]): void {
    this.failures.push(...errcodes);
  }

  isTradeManaged(): Promise<boolean> {
    this.managedAsked++;
    return Promise.resolve(this.managed);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async: a refusal is a rejected promise, as over the wire
  async uploadShippingInfo(request: UploadShippingInfoRequest): Promise<void> {
    {
      this.injected('uploadShippingInfo');
      const p = this.find(request.order_key, 'uploadShippingInfo');
      if (request.payer.openid !== p.payerOpenid)
        this.fail(TradeErrcodes.NOT_PAYER, 'not the payer', 'upload');
      if (p.orderState >= 3) this.fail(TradeErrcodes.NOT_SHIPPABLE, 'the payment refuses shipping', 'upload');
      if (p.uploads.length >= 2) this.fail(TradeErrcodes.REUPLOAD_USED_UP, 're-upload used up', 'upload');
      this.checkFields(request);
      const last = p.uploads[p.uploads.length - 1];
      if (last && Date.parse(request.upload_time) <= Date.parse(last.upload_time))
        this.fail(INVALID_DATA, 'upload_time must be later than the previous upload', 'upload');
      p.uploads.push(request);
      p.orderState = 2;
      this.accepted.push(request);
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- as above
  async getOrder(key: TradeOrderKey): Promise<TradeOrderInfo> {
    this.injected('getOrder');
    const p = this.find(key, 'getOrder');
    return {
      orderState: p.orderState,
      transactionId: p.transactionId,
      uploadCount: p.uploads.length,
      payerOpenid: p.payerOpenid,
    };
  }

  private injected(operation: string): void {
    const code = this.failures.shift();
    if (code !== undefined) this.fail(code, 'injected failure', operation);
  }

  private find(key: TradeOrderKey, operation: string): Payment {
    const p = this.payments.find((x) =>
      key.order_number_type === 2
        ? x.transactionId === key.transaction_id
        : x.mchid === key.mchid && x.outTradeNo === key.out_trade_no,
    );
    if (!p) this.fail(TradeErrcodes.ORDER_NOT_FOUND, 'order not found', operation);
    return p;
  }

  private checkFields(r: UploadShippingInfoRequest): void {
    const list = r.shipping_list;
    if (list.length < 1 || list.length > 15) this.fail(INVALID_DATA, 'shipping_list 1–15', 'upload');
    if (r.delivery_mode === 1 && list.length !== 1) this.fail(INVALID_DATA, 'unified: one entry', 'upload');
    if (r.delivery_mode === 2 && (r.logistics_type !== 1 || r.is_all_delivered === undefined))
      this.fail(INVALID_DATA, 'split: express with is_all_delivered', 'upload');
    for (const e of list) {
      if (e.item_desc.length === 0 || [...e.item_desc].length > 120)
        this.fail(INVALID_DATA, 'item_desc 1–120', 'upload');
      if (r.logistics_type === 1 && (!e.tracking_no || !e.express_company))
        this.fail(INVALID_DATA, 'express needs tracking_no and express_company', 'upload');
      if (e.express_company === 'SF' && !e.contact?.receiver_contact)
        this.fail(INVALID_DATA, 'SF needs contact.receiver_contact', 'upload');
    }
  }

  private fail(errcode: number, errmsg: string, operation: string): never {
    throw new TradeManagementError(errcode, errmsg, operation);
  }
}
