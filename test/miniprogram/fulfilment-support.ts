// Helpers of the fulfilment page tests: paid orders with a delivery, shipped by staff and uploaded to the local
// 发货信息管理 the way the server does it (the jobs runner), and the payer's confirmation in WeChat's view.
import type { DeliveryRequest } from '../../typings/contracts/fulfilment';
import { runJob, waitFor, waitForStatus, type TestStack } from '../support/stack';
import { TEST_ADDRESS } from './harness';

/** In the local stack's SHOP_ADMIN_OPENIDS (devcloud/stack/function-env.ts), as in the mini program's identity switch. */
export const STAFF = 'o-dev-staff';

export const EXPRESS: DeliveryRequest = { kind: 'express', address: TEST_ADDRESS };

/** A paid order of `openid` with `delivery`; answers its number and WeChat's transaction id. */
export async function paidOrder(
  stack: TestStack,
  openid: string,
  delivery: DeliveryRequest = EXPRESS,
  remark = '',
  skuId = 'sku-coffee-250g',
): Promise<{ outTradeNo: string; transactionId: string }> {
  await stack.as(openid).ok('shop', 'addToCart', { skuId, quantity: 1 });
  const order = await stack.as(openid).ok('order', 'place', {
    clientRequestKey: `key-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
    delivery,
    ...(remark ? { remark } : {}),
  });
  await stack.as(openid).ok('pay', 'start', { outTradeNo: order.outTradeNo });
  const paid = await stack.sim.control.pay(order.outTradeNo);
  await waitForStatus(stack, openid, order.outTradeNo, 'PAID');
  return { outTradeNo: order.outTradeNo, transactionId: paid.transactionId ?? '' };
}

/** The first carrier the shop configured. */
export async function firstCarrier(stack: TestStack): Promise<{ id: string; name: string }> {
  const me = await stack.as(STAFF).ok('staff', 'me', {});
  const first = me.expressCompanies[0];
  if (!first) throw new Error('the local stack configures no SHOP_EXPRESS_COMPANIES');
  return first;
}

/** Runs the jobs until the order's shipping upload reached WeChat (the local 发货信息管理). */
export async function uploaded(stack: TestStack, outTradeNo: string): Promise<void> {
  await waitFor(`the shipping upload of ${outTradeNo}`, async () => {
    await runJob(stack, 'reconcile');
    const v = await stack.as(STAFF).ok('staff', 'getOrder', { outTradeNo });
    return v.shippingUpload.state === 'uploaded';
  });
}

/** Staff ship the order by the first carrier (the upload to WeChat is queued: see {@link uploaded}). */
export async function shipByStaff(stack: TestStack, outTradeNo: string, trackingNo = `SF${Date.now()}`) {
  const carrier = await firstCarrier(stack);
  await stack.as(STAFF).ok('staff', 'ship', {
    outTradeNo,
    parcels: [{ expressCompany: carrier.id, trackingNo }],
  });
  return { trackingNo, carrier };
}

/** The payer confirms in WeChat's view (the local 发货信息管理's loopback route). */
export async function payerConfirms(stack: TestStack, extraData: object, openid: string): Promise<number> {
  const res = await fetch(`${stack.gatewayUrl}/_devcloud/trade/confirm-receipt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...extraData, openid }),
  });
  return res.status;
}
