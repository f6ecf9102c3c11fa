// More than a batch of orders whose pending WeChat close became moot (they were paid after an early cancel) must not
// fill every close run: they settle without a WeChat call and leave the queue, so a new cancel is closed at WeChat on
// the next run. Real order repository on the local database; the provider counts its calls.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../devcloud/test-support/temp';
import type { CloudDb } from '../server/adapters/db/cloud-db';
import { DbOrderStore } from '../server/adapters/db/order.repository';
import type { CoreDeps } from '../server/application/core.deps';
import { queuedAt } from '../server/application/job-queue';
import { JOB_BATCH } from '../server/application/jobs.service';
import { buildJobs } from '../server/composition';
import type { OrderRecord } from '../server/application/order.model';

const NOW = Date.parse('2026-11-30T08:00:00Z');
const MINUTE = 60_000;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;

beforeAll(async () => {
  tmp = tempDir('wxshop-close-queue-');
  const { collections } = loadCollectionsConfig(join(__dirname, '..', 'data', 'collections.json'));
  t = await openTestDb(tmp.dir, collections);
});
afterAll(async () => {
  await t.close();
  tmp.cleanup();
});

function order(n: number, status: OrderRecord['status'], cancelledAtMs: number): OrderRecord {
  const prepayAt = cancelledAtMs - MINUTE;
  return {
    outTradeNo: `O2026113000${String(n).padStart(6, '0')}`,
    openid: 'o-shopper',
    clientRequestKey: `k-${n}`,
    status,
    version: 3,
    lines: [],
    totalFen: 100,
    payableFen: 100,
    isTestOrder: false,
    simulated: false,
    providerId: 'wechatpay-v3',
    description: 'tea',
    createdAtMs: prepayAt - MINUTE,
    expiresAtMs: prepayAt + 29 * MINUTE,
    updatedAtMs: cancelledAtMs,
    prepay: {
      prepayId: `wx${n}`,
      expiresAtMs: prepayAt + 29 * MINUTE,
      requestPayment: {
        timeStamp: '0',
        nonceStr: 'n',
        package: `prepay_id=wx${n}`,
        signType: 'RSA',
        paySign: 's',
      },
      createdAtMs: prepayAt,
    },
    payment:
      status === 'CLOSED_BY_USER'
        ? null
        : {
            transactionId: `42000${n}`,
            paidFen: 100,
            successTimeMs: cancelledAtMs + 1000,
            source: 'notification',
            appliedAtMs: cancelledAtMs + 1000,
          },
    refundReservedFen: status === 'CLOSED_BY_USER' ? 0 : 100,
    refundedFen: 0,
    closedAtMs: cancelledAtMs,
    providerClose: 'pending',
    stockReleased: true,
    // Due when WeChat's 5-minute guard, counted from the prepay, has passed.
    closeJob: queuedAt(prepayAt + 5 * MINUTE),
    syncJob: queuedAt(prepayAt + 2 * MINUTE),
  } as unknown as OrderRecord;
}

it(`more than ${JOB_BATCH} paid-after-cancel orders settle without WeChat calls and do not starve a new cancel`, async () => {
  const orders = new DbOrderStore(t.db as unknown as CloudDb);
  // 60 orders cancelled inside the guard, then paid anyway (auto-refund under way), all due before the new cancel.
  for (let n = 0; n < 60; n++) {
    expect(await orders.insert(order(n, 'REFUND_PROCESSING', NOW - 60 * MINUTE + n * 1000))).toBe('created');
  }
  const fresh = order(999, 'CLOSED_BY_USER', NOW - 10 * MINUTE);
  expect(await orders.insert(fresh)).toBe('created');

  const calls: string[] = [];
  const provider = {
    closePayment: (no: string) => {
      calls.push(`close ${no}`);
      return Promise.resolve({ outcome: 'closed' });
    },
    queryPayment: (no: string) => {
      calls.push(`query ${no}`);
      return Promise.resolve({ kind: 'not-found', outTradeNo: no });
    },
  };
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const deps = {
    orders,
    // No crashed checkouts here: the close run's hold sweep finds nothing.
    stock: { listHolds: () => Promise.resolve([]) },
    provider,
    clock: { now: () => NOW },
    metrics: { increment: () => Promise.resolve() },
    log: silent,
    policy: { closeGuardMs: 5 * MINUTE },
  } as unknown as CoreDeps;
  const jobs = buildJobs(deps);

  const first = await jobs.closeExpired();
  expect(first).toMatchObject({ settled: JOB_BATCH, providerClosed: 0, errors: 0 });
  expect(calls).toEqual([]);
  const second = await jobs.closeExpired();
  expect(second).toMatchObject({ settled: 60 - JOB_BATCH, providerClosed: 1, errors: 0 });
  expect(calls).toEqual([`close ${fresh.outTradeNo}`]);
  expect((await orders.get(fresh.outTradeNo))!).toMatchObject({
    providerClose: 'closed',
    closeJob: { state: 'settled' },
  });
  // Nothing is due any more: a run reads the queue and calls nobody.
  expect(await jobs.closeExpired()).toMatchObject({ settled: 0, providerClosed: 0, errors: 0 });
  expect(calls).toHaveLength(1);
});
