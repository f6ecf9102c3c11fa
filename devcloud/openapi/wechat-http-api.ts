// The local stand-in for the WeChat server APIs a machine holding the AppSecret calls over HTTPS (api.weixin.qq.com),
// mounted by the stack as the loopback-only dev route /_devcloud/wxapi (so its base URL is <gateway>/_devcloud/wxapi):
//   POST cgi-bin/stable_token                  {grant_type: 'client_credential', appid, secret, force_refresh?}
//   POST wxa/sec/order/is_trade_managed        ?access_token  {appid}: the local 发货信息管理's switch
//   POST tcb/databasecollectionget             ?access_token  {env, limit?, offset?}: the local collections, their
//                                              document counts and index counts (declared indexes + the _id index)
//   POST tcb/invokecloudfunction               ?access_token&env&name  body = the event: the function runs with
//                                              SOURCE wx_http and no user identity, as WeChat documents it
//   GET|POST ip-allowlist                      {ips: string[] | null}: the AppSecret IP allowlist (开发设置 → IP白名单);
//                                              set, a token request from loopback (127.0.0.1) answers 40164
// Answers are WeChat's: HTTP 200 with {errcode, errmsg, …}; errcode 0 on success. Error codes are the documented ones
// (40002 grant_type, 40013 appid, 40125 secret, 40164 IP, 41001 no token, 40001 token not valid, 42001 token expired,
// 40097 parameters). Dev-only: nothing here reaches a function bundle.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DevRoute } from '../gateway/server';
import type { InvocationOutcome } from '../gateway/runtime';

/** One collection as tcb/databasecollectionget reports it. */
export interface ApiCollection {
  name: string;
  count: number;
  /** Every index, the _id index included. */
  indexCount: number;
}

/** What the stand-in answers from. */
export interface WechatHttpApiOptions {
  appid: string;
  /** The AppSecret tokens are issued for (contains a secret: never log it). */
  secret: string;
  /** The cloud environment id the tcb APIs accept. */
  envId: string;
  /** is_trade_managed. */
  managed: () => Promise<boolean>;
  collections: () => Promise<ApiCollection[]>;
  /** Invokes a function as the HTTP API does (SOURCE wx_http, no user identity). */
  invoke: (name: string, event: unknown) => Promise<InvocationOutcome>;
  now?: () => number;
}

/** How long a token lives (WeChat: up to 7200 s). */
export const TOKEN_TTL_S = 7200;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const rid = () => `rid: ${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;

function wxError(errcode: number, errmsg: string): { status: number; body: unknown } {
  return { status: 200, body: { errcode, errmsg: `${errmsg} ${rid()}` } };
}

/** The dev route (`devRoutes.wxapi`). */
export function wechatHttpApiRoute(o: WechatHttpApiOptions): DevRoute {
  const now = o.now ?? Date.now;
  let token: { value: string; expiresAt: number } | undefined;
  let allowlist: string[] | null = null;
  const CALLER_IP = '127.0.0.1';

  const checkToken = (query: URLSearchParams): { status: number; body: unknown } | undefined => {
    const t = query.get('access_token');
    if (t === null || t === '') return wxError(41001, 'access_token missing');
    if (token === undefined || t !== token.value)
      return wxError(40001, 'invalid credential, access_token is invalid or not latest');
    if (now() >= token.expiresAt) return wxError(42001, 'access_token expired');
    return undefined;
  };

  return async ({ method, path, query, body }) => {
    const route = path.join('/');
    const b = isRecord(body) ? body : {};
    if (route === 'ip-allowlist') {
      if (method === 'POST') {
        const ips = b['ips'];
        allowlist = Array.isArray(ips) ? ips.filter((x): x is string => typeof x === 'string') : null;
      }
      return { status: 200, body: { ips: allowlist } };
    }
    if (method !== 'POST') return wxError(43002, 'require POST method');
    if (route === 'cgi-bin/stable_token') {
      if (b['grant_type'] !== 'client_credential') return wxError(40002, 'invalid grant_type');
      if (b['appid'] !== o.appid) return wxError(40013, 'invalid appid');
      if (typeof b['secret'] !== 'string' || b['secret'] !== o.secret)
        return wxError(40125, 'invalid appsecret');
      if (allowlist !== null && !allowlist.includes(CALLER_IP))
        return wxError(40164, `invalid ip ${CALLER_IP}, not in whitelist`);
      if (token === undefined || b['force_refresh'] === true || now() >= token.expiresAt - 300_000)
        token = { value: randomBytes(48).toString('base64url'), expiresAt: now() + TOKEN_TTL_S * 1000 };
      return {
        status: 200,
        body: { access_token: token.value, expires_in: Math.round((token.expiresAt - now()) / 1000) },
      };
    }
    const refused = checkToken(query);
    if (refused !== undefined) return refused;
    if (route === 'wxa/sec/order/is_trade_managed') {
      if (typeof b['appid'] !== 'string' || b['appid'] === '') return wxError(40097, 'invalid args');
      if (b['appid'] !== o.appid) return wxError(40013, 'invalid appid');
      return { status: 200, body: { errcode: 0, errmsg: 'ok', is_trade_managed: await o.managed() } };
    }
    if (route === 'tcb/databasecollectionget') {
      if (b['env'] !== o.envId) return wxError(40097, 'invalid args: env');
      const limit = Math.max(Number(b['limit'] ?? 10) || 10, 1);
      const offset = Math.max(Number(b['offset'] ?? 0) || 0, 0);
      const all = await o.collections();
      return {
        status: 200,
        body: {
          errcode: 0,
          errmsg: 'ok',
          collections: all.slice(offset, offset + limit).map((c) => ({
            name: c.name,
            count: c.count,
            size: 0,
            index_count: c.indexCount,
            index_size: 0,
          })),
          pager: { Offset: offset, Limit: limit, Total: all.length },
        },
      };
    }
    if (route === 'tcb/invokecloudfunction') {
      if (query.get('env') !== o.envId) return wxError(40097, 'invalid args: env');
      const name = query.get('name') ?? '';
      if (name === '') return wxError(40101, 'missing required parameter: name');
      if (body === null || body === undefined) return wxError(44002, 'empty post data');
      // The platform adds userInfo {appId} to the event and no OPENID: an HTTP API call has no user.
      const event = isRecord(body) ? { ...body, userInfo: { appId: o.appid } } : body;
      const outcome = await o.invoke(name, event);
      if (!outcome.ok) return wxError(-1, `system error: ${outcome.failure.code} ${outcome.failure.message}`);
      return {
        status: 200,
        body: { errcode: 0, errmsg: 'ok', resp_data: JSON.stringify(outcome.result ?? null) },
      };
    }
    return undefined;
  };
}

/** Where the local stack keeps its AppSecret (git-ignored data folder, mode 0600). */
export function localAppSecretFile(dataDir: string): string {
  return join(dataDir, 'openapi', 'appsecret');
}

/** The local stack's AppSecret: read from its data folder, made (32 hex characters, as WeChat's) on first start. */
export function ensureLocalAppSecret(dataDir: string): string {
  const file = localAppSecretFile(dataDir);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(16).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The local cloud environment id (getWXContext().ENV, and what the tcb APIs accept). */
export const LOCAL_CLOUD_ENV_ID = 'local-dev';
/** The dev route's name: the local stack's WeChat API base URL is `<gateway>/_devcloud/wxapi`. */
export const WECHAT_API_ROUTE = 'wxapi';
