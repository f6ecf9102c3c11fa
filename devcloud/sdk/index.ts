// The wx-server-sdk stand-in: what `require('wx-server-sdk')` answers inside a function the local cloud runs.
// One instance per loaded function (like the real module, which each function folder installs for itself); all
// instances share one engine, as all functions of a cloud environment share one database.
import type { Engine } from '../db/engine';
import { ErrCodes, sdkError } from '../db/errors';
import { currentInvocation } from './context';
import { Database, SERVER_MAX_LIMIT, type DbOpKind } from './database';
import type { CloudDatabase, DatabaseOptions, WXContext, WxServerSdk } from './types';

/** The marker functions pass as `init({env: cloud.DYNAMIC_CURRENT_ENV})` (the real SDK uses this symbol too). */
export const DYNAMIC_CURRENT_ENV: symbol = Symbol.for('DYNAMIC_CURRENT_ENV');

/** What an SDK instance needs from the local cloud. */
export interface SdkHost {
  engine: Engine;
  /** The environment id getWXContext().ENV answers when init() is given DYNAMIC_CURRENT_ENV or nothing. */
  envId: string;
  /** The function this instance belongs to (round trips outside an invocation are counted for it). */
  functionName: string;
  /** Called for every database round trip, with the function it is attributed to. */
  onDbOp?: (functionName: string, op: DbOpKind) => void;
  /** Clock for db.serverDate() (ms since epoch). */
  now?: () => number;
  /** What `cloud.cloudPay` is (default: a stand-in whose every method rejects "not built"). */
  cloudPay?: object;
  /** What `cloud.openapi` is (the cloud calls; default: every `cloud.openapi.<a>.<b>…(…)` rejects "not built"). */
  openapi?: object;
}

/** Builds an object with the surface of wx-server-sdk (typed in ./types.ts) backed by the local engine. */
export function createWxServerSdk(host: SdkHost): WxServerSdk {
  let env: string = host.envId;
  const now = host.now ?? (() => Date.now());
  const meter = (op: DbOpKind) => {
    const ctx = currentInvocation();
    if (ctx !== undefined) ctx.dbOps += 1;
    host.onDbOp?.(ctx?.functionName ?? host.functionName, op);
  };
  const target: Record<string, (...args: unknown[]) => Promise<never>> = {};
  const notBuilt = new Proxy(target, {
    get(_target, prop) {
      // Not thenable, so `await cloud.cloudPay` or passing it around stays harmless until a method is called.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return () =>
        Promise.reject(
          sdkError(
            `cloudPay.${prop}`,
            ErrCodes.NOT_SUPPORTED,
            'cloud.cloudPay is not built in the local cloud yet (later issue); use the WeChat Pay v3 provider locally',
          ),
        );
    },
  });
  return {
    DYNAMIC_CURRENT_ENV,
    init(options?: { env?: unknown }) {
      const wanted = options?.env;
      if (typeof wanted === 'string' && wanted !== '') env = wanted;
      else if (wanted === undefined || wanted === DYNAMIC_CURRENT_ENV) env = host.envId;
      else if (typeof wanted === 'object' && wanted !== null) {
        const dbEnv = (wanted as { database?: unknown }).database;
        env = typeof dbEnv === 'string' && dbEnv !== '' ? dbEnv : host.envId;
      }
    },
    getWXContext(): WXContext {
      const ctx = currentInvocation();
      return { OPENID: ctx?.openid, APPID: ctx?.appid, UNIONID: ctx?.unionid, ENV: env, SOURCE: ctx?.source };
    },
    database(options?: DatabaseOptions): CloudDatabase {
      return new Database({
        engine: host.engine,
        meter,
        now,
        throwOnNotFound: options?.throwOnNotFound ?? true,
        maxLimit: SERVER_MAX_LIMIT,
      });
    },
    cloudPay: host.cloudPay ?? notBuilt,
    openapi: host.openapi ?? notBuiltOpenapi([]),
  };
}

/** `cloud.openapi` when the host supplies none: any path of properties, called, rejects "not built" (-604100). */
function notBuiltOpenapi(path: readonly string[]): object {
  const call = (): Promise<never> =>
    Promise.reject(
      sdkError(
        `openapi.${path.join('.')}`,
        ErrCodes.NOT_SUPPORTED,
        `cloud.openapi.${path.join('.')} is not emulated by the local cloud`,
      ),
    );
  return new Proxy(call, {
    get(_target, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return notBuiltOpenapi([...path, prop]);
    },
  });
}
