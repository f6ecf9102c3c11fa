// The demo provider ("模拟支付"): for a real cloud environment that has no merchant account yet. No money moves; the
// payer is simulated by the `pay.demoPay` action, and the payment is applied through the same apply path as a
// verified WeChat notification. Enabled only by PAY_PROVIDER=demo with APP_ENV=development; every order it touches is
// marked simulated (docs/adr/0004).
import type * as Port from '../../../application/ports/payment-provider.port';
import {
  NotificationRejectedError,
  ProviderError,
  ProviderErrorCodes,
} from '../../../application/ports/payment-provider.errors';
import { fen } from '../../../domain/money';
import type { CloudDb } from '../../db/cloud-db';
import { isDuplicateKeyError } from '../../db/cloud-db';

/** The identity demo payments claim (checked like a real merchant's by the payment core). */
export const DEMO_MERCHANT = { appid: 'wxdemo0000000000', mchid: '0000000000' } as const;
const PAYMENTS = 'demo_payments';
const REFUNDS = 'demo_refunds';
const PREPAY_TTL_MS = 2 * 3600_000;

interface DemoPaymentDoc {
  _id: string;
  state: 'NOTPAY' | 'SUCCESS' | 'CLOSED';
  amountFen: number;
  payerOpenid: string;
  transactionId: string | null;
  successTimeMs: number | null;
  createdAtMs: number;
}

/**
 * A demo refund as stored in demo_refunds: the port's Refund, but with the paid amount under the name it was first
 * stored with (`totalFen`), so refunds written before the port's rename still read back without a migration.
 */
type DemoRefundDoc = Omit<Port.Refund, 'paidFen'> & { _id: string; totalFen: number };

/** The simulated provider; its state lives in the demo_payments and demo_refunds collections. */
export class DemoPaymentProvider implements Port.PaymentProvider {
  readonly id = 'demo';

  constructor(
    private readonly db: CloudDb,
    private readonly now: () => number,
    private readonly randomId: () => string,
  ) {}

  async createJsapiPayment(input: Port.CreateJsapiPaymentInput): Promise<Port.JsapiPayment> {
    const now = this.now();
    const doc: DemoPaymentDoc = {
      _id: input.outTradeNo,
      state: 'NOTPAY',
      amountFen: input.payableFen,
      payerOpenid: input.payerOpenid,
      transactionId: null,
      successTimeMs: null,
      createdAtMs: now,
    };
    try {
      await this.db.collection(PAYMENTS).add({ data: { ...doc } });
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      const existing = await this.read(input.outTradeNo);
      if (existing?.amountFen !== input.payableFen) {
        throw new ProviderError(
          'OUT_TRADE_NO_USED',
          'the order number was used with other parameters',
          'fatal',
        );
      }
    }
    const timeStamp = String(Math.floor(now / 1000));
    return {
      prepayId: `demo_${input.outTradeNo}`,
      prepayExpiresAtMs: now + PREPAY_TTL_MS,
      requestPayment: {
        timeStamp,
        nonceStr: this.randomId(),
        package: `prepay_id=demo_${input.outTradeNo}`,
        signType: 'RSA',
        paySign: 'DEMO-NOT-SIGNED',
      },
    };
  }

  createNativePayment(_input: Port.CreateNativePaymentInput): Promise<Port.NativePayment> {
    return Promise.reject(unsupported('createNativePayment'));
  }

  createH5Payment(_input: Port.CreateH5PaymentInput): Promise<Port.H5Payment> {
    return Promise.reject(unsupported('createH5Payment'));
  }

  async queryPayment(outTradeNo: string): Promise<Port.PaymentQueryResult> {
    const doc = await this.read(outTradeNo);
    return doc ? { kind: 'found', transaction: toTransaction(doc) } : { kind: 'not-found', outTradeNo };
  }

  async closePayment(outTradeNo: string): Promise<Port.ClosePaymentResult> {
    const { stats } = await this.db
      .collection(PAYMENTS)
      .where({ _id: outTradeNo, state: 'NOTPAY' })
      .update({ data: { state: 'CLOSED' } });
    if (stats.updated === 1) return { outcome: 'closed' };
    const doc = await this.read(outTradeNo);
    return doc?.state === 'SUCCESS' ? { outcome: 'already-paid' } : { outcome: 'closed' };
  }

  /** The simulated payer pays: NOTPAY → SUCCESS (a closed order is paid anyway, as a late real payment would be). */
  async simulatePayment(outTradeNo: string): Promise<Port.PaymentTransaction> {
    const transactionId = `DEMO${this.now()}${this.randomId()}`;
    await this.db
      .collection(PAYMENTS)
      .where({ _id: outTradeNo, state: this.db.command.neq('SUCCESS') })
      .update({ data: { state: 'SUCCESS', transactionId, successTimeMs: this.now() } });
    const doc = await this.read(outTradeNo);
    if (!doc) throw new ProviderError('ORDER_NOT_EXIST', 'no demo payment for this order', 'fatal');
    return toTransaction(doc);
  }

  /** No notify_url: the result comes back through the callback function (cloudPay) or at once (demo). */
  refundNotifyUrl(): null {
    return null;
  }

  async createRefund(input: Port.CreateRefundInput): Promise<Port.Refund> {
    const doc = await this.read(input.outTradeNo);
    if (doc?.state !== 'SUCCESS')
      throw new ProviderError('TRADE_ERROR', 'the demo order is not paid', 'fatal');
    const refund: Port.Refund = {
      outTradeNo: input.outTradeNo,
      outRefundNo: input.outRefundNo,
      refundId: `DEMOREFUND${input.outRefundNo}`,
      status: 'SUCCESS',
      refundFen: input.refundFen,
      paidFen: input.paidFen,
      successTimeMs: this.now(),
    };
    const { paidFen, ...rest } = refund;
    const stored: DemoRefundDoc = { _id: input.outRefundNo, ...rest, totalFen: paidFen };
    try {
      await this.db.collection(REFUNDS).add({ data: { ...stored } });
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
    return refund;
  }

  applyAbnormalRefund(): Promise<Port.Refund> {
    // Demo refunds never become ABNORMAL: there is nothing to retry.
    return Promise.reject(unsupported('applyAbnormalRefund'));
  }

  async queryRefund(outRefundNo: string): Promise<Port.RefundQueryResult> {
    const { data } = await this.db.collection(REFUNDS).where({ _id: outRefundNo }).limit(1).get();
    const d = data[0] as DemoRefundDoc | undefined;
    if (!d) return { kind: 'not-found', outRefundNo };
    const { _id: _ignored, totalFen, ...rest } = d;
    return {
      kind: 'found',
      refund: { ...rest, refundFen: fen(rest.refundFen), paidFen: fen(totalFen) },
    };
  }

  verifyNotification(): Promise<Port.PaymentNotificationEvent> {
    return Promise.reject(
      new NotificationRejectedError('MALFORMED', 'the demo provider receives no notifications'),
    );
  }

  downloadTradeBill(): Promise<Port.TradeBill> {
    return Promise.reject(unsupported('downloadTradeBill'));
  }

  downloadFundFlowBill(): Promise<Port.FundFlowBill> {
    return Promise.reject(unsupported('downloadFundFlowBill'));
  }

  private async read(outTradeNo: string): Promise<DemoPaymentDoc | null> {
    const { data } = await this.db.collection(PAYMENTS).where({ _id: outTradeNo }).limit(1).get();
    return (data[0] as DemoPaymentDoc | undefined) ?? null;
  }
}

function toTransaction(doc: DemoPaymentDoc): Port.PaymentTransaction {
  return {
    outTradeNo: doc._id,
    state: doc.state,
    ...(doc.transactionId ? { transactionId: doc.transactionId } : {}),
    chargedFen: fen(doc.amountFen),
    ...(doc.state === 'SUCCESS' ? { payerTotalFen: fen(doc.amountFen) } : {}),
    ...(doc.successTimeMs !== null ? { successTimeMs: doc.successTimeMs } : {}),
    appid: DEMO_MERCHANT.appid,
    mchid: DEMO_MERCHANT.mchid,
    payerOpenid: doc.payerOpenid,
    tradeType: 'JSAPI',
  };
}

function unsupported(operation: string): ProviderError {
  return new ProviderError(ProviderErrorCodes.UNSUPPORTED, `the demo provider cannot ${operation}`, 'fatal', {
    operation,
  });
}
