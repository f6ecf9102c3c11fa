// Test helpers for the local 发货信息管理: a real simulator (payments, refunds) and a LocalTradeManagement over it
// with its durable store in a temp folder; push events are collected as the stack would deliver them.
import { startFixture, type SimFixture } from '../../simulator/test-support/fixture';
import { rawRequest } from '../../simulator/test-support/raw-client';
import { JsonFileStore } from '../cloudpay/json-store';
import { createLocalTradeManagement, simulatorPayments, type LocalTradeManagement } from '../trade';
import { tempDir } from './temp';

/** A paid payment as a test uses it. */
export interface PaidPayment {
  outTradeNo: string;
  transactionId: string;
  mchid: string;
  payer: string;
}

export interface TradeFixture {
  fx: SimFixture;
  trade: LocalTradeManagement;
  /** Events pushed to the message-push function, in order. */
  pushed: Array<Record<string, unknown>>;
  appid: string;
  /** Creates a JSAPI order for `payer` (unpaid). */
  order(payer?: string, totalFen?: number): Promise<{ outTradeNo: string; mchid: string }>;
  /** Creates and pays an order. */
  paid(payer?: string, totalFen?: number): Promise<PaidPayment>;
  /** Refunds `fen` of a payment and settles the refund now. */
  refund(p: PaidPayment, fen: number, totalFen?: number): Promise<void>;
  /** Reopens the trade management on the same store file (a restart). */
  reopen(): Promise<LocalTradeManagement>;
  dispose(): Promise<void>;
}

let seq = 0;

export async function startTradeFixture(): Promise<TradeFixture> {
  const fx = await startFixture();
  const tmp = tempDir('trade-');
  const pushed: Array<Record<string, unknown>> = [];
  const appid = fx.identity.direct.appid;
  const open = async (): Promise<LocalTradeManagement> =>
    createLocalTradeManagement({
      store: await JsonFileStore.open(tmp.dir, 'trade.json'),
      payments: simulatorPayments(fx.sim.control),
      now: () => fx.sim.now(),
      appid,
      deliver: (_fn, event) => {
        pushed.push(event);
        return Promise.resolve('success');
      },
    });
  const f: TradeFixture = {
    fx,
    trade: await open(),
    pushed,
    appid,
    async order(payer = 'o-payer', totalFen = 500) {
      const outTradeNo = `T${Date.now().toString(36)}${(seq += 1)}`;
      const a = await rawRequest(fx.sim.url, fx.identity, {
        merchant: 'direct',
        method: 'POST',
        path: '/v3/pay/transactions/jsapi',
        body: {
          appid,
          mchid: fx.identity.direct.mchid,
          description: '发货测试',
          out_trade_no: outTradeNo,
          notify_url: 'http://127.0.0.1:9/notify',
          amount: { total: totalFen },
          payer: { openid: payer },
        },
      });
      if (a.status !== 200) throw new Error(`jsapi order failed: ${a.status} ${a.text}`);
      return { outTradeNo, mchid: fx.identity.direct.mchid };
    },
    async paid(payer = 'o-payer', totalFen = 500) {
      const o = await f.order(payer, totalFen);
      const rec = await fx.sim.control.pay(o.outTradeNo);
      return { ...o, transactionId: rec.transactionId ?? '', payer };
    },
    async refund(p, fen, totalFen = 500) {
      const outRefundNo = `R${Date.now().toString(36)}${(seq += 1)}`;
      const a = await rawRequest(fx.sim.url, fx.identity, {
        merchant: 'direct',
        method: 'POST',
        path: '/v3/refund/domestic/refunds',
        body: {
          out_trade_no: p.outTradeNo,
          out_refund_no: outRefundNo,
          amount: { refund: fen, total: totalFen, currency: 'CNY' },
        },
      });
      if (a.status !== 200) throw new Error(`refund failed: ${a.status} ${a.text}`);
      await fx.sim.control.setRefundOutcome(outRefundNo, 'SUCCESS', { now: true });
    },
    async reopen() {
      await f.trade.close();
      f.trade = await open();
      return f.trade;
    },
    async dispose() {
      await f.trade.close();
      await fx.dispose();
      tmp.cleanup();
    },
  };
  return f;
}
