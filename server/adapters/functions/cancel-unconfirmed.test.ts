// order.cancel inside WeChat's close guard when WeChat reports the payment in progress (USERPAYING): the simulator
// never produces that state, so a provider answering it stands in. The cancel is refused and nothing is written.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import { CheckoutService } from '../../application/checkout.service';
import type { OrderRecord } from '../../application/order.model';
import type { PaymentQueryResult, PaymentState } from '../../application/ports/payment-provider.port';
import type { CloudDb } from '../db/cloud-db';
import { DbOrderStore } from '../db/order.repository';
import { DemoPaymentProvider } from '../payment/demo/demo.provider';
import { paymentsFor, storedOrder, testCoreDeps } from './core.testkit';

const OPENID = 'o_shopper_0001';
const T0 = Date.UTC(2026, 2, 1, 2, 0, 0);
const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let db: CloudDb;

beforeEach(async () => {
  tmp = tempDir('cancel-unconfirmed-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS, { now: () => T0 });
  db = t.db as unknown as CloudDb;
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

/** A checkout whose provider answers every query with `state`, one minute after the prepay (inside the guard). */
async function cancelWhileWeChatSays(state: PaymentState) {
  const real = new DemoPaymentProvider(
    db,
    () => T0,
    () => '0000000000000001',
  );
  const provider = Object.assign(Object.create(real) as DemoPaymentProvider, {
    queryPayment: async (outTradeNo: string): Promise<PaymentQueryResult> => ({
      kind: 'found',
      transaction: { outTradeNo, state } as never,
    }),
  });
  const d = testCoreDeps({ db, provider, nowMs: () => T0 + 60_000 });
  const order: OrderRecord = storedOrder('O20260301A0001', T0, {
    openid: OPENID,
    prepay: {
      prepayId: 'wx-prepay-1',
      expiresAtMs: T0 + 2 * 3600_000,
      requestPayment: {} as never,
      createdAtMs: T0,
    },
  });
  expect(await new DbOrderStore(db).insert(order)).toBe('created');
  const outcome = await new CheckoutService(d, paymentsFor(d)).cancel(OPENID, order.outTradeNo).then(
    (v) => ({ ok: true as const, status: v.status }),
    (e: { code?: string }) => ({ ok: false as const, code: e.code }),
  );
  return { outcome, stored: await new DbOrderStore(db).get(order.outTradeNo) };
}

describe('order.cancel inside the close guard', () => {
  it('is refused with ORDER.PAYMENT_UNCONFIRMED while WeChat reports USERPAYING, nothing written', async () => {
    const { outcome, stored } = await cancelWhileWeChatSays('USERPAYING');
    expect(outcome).toEqual({ ok: false, code: 'ORDER.PAYMENT_UNCONFIRMED' });
    expect(stored).toMatchObject({
      status: 'AWAITING_PAYMENT',
      version: 1,
      stockReleased: false,
      closedAtMs: null,
    });
  });

  it('goes ahead when WeChat reports NOTPAY (its close left to the close job)', async () => {
    const { outcome, stored } = await cancelWhileWeChatSays('NOTPAY');
    expect(outcome).toEqual({ ok: true, status: 'CLOSED_BY_USER' });
    expect(stored).toMatchObject({ status: 'CLOSED_BY_USER', providerClose: 'pending' });
  });
});
