// A refund our own WeChat Pay adapter refuses before sending (INVALID_ARGUMENT) is not a refusal by WeChat: it stays
// recorded and unsubmitted with its amount reserved, and the order never becomes REFUND_FAILED for it. A refusal
// WeChat itself answered still closes the refund. Real payment core on devcloud's durable database.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import type { CoreDeps } from '../../application/core.deps';
import type { OrderRecord } from '../../application/order.model';
import { ProviderError, ProviderErrorCodes } from '../../application/ports/payment-provider.errors';
import type { PaymentProvider } from '../../application/ports/payment-provider.port';
import { RefundService } from '../../application/refund.service';
import type { Fen } from '../../domain/money';
import type { CloudDb } from '../db/cloud-db';
import { DbOrderStore } from '../db/order.repository';
import { DbRefundStore } from '../db/refund.repository';
import { DemoPaymentProvider } from '../payment/demo/demo.provider';
import { storedOrder, testCoreDeps } from './core.testkit';

const T0 = Date.UTC(2026, 2, 1, 2, 0, 0);
const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let db: CloudDb;
let seq = 0;

/** The demo provider, except that createRefund fails with `error` (as the WeChat adapter can). */
function refusingProvider(error: ProviderError): PaymentProvider {
  const demo = new DemoPaymentProvider(
    db,
    () => T0,
    () => `r${++seq}`.padStart(16, '0'),
  );
  return Object.assign(Object.create(demo) as DemoPaymentProvider, {
    createRefund: () => Promise.reject(error),
  });
}

function core(provider: PaymentProvider): CoreDeps {
  return testCoreDeps({ db, provider, nowMs: () => T0 });
}

async function paidOrder(outTradeNo: string): Promise<OrderRecord> {
  const order = storedOrder(outTradeNo, T0, {
    status: 'PAID',
    payment: {
      transactionId: `T${outTradeNo}`,
      paidFen: 1200 as Fen,
      successTimeMs: T0,
      source: 'demo',
      appliedAtMs: T0,
    },
  });
  expect(await new DbOrderStore(db).insert(order)).toBe('created');
  return order;
}

beforeEach(async () => {
  tmp = tempDir('refund-refusal-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS, { now: () => T0 });
  db = t.db as unknown as CloudDb;
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

const request = (outTradeNo: string) => ({
  outTradeNo,
  amountFen: 500,
  reason: '商家退款',
  requestedBy: 'o-admin',
  requestKey: 'refund-key-0001',
});

describe('a refund our adapter refuses locally', () => {
  it('stays recorded and unsubmitted, amount reserved; the order is not REFUND_FAILED', async () => {
    await paidOrder('O20260301R0001');
    const local = new ProviderError(
      ProviderErrorCodes.INVALID_ARGUMENT,
      'createRefund: reason must be a string of 1–80 characters',
      'fatal',
    );
    const refund = await new RefundService(core(refusingProvider(local))).requestRefund(
      request('O20260301R0001'),
    );
    expect(refund).toMatchObject({ status: 'PROCESSING', submitted: false, failure: null });
    expect(await new DbRefundStore(db).get(refund.outRefundNo)).toMatchObject({
      status: 'PROCESSING',
      submitted: false,
    });
    expect(await new DbOrderStore(db).get('O20260301R0001')).toMatchObject({
      status: 'REFUND_PROCESSING',
      refundReservedFen: 500,
    });
  });

  it('whereas a refusal WeChat answered closes the refund and frees its amount', async () => {
    await paidOrder('O20260301R0002');
    const wechat = new ProviderError('NOT_ENOUGH', 'createRefund: 403 NOT_ENOUGH', 'fatal', {
      httpStatus: 403,
    });
    const refund = await new RefundService(core(refusingProvider(wechat))).requestRefund(
      request('O20260301R0002'),
    );
    expect(refund).toMatchObject({ status: 'CLOSED', failure: 'refused by the provider: NOT_ENOUGH' });
    expect(await new DbOrderStore(db).get('O20260301R0002')).toMatchObject({
      status: 'REFUND_FAILED',
      refundReservedFen: 0,
    });
  });
});
