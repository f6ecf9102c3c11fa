import { CloudPayConfigError, CloudPayEnv, merchantIdentity, parseCloudPayConfig } from './cloudpay.config';

const VALID = {
  CLOUDPAY_APPID: 'wx1234567890abcdef',
  CLOUDPAY_SUB_MCH_ID: '1900000109',
  CLOUDPAY_ENV_ID: 'prod-8gig4kg8252ade88',
};

function problem(env: Record<string, string | undefined>): CloudPayConfigError {
  try {
    parseCloudPayConfig(env);
  } catch (e) {
    if (e instanceof CloudPayConfigError) return e;
    throw e;
  }
  throw new Error('expected a CloudPayConfigError');
}

describe('parseCloudPayConfig', () => {
  it('reads the settings and defaults the callback function and spbill_create_ip', () => {
    expect(parseCloudPayConfig({ ...VALID, CLOUDPAY_ENV_ID: '  prod-8gig4kg8252ade88 ' })).toEqual({
      appid: 'wx1234567890abcdef',
      subMchId: '1900000109',
      envId: 'prod-8gig4kg8252ade88',
      callbackFunctionName: 'payCallback',
      spbillCreateIp: '127.0.0.1',
    });
    expect(
      parseCloudPayConfig({
        ...VALID,
        CLOUDPAY_CALLBACK_FUNCTION: 'pay_cb',
        CLOUDPAY_SPBILL_CREATE_IP: '2001:db8::1',
      }),
    ).toMatchObject({ callbackFunctionName: 'pay_cb', spbillCreateIp: '2001:db8::1' });
  });

  it.each([
    [CloudPayEnv.APPID, /CLOUDPAY_APPID is missing/],
    [CloudPayEnv.SUB_MCH_ID, /CLOUDPAY_SUB_MCH_ID is missing \(the merchant number bound/],
    [CloudPayEnv.ENV_ID, /CLOUDPAY_ENV_ID is missing/],
  ])('names the missing setting %s', (name, message) => {
    const e = problem({ ...VALID, [name]: '   ' });
    expect(e.setting).toBe(name);
    expect(e.message).toMatch(message);
  });

  it('names malformed settings without echoing their values', () => {
    const cases: Array<[string, string]> = [
      [CloudPayEnv.APPID, 'wx-not-an-appid!!'],
      [CloudPayEnv.SUB_MCH_ID, '19000abc'],
      [CloudPayEnv.ENV_ID, 'env with spaces'],
      [CloudPayEnv.CALLBACK_FUNCTION, '1payCallback'],
      [CloudPayEnv.SPBILL_CREATE_IP, '300.1.1.1'],
    ];
    for (const [name, value] of cases) {
      const e = problem({ ...VALID, [name]: value });
      expect(e.setting).toBe(name);
      expect(e.message).toContain('is malformed');
      expect(e.message).not.toContain(value);
    }
  });

  it("normalises the merchant identity to the shop's own app and merchant number", () => {
    expect(merchantIdentity(parseCloudPayConfig(VALID))).toEqual({
      appid: 'wx1234567890abcdef',
      mchid: '1900000109',
      subMchid: '1900000109',
    });
  });
});
