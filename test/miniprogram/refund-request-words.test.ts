// The refund request's words and the yuan the shopper types (miniprogram/utils/refund-request.ts): plain unit tests.
import type { RefundRequestView } from '../../typings/contracts/refund-request';
import { asksToContact, errorText } from '../../miniprogram/utils/errors';
import { PROGRESS_TEXT, refundRequestVM, yuanTextToFen } from '../../miniprogram/utils/refund-request';

describe('yuan typed → integer fen', () => {
  it.each([
    ['12', 1200],
    ['12.5', 1250],
    ['12.50', 1250],
    [' 0.01 ', 1],
    ['0.1', 10],
    ['19.99', 1999],
    ['12.', 1200],
  ])('%p → %p', (text, fen) => expect(yuanTextToFen(text)).toBe(fen));

  it.each(['', '0', '0.00', '1.234', '-1', '1e2', 'abc', '.5', '1,5', '12345678'])('%p is refused', (text) =>
    expect(yuanTextToFen(text)).toBeNull(),
  );
});

describe('a request in the shopper’s words', () => {
  const base: RefundRequestView = {
    requestId: 'RR20261207000000000abcdefghij',
    outTradeNo: 'O1',
    kind: 'refund',
    amountFen: 1250,
    reasonCode: '质量问题',
    reasonText: '',
    state: 'PENDING',
    progress: 'PENDING',
    rejectReason: null,
    outRefundNo: null,
    createdAtMs: 0,
    updatedAtMs: 0,
    decidedAtMs: null,
    canWithdraw: true,
  };

  it('every progress has its own words', () => {
    const labels = Object.values(PROGRESS_TEXT).map((p) => p.label);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('a rejection carries its reason; an agreed return tells the shopper to send the goods back', () => {
    expect(
      refundRequestVM({ ...base, state: 'REJECTED', progress: 'REJECTED', rejectReason: '已使用' }).label,
    ).toBe('已拒绝：已使用');
    const back = refundRequestVM({
      ...base,
      kind: 'return-refund',
      state: 'AWAITING_RETURN',
      progress: 'AWAITING_RETURN',
    });
    expect(back.label).toBe('待寄回');
    expect(back.hint).toContain('寄回');
    expect(refundRequestVM({ ...base, reasonText: '破了' }).reason).toBe('质量问题：破了');
    expect(refundRequestVM(base).amountText).toBe('12.50');
  });

  it('texts that send the shopper to the shop are recognised (联系客服 goes next to them)', () => {
    expect(asksToContact(errorText({ code: 'REFUND.LEDGER_INCONSISTENT' }))).toBe(true);
    expect(asksToContact(errorText({ code: 'REFUND_REQUEST.WINDOW_CLOSED' }))).toBe(true);
    expect(asksToContact(errorText({ code: 'ORDER.NOT_FOUND' }))).toBe(false);
  });
});
