// Refund requests end to end on the local stack (docs/adr/0011): the shopper asks through `order`, staff decide through
// `staff`, the approval goes through the existing refund path to the simulator, whose notification settles the order.
// Also: reject with a reason, withdraw, two approvals at once, a return-and-refund after shipping, the refusals, and
// every staff action refused to a shopper.
import { API_ACTIONS } from '../../typings/contracts/api';
import {
  adminCount,
  adminGet,
  placeOrder,
  runJob,
  useTestStack,
  waitFor,
  waitForStatus,
} from '../support/stack';

const SHOPPER = 'o-rr-shopper-01';
const OTHER = 'o-rr-shopper-02';
const STAFF = 'o-dev-admin';
const STAFF_2 = 'o-dev-staff';
const DAY = 24 * 60 * 60 * 1000;

describe('refund requests end to end', () => {
  const stack = useTestStack();
  let keySeq = 0;
  const key = () => `rr-key-${Date.now()}-${++keySeq}`;

  async function paidOrder(openid = SHOPPER): Promise<{ outTradeNo: string; payableFen: number }> {
    const order = await placeOrder(stack, openid, 'sku-coffee-250g', 1);
    await stack.as(openid).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, openid, order.outTradeNo, 'PAID');
    return order;
  }

  async function ask(outTradeNo: string, amountFen: number, openid = SHOPPER, requestKey = key()) {
    return stack.as(openid).ok('order', 'requestRefund', {
      outTradeNo,
      amountFen,
      reasonCode: '不想要了',
      reasonText: '买重了',
      requestKey,
    });
  }

  async function refundSettles(outTradeNo: string, outRefundNo: string) {
    await stack.sim.control.setRefundOutcome(outRefundNo, 'SUCCESS', { now: true });
    await waitForStatus(stack, SHOPPER, outTradeNo, 'REFUNDED');
  }

  it('shopper requests → staff approve → WeChat refunds → notification → the order is REFUNDED, the request REFUNDED', async () => {
    const order = await paidOrder();
    const before = await stack
      .as(SHOPPER)
      .ok('order', 'refundRequestOptions', { outTradeNo: order.outTradeNo });
    expect(before).toMatchObject({
      latest: null,
      canRequest: true,
      kind: 'refund',
      maxFen: order.payableFen,
      windowEndsAtMs: null,
    });
    expect(before.reasons).toContain('不想要了');
    const req = await ask(order.outTradeNo, order.payableFen);
    expect(req).toMatchObject({ state: 'PENDING', progress: 'PENDING', kind: 'refund', canWithdraw: true });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.openRefundRequestId).toBe(req.requestId);

    const listed = await stack.as(STAFF).ok('staff', 'listRefundRequests', {});
    expect(listed.map((r) => r.requestId)).toContain(req.requestId);
    const detail = await stack.as(STAFF).ok('staff', 'getRefundRequest', { requestId: req.requestId });
    expect(detail.order.order.outTradeNo).toBe(order.outTradeNo);
    expect(detail.order.transactionId).not.toBeNull();
    expect(detail.refunds).toEqual([]);

    const approved = await stack.as(STAFF).ok('staff', 'approveRefundRequest', { requestId: req.requestId });
    expect(approved).toMatchObject({ state: 'APPROVED', progress: 'REFUNDING', canWithdraw: false });
    expect(approved.outRefundNo).not.toBeNull();
    // The existing refund path: its document with the request's key, the amount at WeChat.
    const refund = (await adminGet(stack, 'refunds', approved.outRefundNo!))!;
    expect(refund).toMatchObject({
      requestKey: `${order.outTradeNo}:rr:${req.requestId}`,
      amountFen: order.payableFen,
      requestedBy: STAFF,
    });
    expect(await stack.sim.control.refunds({ outTradeNo: order.outTradeNo })).toHaveLength(1);

    await refundSettles(order.outTradeNo, approved.outRefundNo!);
    await waitFor('the refund notification to be delivered', async () => {
      const notes = await stack.sim.control.notifications({
        outTradeNo: order.outTradeNo,
        eventType: 'REFUND.SUCCESS',
      });
      return notes.some((n) => n.status === 'delivered');
    });
    const after = await stack
      .as(SHOPPER)
      .ok('order', 'refundRequestOptions', { outTradeNo: order.outTradeNo });
    expect(after.latest).toMatchObject({ requestId: req.requestId, state: 'APPROVED', progress: 'REFUNDED' });
    expect(after).toMatchObject({ canRequest: false, refusal: 'refunded', maxFen: 0 });
    const approvedList = await stack
      .as(STAFF)
      .ok('staff', 'listRefundRequests', { state: 'APPROVED', limit: 50 });
    expect(approvedList.find((r) => r.requestId === req.requestId)?.progress).toBe('REFUNDED');
    expect(listed.every((r) => r.state === 'PENDING' || r.state === 'AWAITING_RETURN')).toBe(true);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.openRefundRequestId).toBeNull();
  });

  it('the refund result message reaches the outbox only for a shopper who accepted it', async () => {
    const refundMessagesFor = async (openid: string) =>
      (await stack.messages.outbox()).filter(
        (m) => m.touser === openid && m.templateId === 'local-tmpl-refund',
      );
    for (const [openid, choice] of [
      ['o-rr-msg-accept', 'accept'],
      ['o-rr-msg-reject', 'reject'],
    ] as const) {
      // What the order page does after the payment sheet: ask, tell WeChat (the prompt), tell the shop.
      const { tmplIds } = await stack.as(openid).ok('msg', 'templates', {});
      const results = Object.fromEntries(tmplIds.map((id) => [id, choice]));
      const prompt = await fetch(`${stack.gatewayUrl}/_devcloud/subscribe/prompt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-wx-openid': openid },
        body: JSON.stringify({ results }),
      });
      expect(prompt.status).toBe(200);
      await stack.as(openid).ok('msg', 'subscribed', { results });
      const order = await paidOrder(openid);
      const req = await ask(order.outTradeNo, order.payableFen, openid);
      const approved = await stack
        .as(STAFF)
        .ok('staff', 'approveRefundRequest', { requestId: req.requestId });
      await stack.sim.control.setRefundOutcome(approved.outRefundNo!, 'SUCCESS', { now: true });
      await waitForStatus(stack, openid, order.outTradeNo, 'REFUNDED');
      await runJob(stack, 'closeExpired');
      const sent = await refundMessagesFor(openid);
      if (choice === 'accept') {
        expect(sent).toHaveLength(1);
        expect(sent[0]!.data.character_string1!.value).toBe(order.outTradeNo);
        expect(sent[0]!.data.amount2!.value).toBe(`¥${(order.payableFen / 100).toFixed(2)}`);
      } else {
        expect(sent).toEqual([]);
      }
    }
  });

  it('staff reject with a reason the shopper sees; the order is untouched and a new request may be made', async () => {
    const order = await paidOrder();
    const req = await ask(order.outTradeNo, 100);
    const rejected = await stack.as(STAFF).ok('staff', 'rejectRefundRequest', {
      requestId: req.requestId,
      reason: '商品已拆封使用',
    });
    expect(rejected).toMatchObject({
      state: 'REJECTED',
      progress: 'REJECTED',
      rejectReason: '商品已拆封使用',
    });
    const seen = await stack
      .as(SHOPPER)
      .ok('order', 'refundRequestOptions', { outTradeNo: order.outTradeNo });
    expect(seen.latest).toMatchObject({ state: 'REJECTED', rejectReason: '商品已拆封使用' });
    expect(seen.canRequest).toBe(true);
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(0);
    expect((await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: order.outTradeNo })).status).toBe(
      'PAID',
    );
    // A rejected request cannot be approved afterwards.
    expect(
      await stack.as(STAFF).call('staff', 'approveRefundRequest', { requestId: req.requestId }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND_REQUEST.ILLEGAL_TRANSITION' } });
    // A reason is required.
    const open = await ask(order.outTradeNo, 100);
    expect(
      await stack.as(STAFF).call('staff', 'rejectRefundRequest', { requestId: open.requestId, reason: '  ' }),
    ).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID' } });
  });

  it('the shopper withdraws a waiting request (only their own); staff can no longer approve it', async () => {
    const order = await paidOrder();
    const req = await ask(order.outTradeNo, 100);
    expect(
      await stack.as(OTHER).call('order', 'withdrawRefundRequest', { requestId: req.requestId }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND_REQUEST.NOT_FOUND' } });
    const withdrawn = await stack
      .as(SHOPPER)
      .ok('order', 'withdrawRefundRequest', { requestId: req.requestId });
    expect(withdrawn).toMatchObject({ state: 'WITHDRAWN', progress: 'WITHDRAWN', canWithdraw: false });
    // Again: answered as it is.
    expect(
      await stack.as(SHOPPER).ok('order', 'withdrawRefundRequest', { requestId: req.requestId }),
    ).toMatchObject({ state: 'WITHDRAWN' });
    expect(
      await stack.as(STAFF).call('staff', 'approveRefundRequest', { requestId: req.requestId }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND_REQUEST.ILLEGAL_TRANSITION' } });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.openRefundRequestId).toBeNull();
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(0);
    expect(
      (await stack.as(STAFF).ok('staff', 'listRefundRequests', {})).map((r) => r.requestId),
    ).not.toContain(req.requestId);
  });

  it('two staff approving at once make one refund (one document, one at WeChat), both answered with it', async () => {
    for (let round = 0; round < 3; round++) {
      const order = await paidOrder();
      const req = await ask(order.outTradeNo, order.payableFen);
      const results = await Promise.all(
        [STAFF, STAFF_2, STAFF, STAFF_2].map((who) =>
          stack.as(who).call('staff', 'approveRefundRequest', { requestId: req.requestId }),
        ),
      );
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const numbers = new Set(results.map((r) => (r.ok ? r.data.outRefundNo : 'x')));
      expect(numbers.size).toBe(1);
      expect([...numbers][0]).toBeTruthy();
      expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(1);
      expect(await stack.sim.control.refunds({ outTradeNo: order.outTradeNo })).toHaveLength(1);
    }
  });

  it('an approval whose refund was never made (a crash between the writes) is repaired by approving again', async () => {
    const order = await paidOrder();
    const req = await ask(order.outTradeNo, 300);
    // As a crash would leave it: the request APPROVED, no refund requested, the order still pointing at it.
    await stack.cloud.db
      .collection('refund_requests')
      .doc(req.requestId)
      .update({ data: { state: 'APPROVED', decidedBy: STAFF, version: 2 } });
    const again = await stack.as(STAFF_2).ok('staff', 'approveRefundRequest', { requestId: req.requestId });
    expect(again.outRefundNo).not.toBeNull();
    const third = await stack.as(STAFF).ok('staff', 'approveRefundRequest', { requestId: req.requestId });
    expect(third.outRefundNo).toBe(again.outRefundNo);
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(1);
    expect((await adminGet(stack, 'refunds', again.outRefundNo!))!.amountFen).toBe(300);
  });

  it('an approval whose refund another refund beat reads REFUND_FAILED, tells a person, and is made by approving again once the order allows', async () => {
    const order = await paidOrder();
    const req = await ask(order.outTradeNo, 300);
    // The race, as it leaves things: the approval checked the order and won its compare-and-set, but before its refund
    // was requested staff refunded everything directly, so nothing is left to refund.
    const direct = await stack.as(STAFF).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: order.payableFen,
      reason: '整单退款',
      requestKey: key(),
    });
    await stack.cloud.db
      .collection('refund_requests')
      .doc(req.requestId)
      .update({ data: { state: 'APPROVED', decidedBy: STAFF, version: 2 } });
    expect(
      await stack.as(STAFF_2).call('staff', 'approveRefundRequest', { requestId: req.requestId }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND.EXCEEDS_REFUNDABLE' } });
    const options = await stack
      .as(SHOPPER)
      .ok('order', 'refundRequestOptions', { outTradeNo: order.outTradeNo });
    expect(options.latest).toMatchObject({
      requestId: req.requestId,
      progress: 'REFUND_FAILED',
      outRefundNo: null,
    });
    const attentionId = `refund-request-unrefunded:${req.requestId}`;
    expect(await adminGet(stack, 'attention', attentionId)).toMatchObject({
      kind: 'refund-request-unrefunded',
      outTradeNo: order.outTradeNo,
      amountFen: 300,
      wechatState: 'REFUND.EXCEEDS_REFUNDABLE',
      resolvedAtMs: null,
    });

    // The direct refund fails at WeChat (CLOSED: the money is free again); approving again makes the request's refund
    // and settles the record.
    await stack.sim.control.setRefundOutcome(direct.outRefundNo, 'CLOSED', { now: true });
    await waitFor('the direct refund to close', async () => {
      return (await adminGet(stack, 'refunds', direct.outRefundNo))?.status === 'CLOSED';
    });
    const again = await stack.as(STAFF).ok('staff', 'approveRefundRequest', { requestId: req.requestId });
    expect(again).toMatchObject({ state: 'APPROVED', progress: 'REFUNDING' });
    expect(again.outRefundNo).not.toBeNull();
    expect((await adminGet(stack, 'refunds', again.outRefundNo!))!.amountFen).toBe(300);
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(2);
    expect((await adminGet(stack, 'attention', attentionId))!.resolvedAtMs).not.toBeNull();
    expect((await adminGet(stack, 'refund_requests', req.requestId))!.refundRefusal).toBeNull();
  });

  it('after shipping it is a return-and-refund: approve → AWAITING_RETURN → goods received → refund', async () => {
    const order = await paidOrder();
    const me = await stack.as(STAFF).ok('staff', 'me', {});
    await stack.as(STAFF).ok('staff', 'ship', {
      outTradeNo: order.outTradeNo,
      parcels: [{ expressCompany: me.expressCompanies[0]!.id, trackingNo: 'SF1234567890' }],
    });
    const options = await stack
      .as(SHOPPER)
      .ok('order', 'refundRequestOptions', { outTradeNo: order.outTradeNo });
    expect(options).toMatchObject({ canRequest: true, kind: 'return-refund', windowEndsAtMs: null });
    const req = await ask(order.outTradeNo, order.payableFen);
    expect(req.kind).toBe('return-refund');
    // Goods received before they are back is refused.
    expect(
      await stack.as(STAFF).call('staff', 'markReturnReceived', { requestId: req.requestId }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND_REQUEST.ILLEGAL_TRANSITION' } });
    const agreed = await stack.as(STAFF).ok('staff', 'approveRefundRequest', { requestId: req.requestId });
    expect(agreed).toMatchObject({
      state: 'AWAITING_RETURN',
      progress: 'AWAITING_RETURN',
      outRefundNo: null,
    });
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(0);
    // Still open: a second request is refused.
    expect(
      await stack.as(SHOPPER).call('order', 'requestRefund', {
        outTradeNo: order.outTradeNo,
        amountFen: 1,
        reasonCode: '其他',
        requestKey: key(),
      }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND_REQUEST.ALREADY_OPEN' } });
    const received = await stack.as(STAFF).ok('staff', 'markReturnReceived', { requestId: req.requestId });
    expect(received).toMatchObject({ state: 'APPROVED', progress: 'REFUNDING' });
    await refundSettles(order.outTradeNo, received.outRefundNo!);
    const after = await stack
      .as(SHOPPER)
      .ok('order', 'refundRequestOptions', { outTradeNo: order.outTradeNo });
    expect(after.latest?.progress).toBe('REFUNDED');
  });

  it('refusals: unpaid, one open request, more than refundable, an unknown reason, a long text, the window, another shopper', async () => {
    const unpaid = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    const base = { amountFen: 100, reasonCode: '不想要了', requestKey: key() };
    expect(
      await stack.as(SHOPPER).call('order', 'requestRefund', { ...base, outTradeNo: unpaid.outTradeNo }),
    ).toMatchObject({
      ok: false,
      error: { code: 'REFUND_REQUEST.NOT_ALLOWED', details: { reason: 'not-paid' } },
    });

    const order = await paidOrder();
    const o = order.outTradeNo;
    expect(
      await stack
        .as(SHOPPER)
        .call('order', 'requestRefund', { ...base, outTradeNo: o, amountFen: order.payableFen + 1 }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND.EXCEEDS_REFUNDABLE' } });
    expect(
      await stack.as(SHOPPER).call('order', 'requestRefund', { ...base, outTradeNo: o, amountFen: 0 }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND.AMOUNT_INVALID' } });
    expect(
      await stack.as(SHOPPER).call('order', 'requestRefund', { ...base, outTradeNo: o, reasonCode: '随便' }),
    ).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID', details: { field: 'reasonCode' } } });
    expect(
      await stack
        .as(SHOPPER)
        .call('order', 'requestRefund', { ...base, outTradeNo: o, reasonText: '长'.repeat(201) }),
    ).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID' } });
    expect(await stack.as(OTHER).call('order', 'requestRefund', { ...base, outTradeNo: o })).toMatchObject({
      ok: false,
      error: { code: 'ORDER.NOT_FOUND' },
    });

    // A double tap answers the one request; another key while it is open is refused.
    const k = key();
    const [a, b] = await Promise.all([ask(o, 100, SHOPPER, k), ask(o, 100, SHOPPER, k)]);
    expect(a.requestId).toBe(b.requestId);
    expect(await adminCount(stack, 'refund_requests', { outTradeNo: o })).toBe(1);
    expect(
      await stack.as(SHOPPER).call('order', 'requestRefund', { ...base, outTradeNo: o, requestKey: key() }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND_REQUEST.ALREADY_OPEN' } });

    // Two different requests at once on a fresh order: exactly one is open.
    const race = await paidOrder();
    const raced = await Promise.all(
      [1, 2, 3].map(() =>
        stack
          .as(SHOPPER)
          .call('order', 'requestRefund', { ...base, outTradeNo: race.outTradeNo, requestKey: key() }),
      ),
    );
    expect(raced.filter((r) => r.ok)).toHaveLength(1);
    expect(raced.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error.code))).toEqual([
      'REFUND_REQUEST.ALREADY_OPEN',
      'REFUND_REQUEST.ALREADY_OPEN',
    ]);

    // A refund staff started by hand is still processing: the payment is not final.
    const busy = await paidOrder();
    await stack
      .as(STAFF)
      .ok('refund', 'create', { outTradeNo: busy.outTradeNo, amountFen: 100, requestKey: key() });
    expect(
      await stack.as(SHOPPER).call('order', 'requestRefund', { ...base, outTradeNo: busy.outTradeNo }),
    ).toMatchObject({
      ok: false,
      error: { code: 'REFUND_REQUEST.NOT_ALLOWED', details: { reason: 'refund-in-progress' } },
    });

    // Received goods: the window counts 7 days (the default) from receipt.
    const late = await paidOrder();
    await stack.cloud.db
      .collection('orders')
      .doc(late.outTradeNo)
      .update({
        data: {
          fulfilment: {
            state: 'RECEIVED',
            parcels: [],
            shippedAtMs: Date.now() - 20 * DAY,
            receivedAtMs: Date.now() - 8 * DAY,
            completedAtMs: null,
            completeAtMs: null,
          },
        },
      });
    const opts = await stack.as(SHOPPER).ok('order', 'refundRequestOptions', { outTradeNo: late.outTradeNo });
    expect(opts).toMatchObject({ canRequest: false, refusal: 'window-closed', kind: null });
    expect(
      await stack.as(SHOPPER).call('order', 'requestRefund', { ...base, outTradeNo: late.outTradeNo }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND_REQUEST.WINDOW_CLOSED' } });
  });

  describe('a shopper calling any staff refund-request action is refused', () => {
    const staffOnly = API_ACTIONS.staff.filter((a) =>
      [
        'listRefundRequests',
        'getRefundRequest',
        'approveRefundRequest',
        'rejectRefundRequest',
        'markReturnReceived',
      ].includes(a),
    );
    it('covers the five actions', () => expect(staffOnly).toHaveLength(5));

    it.each([
      ['listRefundRequests', {}],
      ['getRefundRequest', {}],
      ['approveRefundRequest', {}],
      ['rejectRefundRequest', { reason: '不行' }],
      ['markReturnReceived', {}],
    ] as const)('%s → AUTH.FORBIDDEN, nothing changed', async (action, extra) => {
      const order = await paidOrder();
      const req = await ask(order.outTradeNo, 100);
      const r = await stack.gateway.callEvent(
        'staff',
        { action, requestId: req.requestId, ...extra },
        SHOPPER,
      );
      expect(r).toMatchObject({ ok: false, error: { code: 'AUTH.FORBIDDEN' } });
      expect((await adminGet(stack, 'refund_requests', req.requestId))!).toMatchObject({
        state: 'PENDING',
        version: 1,
      });
    });
  });
});
