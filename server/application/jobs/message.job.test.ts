import { SubscribeFieldError } from '../../domain/subscribe-message';
import type { MessageDeps } from '../core.deps';
import type { OrderRecord } from '../order.model';
import { owe } from '../subscribe-messages';
import { buildMessage, miniprogramStateFor } from './message.job';

// 2026-11-30 15:01 Beijing.
const PAID_AT = Date.UTC(2026, 10, 30, 7, 1);

function deps(forcedState: MessageDeps['forcedState'] = null): MessageDeps {
  return {
    settings: {
      templates: {
        paid: {
          templateId: 'tp',
          fields: [
            { key: 'character_string1', value: 'orderNo' },
            { key: 'thing2', value: 'goods' },
            { key: 'amount3', value: 'paidAmount' },
            { key: 'time4', value: 'paidTime' },
            { key: 'thing5', value: 'shopName' },
          ],
        },
        shipped: {
          templateId: 'ts',
          fields: [
            { key: 'thing1', value: 'carrier' },
            { key: 'character_string2', value: 'trackingNo' },
          ],
        },
      },
      shopName: '安心小店',
    },
    subscriptions: {} as MessageDeps['subscriptions'],
    sender: {} as MessageDeps['sender'],
    forcedState,
  };
}

function order(extra: Partial<OrderRecord> = {}): OrderRecord {
  const base = {
    outTradeNo: 'O20261130150100abcDEF1234',
    openid: 'o-shopper-1',
    description: '云南小粒咖啡豆 250g 袋装 等 3 件商品（含赠品）',
    payment: {
      transactionId: 'tx',
      paidFen: 6800,
      successTimeMs: PAID_AT,
      source: 'notification',
      appliedAtMs: PAID_AT,
    },
    ...extra,
  } as unknown as OrderRecord;
  return { ...base, ...owe(base, 'paid', PAID_AT) };
}

describe('buildMessage', () => {
  it('fills every field of the template from the order, formatted for its type', () => {
    expect(buildMessage(order(), 'paid', deps())).toEqual({
      touser: 'o-shopper-1',
      templateId: 'tp',
      page: 'order/detail/index?outTradeNo=O20261130150100abcDEF1234',
      data: {
        character_string1: { value: 'O20261130150100abcDEF1234' },
        thing2: { value: '云南小粒咖啡豆 250g 袋装 等 3…' },
        amount3: { value: '¥68.00' },
        time4: { value: '2026年11月30日 15:01' },
        thing5: { value: '安心小店' },
      },
      miniprogramState: 'formal',
      lang: 'zh_CN',
    });
  });

  it('answers null for a kind that is off or not owed', () => {
    expect(buildMessage(order(), 'refund', deps())).toBeNull();
    expect(buildMessage(order(), 'shipped', deps())).toBeNull();
  });

  it('uses the facts fixed when the message was owed, and refuses one that is missing, naming the field', () => {
    const shipped = {
      ...order(),
      ...owe(order(), 'shipped', PAID_AT, { carrier: '顺丰速运', trackingNo: 'SF1234567890' }),
    };
    expect(buildMessage(shipped as OrderRecord, 'shipped', deps())!.data).toEqual({
      thing1: { value: '顺丰速运' },
      character_string2: { value: 'SF1234567890' },
    });
    const noTracking = { ...order(), ...owe(order(), 'shipped', PAID_AT, { carrier: '顺丰速运' }) };
    expect(() => buildMessage(noTracking as OrderRecord, 'shipped', deps())).toThrow(SubscribeFieldError);
    const badTracking = {
      ...order(),
      ...owe(order(), 'shipped', PAID_AT, { carrier: 'x', trackingNo: 'SF 12' }),
    };
    expect(() => buildMessage(badTracking as OrderRecord, 'shipped', deps())).toThrow(/^character_string2: /);
  });
});

describe('miniprogramStateFor', () => {
  it('opens the build the order was placed from; release when not told; developer on a development environment', () => {
    expect(miniprogramStateFor(order({ placedFrom: 'trial' }), deps())).toBe('trial');
    expect(miniprogramStateFor(order({ placedFrom: 'developer' }), deps())).toBe('developer');
    expect(miniprogramStateFor(order(), deps())).toBe('formal');
    expect(miniprogramStateFor(order({ placedFrom: 'trial' }), deps('developer'))).toBe('developer');
  });
});

describe('owe', () => {
  it('marks the kind owed and queues the job now, keeping the other kinds', () => {
    const first = owe({}, 'paid', 1000);
    expect(first).toEqual({
      messages: { paid: { state: 'owed', facts: { atMs: 1000 }, doneAtMs: null, error: null } },
      messageJob: { state: 'queued', nextAttemptAtMs: 1000, attempts: 0, lastError: null, gaveUpAtMs: null },
    });
    const sent = { messages: { paid: { ...first.messages.paid!, state: 'sent' as const } } };
    const again = owe(sent, 'refund', 2000, { amountFen: 100 });
    expect(again.messages.paid!.state).toBe('sent');
    expect(again.messages.refund).toMatchObject({ state: 'owed', facts: { atMs: 2000, amountFen: 100 } });
  });
});
