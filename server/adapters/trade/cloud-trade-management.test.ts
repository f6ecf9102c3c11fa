// CloudTradeManagement against the local cloud's emulation of the cloud calls (devcloud/trade over a real simulator):
// the port's request passes through, get_order's answer is read into TradeOrderInfo, refusals and failed cloud calls
// become TradeManagementError with WeChat's code (or -1 when nothing came back).
import { startTradeFixture, type PaidPayment, type TradeFixture } from '../../../devcloud/test-support/trade';
import {
  TradeErrcodes,
  TradeManagementError,
  type UploadShippingInfoRequest,
} from '../../application/ports/trade-management.port';
import { CloudTradeManagement, getOrderBody } from './cloud-trade-management';

let f: TradeFixture;
let tick = 0;

beforeAll(async () => {
  f = await startTradeFixture();
}, 30_000);
afterAll(async () => {
  await f.dispose();
});
afterEach(() => f.trade.clearFaults());

const ALL = new Set([
  'wxa.sec.order.uploadShippingInfo',
  'wxa.sec.order.getOrder',
  'wxa.sec.order.isTradeManaged',
]);
const adapter = (allowed: ReadonlySet<string> = ALL) =>
  new CloudTradeManagement({ openapi: f.trade.sdkFacade(allowed), appid: f.appid });

function request(p: PaidPayment, over: Partial<UploadShippingInfoRequest> = {}): UploadShippingInfoRequest {
  tick += 1;
  return {
    order_key: { order_number_type: 2, transaction_id: p.transactionId },
    logistics_type: 1,
    delivery_mode: 1,
    shipping_list: [
      {
        tracking_no: `SF${tick}`,
        express_company: 'SF',
        item_desc: '碧螺春 ×2',
        contact: { receiver_contact: '138****0000' },
      },
    ],
    upload_time: new Date(Date.UTC(2026, 11, 7, 0, 0, tick)).toISOString(),
    payer: { openid: p.payer },
    ...over,
  };
}

async function refusal(p: Promise<unknown>): Promise<TradeManagementError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TradeManagementError) return e;
    throw e;
  }
  throw new Error('expected a TradeManagementError');
}

it('answers is_trade_managed for its appid, following the switch', async () => {
  expect(await adapter().isTradeManaged()).toBe(true);
  await f.trade.setManaged(false);
  try {
    expect(await adapter().isTradeManaged()).toBe(false);
  } finally {
    await f.trade.setManaged(true);
  }
  const other = new CloudTradeManagement({ openapi: f.trade.sdkFacade(ALL), appid: 'wx0000000000000001' });
  expect((await refusal(other.isTradeManaged())).errcode).toBe(40013);
});

it('uploads, then reads the payment back by either key (state, upload count, payer)', async () => {
  const p = await f.paid('o-adapter-payer');
  const t = adapter();
  expect(await t.getOrder({ order_number_type: 2, transaction_id: p.transactionId })).toEqual({
    orderState: 1,
    transactionId: p.transactionId,
    uploadCount: 0,
    payerOpenid: 'o-adapter-payer',
  });
  await t.uploadShippingInfo(request(p));
  const byMerchant = await t.getOrder({ order_number_type: 1, mchid: p.mchid, out_trade_no: p.outTradeNo });
  expect(byMerchant).toEqual({
    orderState: 2,
    transactionId: p.transactionId,
    uploadCount: 1,
    payerOpenid: 'o-adapter-payer',
  });
  // What reached "WeChat" is the port's body, unchanged.
  const [entry] = await f.trade.log(2).then((l) => l.filter((e) => e.method === 'uploadShippingInfo'));
  expect(entry?.body).toMatchObject({
    order_key: { transaction_id: p.transactionId },
    payer: { openid: 'o-adapter-payer' },
  });
});

it("maps WeChat's refusals to TradeManagementError with the errcode the core decides on", async () => {
  const t = adapter();
  const p = await f.paid('o-payer-a');
  const notPayer = await refusal(t.uploadShippingInfo(request(p, { payer: { openid: 'o-other' } })));
  expect(notPayer).toMatchObject({ errcode: TradeErrcodes.NOT_PAYER, operation: 'uploadShippingInfo' });
  await t.uploadShippingInfo(request(p));
  await t.uploadShippingInfo(request(p));
  expect((await refusal(t.uploadShippingInfo(request(p)))).errcode).toBe(TradeErrcodes.REUPLOAD_USED_UP);
  const unknown = { order_number_type: 2 as const, transaction_id: '4200000000000000000000000001' };
  expect((await refusal(t.getOrder(unknown))).errcode).toBe(TradeErrcodes.ORDER_NOT_FOUND);
  const refunded = await f.paid();
  await f.refund(refunded, 500);
  expect((await refusal(t.uploadShippingInfo(request(refunded)))).errcode).toBe(TradeErrcodes.NOT_SHIPPABLE);
  expect(
    (await t.getOrder({ order_number_type: 2, transaction_id: refunded.transactionId })).orderState,
  ).toBe(5);
});

it('maps a rejected cloud call: its errCode (-604101 permission not effective yet), or -1 without one', async () => {
  const p = await f.paid();
  const noPermission = await refusal(
    adapter(new Set(['wxa.sec.order.getOrder'])).uploadShippingInfo(request(p)),
  );
  expect(noPermission.errcode).toBe(-604101);
  f.trade.injectFault({ method: 'getOrder', kind: 'throw', errcode: -501001, errmsg: 'network' });
  expect(
    (await refusal(adapter().getOrder({ order_number_type: 2, transaction_id: p.transactionId }))).errcode,
  ).toBe(-501001);
  f.trade.injectFault({ method: 'uploadShippingInfo', count: 1, errcode: 10060001 });
  expect((await refusal(adapter().uploadShippingInfo(request(p)))).errcode).toBe(
    TradeErrcodes.ORDER_NOT_FOUND,
  );
  // Nothing came back at all: a plain Error (a timeout), an openapi without the method.
  const broken = new CloudTradeManagement({
    openapi: { wxa: { sec: { order: { getOrder: () => Promise.reject(new Error('socket hang up')) } } } },
    appid: f.appid,
  });
  const lost = await refusal(broken.getOrder({ order_number_type: 2, transaction_id: p.transactionId }));
  expect(lost).toMatchObject({ errcode: TradeErrcodes.NO_ANSWER, errmsg: 'socket hang up' });
  expect((await refusal(broken.isTradeManaged())).errcode).toBe(TradeErrcodes.NO_ANSWER);
  // The upload went through after the fault.
  await adapter().uploadShippingInfo(request(p));
  expect(
    (await adapter().getOrder({ order_number_type: 2, transaction_id: p.transactionId })).uploadCount,
  ).toBe(1);
});

it('builds get_order bodies with the flat key fields', () => {
  expect(getOrderBody({ order_number_type: 2, transaction_id: 'T' })).toEqual({ transaction_id: 'T' });
  expect(getOrderBody({ order_number_type: 1, mchid: 'M', out_trade_no: 'O' })).toEqual({
    merchant_id: 'M',
    merchant_trade_no: 'O',
  });
});
