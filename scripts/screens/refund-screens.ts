// Screens of refund requests (docs/adr/0011): the request page, the order page with a request waiting, and the staff
// review list and detail — driven with fixture answers like the other screens (capture.ts).
import type { OrderView, RefundView } from '../../typings/contracts/order';
import type {
  RefundRequestOptionsView,
  RefundRequestView,
  StaffRefundRequestView,
} from '../../typings/contracts/refund-request';
import type { Screen } from './capture';
import { EXPRESS_COMPANIES, PICKUP_POINT, SERVER_NOW_MS, ok, order, shipped, staffOrder } from './fixtures';
import type { FixtureBackend } from './fixtures';

const REASONS = ['不想要了', '拍错/多拍', '商品与描述不符', '质量问题', '少件/漏发', '其他'];

function request(o: OrderView, r: Partial<RefundRequestView> = {}): RefundRequestView {
  return {
    requestId: `RR20261130${o.outTradeNo.slice(-8)}aBcDeFgHiJ`,
    outTradeNo: o.outTradeNo,
    kind: 'refund',
    amountFen: o.payableFen,
    reasonCode: '拍错/多拍',
    reasonText: '规格选错了，想换 500g 的',
    state: 'PENDING',
    progress: 'PENDING',
    rejectReason: null,
    outRefundNo: null,
    createdAtMs: SERVER_NOW_MS - 95 * 60_000,
    updatedAtMs: SERVER_NOW_MS - 95 * 60_000,
    decidedAtMs: null,
    canWithdraw: true,
    ...r,
  };
}

function options(o: OrderView, latest: RefundRequestView | null): RefundRequestOptionsView {
  const open = latest !== null && latest.canWithdraw;
  return {
    latest,
    canRequest: !open,
    refusal: open ? 'already-open' : null,
    maxFen: o.payableFen - o.refundedFen,
    reasons: REASONS,
    kind: open ? null : 'refund',
    windowEndsAtMs: null,
  };
}

function backend(
  o: OrderView,
  latest: RefundRequestView | null,
  staff: { list: RefundRequestView[]; review: StaffRefundRequestView } | null = null,
): FixtureBackend {
  return (name, data) => {
    const action = data['action'];
    if (name === 'order' && action === 'get') return ok(o);
    if (name === 'order' && action === 'refundRequestOptions') return ok(options(o, latest));
    if (name === 'staff' && action === 'me')
      return ok({ isStaff: true, expressCompanies: EXPRESS_COMPANIES, pickupPoint: PICKUP_POINT });
    if (staff && name === 'staff' && action === 'listRefundRequests')
      return ok(data['afterCreatedAtMs'] === undefined ? staff.list : []);
    if (staff && name === 'staff' && action === 'getRefundRequest') return ok(staff.review);
    return {
      ok: false,
      error: { code: 'FIXTURE.NONE', message: `no fixture for ${name}.${String(action)}` },
    };
  };
}

/** The refund-request screens, in README order. */
export function refundRequestScreens(): Screen[] {
  const paid = order('PAID', { minutesAgo: 60 * 3 });
  const pending = request(paid);
  const waiting = shipped(order('PAID', { minutesAgo: 60 * 52 }), 30);
  const aReturn = request(waiting, {
    kind: 'return-refund',
    amountFen: 6800,
    reasonCode: '质量问题',
    reasonText: '包装破损，咖啡豆洒了一半',
    createdAtMs: SERVER_NOW_MS - 26 * 3600_000,
  });
  const agreed = request(order('PAID', { minutesAgo: 60 * 80 }), {
    kind: 'return-refund',
    state: 'AWAITING_RETURN',
    progress: 'AWAITING_RETURN',
    reasonCode: '商品与描述不符',
    reasonText: '',
    createdAtMs: SERVER_NOW_MS - 50 * 3600_000,
    decidedAtMs: SERVER_NOW_MS - 30 * 3600_000,
  });
  const earlier: RefundView = {
    outRefundNo: 'R20261130095012345abcdefghij',
    outTradeNo: waiting.outTradeNo,
    amountFen: 1000,
    status: 'SUCCESS',
    reason: '商家退款 运费补偿',
    createdAtMs: SERVER_NOW_MS - 40 * 3600_000,
    successTimeMs: SERVER_NOW_MS - 40 * 3600_000 + 60_000,
    submitted: true,
    receivedAccount: '招商银行信用卡0403',
    owedOffline: false,
    offlinePaidAtMs: null,
    followUpGaveUp: false,
  };
  const reviewed: StaffRefundRequestView = {
    request: aReturn,
    order: staffOrder({ ...waiting, refundedFen: 1000 }, { state: 'uploaded', uploads: 1 }),
    refunds: [earlier],
  };
  const staff = { list: [agreed, aReturn, pending], review: reviewed };
  return [
    {
      name: 'order-refund-request',
      url: `order/refund/index?outTradeNo=${paid.outTradeNo}`,
      caption: '申请退款：金额（默认可退全额）、原因、补充说明',
      backend: backend(paid, null),
      waitFor: '提交申请',
      act: async (page) => {
        await page.tap('#reason-1');
        await page.fire('#text', 'change', { value: '规格选错了，想换 500g 的' });
      },
    },
    {
      name: 'order-refund-pending',
      url: `order/detail/index?outTradeNo=${paid.outTradeNo}`,
      caption: '订单页：退款申请待商家处理，可撤销；联系客服',
      backend: backend(paid, pending),
      waitFor: '待商家处理',
    },
    {
      name: 'staff-refund-requests',
      url: 'staff/refunds/index',
      caption: '商家后台：退款申请（最早的在前）',
      backend: backend(paid, null, staff),
      waitFor: '去处理',
    },
    {
      name: 'staff-refund-review',
      url: `staff/refund/index?requestId=${aReturn.requestId}`,
      caption: '商家后台：审核退款申请（订单、支付、已退款、物流；同意 / 拒绝）',
      backend: backend(waiting, null, staff),
      waitFor: '同意退货',
    },
  ];
}
