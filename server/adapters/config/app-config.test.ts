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

describe('SHOP_MSG_TEMPLATE_* (subscription messages)', () => {
  const PAID = 'tmpl-paid|character_string1=orderNo,amount2=paidAmount,time3=paidTime,thing4=goods';

  it('is off when unset, and parses a configured template', () => {
    expect(parseAppConfig(BASE).messages.templates).toEqual({});
    const cfg = parseAppConfig({ ...BASE, SHOP_MSG_TEMPLATE_PAID: PAID });
    expect(cfg.messages.templates.paid).toEqual({
      templateId: 'tmpl-paid',
      fields: [
        { key: 'character_string1', value: 'orderNo' },
        { key: 'amount2', value: 'paidAmount' },
        { key: 'time3', value: 'paidTime' },
        { key: 'thing4', value: 'goods' },
      ],
    });
    expect(cfg.messages.templates.refund).toBeUndefined();
    expect(cfg.messages.shopName).toBe('本店');
  });

  it.each([
    ['no bar', 'tmpl-paid character_string1=orderNo', /templateId\|field=value/],
    ['a bad id', 'tm pl|thing1=goods', /template id/],
    ['an unknown value', 'tmpl|thing1=colour', /not one of/],
    ['an unknown field type', 'tmpl|colour1=goods', /not a WeChat field type/],
    ['a value that does not fit the type', 'tmpl|phrase1=goods', /goods cannot go into a phrase field/],
    ['a value the kind has not', 'tmpl|amount1=refundAmount', /a paid message has no refundAmount/],
    ['a key twice', 'tmpl|thing1=goods,thing1=note', /twice/],
    ['no field', 'tmpl|', /field=value/],
  ])('refuses %s at load, naming the setting', (_what, value, problem) => {
    const e = configError({ ...BASE, SHOP_MSG_TEMPLATE_PAID: value });
    expect(e.setting).toBe('SHOP_MSG_TEMPLATE_PAID');
    expect(e.message).toMatch(problem);
  });

  it('refuses one template id for two messages', () => {
    const e = configError({
      ...BASE,
      SHOP_MSG_TEMPLATE_PAID: 'same|thing1=goods',
      SHOP_MSG_TEMPLATE_REFUND: 'same|amount1=refundAmount',
    });
    expect(e.setting).toBe('SHOP_MSG_TEMPLATE_REFUND');
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

describe('web checkout limits: SHOP_H5_MAX_UNPAID and SHOP_H5_MAX_UNPAID_PER_IP (docs/adr/0012)', () => {
  it('are on in production (200 shop-wide, 5 per address) and off in development when unset', () => {
    expect(parseAppConfig(BASE).webCheckout).toEqual({ maxUnpaid: 200, maxUnpaidPerIp: 5 });
    expect(parseAppConfig({ ...BASE, APP_ENV: 'development' }).webCheckout).toEqual({
      maxUnpaid: null,
      maxUnpaidPerIp: null,
    });
  });

  it('take a whole number of orders (1–100000 shop-wide, 1–100 per address) or off, in either environment', () => {
    expect(
      parseAppConfig({ ...BASE, SHOP_H5_MAX_UNPAID: ' 1000 ', SHOP_H5_MAX_UNPAID_PER_IP: 'off' }).webCheckout,
    ).toEqual({ maxUnpaid: 1000, maxUnpaidPerIp: null });
    expect(
      parseAppConfig({ ...BASE, APP_ENV: 'development', SHOP_H5_MAX_UNPAID_PER_IP: '2' }).webCheckout,
    ).toEqual({ maxUnpaid: null, maxUnpaidPerIp: 2 });
    expect(parseAppConfig({ ...BASE, SHOP_H5_MAX_UNPAID: '100000' }).webCheckout.maxUnpaid).toBe(100_000);
    expect(parseAppConfig({ ...BASE, SHOP_H5_MAX_UNPAID_PER_IP: '100' }).webCheckout.maxUnpaidPerIp).toBe(
      100,
    );
    expect(configError({ ...BASE, SHOP_H5_MAX_UNPAID_PER_IP: '101' }).message).toMatch(
      /from 1 to 100,? or 'off'/,
    );
  });

  it.each(['0', '-1', '1.5', '100001', 'none', 'OFF', '1e3'])(
    'refuses %p at load, naming the setting',
    (value) => {
      for (const name of ['SHOP_H5_MAX_UNPAID', 'SHOP_H5_MAX_UNPAID_PER_IP']) {
        const e = configError({ ...BASE, [name]: value });
        expect(e.setting).toBe(name);
        expect(e.message).toContain("or 'off'");
      }
    },
  );
});
