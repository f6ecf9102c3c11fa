// The `tradeEvents` function: WeChat's trade-management message push (发货信息管理 "相关消息推送"), configured in the
// mini program's admin console to reach this cloud function. It parses and validates one push into a typed event and
// hands it to the application's TradeEventSink; the fulfilment core decides what it means (it re-checks with get_order
// before believing a state change, so a forged event can change nothing by itself).
//
// Event names and fields (WeChat's order-shipping page, section 相关消息推送, as found with the docs search; the event
// constants also appear in public SDKs):
//   trade_manage_order_settlement   transaction_id, merchant_id, sub_merchant_id, merchant_trade_no, pay_time,
//                                   shipped_time, estimated_settlement_time, confirm_receive_method (1 by the buyer,
//                                   2 automatically; developers report the two swapped in practice — treat it as a
//                                   hint), confirm_receive_time, settlement_time
//   trade_manage_remind_shipping    transaction_id, merchant_id, sub_merchant_id, merchant_trade_no, pay_time, msg
//   trade_manage_remind_access_api  msg
// plus the push envelope ToUserName, FromUserName, CreateTime (Unix seconds), MsgType "event", Event. Times are Unix
// seconds; 0 or absent means "not yet" (developers report confirm_receive_time / settlement_time empty in the first
// push, which comes at shipping with the expected settlement time).
//
// Who may invoke: any cloud function can be called by a client, and the SOURCE of a message push is not documented,
// so every invocation source known NOT to be the platform's push is refused: a mini program (wx_client, wx_devtools,
// wx_localdebug), HTTP access, a timer, the Pay callback, or another function (scf in the chain).
import type {
  TradeEvent,
  TradeEventPaymentRef,
  TradeEventSink,
  TradeOrderSettlementEvent,
} from '../../application/ports/trade-management.port';
import type { Log } from '../../application/ports/runtime.port';
import type { WxContext } from '../runtime/handler';

/** What the message push expects back: "success" (or an empty answer) acknowledges it. */
export type TradeEventsAnswer = 'success' | { errcode: number; errmsg: string };

/** Why an event is refused (not retried by us: the platform decides whether to push again). */
export class TradeEventInvalid extends Error {
  override readonly name = 'TradeEventInvalid';
}

const NOT_PUSH_SOURCES = new Set([
  'wx_client',
  'wx_devtools',
  'wx_localdebug',
  'wx_http',
  'wx_trigger',
  'wx_paycallback',
]);

/** Undefined when the invocation may be the platform's message push, else why not. */
export function refuseUnlessMessagePush(ctx: WxContext): string | undefined {
  const chain = typeof ctx.SOURCE === 'string' ? ctx.SOURCE.split(',').map((s) => s.trim()) : [];
  const blocked = chain.find((s) => NOT_PUSH_SOURCES.has(s) || s === 'scf');
  return blocked === undefined
    ? undefined
    : `the invocation source ${String(ctx.SOURCE)} is not a message push`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(e: Record<string, unknown>, name: string, required: boolean): string {
  const v = e[name];
  if (typeof v === 'string' && v.length <= 128) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (v === undefined || v === null || v === '') {
    if (required) throw new TradeEventInvalid(`${name} is required`);
    return '';
  }
  throw new TradeEventInvalid(`${name} must be a string`);
}

/** Unix seconds (number or digit string) → epoch ms; 0, '' or absent → null. */
function time(e: Record<string, unknown>, name: string): number | null {
  const v = e[name];
  if (v === undefined || v === null || v === '' || v === 0 || v === '0') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new TradeEventInvalid(`${name} must be Unix seconds`);
  return n * 1000;
}

function paymentRef(e: Record<string, unknown>): TradeEventPaymentRef {
  const ref = {
    transactionId: str(e, 'transaction_id', false),
    merchantId: str(e, 'merchant_id', false),
    subMerchantId: str(e, 'sub_merchant_id', false),
    merchantTradeNo: str(e, 'merchant_trade_no', false),
  };
  if (ref.transactionId === '' && (ref.merchantId === '' || ref.merchantTradeNo === ''))
    throw new TradeEventInvalid('transaction_id, or merchant_id and merchant_trade_no, is required');
  return ref;
}

/**
 * Parses one push (the JSON a cloud function receives; field names case-sensitive as WeChat sends them, the Event
 * value compared case-insensitively). Answers undefined for an event this function does not handle.
 */
export function parseTradeEvent(raw: unknown): TradeEvent | undefined {
  if (!isRecord(raw)) throw new TradeEventInvalid('the event must be an object');
  const name = typeof raw['Event'] === 'string' ? raw['Event'].toLowerCase() : '';
  if (raw['MsgType'] !== undefined && raw['MsgType'] !== 'event') return undefined;
  const pushedAtMs = time(raw, 'CreateTime') ?? 0;
  switch (name) {
    case 'trade_manage_order_settlement': {
      const method = raw['confirm_receive_method'];
      const m = typeof method === 'string' ? Number(method) : method;
      if (m !== undefined && m !== null && m !== 0 && m !== 1 && m !== 2)
        throw new TradeEventInvalid('confirm_receive_method must be 1 or 2');
      const event: TradeOrderSettlementEvent = {
        kind: 'order-settlement',
        ...paymentRef(raw),
        payTimeMs: time(raw, 'pay_time'),
        shippedTimeMs: time(raw, 'shipped_time'),
        estimatedSettlementTimeMs: time(raw, 'estimated_settlement_time'),
        confirmReceiveMethod: m === 1 || m === 2 ? m : null,
        confirmReceiveTimeMs: time(raw, 'confirm_receive_time'),
        settlementTimeMs: time(raw, 'settlement_time'),
        pushedAtMs,
      };
      return event;
    }
    case 'trade_manage_remind_shipping':
      return {
        kind: 'remind-shipping',
        ...paymentRef(raw),
        payTimeMs: time(raw, 'pay_time'),
        msg: str(raw, 'msg', false).slice(0, 512),
        pushedAtMs,
      };
    case 'trade_manage_remind_access_api':
      return { kind: 'remind-access-api', msg: str(raw, 'msg', false).slice(0, 512), pushedAtMs };
    default:
      return undefined;
  }
}

/** Handles one invocation of `tradeEvents`: guard, parse, hand to the sink. Never throws. */
export async function handleTradeEventsInvocation(
  raw: unknown,
  ctx: WxContext,
  deps: { boot: () => TradeEventSink; log: Log },
): Promise<TradeEventsAnswer> {
  const refusal = refuseUnlessMessagePush(ctx);
  if (refusal !== undefined) {
    deps.log.warn('tradeEvents.refused', { reason: refusal, source: ctx.SOURCE, openid: ctx.OPENID });
    return { errcode: 1, errmsg: 'refused: not a message push' };
  }
  let event: TradeEvent | undefined;
  try {
    event = parseTradeEvent(raw);
  } catch (e) {
    deps.log.error('tradeEvents.invalid', { reason: e instanceof Error ? e.message : String(e) });
    return { errcode: 2, errmsg: 'invalid event' };
  }
  if (event === undefined) {
    deps.log.info('tradeEvents.ignored', { event: isRecord(raw) ? raw['Event'] : undefined });
    return 'success';
  }
  try {
    const sink = deps.boot();
    if (event.kind === 'order-settlement') await sink.onOrderSettlement(event);
    else if (event.kind === 'remind-shipping') await sink.onRemindShipping(event);
    else await sink.onRemindAccessApi(event);
  } catch (e) {
    deps.log.error('tradeEvents.failed', { kind: event.kind, error: e });
    return { errcode: 1, errmsg: 'not applied; push again' };
  }
  deps.log.info('tradeEvents.applied', {
    kind: event.kind,
    ...(event.kind === 'remind-access-api' ? {} : { transactionId: event.transactionId }),
  });
  return 'success';
}

/** The sink until the fulfilment core is wired: records each event in the log and applies nothing. */
export function loggingTradeEventSink(log: Log): TradeEventSink {
  return {
    onOrderSettlement: (e) => Promise.resolve(log.info('tradeEvents.settlement', { ...e })),
    onRemindShipping: (e) => Promise.resolve(log.warn('tradeEvents.remind_shipping', { ...e })),
    onRemindAccessApi: (e) => Promise.resolve(log.warn('tradeEvents.remind_access_api', { ...e })),
  };
}
