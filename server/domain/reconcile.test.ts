import fc from 'fast-check';
import { DomainError, ErrorCodes } from './errors';
import type { Fen } from './money';
import { fen, parseYuan } from './money';
import type { OrderState, RefundStatus } from './order-state';
import type { BillRow, LocalOrderRecord, LocalRefundRecord } from './reconcile';
import { reconcile } from './reconcile';

const order = (
  outTradeNo: string,
  payable: number,
  state: OrderState,
  transactionId?: string,
): LocalOrderRecord => ({
  outTradeNo,
  payableFen: fen(payable),
  state,
  ...(transactionId === undefined ? {} : { transactionId }),
});
const pay = (outTradeNo: string, amount: number, transactionId = `T-${outTradeNo}`): BillRow => ({
  outTradeNo,
  transactionId,
  tradeState: 'SUCCESS',
  chargedFen: fen(amount),
});
const refundRow = (
  outTradeNo: string,
  outRefundNo: string,
  amount: number,
  refundStatus = 'SUCCESS',
  // What the bill parser reads the printed word as (bill-parser.test.ts holds the word list).
  refundSnapshot: RefundStatus | undefined = refundStatus === 'SUCCESS' ? 'SUCCESS' : undefined,
): BillRow => ({
  outTradeNo,
  transactionId: `T-${outTradeNo}`,
  tradeState: 'REFUND',
  chargedFen: fen(0),
  outRefundNo,
  refundFen: fen(amount),
  refundStatus,
  ...(refundSnapshot === undefined ? {} : { refundSnapshot }),
});
const localRefund = (
  outTradeNo: string,
  outRefundNo: string,
  amount: number,
  status: LocalRefundRecord['status'] = 'SUCCESS',
): LocalRefundRecord => ({ outTradeNo, outRefundNo, amountFen: fen(amount), status });

describe('reconcile', () => {
  it('reports nothing when both sides agree, and counts the matches and totals', () => {
    const report = reconcile({
      orders: [
        order('O1', 1000, 'PAID', 'T-O1'),
        order('O2', 1, 'REFUNDED'),
        order('O3', 500, 'AWAITING_PAYMENT'),
        order('O4', 700, 'CLOSED_BY_TIMEOUT'),
      ],
      refunds: [localRefund('O2', 'R1', 1)],
      billRows: [pay('O1', 1000), pay('O2', 1), refundRow('O2', 'R1', 1)],
    });
    expect(report.discrepancies).toEqual([]);
    expect(report.matchedPayments).toBe(2);
    expect(report.matchedRefunds).toBe(1);
    expect(report.totals).toEqual({
      billPaymentFen: 1001,
      billRefundFen: 1,
      localPaymentFen: 1001,
      localRefundFen: 1,
    });
  });

  it('MISSING_HERE: WeChat has a payment for an order we do not know', () => {
    const report = reconcile({ orders: [], billRows: [pay('O9', 300)] });
    expect(report.discrepancies).toEqual([
      expect.objectContaining({ kind: 'MISSING_HERE', subject: 'payment', outTradeNo: 'O9', wechatFen: 300 }),
    ]);
    expect(report.matchedPayments).toBe(0);
  });

  it('MISSING_THERE: we think it is paid, the bill has no payment', () => {
    const report = reconcile({ orders: [order('O1', 1000, 'PAID')], billRows: [] });
    expect(report.discrepancies).toEqual([
      expect.objectContaining({
        kind: 'MISSING_THERE',
        subject: 'payment',
        outTradeNo: 'O1',
        localFen: 1000,
      }),
    ]);
  });

  it('AMOUNT_MISMATCH compares with payableFen: a tester order charged its real total is caught', () => {
    const report = reconcile({ orders: [order('O1', 1, 'PAID')], billRows: [pay('O1', 9900)] });
    expect(report.discrepancies).toEqual([
      expect.objectContaining({ kind: 'AMOUNT_MISMATCH', outTradeNo: 'O1', localFen: 1, wechatFen: 9900 }),
    ]);
  });

  it('STATUS_MISMATCH: closed or unpaid here, paid at WeChat — with the action to take', () => {
    const report = reconcile({
      orders: [order('O1', 100, 'CLOSED_BY_USER'), order('O2', 100, 'AWAITING_PAYMENT')],
      billRows: [pay('O1', 100), pay('O2', 100)],
    });
    expect(report.discrepancies).toEqual([
      expect.objectContaining({ kind: 'STATUS_MISMATCH', outTradeNo: 'O1', localState: 'CLOSED_BY_USER' }),
      expect.objectContaining({ kind: 'STATUS_MISMATCH', outTradeNo: 'O2', localState: 'AWAITING_PAYMENT' }),
    ]);
    expect(report.discrepancies[0]?.message).toContain('PAID_AFTER_CLOSE');
    expect(report.discrepancies[1]?.message).toContain('apply the payment');
  });

  it('TRANSACTION_ID_MISMATCH and DUPLICATE_IN_BILL', () => {
    const report = reconcile({
      orders: [order('O1', 100, 'PAID', 'T-other'), order('O2', 100, 'PAID')],
      billRows: [pay('O1', 100), pay('O2', 100), pay('O2', 100, 'T-again')],
    });
    expect(report.discrepancies.map((d) => [d.outTradeNo, d.kind])).toEqual([
      ['O1', 'TRANSACTION_ID_MISMATCH'],
      ['O2', 'DUPLICATE_IN_BILL'],
    ]);
    expect(report.matchedPayments).toBe(0);
  });

  it('an unexpected trade state is reported, not silently counted', () => {
    const revoked: BillRow = { ...pay('O1', 100), tradeState: 'REVOKED' };
    const report = reconcile({ orders: [order('O1', 100, 'AWAITING_PAYMENT')], billRows: [revoked] });
    expect(report.discrepancies).toEqual([
      expect.objectContaining({ kind: 'STATUS_MISMATCH', outTradeNo: 'O1', wechatState: 'REVOKED' }),
    ]);
    expect(report.totals.billPaymentFen).toBe(0);
  });

  it('refunds: missing here, missing there, amount, status (v2 and v3 status words), wrong order', () => {
    const report = reconcile({
      orders: [order('O1', 1000, 'PARTIALLY_REFUNDED'), order('O2', 1000, 'REFUND_PROCESSING')],
      refunds: [
        localRefund('O1', 'R-there', 100),
        localRefund('O1', 'R-amount', 200),
        localRefund('O2', 'R-status', 300, 'PROCESSING'),
        localRefund('O2', 'R-closed', 50, 'CLOSED'),
        localRefund('O2', 'R-order', 10),
        localRefund('O2', 'R-pending-not-in-bill', 10, 'PROCESSING'),
      ],
      billRows: [
        pay('O1', 1000),
        pay('O2', 1000),
        refundRow('O1', 'R-here', 5),
        refundRow('O1', 'R-amount', 250),
        refundRow('O2', 'R-status', 300, 'SUCCESS'),
        refundRow('O2', 'R-closed', 50, 'REFUNDCLOSE', 'CLOSED'),
        refundRow('O1', 'R-order', 10),
      ],
    });
    const seen = report.discrepancies
      .filter((d) => d.subject === 'refund')
      .map((d) => [d.outRefundNo, d.kind]);
    expect(seen).toEqual([
      ['R-amount', 'AMOUNT_MISMATCH'],
      ['R-here', 'MISSING_HERE'],
      ['R-order', 'STATUS_MISMATCH'],
      ['R-there', 'MISSING_THERE'],
      ['R-pending-not-in-bill', 'MISSING_THERE'],
      ['R-status', 'STATUS_MISMATCH'],
    ]);
    expect(report.matchedRefunds).toBe(1);
    expect(report.totals.billRefundFen).toBe(5 + 250 + 300 + 50 + 10);
    expect(report.totals.localRefundFen).toBe(100 + 200 + 300 + 50 + 10 + 10);
  });

  it('a refund status snapshot in the bill is no mismatch when the local status can follow from it', () => {
    const cases: Array<[string, RefundStatus | undefined, LocalRefundRecord['status'], boolean]> = [
      ['PROCESSING', 'PROCESSING', 'SUCCESS', true], // accepted day D, settled D+1
      ['PROCESSING', 'PROCESSING', 'PROCESSING', true],
      ['PROCESSING', 'PROCESSING', 'ABNORMAL', true],
      ['CHANGE', 'ABNORMAL', 'SUCCESS', true], // abnormal, then settled by hand
      ['ABNORMAL', 'ABNORMAL', 'PROCESSING', true], // abnormal, retried
      ['SUCCESS', 'SUCCESS', 'SUCCESS', true],
      ['SUCCESS', 'SUCCESS', 'PROCESSING', false], // we are behind WeChat: the job queries before it compares
      ['SUCCESS', 'SUCCESS', 'CLOSED', false],
      ['REFUNDCLOSE', 'CLOSED', 'SUCCESS', false],
      ['SOMETHING', undefined, 'SUCCESS', false], // a word the parser does not know
    ];
    for (const [word, snapshot, local, fine] of cases) {
      const report = reconcile({
        orders: [order('O1', 1000, 'REFUNDED')],
        refunds: [localRefund('O1', 'R1', 1000, local)],
        billRows: [pay('O1', 1000), refundRow('O1', 'R1', 1000, word, snapshot)],
      });
      expect([word, local, report.discrepancies.map((d) => d.kind)]).toEqual([
        word,
        local,
        fine ? [] : ['STATUS_MISMATCH'],
      ]);
    }
  });

  it('refuses duplicate local ids and refund rows without their refund fields', () => {
    const dupOrders = () =>
      reconcile({ orders: [order('O1', 1, 'PAID'), order('O1', 1, 'PAID')], billRows: [] });
    expect(dupOrders).toThrow(DomainError);
    try {
      dupOrders();
    } catch (e) {
      expect((e as DomainError).code).toBe(ErrorCodes.RECONCILE_INVALID_INPUT);
    }
    const noRefundNo: BillRow = {
      outTradeNo: 'O1',
      transactionId: 'T',
      tradeState: 'REFUND',
      chargedFen: fen(0),
    };
    expect(() => reconcile({ orders: [], billRows: [noRefundNo] })).toThrow('has no outRefundNo');
    const noAmount: BillRow = { ...noRefundNo, outRefundNo: 'R1' };
    expect(() => reconcile({ orders: [], billRows: [noAmount] })).toThrow('has no refundFen');
  });

  it('reads yuan bill amounts through parseYuan without float drift', () => {
    const amountFen = parseYuan('0.07');
    expect(
      reconcile({ orders: [order('O1', 7, 'PAID')], billRows: [pay('O1', amountFen)] }).discrepancies,
    ).toEqual([]);
  });

  it('finds exactly the payments that were tampered with (property)', () => {
    const entry = fc.record({
      amount: fc.integer({ min: 1, max: 100_000 }),
      fate: fc.constantFrom('match', 'amount', 'dropped-there', 'unknown-here', 'unpaid-here'),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), (entries) => {
        const orders: LocalOrderRecord[] = [];
        const billRows: BillRow[] = [];
        const expected: [string, string][] = [];
        entries.forEach(({ amount, fate }, i) => {
          const no = `O${String(i).padStart(4, '0')}`;
          const a: Fen = fen(amount);
          if (fate !== 'unknown-here')
            orders.push(order(no, a, fate === 'unpaid-here' ? 'CLOSED_BY_TIMEOUT' : 'PAID'));
          if (fate !== 'dropped-there') billRows.push(pay(no, fate === 'amount' ? a + 1 : a));
          if (fate === 'amount') expected.push([no, 'AMOUNT_MISMATCH']);
          if (fate === 'dropped-there') expected.push([no, 'MISSING_THERE']);
          if (fate === 'unknown-here') expected.push([no, 'MISSING_HERE']);
          if (fate === 'unpaid-here') expected.push([no, 'STATUS_MISMATCH']);
        });
        const report = reconcile({ orders, billRows: [...billRows].reverse() });
        const got = report.discrepancies.map((d) => [d.outTradeNo, d.kind]);
        return (
          JSON.stringify(got) === JSON.stringify(expected) &&
          report.matchedPayments === entries.filter((e) => e.fate === 'match').length
        );
      }),
    );
  });
});
