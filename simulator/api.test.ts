// The WeChat-facing API: request authentication, signed answers, parameter validation and the order endpoints.
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { request } from 'node:http';
import { startFixture, type SimFixture } from './test-support/fixture';
import { allPlatformKeys, answerVerifies, rawRequest, type RawRequest } from './test-support/raw-client';

let fx: SimFixture;
let n = 0;

beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.dispose();
});

const send = (r: RawRequest) => rawRequest(fx.sim.url, fx.identity, r);
const no = (p = 'T'): string => `${p}${Date.now().toString(36)}${(n += 1)}`;

function directOrder(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: fx.identity.direct.appid,
    mchid: fx.identity.direct.mchid,
    description: '安心小店-测试',
    out_trade_no: no(),
    notify_url: 'https://shop.example.com/pay/notify',
    amount: { total: 1, currency: 'CNY' },
    payer: { openid: 'o_test' },
    ...over,
  };
}

function partnerOrder(over: Record<string, unknown> = {}): Record<string, unknown> {
  const p = fx.identity.partner;
  return {
    sp_appid: p.spAppid,
    sp_mchid: p.spMchid,
    sub_appid: p.subAppid,
    sub_mchid: p.subMchid,
    description: '安心小店-测试',
    out_trade_no: no('P'),
    notify_url: 'https://shop.example.com/pay/notify',
    amount: { total: 1 },
    payer: { sub_openid: 'o_sub' },
    ...over,
  };
}

const createDirect = (body: unknown) =>
  send({ merchant: 'direct', method: 'POST', path: '/v3/pay/transactions/jsapi', body });

describe('request authentication', () => {
  it('accepts a correctly signed request and signs the answer', async () => {
    const a = await createDirect(directOrder());
    expect(a.status).toBe(200);
    expect(answerVerifies(a, allPlatformKeys(fx.identity))).toBe(true);
    expect(a.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(a.headers['request-id']).toEqual(expect.any(String));
  });

  it.each<[string, Partial<RawRequest>]>([
    ['no Authorization header', { noAuth: true }],
    ['a body changed after signing', { tamperBody: (b) => b.replace('"total":1', '"total":2') }],
    ['an unknown certificate serial', { auth: { serial: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' } }],
    ['a timestamp 6 minutes old', { auth: { timestamp: String(Math.floor(Date.now() / 1000) - 360) } }],
    ['a timestamp 6 minutes ahead', { auth: { timestamp: String(Math.floor(Date.now() / 1000) + 360) } }],
    ['an unknown mchid', { auth: { mchid: '1999999999' } }],
    ['a garbage signature', { auth: { signature: 'AAAA' } }],
  ])('answers 401 SIGN_ERROR for %s', async (_name, sabotage) => {
    const a = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
      body: directOrder(),
      ...sabotage,
    });
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({ code: 'SIGN_ERROR', message: expect.any(String) });
    // Error answers are signed too.
    expect(answerVerifies(a, allPlatformKeys(fx.identity))).toBe(true);
  });

  it('answers 401 when the body mchid differs from the Authorization mchid', async () => {
    const a = await createDirect(directOrder({ mchid: fx.identity.partner.spMchid }));
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({ code: 'SIGN_ERROR', detail: { field: 'mchid' } });
  });

  it('answers 401 when another merchant key signs for this mchid', async () => {
    const id = fx.identity;
    const body = JSON.stringify(directOrder());
    const ts = String(Formatter.timestamp());
    const nonce = Formatter.nonce();
    const forged = Rsa.sign(
      Formatter.request('POST', '/v3/pay/transactions/jsapi', ts, nonce, body),
      Rsa.from(id.partner.merchantPrivateKeyPem, 'private'),
    );
    const a = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
      body,
      auth: { timestamp: ts, nonce, signature: forged },
    });
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({
      code: 'SIGN_ERROR',
      detail: { sign_information: { method: 'POST', url: '/v3/pay/transactions/jsapi' } },
    });
  });

  it('covers the query string in the signature', async () => {
    const ok = await send({
      merchant: 'direct',
      method: 'GET',
      path: `/v3/pay/transactions/out-trade-no/NOPE123?mchid=${fx.identity.direct.mchid}`,
    });
    expect(ok.status).toBe(404);
    const signedOther = await send({
      merchant: 'direct',
      method: 'GET',
      path: `/v3/pay/transactions/out-trade-no/NOPE123?mchid=${fx.identity.direct.mchid}`,
      auth: {
        signature: Rsa.sign(
          Formatter.request('GET', '/v3/pay/transactions/out-trade-no/NOPE123', '1', 'n', ''),
          Rsa.from(fx.identity.direct.merchantPrivateKeyPem, 'private'),
        ),
      },
    });
    expect(signedOther.status).toBe(401);
  });
});

describe('answer signing key', () => {
  const certSerial = (): string => fx.identity.platform.certificate.serial;
  const pubId = (): string => fx.identity.platform.publicKey.publicKeyId;

  it.each<[string, string | undefined, 'cert' | 'pub']>([
    ['certificate', undefined, 'cert'],
    ['certificate', 'PUB', 'cert'],
    ['publicKey', undefined, 'pub'],
    ['publicKey', 'CERT', 'pub'],
    ['switching', 'CERT', 'cert'],
    ['switching', 'PUB', 'pub'],
    ['switching', undefined, 'pub'],
  ])('in %s mode with Wechatpay-Serial=%s signs with the %s key', async (mode, asked, expected) => {
    await fx.sim.control.setKeyMode('direct', mode as 'certificate' | 'publicKey' | 'switching');
    const headers: Record<string, string> =
      asked === undefined ? {} : { 'Wechatpay-Serial': asked === 'PUB' ? pubId() : certSerial() };
    const a = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
      body: directOrder(),
      headers,
    });
    expect(a.status).toBe(200);
    expect(a.headers['wechatpay-serial']).toBe(expected === 'pub' ? pubId() : certSerial());
    expect(answerVerifies(a, allPlatformKeys(fx.identity))).toBe(true);
    await fx.sim.control.setKeyMode('direct', 'certificate');
  });

  it('signs an empty 204 answer over TS\\nNONCE\\n\\n', async () => {
    const a = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/out-trade-no/UNKNOWN123/close',
      body: { mchid: fx.identity.direct.mchid },
    });
    expect(a.status).toBe(204);
    expect(a.text).toBe('');
    expect(answerVerifies(a, allPlatformKeys(fx.identity))).toBe(true);
  });
});

describe('create-order validation', () => {
  const chinese = (count: number): string => '测'.repeat(count);
  it.each<[string, Record<string, unknown>, number, string]>([
    ['empty description', { description: '' }, 400, 'PARAM_ERROR'],
    [
      'description of 129 UTF-8 bytes (43 Chinese characters)',
      { description: chinese(43) },
      400,
      'PARAM_ERROR',
    ],
    ['out_trade_no of 5 characters', { out_trade_no: 'abcde' }, 400, 'PARAM_ERROR'],
    ['out_trade_no of 33 characters', { out_trade_no: 'a'.repeat(33) }, 400, 'PARAM_ERROR'],
    ['out_trade_no with #', { out_trade_no: 'abc#def' }, 400, 'PARAM_ERROR'],
    ['amount 0', { amount: { total: 0 } }, 400, 'PARAM_ERROR'],
    ['fractional amount', { amount: { total: 1.5 } }, 400, 'PARAM_ERROR'],
    ['amount as a string', { amount: { total: '100' } }, 400, 'PARAM_ERROR'],
    ['currency USD', { amount: { total: 1, currency: 'USD' } }, 400, 'PARAM_ERROR'],
    ['plain-http public notify_url', { notify_url: 'http://shop.example.com/notify' }, 400, 'PARAM_ERROR'],
    ['notify_url with a query', { notify_url: 'https://shop.example.com/notify?x=1' }, 400, 'PARAM_ERROR'],
    ['attach of 129 bytes', { attach: 'a'.repeat(129) }, 400, 'PARAM_ERROR'],
    ['time_expire without offset', { time_expire: '2030-01-01T00:00:00' }, 400, 'PARAM_ERROR'],
    ['time_expire on 31 February', { time_expire: '2030-02-31T00:00:00+08:00' }, 400, 'PARAM_ERROR'],
    ['JSAPI without payer', { payer: undefined }, 400, 'PARAM_ERROR'],
    ['an appid not bound to the mchid', { appid: 'wx0000000000000000' }, 400, 'APPID_MCHID_NOT_MATCH'],
  ])('refuses %s', async (_name, over, status, code) => {
    const a = await createDirect(directOrder(over));
    expect({ status: a.status, code: (a.json as { code?: string }).code }).toEqual({ status, code });
  });

  it.each<[string, Record<string, unknown>]>([
    ['42 Chinese characters (126 bytes)', { description: chinese(42) }],
    ['out_trade_no with _-|*', { out_trade_no: `a_-|*${n}`.padEnd(6, '0') }],
    ['http://localhost notify_url (local loosening)', { notify_url: 'http://localhost:9/notify' }],
    ['http://127.0.0.1 notify_url (local loosening)', { notify_url: 'http://127.0.0.1:9/notify' }],
    ['no currency (defaults to CNY)', { amount: { total: 5 } }],
  ])('accepts %s', async (_name, over) => {
    const a = await createDirect(directOrder(over));
    expect(a.status).toBe(200);
  });

  it('refuses a malformed JSON body', async () => {
    const a = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
      body: '{"appid":',
    });
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ code: 'PARAM_ERROR' });
  });

  it('says which field is wrong, in WeChat style with an English issue', async () => {
    const a = await createDirect(directOrder({ description: chinese(43) }));
    expect(a.json).toMatchObject({
      code: 'PARAM_ERROR',
      message: expect.stringContaining('字节数 129'),
      detail: { field: '/description', location: 'body', issue: expect.stringContaining('127 bytes') },
    });
  });
});

describe('time_expire', () => {
  const expireOf = async (timeExpire: string | undefined): Promise<number> => {
    const body = directOrder(timeExpire === undefined ? {} : { time_expire: timeExpire });
    expect((await createDirect(body)).status).toBe(200);
    const o = await fx.sim.control.order(body.out_trade_no as string);
    return o.timeExpireAt - o.createdAt;
  };
  it('defaults to 7 days', async () => {
    expect(await expireOf(undefined)).toBe(7 * 24 * 3600e3);
  });
  it('clamps a past time to 1 minute', async () => {
    expect(await expireOf('2001-01-01T00:00:00+08:00')).toBe(60e3);
  });
  it('clamps a far future time to 90 days', async () => {
    expect(await expireOf('2999-01-01T00:00:00Z')).toBe(90 * 24 * 3600e3);
  });
  it('keeps a time in range exactly', async () => {
    const clock = await fx.sim.control.clock();
    const target = new Date(clock.nowMs + 3600e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const delta = await expireOf(target);
    expect(Math.abs(delta - 3600e3)).toBeLessThan(2000);
  });
});

describe('order endpoints', () => {
  it('answers code_url for Native, h5_url for H5 and prepay_id for APP', async () => {
    const native = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/native',
      body: directOrder({ payer: undefined }),
    });
    expect(native.json).toEqual({ code_url: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/) });
    const noScene = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/h5',
      body: directOrder({ payer: undefined }),
    });
    expect(noScene.status).toBe(400);
    const h5 = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/h5',
      body: directOrder({
        payer: undefined,
        scene_info: { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } },
      }),
    });
    const h5Url = (h5.json as { h5_url: string }).h5_url;
    expect(h5Url.startsWith(`${fx.sim.url}/sim/cashier/wx`)).toBe(true);
    const page = await getText(h5Url);
    expect(page).toContain('模拟收银台');
    const app = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/app',
      body: directOrder({ payer: undefined }),
    });
    expect(app.json).toEqual({ prepay_id: expect.stringMatching(/^wx/) });
  });

  it('refuses an H5 order whose payer_client_ip is not an IP address or whose h5_info.type is unknown (400 PARAM_ERROR)', async () => {
    const h5 = (scene: Record<string, unknown>) =>
      send({
        merchant: 'direct',
        method: 'POST',
        path: '/v3/pay/transactions/h5',
        body: directOrder({ payer: undefined, scene_info: scene }),
      });
    for (const ip of ['not-an-ip', '1.2.3.4, 5.6.7.8', '999.1.1.1', 'localhost']) {
      const refused = await h5({ payer_client_ip: ip, h5_info: { type: 'Wap' } });
      expect({ ip, status: refused.status }).toEqual({ ip, status: 400 });
      expect(refused.json).toMatchObject({
        code: 'PARAM_ERROR',
        detail: { field: '/scene_info/payer_client_ip' },
      });
    }
    const badType = await h5({ payer_client_ip: '203.0.113.7', h5_info: { type: 'Desktop' } });
    expect(badType.status).toBe(400);
    expect(badType.json).toMatchObject({ code: 'PARAM_ERROR' });
    // The control: an IPv6 address is an address, and the simulator keeps it for tests to read.
    const body = directOrder({
      payer: undefined,
      scene_info: { payer_client_ip: '2001:db8::7', h5_info: { type: 'iOS' } },
    });
    const ok = await send({ merchant: 'direct', method: 'POST', path: '/v3/pay/transactions/h5', body });
    expect(ok.status).toBe(200);
    expect(await fx.sim.control.order(String(body.out_trade_no))).toMatchObject({
      tradeType: 'MWEB',
      payerClientIp: '2001:db8::7',
      h5Type: 'iOS',
    });
  });

  it('treats the same out_trade_no on another channel as different parameters', async () => {
    const body = directOrder();
    expect((await createDirect(body)).status).toBe(200);
    const native = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/native',
      body,
    });
    expect(native.status).toBe(403);
    expect(native.json).toMatchObject({ code: 'OUT_TRADE_NO_USED' });
  });

  it('issues a new prepay_id after 2 hours for the same parameters', async () => {
    const body = directOrder();
    const first = (await createDirect(body)).json as { prepay_id: string };
    await fx.sim.control.advance(2 * 3600e3);
    const second = (await createDirect(body)).json as { prepay_id: string };
    expect(second.prepay_id).not.toBe(first.prepay_id);
    expect((await createDirect(body)).json).toEqual(second);
  });

  it('does not find an unpaid order by a made-up transaction id', async () => {
    const a = await send({
      merchant: 'direct',
      method: 'GET',
      path: `/v3/pay/transactions/id/4200000000000?mchid=${fx.identity.direct.mchid}`,
    });
    expect(a.status).toBe(404);
    expect(a.json).toMatchObject({ code: 'ORDER_NOT_EXIST' });
  });

  it('requires mchid on a query', async () => {
    const a = await send({
      merchant: 'direct',
      method: 'GET',
      path: '/v3/pay/transactions/out-trade-no/ABCDEF1',
    });
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ code: 'PARAM_ERROR', detail: { location: 'query' } });
  });

  it('answers 404 for an unknown API path and 405 for a wrong method', async () => {
    expect((await send({ merchant: 'direct', method: 'GET', path: '/v3/pay/nothing' })).status).toBe(404);
    expect(
      (await send({ merchant: 'direct', method: 'GET', path: '/v3/pay/transactions/jsapi' })).status,
    ).toBe(405);
  });
});

describe('partner (service provider) orders', () => {
  const createPartner = (body: unknown) =>
    send({ merchant: 'partner', method: 'POST', path: '/v3/pay/partner/transactions/jsapi', body });

  it('creates and queries with sp_mchid and sub_mchid', async () => {
    const body = partnerOrder();
    expect((await createPartner(body)).status).toBe(200);
    const p = fx.identity.partner;
    const q = await send({
      merchant: 'partner',
      method: 'GET',
      path: `/v3/pay/partner/transactions/out-trade-no/${String(body.out_trade_no)}?sp_mchid=${p.spMchid}&sub_mchid=${p.subMchid}`,
    });
    expect(q.json).toMatchObject({
      sp_mchid: p.spMchid,
      sub_mchid: p.subMchid,
      sub_appid: p.subAppid,
      trade_state: 'NOTPAY',
      payer: { sub_openid: 'o_sub' },
    });
  });

  it.each<[string, Record<string, unknown>, number, string]>([
    ['sub_openid without sub_appid', { sub_appid: undefined }, 400, 'PARAM_ERROR'],
    ['no payer identity', { payer: {} }, 400, 'PARAM_ERROR'],
    ['a sub_mchid without a service relation', { sub_mchid: '1800000001' }, 403, 'NO_AUTH'],
    [
      'a sub_appid not bound to the sub-merchant',
      { sub_appid: 'wx1111111111111111' },
      400,
      'APPID_MCHID_NOT_MATCH',
    ],
  ])('refuses %s', async (_name, over, status, code) => {
    const a = await createPartner(partnerOrder(over));
    expect({ status: a.status, code: (a.json as { code?: string }).code }).toEqual({ status, code });
  });

  it('refuses a direct merchant on a partner endpoint', async () => {
    const a = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/partner/transactions/jsapi',
      body: partnerOrder({ sp_mchid: fx.identity.direct.mchid }),
    });
    expect(a.status).toBe(403);
    expect(a.json).toMatchObject({ code: 'NO_AUTH' });
  });
});

describe('certificates and echo', () => {
  it('serves the platform certificate encrypted with the APIv3 key, and 404 in public-key-only mode', async () => {
    const a = await send({ merchant: 'direct', method: 'GET', path: '/v3/certificates' });
    expect(a.status).toBe(200);
    const item = (
      a.json as { data: Array<{ serial_no: string; encrypt_certificate: Record<string, string> }> }
    ).data[0]!;
    expect(item.serial_no).toBe(fx.identity.platform.certificate.serial);
    const e = item.encrypt_certificate;
    const pem = Aes.AesGcm.decrypt(e.ciphertext!, fx.identity.direct.apiV3Key, e.nonce!, e.associated_data);
    expect(pem).toBe(fx.identity.platform.certificate.certificatePem);
    await fx.sim.control.setKeyMode('direct', 'publicKey');
    const gone = await send({ merchant: 'direct', method: 'GET', path: '/v3/certificates' });
    expect(gone.status).toBe(404);
    await fx.sim.control.setKeyMode('direct', 'certificate');
  });

  it('echoes and decrypts a field encrypted with the platform public key (service providers only)', async () => {
    const pub = fx.identity.platform.publicKey;
    const encrypted = Rsa.encrypt('秘密', Rsa.from(pub.publicKeyPem, 'public'));
    const a = await send({
      merchant: 'partner',
      method: 'POST',
      path: '/v3/security/echo',
      body: { echo_message: 'hello', encrypted_echo_message: encrypted },
      headers: { 'Wechatpay-Serial': pub.publicKeyId },
    });
    expect(a.json).toEqual({ echo_message: 'hello', decrypted_echo_message: '秘密' });
    const direct = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/security/echo',
      body: { echo_message: 'x' },
    });
    expect(direct.status).toBe(403);
  });
});

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    })
      .on('error', reject)
      .end();
  });
}
