// The doctor's online checks (--online): signed requests to the configured API (WeChat Pay, or the local simulator)
// that prove what offline checks cannot. Each is harmless: a query of an order that does not exist, and, where the
// merchant uses platform certificates, GET /v3/certificates. During a merchant key rotation the query is made once
// with each pair (online.signed-request, online.signed-request-next), so a new certificate WeChat does not accept yet
// is named before the functions depend on it. Requests are signed by the adapter's own signer and
// answers verified by the adapter's own validator, so a pass here is a pass for the functions.
import { randomBytes } from 'node:crypto';
import { decryptResource } from '../../server/adapters/payment/wechatpay-v3/decryptor';
import { parseWechatPayV3Config } from '../../server/adapters/payment/wechatpay-v3/config';
import type { WechatPayV3Config } from '../../server/adapters/payment/wechatpay-v3/config';
import { WechatPayClient } from '../../server/adapters/payment/wechatpay-v3/signer';
import { beijingRfc3339 } from '../../server/domain/beijing-time';
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

async function signedCall(
  cfg: WechatPayV3Config,
  client: WechatPayClient,
  method: 'GET' | 'POST',
  pathWithQuery: string,
  serial: string,
  body = '',
): Promise<Answer> {
  const res = await fetch(`${cfg.baseUrl}${pathWithQuery}`, {
    method,
    headers: {
      Authorization: client.authorization(method, pathWithQuery, body),
      Accept: 'application/json',
      'User-Agent': 'wxpay-safe-shop doctor',
      'Wechatpay-Serial': serial,
      ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(method === 'POST' ? { body } : {}),
    signal: AbortSignal.timeout(Math.max(cfg.requestTimeoutMs, 5_000)),
  });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    headers[k.toLowerCase()] = v;
  });
  return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
}

function signedGet(cfg: WechatPayV3Config, client: WechatPayClient, pathWithQuery: string, serial: string) {
  return signedCall(cfg, client, 'GET', pathWithQuery, serial);
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

/** How long the doctor's 1-fen order lives unpaid (WeChat's shortest time_expire is a few minutes). */
const PREPAY_EXPIRE_MS = 6 * 60_000;

/**
 * A 1-fen JSAPI prepay for `openid` (a real user of the configured mini program), then its close. Proves the AppID is
 * bound to the merchant id (else APPID_MCHID_NOT_MATCH) and JSAPI payment is enabled (else NO_AUTH). Nothing is
 * charged: the order is closed at once and was never paid.
 */
async function prepayCheck(
  cfg: WechatPayV3Config,
  client: WechatPayClient,
  openid: string,
): Promise<CheckResult> {
  const id = 'online.prepay';
  const title = '1 分钱预下单 1-fen JSAPI prepay (AppID bound, JSAPI enabled)';
  const ident = cfg.identity;
  const outTradeNo = `DOCTOR${randomBytes(8).toString('hex').toUpperCase()}`;
  // It cannot be closed in its first minutes (RULE_LIMIT); unpaid, it expires by itself shortly after.
  const expireAt = beijingRfc3339(Date.now() + PREPAY_EXPIRE_MS, 'second');
  const common = {
    description: '支付配置检查 doctor',
    time_expire: expireAt,
    out_trade_no: outTradeNo,
    notify_url: cfg.notifyUrl,
    amount: { total: 1, currency: 'CNY' },
  };
  const [path, body, closePath, closeBody] =
    ident.mode === 'direct'
      ? [
          '/v3/pay/transactions/jsapi',
          { appid: ident.appid, mchid: ident.mchid, ...common, payer: { openid } },
          `/v3/pay/transactions/out-trade-no/${outTradeNo}/close`,
          { mchid: ident.mchid },
        ]
      : [
          '/v3/pay/partner/transactions/jsapi',
          {
            sp_appid: ident.spAppid,
            sp_mchid: ident.spMchid,
            sub_mchid: ident.subMchid,
            ...(ident.subAppid === undefined ? {} : { sub_appid: ident.subAppid }),
            ...common,
            payer: ident.subAppid === undefined ? { sp_openid: openid } : { sub_openid: openid },
          },
          `/v3/pay/partner/transactions/out-trade-no/${outTradeNo}/close`,
          { sp_mchid: ident.spMchid, sub_mchid: ident.subMchid },
        ];
  const answer = await signedCall(
    cfg,
    client,
    'POST',
    path,
    cfg.preferredPlatformSerial,
    JSON.stringify(body),
  );
  const e = errorBody(answer.body);
  if (answer.status === 200) {
    const closed = await signedCall(
      cfg,
      client,
      'POST',
      closePath,
      cfg.preferredPlatformSerial,
      JSON.stringify(closeBody),
    );
    const closeNote =
      closed.status === 204
        ? { zh: '并已关单。', en: 'and closed again.' }
        : {
            zh: `暂不能关单（${closed.status} ${errorBody(closed.body).code}），该订单未支付，将于 ${expireAt} 过期。`,
            en: `it cannot be closed yet (${closed.status} ${errorBody(closed.body).code}); unpaid, it expires at ${expireAt}.`,
          };
    return pass(
      id,
      title,
      `预下单成功（AppID 与商户号已绑定，JSAPI 已开通），${closeNote.zh}`,
      `The prepay succeeded (AppID bound to the merchant id, JSAPI enabled), ${closeNote.en}`,
    );
  }
  if (e.code === 'APPID_MCHID_NOT_MATCH') {
    return verdict(
      id,
      'fail',
      `${title}: APPID_MCHID_NOT_MATCH`,
      fix(
        `AppID 未与商户号绑定（${e.message}）。`,
        `The AppID is not bound to the merchant id (${e.message}).`,
      ),
      fix(
        '在商户平台「产品中心 › AppID账号管理」关联小程序 AppID，并在小程序后台「微信支付」确认授权。',
        'Link the mini program AppID under 产品中心 › AppID账号管理 on the merchant platform, then accept it in the mini program console (微信支付).',
      ),
    );
  }
  if (e.code === 'NO_AUTH') {
    return verdict(
      id,
      'fail',
      `${title}: NO_AUTH`,
      fix(
        `商户号没有 JSAPI 支付权限（${e.message}）。`,
        `The merchant has no JSAPI payment permission (${e.message}).`,
      ),
      fix(
        '在商户平台「产品中心」开通 JSAPI 支付（小程序支付）；服务商模式还需子商户授权。',
        'Enable JSAPI (mini program) payment under 产品中心 on the merchant platform; partner mode also needs the sub-merchant’s authorisation.',
      ),
    );
  }
  return verdict(
    id,
    'fail',
    title,
    fix(
      `预下单返回 ${answer.status} ${e.code}「${e.message}」。`,
      `The prepay answered ${answer.status} ${e.code} "${e.message}".`,
    ),
    fix(
      '对照微信支付错误码文档排查（openid 须是该小程序的用户）。',
      "Look the code up in WeChat Pay's reference (the openid must be a user of this mini program).",
    ),
  );
}

/** What signedQueryCheck is told about the pair it proves. */
interface PairProbe {
  id: string;
  title: string;
  /** The merchant certificate serial the request carries (named in the verdict; not a secret). */
  serial: string;
  /** The rotation's next pair: a refusal means the functions, which sign with it, would fail every payment. */
  next?: boolean;
}

const NEXT_REFUSED = fix(
  '新证书正是云函数签名所用的：在微信支付认可它之前，每一笔支付都会失败。请先删除 *_NEXT 设置（回到旧证书），待商户平台上新证书生效、且与私钥配对后再配置。',
  'The next pair is the one the functions sign with: until WeChat Pay accepts it, every payment fails. Remove the *_NEXT settings (back to the current certificate) until the new certificate is active on the merchant platform and matches its key.',
);

/** The signed query of an order that does not exist, signed by `client`: 404 ORDER_NOT_EXIST proves mchid, serial, key. */
async function signedQueryCheck(
  cfg: WechatPayV3Config,
  client: WechatPayClient,
  path: string,
  probe: PairProbe,
): Promise<{ result: CheckResult; answer?: Answer }> {
  const { id, title } = probe;
  let answer: Answer;
  try {
    answer = await signedGet(cfg, client, path, cfg.preferredPlatformSerial);
  } catch (e) {
    const why = e instanceof Error ? e.name : 'error';
    return {
      result: verdict(
        id,
        'fail',
        title,
        fix(`无法连接 ${cfg.baseUrl}（${why}）。`, `Cannot reach ${cfg.baseUrl} (${why}).`),
        fix('检查网络、防火墙与 WECHATPAY_BASE_URL。', 'Check the network, firewall and WECHATPAY_BASE_URL.'),
      ),
    };
  }
  const e = errorBody(answer.body);
  if (answer.status === 404 && e.code === 'ORDER_NOT_EXIST') {
    return {
      answer,
      result: pass(
        id,
        title,
        `用证书 ${probe.serial} 查询不存在的订单得到 404 ORDER_NOT_EXIST：商户号、证书序列号与私钥均正确。`,
        `A query of a non-existent order signed with certificate ${probe.serial} answered 404 ORDER_NOT_EXIST: merchant id, serial and key are right.`,
      ),
    };
  }
  if (answer.status === 401) {
    const x = explain401(e.message);
    return {
      answer,
      result: verdict(
        id,
        'fail',
        `${title}: ${x.id}`,
        fix(
          `证书 ${probe.serial}：401 ${e.code}「${e.message}」— ${x.zh}`,
          `Certificate ${probe.serial}: 401 ${e.code} "${e.message}" — ${x.en}`,
        ),
        probe.next === true
          ? fix(`${NEXT_REFUSED.zh} ${x.fixZh}`, `${NEXT_REFUSED.en} ${x.fixEn}`)
          : fix(x.fixZh, x.fixEn),
      ),
    };
  }
  return {
    answer,
    result: verdict(
      id,
      'fail',
      title,
      fix(
        `意外的应答 ${answer.status} ${e.code}「${e.message}」。`,
        `Unexpected answer ${answer.status} ${e.code} "${e.message}".`,
      ),
      fix('对照微信支付错误码文档排查。', "Look the code up in WeChat Pay's error code reference."),
    ),
  };
}

/** Runs the online checks against the configured base URL. Never throws: an unreachable host is a failed check. */
export async function onlineChecks(
  env: EnvLike,
  nowMs: () => number = Date.now,
  options: { openid?: string } = {},
): Promise<CheckResult[]> {
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
  const deps = { nowMs, randomBytes: (n: number) => randomBytes(n) };
  // The client the functions use: it signs with the next pair while a rotation is configured.
  const client = new WechatPayClient(cfg, appid, mchid, deps);
  const { merchantNext, ...withoutNext } = cfg;
  const currentClient =
    merchantNext === undefined ? client : new WechatPayClient(withoutNext, appid, mchid, deps);
  const queryPath = () => {
    const outTradeNo = `DOCTOR${randomBytes(8).toString('hex').toUpperCase()}`;
    return id.mode === 'direct'
      ? `/v3/pay/transactions/out-trade-no/${outTradeNo}?mchid=${id.mchid}`
      : `/v3/pay/partner/transactions/out-trade-no/${outTradeNo}?sp_mchid=${id.spMchid}&sub_mchid=${id.subMchid}`;
  };
  const out: CheckResult[] = [];
  // The later checks prove the APIv3 key and the AppID binding: signed with the next pair unless WeChat refused it.
  let later = client;
  const current = await signedQueryCheck(cfg, currentClient, queryPath(), {
    id: 'online.signed-request',
    title: '签名请求 Signed request (mchid, serial, key)',
    serial: cfg.merchantSerial,
  });
  out.push(current.result);
  if (merchantNext !== undefined) {
    const next = await signedQueryCheck(cfg, client, queryPath(), {
      id: 'online.signed-request-next',
      title: '签名请求（新证书）Signed request with the next pair (*_NEXT)',
      serial: merchantNext.serial,
      next: true,
    });
    out.push(next.result);
    if (next.result.severity !== 'pass') later = currentClient;
  }
  const answer = current.answer;
  if (answer === undefined) return out;
  out.push(responseSignatureCheck(cfg, answer, nowMs()));
  if (Object.keys(cfg.platformCertificates).length > 0) {
    try {
      out.push(await certificatesCheck(cfg, later));
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
  if (options.openid !== undefined) {
    try {
      out.push(await prepayCheck(cfg, later, options.openid));
    } catch {
      out.push(
        verdict(
          'online.prepay',
          'cannot-tell',
          '1 分钱预下单 1-fen JSAPI prepay',
          fix('预下单请求未完成。', 'The prepay request did not complete.'),
          fix('稍后重试。', 'Try again later.'),
        ),
      );
    }
  }
  return out;
}
