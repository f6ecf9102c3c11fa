// Service-provider (partner) mode end to end: the same functions, configured as a service provider acting for a
// sub-merchant, against the simulator's partner endpoints — in the WeChat Pay public key mode.
import { createVerify, X509Certificate } from 'node:crypto';
import {
  deliveredNotification,
  placeOrder,
  useTestStack,
  waitForRefund,
  waitForStatus,
} from '../support/stack';

const SHOPPER = 'o-dave-00004';
const ADMIN = 'o-dev-admin';

describe('partner (service provider) mode', () => {
  const stack = useTestStack({ mode: 'partner' });
  beforeAll(async () => {
    await stack.sim.control.setKeyMode('partner', 'publicKey');
  });

  it('pays through the partner endpoints and signs requestPayment for the sub-merchant app', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    const start = await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const p = stack.sim.identity.partner;
    const simOrder = await stack.sim.control.order(order.outTradeNo);
    expect(simOrder).toMatchObject({
      mode: 'partner',
      mchid: p.spMchid,
      subMchid: p.subMchid,
      totalFen: 6800,
    });
    const rp = start.requestPayment;
    const key = new X509Certificate(p.merchantCertificatePem).publicKey;
    const signed = (appId: string) =>
      createVerify('RSA-SHA256')
        .update(`${appId}\n${rp.timeStamp}\n${rp.nonceStr}\n${rp.package}\n`)
        .verify(key, rp.paySign, 'base64');
    expect(signed(p.subAppid)).toBe(true);
    expect(signed(p.spAppid)).toBe(false);

    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    const note = await deliveredNotification(stack, order.outTradeNo);
    expect(note.attempts[0]!.signedWith).toMatch(/^PUB_KEY_ID_/);

    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 6800,
      requestKey: 'partner-refund-1',
    });
    await stack.sim.control.setRefundOutcome(refund.outRefundNo, 'SUCCESS', { now: true });
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'REFUNDED');
    expect((await waitForRefund(stack, refund.outRefundNo, 'SUCCESS')).status).toBe('SUCCESS');
  });

  it('during the certificate → public key switch, callbacks signed by either key are accepted', async () => {
    await stack.sim.control.setKeyMode('partner', 'switching');
    await stack.sim.control.updateSettings({ switchingPublicKeyShare: 0.5 });
    const signers = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
      await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
      await stack.sim.control.pay(order.outTradeNo);
      await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
      const note = await deliveredNotification(stack, order.outTradeNo);
      signers.add(note.attempts[0]!.signedWith.startsWith('PUB_KEY_ID_') ? 'publicKey' : 'certificate');
      if (signers.size === 2) break;
    }
    expect(signers).toEqual(new Set(['publicKey', 'certificate']));
  });
});
