// Local preview only (clientEnv.transport === 'local', or an order the demo provider simulates): the simulated
// cashier stands in for WeChat's payment sheet. Its buttons act as the payer at the local WeChat Pay simulator, so a
// real signed, encrypted notification reaches the real payNotify. A cloud build never reaches this module's payer
// calls: services/payment.ts decides by transport before anything here runs.
import type { ApiError } from '../../typings/contracts/envelope';
import { clientEnv } from '../config/env';
import { timing } from '../utils/timing';
import { call } from './cloud';

/** The four buttons of the simulated cashier. */
export type CashierChoice = 'pay' | 'cancel' | 'fail' | 'later';

/** What the cashier shows. */
export interface CashierRequest {
  outTradeNo: string;
  amountFen: number;
  shopName: string;
}

/** A page's cashier popup (components/sim-cashier registers itself while attached). */
export interface CashierPresenter {
  open(req: CashierRequest): Promise<CashierChoice>;
  /** The simulated subscription prompt after paying (wx.requestSubscribeMessage's popup). */
  askSubscribe?(tmplIds: readonly string[]): Promise<'accept' | 'reject'>;
}

/**
 * Local preview: shows the simulated subscription prompt of the page in front; answers the developer's choice for every
 * id, or null when no page can show it.
 */
export async function simulatedSubscribePrompt(
  tmplIds: readonly string[],
): Promise<'accept' | 'reject' | null> {
  const presenter = presenters[presenters.length - 1];
  if (!presenter?.askSubscribe) return null;
  return presenter.askSubscribe(tmplIds);
}

const presenters: CashierPresenter[] = [];

/** Registers the popup of the page in front; returns the unregister function. */
export function registerCashier(p: CashierPresenter): () => void {
  presenters.push(p);
  return () => {
    const i = presenters.indexOf(p);
    if (i >= 0) presenters.splice(i, 1);
  };
}

/** The hint wx.requestPayment would give: its errMsg. */
export type PaymentHint = { kind: 'ok' } | { kind: 'cancel' } | { kind: 'fail'; detail: string };

/** Shows the simulated cashier and acts as the payer as chosen. `simulated` = the demo provider's order. */
export async function simulatedCashier(req: CashierRequest, simulated: boolean): Promise<PaymentHint> {
  const presenter = presenters[presenters.length - 1];
  if (!presenter) return { kind: 'fail', detail: '模拟收银台未加载' };
  const choice = await presenter.open(req);
  if (choice === 'later') {
    // The shopper's money moves after the sheet reported cancel (WeChat's "cancel although paid" case).
    setTimeout(() => void payer(req.outTradeNo, 'pay-late', simulated), timing.latePayDelayMs);
    return { kind: 'cancel' };
  }
  if (choice === 'cancel') {
    await payer(req.outTradeNo, 'cancel', simulated);
    return { kind: 'cancel' };
  }
  if (choice === 'fail') {
    await payer(req.outTradeNo, 'fail', simulated);
    return { kind: 'fail', detail: '模拟支付失败（余额不足）' };
  }
  const paid = await payer(req.outTradeNo, 'pay', simulated);
  return paid === null ? { kind: 'ok' } : { kind: 'fail', detail: paid.message };
}

type PayerAction = 'pay' | 'pay-late' | 'cancel' | 'fail';

/** Acts as the payer; answers null when done, else what went wrong. */
async function payer(outTradeNo: string, action: PayerAction, simulated: boolean): Promise<ApiError | null> {
  if (simulated) {
    // The demo provider has no simulator: its payer is the pay.demoPay action; cancel and fail change nothing.
    if (action === 'cancel' || action === 'fail') return null;
    const r = await call('pay', 'demoPay', { outTradeNo }, { retry: false });
    return r.ok ? null : r.error;
  }
  if (clientEnv.transport !== 'local') return { code: 'NETWORK', message: 'no simulator in a cloud build' };
  return new Promise((resolve) => {
    wx.request({
      url: `${clientEnv.localSimulatorUrl}/sim/orders/${encodeURIComponent(outTradeNo)}/${action}`,
      method: 'POST',
      data: {},
      header: { 'content-type': 'application/json' },
      success: (res) => {
        if (res.statusCode >= 200 && res.statusCode < 300) {
          resolve(null);
          return;
        }
        const body = res.data as { error?: { code?: string; message?: string } } | undefined;
        resolve({
          code: body?.error?.code ?? `HTTP_${res.statusCode}`,
          message: body?.error?.message ?? `simulator answered ${res.statusCode}`,
        });
      },
      fail: (err) => resolve({ code: 'NETWORK', message: err.errMsg }),
    });
  });
}
