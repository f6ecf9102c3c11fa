// The notification builders: a valid notification passes every check of an independent verifier; each broken
// variant fails exactly the check it targets.
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { generateIdentity, type SimIdentity } from './index';
import {
  BROKEN_KINDS,
  buildBrokenNotification,
  buildNotification,
  type BrokenKind,
  type BuiltNotification,
} from './testing';

let id: SimIdentity;
beforeAll(async () => {
  id = await generateIdentity();
});

interface Verdict {
  knownSerial: boolean;
  signature: boolean;
  fresh: boolean;
  decrypted: boolean;
}

function check(n: BuiltNotification, apiV3Key: string): Verdict {
  const h = n.headers;
  const keys: Record<string, string> = {
    [id.platform.certificate.serial]: id.platform.certificate.certificatePem,
    [id.platform.publicKey.publicKeyId]: id.platform.publicKey.publicKeyPem,
  };
  const key = keys[h['Wechatpay-Serial'] ?? ''];
  const env = JSON.parse(n.body) as {
    resource: { ciphertext: string; nonce: string; associated_data: string };
  };
  let decrypted = true;
  try {
    Aes.AesGcm.decrypt(env.resource.ciphertext, apiV3Key, env.resource.nonce, env.resource.associated_data);
  } catch {
    decrypted = false;
  }
  return {
    knownSerial: key !== undefined,
    signature:
      key !== undefined &&
      Rsa.verify(
        Formatter.response(h['Wechatpay-Timestamp']!, h['Wechatpay-Nonce']!, n.body),
        h['Wechatpay-Signature']!,
        Rsa.from(key, 'public'),
      ),
    fresh: Math.abs(Math.floor(Date.now() / 1000) - Number(h['Wechatpay-Timestamp'])) <= 300,
    decrypted,
  };
}

const spec = () => ({
  eventType: 'TRANSACTION.SUCCESS',
  resource: { out_trade_no: 'ORDER123', trade_state: 'SUCCESS', amount: { total: 100 } },
  apiV3Key: id.direct.apiV3Key,
  signer: { privateKeyPem: id.platform.publicKey.privateKeyPem, serial: id.platform.publicKey.publicKeyId },
});

it('builds a notification that verifies and decrypts to the given resource', () => {
  const n = buildNotification({ ...spec(), id: 'EV-1', nonce: 'N0NCE' });
  expect(check(n, id.direct.apiV3Key)).toEqual({
    knownSerial: true,
    signature: true,
    fresh: true,
    decrypted: true,
  });
  const env = JSON.parse(n.body) as { id: string; event_type: string; resource: Record<string, string> };
  expect(env).toMatchObject({
    id: 'EV-1',
    event_type: 'TRANSACTION.SUCCESS',
    resource: { associated_data: 'transaction', original_type: 'transaction' },
  });
  expect(n.headers['Wechatpay-Nonce']).toBe('N0NCE');
  const plain = Aes.AesGcm.decrypt(
    env.resource.ciphertext!,
    id.direct.apiV3Key,
    env.resource.nonce!,
    env.resource.associated_data,
  );
  expect(JSON.parse(plain)).toEqual(spec().resource);
});

it('uses refund defaults for REFUND.* events', () => {
  const n = buildNotification({ ...spec(), eventType: 'REFUND.SUCCESS' });
  expect(JSON.parse(n.body)).toMatchObject({
    resource: { associated_data: 'refund', original_type: 'refund' },
  });
});

const expected: Record<BrokenKind, Partial<Verdict>> = {
  tamperedCiphertext: { signature: true, decrypted: false },
  badSignature: { signature: false, decrypted: true },
  staleTimestamp: { signature: true, fresh: false },
  wrongSerial: { knownSerial: false },
  wrongKey: { signature: true, decrypted: false },
};

it.each(BROKEN_KINDS.map((k) => [k]))('builds a %s notification that fails exactly that check', (kind) => {
  const verdict = check(buildBrokenNotification(kind, spec()), id.direct.apiV3Key);
  expect(verdict).toMatchObject(expected[kind]);
  expect(Object.values(verdict).includes(false)).toBe(true);
});
