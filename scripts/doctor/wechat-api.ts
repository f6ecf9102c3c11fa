// The WeChat server APIs (api.weixin.qq.com) a machine holding the mini program's AppSecret may call: the stable access
// token, then 发货信息管理's is_trade_managed and the cloud database's collection list (the doctor), and
// tcb/invokecloudfunction (the deploy's data migrations). The AppSecret is optional and for the doctor/deploy machine
// only — never a function setting, never printed; WeChat accepts the token request only from an IP on the AppSecret IP
// allowlist (开发管理 → 开发设置 → 开发者ID → IP白名单). WECHAT_API_BASE_URL points it at the local stack's stand-in
// (<gateway>/_devcloud/wxapi) in tests and `--local-stack`.
import { loadCollectionsConfig } from '../../devcloud/db/collections-config';
import type { CollectionSpec } from '../../devcloud/db/collections-config';
import type { CheckResult } from './result';
import { pass, verdict } from './result';

type EnvLike = Readonly<Record<string, string | undefined>>;

/** The settings the doctor (env file) and the deploy (its process environment) read. */
export const WechatApiEnv = {
  /** The mini program's AppSecret (开发管理 → 开发设置 → 开发者ID). Doctor/deploy machine only. */
  APPSECRET: 'WECHAT_APPSECRET',
  /** Default https://api.weixin.qq.com. */
  BASE_URL: 'WECHAT_API_BASE_URL',
  /** The cloud environment id (the doctor's database check). */
  CLOUD_ENV: 'WECHAT_CLOUD_ENV',
  /** The mini program's AppID when it is not WECHATPAY_APPID (partner mode without WECHATPAY_SUB_APPID, cloudPay). */
  APPID: 'WECHAT_APPID',
} as const;

export const DEFAULT_WECHAT_API = 'https://api.weixin.qq.com';
const TIMEOUT_MS = 10_000;

/** A WeChat API answer with a non-zero errcode. `errmsg` is WeChat's (it may name this machine's IP, never a secret). */
export class WechatApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`errcode ${errcode}: ${errmsg}`);
  }
}

const trimmed = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** The mini program's AppID from the settings: WECHAT_APPID, else the one the payment settings name. */
export function miniProgramAppid(env: EnvLike): string | undefined {
  return (
    trimmed(env[WechatApiEnv.APPID]) ??
    (env['WECHATPAY_MODE']?.trim() === 'partner'
      ? (trimmed(env['WECHATPAY_SUB_APPID']) ?? trimmed(env['WECHATPAY_SP_APPID']))
      : trimmed(env['WECHATPAY_APPID'])) ??
    trimmed(env['CLOUDPAY_APPID'])
  );
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': 'wxpay-safe-shop doctor' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: the answer is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`HTTP ${res.status}: unexpected answer`);
  const r = parsed as Record<string, unknown>;
  const errcode = typeof r['errcode'] === 'number' ? r['errcode'] : 0;
  if (errcode !== 0) throw new WechatApiError(errcode, typeof r['errmsg'] === 'string' ? r['errmsg'] : '');
  return r;
}

/** A client holding one access token. `token` is a secret: never print it. */
export interface WechatApiClient {
  appid: string;
  baseUrl: string;
  token: string;
  /** POST `path?access_token=…&query…` with a JSON body; throws WechatApiError on a non-zero errcode. */
  call(path: string, body: unknown, query?: Record<string, string>): Promise<Record<string, unknown>>;
}

/** POST /cgi-bin/stable_token; throws WechatApiError (40125, 40164, 40013, …) or a network error. */
export async function connectWechatApi(o: {
  baseUrl?: string;
  appid: string;
  secret: string;
}): Promise<WechatApiClient> {
  const baseUrl = (o.baseUrl ?? DEFAULT_WECHAT_API).replace(/\/+$/, '');
  const r = await postJson(`${baseUrl}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: o.appid,
    secret: o.secret,
  });
  const token = r['access_token'];
  if (typeof token !== 'string' || token === '') throw new Error('the token answer carries no access_token');
  return {
    appid: o.appid,
    baseUrl,
    token,
    call: (path, body, query = {}) => {
      const q = new URLSearchParams({ access_token: token, ...query });
      return postJson(`${baseUrl}${path}?${q.toString()}`, body);
    },
  };
}

const fix = (zh: string, en: string) => ({ zh, en });

/** What an error of the token request means and how to fix it. */
export function explainTokenError(
  errcode: number,
  errmsg: string,
): { zh: string; en: string; fixZh: string; fixEn: string } {
  if (errcode === 40001 || errcode === 40125)
    return {
      zh: `AppSecret 不对（${errcode}）。`,
      en: `The AppSecret is wrong (${errcode}).`,
      fixZh:
        '在小程序后台「开发管理 → 开发设置 → 开发者ID」核对 AppSecret；忘记时只能重置（重置后旧的立即失效，用它的其他服务器也要更新），填入 WECHAT_APPSECRET。',
      fixEn:
        'Check the AppSecret under 开发管理 → 开发设置 → 开发者ID in the mini program admin console; if it is lost, reset it (the old one stops working at once: update anything else that uses it) and put it in WECHAT_APPSECRET.',
    };
  if (errcode === 40164)
    return {
      zh: `本机 IP 不在 AppSecret 的 IP 白名单中（40164：${errmsg}）。`,
      en: `This machine's IP is not on the AppSecret IP allowlist (40164: ${errmsg}).`,
      fixZh:
        '在小程序后台「开发管理 → 开发设置 → 开发者ID → IP白名单」加入运行 doctor/deploy 的机器的公网 IP（错误信息里给出了它），几分钟后再试。',
      fixEn:
        'Add the public IP of the machine running the doctor/deploy under 开发管理 → 开发设置 → 开发者ID → IP白名单 (the message names it), then try again a few minutes later.',
    };
  if (errcode === 40013)
    return {
      zh: 'AppID 不对（40013 invalid appid）。',
      en: 'The AppID is wrong (40013 invalid appid).',
      fixZh:
        '核对小程序 AppID（开发管理 → 开发设置）：默认取 WECHATPAY_APPID（服务商模式取 WECHATPAY_SUB_APPID），不同时设置 WECHAT_APPID。',
      fixEn:
        'Check the mini program AppID (开发管理 → 开发设置): it is WECHATPAY_APPID (partner mode: WECHATPAY_SUB_APPID) unless WECHAT_APPID is set.',
    };
  return {
    zh: `获取 access_token 失败（${errcode}：${errmsg}）。`,
    en: `The access token request failed (${errcode}: ${errmsg}).`,
    fixZh: '对照微信的全局错误码排查，稍后重试。',
    fixEn: "Look the code up in WeChat's global error codes and try again later.",
  };
}

const TRADE = {
  id: 'online.trade-managed',
  title: '发货信息管理已开通 Shipping management (is_trade_managed)',
};
const DB = { id: 'online.database', title: '云数据库集合与索引 Cloud database collections and index counts' };
const DB_RULES = {
  id: 'online.database-rules',
  title: '索引定义与权限（唯一索引 paymentKey）Index definitions, unique paymentKey, permissions',
};

const TRADE_BY_HAND = fix(
  '手动核对：小程序后台「交易 → 发货信息管理（订单发货管理）」显示已开通。或在 doctor 的设置中加入 WECHAT_APPSECRET（仅限这台机器，并把它的 IP 加入 AppSecret 的 IP 白名单）再运行 --online。',
  'Check by hand: the mini program admin console shows 交易 → 发货信息管理 (订单发货管理) switched on. Or add WECHAT_APPSECRET to the doctor’s settings (this machine only, its IP on the AppSecret IP allowlist) and run --online again.',
);

function collectionFix(c: CollectionSpec): string {
  const idx = c.indexes.map(
    (i) =>
      `${i.name}(${i.fields.map((f) => `${f.field} ${f.order}`).join(', ')}${i.unique ? ', unique' : ''})`,
  );
  return `${c.name}: ${idx.length > 0 ? idx.join('; ') : '(no index but _id)'}`;
}

function rulesByHand(declared: readonly CollectionSpec[]): { zh: string; en: string } {
  const unique = declared.flatMap((c) => c.indexes.filter((i) => i.unique).map((i) => `${c.name}.${i.name}`));
  return fix(
    `在云开发控制台「数据库 → 集合 → 索引管理」核对唯一索引 ${unique.join('、')} 的字段且为「唯一」，在「数据权限」核对每个集合为自定义规则 {"read": false, "write": false}（data/collections.json）。`,
    `In the cloud console, 数据库 → each collection → 索引管理: check that ${unique.join(', ')} have their fields and are unique; 数据权限: every collection has the custom rule {"read": false, "write": false} (data/collections.json).`,
  );
}

async function tradeManagedCheck(api: WechatApiClient): Promise<CheckResult> {
  let r: Record<string, unknown>;
  try {
    r = await api.call('/wxa/sec/order/is_trade_managed', { appid: api.appid });
  } catch (e) {
    if (e instanceof WechatApiError && e.errcode === 40013)
      return verdict(
        TRADE.id,
        'fail',
        `${TRADE.title}: 40013`,
        fix(
          `is_trade_managed 不认 AppID ${api.appid}。`,
          `is_trade_managed does not accept the AppID ${api.appid}.`,
        ),
        fix(
          '核对小程序 AppID（WECHAT_APPID / WECHATPAY_APPID）。',
          'Check the mini program AppID (WECHAT_APPID / WECHATPAY_APPID).',
        ),
      );
    const what =
      e instanceof WechatApiError ? `${e.errcode} ${e.errmsg}` : e instanceof Error ? e.message : String(e);
    return verdict(
      TRADE.id,
      'cannot-tell',
      TRADE.title,
      fix(`is_trade_managed 未能回答（${what}）。`, `is_trade_managed did not answer (${what}).`),
      e instanceof WechatApiError && e.errcode === 48001
        ? fix(
            `48001：该账号没有这个接口的权限，多半是发货信息管理尚未开通。${TRADE_BY_HAND.zh}`,
            `48001: the account may not call this API, most likely because 发货信息管理 is not open for it. ${TRADE_BY_HAND.en}`,
          )
        : TRADE_BY_HAND,
    );
  }
  if (r['is_trade_managed'] === true)
    return pass(
      TRADE.id,
      TRADE.title,
      `小程序 ${api.appid} 已开通发货信息管理：reconcile 定时器上传的发货信息会被接受。`,
      `发货信息管理 is switched on for ${api.appid}: the reconcile timer's shipping uploads will be accepted.`,
    );
  return verdict(
    TRADE.id,
    'fail',
    TRADE.title,
    fix(
      `is_trade_managed 回答 false：小程序 ${api.appid} 未开通发货信息管理。发货信息不会上传（店员页显示「未开通微信发货信息管理」）；有交易结算义务的小程序，货款在录入发货信息前一直冻结，微信还可能拒绝支付（requestPayment:fail no permission）。`,
      `is_trade_managed answered false: 发货信息管理 is not switched on for ${api.appid}. No shipment is uploaded (the staff page says 未开通微信发货信息管理); for a mini program with 交易结算 duties the money stays frozen until shipping is recorded, and WeChat may refuse payments (requestPayment:fail no permission).`,
    ),
    fix(
      '在小程序后台「交易 → 发货信息管理（订单发货管理）」申请并开通；可选设置消息跳转路径 order/detail/index。开通后再运行 --online。',
      'Apply for and switch on 发货信息管理 under 交易 → 发货信息管理 (订单发货管理) in the mini program admin console (optionally set the message jump path order/detail/index), then run --online again.',
    ),
  );
}

/** Every collection of the environment (tcb/databasecollectionget, paged). */
async function listCollections(
  api: WechatApiClient,
  env: string,
): Promise<{ name: string; count: number; indexCount: number }[]> {
  const out: { name: string; count: number; indexCount: number }[] = [];
  for (let offset = 0; offset < 10_000;) {
    const r = await api.call('/tcb/databasecollectionget', { env, limit: 100, offset });
    const page = Array.isArray(r['collections']) ? (r['collections'] as Record<string, unknown>[]) : [];
    for (const c of page)
      out.push({
        name: String(c['name']),
        count: Number(c['count'] ?? 0),
        indexCount: Number(c['index_count'] ?? 0),
      });
    const total = Number((r['pager'] as { Total?: unknown } | undefined)?.Total ?? out.length);
    offset += page.length;
    if (page.length === 0 || offset >= total) break;
  }
  return out;
}

async function databaseChecks(
  api: WechatApiClient,
  env: string,
  declared: readonly CollectionSpec[],
): Promise<CheckResult[]> {
  let found: { name: string; count: number; indexCount: number }[];
  try {
    found = await listCollections(api, env);
  } catch (e) {
    const code = e instanceof WechatApiError ? e.errcode : undefined;
    const what =
      e instanceof WechatApiError ? `${e.errcode} ${e.errmsg}` : e instanceof Error ? e.message : String(e);
    if (code === 85088 || code === 40097)
      return [
        verdict(
          DB.id,
          'fail',
          `${DB.title}: ${code}`,
          code === 85088
            ? fix(
                `该小程序未开通云开发（${what}）。`,
                `Cloud development is not opened for this mini program (${what}).`,
              )
            : fix(
                `云环境 ${env} 不被接受（${what}）。`,
                `The cloud environment ${env} is not accepted (${what}).`,
              ),
          fix(
            `在微信开发者工具「云开发」开通环境，并把环境 ID（云开发控制台 → 设置 → 环境 ID）填入 ${WechatApiEnv.CLOUD_ENV}。`,
            `Open a cloud environment (DevTools → 云开发) and put its id (cloud console → 设置 → 环境 ID) in ${WechatApiEnv.CLOUD_ENV}.`,
          ),
        ),
      ];
    return [
      verdict(
        DB.id,
        'cannot-tell',
        DB.title,
        fix(`集合列表未能取得（${what}）。`, `The collection list could not be read (${what}).`),
        fix(
          '稍后重试，或在云开发控制台「数据库」手动核对。',
          'Try again later, or check by hand in the cloud console (数据库).',
        ),
      ),
    ];
  }
  const byName = new Map(found.map((c) => [c.name, c]));
  const missing = declared.filter((c) => !byName.has(c.name));
  // WeChat counts the _id index every collection has: a collection with its declared indexes answers declared + 1.
  const short = declared.filter((c) => {
    const f = byName.get(c.name);
    return f !== undefined && f.indexCount < c.indexes.length + 1;
  });
  const results: CheckResult[] = [];
  if (missing.length === 0 && short.length === 0) {
    results.push(
      pass(
        DB.id,
        DB.title,
        `云环境 ${env} 有 data/collections.json 的全部 ${declared.length} 个集合，且每个集合的索引数不少于声明数（含 _id 索引）。`,
        `The cloud environment ${env} has all ${declared.length} collections of data/collections.json, each with at least its declared number of indexes (plus the _id index).`,
      ),
    );
  } else {
    const lines = [
      ...missing.map((c) => ({ zh: `缺少集合 ${c.name}`, en: `collection ${c.name} is missing` })),
      ...short.map((c) => {
        const n = byName.get(c.name)?.indexCount ?? 0;
        return {
          zh: `集合 ${c.name} 只有 ${n} 个索引（应至少 ${c.indexes.length + 1} 个，含 _id）`,
          en: `collection ${c.name} has ${n} indexes (at least ${c.indexes.length + 1} expected, _id included)`,
        };
      }),
    ];
    const todo = [...missing, ...short].map(collectionFix).join(' | ');
    results.push(
      verdict(
        DB.id,
        'fail',
        `${DB.title}: ${[...missing, ...short].map((c) => c.name).join(', ')}`,
        fix(
          `云环境 ${env}：${lines.map((l) => l.zh).join('；')}。函数读写这些集合时会失败（集合不存在）或缺少索引保护（唯一索引缺失时同一笔支付可能记到两张订单上）。`,
          `Cloud environment ${env}: ${lines.map((l) => l.en).join('; ')}. The functions fail on a missing collection, and a missing unique index lets one payment be recorded on two orders.`,
        ),
        fix(
          `在云开发控制台「数据库 → 添加集合」创建缺少的集合（权限：自定义规则 {"read": false, "write": false}），并在「索引管理」建立：${todo}。已有旧订单时先运行数据迁移再建 payment_key_unique（docs/MIGRATIONS.md）。`,
          `In the cloud console, 数据库 → 添加集合 for each missing collection (permission: custom rule {"read": false, "write": false}), and under 索引管理 create: ${todo}. With orders from before it, run the data migration before creating payment_key_unique (docs/MIGRATIONS.md).`,
        ),
      ),
    );
  }
  results.push(
    verdict(
      DB_RULES.id,
      'cannot-tell',
      DB_RULES.title,
      fix(
        '微信的 HTTP API 只给出每个集合的索引数量，读不到索引的字段、是否唯一，也读不到集合权限：这些无法在这里证明。',
        "WeChat's HTTP API reports how many indexes a collection has, not their fields or uniqueness, nor the collection's permission: those cannot be proven from here.",
      ),
      rulesByHand(declared),
    ),
  );
  return results;
}

/** The collections the project declares (data/collections.json). */
export function declaredCollections(file: string): CollectionSpec[] {
  return loadCollectionsConfig(file).collections;
}

/**
 * online.appsecret, online.trade-managed, online.database, online.database-rules. Without WECHAT_APPSECRET: the two
 * checks as cannot-tell with the manual steps. Every token obtained is pushed to `tokens` (the caller masks them).
 * Never throws.
 */
export async function wechatApiChecks(
  env: EnvLike,
  o: { collectionsFile: string; tokens: string[] },
): Promise<CheckResult[]> {
  const declared = declaredCollections(o.collectionsFile);
  const secret = trimmed(env[WechatApiEnv.APPSECRET]);
  const appid = miniProgramAppid(env);
  const cloudEnv = trimmed(env[WechatApiEnv.CLOUD_ENV]);
  const dbByHand = fix(
    `手动核对云开发控制台「数据库」：data/collections.json 的每个集合都存在且有其索引。${rulesByHand(declared).zh}`,
    `Check by hand in the cloud console (数据库): every collection of data/collections.json exists with its indexes. ${rulesByHand(declared).en}`,
  );
  const noSecret = fix(
    `未设置 ${WechatApiEnv.APPSECRET}：无法向微信查询。`,
    `${WechatApiEnv.APPSECRET} is not set: WeChat cannot be asked.`,
  );
  if (secret === undefined || appid === undefined) {
    const why =
      secret === undefined
        ? noSecret
        : fix(
            `设置了 ${WechatApiEnv.APPSECRET}，但不知道小程序的 AppID（设置 ${WechatApiEnv.APPID}）。`,
            `${WechatApiEnv.APPSECRET} is set but the mini program's AppID is not known (set ${WechatApiEnv.APPID}).`,
          );
    return [
      verdict(TRADE.id, 'cannot-tell', TRADE.title, why, TRADE_BY_HAND),
      verdict(DB.id, 'cannot-tell', DB.title, why, dbByHand),
    ];
  }
  const baseUrl = trimmed(env[WechatApiEnv.BASE_URL]) ?? DEFAULT_WECHAT_API;
  let api: WechatApiClient;
  try {
    api = await connectWechatApi({ baseUrl, appid, secret });
    o.tokens.push(api.token);
  } catch (e) {
    const failed =
      e instanceof WechatApiError
        ? (() => {
            const x = explainTokenError(e.errcode, e.errmsg);
            return verdict(
              'online.appsecret',
              'fail',
              `AppSecret → access_token: ${e.errcode}`,
              fix(x.zh, x.en),
              fix(x.fixZh, x.fixEn),
            );
          })()
        : verdict(
            'online.appsecret',
            'fail',
            'AppSecret → access_token',
            fix(
              `无法连接 ${baseUrl}（${e instanceof Error ? e.name : 'error'}）。`,
              `Cannot reach ${baseUrl} (${e instanceof Error ? e.name : 'error'}).`,
            ),
            fix(`检查网络与 ${WechatApiEnv.BASE_URL}。`, `Check the network and ${WechatApiEnv.BASE_URL}.`),
          );
    const noToken = fix(
      '没有 access_token（见 online.appsecret）。',
      'No access token (see online.appsecret).',
    );
    return [
      failed,
      verdict(TRADE.id, 'cannot-tell', TRADE.title, noToken, TRADE_BY_HAND),
      verdict(DB.id, 'cannot-tell', DB.title, noToken, dbByHand),
    ];
  }
  const out: CheckResult[] = [
    pass(
      'online.appsecret',
      'AppSecret → access_token',
      `用 ${appid} 的 AppSecret 取得了 access_token（本机 IP 在白名单中）。`,
      `An access token was issued for ${appid} with its AppSecret (this machine's IP is on the allowlist).`,
    ),
  ];
  out.push(await tradeManagedCheck(api));
  if (cloudEnv === undefined) {
    out.push(
      verdict(
        DB.id,
        'cannot-tell',
        DB.title,
        fix(
          `未设置 ${WechatApiEnv.CLOUD_ENV}（云环境 ID）。`,
          `${WechatApiEnv.CLOUD_ENV} (the cloud environment id) is not set.`,
        ),
        fix(
          `把云开发控制台「设置」里的环境 ID 填入 ${WechatApiEnv.CLOUD_ENV} 再运行；或：${dbByHand.zh}`,
          `Put the environment id (cloud console → 设置) in ${WechatApiEnv.CLOUD_ENV} and run again; or: ${dbByHand.en}`,
        ),
      ),
    );
  } else {
    out.push(...(await databaseChecks(api, cloudEnv, declared)));
  }
  return out;
}

/**
 * functions.no-appsecret (with --function-env): the AppSecret is the doctor's and the deploy's, never a function's —
 * the functions reach WeChat through cloud calls. One found in a function's settings fails, naming the function.
 */
export function appSecretPlacementCheck(functionEnvs: Readonly<Record<string, EnvLike>>): CheckResult {
  const id = 'functions.no-appsecret';
  const title = '云函数不带 AppSecret No AppSecret in the functions’ settings';
  const carrying = Object.entries(functionEnvs)
    .filter(([, env]) => trimmed(env[WechatApiEnv.APPSECRET]) !== undefined)
    .map(([name]) => name);
  if (carrying.length === 0)
    return pass(
      id,
      title,
      '云函数的设置中没有 WECHAT_APPSECRET。',
      'No function’s settings carry WECHAT_APPSECRET.',
    );
  return verdict(
    id,
    'fail',
    title,
    fix(
      `${carrying.join('、')} 的设置中有 WECHAT_APPSECRET：云函数不需要它（用云调用），放在那里只会多一处泄露的地方。`,
      `${carrying.join(', ')} carry WECHAT_APPSECRET: no function needs it (they use cloud calls), and there it is one more place to leak from.`,
    ),
    fix(
      '从这些云函数的环境变量中删除 WECHAT_APPSECRET；它只属于运行 doctor / deploy 的机器。',
      "Remove WECHAT_APPSECRET from those functions' environment variables; it belongs on the doctor/deploy machine only.",
    ),
  );
}
