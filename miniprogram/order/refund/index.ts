// 申请退款: the amount (the refundable maximum by default, typed in yuan and sent as integer fen), a reason from the
// shop's list, the shopper's own words, submit. The server decides the kind, checks the amount against the order and
// keeps one open request per order; a double tap or a retry sends the same requestKey and gets the same request.
import type { RefundRequestOptionsView } from '../../../typings/contracts/refund-request';
import { newClientRequestKey } from '../../services/order';
import { refundRequestOptions, requestRefund } from '../../services/refund-request';
import { asksToContact, errorText } from '../../utils/errors';
import { fenToYuanText } from '../../utils/money';
import { KIND_TEXT, REFUSAL_TEXT, yuanTextToFen } from '../../utils/refund-request';
import { beijingTimeText } from '../../utils/time';

/** Longest words of the shopper's own, in characters (the server's limit). */
const TEXT_MAX = 200;

function amountProblem(text: string, maxFen: number): string {
  const fen = yuanTextToFen(text);
  if (fen === null) return '请输入正确的金额（元，最多两位小数）';
  if (fen > maxFen) return `最多可退 ¥${fenToYuanText(maxFen)}`;
  return '';
}

Page({
  data: {
    loading: true,
    outTradeNo: '',
    /** Why no request can be made ('' when one can). */
    blocked: '',
    errorText: '',
    errorContact: false,
    kindText: '',
    kindNote: '',
    maxFen: 0,
    maxText: '',
    windowText: '',
    amountText: '',
    amountProblem: '',
    reasons: [] as string[],
    reason: '',
    text: '',
    textCount: 0,
    submitting: false,
    sessionFrom: '',
  },
  /** One key per page: a double tap, or a retry after a lost answer, makes one request. */
  requestKey: '',
  unloaded: false,

  onUnload() {
    this.unloaded = true;
  },

  onLoad(query: Record<string, string | undefined>) {
    const outTradeNo = query.outTradeNo ?? '';
    this.requestKey = newClientRequestKey().replace(/^ck-/, 'rr-');
    this.setData({ outTradeNo, sessionFrom: `order:${outTradeNo}` });
    void this.load();
  },

  async load() {
    this.setData({ loading: true, errorText: '', errorContact: false });
    const r = await refundRequestOptions(this.data.outTradeNo);
    if (this.unloaded) return;
    if (!r.ok) {
      const text = errorText(r.error);
      this.setData({ loading: false, errorText: text, errorContact: asksToContact(text) });
      return;
    }
    this.show(r.data);
  },

  show(o: RefundRequestOptionsView) {
    const blocked = o.canRequest
      ? ''
      : o.refusal === 'already-open'
        ? '这笔订单已有退款申请在处理中，可在订单详情查看进度'
        : (o.refusal && REFUSAL_TEXT[o.refusal]) || '订单当前不能申请退款';
    this.setData({
      loading: false,
      blocked,
      kindText: o.kind ? KIND_TEXT[o.kind] : '',
      kindNote:
        o.kind === 'return-refund'
          ? '商品已发出：商家同意后请寄回商品，商家收到后退款'
          : '商家同意后原路退回',
      maxFen: o.maxFen,
      maxText: fenToYuanText(o.maxFen),
      windowText: o.windowEndsAtMs === null ? '' : `请在 ${beijingTimeText(o.windowEndsAtMs)} 前申请`,
      amountText: this.data.amountText || fenToYuanText(o.maxFen),
      reasons: o.reasons,
      reason: o.reasons.includes(this.data.reason) ? this.data.reason : '',
    });
  },

  onAmount(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
    const amountText = String(e.detail.value ?? '').trim();
    this.setData({ amountText, amountProblem: amountProblem(amountText, this.data.maxFen) });
  },

  pickReason(
    e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { reason: string }>,
  ) {
    this.setData({ reason: e.currentTarget.dataset.reason });
  },

  onText(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
    const text = String(e.detail.value ?? '');
    this.setData({ text, textCount: [...text].length });
  },

  async submit() {
    if (this.data.submitting || this.data.blocked) return;
    const problem = amountProblem(this.data.amountText, this.data.maxFen);
    if (problem) {
      this.setData({ amountProblem: problem });
      return;
    }
    if (!this.data.reason) {
      this.setData({ errorText: '请选择退款原因', errorContact: false });
      return;
    }
    if (this.data.textCount > TEXT_MAX) {
      this.setData({ errorText: `补充说明最多 ${TEXT_MAX} 字`, errorContact: false });
      return;
    }
    this.setData({ submitting: true, errorText: '', errorContact: false });
    const r = await requestRefund({
      outTradeNo: this.data.outTradeNo,
      amountFen: yuanTextToFen(this.data.amountText) ?? 0,
      reasonCode: this.data.reason,
      reasonText: this.data.text.trim(),
      requestKey: this.requestKey,
    });
    if (this.unloaded) return;
    this.setData({ submitting: false });
    if (!r.ok) {
      const text = errorText(r.error);
      this.setData({ errorText: text, errorContact: asksToContact(text) });
      // The order may have moved on (another request, a refund, the window): show what the server says now.
      if (r.error.code !== 'NETWORK') void this.refreshOptions();
      return;
    }
    await wx.showToast({ title: '已提交申请', icon: 'success' });
    void wx.navigateBack({ delta: 1 });
  },

  async refreshOptions() {
    const r = await refundRequestOptions(this.data.outTradeNo);
    if (r.ok && !this.unloaded) this.show(r.data);
  },
});
