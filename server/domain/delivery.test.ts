import fc from 'fast-check';
import { parseCatalog } from './catalog';
import type { DeliveryKindName, PickupPoint } from './delivery';
import { allowedDeliveryKinds, assertDeliveryAllowed, parseDelivery } from './delivery';
import { DomainError } from './errors';

const POINT: PickupPoint = { name: '门店', address: '广州市海珠区 1 号', hours: '9:00–18:00' };
const ADDRESS = {
  userName: '张三',
  telNumber: '138 0013 8000',
  provinceName: '广东省',
  cityName: '广州市',
  countyName: '海珠区',
  detailInfo: '新港中路 397 号',
  postalCode: '510000',
};

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('parseDelivery', () => {
  it('keeps an express address as the snapshot the order stores (trimmed, postal code optional)', () => {
    expect(
      parseDelivery({ kind: 'express', address: { ...ADDRESS, userName: ' 张三 ' } }, ' 放门口 ', POINT),
    ).toEqual({
      kind: 'express',
      address: {
        name: '张三',
        phone: '138 0013 8000',
        province: '广东省',
        city: '广州市',
        district: '海珠区',
        detail: '新港中路 397 号',
        postalCode: '510000',
      },
      pickupPoint: null,
      remark: '放门口',
    });
    const { postalCode: _p, ...noPostal } = ADDRESS;
    expect(
      parseDelivery({ kind: 'express', address: noPostal }, undefined, null).address?.postalCode,
    ).toBeNull();
  });

  it.each([
    ['userName', '', 'delivery.address.userName'],
    ['userName', '一二三四五六七八九十一二三四五六七八九十一', 'delivery.address.userName'],
    ['telNumber', '1234', 'delivery.address.telNumber'],
    ['telNumber', '138-0013-8000#1', 'delivery.address.telNumber'],
    ['telNumber', '1'.repeat(21), 'delivery.address.telNumber'],
    ['provinceName', undefined, 'delivery.address.provinceName'],
    ['cityName', 'x'.repeat(21), 'delivery.address.cityName'],
    ['countyName', 5, 'delivery.address.countyName'],
    ['detailInfo', 'x'.repeat(121), 'delivery.address.detailInfo'],
    ['detailInfo', 'a\u0000b', 'delivery.address.detailInfo'],
    ['postalCode', '51000A', 'delivery.address.postalCode'],
    ['postalCode', '12345678901', 'delivery.address.postalCode'],
  ])('refuses express with %s = %j (ORDER.DELIVERY_INVALID names %s)', (key, value, field) => {
    const e = refusal(() =>
      parseDelivery({ kind: 'express', address: { ...ADDRESS, [key]: value } }, '', POINT),
    );
    expect(e.code).toBe('ORDER.DELIVERY_INVALID');
    expect(e.details).toEqual({ field });
  });

  it('accepts the longest allowed values', () => {
    const longest = {
      ...ADDRESS,
      userName: '名'.repeat(20),
      telNumber: '+86 138-0013-8000',
      detailInfo: '路'.repeat(120),
      postalCode: '1234567890',
    };
    expect(parseDelivery({ kind: 'express', address: longest }, '备'.repeat(100), POINT).remark).toHaveLength(
      100,
    );
  });

  it('refuses a missing or malformed delivery, an unknown kind, extra fields and a long remark', () => {
    const field = (raw: unknown, remark?: unknown) =>
      refusal(() => parseDelivery(raw, remark, POINT)).details?.['field'];
    expect(field(undefined)).toBe('delivery');
    expect(field('express')).toBe('delivery');
    expect(field({ kind: 'drone' })).toBe('delivery.kind');
    expect(field({ kind: 'express' })).toBe('delivery.address');
    expect(field({ kind: 'pickup', address: ADDRESS })).toBe('delivery.address');
    expect(field({ kind: 'virtual', priceFen: 1 })).toBe('delivery.priceFen');
    expect(field({ kind: 'virtual' }, 'x'.repeat(101))).toBe('remark');
    expect(field({ kind: 'virtual' }, 42)).toBe('remark');
  });

  it('pickup stores the configured point, and is refused when the shop has none', () => {
    expect(parseDelivery({ kind: 'pickup' }, '', POINT)).toEqual({
      kind: 'pickup',
      address: null,
      pickupPoint: POINT,
      remark: '',
    });
    const e = refusal(() => parseDelivery({ kind: 'pickup' }, '', null));
    expect(e.code).toBe('ORDER.DELIVERY_NOT_ALLOWED');
  });

  it('never lets anything through that breaks a limit (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          userName: fc.string({ maxLength: 30 }),
          telNumber: fc.string({ maxLength: 25 }),
          provinceName: fc.string({ maxLength: 25 }),
          cityName: fc.string({ maxLength: 25 }),
          countyName: fc.string({ maxLength: 25 }),
          detailInfo: fc.string({ maxLength: 130 }),
        }),
        (address) => {
          try {
            const d = parseDelivery({ kind: 'express', address }, '', null);
            const a = d.address!;
            expect([...a.name].length).toBeLessThanOrEqual(20);
            expect(a.phone).toMatch(/^[0-9+\- ]{5,20}$/);
            expect([...a.detail].length).toBeLessThanOrEqual(120);
            for (const v of [a.name, a.province, a.city, a.district, a.detail]) expect(v.trim()).not.toBe('');
          } catch (e) {
            expect((e as DomainError).code).toBe('ORDER.DELIVERY_INVALID');
          }
        },
      ),
    );
  });
});

describe('which kinds the lines allow', () => {
  const catalog = parseCatalog({
    products: [
      { productId: 'p-tea', title: '茶', delivery: ['express', 'pickup'], skus: [sku('s-tea')] },
      { productId: 'p-card', title: '礼品卡', delivery: ['virtual'], skus: [sku('s-card')] },
      { productId: 'p-shirt', title: 'T恤', skus: [sku('s-shirt')] },
    ],
  });

  function sku(skuId: string) {
    return { skuId, spec: '默认', priceFen: 100, stock: 5, onSale: true };
  }

  it('is what every line allows (absent = express), pickup only with a pickup point', () => {
    expect(allowedDeliveryKinds(catalog, ['p-tea'], POINT)).toEqual(['express', 'pickup']);
    expect(allowedDeliveryKinds(catalog, ['p-tea'], null)).toEqual(['express']);
    expect(allowedDeliveryKinds(catalog, ['p-tea', 'p-shirt'], POINT)).toEqual(['express']);
    expect(allowedDeliveryKinds(catalog, ['p-tea', 'p-card'], POINT)).toEqual([]);
    expect(allowedDeliveryKinds(catalog, ['p-card'], POINT)).toEqual(['virtual']);
  });

  it.each<[string[], DeliveryKindName, string | null]>([
    [['p-tea'], 'pickup', null],
    [['p-tea', 'p-shirt'], 'pickup', 'p-shirt'],
    [['p-shirt'], 'virtual', 'p-shirt'],
    [['p-card', 'p-tea'], 'virtual', 'p-tea'],
  ])('lines %j by %s: refused naming %s', (ids, kind, refusing) => {
    if (refusing === null) {
      expect(() => assertDeliveryAllowed(catalog, ids, kind)).not.toThrow();
      return;
    }
    const e = refusal(() => assertDeliveryAllowed(catalog, ids, kind));
    expect(e.code).toBe('ORDER.DELIVERY_NOT_ALLOWED');
    expect(e.details).toMatchObject({ kind, productId: refusing });
  });

  it('the catalog refuses unknown, repeated or empty delivery lists', () => {
    const bad = (delivery: unknown) =>
      refusal(() => parseCatalog({ products: [{ productId: 'p', title: 't', delivery, skus: [sku('s')] }] }))
        .message;
    expect(bad([])).toMatch(/products\[0\]\.delivery must be a non-empty array/);
    expect(bad(['drone'])).toMatch(/products\[0\]\.delivery\[0\]/);
    expect(bad(['express', 'express'])).toMatch(/twice/);
    expect(bad('express')).toMatch(/products\[0\]\.delivery/);
  });
});
