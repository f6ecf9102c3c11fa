// Delivery and fulfilment as the pages see them (docs/adr/0009-fulfilment-and-shipping.md). Type-only. The staff's
// order view (StaffOrderView) lives in staff.ts: order.ts uses these types, so this file imports nothing.

/** How an order reaches the shopper. A product lists the kinds it allows; an order's kind is allowed by every line. */
export type DeliveryKind = 'express' | 'pickup' | 'virtual';

/** An address exactly as `wx.chooseAddress` answers it (the server validates every field; nothing here is trusted). */
export interface AddressInput {
  userName: string;
  telNumber: string;
  provinceName: string;
  cityName: string;
  countyName: string;
  detailInfo: string;
  postalCode?: string;
}

/** What checkout sends about delivery: the kind, and the address for express. */
export type DeliveryRequest =
  { kind: 'express'; address: AddressInput } | { kind: 'pickup' } | { kind: 'virtual' };

/** The shipping address as stored on the order (the one at the time of purchase). */
export interface AddressView {
  name: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  detail: string;
  postalCode: string | null;
}

/** The shop's pickup point (SHOP_PICKUP_POINT). */
export interface PickupPointView {
  name: string;
  address: string;
  hours: string;
}

/** The delivery chosen at checkout, as stored on the order. */
export interface DeliveryView {
  kind: DeliveryKind;
  /** express only. */
  address: AddressView | null;
  /** pickup only. */
  pickupPoint: PickupPointView | null;
  /** The shopper's remark ('' when none). */
  remark: string;
}

/** The fulfilment machine's states (server/domain/fulfilment-state.ts is the one transition table). */
export type FulfilmentState =
  | 'NOT_PAID'
  | 'AWAITING_SHIPMENT'
  | 'SHIPPED'
  | 'READY_FOR_PICKUP'
  | 'PICKED_UP'
  | 'DELIVERED'
  | 'RECEIVED'
  | 'COMPLETED'
  | 'CANCELLED';

/** One parcel as shipped. */
export interface ParcelView {
  /** The carrier's delivery id from SHOP_EXPRESS_COMPANIES (e.g. "SF"). */
  expressCompany: string;
  /** The carrier's name as configured (e.g. "顺丰速运"). */
  expressName: string;
  trackingNo: string;
}

/** Where the order is on its way to the shopper. */
export interface FulfilmentView {
  state: FulfilmentState;
  parcels: ParcelView[];
  shippedAtMs: number | null;
  /** Received (confirmed with WeChat) or picked up. */
  receivedAtMs: number | null;
  completedAtMs: number | null;
  /** When the order completes by itself (null before the goods left, and once completed). */
  completeAtMs: number | null;
  /** The payer may confirm receipt now (opens WeChat's confirm view, then order.confirmReceipt). */
  canConfirmReceipt: boolean;
  /** WeChat's confirm view's extraData for this order (null when it cannot be opened). */
  confirmReceiptExtraData:
    { transaction_id: string } | { merchant_id: string; merchant_trade_no: string } | null;
}

/** Where WeChat's 发货信息管理 is for this order (staff see it). */
export type ShippingUploadState =
  /** Nothing to upload yet (not shipped). */
  | 'none'
  /** Waiting for the upload job (or its next try). */
  | 'queued'
  | 'uploaded'
  /** The job gave up: attention record shipping-upload-failed; staff may upload again. */
  | 'failed'
  /** 发货信息管理 is not switched on for this app: nothing is uploaded (is_trade_managed false). */
  | 'not-managed'
  /** Not a mini program payment (a Native counter or H5 web order, docs/adr/0012): 发货信息管理 does not cover it. */
  | 'not-applicable';

/** The shipping upload as staff see it. */
export interface ShippingUploadView {
  state: ShippingUploadState;
  /** Successful uploads (WeChat allows the first and one change). */
  uploads: number;
  lastUploadedAtMs: number | null;
  /** The last failure, short (WeChat's errcode and errmsg). */
  lastError: string | null;
}

/** A carrier staff can choose (SHOP_EXPRESS_COMPANIES). */
export interface ExpressCompanyView {
  id: string;
  name: string;
}

/** One parcel staff ship. */
export interface ParcelRequest {
  expressCompany: string;
  trackingNo: string;
}
