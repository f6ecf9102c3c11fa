import { AppConfigError, parseAppConfig } from './app-config';

const BASE = { PAY_PROVIDER: 'wechatpay-v3' };

function configError(env: Record<string, string>): AppConfigError {
  try {
    parseAppConfig(env);
  } catch (e) {
    if (e instanceof AppConfigError) return e;
    throw e;
  }
  throw new Error('expected a configuration error');
}

describe('SHOP_TESTER_PRICE_FEN', () => {
  it('defaults to 1 fen', () => {
    expect(parseAppConfig(BASE).testerPriceFen).toBe(1);
    expect(parseAppConfig({ ...BASE, SHOP_TESTER_PRICE_FEN: '  ' }).testerPriceFen).toBe(1);
  });

  it('takes a whole number of fen from 1 to 100000', () => {
    expect(parseAppConfig({ ...BASE, SHOP_TESTER_PRICE_FEN: '1' }).testerPriceFen).toBe(1);
    expect(parseAppConfig({ ...BASE, SHOP_TESTER_PRICE_FEN: ' 50 ' }).testerPriceFen).toBe(50);
    expect(parseAppConfig({ ...BASE, SHOP_TESTER_PRICE_FEN: '100000' }).testerPriceFen).toBe(100_000);
  });

  it.each(['0', '-1', '1.5', '0.01', '100001', '1e3', 'abc', '0x10', '9999999'])(
    'refuses %p at load, naming the setting',
    (value) => {
      const e = configError({ ...BASE, SHOP_TESTER_PRICE_FEN: value });
      expect(e.setting).toBe('SHOP_TESTER_PRICE_FEN');
      expect(e.message).toMatch(/from 1 to 100000/);
    },
  );
});

describe('fulfilment settings (docs/adr/0009)', () => {
  it('SHOP_EXPRESS_COMPANIES defaults to the common carriers, in order, SF first', () => {
    const { expressCompanies } = parseAppConfig(BASE);
    expect(expressCompanies.map((c) => c.id)).toEqual(['SF', 'ZTO', 'YTO', 'YD', 'STO', 'JD', 'EMS']);
    expect(expressCompanies[0]).toEqual({ id: 'SF', name: '顺丰速运' });
  });

  it('SHOP_EXPRESS_COMPANIES takes "ID:名称" pairs', () => {
    expect(
      parseAppConfig({ ...BASE, SHOP_EXPRESS_COMPANIES: ' SF:顺丰 , DBL:德邦快递 ' }).expressCompanies,
    ).toEqual([
      { id: 'SF', name: '顺丰' },
      { id: 'DBL', name: '德邦快递' },
    ]);
  });

  it.each(['SF', 'SF:', ':顺丰', 'S F:顺丰', 'SF:顺丰,SF:顺丰速运', 'SF:顺丰,,ZTO:中通'])(
    'SHOP_EXPRESS_COMPANIES refuses %p, naming the setting',
    (value) => {
      expect(configError({ ...BASE, SHOP_EXPRESS_COMPANIES: value }).setting).toBe('SHOP_EXPRESS_COMPANIES');
    },
  );

  it('SHOP_AUTO_COMPLETE_DAYS defaults to 10 and takes 1–30', () => {
    expect(parseAppConfig(BASE).autoCompleteDays).toBe(10);
    expect(parseAppConfig({ ...BASE, SHOP_AUTO_COMPLETE_DAYS: '1' }).autoCompleteDays).toBe(1);
    expect(parseAppConfig({ ...BASE, SHOP_AUTO_COMPLETE_DAYS: '30' }).autoCompleteDays).toBe(30);
    for (const bad of ['0', '31', '7.5', 'ten', '-3']) {
      const e = configError({ ...BASE, SHOP_AUTO_COMPLETE_DAYS: bad });
      expect(e.setting).toBe('SHOP_AUTO_COMPLETE_DAYS');
      expect(e.message).toMatch(/from 1 to 30/);
    }
  });

  it('SHOP_PICKUP_POINT is "name|address|hours"; unset means no pickup', () => {
    expect(parseAppConfig(BASE).pickupPoint).toBeNull();
    expect(
      parseAppConfig({ ...BASE, SHOP_PICKUP_POINT: ' 门店 | 海珠区 1 号 | 9:00–18:00 ' }).pickupPoint,
    ).toEqual({
      name: '门店',
      address: '海珠区 1 号',
      hours: '9:00–18:00',
    });
    for (const bad of ['门店', '门店|海珠区', '门店||9:00', '门店|海珠区|9:00|extra']) {
      expect(configError({ ...BASE, SHOP_PICKUP_POINT: bad }).setting).toBe('SHOP_PICKUP_POINT');
    }
  });
});

describe('refund requests: SHOP_REFUND_REQUEST_DAYS and SHOP_REFUND_REASONS', () => {
  it('default to 7 days and the six usual reasons', () => {
    const c = parseAppConfig(BASE);
    expect(c.refundRequestDays).toBe(7);
    expect(c.refundReasons).toEqual([
      '不想要了',
      '拍错/多拍',
      '商品与描述不符',
      '质量问题',
      '少件/漏发',
      '其他',
    ]);
  });

  it('take a whole number of days 1–90 and a list of reasons (trimmed)', () => {
    const c = parseAppConfig({
      ...BASE,
      SHOP_REFUND_REQUEST_DAYS: '15',
      SHOP_REFUND_REASONS: ' 坏了 , 其他 ',
    });
    expect(c.refundRequestDays).toBe(15);
    expect(c.refundReasons).toEqual(['坏了', '其他']);
  });

  it.each(['0', '91', '1.5', '-3', 'seven'])('refuses SHOP_REFUND_REQUEST_DAYS=%p at load', (value) => {
    expect(configError({ ...BASE, SHOP_REFUND_REQUEST_DAYS: value }).setting).toBe(
      'SHOP_REFUND_REQUEST_DAYS',
    );
  });

  it.each([
    '坏了,,其他',
    '坏了,坏了',
    `${'长'.repeat(21)}`,
    Array.from({ length: 21 }, (_, i) => `r${i}`).join(','),
  ])('refuses SHOP_REFUND_REASONS=%p at load', (value) => {
    expect(configError({ ...BASE, SHOP_REFUND_REASONS: value }).setting).toBe('SHOP_REFUND_REASONS');
  });
});
