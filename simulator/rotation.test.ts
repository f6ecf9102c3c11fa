// A merchant API certificate rotation: WeChat accepts signatures from every certificate registered for the merchant.
import { startFixture, type SimFixture } from './test-support/fixture';
import { rawRequest, type RawRequest } from './test-support/raw-client';
import { createSelfSignedCertificate, generateRsaKeyPair, randomCertificateSerial } from './internal/crypto';

let fx: SimFixture;
let next: { privateKeyPem: string; serial: string; certificatePem: string };
let n = 0;

beforeAll(async () => {
  fx = await startFixture();
  const keyPair = await generateRsaKeyPair();
  const serial = randomCertificateSerial();
  const now = Date.now();
  next = {
    privateKeyPem: keyPair.privateKeyPem,
    serial,
    certificatePem: createSelfSignedCertificate({
      keyPair,
      serial,
      commonName: fx.identity.direct.mchid,
      organization: '微信商户系统',
      organizationalUnit: 'Simulated direct merchant (new certificate)',
      notBeforeMs: now - 3600_000,
      notAfterMs: now + 365 * 24 * 3600_000,
    }),
  };
});
afterAll(async () => {
  await fx?.dispose();
});

const query = (over: Partial<RawRequest> = {}) =>
  rawRequest(fx.sim.url, fx.identity, {
    merchant: 'direct',
    method: 'GET',
    path: `/v3/pay/transactions/out-trade-no/R${Date.now().toString(36)}${(n += 1)}?mchid=${fx.identity.direct.mchid}`,
    ...over,
  });

describe('merchant certificate rotation', () => {
  it('refuses the new certificate until it is registered, then accepts both; an unknown serial stays refused', async () => {
    const before = await query({ signWith: next });
    expect(before.status).toBe(401);
    expect(before.json).toMatchObject({ code: 'SIGN_ERROR', detail: { field: 'serial_no' } });

    const identity = await fx.sim.control.addMerchantCertificate('direct', next.certificatePem);
    expect(identity.direct.additionalCertificates?.map((c) => c.serial)).toEqual([next.serial]);
    // Registering twice changes nothing.
    await fx.sim.control.addMerchantCertificate('direct', next.certificatePem);
    expect((await fx.sim.control.identity()).direct.additionalCertificates).toHaveLength(1);

    // 404 ORDER_NOT_EXIST: authenticated, the order just does not exist.
    expect((await query({ signWith: next })).status).toBe(404);
    expect((await query()).status).toBe(404);

    const unknown = await query({ signWith: { ...next, serial: randomCertificateSerial() } });
    expect(unknown.status).toBe(401);
    expect(unknown.json).toMatchObject({ code: 'SIGN_ERROR', detail: { field: 'serial_no' } });
    // The new serial with the old key: the signature does not verify against the new certificate.
    const mixed = await query({ auth: { serial: next.serial } });
    expect(mixed.status).toBe(401);
    expect(mixed.json).toMatchObject({ code: 'SIGN_ERROR', detail: { field: 'signature' } });
    // The partner merchant did not register it.
    const partner = await rawRequest(fx.sim.url, fx.identity, {
      merchant: 'partner',
      method: 'GET',
      path: `/v3/pay/partner/transactions/out-trade-no/R1?sp_mchid=${fx.identity.partner.spMchid}&sub_mchid=${fx.identity.partner.subMchid}`,
      signWith: next,
    });
    expect(partner.status).toBe(401);
  });

  it('keeps the registered certificate across a restart and refuses a non-certificate', async () => {
    await fx.restart();
    expect((await query({ signWith: next })).status).toBe(404);
    await expect(
      (async () => fx.sim.control.addMerchantCertificate('direct', 'not a pem'))(),
    ).rejects.toThrow(/PEM/);
  });
});
