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
