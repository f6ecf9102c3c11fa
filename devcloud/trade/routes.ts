// The local trade management's loopback routes under /_devcloud/trade/ (the gateway mounts them; loopback callers
// only — the console, tests, and the mini program's local transport in DevTools):
//   GET    /_devcloud/trade/log?limit=N           the shipping log, newest first
//   GET    /_devcloud/trade/shipments             payments with shipping recorded, with their order_state
//   GET    /_devcloud/trade/managed               {managed}
//   POST   /_devcloud/trade/managed               {managed: boolean} switches is_trade_managed
//   GET    /_devcloud/trade/faults                queued faults
//   POST   /_devcloud/trade/faults                {method?, count?, errcode, errmsg?, kind?: 'answer'|'throw'}
//   DELETE /_devcloud/trade/faults                clears them
//   POST   /_devcloud/trade/confirm-receipt       {transaction_id} | {merchant_id, merchant_trade_no}, openid? (or the
//                                                 x-wx-openid header): the payer confirms receipt as in WeChat's
//                                                 confirm view (state 2 → 3, trade_manage_order_settlement pushed);
//                                                 with an openid only the payer may. What the mini program's local
//                                                 transport calls instead of wx.openBusinessView('weappOrderConfirm')
//   POST   /_devcloud/trade/settle                {transaction_id | …}: settlement of a confirmed payment (3 → 4)
//   POST   /_devcloud/trade/remind-shipping       {transaction_id | …}: pushes trade_manage_remind_shipping
//   POST   /_devcloud/trade/remind-access-api     {msg?}: pushes trade_manage_remind_access_api
// Refusals answer 409 with {error: {code: "TRADE.<errcode>", message, errcode}}.
import { LocalTradeError, TRADE_METHODS, type LocalTradeManagement, type TradeMethod } from './local-trade';

/** An admin route's answer or refusal. */
export interface RouteAnswer {
  status: number;
  body: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(message: string): RouteAnswer {
  return { status: 400, body: { error: { code: 'DEVCLOUD.BAD_REQUEST', message } } };
}

/** Handles /_devcloud/trade/<rest…>; undefined when no route matches. */
export function tradeRoutes(trade: LocalTradeManagement) {
  return async (
    method: string,
    rest: string[],
    body: unknown,
    query: URLSearchParams,
    caller: { openid?: string } = {},
  ): Promise<RouteAnswer | undefined> => {
    const [what] = rest;
    const b = isRecord(body) ? body : {};
    const ok = (v: unknown): RouteAnswer => ({ status: 200, body: v });
    try {
      if (rest.length !== 1) return undefined;
      if (what === 'log' && method === 'GET') {
        const limit = Math.min(Math.max(Number(query.get('limit') ?? 100) || 100, 1), 500);
        return ok({ log: await trade.log(limit) });
      }
      if (what === 'shipments' && method === 'GET') return ok({ shipments: await trade.shipments() });
      if (what === 'managed' && method === 'GET') return ok({ managed: await trade.managed() });
      if (what === 'managed' && method === 'POST') {
        if (typeof b['managed'] !== 'boolean') return bad('the body must be {"managed": true|false}');
        return ok({ managed: await trade.setManaged(b['managed']) });
      }
      if (what === 'faults' && method === 'GET') return ok({ faults: trade.pendingFaults() });
      if (what === 'faults' && method === 'DELETE') {
        trade.clearFaults();
        return ok({ faults: [] });
      }
      if (what === 'faults' && method === 'POST') {
        const m = (b['method'] ?? 'uploadShippingInfo') as TradeMethod;
        if (!TRADE_METHODS.includes(m)) return bad(`method must be one of ${TRADE_METHODS.join(', ')}`);
        const kind = b['kind'] ?? 'answer';
        if (kind !== 'answer' && kind !== 'throw') return bad('kind must be "answer" or "throw"');
        try {
          trade.injectFault({
            method: m,
            count: b['count'] === undefined ? 1 : Number(b['count']),
            kind,
            errcode: Number(b['errcode']),
            ...(typeof b['errmsg'] === 'string' ? { errmsg: b['errmsg'] } : {}),
          });
        } catch (e) {
          return bad((e as Error).message);
        }
        return ok({ faults: trade.pendingFaults() });
      }
      if (method !== 'POST') return undefined;
      if (what === 'confirm-receipt') {
        // The payer: `openid` in the body, else the caller the local transport names (x-wx-openid, as for /fn).
        const openid = typeof b['openid'] === 'string' && b['openid'] !== '' ? b['openid'] : caller.openid;
        const how = b['confirm_receive_method'] === 2 ? 2 : 1;
        return ok(
          await trade.confirmReceipt(b, { ...(openid === undefined ? {} : { openid }), method: how }),
        );
      }
      if (what === 'settle') return ok(await trade.settle(b));
      if (what === 'remind-shipping') return ok(await trade.remindShipping(b));
      if (what === 'remind-access-api')
        return ok(await trade.remindAccessApi(typeof b['msg'] === 'string' ? b['msg'] : undefined));
      return undefined;
    } catch (e) {
      if (e instanceof LocalTradeError)
        return {
          status: 409,
          body: { error: { code: `TRADE.${e.errcode}`, message: e.errmsg, errcode: e.errcode } },
        };
      throw e;
    }
  };
}
