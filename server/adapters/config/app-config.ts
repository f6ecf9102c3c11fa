// The shop's own settings (besides the payment adapter's), from the function's environment variables. A missing or
// malformed setting fails fast at cold start, naming the setting; values are never echoed.
import type {
  MessageKind,
  MessageSettings,
  MessageTemplate,
  ValueKind,
} from '../../application/subscribe-messages';
import { MESSAGE_KINDS, VALUE_KINDS, templateProblem } from '../../application/subscribe-messages';
import type { WebCheckoutLimits } from '../../application/core.deps';

/** Setting names. */
export const AppEnv = {
  APP_ENV: 'APP_ENV',
  PAY_PROVIDER: 'PAY_PROVIDER',
  ORDER_TTL_MINUTES: 'ORDER_TTL_MINUTES',
  TESTER_OPENIDS: 'SHOP_TESTER_OPENIDS',
  ADMIN_OPENIDS: 'SHOP_ADMIN_OPENIDS',
  TESTER_AUTO_REFUND: 'SHOP_TESTER_AUTO_REFUND',
  TESTER_PRICE_FEN: 'SHOP_TESTER_PRICE_FEN',
  EXPRESS_COMPANIES: 'SHOP_EXPRESS_COMPANIES',
  AUTO_COMPLETE_DAYS: 'SHOP_AUTO_COMPLETE_DAYS',
  PICKUP_POINT: 'SHOP_PICKUP_POINT',
  MSG_TEMPLATE_PAID: 'SHOP_MSG_TEMPLATE_PAID',
  MSG_TEMPLATE_SHIPPED: 'SHOP_MSG_TEMPLATE_SHIPPED',
  MSG_TEMPLATE_REFUND: 'SHOP_MSG_TEMPLATE_REFUND',
  MSG_SHOP_NAME: 'SHOP_MSG_SHOP_NAME',
  REFUND_REQUEST_DAYS: 'SHOP_REFUND_REQUEST_DAYS',
  REFUND_REASONS: 'SHOP_REFUND_REASONS',
  H5_MAX_UNPAID: 'SHOP_H5_MAX_UNPAID',
  H5_MAX_UNPAID_PER_IP: 'SHOP_H5_MAX_UNPAID_PER_IP',
} as const;

/**
 * Unpaid web checkout (H5) orders allowed at once, shop-wide and per payer IP, when the settings are unset: on in
 * production, off in development (the local stack's requests all come from one address). docs/adr/0012.
 */
export const H5_MAX_UNPAID_DEFAULT = { production: 200, development: null } as const;
export const H5_MAX_UNPAID_PER_IP_DEFAULT = { production: 5, development: null } as const;
/** The largest shop-wide limit; the per-address one counts within one page of orders (100). */
const H5_LIMIT_MAX = 100_000;
const H5_LIMIT_PER_IP_MAX = 100;

/** Days a shopper may ask for a refund after having the goods, when SHOP_REFUND_REQUEST_DAYS is unset (docs/adr/0011). */
export const REFUND_REQUEST_DAYS_DEFAULT = 7;
/** The reasons a shopper picks from when SHOP_REFUND_REASONS is unset (the reason's code is its text). */
export const DEFAULT_REFUND_REASONS = '不想要了,拍错/多拍,商品与描述不符,质量问题,少件/漏发,其他';

/** The carriers staff may ship with when SHOP_EXPRESS_COMPANIES is unset (WeChat's delivery ids). */
export const DEFAULT_EXPRESS_COMPANIES =
  'SF:顺丰速运,ZTO:中通快递,YTO:圆通速递,YD:韵达速递,STO:申通快递,JD:京东物流,EMS:中国邮政EMS';
export const AUTO_COMPLETE_DAYS_DEFAULT = 10;

/** The setting of each subscription message's template (unset: that message is off). */
export const MSG_TEMPLATE_SETTING: Readonly<Record<MessageKind, string>> = {
  paid: AppEnv.MSG_TEMPLATE_PAID,
  shipped: AppEnv.MSG_TEMPLATE_SHIPPED,
  refund: AppEnv.MSG_TEMPLATE_REFUND,
};

/** What the shop calls itself in a message's shopName field when SHOP_MSG_SHOP_NAME is unset. */
export const DEFAULT_MSG_SHOP_NAME = '本店';

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
  /** Carriers staff may ship with, in the configured order. */
  expressCompanies: { id: string; name: string }[];
  /** Days after the goods left when an order completes by itself (1–30). */
  autoCompleteDays: number;
  /** The pickup point, or null when pickup is not offered. */
  pickupPoint: { name: string; address: string; hours: string } | null;
  /** Subscription messages: the configured templates (docs/adr/0010). */
  messages: MessageSettings;
  /** Days after the shopper had the goods within which a refund may be asked for (1–90). */
  refundRequestDays: number;
  /** The refund reasons shoppers pick from, in order (each 1–20 characters, distinct, 1–20 of them). */
  refundReasons: string[];
  /**
   * How many unpaid web checkout (H5) orders may exist at once, shop-wide and per payer IP; null = no limit. A web
   * checkout has no identity, so this is what bounds the stock a script can hold and the WeChat calls it causes.
   */
  webCheckout: WebCheckoutLimits;
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

const EXPRESS_ID = /^[A-Za-z0-9_]{1,32}$/;

function expressCompanies(env: EnvLike): { id: string; name: string }[] {
  const raw = (env[AppEnv.EXPRESS_COMPANIES] ?? '').trim() || DEFAULT_EXPRESS_COMPANIES;
  const problem = AppEnv.EXPRESS_COMPANIES;
  const out: { id: string; name: string }[] = [];
  for (const entry of raw.split(',')) {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at).trim();
    const name = entry.slice(at + 1).trim();
    if (
      at < 0 ||
      !EXPRESS_ID.test(id) ||
      name === '' ||
      [...name].length > 30 ||
      out.some((c) => c.id === id)
    ) {
      throw new AppConfigError(
        problem,
        'must be a comma-separated list of distinct "DELIVERYID:名称" (delivery id 1–32 of [A-Za-z0-9_], name 1–30 characters)',
      );
    }
    out.push({ id, name });
  }
  return out;
}

function pickupPoint(env: EnvLike): AppConfig['pickupPoint'] {
  const raw = (env[AppEnv.PICKUP_POINT] ?? '').trim();
  if (raw === '') return null;
  const parts = raw.split('|').map((s) => s.trim());
  const [name = '', address = '', hours = ''] = parts;
  if (parts.length !== 3 || [name, address, hours].some((p) => p === '' || [...p].length > 60)) {
    throw new AppConfigError(
      AppEnv.PICKUP_POINT,
      'must be "name|address|hours" (each 1–60 characters), or unset for no pickup',
    );
  }
  return { name, address, hours };
}

function refundReasons(env: EnvLike): string[] {
  const raw = (env[AppEnv.REFUND_REASONS] ?? '').trim() || DEFAULT_REFUND_REASONS;
  const reasons = raw.split(',').map((r) => r.trim());
  if (
    reasons.length > 20 ||
    reasons.some((r) => r === '' || [...r].length > 20) ||
    new Set(reasons).size !== reasons.length
  ) {
    throw new AppConfigError(
      AppEnv.REFUND_REASONS,
      'must be a comma-separated list of 1–20 distinct reasons, each 1–20 characters',
    );
  }
  return reasons;
}

function refundRequestDays(env: EnvLike): number {
  const raw = (env[AppEnv.REFUND_REQUEST_DAYS] ?? '').trim() || String(REFUND_REQUEST_DAYS_DEFAULT);
  const days = Number(raw);
  if (!/^\d{1,2}$/.test(raw) || days < 1 || days > 90) {
    throw new AppConfigError(
      AppEnv.REFUND_REQUEST_DAYS,
      `must be a whole number of days from 1 to 90 (default ${REFUND_REQUEST_DAYS_DEFAULT})`,
    );
  }
  return days;
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
  const daysRaw = (env[AppEnv.AUTO_COMPLETE_DAYS] ?? '').trim() || String(AUTO_COMPLETE_DAYS_DEFAULT);
  const autoCompleteDays = Number(daysRaw);
  if (!/^\d{1,2}$/.test(daysRaw) || autoCompleteDays < 1 || autoCompleteDays > 30) {
    throw new AppConfigError(
      AppEnv.AUTO_COMPLETE_DAYS,
      `must be a whole number of days from 1 to 30 (default ${AUTO_COMPLETE_DAYS_DEFAULT})`,
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
    expressCompanies: expressCompanies(env),
    autoCompleteDays,
    pickupPoint: pickupPoint(env),
    messages: parseMessageSettings(env),
    refundRequestDays: refundRequestDays(env),
    refundReasons: refundReasons(env),
    webCheckout: {
      maxUnpaid: h5Limit(env, AppEnv.H5_MAX_UNPAID, H5_MAX_UNPAID_DEFAULT[appEnvRaw], H5_LIMIT_MAX),
      maxUnpaidPerIp: h5Limit(
        env,
        AppEnv.H5_MAX_UNPAID_PER_IP,
        H5_MAX_UNPAID_PER_IP_DEFAULT[appEnvRaw],
        H5_LIMIT_PER_IP_MAX,
      ),
    },
  };
}

/** A web checkout limit: a whole number from 1 to `max`, or `off`; unset = the environment's default. */
function h5Limit(env: EnvLike, name: string, fallback: number | null, max: number): number | null {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return fallback;
  if (raw === 'off') return null;
  const v = Number(raw);
  if (!/^\d{1,6}$/.test(raw) || v < 1 || v > max)
    throw new AppConfigError(
      name,
      `must be a whole number of orders from 1 to ${max}, or 'off' (default ${fallback ?? 'off'} here)`,
    );
  return v;
}

const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * One template setting: "templateId|key=valueKind,key=valueKind…", e.g.
 * "tmpl-paid|character_string1=orderNo,amount2=paidAmount,time3=paidTime,thing4=goods". Each key's prefix is its
 * WeChat field type, and the value must fit it (subscribe-messages.ts VALUE_FIELD_TYPES).
 */
export function parseTemplateSetting(name: string, kind: MessageKind, raw: string): MessageTemplate {
  const bar = raw.indexOf('|');
  if (bar < 0) throw new AppConfigError(name, 'must be "templateId|field=value,…"');
  const templateId = raw.slice(0, bar).trim();
  if (!TEMPLATE_ID.test(templateId))
    throw new AppConfigError(name, 'has a template id that is not letters, digits, - and _');
  const fields: { key: string; value: ValueKind }[] = [];
  for (const part of raw.slice(bar + 1).split(',')) {
    const [key, value, extra] = part.split('=').map((x) => x.trim());
    if (!key || !value || extra !== undefined)
      throw new AppConfigError(name, `has "${part.trim()}" where field=value was expected`);
    if (!(VALUE_KINDS as readonly string[]).includes(value)) {
      throw new AppConfigError(name, `field ${key}: "${value}" is not one of ${VALUE_KINDS.join(', ')}`);
    }
    fields.push({ key, value: value as ValueKind });
  }
  const t: MessageTemplate = { templateId, fields };
  const problem = templateProblem(kind, t);
  if (problem !== null) throw new AppConfigError(name, problem);
  return t;
}

/** The subscription message settings alone (the `msg` function reads no payment settings). */
export function parseMessageSettings(env: EnvLike): MessageSettings {
  const templates: Partial<Record<MessageKind, MessageTemplate>> = {};
  const ids = new Set<string>();
  for (const kind of MESSAGE_KINDS) {
    const name = MSG_TEMPLATE_SETTING[kind];
    const raw = (env[name] ?? '').trim();
    if (raw === '') continue;
    const t = parseTemplateSetting(name, kind, raw);
    if (ids.has(t.templateId)) throw new AppConfigError(name, 'uses a template id another message uses');
    ids.add(t.templateId);
    templates[kind] = t;
  }
  const shopName = (env[AppEnv.MSG_SHOP_NAME] ?? '').trim() || DEFAULT_MSG_SHOP_NAME;
  if ([...shopName].length > 20)
    throw new AppConfigError(AppEnv.MSG_SHOP_NAME, 'must be at most 20 characters');
  return { templates, shopName };
}
