// Money nobody can match, end to end with real signed notifications from the simulator: a payment for an order this
// shop never placed, and a refund notification for a refund it never requested, are kept as "needs attention"
// records (once per transaction / notification) that staff can list and shoppers cannot read.
import { rawRequest } from '../../simulator/test-support/raw-client';
import { adminCount, adminGet, sharedIdentity, useTestStack, waitFor } from '../support/stack';

const ADMIN = 'o-dev-admin';
const SHOPPER = 'o-judy-00010';

describe('needs-attention records', () => {
  const stack = useTestStack();

  /** An order created at WeChat (the simulator) under our merchant and notify_url, but never placed in this shop. */
  async function strangersOrder(outTradeNo: string, totalFen: number): Promise<void> {
    const id = await sharedIdentity();
    const a = await rawRequest(stack.simulatorUrl, id, {
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
      body: {
        appid: id.direct.appid,
        mchid: id.direct.mchid,
        description: '别处下的单',
        out_trade_no: outTradeNo,
        notify_url: stack.env.WECHATPAY_NOTIFY_URL,
        amount: { total: totalFen },
        payer: { openid: 'o_stranger' },
      },
    });
    expect(a.status).toBe(200);
  }

  it('a verified payment for an unknown order is kept once per transaction, however often WeChat delivers it', async () => {
    const outTradeNo = 'STRANGER000001';
    await strangersOrder(outTradeNo, 4321);
    const paid = await stack.sim.control.pay(outTradeNo);
    const id = `payment:${paid.transactionId!}`;
    const first = await waitFor('the attention record', () => adminGet(stack, 'attention', id));
    expect(first).toMatchObject({
      kind: 'payment-for-unknown-order',
      outTradeNo,
      transactionId: paid.transactionId,
      amountFen: 4321,
      wechatState: 'SUCCESS',
      deliveries: 1,
    });
    // Not acknowledged (the order may yet appear): WeChat retries, the same record counts the deliveries.
    const note = await waitFor('the first delivery', async () => {
      const [n] = await stack.sim.control.notifications({ outTradeNo });
      return n && n.attempts.length > 0 ? n : null;
    });
    expect(note.attempts[0]!.status).toBe(400);
    await stack.advance(16_000);
    await stack.advance(16_000);
    const later = await waitFor('more deliveries', async () => {
      const doc = await adminGet(stack, 'attention', id);
      return doc && doc.deliveries >= 3 ? doc : null;
    });
    expect(later.firstSeenAtMs).toBe(first.firstSeenAtMs);
    expect(later.lastSeenAtMs).toBeGreaterThan(first.lastSeenAtMs);
    expect(await adminCount(stack, 'attention', { outTradeNo })).toBe(1);
    expect(await adminCount(stack, 'orders', { _id: outTradeNo })).toBe(0);
  });

  it('a verified refund notification for an unknown refund is kept once per notification and acknowledged', async () => {
    const outTradeNo = 'STRANGER000002';
    await strangersOrder(outTradeNo, 900);
    await stack.sim.control.pay(outTradeNo);
    const id = await sharedIdentity();
    const r = await rawRequest(stack.simulatorUrl, id, {
      merchant: 'direct',
      method: 'POST',
      path: '/v3/refund/domestic/refunds',
      body: {
        out_trade_no: outTradeNo,
        out_refund_no: `${outTradeNo}R1`,
        notify_url: stack.env.WECHATPAY_NOTIFY_URL,
        amount: { refund: 300, total: 900, currency: 'CNY' },
      },
    });
    expect(r.status).toBe(200);
    await stack.sim.control.setRefundOutcome(`${outTradeNo}R1`, 'SUCCESS', { now: true });
    const note = await waitFor('the refund notification to be delivered', async () => {
      const [n] = await stack.sim.control.notifications({ outTradeNo, eventType: 'REFUND.SUCCESS' });
      return n && n.status === 'delivered' ? n : null;
    });
    const record = await waitFor('the attention record', () =>
      adminGet(stack, 'attention', `refund:${note.id}`),
    );
    expect(record).toMatchObject({
      kind: 'refund-for-unknown-refund',
      outTradeNo,
      outRefundNo: `${outTradeNo}R1`,
      amountFen: 300,
      wechatState: 'SUCCESS',
    });
    await stack.sim.control.replay(note.id);
    await waitFor('the replay', async () => {
      const n = await stack.sim.control.notification(note.id);
      return n.attempts.length >= 2 ? n : null;
    });
    expect(await adminCount(stack, 'attention', { outRefundNo: `${outTradeNo}R1` })).toBe(1);
  });

  it('staff list them newest first; shoppers can neither list nor read them', async () => {
    const list = await stack.as(ADMIN).ok('refund', 'listAttention');
    type Item = { id: string; kind: string; firstSeenAtMs: number };
    expect((list as Item[]).map((a) => a.kind).sort()).toEqual([
      'payment-for-unknown-order',
      'payment-for-unknown-order',
      'refund-for-unknown-refund',
    ]);
    const times = (list as Item[]).map((a) => a.firstSeenAtMs);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const older = await stack.as(ADMIN).ok('refund', 'listAttention', { limit: 1, beforeMs: times[0]! });
    expect(older).toHaveLength(1);
    expect(older[0]!.firstSeenAtMs).toBeLessThan(times[0]!);
    expect(await stack.as(SHOPPER).call('refund', 'listAttention')).toMatchObject({
      ok: false,
      error: { code: 'AUTH.FORBIDDEN' },
    });
    expect(await stack.as(ADMIN).call('refund', 'listAttention', { limit: 0 })).toMatchObject({
      ok: false,
      error: { code: 'REQUEST.INVALID' },
    });
    const read = await fetch(`${stack.gatewayUrl}/_devcloud/client-db`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-wx-openid': SHOPPER },
      body: JSON.stringify({ collection: 'attention', op: 'get', where: {} }),
    });
    expect(read.status).toBe(403);
  });
});
