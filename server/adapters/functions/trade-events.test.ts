// tradeEvents: which invocations may be WeChat's message push, how a push is parsed and validated into a TradeEvent,
// and what reaches the sink (nothing for a refused or invalid one).
import type { TradeEvent, TradeEventSink } from '../../application/ports/trade-management.port';
import {
  handleTradeEventsInvocation,
  parseTradeEvent,
  refuseUnlessMessagePush,
  TradeEventInvalid,
} from './trade-events';

const settlement = {
  ToUserName: 'gh_shop',
  FromUserName: 'o-wechat-platform',
  CreateTime: 1_765_000_000,
  MsgType: 'event',
  Event: 'trade_manage_order_settlement',
  transaction_id: '4200001234202612060000000001',
  merchant_id: '1900000109',
  sub_merchant_id: '',
  merchant_trade_no: 'OTN20261206A',
  pay_time: 1_764_990_000,
  shipped_time: 1_764_995_000,
  estimated_settlement_time: 1_765_086_400,
  confirm_receive_method: 1,
  confirm_receive_time: 1_765_000_000,
  settlement_time: 0,
};

function recordingSink(): TradeEventSink & { got: TradeEvent[] } {
  const got: TradeEvent[] = [];
  const take = (e: TradeEvent) => {
    got.push(e);
    return Promise.resolve();
  };
  return { got, onOrderSettlement: take, onRemindShipping: take, onRemindAccessApi: take };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('parseTradeEvent', () => {
  it('reads trade_manage_order_settlement into ms times, null for "not yet"', () => {
    expect(parseTradeEvent(settlement)).toEqual({
      kind: 'order-settlement',
      transactionId: '4200001234202612060000000001',
      merchantId: '1900000109',
      subMerchantId: '',
      merchantTradeNo: 'OTN20261206A',
      payTimeMs: 1_764_990_000_000,
      shippedTimeMs: 1_764_995_000_000,
      estimatedSettlementTimeMs: 1_765_086_400_000,
      confirmReceiveMethod: 1,
      confirmReceiveTimeMs: 1_765_000_000_000,
      settlementTimeMs: null,
      pushedAtMs: 1_765_000_000_000,
    });
    // The first push (at shipping) has no confirm yet; times may come as digit strings.
    expect(
      parseTradeEvent({
        ...settlement,
        confirm_receive_method: undefined,
        confirm_receive_time: '',
        pay_time: '1764990000',
      }),
    ).toMatchObject({ confirmReceiveMethod: null, confirmReceiveTimeMs: null, payTimeMs: 1_764_990_000_000 });
  });

  it('reads the two reminders; the event name is case-insensitive', () => {
    expect(
      parseTradeEvent({ ...settlement, Event: 'TRADE_MANAGE_REMIND_SHIPPING', msg: '请尽快发货' }),
    ).toMatchObject({ kind: 'remind-shipping', transactionId: settlement.transaction_id, msg: '请尽快发货' });
    expect(
      parseTradeEvent({ MsgType: 'event', Event: 'trade_manage_remind_access_api', msg: 'x', CreateTime: 1 }),
    ).toEqual({
      kind: 'remind-access-api',
      msg: 'x',
      pushedAtMs: 1000,
    });
  });

  it('ignores other events and refuses malformed ones', () => {
    expect(parseTradeEvent({ MsgType: 'event', Event: 'user_enter_tempsession' })).toBeUndefined();
    expect(parseTradeEvent({ ...settlement, MsgType: 'text' })).toBeUndefined();
    expect(() => parseTradeEvent('x')).toThrow(TradeEventInvalid);
    expect(() => parseTradeEvent({ ...settlement, transaction_id: '', merchant_trade_no: '' })).toThrow(
      /required/,
    );
    expect(() => parseTradeEvent({ ...settlement, confirm_receive_method: 3 })).toThrow(
      /confirm_receive_method/,
    );
    expect(() => parseTradeEvent({ ...settlement, pay_time: '2026-12-06' })).toThrow(/pay_time/);
    expect(() => parseTradeEvent({ ...settlement, merchant_id: { x: 1 } })).toThrow(/merchant_id/);
  });
});

describe('handleTradeEventsInvocation', () => {
  it.each(['wx_client', 'wx_devtools', 'wx_http', 'wx_trigger', 'wx_paycallback', 'wx_client,scf'])(
    'refuses SOURCE %s before anything reaches the sink',
    async (source) => {
      const sink = recordingSink();
      const answer = await handleTradeEventsInvocation(
        settlement,
        { SOURCE: source, OPENID: 'o-x' },
        {
          boot: () => sink,
          log: quiet,
        },
      );
      expect(answer).toEqual({ errcode: 1, errmsg: expect.stringMatching(/refused/) });
      expect(sink.got).toEqual([]);
      expect(refuseUnlessMessagePush({ SOURCE: source })).toEqual(expect.any(String));
    },
  );

  it('hands a valid push to the sink and acknowledges it; invalid or failing ones are not acknowledged', async () => {
    const sink = recordingSink();
    const deps = { boot: () => sink, log: quiet };
    expect(await handleTradeEventsInvocation(settlement, { SOURCE: 'wx_unknown' }, deps)).toBe('success');
    expect(sink.got.map((e) => e.kind)).toEqual(['order-settlement']);
    expect(await handleTradeEventsInvocation({ ...settlement, pay_time: -5 }, {}, deps)).toEqual({
      errcode: 2,
      errmsg: 'invalid event',
    });
    expect(await handleTradeEventsInvocation({ Event: 'something_else' }, {}, deps)).toBe('success');
    expect(sink.got).toHaveLength(1);
    const failing: TradeEventSink = {
      ...sink,
      onOrderSettlement: () => Promise.reject(new Error('db down')),
    };
    expect(await handleTradeEventsInvocation(settlement, {}, { boot: () => failing, log: quiet })).toEqual({
      errcode: 1,
      errmsg: expect.any(String),
    });
  });
});
