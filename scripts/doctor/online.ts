// The doctor's online checks (--online): signed requests to the configured API (WeChat Pay, or the local simulator)
// that prove what offline checks cannot. Each is harmless: a query of an order that does not exist, and, where the
// merchant uses platform certificates, GET /v3/certificates. Requests are signed by the adapter's own signer and
// answers verified by the adapter's own validator, so a pass here is a pass for the functions.
import { randomBytes } from 'node:crypto';
import { decryptResource } from '../../server/adapters/payment/wechatpay-v3/decryptor';
import { parseWechatPayV3Config } from '../../server/adapters/payment/wechatpay-v3/config';
import type { WechatPayV3Config } from '../../server/adapters/payment/wechatpay-v3/config';
import { WechatPayClient } from '../../server/adapters/payment/wechatpay-v3/signer';
import { validateSignedMessage } from '../../server/adapters/payment/wechatpay-v3/validator';
import {
  certificateVerifier,
  combinedVerifier,
  publicKeyVerifier,
} from '../../server/adapters/payment/wechatpay-v3/verifier';
import type { SignatureVerifier } from '../../server/adapters/payment/wechatpay-v3/verifier';
import type { CheckResult } from './result';
import { pass, verdict } from './result';

type EnvLike = Readonly<Record<string, string | undefined>>;

/** One answer as received. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function verifierOf(cfg: WechatPayV3Config): SignatureVerifier {
  const vs: SignatureVerifier[] = [];
  if (cfg.platformPublicKey) vs.push(publicKeyVerifier(cfg.platformPublicKey.id, cfg.platformPublicKey.pem));
  if (Object.keys(cfg.platformCertificates).length > 0)
    vs.push(certificateVerifier(cfg.platformCertificates));
  return combinedVerifier(vs);
}

async function signedGet(
  cfg: WechatPayV3Config,
  client: WechatPayClient,
  pathWithQuery: string,
  serial: string,
): Promise<Answer> {
  const res = await fetch(`${cfg.baseUrl}${pathWithQuery}`, {
    headers: {
      Authorization: client.authorization('GET', pathWithQuery, ''),
      Accept: 'application/json',
      'User-Agent': 'wxpay-safe-shop doctor',
      'Wechatpay-Serial': serial,
    },
    signal: AbortSignal.timeout(Math.max(cfg.requestTimeoutMs, 5_000)),
  });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    headers[k.toLowerCase()] = v;
  });
  return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
}

function errorBody(body: Buffer): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { code?: unknown; message?: unknown };
    return {
      code: typeof parsed.code === 'string' ? parsed.code : '',
      message: typeof parsed.message === 'string' ? parsed.message.slice(0, 200) : '',
    };
  } catch {
    return { code: '', message: '' };
  }
}

const fix = (zh: string, en: string) => ({ zh, en });

/** What a 401 to a correctly formed request means, from WeChat's message (the simulator answers the same texts). */
export function explain401(message: string): {
  id: string;
  zh: string;
  en: string;
  fixZh: string;
  fixEn: string;
} {
  if (/序列号|serial/i.test(message)) {
    return {
      id: 'wrong-serial',
      zh: '微信支付不认这个证书序列号：序列号不是这个商户的 API 证书的（或证书已作废）。',
      en: 'WeChat Pay does not accept the certificate serial: it is not the serial of this merchant’s API certificate (or the certificate was revoked).',
      fixZh: '在商户平台「API安全 › 管理证书」核对在用证书的序列号，并确保私钥是同一张证书的。',
      fixEn:
        'Check the serial of the certificate in use under API安全 › 管理证书, and that the private key is that certificate’s.',
    };
  }
  if (/商户号|mchid/i.test(message)) {
    return {
      id: 'wrong-mchid',
      zh: '商户号不存在或未开通 APIv3。',
      en: 'The merchant id does not exist or has no APIv3 access.',
      fixZh: '核对商户号（账户中心 › 商户信息）并在「API安全」开通 APIv3。',
      fixEn: 'Check the merchant id (账户中心 › 商户信息) and enable APIv3 under API安全.',
    };
  }
  if (/timestamp|时间/i.test(message)) {
    return {
      id: 'clock',
      zh: '请求时间与微信支付相差超过 5 分钟。',
      en: 'The request time is more than 5 minutes from WeChat Pay’s.',
      fixZh: '校准服务器时间。',
      fixEn: 'Fix the server clock.',
    };
  }
  if (/签名|sign/i.test(message)) {
    return {
      id: 'wrong-key',
      zh: '签名验证失败：私钥不是这个证书序列号对应的私钥。',
      en: 'The signature does not verify: the private key is not the one of this certificate serial.',
      fixZh: '使用与证书同一次申请生成的 apiclient_key.pem；若私钥丢失，重新申请 API 证书。',
      fixEn:
        'Use the apiclient_key.pem generated with the certificate; if it is lost, apply for a new API certificate.',
    };
  }
  return {
    id: 'unknown',
    zh: '微信支付拒绝了签名，原因未能识别。',
    en: 'WeChat Pay refused the signature for an unrecognised reason.',
    fixZh: '对照微信支付返回的 message 检查私钥、序列号与商户号。',
    fixEn: 'Check the key, serial and merchant id against the message WeChat Pay returned.',
  };
}

function responseSignatureCheck(cfg: WechatPayV3Config, answer: Answer, nowMs: number): CheckResult {
  const id = 'online.response-signature';
  const title = '应答签名 Response signature';
  const check = validateSignedMessage(answer.headers, answer.body, verifierOf(cfg), nowMs);
  if (check.ok) {
    return pass(
      id,
      title,
      `微信支付的应答用 ${check.serial} 验签通过。`,
      `WeChat Pay's answer verified with ${check.serial}.`,
    );
  }
  if (check.failure === 'SIGNATURE_INVALID' || check.failure === 'UNKNOWN_SERIAL') {
    return verdict(
      id,
      'fail',
      title,
      fix(
        `应答验签失败（${check.failure}）：配置的微信支付公钥或平台证书不是微信支付的。`,
        `The answer does not verify (${check.failure}): the configured WeChat Pay public key or platform certificates are not WeChat Pay's.`,
      ),
      fix(
        '在商户平台「API安全 › 微信支付公钥」重新下载 pub_key.pem 与公钥 ID；或重新下载平台证书。',
        'Download pub_key.pem and its id again under API安全 › 微信支付公钥, or the platform certificates again.',
      ),
    );
  }
  return verdict(
    id,
    'cannot-tell',
    title,
    fix(`应答无法验签（${check.failure}）。`, `The answer could not be verified (${check.failure}).`),
    fix(
      '检查服务器时间与网络代理（代理可能去掉了 Wechatpay-* 头）。',
      'Check the clock and any proxy (it may strip Wechatpay-* headers).',
    ),
  );
}

async function certificatesCheck(cfg: WechatPayV3Config, client: WechatPayClient): Promise<CheckResult> {
  const id = 'online.apiv3-key';
  const title = 'APIv3 密钥（平台证书下载）APIv3 key via GET /v3/certificates';
  const serial = Object.keys(cfg.platformCertificates)[0] ?? cfg.preferredPlatformSerial;
  const answer = await signedGet(cfg, client, '/v3/certificates', serial);
  if (answer.status !== 200) {
    const e = errorBody(answer.body);
    return verdict(
      id,
      'cannot-tell',
      title,
      fix(
        `GET /v3/certificates 返回 ${answer.status} ${e.code}。`,
        `GET /v3/certificates answered ${answer.status} ${e.code}.`,
      ),
      fix(
        '商户若已改用微信支付公钥，可删除平台证书配置。',
        'If the merchant moved to the WeChat Pay public key, the platform certificates may be removed.',
      ),
    );
  }
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as {
      data?: { encrypt_certificate?: { nonce?: string; associated_data?: string; ciphertext?: string } }[];
    };
    const enc = parsed.data?.[0]?.encrypt_certificate;
    decryptResource(
      {
        ciphertext: enc?.ciphertext ?? '',
        nonce: enc?.nonce ?? '',
        associatedData: enc?.associated_data ?? '',
      },
      cfg.apiV3Key,
    );
    return pass(
      id,
      title,
      '用 APIv3 密钥解开了平台证书：密钥正确。',
      'The platform certificate decrypted with the APIv3 key: the key is right.',
    );
  } catch {
    return verdict(
      id,
      'fail',
      title,
      fix(
        '平台证书无法用配置的 APIv3 密钥解密：APIv3 密钥不对。支付通知也将无法解密。',
        'The platform certificate does not decrypt with the configured APIv3 key: the key is wrong, and payment notifications will not decrypt either.',
      ),
      fix(
        '在商户平台「API安全」核对或重设 APIv3 密钥，并更新所有云函数。',
        'Check or reset the APIv3 key under API安全, and update every function.',
      ),
    );
  }
}

/** Runs the online checks against the configured base URL. Never throws: an unreachable host is a failed check. */
export async function onlineChecks(env: EnvLike, nowMs: () => number = Date.now): Promise<CheckResult[]> {
  let cfg: WechatPayV3Config;
  try {
    cfg = parseWechatPayV3Config(env);
  } catch (e) {
    // WechatPayConfigError names the setting, never its value.
    const why = e instanceof Error ? e.message : String(e);
    return [
      verdict(
        'online.signed-request',
        'cannot-tell',
        '签名请求 Signed request',
        fix(`配置无法解析（${why}），未发送请求。`, `The settings do not parse (${why}); nothing was sent.`),
        fix('先修正离线检查中的失败项。', 'Fix the failed offline checks first.'),
      ),
    ];
  }
  const id = cfg.identity;
  const appid = id.mode === 'direct' ? id.appid : id.spAppid;
  const mchid = id.mode === 'direct' ? id.mchid : id.spMchid;
  const client = new WechatPayClient(cfg, appid, mchid, { nowMs, randomBytes: (n) => randomBytes(n) });
  const outTradeNo = `DOCTOR${randomBytes(8).toString('hex').toUpperCase()}`;
  const path =
    id.mode === 'direct'
      ? `/v3/pay/transactions/out-trade-no/${outTradeNo}?mchid=${id.mchid}`
      : `/v3/pay/partner/transactions/out-trade-no/${outTradeNo}?sp_mchid=${id.spMchid}&sub_mchid=${id.subMchid}`;
  const title = '签名请求 Signed request (mchid, serial, key)';
  let answer: Answer;
  try {
    answer = await signedGet(cfg, client, path, cfg.preferredPlatformSerial);
  } catch (e) {
    const why = e instanceof Error ? e.name : 'error';
    return [
      verdict(
        'online.signed-request',
        'fail',
        title,
        fix(`无法连接 ${cfg.baseUrl}（${why}）。`, `Cannot reach ${cfg.baseUrl} (${why}).`),
        fix('检查网络、防火墙与 WECHATPAY_BASE_URL。', 'Check the network, firewall and WECHATPAY_BASE_URL.'),
      ),
    ];
  }
  const out: CheckResult[] = [];
  const e = errorBody(answer.body);
  if (answer.status === 404 && e.code === 'ORDER_NOT_EXIST') {
    out.push(
      pass(
        'online.signed-request',
        title,
        '查询不存在的订单得到 404 ORDER_NOT_EXIST：商户号、证书序列号与私钥均正确。',
        'A query of a non-existent order answered 404 ORDER_NOT_EXIST: merchant id, serial and key are right.',
      ),
    );
  } else if (answer.status === 401) {
    const x = explain401(e.message);
    out.push(
      verdict(
        'online.signed-request',
        'fail',
        `${title}: ${x.id}`,
        fix(`401 ${e.code}「${e.message}」— ${x.zh}`, `401 ${e.code} "${e.message}" — ${x.en}`),
        fix(x.fixZh, x.fixEn),
      ),
    );
  } else {
    out.push(
      verdict(
        'online.signed-request',
        'fail',
        title,
        fix(
          `意外的应答 ${answer.status} ${e.code}「${e.message}」。`,
          `Unexpected answer ${answer.status} ${e.code} "${e.message}".`,
        ),
        fix('对照微信支付错误码文档排查。', "Look the code up in WeChat Pay's error code reference."),
      ),
    );
  }
  out.push(responseSignatureCheck(cfg, answer, nowMs()));
  if (Object.keys(cfg.platformCertificates).length > 0) {
    try {
      out.push(await certificatesCheck(cfg, client));
    } catch {
      out.push(
        verdict(
          'online.apiv3-key',
          'cannot-tell',
          'APIv3 密钥 APIv3 key',
          fix('GET /v3/certificates 未完成。', 'GET /v3/certificates did not complete.'),
          fix('稍后重试。', 'Try again later.'),
        ),
      );
    }
  }
  return out;
}
