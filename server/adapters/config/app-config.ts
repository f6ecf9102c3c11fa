// The shop's own settings (besides the payment adapter's), from the function's environment variables. A missing or
// malformed setting fails fast at cold start, naming the setting; values are never echoed.

/** Setting names. */
export const AppEnv = {
  APP_ENV: 'APP_ENV',
  PAY_PROVIDER: 'PAY_PROVIDER',
  ORDER_TTL_MINUTES: 'ORDER_TTL_MINUTES',
  TESTER_OPENIDS: 'SHOP_TESTER_OPENIDS',
  ADMIN_OPENIDS: 'SHOP_ADMIN_OPENIDS',
  TESTER_AUTO_REFUND: 'SHOP_TESTER_AUTO_REFUND',
  TESTER_PRICE_FEN: 'SHOP_TESTER_PRICE_FEN',
} as const;

/** The tester amount's bounds in fen (1 fen default; at most 1000 yuan, the domain's MAX_TESTER_PAYABLE_FEN). */
export const TESTER_PRICE_FEN_DEFAULT = 1;
export const TESTER_PRICE_FEN_MAX = 100_000;

/** Which payment provider the shop uses. */
export type ProviderKind = 'wechatpay-v3' | 'cloudpay' | 'demo';

/** Validated shop settings. */
export interface AppConfig {
  /** 'production' unless explicitly 'development': the demo provider is refused in production. */
  appEnv: 'production' | 'development';
  provider: ProviderKind;
  orderTtlMs: number;
  testerOpenids: ReadonlySet<string>;
  adminOpenids: ReadonlySet<string>;
  testerAutoRefund: boolean;
  /** What a tester order charges, in fen (capped at the order's real total when priced). */
  testerPriceFen: number;
}

/** A setting is missing or malformed. */
export class AppConfigError extends Error {
  override readonly name = 'AppConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting} ${problem}`);
  }
}

type EnvLike = Readonly<Record<string, string | undefined>>;
const OPENID = /^[0-9A-Za-z_-]{6,64}$/;

function openidList(env: EnvLike, name: string): Set<string> {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return new Set();
  const ids = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.some((id) => !OPENID.test(id)))
    throw new AppConfigError(name, 'must be a comma-separated list of OPENIDs');
  return new Set(ids);
}

/** Parses and validates the shop settings. */
export function parseAppConfig(env: EnvLike): AppConfig {
  const appEnvRaw = (env[AppEnv.APP_ENV] ?? 'production').trim();
  if (appEnvRaw !== 'production' && appEnvRaw !== 'development') {
    throw new AppConfigError(AppEnv.APP_ENV, "must be 'production' or 'development'");
  }
  const provider = (env[AppEnv.PAY_PROVIDER] ?? '').trim();
  if (provider !== 'wechatpay-v3' && provider !== 'cloudpay' && provider !== 'demo') {
    throw new AppConfigError(
      AppEnv.PAY_PROVIDER,
      "is missing or not one of 'wechatpay-v3', 'cloudpay', 'demo'",
    );
  }
  if (provider === 'demo' && appEnvRaw === 'production') {
    throw new AppConfigError(
      AppEnv.PAY_PROVIDER,
      "is 'demo' (simulated payments) but APP_ENV is production: set APP_ENV=development for a demo environment",
    );
  }
  const ttlRaw = (env[AppEnv.ORDER_TTL_MINUTES] ?? '30').trim();
  const ttl = Number(ttlRaw);
  // At least 6 minutes: WeChat refuses to close an order in its first 5, and expiry closes it.
  if (!/^\d+$/.test(ttlRaw) || ttl < 6 || ttl > 24 * 60) {
    throw new AppConfigError(AppEnv.ORDER_TTL_MINUTES, 'must be a whole number of minutes from 6 to 1440');
  }
  const autoRaw = (env[AppEnv.TESTER_AUTO_REFUND] ?? 'false').trim();
  if (autoRaw !== 'true' && autoRaw !== 'false')
    throw new AppConfigError(AppEnv.TESTER_AUTO_REFUND, "must be 'true' or 'false'");
  const priceRaw = (env[AppEnv.TESTER_PRICE_FEN] ?? '').trim() || String(TESTER_PRICE_FEN_DEFAULT);
  const testerPriceFen = Number(priceRaw);
  if (!/^\d{1,6}$/.test(priceRaw) || testerPriceFen < 1 || testerPriceFen > TESTER_PRICE_FEN_MAX) {
    throw new AppConfigError(
      AppEnv.TESTER_PRICE_FEN,
      `must be a whole number of fen from 1 to ${TESTER_PRICE_FEN_MAX} (default ${TESTER_PRICE_FEN_DEFAULT})`,
    );
  }
  return {
    appEnv: appEnvRaw,
    provider,
    orderTtlMs: ttl * 60_000,
    testerOpenids: openidList(env, AppEnv.TESTER_OPENIDS),
    adminOpenids: openidList(env, AppEnv.ADMIN_OPENIDS),
    testerAutoRefund: autoRaw === 'true',
    testerPriceFen,
  };
}
