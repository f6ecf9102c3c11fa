// Refunds end to end through the gateway (built bundles) and the simulator: staff input checked at the boundary,
// texts that survive WeChat's byte limits, concurrent duplicates, ABNORMAL refunds and their way out.
import {
  adminCount,
  adminGet,
  placeOrder,
  useTestStack,
  waitForRefund,
  waitForStatus,
  runJob,
} from '../support/stack';

const SHOPPER = 'o-heidi-0008';
const ADMIN = 'o-dev-admin';
const MINUTE = 60_000;

describe('refunds end to end', () => {
  const stack = useTestStack();

  async function paidOrder(sku = 'sku-coffee-250g'): Promise<{ outTradeNo: string; payableFen: number }> {
    const order = await placeOrder(stack, SHOPPER, sku, 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    return order;
  }

  const fire = (fn: 'closeExpired' | 'reconcile') => runJob<Record<string, unknown>>(stack, fn);

  it('an empty refund reason is refused at the boundary with nothing reserved, and the order stays PAID', async () => {
    const order = await paidOrder();
    for (const reason of ['', '   ', 42]) {
      const r = await stack.as(ADMIN).unchecked('refund', 'create', {
        outTradeNo: order.outTradeNo,
        amountFen: 100,
        reason,
        requestKey: 'empty-reason-1',
      });
      expect(r).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID' } });
    }
    const stored = (await adminGet(stack, 'orders', order.outTradeNo))!;
    expect(stored).toMatchObject({ status: 'PAID', refundReservedFen: 0 });
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(0);
    expect(await stack.sim.control.refunds({ outTradeNo: order.outTradeNo })).toHaveLength(0);
  });

  it('a long reason with emoji reaches WeChat cut between whole characters within 80 bytes', async () => {
    const order = await paidOrder();
    // 26 Chinese characters (78 bytes) and a family emoji: cut by UTF-16 units or code points it would be split.
    const reason = `${'退'.repeat(26)}👨‍👩‍👧 其余说明`;
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 100,
      reason,
      requestKey: 'emoji-reason-1',
    });
    expect(refund.status).toBe('PROCESSING');
    const [atWechat] = await stack.sim.control.refunds({ outTradeNo: order.outTradeNo });
    expect(atWechat!.reason).toBe('退'.repeat(26));
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('REFUND_PROCESSING');
  });

  it('a stored refund whose reason our adapter would refuse is still sent (reason omitted), never closed locally', async () => {
    const order = await paidOrder();
    // WeChat is down when the refund is requested: it stays recorded, not yet submitted.
    await stack.sim.control.addFault({ kind: 'api.error', status: 500, code: 'SYSTEM_ERROR', count: 1 });
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 100,
      requestKey: 'stored-reason-1',
    });
    expect((await adminGet(stack, 'refunds', refund.outRefundNo))!.submitted).toBe(false);
    // A record written by an older version: an empty reason, which the adapter refuses (reason is 1–80 long).
    await stack.cloud.db
      .collection('refunds')
      .doc(refund.outRefundNo)
      .update({ data: { reason: '' } });
    await stack.advance(2 * MINUTE);
    await fire('reconcile');
    const stored = (await adminGet(stack, 'refunds', refund.outRefundNo))!;
    expect(stored).toMatchObject({ status: 'PROCESSING', submitted: true });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('REFUND_PROCESSING');
    expect(await stack.sim.control.refund(refund.outRefundNo)).toMatchObject({ status: 'PROCESSING' });
  });

  it('concurrent duplicates of one full refund all answer the same refund, never EXCEEDS_REFUNDABLE', async () => {
    for (let round = 0; round < 3; round++) {
      const order = await paidOrder();
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          stack.as(ADMIN).call('refund', 'create', {
            outTradeNo: order.outTradeNo,
            amountFen: order.payableFen,
            requestKey: `double-tap-${round}-full`,
          }),
        ),
      );
      const failures = results.filter((r) => !r.ok);
      expect(failures).toEqual([]);
      const numbers = new Set(results.map((r) => (r.ok ? r.data.outRefundNo : '')));
      expect(numbers.size).toBe(1);
      expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(1);
      expect(await stack.sim.control.refunds({ outTradeNo: order.outTradeNo })).toHaveLength(1);
    }
  });

  async function abnormalRefund(): Promise<{ outTradeNo: string; outRefundNo: string; paidFen: number }> {
    const order = await paidOrder();
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: order.payableFen,
      requestKey: `abnormal-${order.outTradeNo}`,
    });
    await stack.sim.control.setRefundOutcome(refund.outRefundNo, 'ABNORMAL', { now: true });
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'REFUND_FAILED');
    expect((await waitForRefund(stack, refund.outRefundNo, 'ABNORMAL')).status).toBe('ABNORMAL');
    return { outTradeNo: order.outTradeNo, outRefundNo: refund.outRefundNo, paidFen: order.payableFen };
  }

  it('staff retry an ABNORMAL refund to the payer’s bank card: PROCESSING again, then REFUNDED when WeChat pays', async () => {
    const { outTradeNo, outRefundNo, paidFen } = await abnormalRefund();
    const card = {
      action: 'retryAbnormal',
      outRefundNo,
      type: 'USER_BANK_CARD' as const,
      bankType: 'ICBC_DEBIT',
      bankAccount: '6222020200112233445',
      realName: '张三',
    };
    // Staff only; the input is checked before WeChat is asked anything.
    expect(await stack.gateway.callEvent('refund', card, SHOPPER)).toMatchObject({
      ok: false,
      error: { code: 'AUTH.FORBIDDEN' },
    });
    for (const bad of [
      { ...card, type: 'CASH' },
      { ...card, bankAccount: '12ab' },
      { ...card, realName: ' ' },
      {
        action: 'retryAbnormal',
        outRefundNo,
        type: 'MERCHANT_BANK_CARD',
        bankAccount: '6222020200112233445',
      },
    ]) {
      expect(await stack.gateway.callEvent('refund', bad, ADMIN)).toMatchObject({
        ok: false,
        error: { code: 'REQUEST.INVALID' },
      });
    }
    expect((await stack.sim.control.refund(outRefundNo)).abnormalRetries).toBeUndefined();

    const retried = await stack.as(ADMIN).ok('refund', 'retryAbnormal', card);
    expect(retried).toMatchObject({ outRefundNo, status: 'PROCESSING' });
    expect((await adminGet(stack, 'orders', outTradeNo))!).toMatchObject({
      status: 'REFUND_PROCESSING',
      refundReservedFen: paidFen,
    });
    const atWechat = await stack.sim.control.refund(outRefundNo);
    expect(atWechat.status).toBe('PROCESSING');
    expect(atWechat.abnormalRetries).toEqual([
      expect.objectContaining({ type: 'USER_BANK_CARD', bankType: 'ICBC_DEBIT', accountTail: '3445' }),
    ]);
    await stack.advance((await stack.sim.control.settings()).refundDelayMs);
    const done = await waitForStatus(stack, SHOPPER, outTradeNo, 'REFUNDED');
    expect(done.refundedFen).toBe(paidFen);
    // Nothing left to retry.
    expect(await stack.gateway.callEvent('refund', card, ADMIN)).toMatchObject({
      ok: false,
      error: { code: 'REFUND.NOT_ALLOWED', details: { status: 'SUCCESS' } },
    });
  });

  it('a retry of a refund already settled by hand at WeChat applies the SUCCESS and retries nothing', async () => {
    const { outTradeNo, outRefundNo, paidFen } = await abnormalRefund();
    await stack.sim.control.settleRefundByHand(outRefundNo);
    const answer = await stack
      .as(ADMIN)
      .ok('refund', 'retryAbnormal', { outRefundNo, type: 'MERCHANT_BANK_CARD' });
    expect(answer).toMatchObject({ status: 'SUCCESS' });
    expect((await stack.sim.control.refund(outRefundNo)).abnormalRetries).toBeUndefined();
    expect((await adminGet(stack, 'orders', outTradeNo))!).toMatchObject({
      status: 'REFUNDED',
      refundedFen: paidFen,
    });
  });

  it('reconcile follows an ABNORMAL refund up with backoff and applies the SUCCESS settled by hand at WeChat', async () => {
    const { outTradeNo, outRefundNo, paidFen } = await abnormalRefund();
    // Asked about and still ABNORMAL: the next question waits longer each time.
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = (await adminGet(stack, 'refunds', outRefundNo))!.followUp;
      await stack.advance(Math.max(0, before.nextAttemptAtMs - stack.now()) + 1000);
      await fire('reconcile');
      const after = (await adminGet(stack, 'refunds', outRefundNo))!;
      expect(after.status).toBe('ABNORMAL');
      waits.push(after.followUp.nextAttemptAtMs - stack.now());
    }
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
    expect(waits[2]!).toBeGreaterThan(waits[1]!);
    // Nothing due: a run asks WeChat nothing about it.
    const asked = async () =>
      (await stack.sim.control.events({ kind: 'api', pathContains: outRefundNo })).length;
    const quiet = await asked();
    await fire('reconcile');
    expect(await asked()).toBe(quiet);
    // The merchant settles it by hand in the merchant platform: no notification comes.
    await stack.sim.control.settleRefundByHand(outRefundNo);
    const due = (await adminGet(stack, 'refunds', outRefundNo))!.followUp.nextAttemptAtMs;
    await stack.advance(due - stack.now() + 1000);
    await fire('reconcile');
    expect((await adminGet(stack, 'refunds', outRefundNo))!).toMatchObject({
      status: 'SUCCESS',
      followUp: { state: 'settled' },
    });
    expect((await adminGet(stack, 'orders', outTradeNo))!).toMatchObject({
      status: 'REFUNDED',
      refundedFen: paidFen,
    });
  });

  it('a retried ABNORMAL refund is followed up again (its notification lost) until WeChat reports SUCCESS', async () => {
    const { outTradeNo, outRefundNo } = await abnormalRefund();
    // Days of ABNORMAL: the follow-up has backed off to asking every 8+ minutes.
    for (let i = 0; i < 4; i++) {
      const { nextAttemptAtMs } = (await adminGet(stack, 'refunds', outRefundNo))!.followUp;
      await stack.advance(Math.max(0, nextAttemptAtMs - stack.now()) + 1000);
      await fire('reconcile');
    }
    expect(
      (await adminGet(stack, 'refunds', outRefundNo))!.followUp.nextAttemptAtMs - stack.now(),
    ).toBeGreaterThan(4 * MINUTE);
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    await stack.as(ADMIN).ok('refund', 'retryAbnormal', { outRefundNo, type: 'MERCHANT_BANK_CARD' });
    expect((await adminGet(stack, 'refunds', outRefundNo))!.followUp).toMatchObject({
      state: 'queued',
      attempts: 0,
    });
    await stack.advance(2 * MINUTE);
    await fire('reconcile');
    expect((await adminGet(stack, 'orders', outTradeNo))!.status).toBe('REFUNDED');
  });
});
