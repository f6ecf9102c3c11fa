// The local cloud's cloud.openapi.subscribeMessage.send, with WeChat's rules (docs/adr/0010). It keeps its own accept
// counts, fed by the mini program's prompt (the local preview's simulated prompt reports the shopper's choice to the
// gateway's loopback-only route, as WeChat learns it from the real popup): a send without an accept → 43101; a template
// it does not know → 40037; a field that is not the template's or whose value breaks its type → 47003 naming it; a
// page that is not one of miniprogram/app.json's → 41030; a malformed openid → 40003. Every send (delivered or
// refused) goes to a durable outbox the console shows and tests read. The field rules are written here on their own,
// from WeChat's documentation — not imported from server/ — so they really test the server's formatter.
import { existsSync, readFileSync } from 'node:fs';
import { JsonFileStore } from '../cloudpay/json-store';
import { cloudCallError, withPermission } from '../sdk/cloud-call';

/** What the outbox keeps of one send. */
export interface OutboxEntry {
  seq: number;
  atMs: number;
  /** The function that sent it. */
  functionName: string;
  touser: string;
  templateId: string;
  page: string;
  data: Record<string, { value: string }>;
  miniprogramState: string;
  lang: string;
  /** 'delivered', or 'refused' with WeChat's errCode and errMsg. */
  state: 'delivered' | 'refused';
  errCode: number;
  errMsg: string;
}

/** Options of {@link LocalSubscribeMessages.open}. */
export interface LocalSubscribeMessagesOptions {
  /** Folder of its durable file. */
  dir: string;
  /** The mini program's pages (app.json pages and subpackage pages, no leading slash). */
  pages: ReadonlySet<string>;
  /** The templates this mini program "added in the admin console": id → its keys (read at each use). */
  templates: () => ReadonlyMap<string, readonly string[]>;
  now: () => number;
  log?: (line: string) => void;
}

/** The pages of a mini program's app.json (main package and subpackages). */
export function appJsonPages(appJsonFile: string): Set<string> {
  if (!existsSync(appJsonFile)) return new Set();
  const app = JSON.parse(readFileSync(appJsonFile, 'utf8')) as {
    pages?: string[];
    subPackages?: Array<{ root: string; pages: string[] }>;
    subpackages?: Array<{ root: string; pages: string[] }>;
  };
  const out = new Set(app.pages ?? []);
  for (const sub of app.subPackages ?? app.subpackages ?? []) {
    const root = sub.root.replace(/\/+$/, '');
    for (const p of sub.pages) out.add(`${root}/${p}`);
  }
  return out;
}

/**
 * The templates named by SHOP_MSG_TEMPLATE_* style settings ("id|key=value,…"): id → keys. This stands for the
 * templates the shop picked in the admin console; a malformed setting is skipped (the functions refuse it themselves).
 */
export function templatesFromSettings(values: ReadonlyArray<string | undefined>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of values) {
    if (raw === undefined || !raw.includes('|')) continue;
    const [id, rest] = [raw.slice(0, raw.indexOf('|')).trim(), raw.slice(raw.indexOf('|') + 1)];
    const keys = rest
      .split(',')
      .map((p) => p.split('=')[0]?.trim() ?? '')
      .filter((k) => k !== '');
    if (id !== '') out.set(id, keys);
  }
  return out;
}

const HAN_ONLY = /^\p{Script=Han}+$/u;
const chars = (s: string) => Array.from(s).length;

/** Why `value` is not a valid value of a field of WeChat type `type` (the key's letters), or null. */
export function wechatFieldProblem(type: string, value: string): string | null {
  if (value.length === 0) return 'empty';
  switch (type) {
    case 'thing':
      return chars(value) <= 20 ? null : 'thing: more than 20 characters';
    case 'number':
      return /^\d{1,32}(\.\d+)?$/.test(value) && chars(value) <= 32 ? null : 'number: 32 digits at most';
    case 'letter':
      return /^[a-zA-Z]{1,32}$/.test(value) ? null : 'letter: 32 letters at most';
    case 'symbol':
      return /^[\p{P}\p{S}]{1,5}$/u.test(value) ? null : 'symbol: 5 symbols at most';
    case 'character_string':
      return /^[!-~]{1,32}$/.test(value) ? null : 'character_string: 32 letters, digits or symbols at most';
    case 'amount': {
      const m = /^([¥￥$€£])?([0-9]+)(\.[0-9]+)?(元)?$/.exec(value);
      if (!m || (m[1] === undefined && m[4] === undefined)) return 'amount: a currency sign and a number';
      return m[2]!.length <= 10 ? null : 'amount: 10 digits at most';
    }
    case 'phrase':
      return HAN_ONLY.test(value) && chars(value) <= 5 ? null : 'phrase: 5 Chinese characters at most';
    case 'name':
      if (HAN_ONLY.test(value)) return chars(value) <= 10 ? null : 'name: 10 Chinese characters at most';
      return /^[a-zA-Z ]{1,20}$/.test(value) ? null : 'name: 10 Chinese characters or 20 letters';
    case 'time':
    case 'date': {
      const point =
        type === 'time'
          ? String.raw`(\d{4}年\d{1,2}月\d{1,2}日( \d{1,2}:\d{2}(:\d{2})?)?|\d{1,2}:\d{2}(:\d{2})?)`
          : String.raw`\d{4}年\d{1,2}月\d{1,2}日( \d{1,2}:\d{2}(:\d{2})?)?`;
      return new RegExp(`^${point}(~${point})?$`).test(value) ? null : `${type}: a Chinese date or time`;
    }
    case 'phone_number':
      return /^[+\d-]{1,17}$/.test(value) ? null : 'phone_number: 17 digits or symbols at most';
    case 'car_number':
      return chars(value) <= 8 && /^[\p{Script=Han}A-Z0-9][A-Z0-9]*\p{Script=Han}?$/u.test(value)
        ? null
        : 'car_number: 8 characters at most';
    default:
      return `unknown field type ${type}`;
  }
}

const OPENID = /^[0-9A-Za-z_-]{6,64}$/;
const STATES = new Set(['developer', 'trial', 'formal']);

function sendError(errCode: number, message: string): Error & { errCode: number; errMsg: string } {
  return cloudCallError('openapi.subscribeMessage.send', errCode, message);
}

/** The stand-in: accept counts, the send with WeChat's rules, and the outbox. */
export class LocalSubscribeMessages {
  private seq = 0;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: JsonFileStore,
    private readonly o: LocalSubscribeMessagesOptions,
  ) {}

  static async open(o: LocalSubscribeMessagesOptions): Promise<LocalSubscribeMessages> {
    const store = await JsonFileStore.open(o.dir, 'subscribe-messages.json');
    const self = new LocalSubscribeMessages(store, o);
    self.seq = ((await store.get('seq')) as number | undefined) ?? 0;
    return self;
  }

  // One change at a time (a read-modify-write of a count must not interleave).
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The shopper answered the prompt: each result starting with "accept" of a known template is one more send. */
  prompt(openid: string, results: Readonly<Record<string, unknown>>): Promise<Record<string, number>> {
    return this.serial(async () => {
      const counts: Record<string, number> = {};
      for (const [id, result] of Object.entries(results)) {
        if (!this.o.templates().has(id)) continue;
        const key = `accepts/${openid}/${id}`;
        const now = ((await this.store.get(key)) as number | undefined) ?? 0;
        const next = typeof result === 'string' && result.startsWith('accept') ? now + 1 : now;
        if (next !== now) await this.store.put(key, next);
        counts[id] = next;
      }
      return counts;
    });
  }

  /** Accepts left for a shopper and template (tests, console). */
  async accepts(openid: string, templateId: string): Promise<number> {
    return ((await this.store.get(`accepts/${openid}/${templateId}`)) as number | undefined) ?? 0;
  }

  /** The outbox, newest first. */
  async outbox(limit = 100): Promise<OutboxEntry[]> {
    const all = (await this.store.list('outbox/')).map(([, v]) => v as OutboxEntry);
    return all.sort((a, b) => b.seq - a.seq).slice(0, limit);
  }

  /** cloud.openapi.subscribeMessage as one function sees it (only with "subscribeMessage.send" in its config.json). */
  sdkFacade(functionName: string, allowed: ReadonlySet<string>): { send(input: unknown): Promise<unknown> } {
    return Object.freeze({
      send: withPermission(
        allowed,
        'subscribeMessage.send',
        'openapi.subscribeMessage.send',
        (input: unknown) => this.send(functionName, input),
      ),
    });
  }

  private send(functionName: string, input: unknown): Promise<unknown> {
    return this.serial(async () => {
      const p = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
      const str = (k: string) => (typeof p[k] === 'string' ? p[k] : '');
      const data = (typeof p.data === 'object' && p.data !== null ? p.data : {}) as Record<string, unknown>;
      const entry: Omit<OutboxEntry, 'state' | 'errCode' | 'errMsg' | 'seq'> = {
        atMs: this.o.now(),
        functionName,
        touser: str('touser'),
        templateId: str('templateId'),
        page: str('page'),
        data: Object.fromEntries(
          Object.entries(data).map(([k, v]) => {
            const value = (v as { value?: unknown } | null)?.value;
            return [k, { value: typeof value === 'string' ? value : JSON.stringify(value ?? null) }];
          }),
        ),
        miniprogramState: str('miniprogramState') || 'formal',
        lang: str('lang') || 'zh_CN',
      };
      const refusal = await this.check(entry, data);
      this.seq += 1;
      const seq = this.seq;
      await this.store.put('seq', seq);
      const stored: OutboxEntry = refusal
        ? { ...entry, seq, state: 'refused', errCode: refusal.errCode, errMsg: refusal.errMsg }
        : { ...entry, seq, state: 'delivered', errCode: 0, errMsg: 'openapi.subscribeMessage.send:ok' };
      await this.store.put(`outbox/${String(seq).padStart(10, '0')}`, stored);
      this.o.log?.(
        `subscribeMessage.send ${stored.templateId} → ${stored.touser}: ${stored.state}${refusal ? ` ${refusal.errCode}` : ''}`,
      );
      if (refusal) throw refusal;
      return { errCode: 0, errMsg: 'openapi.subscribeMessage.send:ok' };
    });
  }

  // WeChat's order: the caller's arguments, then the template and its data, the page, and last the user's accept.
  private async check(
    e: Omit<OutboxEntry, 'state' | 'errCode' | 'errMsg' | 'seq'>,
    rawData: Record<string, unknown>,
  ): Promise<(Error & { errCode: number; errMsg: string }) | null> {
    if (!OPENID.test(e.touser)) return sendError(40003, 'invalid openid');
    const keys = this.o.templates().get(e.templateId);
    if (keys === undefined) return sendError(40037, 'invalid template_id');
    if (!STATES.has(e.miniprogramState)) return sendError(47003, 'argument invalid! miniprogram_state');
    for (const [key, v] of Object.entries(rawData)) {
      const value = (v as { value?: unknown } | null)?.value;
      if (!keys.includes(key))
        return sendError(47003, `argument invalid! data.${key} is not in the template`);
      if (typeof value !== 'string')
        return sendError(47003, `argument invalid! data.${key}.value must be a string`);
      const problem = wechatFieldProblem(key.replace(/\d+$/, ''), value);
      if (problem !== null)
        return sendError(47003, `argument invalid! data.${key}.value invalid (${problem})`);
    }
    const path = e.page.split('?')[0]!.replace(/^\/+/, '');
    if (e.page !== '' && !this.o.pages.has(path)) return sendError(41030, 'invalid page');
    const key = `accepts/${e.touser}/${e.templateId}`;
    const left = ((await this.store.get(key)) as number | undefined) ?? 0;
    if (left <= 0) return sendError(43101, 'user refuse to accept the msg');
    await this.store.put(key, left - 1);
    return null;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
