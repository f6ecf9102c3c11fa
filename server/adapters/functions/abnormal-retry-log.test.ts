// When WeChat refuses to retry an ABNORMAL refund, staff's error is only as good as the log: it names WeChat's code
// and message, and never the card number or the holder's name. Real payment core on devcloud's durable database.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import { AbnormalRefundService } from '../../application/abnormal-refund.service';
import { RefundService } from '../../application/refund.service';
import type { RefundDoc } from '../../application/order.model';
import { queuedAt } from '../../application/job-queue';
import { ProviderError } from '../../application/ports/payment-provider.errors';
import type { PaymentProvider } from '../../application/ports/payment-provider.port';
import type { Fen } from '../../domain/money';
import type { CloudDb } from '../db/cloud-db';
import { DbOrderStore } from '../db/order.repository';
import { toDoc } from '../db/records';
import { DemoPaymentProvider } from '../payment/demo/demo.provider';
import { storedOrder, testCoreDeps } from './core.testkit';

const T0 = Date.UTC(2026, 2, 1, 2, 0, 0);
const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;
const CARD = '6222020200112233445';
const NAME = '张三丰';

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let db: CloudDb;

beforeEach(async () => {
  tmp = tempDir('abnormal-log-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS, { now: () => T0 });
  db = t.db as unknown as CloudDb;
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

it('a refused abnormal retry logs WeChat’s code and message, never the card fields', async () => {
  const outTradeNo = 'O20260301A0001';
  const outRefundNo = 'R20260301A0001';
  await new DbOrderStore(db).insert(
    storedOrder(outTradeNo, T0, {
      status: 'REFUND_FAILED',
      refundReservedFen: 1200 as Fen,
      payment: {
        transactionId: 'T1',
        paidFen: 1200 as Fen,
        successTimeMs: T0,
        source: 'demo',
        appliedAtMs: T0,
      },
    }),
  );
  const refund: RefundDoc = {
    outRefundNo,
    outTradeNo,
    requestKey: `${outTradeNo}:k1`,
    amountFen: 1200 as Fen,
    status: 'ABNORMAL',
    reason: '退款',
    requestedBy: 'o-admin',
    refundId: 'RID1',
    createdAtMs: T0,
    updatedAtMs: T0,
    successTimeMs: null,
    submitted: true,
    failure: null,
    version: 1,
    followUp: queuedAt(T0 + 60_000),
  };
  await db.collection('refunds').add({ data: toDoc(refund, 'outRefundNo') });
  const demo = new DemoPaymentProvider(
    db,
    () => T0,
    () => 'n'.repeat(16),
  );
  const refusal = new ProviderError('INVALID_REQUEST', '该银行卡暂不支持异常退款', 'fatal', {
    httpStatus: 400,
    requestId: 'REQ-1',
    operation: 'applyAbnormalRefund',
  });
  const provider: PaymentProvider = Object.assign(Object.create(demo) as DemoPaymentProvider, {
    queryRefund: () =>
      Promise.resolve({
        kind: 'found' as const,
        refund: {
          outTradeNo,
          outRefundNo,
          refundId: 'RID1',
          status: 'ABNORMAL' as const,
          refundFen: 1200 as Fen,
          paidFen: 1200 as Fen,
        },
      }),
    applyAbnormalRefund: () => Promise.reject(refusal),
  });
  const lines: { level: string; event: string; fields: Record<string, unknown> | undefined }[] = [];
  const log = {
    info: (event: string, fields?: Record<string, unknown>) => lines.push({ level: 'info', event, fields }),
    warn: (event: string, fields?: Record<string, unknown>) => lines.push({ level: 'warn', event, fields }),
    error: (event: string, fields?: Record<string, unknown>) => lines.push({ level: 'error', event, fields }),
  };
  const core = testCoreDeps({ db, provider, nowMs: () => T0, log });
  const service = new AbnormalRefundService(core, new RefundService(core));
  await expect(
    service.retryAbnormal({
      outRefundNo,
      type: 'USER_BANK_CARD',
      bankType: 'ICBC_DEBIT',
      bankAccount: CARD,
      realName: NAME,
      requestedBy: 'o-admin',
    }),
  ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  expect(lines).toContainEqual({
    level: 'error',
    event: 'refund.abnormal_retry_failed',
    fields: expect.objectContaining({
      outRefundNo,
      code: 'INVALID_REQUEST',
      message: '该银行卡暂不支持异常退款',
      httpStatus: 400,
      requestId: 'REQ-1',
    }),
  });
  const logged = JSON.stringify(lines);
  expect(logged).not.toContain(CARD);
  expect(logged).not.toContain(CARD.slice(-8));
  expect(logged).not.toContain(NAME);
});
