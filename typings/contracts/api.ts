// THE contract between the mini program and the client-called cloud functions: function → action → request fields →
// answer → error codes. The mini program's services call through it, the server's action tables are typed against it
// (test/contract/api.typecheck.ts and miniprogram/services/call.typecheck.ts prove that a missing or extra action, a
// wrong field or a wrong answer does not compile), and docs/API.md lists exactly its actions
// (test/contract/api-doc.test.ts). Money is integer fen, times epoch ms. Type-only apart from API_ACTIONS.
import type {
  AttentionView,
  CheckoutLineRequest,
  CheckoutQuoteView,
  CheckoutView,
  OrderPhase,
  OrderView,
  RefundView,
  RetryAbnormalFields,
  StartPaymentView,
} from './order';
import type { MessageTemplatesView, SubscribedView } from './msg';
import type { ChannelLineRequest, ChannelOrderView } from './channel';
import type { CartView, GoodsView } from './shop';
import type { DeliveryRequest, ExpressCompanyView, ParcelRequest, PickupPointView } from './fulfilment';
import type { StaffOrderView } from './staff';
import type {
  RefundRequestOptionsView,
  RefundRequestState,
  RefundRequestView,
  StaffRefundRequestView,
} from './refund-request';

/**
 * Every action of every client-called function, by name: the runtime list a test compares docs/API.md with. The
 * contract below must have exactly these actions (checked where {@link ContractActionsAreListed} is declared).
 * payNotify, payCallback, tradeEvents, closeExpired and reconcile are not client-callable and have no actions.
 */
export const API_ACTIONS = {
  shop: [
    'listGoods',
    'getCart',
    'addToCart',
    'setQuantity',
    'removeFromCart',
    'select',
    'selectAll',
    'clearCart',
  ],
  order: [
    'place',
    'quote',
    'checkout',
    'get',
    'listMine',
    'cancel',
    'again',
    'confirmReceipt',
    'refundRequestOptions',
    'requestRefund',
    'withdrawRefundRequest',
  ],
  pay: ['start', 'sync', 'demoPay'],
  refund: [
    'create',
    'list',
    'listAttention',
    'retryAbnormal',
    'sync',
    'confirmOfflinePayout',
    'resolveAttention',
  ],
  staff: [
    'me',
    'listToShip',
    'getOrder',
    'ship',
    'readyForPickup',
    'markPickedUp',
    'retryUpload',
    'listRefundRequests',
    'getRefundRequest',
    'approveRefundRequest',
    'rejectRefundRequest',
    'markReturnReceived',
  ],
  msg: ['templates', 'subscribed'],
  channelPay: ['createNative', 'getNative', 'cancelNative', 'createH5', 'getH5'],
} as const;

/** Why the cart's selected lines cannot be priced into an order (place, quote, checkout). */
export type PricingErrorCode =
  | 'ORDER.EMPTY'
  | 'ORDER.UNKNOWN_SKU'
  | 'ORDER.SKU_OFF_SALE'
  | 'ORDER.QUANTITY_LIMIT'
  | 'ORDER.OUT_OF_STOCK'
  | 'ORDER.TOO_MANY_LINES';

/** Why the delivery sent with place or checkout is refused (details name the field). */
export type DeliveryErrorCode = 'ORDER.DELIVERY_INVALID' | 'ORDER.DELIVERY_NOT_ALLOWED';

/** What place and checkout send about delivery besides the cart (docs/adr/0009). */
export interface DeliveryFields {
  delivery: DeliveryRequest;
  /** The shopper's remark, ≤ 100 characters. */
  remark?: string;
}

/** Codes any call may answer, whatever the action (docs/API.md "Errors every function may answer"). */
export type CommonErrorCode =
  | 'REQUEST.INVALID'
  | 'REQUEST.UNKNOWN_ACTION'
  | 'AUTH.NO_IDENTITY'
  | 'CONFIG.INVALID'
  | 'INTERNAL'
  | 'PAYMENT.PROVIDER_ERROR';

/** An action with no fields besides `action` (an index signature of never: an unexpected field does not compile). */
export type NoFields = { [field: string]: never };

/** One action: what the caller sends besides `action`, what `data` holds on success, which codes a refusal may carry. */
interface Action<Request, Response, Errors extends string = never> {
  request: Request;
  response: Response;
  errors: Errors;
}

type CartChangeErrors =
  | 'CART.QUANTITY_INVALID'
  | 'CART.UNKNOWN_SKU'
  | 'CART.SKU_OFF_SALE'
  | 'CART.QUANTITY_LIMIT'
  | 'CART.OUT_OF_STOCK'
  | 'CART.TOO_MANY_LINES'
  | 'CART.BUSY';

/** Why a new refund request is refused (docs/adr/0011). */
type RefundRequestErrors =
  | 'ORDER.NOT_FOUND'
  | 'REFUND_REQUEST.NOT_ALLOWED'
  | 'REFUND_REQUEST.ALREADY_OPEN'
  | 'REFUND_REQUEST.WINDOW_CLOSED'
  | 'REFUND.AMOUNT_INVALID'
  | 'REFUND.EXCEEDS_REFUNDABLE'
  | 'ORDER.BUSY';

/** Why a staff decision on a refund request is refused (besides AUTH.FORBIDDEN). */
type RefundDecisionErrors =
  | 'REFUND_REQUEST.NOT_FOUND'
  | 'REFUND_REQUEST.ILLEGAL_TRANSITION'
  | 'REFUND_REQUEST.NOT_ALLOWED'
  | 'REFUND.EXCEEDS_REFUNDABLE'
  | 'REFUND.NOT_ALLOWED'
  | 'REFUND.WINDOW_EXPIRED'
  | 'ORDER.BUSY';

/** Staff-only actions also refuse everyone not in SHOP_ADMIN_OPENIDS. */
type StaffErrors = 'AUTH.FORBIDDEN';

/** Why a Native or H5 order cannot be created (the pricing codes plus the stock and key races of checkout). */
type ChannelCreateErrors =
  PricingErrorCode | 'ORDER.QUANTITY_INVALID' | 'ORDER.DUPLICATE_LINE' | 'ORDER.BUSY';

/** The contract itself (docs/API.md says what each field and code means). */
export interface ApiContract {
  shop: {
    /** Needs no identity. */
    listGoods: Action<NoFields, GoodsView[]>;
    getCart: Action<NoFields, CartView>;
    addToCart: Action<{ skuId: string; quantity: number }, CartView, CartChangeErrors>;
    setQuantity: Action<
      { skuId: string; quantity: number },
      CartView,
      CartChangeErrors | 'CART.LINE_NOT_FOUND'
    >;
    removeFromCart: Action<{ skuId: string }, CartView, 'CART.BUSY'>;
    select: Action<{ skuId: string; selected: boolean }, CartView, 'CART.LINE_NOT_FOUND' | 'CART.BUSY'>;
    selectAll: Action<{ selected: boolean }, CartView, 'CART.BUSY'>;
    clearCart: Action<NoFields, CartView, 'CART.BUSY'>;
  };
  order: {
    place: Action<
      { clientRequestKey: string } & DeliveryFields,
      OrderView,
      PricingErrorCode | DeliveryErrorCode
    >;
    /** What checkout would charge now, for the confirm page to show. */
    quote: Action<NoFields, CheckoutQuoteView, PricingErrorCode>;
    /** Places at the price the shopper saw and answers the payment parameters with the order. */
    checkout: Action<
      {
        clientRequestKey: string;
        lines: CheckoutLineRequest[];
        displayedPayableFen: number;
        /** wx.getAccountInfoSync().miniProgram.envVersion: the build the order's messages open. */
        envVersion?: 'develop' | 'trial' | 'release';
      } & DeliveryFields,
      CheckoutView,
      | 'ORDER.PRICE_CHANGED'
      | PricingErrorCode
      | DeliveryErrorCode
      | 'ORDER.NOT_PAYABLE'
      | 'ORDER.EXPIRED'
      | 'ORDER.BUSY'
    >;
    get: Action<{ outTradeNo: string }, OrderView, 'ORDER.NOT_FOUND'>;
    /** With `phase`, only the orders of that phase (the order list's tabs), filtered by the server. */
    listMine: Action<{ limit?: number; beforeMs?: number; phase?: OrderPhase }, OrderView[]>;
    cancel: Action<
      { outTradeNo: string },
      OrderView,
      | 'ORDER.NOT_FOUND'
      | 'ORDER.NOT_CANCELLABLE'
      | 'ORDER.ALREADY_PAID'
      | 'ORDER.PAYMENT_UNCONFIRMED'
      | 'ORDER.BUSY'
    >;
    /** 再来一单: the order's lines back in the cart at today's prices (closed or paid orders only). */
    again: Action<
      { outTradeNo: string },
      CartView,
      'ORDER.NOT_FOUND' | 'ORDER.STILL_PAYABLE' | 'CART.TOO_MANY_LINES' | 'CART.BUSY'
    >;
    /** After WeChat's confirm view: RECEIVED only when WeChat's order state says confirmed (3, 4 or 6). */
    confirmReceipt: Action<
      { outTradeNo: string },
      OrderView,
      'ORDER.NOT_FOUND' | 'FULFIL.NOT_SHIPPED' | 'FULFIL.NOT_CONFIRMED' | 'ORDER.BUSY'
    >;
    /** The order's latest refund request and whether (and how much, why, which reasons) a new one may be made. */
    refundRequestOptions: Action<{ outTradeNo: string }, RefundRequestOptionsView, 'ORDER.NOT_FOUND'>;
    /** Asks for a refund (kind decided by the server from the goods); the same requestKey answers the same request. */
    requestRefund: Action<
      { outTradeNo: string; amountFen: number; reasonCode: string; reasonText?: string; requestKey: string },
      RefundRequestView,
      RefundRequestErrors
    >;
    /** Only the owner, only while PENDING or AWAITING_RETURN; a withdrawn one answers as it is. */
    withdrawRefundRequest: Action<
      { requestId: string },
      RefundRequestView,
      'REFUND_REQUEST.NOT_FOUND' | 'REFUND_REQUEST.ILLEGAL_TRANSITION' | 'ORDER.BUSY'
    >;
  };
  pay: {
    start: Action<
      { outTradeNo: string },
      StartPaymentView,
      'ORDER.NOT_FOUND' | 'ORDER.NOT_PAYABLE' | 'ORDER.EXPIRED' | 'ORDER.BUSY'
    >;
    sync: Action<{ outTradeNo: string }, OrderView, 'ORDER.NOT_FOUND'>;
    /** Demo provider only (the simulated cashier's "pay"). */
    demoPay: Action<
      { outTradeNo: string },
      OrderView,
      'ORDER.NOT_FOUND' | 'ORDER.NOT_PAYABLE' | 'PAYMENT.NOT_SIMULATED'
    >;
  };
  refund: {
    create: Action<
      { outTradeNo: string; amountFen: number; reason?: string; requestKey: string },
      RefundView,
      | StaffErrors
      | 'ORDER.NOT_FOUND'
      | 'REFUND.NOT_ALLOWED'
      | 'REFUND.AMOUNT_INVALID'
      | 'REFUND.EXCEEDS_REFUNDABLE'
      | 'REFUND.WINDOW_EXPIRED'
      | 'ORDER.BUSY'
    >;
    list: Action<{ outTradeNo: string }, RefundView[], StaffErrors>;
    listAttention: Action<{ limit?: number; beforeMs?: number }, AttentionView[], StaffErrors>;
    retryAbnormal: Action<
      RetryAbnormalFields,
      RefundView,
      StaffErrors | 'REFUND.NOT_FOUND' | 'REFUND.NOT_ALLOWED' | 'REFUND.RETRY_UNSUPPORTED' | 'ORDER.BUSY'
    >;
    sync: Action<{ outRefundNo: string }, RefundView, StaffErrors | 'REFUND.NOT_FOUND'>;
    confirmOfflinePayout: Action<
      { outRefundNo: string; note?: string },
      RefundView,
      StaffErrors | 'REFUND.NOT_FOUND' | 'REFUND.NOT_ALLOWED' | 'ORDER.BUSY'
    >;
    resolveAttention: Action<{ id: string }, { resolved: boolean }, StaffErrors>;
  };
  /** Fulfilment for staff (docs/adr/0009); all but `me` are staff-only. */
  staff: {
    /** Answers anyone (never refuses): whether the caller is staff, the carriers and the pickup point. */
    me: Action<
      NoFields,
      { isStaff: boolean; expressCompanies: ExpressCompanyView[]; pickupPoint: PickupPointView | null }
    >;
    /**
     * Paid orders waiting for staff, oldest paid first, ties by order number: page on with the last item's paidAtMs
     * and outTradeNo (afterPaidAtMs alone: strictly later).
     */
    listToShip: Action<
      {
        state?: 'AWAITING_SHIPMENT' | 'READY_FOR_PICKUP';
        limit?: number;
        afterPaidAtMs?: number;
        afterOutTradeNo?: string;
      },
      StaffOrderView[],
      StaffErrors
    >;
    getOrder: Action<{ outTradeNo: string }, StaffOrderView, StaffErrors | 'ORDER.NOT_FOUND'>;
    /** 1–15 parcels (2+ = split delivery); `change: true` changes a shipment already uploaded (once). */
    ship: Action<
      { outTradeNo: string; parcels: ParcelRequest[]; change?: boolean },
      StaffOrderView,
      | StaffErrors
      | 'ORDER.NOT_FOUND'
      | 'FULFIL.NOT_SHIPPABLE'
      | 'FULFIL.REFUND_PENDING'
      | 'FULFIL.ALREADY_SHIPPED'
      | 'FULFIL.WRONG_DELIVERY_KIND'
      | 'FULFIL.UNKNOWN_EXPRESS_COMPANY'
      | 'FULFIL.REUPLOAD_USED_UP'
      | 'ORDER.BUSY'
    >;
    readyForPickup: Action<
      { outTradeNo: string },
      StaffOrderView,
      | StaffErrors
      | 'ORDER.NOT_FOUND'
      | 'FULFIL.NOT_SHIPPABLE'
      | 'FULFIL.REFUND_PENDING'
      | 'FULFIL.WRONG_DELIVERY_KIND'
      | 'ORDER.BUSY'
    >;
    markPickedUp: Action<
      { outTradeNo: string },
      StaffOrderView,
      StaffErrors | 'ORDER.NOT_FOUND' | 'FULFIL.NOT_SHIPPABLE' | 'FULFIL.WRONG_DELIVERY_KIND' | 'ORDER.BUSY'
    >;
    /** Re-queues a failed or given-up shipping upload (resolves nothing by itself). */
    retryUpload: Action<
      { outTradeNo: string },
      StaffOrderView,
      StaffErrors | 'ORDER.NOT_FOUND' | 'FULFIL.NOT_SHIPPABLE' | 'ORDER.BUSY'
    >;
    /** Refund requests, oldest first (default: PENDING and AWAITING_RETURN); page on with afterCreatedAtMs. */
    listRefundRequests: Action<
      { state?: RefundRequestState; limit?: number; afterCreatedAtMs?: number },
      RefundRequestView[],
      StaffErrors
    >;
    /** The request, its order (payment, delivery state) and the order's refunds so far. */
    getRefundRequest: Action<
      { requestId: string },
      StaffRefundRequestView,
      StaffErrors | 'REFUND_REQUEST.NOT_FOUND'
    >;
    /** Refund → APPROVED and the refund requested (one refund however often); return-and-refund → AWAITING_RETURN. */
    approveRefundRequest: Action<
      { requestId: string },
      RefundRequestView,
      StaffErrors | RefundDecisionErrors
    >;
    /** With a reason (1–200 characters) the shopper sees. */
    rejectRefundRequest: Action<
      { requestId: string; reason: string },
      RefundRequestView,
      StaffErrors | RefundDecisionErrors
    >;
    /** The returned goods are back: AWAITING_RETURN → APPROVED and the refund requested. */
    markReturnReceived: Action<{ requestId: string }, RefundRequestView, StaffErrors | RefundDecisionErrors>;
  };
  /** Subscription messages (docs/adr/0010). */
  msg: {
    /** The configured template ids to ask for (after wx.requestPayment, or on a tap). */
    templates: Action<NoFields, MessageTemplatesView>;
    /** wx.requestSubscribeMessage's results (errMsg left out): each "accept…" of a configured id counts one send. */
    subscribed: Action<{ results: Record<string, string> }, SubscribedView>;
  };
  /**
   * Native (counter QR) and H5 (web checkout) orders (docs/adr/0012): the Native actions are for staff in the mini
   * program, the H5 ones only through the function's HTTP access (the payer's IP is the request's).
   */
  channelPay: {
    /** Staff create a counter order from catalog SKUs (priced by the server); a repeat of the key answers it again. */
    createNative: Action<
      { clientRequestKey: string; lines: ChannelLineRequest[] },
      ChannelOrderView,
      StaffErrors | ChannelCreateErrors
    >;
    /** A counter order after asking WeChat (a payment it reports is applied). */
    getNative: Action<{ outTradeNo: string }, ChannelOrderView, StaffErrors | 'ORDER.NOT_FOUND'>;
    /** The customer walked away: closed here and at WeChat (or applied, if WeChat has the payment), stock back. */
    cancelNative: Action<
      { outTradeNo: string },
      ChannelOrderView,
      | StaffErrors
      | 'ORDER.NOT_FOUND'
      | 'ORDER.NOT_CANCELLABLE'
      | 'ORDER.ALREADY_PAID'
      | 'ORDER.PAYMENT_UNCONFIRMED'
      | 'ORDER.BUSY'
    >;
    /**
     * HTTP access only. The key (22–64 of [0-9A-Za-z_-]) is the browser's secret for the order: keep it. `delivery`
     * (and `remark`) as checkout's, validated the same way: the web page's address form; without it the order records
     * none (staff see "no address recorded").
     */
    createH5: Action<
      {
        clientRequestKey: string;
        lines: ChannelLineRequest[];
        h5Type?: 'Wap' | 'iOS' | 'Android';
      } & Partial<DeliveryFields>,
      ChannelOrderView,
      | ChannelCreateErrors
      | DeliveryErrorCode
      | 'CHANNEL.HTTP_ONLY'
      | 'CHANNEL.CLIENT_IP_UNKNOWN'
      | 'CHANNEL.TOO_MANY_UNPAID'
    >;
    /** HTTP access only: the order with the key that created it, after asking WeChat. */
    getH5: Action<
      { outTradeNo: string; clientRequestKey: string },
      ChannelOrderView,
      'ORDER.NOT_FOUND' | 'CHANNEL.HTTP_ONLY'
    >;
  };
}

/** A client-callable function. */
export type ApiFunctionName = keyof ApiContract;

/** An action of function `F`. */
export type ActionName<F extends ApiFunctionName> = keyof ApiContract[F] & string;

type ActionOf<F extends ApiFunctionName, A extends ActionName<F>> =
  ApiContract[F][A] extends Action<infer Q, infer R, infer E> ? Action<Q, R, E> : never;

/** The fields `F.A` takes besides `action`. */
export type RequestOf<F extends ApiFunctionName, A extends ActionName<F>> = ActionOf<F, A>['request'];

/** The event `F.A` is sent: `{action, ...fields}`. */
export type EventOf<F extends ApiFunctionName, A extends ActionName<F>> = { action: A } & RequestOf<F, A>;

/** What `data` holds when `F.A` answers `ok: true`. */
export type ResponseOf<F extends ApiFunctionName, A extends ActionName<F>> = ActionOf<F, A>['response'];

/** The codes a refusal of `F.A` may carry (its own and the common ones). */
export type ErrorCodeOf<F extends ApiFunctionName, A extends ActionName<F>> =
  ActionOf<F, A>['errors'] | CommonErrorCode;

type Same<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;
type AssertTrue<T extends true> = T;

/** Compiles only while API_ACTIONS lists exactly the contract's actions, function by function. */
export type ContractActionsAreListed = AssertTrue<
  Same<ApiFunctionName, keyof typeof API_ACTIONS> extends true
    ? { [F in ApiFunctionName]: Same<ActionName<F>, (typeof API_ACTIONS)[F][number]> }[ApiFunctionName]
    : false
>;
