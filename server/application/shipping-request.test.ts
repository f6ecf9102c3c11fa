import { beijingRfc3339 } from '../domain/beijing-time';
import type { Fen } from '../domain/money';
import type { OrderRecord } from './order.model';
import {
  itemDescription,
  maskedPhone,
  shippingRequest,
  tradeOrderKey,
  uploadInstant,
} from './shipping-request';

const T0 = Date.UTC(2026, 11, 7, 0, 30, 0, 250);
const DIRECT = { appid: 'wxapp', mchid: '1900000001' };
const PARTNER = { appid: 'wxsp', mchid: '1900000100', subMchid: '1900000109' };
const ADDRESS = {
  name: '张三',
  phone: '138 0013 8000',
  province: '广东省',
  city: '广州市',
  district: '海珠区',
  detail: '新港中路 397 号',
  postalCode: null,
};

function order(over: Partial<OrderRecord> = {}): OrderRecord {
  return {
    outTradeNo: 'O20261207A0001',
    openid: 'o-payer',
    lines: [
      {
        skuId: 's1',
        productId: 'p1',
        title: '云南小粒咖啡豆',
        spec: '250g 袋装',
        unitPriceFen: 6800 as Fen,
        quantity: 2,
        lineTotalFen: 13600 as Fen,
        linePayableFen: 13600 as Fen,
      },
    ],
    payment: {
      transactionId: '4200000001',
      paidFen: 13600 as Fen,
      successTimeMs: T0,
      source: 'notification',
      appliedAtMs: T0,
    },
    delivery: { kind: 'express', address: ADDRESS, pickupPoint: null, remark: '' },
    fulfilment: {
      state: 'SHIPPED',
      parcels: [{ expressCompany: 'ZTO', expressName: '中通快递', trackingNo: 'ZT1234567' }],
      shippedAtMs: T0,
      receivedAtMs: null,
      completedAtMs: null,
      completeAtMs: null,
    },
    ...over,
  } as OrderRecord;
}

describe("WeChat's upload_shipping_info request from an order (docs/adr/0009)", () => {
  it('one express parcel: unified, by transaction id, payer openid, Beijing upload time', () => {
    expect(shippingRequest(order(), DIRECT, T0)).toEqual({
      order_key: { order_number_type: 2, transaction_id: '4200000001' },
      logistics_type: 1,
      delivery_mode: 1,
      shipping_list: [
        { tracking_no: 'ZT1234567', express_company: 'ZTO', item_desc: '云南小粒咖啡豆 250g 袋装×2' },
      ],
      upload_time: '2026-12-07T08:30:00.250+08:00',
      payer: { openid: 'o-payer' },
    });
  });

  it('two or more parcels are a split delivery, all delivered', () => {
    const parcels = [
      { expressCompany: 'ZTO', expressName: '中通快递', trackingNo: 'ZT1' + '0000' },
      { expressCompany: 'YTO', expressName: '圆通速递', trackingNo: 'YT2' + '0000' },
    ];
    const r = shippingRequest(order({ fulfilment: { ...order().fulfilment!, parcels } }), DIRECT, T0);
    expect(r).toMatchObject({ delivery_mode: 2, is_all_delivered: true });
    expect(r.shipping_list.map((e) => e.tracking_no)).toEqual(['ZT10000', 'YT20000']);
  });

  it('SF needs the receiver contact, masked to the last 4 digits', () => {
    const parcels = [{ expressCompany: 'SF', expressName: '顺丰速运', trackingNo: 'SF1234567' }];
    const r = shippingRequest(order({ fulfilment: { ...order().fulfilment!, parcels } }), DIRECT, T0);
    expect(r.shipping_list[0]?.contact).toEqual({ receiver_contact: '*******8000' });
    expect(maskedPhone('+86 138-0013-8000')).toBe('+*****-****-8000');
  });

  it('pickup is logistics_type 4, virtual 3, one entry without tracking', () => {
    const pickup = shippingRequest(
      order({ delivery: { kind: 'pickup', address: null, pickupPoint: null, remark: '' } }),
      DIRECT,
      T0,
    );
    expect(pickup).toMatchObject({ logistics_type: 4, delivery_mode: 1 });
    expect(pickup.shipping_list).toEqual([{ item_desc: '云南小粒咖啡豆 250g 袋装×2' }]);
    const virtual = shippingRequest(
      order({ delivery: { kind: 'virtual', address: null, pickupPoint: null, remark: '' } }),
      DIRECT,
      T0,
    );
    expect(virtual.logistics_type).toBe(3);
  });

  it('without a transaction id: mchid + out_trade_no, the sub-merchant in partner mode', () => {
    expect(tradeOrderKey(order({ payment: null }), DIRECT)).toEqual({
      order_number_type: 1,
      mchid: '1900000001',
      out_trade_no: 'O20261207A0001',
    });
    expect(tradeOrderKey(order({ payment: null }), PARTNER)).toEqual({
      order_number_type: 1,
      mchid: '1900000109',
      out_trade_no: 'O20261207A0001',
    });
    expect(tradeOrderKey(order(), PARTNER)).toEqual({ order_number_type: 2, transaction_id: '4200000001' });
  });

  it('item_desc names every line and is cut to 120 whole characters', () => {
    const line = order().lines[0]!;
    const many = order({ lines: Array.from({ length: 12 }, (_, i) => ({ ...line, skuId: `s${i}` })) });
    const desc = itemDescription(many);
    expect([...desc]).toHaveLength(120);
    expect(desc.startsWith('云南小粒咖啡豆 250g 袋装×2、云南小粒咖啡豆')).toBe(true);
  });

  it('upload_time is strictly later than the previous upload, even when the clock is not', () => {
    const uploaded = order({
      shippingUpload: {
        job: { state: 'settled', nextAttemptAtMs: null, attempts: 0, lastError: null, gaveUpAtMs: null },
        uploads: 1,
        history: [{ uploadTime: beijingRfc3339(T0, 'millisecond'), atMs: T0, logisticsType: 1, parcels: [] }],
        state: 'uploaded',
        lastError: null,
      },
    });
    expect(uploadInstant(uploaded, T0 - 5_000)).toBe(T0 + 1_000);
    expect(uploadInstant(uploaded, T0 + 60_000)).toBe(T0 + 60_000);
    expect(uploadInstant(order(), T0)).toBe(T0);
  });
});
