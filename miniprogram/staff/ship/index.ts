// One order for staff: what to send and where, the payment and WeChat upload state, and the fulfilment actions (ship
// by express in one or more parcels, ready for pickup, picked up, upload again). Every refusal is the server's, in
// words (utils/errors.ts); after one the order is asked again, so the page shows where it really is.
import type { ExpressCompanyView } from '../../../typings/contracts/fulfilment';
import type { ApiError, ApiResult } from '../../../typings/contracts/envelope';
import type { StaffOrderView } from '../../../typings/contracts/staff';
import {
  markPickedUp,
  readyForPickup,
  retryUpload,
  shipOrder,
  staffGetOrder,
  staffMe,
} from '../../services/staff';
import { errorText } from '../../utils/errors';
import { addressViewLine, deliveryVM, fulfilmentLook, type DeliveryVM } from '../../utils/fulfilment';
import { fenToYuanText } from '../../utils/money';
import { statusLook } from '../../utils/order-status';
import { beijingTimeText } from '../../utils/time';
import { uploadText } from '../labels';

/** WeChat takes at most 15 parcels per order (split delivery). */
const MAX_PARCELS = 15;

interface ParcelForm {
  key: number;
  expressCompany: string;
  trackingNo: string;
}

interface StaffOrderVM {
  outTradeNo: string;
  isTest: boolean;
  payLabel: string;
  paidText: string;
  transactionId: string;
  payableText: string;
  refundedText: string;
  shipLabel: string;
  lines: Array<{ skuId: string; title: string; spec: string; quantity: number }>;
  delivery: DeliveryVM;
  /** What 复制 puts on the clipboard (receiver, phone, address). */
  addressCopy: string;
  parcels: Array<{ key: string; expressName: string; trackingNo: string }>;
  upload: { text: string; tone: string };
  canRetryUpload: boolean;
  /** The actions the order's state allows (the server checks again). */
  canShip: boolean;
  canChangeShipment: boolean;
  canReady: boolean;
  canPickedUp: boolean;
}

function toVM(v: StaffOrderView): StaffOrderVM {
  const o = v.order;
  const d = o.delivery;
  const f = o.fulfilment;
  const kind = d?.kind ?? null;
  const shippable = o.status === 'PAID' || o.status === 'PARTIALLY_REFUNDED';
  return {
    outTradeNo: o.outTradeNo,
    isTest: o.isTestOrder,
    payLabel: statusLook(o.status, o.refundedFen, o.refundOwedOfflineFen).label,
    paidText: o.paidAtMs === null ? '' : beijingTimeText(o.paidAtMs),
    transactionId: v.transactionId ?? '',
    payableText: fenToYuanText(o.payableFen),
    refundedText: o.refundedFen > 0 ? fenToYuanText(o.refundedFen) : '',
    shipLabel: fulfilmentLook(f, kind, o)?.label ?? '',
    lines: o.lines.map((l) => ({ skuId: l.skuId, title: l.title, spec: l.spec, quantity: l.quantity })),
    delivery: deliveryVM(d),
    addressCopy: d?.address ? `${d.address.name} ${d.address.phone} ${addressViewLine(d.address)}` : '',
    parcels: f.parcels.map((p, i) => ({
      key: `${i}-${p.trackingNo}`,
      expressName: p.expressName,
      trackingNo: p.trackingNo,
    })),
    upload: uploadText(v.shippingUpload),
    canRetryUpload: v.shippingUpload.state === 'failed',
    canShip: shippable && kind === 'express' && f.state === 'AWAITING_SHIPMENT',
    canChangeShipment: kind === 'express' && f.state === 'SHIPPED' && v.shippingUpload.uploads < 2,
    canReady: shippable && kind === 'pickup' && f.state === 'AWAITING_SHIPMENT',
    canPickedUp: kind === 'pickup' && f.state === 'READY_FOR_PICKUP',
  };
}

let parcelKeys = 0;
function emptyParcel(expressCompany = ''): ParcelForm {
  parcelKeys += 1;
  return { key: parcelKeys, expressCompany, trackingNo: '' };
}

/** Why 确认发货 is disabled ('' = it is not). */
function formProblem(parcels: ParcelForm[]): string {
  if (parcels.length === 0) return '请至少填写一个包裹';
  for (let i = 0; i < parcels.length; i++) {
    const p = parcels[i]!;
    const which = parcels.length > 1 ? `第 ${i + 1} 个包裹的` : '';
    if (!p.expressCompany) return `请选择${which}快递公司`;
    if (!p.trackingNo.trim()) return `请填写${which}快递单号`;
  }
  const nos = parcels.map((p) => `${p.expressCompany}/${p.trackingNo.trim()}`);
  if (new Set(nos).size !== nos.length) return '有重复的快递单号';
  return '';
}

Page({
  data: {
    loading: true,
    order: null as StaffOrderVM | null,
    companies: [] as ExpressCompanyView[],
    parcels: [] as ParcelForm[],
    maxParcels: MAX_PARCELS,
    /** The ship form is open (first shipment, or a change of shipment). */
    editing: false,
    changing: false,
    formProblem: '',
    busy: false,
    errorText: '',
    notice: '',
    forbidden: false,
  },
  outTradeNo: '',

  onLoad(query: Record<string, string | undefined>) {
    this.outTradeNo = query.outTradeNo ?? '';
    void this.load();
  },

  async onPullDownRefresh() {
    await this.load();
    void wx.stopPullDownRefresh();
  },

  async load() {
    const [me, got] = await Promise.all([staffMe(), staffGetOrder(this.outTradeNo)]);
    if (me.ok) this.setData({ companies: me.data.expressCompanies });
    if (!got.ok) {
      this.setData({
        loading: false,
        forbidden: got.error.code === 'AUTH.FORBIDDEN',
        errorText: got.error.code === 'ORDER.NOT_FOUND' ? '订单不存在' : errorText(got.error),
      });
      return;
    }
    this.show(got.data);
  },

  show(v: StaffOrderView) {
    const vm = toVM(v);
    const patch: Record<string, unknown> = { loading: false, order: vm };
    if (vm.canShip && !this.data.editing) {
      // A new order opens with the form ready: one parcel, the only carrier preselected when there is one.
      const only = this.data.companies.length === 1 ? this.data.companies[0]!.id : '';
      const parcels = [emptyParcel(only)];
      Object.assign(patch, { editing: true, changing: false, parcels, formProblem: formProblem(parcels) });
    }
    if (!vm.canShip && !vm.canChangeShipment && this.data.editing) patch.editing = false;
    this.setData(patch);
  },

  /** Runs one action; on refusal shows the server's words and asks for the order again. */
  async act(run: () => Promise<ApiResult<StaffOrderView>>, done: string) {
    if (this.data.busy) return;
    this.setData({ busy: true, errorText: '', notice: '' });
    const r = await run();
    this.setData({ busy: false });
    if (r.ok) {
      this.setData({ editing: false, changing: false });
      this.show(r.data);
      this.setData({ notice: done });
      return;
    }
    this.refused(r.error);
    const again = await staffGetOrder(this.outTradeNo);
    if (again.ok) this.show(again.data);
  },

  refused(e: ApiError) {
    this.setData({ errorText: errorText(e) });
  },

  pickCompany(
    e: WechatMiniprogram.TouchEvent<
      Record<string, never>,
      Record<string, never>,
      { index: number; id: string }
    >,
  ) {
    const { index, id } = e.currentTarget.dataset;
    const parcels = this.data.parcels.map((p, i) => (i === Number(index) ? { ...p, expressCompany: id } : p));
    this.setData({ parcels, formProblem: formProblem(parcels) });
  },

  onTracking(e: WechatMiniprogram.CustomEvent<{ value: string }, Record<string, never>, { index: number }>) {
    const index = Number(e.currentTarget.dataset.index);
    const value = String(e.detail.value ?? '').replace(/\s+/g, '');
    const parcels = this.data.parcels.map((p, i) => (i === index ? { ...p, trackingNo: value } : p));
    this.setData({ [`parcels[${index}].trackingNo`]: value, formProblem: formProblem(parcels) });
  },

  addParcel() {
    if (this.data.parcels.length >= MAX_PARCELS) return;
    const last = this.data.parcels[this.data.parcels.length - 1];
    const parcels = [...this.data.parcels, emptyParcel(last?.expressCompany ?? '')];
    this.setData({ parcels, formProblem: formProblem(parcels) });
  },

  removeParcel(
    e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { index: number }>,
  ) {
    const index = Number(e.currentTarget.dataset.index);
    if (this.data.parcels.length <= 1) return;
    const parcels = this.data.parcels.filter((_, i) => i !== index);
    this.setData({ parcels, formProblem: formProblem(parcels) });
  },

  ship() {
    if (this.data.formProblem) return;
    const parcels = this.data.parcels.map((p) => ({
      expressCompany: p.expressCompany,
      trackingNo: p.trackingNo.trim(),
    }));
    const change = this.data.changing;
    void this.act(
      () => shipOrder(this.outTradeNo, parcels, change),
      change
        ? '已修改发货信息，将重新上传微信'
        : parcels.length > 1
          ? `已发货（${parcels.length} 个包裹）`
          : '已发货',
    );
  },

  /** A shipment already made: WeChat allows one change. */
  async startChange() {
    const answer = await wx.showModal({
      title: '修改发货信息',
      content: '微信只允许修改一次发货信息，确定要修改吗？',
      confirmText: '修改',
      cancelText: '取消',
    });
    if (!answer.confirm) return;
    const parcels = [emptyParcel()];
    this.setData({ editing: true, changing: true, parcels, formProblem: formProblem(parcels) });
  },

  cancelChange() {
    this.setData({ editing: false, changing: false });
  },

  markReady() {
    void this.act(() => readyForPickup(this.outTradeNo), '已标记备货完成，顾客可到店自提');
  },

  async pickedUp() {
    const answer = await wx.showModal({
      title: '顾客已自提',
      content: '请确认顾客已到店取走商品。',
      confirmText: '已自提',
      cancelText: '取消',
    });
    if (!answer.confirm) return;
    void this.act(() => markPickedUp(this.outTradeNo), '已标记顾客自提');
  },

  uploadAgain() {
    void this.act(() => retryUpload(this.outTradeNo), '已重新排队上传微信');
  },

  copyAddress() {
    const text = this.data.order?.addressCopy;
    if (text) void wx.setClipboardData({ data: text });
  },

  copyNo() {
    const no = this.data.order?.outTradeNo;
    if (no) void wx.setClipboardData({ data: no });
  },
});
