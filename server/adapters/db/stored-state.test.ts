// States read back from the database are checked with the domain's guards (parseOrderState, parseRefundStatus): a
// document whose status is not one the state machines know fails loudly instead of driving a transition.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import { isDomainError } from '../../domain/errors';
import type { CloudDb } from './cloud-db';
import { Collections } from './collections';
import { DbOrderStore } from './order.repository';
import { DbRefundStore } from './refund.repository';

const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let db: CloudDb;

beforeEach(async () => {
  tmp = tempDir('stored-state-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS);
  db = t.db as unknown as CloudDb;
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isDomainError(e, code)).toBe(true);
}

describe('state checks on reading back', () => {
  it('an order document with an unknown status is refused (ORDER.UNKNOWN_STATE); a known one reads', async () => {
    const orders = db.collection(Collections.orders);
    await orders.add({
      data: {
        _id: 'O1',
        openid: 'o-a',
        clientRequestKey: 'k-1',
        paymentKey: 'unpaid:O1',
        status: 'PAID',
        version: 1,
      },
    });
    await orders.add({
      data: {
        _id: 'O2',
        openid: 'o-a',
        clientRequestKey: 'k-2',
        paymentKey: 'unpaid:O2',
        status: 'SHIPPED_TO_MARS',
        version: 1,
      },
    });
    const store = new DbOrderStore(db);
    expect((await store.get('O1'))?.status).toBe('PAID');
    await expectCode(store.get('O2'), 'ORDER.UNKNOWN_STATE');
  });

  it('a refund document with an unknown status is refused (REFUND.UNKNOWN_STATUS); a known one reads', async () => {
    const refunds = db.collection(Collections.refunds);
    await refunds.add({
      data: { _id: 'R1', outTradeNo: 'O1', requestKey: 'rk-1', status: 'SUCCESS', version: 1 },
    });
    await refunds.add({
      data: { _id: 'R2', outTradeNo: 'O1', requestKey: 'rk-2', status: 'success', version: 1 },
    });
    const store = new DbRefundStore(db);
    expect((await store.get('R1'))?.status).toBe('SUCCESS');
    await expectCode(store.get('R2'), 'REFUND.UNKNOWN_STATUS');
    await expectCode(store.listByOrder('O1'), 'REFUND.UNKNOWN_STATUS');
  });
});
