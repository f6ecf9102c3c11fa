// The doctor's offline checks: pure functions of the configuration the functions read (an env-like record), the
// clock, and optionally the functions' config.json timeouts, per-function environments and the catalog to be
// imported. Each check reads a setting the way the adapter does (server/adapters/payment/wechatpay-v3/config.ts and
// server/adapters/config/app-config.ts) and says pass / warn / fail / cannot-tell with its fix. No text carries a secret.
import { X509Certificate, createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { WECHAT_CALLS_PER_ITEM } from '../../server/application/jobs/loops';
import { AppEnv, parseAppConfig } from '../../server/adapters/config/app-config';
import {
  WECHATPAY_DEFAULT_BASE_URL,
  WechatPayEnv,
  isLoopbackHost,
  parseWechatPayV3Config,
} from '../../server/adapters/payment/wechatpay-v3/config';
import type { FunctionName } from '../../server/adapters/runtime/function-timeouts';
import { FUNCTION_TIMEOUTS_MS, requestTimeoutProblem } from '../../server/adapters/runtime/function-timeouts';
import { diagnosePem, unescapePem } from './pem';
import type { PemKind } from './pem';
import type { CheckResult } from './result';
import { pass, verdict } from './result';

type EnvLike = Readonly<Record<string, string | undefined>>;

/** Everything the offline checks look at. */
export interface DoctorInput {
  env: EnvLike;
  nowMs: number;
  /** Each function's config.json "timeout" in ms, when the doctor runs inside the project. */
  configTimeoutsMs?: Readonly<Record<string, number>>;
  /** Each function's own environment, when they are configured one by one (the cloud console's way). */
  functionEnvs?: Readonly<Record<string, EnvLike>>;
  /** The catalog file about to be imported (the format of data/catalog.demo.json), parsed JSON. */
  catalog?: unknown;
}

/** Days ahead of its expiry when the merchant certificate starts to warn. */
export const CERT_WARN_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;
/** The demo catalog's 1-fen test product (data/catalog.demo.json). */
export const DEMO_TEST_PRODUCT_ID = 'p-test';

function opt(env: EnvLike, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function isRelease(env: EnvLike): boolean {
  return (opt(env, AppEnv.APP_ENV) ?? 'production') === 'production';
}

const fix = (zh: string, en: string) => ({ zh, en });
const say = fix;

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------------------------------
// whole-configuration checks

function appConfigCheck(env: EnvLike): CheckResult {
  try {
    const app = parseAppConfig(env);
    return pass(
      'app.config',
      '店铺配置 Shop settings',
      `店铺配置可解析（支付方式 ${app.provider}）。`,
      `The shop settings parse (provider ${app.provider}).`,
    );
  } catch (e) {
    return verdict(
      'app.config',
      'fail',
      '店铺配置 Shop settings',
      say(
        `云函数启动时会拒绝这份配置：${errMessage(e)}`,
        `The functions refuse these settings at start: ${errMessage(e)}`,
      ),
      fix('按提示修正该设置。', 'Correct the named setting.'),
    );
  }
}

function adapterConfigCheck(env: EnvLike): CheckResult {
  try {
    parseWechatPayV3Config(env);
    return pass(
      'adapter.config',
      '支付配置 WeChat Pay settings',
      '支付适配器接受这份配置。',
      'The payment adapter accepts these settings.',
    );
  } catch (e) {
    // WechatPayConfigError messages name the setting and the problem, never the value.
    return verdict(
      'adapter.config',
      'fail',
      '支付配置 WeChat Pay settings',
      say(
        `云函数启动时会拒绝这份配置：${errMessage(e)}`,
        `The functions refuse these settings at start: ${errMessage(e)}`,
      ),
      fix('按下面更具体的检查项修正。', 'See the more specific checks below for the fix.'),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// PEM

interface Parsed {
  privateKey?: KeyObject;
  certificate?: X509Certificate;
  publicKey?: KeyObject;
  publicKeyIsPrivate?: boolean;
  platformCerts: X509Certificate[];
}

function pemCheck(
  id: string,
  setting: string,
  kind: PemKind,
  raw: string | undefined,
  required: boolean,
): CheckResult {
  const title = `${setting} 格式 PEM format`;
  if (raw === undefined) {
    return required
      ? verdict(
          id,
          'fail',
          title,
          say(`${setting} 未设置。`, `${setting} is not set.`),
          fix(`设置 ${setting}。`, `Set ${setting}.`),
        )
      : pass(id, title, `${setting} 未设置（可选）。`, `${setting} is not set (optional).`);
  }
  const p = diagnosePem(raw, kind);
  if (p === null) return pass(id, title, `${setting} 可解析。`, `${setting} parses.`);
  return verdict(id, 'fail', title, say(`${setting}：${p.zh}`, `${setting}: ${p.en}`), fix(p.fixZh, p.fixEn));
}

function tryParse(env: EnvLike): Parsed {
  const out: Parsed = { platformCerts: [] };
  const key = opt(env, WechatPayEnv.MERCHANT_PRIVATE_KEY);
  if (key !== undefined && diagnosePem(key, 'private-key') === null)
    out.privateKey = createPrivateKey(unescapePem(key));
  const cert = opt(env, WechatPayEnv.MERCHANT_CERTIFICATE);
  if (cert !== undefined && diagnosePem(cert, 'certificate') === null)
    out.certificate = new X509Certificate(unescapePem(cert));
  const pub = opt(env, WechatPayEnv.PUBLIC_KEY);
  if (pub !== undefined) {
    const text = unescapePem(pub);
    if (/PRIVATE KEY-----/.test(text)) out.publicKeyIsPrivate = true;
    else if (diagnosePem(pub, 'public-key') === null) out.publicKey = createPublicKey(text);
  }
  const certs = opt(env, WechatPayEnv.PLATFORM_CERTIFICATES);
  for (const block of unescapePem(certs ?? '').match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  ) ?? []) {
    try {
      out.platformCerts.push(new X509Certificate(block));
    } catch {
      // named by pem.platform-certificates
    }
  }
  return out;
}

function platformCertsPemCheck(env: EnvLike): CheckResult {
  const id = 'pem.platform-certificates';
  const setting = WechatPayEnv.PLATFORM_CERTIFICATES;
  const raw = opt(env, setting);
  const title = `${setting} 格式 PEM format`;
  if (raw === undefined)
    return pass(
      id,
      title,
      `${setting} 未设置（使用微信支付公钥）。`,
      `${setting} is not set (the WeChat Pay public key is used).`,
    );
  const blocks = unescapePem(raw).match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [raw];
  for (const [i, block] of blocks.entries()) {
    const p = diagnosePem(block, 'certificate');
    if (p !== null) {
      return verdict(
        id,
        'fail',
        title,
        say(`${setting} 第 ${i + 1} 段：${p.zh}`, `${setting} block #${i + 1}: ${p.en}`),
        fix(p.fixZh, p.fixEn),
      );
    }
  }
  return pass(
    id,
    title,
    `${setting} 含 ${blocks.length} 张可解析的证书。`,
    `${setting} holds ${blocks.length} parsable certificate(s).`,
  );
}

function spki(k: KeyObject): Buffer {
  return k.export({ type: 'spki', format: 'der' });
}

/** One merchant key pair as the checks see it: the current one, or the next one of a rotation (the *_NEXT settings). */
interface MerchantPair {
  /** Check id prefix: `merchant` or `merchant-next`. */
  id: string;
  titleSuffix: string;
  keySetting: string;
  serialSetting: string;
  certificateSetting: string;
  privateKey?: KeyObject;
  certificate?: X509Certificate;
}

function currentPair(p: Parsed): MerchantPair {
  return {
    id: 'merchant',
    titleSuffix: '',
    keySetting: WechatPayEnv.MERCHANT_PRIVATE_KEY,
    serialSetting: WechatPayEnv.MERCHANT_SERIAL,
    certificateSetting: WechatPayEnv.MERCHANT_CERTIFICATE,
    ...(p.privateKey === undefined ? {} : { privateKey: p.privateKey }),
    ...(p.certificate === undefined ? {} : { certificate: p.certificate }),
  };
}

const NEXT_SETTINGS = [
  WechatPayEnv.MERCHANT_PRIVATE_KEY_NEXT,
  WechatPayEnv.MERCHANT_SERIAL_NEXT,
  WechatPayEnv.MERCHANT_CERTIFICATE_NEXT,
] as const;

/** The rotation's next pair, when any of its settings is given; parsed as far as its PEM allows. */
function nextPair(env: EnvLike): MerchantPair | undefined {
  if (NEXT_SETTINGS.every((n) => opt(env, n) === undefined)) return undefined;
  const key = opt(env, WechatPayEnv.MERCHANT_PRIVATE_KEY_NEXT);
  const cert = opt(env, WechatPayEnv.MERCHANT_CERTIFICATE_NEXT);
  return {
    id: 'merchant-next',
    titleSuffix: ' — 新证书 NEXT',
    keySetting: WechatPayEnv.MERCHANT_PRIVATE_KEY_NEXT,
    serialSetting: WechatPayEnv.MERCHANT_SERIAL_NEXT,
    certificateSetting: WechatPayEnv.MERCHANT_CERTIFICATE_NEXT,
    ...(key !== undefined && diagnosePem(key, 'private-key') === null
      ? { privateKey: createPrivateKey(unescapePem(key)) }
      : {}),
    ...(cert !== undefined && diagnosePem(cert, 'certificate') === null
      ? { certificate: new X509Certificate(unescapePem(cert)) }
      : {}),
  };
}

/** The offline checks of the next pair: the same as the current pair's, under `merchant-next.*` ids. */
function nextPairChecks(env: EnvLike, nowMs: number): CheckResult[] {
  const m = nextPair(env);
  if (m === undefined) return [];
  return [
    pemCheck('pem.merchant-next-private-key', m.keySetting, 'private-key', opt(env, m.keySetting), true),
    pemCheck(
      'pem.merchant-next-certificate',
      m.certificateSetting,
      'certificate',
      opt(env, m.certificateSetting),
      false,
    ),
    keyCertMatchCheck(env, m),
    serialCheck(env, m),
    ...[certificateMchidCheck(env, m)].filter((r): r is CheckResult => r !== null),
    expiryCheck(m, nowMs),
  ];
}

function keyCertMatchCheck(env: EnvLike, m: MerchantPair): CheckResult {
  const id = `${m.id}.key-matches-certificate`;
  const title = `商户私钥与证书配对 Private key ↔ merchant certificate${m.titleSuffix}`;
  if (opt(env, m.certificateSetting) === undefined) {
    return verdict(
      id,
      'cannot-tell',
      title,
      say(
        '未配置商户证书，离线无法证明私钥与证书序列号配对。',
        'No merchant certificate is configured, so the pairing of key and serial cannot be proven offline.',
      ),
      fix(
        `把 apiclient_cert.pem 填入 ${m.certificateSetting}，或运行 npm run doctor -- --online。`,
        `Put apiclient_cert.pem in ${m.certificateSetting}, or run npm run doctor -- --online.`,
      ),
    );
  }
  if (m.privateKey === undefined || m.certificate === undefined) {
    return verdict(
      id,
      'cannot-tell',
      title,
      say(
        '私钥或证书无法解析（见上面的格式检查）。',
        'The key or the certificate does not parse (see the format checks).',
      ),
      fix('先修正格式。', 'Fix the format first.'),
    );
  }
  if (spki(createPublicKey(m.privateKey)).equals(spki(m.certificate.publicKey))) {
    return pass(
      id,
      title,
      '私钥与商户证书的公钥一致。',
      "The private key matches the merchant certificate's public key.",
    );
  }
  return verdict(
    id,
    'fail',
    title,
    say(
      '私钥与商户证书不是一对：微信支付会以签名错误拒绝每个请求（401 SIGN_ERROR）。',
      'The private key and the merchant certificate are not a pair: WeChat Pay will refuse every request as wrongly signed (401 SIGN_ERROR).',
    ),
    fix(
      '使用同一次申请生成的 apiclient_key.pem 与 apiclient_cert.pem；若私钥丢失，在商户平台「API安全」重新申请 API 证书。',
      'Use apiclient_key.pem and apiclient_cert.pem from the same application; if the key is lost, apply for a new API certificate under 账户中心 › API安全.',
    ),
  );
}

function serialCheck(env: EnvLike, m: MerchantPair): CheckResult {
  const id = `${m.id}.serial-matches-certificate`;
  const title = `证书序列号 Merchant certificate serial${m.titleSuffix}`;
  const serial = opt(env, m.serialSetting);
  if (serial !== undefined && !/^[0-9A-Fa-f]{1,64}$/.test(serial)) {
    return verdict(
      id,
      'fail',
      title,
      say(`${m.serialSetting} 不是十六进制序列号。`, `${m.serialSetting} is not a hexadecimal serial.`),
      fix(
        '在商户平台「API安全 › 管理证书」复制证书序列号（40 位十六进制）。',
        'Copy the certificate serial (40 hex digits) from 账户中心 › API安全 › 管理证书.',
      ),
    );
  }
  if (m.certificate === undefined) {
    if (serial === undefined) {
      return verdict(
        id,
        'fail',
        title,
        say('证书序列号与商户证书都未设置。', 'Neither the serial nor the merchant certificate is set.'),
        fix(
          `设置 ${m.serialSetting}（或 ${m.certificateSetting}）。`,
          `Set ${m.serialSetting} (or ${m.certificateSetting}).`,
        ),
      );
    }
    return verdict(
      id,
      'cannot-tell',
      title,
      say(
        '没有商户证书可对照，离线无法证明序列号属于这把私钥。',
        'No merchant certificate to compare with: the serial cannot be proven to belong to the key offline.',
      ),
      fix(
        '运行 npm run doctor -- --online，或配置商户证书。',
        'Run npm run doctor -- --online, or configure the merchant certificate.',
      ),
    );
  }
  const certSerial = m.certificate.serialNumber.toUpperCase();
  if (serial === undefined || serial.toUpperCase() === certSerial) {
    return pass(id, title, `使用证书序列号 ${certSerial}。`, `The serial in use is ${certSerial}.`);
  }
  return verdict(
    id,
    'fail',
    title,
    say(
      `${m.serialSetting} 与商户证书的序列号 ${certSerial} 不同（多半是另一张证书或平台证书的序列号）。`,
      `${m.serialSetting} differs from the merchant certificate's serial ${certSerial} (likely another certificate's, or a platform certificate's).`,
    ),
    fix(
      `把 ${m.serialSetting} 改为 ${certSerial}，或删掉它（会从证书读取）。`,
      `Set ${m.serialSetting} to ${certSerial}, or remove it (it is read from the certificate).`,
    ),
  );
}

/** The merchant certificate's subject CN (WeChat issues it to the merchant id), or undefined. */
function commonNameOf(cert: X509Certificate): string | undefined {
  const m = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject);
  return m?.[1]?.trim();
}

function certificateMchidCheck(env: EnvLike, m: MerchantPair): CheckResult | null {
  if (m.certificate === undefined) return null;
  const id = `${m.id}.certificate-mchid`;
  const title = `证书所属商户号 Certificate belongs to the merchant id${m.titleSuffix}`;
  const mode = opt(env, WechatPayEnv.MODE);
  const setting = mode === 'partner' ? WechatPayEnv.SP_MCHID : WechatPayEnv.MCHID;
  const mchid = opt(env, setting);
  const cn = commonNameOf(m.certificate);
  if (cn === undefined || !/^\d+$/.test(cn) || mchid === undefined) {
    return pass(
      id,
      title,
      '证书主题中没有商户号可对照。',
      "The certificate's subject names no merchant id to compare.",
    );
  }
  if (cn === mchid)
    return pass(
      id,
      title,
      `商户证书签发给商户号 ${cn}。`,
      `The merchant certificate was issued to merchant id ${cn}.`,
    );
  return verdict(
    id,
    'fail',
    title,
    say(
      `商户证书签发给商户号 ${cn}，而 ${setting} 是 ${mchid}：证书、私钥与商户号须属于同一商户。`,
      `The merchant certificate was issued to merchant id ${cn}, but ${setting} is ${mchid}: certificate, key and merchant id must belong to one merchant.`,
    ),
    fix(
      `核对 ${setting}，或换用该商户号自己的 API 证书与私钥。`,
      `Check ${setting}, or use that merchant id's own API certificate and key.`,
    ),
  );
}

const ROTATION_ZH = `轮换步骤（README「Rotating the merchant API certificate」）：在商户平台「API安全」申请新证书 → 把新的私钥、证书配置为所有云函数的 ${WechatPayEnv.MERCHANT_PRIVATE_KEY_NEXT}、${WechatPayEnv.MERCHANT_CERTIFICATE_NEXT}（新证书开始签名，旧的保留以便回退）→ 运行 npm run doctor -- --online 确认 → 观察无误后把新的移入当前设置、删除 *_NEXT → 再在商户平台作废旧证书。`;
const ROTATION_EN = `Rotation (README "Rotating the merchant API certificate"): apply for a new certificate under API安全 → set ${WechatPayEnv.MERCHANT_PRIVATE_KEY_NEXT} and ${WechatPayEnv.MERCHANT_CERTIFICATE_NEXT} in every function (the new pair signs; the old one stays for a rollback) → confirm with npm run doctor -- --online → once calm, move the new pair into the current settings and remove *_NEXT → only then revoke the old certificate.`;

function expiryCheck(m: MerchantPair, nowMs: number): CheckResult {
  const id = `${m.id}.certificate-expiry`;
  const title = `商户证书有效期 Merchant certificate expiry${m.titleSuffix}`;
  if (m.certificate === undefined) {
    return verdict(
      id,
      'cannot-tell',
      title,
      say(
        '未配置（或无法解析）商户证书，无法得知其到期日。',
        'No (parsable) merchant certificate: its expiry is unknown.',
      ),
      fix(
        '配置商户证书，到期前 30 天 doctor 会提醒。',
        'Configure the merchant certificate; the doctor warns 30 days before it expires.',
      ),
    );
  }
  const to = Date.parse(m.certificate.validTo);
  const from = Date.parse(m.certificate.validFrom);
  const date = new Date(to).toISOString().slice(0, 10);
  if (nowMs < from) {
    return verdict(
      id,
      'fail',
      title,
      say(
        '商户证书尚未生效（或本机时钟有误）。',
        'The merchant certificate is not valid yet (or this machine’s clock is wrong).',
      ),
      fix(
        '检查系统时间，或确认配置的是已生效的证书。',
        'Check the clock, or configure a certificate already in force.',
      ),
    );
  }
  if (nowMs >= to) {
    return verdict(
      id,
      'fail',
      title,
      say(`商户证书已于 ${date} 过期。`, `The merchant certificate expired on ${date}.`),
      fix(ROTATION_ZH, ROTATION_EN),
    );
  }
  const days = Math.floor((to - nowMs) / DAY_MS);
  if (days < CERT_WARN_DAYS) {
    return verdict(
      id,
      'warn',
      title,
      say(
        `商户证书将在 ${days} 天后（${date}）过期。`,
        `The merchant certificate expires in ${days} days (${date}).`,
      ),
      fix(ROTATION_ZH, ROTATION_EN),
    );
  }
  return pass(
    id,
    title,
    `商户证书有效至 ${date}（还有 ${days} 天）。`,
    `The merchant certificate is valid until ${date} (${days} days).`,
  );
}

function apiV3KeyCheck(env: EnvLike): CheckResult {
  const id = 'apiv3-key.length';
  const title = 'APIv3 密钥 APIv3 key';
  const raw = env[WechatPayEnv.APIV3_KEY];
  const v = opt(env, WechatPayEnv.APIV3_KEY);
  if (v === undefined) {
    return verdict(
      id,
      'fail',
      title,
      say(`${WechatPayEnv.APIV3_KEY} 未设置。`, `${WechatPayEnv.APIV3_KEY} is not set.`),
      fix(
        '在商户平台「API安全 › 设置APIv3密钥」设置 32 位密钥，并填入此处。',
        'Set a 32-character key under API安全 › 设置APIv3密钥 and put it here.',
      ),
    );
  }
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes === 32) {
    const trimmed = raw !== undefined && raw !== v;
    return trimmed
      ? verdict(
          id,
          'warn',
          title,
          say(
            '长度为 32 字节，但两端带有空白（云函数会去掉它们）。',
            'It is 32 bytes, but has surrounding whitespace (the functions trim it).',
          ),
          fix('删除两端的空白。', 'Remove the surrounding whitespace.'),
        )
      : pass(id, title, 'APIv3 密钥为 32 字节。', 'The APIv3 key is 32 bytes.');
  }
  const hint =
    bytes !== [...v].length
      ? say(
          '其中含有非 ASCII 字符（全角字符占多个字节）。',
          'It holds non-ASCII characters (which take several bytes each).',
        )
      : bytes === 31 || bytes === 33
        ? say('多半是复制时少了或多了一个字符。', 'A character was most likely lost or added in the copy.')
        : /^[A-Za-z0-9+/]{43}=$/.test(v)
          ? say(
              '看起来是 Base64 编码后的值，需填原始的 32 位字符。',
              'It looks base64-encoded; the raw 32 characters are needed.',
            )
          : say('可能填成了 APIv2 密钥或其他值。', 'It may be the APIv2 key or another value.');
  return verdict(
    id,
    'fail',
    title,
    say(
      `${WechatPayEnv.APIV3_KEY} 为 ${bytes} 字节，应为 32 字节。${hint.zh}`,
      `${WechatPayEnv.APIV3_KEY} is ${bytes} bytes; it must be 32. ${hint.en}`,
    ),
    fix(
      '填入在商户平台设置的 32 位 APIv3 密钥；若不记得，重新设置（会影响所有使用它的系统）。',
      'Put the 32-character APIv3 key set on the merchant platform; if unknown, set a new one (every system using it must change too).',
    ),
  );
}

function publicKeyChecks(env: EnvLike, p: Parsed): CheckResult[] {
  const out: CheckResult[] = [];
  const id = opt(env, WechatPayEnv.PUBLIC_KEY_ID);
  const pub = opt(env, WechatPayEnv.PUBLIC_KEY);
  const titleKey = '微信支付公钥 WeChat Pay public key';
  const titleId = '微信支付公钥ID WeChat Pay public key id';
  if (pub === undefined && id === undefined) {
    const certs = opt(env, WechatPayEnv.PLATFORM_CERTIFICATES) !== undefined;
    const d = certs
      ? say(
          '未配置微信支付公钥，使用平台证书验签。',
          'No WeChat Pay public key: platform certificates verify answers.',
        )
      : say(
          '既没有微信支付公钥也没有平台证书：无法验证微信支付的应答与通知。',
          'Neither a WeChat Pay public key nor platform certificates: answers and notifications cannot be verified.',
        );
    out.push(
      certs
        ? pass('wechatpay-public-key.not-merchant-key', titleKey, d.zh, d.en)
        : verdict(
            'wechatpay-public-key.not-merchant-key',
            'fail',
            titleKey,
            d,
            fix(
              `在商户平台「API安全 › 微信支付公钥」下载公钥，填入 ${WechatPayEnv.PUBLIC_KEY} 与 ${WechatPayEnv.PUBLIC_KEY_ID}。`,
              `Download the key under API安全 › 微信支付公钥 and set ${WechatPayEnv.PUBLIC_KEY} and ${WechatPayEnv.PUBLIC_KEY_ID}.`,
            ),
          ),
    );
    return out;
  }
  if (p.publicKeyIsPrivate === true) {
    out.push(
      verdict(
        'wechatpay-public-key.not-merchant-key',
        'fail',
        titleKey,
        say(
          `${WechatPayEnv.PUBLIC_KEY} 中填的是私钥（多半是商户私钥）。私钥不应出现在这里。`,
          `${WechatPayEnv.PUBLIC_KEY} holds a private key (most likely the merchant's). A private key does not belong here.`,
        ),
        fix(
          '填入从商户平台下载的微信支付公钥 pub_key.pem。',
          'Put the WeChat Pay public key pub_key.pem downloaded from the merchant platform.',
        ),
      ),
    );
  } else if (p.publicKey !== undefined) {
    const mine = [
      ...(p.privateKey ? [spki(createPublicKey(p.privateKey))] : []),
      ...(p.certificate ? [spki(p.certificate.publicKey)] : []),
    ];
    const theirs = spki(p.publicKey);
    if (mine.some((m) => m.equals(theirs))) {
      out.push(
        verdict(
          'wechatpay-public-key.not-merchant-key',
          'fail',
          titleKey,
          say(
            `${WechatPayEnv.PUBLIC_KEY} 是商户自己的公钥，而不是微信支付公钥：所有应答与通知都会验签失败。`,
            `${WechatPayEnv.PUBLIC_KEY} is the merchant's own public key, not WeChat Pay's: every answer and notification would fail verification.`,
          ),
          fix(
            '在商户平台「API安全 › 微信支付公钥」下载 pub_key.pem 填入。',
            'Download pub_key.pem under API安全 › 微信支付公钥 and put it here.',
          ),
        ),
      );
    } else {
      const certNote = unescapePem(pub ?? '').includes('CERTIFICATE')
        ? say(
            '（填入的是证书，适配器会取其公钥；通常这里应填 pub_key.pem。）',
            ' (A certificate was given; the adapter takes its key, but pub_key.pem is what belongs here.)',
          )
        : say('', '');
      out.push(
        certNote.zh === ''
          ? pass(
              'wechatpay-public-key.not-merchant-key',
              titleKey,
              '微信支付公钥可解析，且不是商户自己的公钥。',
              "The WeChat Pay public key parses and is not the merchant's own.",
            )
          : verdict(
              'wechatpay-public-key.not-merchant-key',
              'warn',
              titleKey,
              say(
                `微信支付公钥不是商户自己的公钥${certNote.zh}`,
                `The WeChat Pay public key is not the merchant's own.${certNote.en}`,
              ),
              fix('改填 pub_key.pem。', 'Put pub_key.pem instead.'),
            ),
      );
    }
  } else {
    out.push(
      verdict(
        'wechatpay-public-key.not-merchant-key',
        'cannot-tell',
        titleKey,
        say('微信支付公钥未设置或无法解析。', 'The WeChat Pay public key is unset or does not parse.'),
        fix(`设置 ${WechatPayEnv.PUBLIC_KEY}。`, `Set ${WechatPayEnv.PUBLIC_KEY}.`),
      ),
    );
  }
  if (id === undefined) {
    out.push(
      verdict(
        'wechatpay-public-key.id',
        'fail',
        titleId,
        say(
          `设置了 ${WechatPayEnv.PUBLIC_KEY} 却没有 ${WechatPayEnv.PUBLIC_KEY_ID}。`,
          `${WechatPayEnv.PUBLIC_KEY} is set without ${WechatPayEnv.PUBLIC_KEY_ID}.`,
        ),
        fix(
          '从商户平台复制公钥 ID（PUB_KEY_ID_ 开头）。',
          'Copy the key id (starting PUB_KEY_ID_) from the merchant platform.',
        ),
      ),
    );
  } else if (/^PUB_KEY_ID_[0-9A-Za-z]{1,64}$/.test(id)) {
    out.push(pass('wechatpay-public-key.id', titleId, `公钥 ID 为 ${id}。`, `The key id is ${id}.`));
  } else {
    const looksSerial = /^[0-9A-Fa-f]{30,64}$/.test(id);
    out.push(
      verdict(
        'wechatpay-public-key.id',
        'fail',
        titleId,
        looksSerial
          ? say(
              `${WechatPayEnv.PUBLIC_KEY_ID} 看起来是证书序列号，而不是公钥 ID。`,
              `${WechatPayEnv.PUBLIC_KEY_ID} looks like a certificate serial, not a public key id.`,
            )
          : say(
              `${WechatPayEnv.PUBLIC_KEY_ID} 不是 PUB_KEY_ID_ 开头的公钥 ID。`,
              `${WechatPayEnv.PUBLIC_KEY_ID} is not an id starting PUB_KEY_ID_.`,
            ),
        fix(
          '从商户平台「API安全 › 微信支付公钥」复制公钥 ID（PUB_KEY_ID_…）。',
          'Copy the key id (PUB_KEY_ID_…) from API安全 › 微信支付公钥.',
        ),
      ),
    );
  }
  return out;
}

function platformCertsCheck(p: Parsed, nowMs: number): CheckResult | null {
  if (p.platformCerts.length === 0) return null;
  const id = 'platform-certificates.valid';
  const title = '平台证书 Platform certificates';
  const mine = p.certificate
    ? spki(p.certificate.publicKey)
    : p.privateKey
      ? spki(createPublicKey(p.privateKey))
      : undefined;
  if (mine !== undefined && p.platformCerts.some((c) => spki(c.publicKey).equals(mine))) {
    return verdict(
      id,
      'fail',
      title,
      say(
        '平台证书中有商户自己的证书：它不能验证微信支付的签名。',
        "The platform certificates include the merchant's own: it cannot verify WeChat Pay's signatures.",
      ),
      fix(
        '用 GET /v3/certificates 下载平台证书（或改用微信支付公钥）。',
        'Download platform certificates with GET /v3/certificates (or use the WeChat Pay public key).',
      ),
    );
  }
  const live = p.platformCerts.filter((c) => Date.parse(c.validTo) > nowMs);
  if (live.length === 0) {
    return verdict(
      id,
      'fail',
      title,
      say('所有平台证书都已过期。', 'Every platform certificate has expired.'),
      fix(
        '重新下载平台证书，或改用微信支付公钥。',
        'Download the platform certificates again, or switch to the WeChat Pay public key.',
      ),
    );
  }
  return pass(
    id,
    title,
    `${live.length} 张平台证书有效。`,
    `${live.length} platform certificate(s) in force.`,
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// identifiers, URLs, partner mode

function idsCheck(env: EnvLike): CheckResult {
  const id = 'ids.format';
  const title = 'AppID 与商户号 AppID and merchant ids';
  const mode = opt(env, WechatPayEnv.MODE);
  const appids = mode === 'partner' ? [WechatPayEnv.SP_APPID, WechatPayEnv.SUB_APPID] : [WechatPayEnv.APPID];
  const mchids = mode === 'partner' ? [WechatPayEnv.SP_MCHID, WechatPayEnv.SUB_MCHID] : [WechatPayEnv.MCHID];
  const problems: { zh: string; en: string }[] = [];
  for (const name of appids) {
    const v = opt(env, name);
    if (v === undefined) continue;
    if (/^\d+$/.test(v))
      problems.push(
        say(
          `${name} 全是数字，像是商户号而不是 AppID。`,
          `${name} is all digits: a merchant id, not an AppID.`,
        ),
      );
    else if (!/^wx[0-9a-f]{16}$/.test(v))
      problems.push(
        say(
          `${name} 不是 wx 开头的 18 位小程序 AppID。`,
          `${name} is not an 18-character mini program AppID starting wx.`,
        ),
      );
  }
  for (const name of mchids) {
    const v = opt(env, name);
    if (v === undefined) continue;
    if (/^wx/.test(v))
      problems.push(say(`${name} 是 AppID，不是商户号。`, `${name} is an AppID, not a merchant id.`));
    else if (!/^\d{8,12}$/.test(v))
      problems.push(
        say(`${name} 不是 8–12 位数字的商户号。`, `${name} is not a merchant id of 8–12 digits.`),
      );
  }
  if (
    mode === 'partner' &&
    opt(env, WechatPayEnv.SP_MCHID) !== undefined &&
    opt(env, WechatPayEnv.SP_MCHID) === opt(env, WechatPayEnv.SUB_MCHID)
  ) {
    problems.push(
      say('服务商商户号与子商户号相同。', 'The service provider and sub-merchant ids are the same.'),
    );
  }
  if (problems.length === 0)
    return pass(id, title, 'AppID 与商户号格式正确。', 'The AppID and merchant ids are well-formed.');
  return verdict(
    id,
    'fail',
    title,
    say(problems.map((p) => p.zh).join(' '), problems.map((p) => p.en).join(' ')),
    fix(
      'AppID 见小程序后台「开发管理 › 开发设置」；商户号见商户平台「账户中心 › 商户信息」。',
      'The AppID is under 开发管理 › 开发设置 in the mini program console; the merchant id under 账户中心 › 商户信息 on the merchant platform.',
    ),
  );
}

function isPrivateHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(host) || h === '0.0.0.0' || h.endsWith('.local') || h.endsWith('.internal')) return true;
  if (isIP(h) === 4) {
    const [a = 0, b = 0] = h.split('.').map(Number);
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254)
    );
  }
  if (isIP(h) === 6) return h === '::1' || /^f[cd]/i.test(h) || /^fe80/i.test(h);
  return false;
}

function urlCheck(env: EnvLike, id: string, setting: string, required: boolean): CheckResult | null {
  const title = `${setting} 回调地址 Notify URL`;
  const raw = opt(env, setting);
  if (raw === undefined) {
    if (!required) return null;
    return verdict(
      id,
      'fail',
      title,
      say(`${setting} 未设置。`, `${setting} is not set.`),
      fix(
        '设置为支付回调函数的 HTTPS 地址（云函数 HTTP 访问服务）。',
        "Set it to the payment notify function's https address (the function's HTTP access path).",
      ),
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return verdict(
      id,
      'fail',
      title,
      say(`${setting} 不是完整的网址。`, `${setting} is not an absolute URL.`),
      fix('填写 https:// 开头的完整地址。', 'Write a full address starting https://.'),
    );
  }
  const problems: { zh: string; en: string }[] = [];
  if (url.protocol !== 'https:') problems.push(say('必须使用 https。', 'It must use https.'));
  if (url.search !== '' || url.hash !== '')
    problems.push(
      say(
        '不能带查询参数（? 之后的部分）：微信支付不接受带参数的回调地址。',
        'It must not carry a query (after ?): WeChat Pay refuses notify URLs with parameters.',
      ),
    );
  if (url.username !== '' || url.password !== '')
    problems.push(say('不能含用户名或密码。', 'It must not carry credentials.'));
  if (isPrivateHost(url.hostname))
    problems.push(
      say(
        '指向本机或内网地址，微信支付无法访问。',
        'It points at this machine or a private network that WeChat Pay cannot reach.',
      ),
    );
  if (problems.length === 0)
    return pass(
      id,
      title,
      `${setting} 为公网 https 地址且不带参数。`,
      `${setting} is a public https address without a query.`,
    );
  const local = url.protocol === 'http:' && isLoopbackHost(url.hostname) && !isRelease(env);
  return verdict(
    id,
    local ? 'warn' : 'fail',
    title,
    say(
      `${setting}：${problems.map((p) => p.zh).join(' ')}${local ? '（开发环境下可用于本地模拟器。）' : ''}`,
      `${setting}: ${problems.map((p) => p.en).join(' ')}${local ? ' (Fine for the local simulator in development.)' : ''}`,
    ),
    fix(
      '使用云函数 HTTP 访问服务的公网 https 地址，不带 ? 参数。',
      "Use the function's public https access address, with no ? parameters.",
    ),
  );
}

function baseUrlCheck(env: EnvLike): CheckResult {
  const id = 'base-url';
  const title = '接口地址 API base URL';
  const raw = opt(env, WechatPayEnv.BASE_URL) ?? WECHATPAY_DEFAULT_BASE_URL;
  let host = '';
  try {
    host = new URL(raw).hostname;
  } catch {
    // adapter.config names it
  }
  const official = host === 'api.mch.weixin.qq.com' || host === 'api2.mch.weixin.qq.com';
  if (official) return pass(id, title, `请求发往 ${host}。`, `Requests go to ${host}.`);
  if (!isRelease(env))
    return pass(
      id,
      title,
      '开发环境：请求发往本地模拟器或测试地址。',
      'Development: requests go to a simulator or test address.',
    );
  return verdict(
    id,
    'fail',
    title,
    say(
      `正式环境的 ${WechatPayEnv.BASE_URL} 指向 ${host || '无效地址'}，而不是微信支付。`,
      `In production ${WechatPayEnv.BASE_URL} points at ${host || 'an invalid address'}, not WeChat Pay.`,
    ),
    fix(
      `删除 ${WechatPayEnv.BASE_URL}（默认 ${WECHATPAY_DEFAULT_BASE_URL}）。`,
      `Remove ${WechatPayEnv.BASE_URL} (default ${WECHATPAY_DEFAULT_BASE_URL}).`,
    ),
  );
}

function partnerCheck(env: EnvLike): CheckResult {
  const id = 'partner.fields';
  const title = '服务商模式字段 Partner-mode fields';
  const mode = opt(env, WechatPayEnv.MODE);
  const partnerNames = [
    WechatPayEnv.SP_APPID,
    WechatPayEnv.SP_MCHID,
    WechatPayEnv.SUB_MCHID,
    WechatPayEnv.SUB_APPID,
  ];
  if (mode === 'direct') {
    const stray = partnerNames.filter((n) => opt(env, n) !== undefined);
    if (stray.length === 0)
      return pass(id, title, '普通商户模式，无服务商字段。', 'Direct mode, no partner fields.');
    return verdict(
      id,
      'warn',
      title,
      say(
        `普通商户模式下设置了服务商字段 ${stray.join(', ')}，它们不会生效。`,
        `Direct mode, yet partner fields ${stray.join(', ')} are set; they are ignored.`,
      ),
      fix(
        `若是服务商模式，设置 ${WechatPayEnv.MODE}=partner；否则删除这些字段。`,
        `For partner mode set ${WechatPayEnv.MODE}=partner; otherwise remove them.`,
      ),
    );
  }
  if (mode !== 'partner') {
    return verdict(
      id,
      'fail',
      title,
      say(`${WechatPayEnv.MODE} 应为 direct 或 partner。`, `${WechatPayEnv.MODE} must be direct or partner.`),
      fix(`设置 ${WechatPayEnv.MODE}。`, `Set ${WechatPayEnv.MODE}.`),
    );
  }
  const missing = [WechatPayEnv.SP_APPID, WechatPayEnv.SP_MCHID, WechatPayEnv.SUB_MCHID].filter(
    (n) => opt(env, n) === undefined,
  );
  if (missing.length > 0) {
    return verdict(
      id,
      'fail',
      title,
      say(`服务商模式缺少 ${missing.join(', ')}。`, `Partner mode lacks ${missing.join(', ')}.`),
      fix(
        '服务商 AppID、服务商商户号与子商户号都必须设置。',
        'The service provider AppID, its merchant id and the sub-merchant id are all required.',
      ),
    );
  }
  const stray = [WechatPayEnv.APPID, WechatPayEnv.MCHID].filter((n) => opt(env, n) !== undefined);
  if (opt(env, WechatPayEnv.SUB_APPID) === undefined) {
    return verdict(
      id,
      'warn',
      title,
      say(
        `未设置 ${WechatPayEnv.SUB_APPID}：小程序属于子商户时，下单须带 sub_appid，否则用户的 openid 对不上。`,
        `${WechatPayEnv.SUB_APPID} is unset: when the mini program belongs to the sub-merchant, orders need sub_appid or the payer's openid will not match.`,
      ),
      fix(
        `若小程序由子商户主体注册，设置 ${WechatPayEnv.SUB_APPID}。`,
        `If the sub-merchant owns the mini program, set ${WechatPayEnv.SUB_APPID}.`,
      ),
    );
  }
  if (stray.length > 0) {
    return verdict(
      id,
      'warn',
      title,
      say(
        `服务商模式下设置了 ${stray.join(', ')}，它们不会生效。`,
        `Partner mode, yet ${stray.join(', ')} are set; they are ignored.`,
      ),
      fix('删除这些字段以免混淆。', 'Remove them to avoid confusion.'),
    );
  }
  return pass(id, title, '服务商模式字段完整。', 'The partner-mode fields are complete.');
}

// ---------------------------------------------------------------------------------------------------------------------
// release hygiene

function listOf(env: EnvLike, name: string): string[] {
  return (opt(env, name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function allowlistChecks(env: EnvLike): CheckResult[] {
  const release = isRelease(env);
  const testers = listOf(env, AppEnv.TESTER_OPENIDS);
  const admins = listOf(env, AppEnv.ADMIN_OPENIDS);
  const out: CheckResult[] = [];
  const tTitle = '测试人员名单 Tester allowlist';
  if (!release || testers.length === 0) {
    out.push(
      pass(
        'release.tester-allowlist',
        tTitle,
        release ? '正式环境未设置测试人员。' : '开发环境。',
        release ? 'No testers in production.' : 'Development.',
      ),
    );
  } else {
    out.push(
      verdict(
        'release.tester-allowlist',
        'warn',
        tTitle,
        say(
          `正式环境仍有 ${testers.length} 名测试人员（${AppEnv.TESTER_OPENIDS}）：他们下单只付测试金额却会收到真实商品。`,
          `Production still lists ${testers.length} tester(s) (${AppEnv.TESTER_OPENIDS}): they pay the test amount for real goods.`,
        ),
        fix(
          `上线后清空 ${AppEnv.TESTER_OPENIDS}，除非确有内部测试需要。`,
          `Empty ${AppEnv.TESTER_OPENIDS} after launch unless internal testing is intended.`,
        ),
      ),
    );
  }
  const sTitle = '店员名单 Staff allowlist';
  const both = admins.filter((a) => testers.includes(a));
  if (release && admins.length === 0) {
    out.push(
      verdict(
        'release.staff-allowlist',
        'warn',
        sTitle,
        say(
          `${AppEnv.ADMIN_OPENIDS} 为空：没有人能发货、处理退款。`,
          `${AppEnv.ADMIN_OPENIDS} is empty: nobody can ship or handle refunds.`,
        ),
        fix('填入店员的 openid。', "Put the staff's openids."),
      ),
    );
  } else if (release && both.length > 0) {
    out.push(
      verdict(
        'release.staff-allowlist',
        'warn',
        sTitle,
        say(
          `有 ${both.length} 个 openid 同时是店员和测试人员。`,
          `${both.length} openid(s) are both staff and tester.`,
        ),
        fix(
          '上线前把测试账号移出店员名单，或移出测试名单。',
          'Before launch, take test accounts off one of the two lists.',
        ),
      ),
    );
  } else {
    out.push(
      pass(
        'release.staff-allowlist',
        sTitle,
        `店员名单有 ${admins.length} 人。`,
        `The staff allowlist has ${admins.length} entr(ies).`,
      ),
    );
  }
  return out;
}

function catalogCheck(env: EnvLike, catalog: unknown): CheckResult {
  const id = 'release.demo-catalog';
  const title = '演示商品 Demo catalog test product';
  if (!isRelease(env))
    return pass(id, title, '开发环境，可使用演示商品。', 'Development: the demo catalog is fine.');
  if (catalog === undefined) {
    return verdict(
      id,
      'cannot-tell',
      title,
      say('未提供要导入的商品目录。', 'No catalog file was given.'),
      fix(
        '用 --catalog <文件> 指定要导入的商品目录。',
        'Point --catalog <file> at the catalog to be imported.',
      ),
    );
  }
  const products = (
    typeof catalog === 'object' &&
    catalog !== null &&
    'products' in catalog &&
    Array.isArray(catalog.products)
      ? catalog.products
      : []
  ) as unknown[];
  const hits = products.filter((p) => {
    if (typeof p !== 'object' || p === null) return false;
    const rec = p as Record<string, unknown>;
    const skus = Array.isArray(rec['skus']) ? (rec['skus'] as unknown[]) : [];
    return (
      rec['productId'] === DEMO_TEST_PRODUCT_ID ||
      skus.some(
        (s) => typeof s === 'object' && s !== null && (s as Record<string, unknown>)['priceFen'] === 1,
      )
    );
  });
  if (hits.length === 0)
    return pass(
      id,
      title,
      '目录中没有演示测试商品或 1 分钱商品。',
      'The catalog holds no demo test product or 1-fen item.',
    );
  return verdict(
    id,
    'fail',
    title,
    say(
      `正式环境的目录中有演示测试商品或 1 分钱商品（${hits.length} 个）。`,
      `The production catalog holds the demo test product or a 1-fen item (${hits.length}).`,
    ),
    fix(
      `导入前删除 ${DEMO_TEST_PRODUCT_ID}（测试请用测试人员名单）。`,
      `Remove ${DEMO_TEST_PRODUCT_ID} before importing (use the tester allowlist for test payments).`,
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// functions

/** The settings every payment function must agree on (a notification decrypted with another key fails). */
const SHARED_SETTINGS = [
  AppEnv.APP_ENV,
  AppEnv.PAY_PROVIDER,
  ...Object.values(WechatPayEnv).filter((n) => n !== WechatPayEnv.TIMEOUT_MS),
];

function fingerprint(v: string | undefined): string {
  return createHash('sha256')
    .update(v?.trim() ?? '')
    .digest('hex');
}

function settingsAgreeCheck(envs: Readonly<Record<string, EnvLike>>): CheckResult {
  const id = 'functions.settings-agree';
  const title = '各云函数配置一致 Settings agree across functions';
  const names = Object.keys(envs);
  const differing = SHARED_SETTINGS.filter(
    (s) => new Set(names.map((n) => fingerprint(envs[n]?.[s]))).size > 1,
  );
  if (differing.length === 0)
    return pass(
      id,
      title,
      `${names.length} 个云函数的支付配置一致。`,
      `The payment settings of ${names.length} functions agree.`,
    );
  return verdict(
    id,
    'fail',
    title,
    say(
      `这些设置在各云函数间不一致：${differing.join(', ')}。`,
      `These settings differ between functions: ${differing.join(', ')}.`,
    ),
    fix(
      '在每个云函数的环境变量中填入相同的值（或使用同一份配置）。',
      "Give every function's environment the same values (or share one configuration).",
    ),
  );
}

function timeoutsCheck(
  env: EnvLike,
  configTimeoutsMs: Readonly<Record<string, number>> | undefined,
): CheckResult {
  const id = 'functions.timeouts-nest';
  const title = '超时嵌套 Timeouts nest';
  const raw = opt(env, WechatPayEnv.TIMEOUT_MS);
  const requestMs = raw === undefined ? 3_000 : Number(raw);
  const problems: { zh: string; en: string }[] = [];
  for (const [fn, expected] of Object.entries(FUNCTION_TIMEOUTS_MS)) {
    const actual = configTimeoutsMs?.[fn];
    if (actual !== undefined && actual !== expected) {
      problems.push(
        say(
          `云函数 ${fn} 的 config.json 超时为 ${actual / 1000} 秒，代码按 ${expected / 1000} 秒计算。`,
          `Function ${fn}'s config.json timeout is ${actual / 1000} s; the code plans for ${expected / 1000} s.`,
        ),
      );
    }
    if (fn === 'msg' || !Number.isFinite(requestMs)) continue;
    const inARow =
      fn === 'closeExpired' || fn === 'reconcile' ? Math.max(...Object.values(WECHAT_CALLS_PER_ITEM)) : 1;
    const p = requestTimeoutProblem(fn as FunctionName, requestMs, inARow);
    if (p !== null) problems.push(say(`${WechatPayEnv.TIMEOUT_MS} ${p}`, `${WechatPayEnv.TIMEOUT_MS} ${p}`));
  }
  if (problems.length === 0)
    return pass(
      id,
      title,
      `请求超时 ${requestMs} ms 可嵌套在每个云函数的超时内。`,
      `The ${requestMs} ms request timeout fits inside every function's timeout.`,
    );
  return verdict(
    id,
    'fail',
    title,
    say(problems.map((p) => p.zh).join(' '), problems.map((p) => p.en).join(' ')),
    fix(
      `调小 ${WechatPayEnv.TIMEOUT_MS}（默认 3000），并让 config.json 的 timeout 与代码一致。`,
      `Lower ${WechatPayEnv.TIMEOUT_MS} (default 3000) and keep config.json timeouts equal to the code's.`,
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------------

/** Runs every offline check, in the order a shop meets the problems. */
export function offlineChecks(input: DoctorInput): CheckResult[] {
  const env = input.env;
  const out: CheckResult[] = [appConfigCheck(env)];
  const provider = opt(env, AppEnv.PAY_PROVIDER);
  if (provider === 'wechatpay-v3') {
    const parsed = tryParse(env);
    out.push(
      adapterConfigCheck(env),
      pemCheck(
        'pem.merchant-private-key',
        WechatPayEnv.MERCHANT_PRIVATE_KEY,
        'private-key',
        opt(env, WechatPayEnv.MERCHANT_PRIVATE_KEY),
        true,
      ),
      pemCheck(
        'pem.merchant-certificate',
        WechatPayEnv.MERCHANT_CERTIFICATE,
        'certificate',
        opt(env, WechatPayEnv.MERCHANT_CERTIFICATE),
        false,
      ),
      ...(parsed.publicKeyIsPrivate === true
        ? []
        : [
            pemCheck(
              'pem.wechatpay-public-key',
              WechatPayEnv.PUBLIC_KEY,
              'public-key',
              opt(env, WechatPayEnv.PUBLIC_KEY),
              false,
            ),
          ]),
      platformCertsPemCheck(env),
      keyCertMatchCheck(env, currentPair(parsed)),
      serialCheck(env, currentPair(parsed)),
      ...[certificateMchidCheck(env, currentPair(parsed))].filter((r): r is CheckResult => r !== null),
      expiryCheck(currentPair(parsed), input.nowMs),
      ...nextPairChecks(env, input.nowMs),
      apiV3KeyCheck(env),
      ...publicKeyChecks(env, parsed),
    );
    const platform = platformCertsCheck(parsed, input.nowMs);
    if (platform !== null) out.push(platform);
    out.push(idsCheck(env), baseUrlCheck(env));
    const notify = urlCheck(env, 'notify-url', WechatPayEnv.NOTIFY_URL, true);
    if (notify !== null) out.push(notify);
    const refund = urlCheck(env, 'refund-notify-url', WechatPayEnv.REFUND_NOTIFY_URL, false);
    if (refund !== null) out.push(refund);
    out.push(partnerCheck(env));
  } else {
    out.push(
      verdict(
        'adapter.config',
        'cannot-tell',
        '支付配置 WeChat Pay settings',
        say(
          `${AppEnv.PAY_PROVIDER} 不是 wechatpay-v3，直连微信支付的检查不适用。`,
          `${AppEnv.PAY_PROVIDER} is not wechatpay-v3: the direct WeChat Pay checks do not apply.`,
        ),
        fix(
          '云支付（cloudpay）的商户配置在云开发控制台检查。',
          'For cloudpay, check the merchant binding in the CloudBase console.',
        ),
      ),
    );
  }
  out.push(...allowlistChecks(env), catalogCheck(env, input.catalog));
  if (input.functionEnvs !== undefined && Object.keys(input.functionEnvs).length > 1)
    out.push(settingsAgreeCheck(input.functionEnvs));
  out.push(timeoutsCheck(env, input.configTimeoutsMs));
  return out;
}
