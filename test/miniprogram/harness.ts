// Page-test harness: loads the REAL pages of miniprogram/ (their WXML compiled by the official wcc, their TS through
// babel) with the REAL TDesign components (root-absolute /miniprogram_npm paths, ESM transformed by babel-jest) into
// miniprogram-simulate, in jsdom. The `wx` the pages see is simulate's API mocks plus controllable parts:
//   - wx.request does real HTTP (node:http) — to the local stack's gateway and simulator in the tests — with optional
//     injected network failures;
//   - wx.cloud.callFunction goes to the same gateway (the cloud build's path, run against the local stack);
//   - wx.requestPayment answers what a test queues (the one part of WeChat no local stack can be), and so do
//     wx.chooseAddress (the address book, behind WeChat's privacy consent), wx.openBusinessView (WeChat's
//     confirm-receipt view, whose result comes back through the real app.ts App.onShow) and
//     wx.requestSubscribeMessage (the subscription popup);
//   - storage, modals, toasts, navigation and the account info are in memory and recorded.
// Use with `@jest-environment ./test/miniprogram/jsdom-node-env.js` (jsdom plus the Node globals the stack needs).
//
//   const h = createHarness();
//   h.configure({ transport: 'local', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
//   const page = await h.load('pages/goods/index');
//   await page.waitForText('云南小粒咖啡豆');
//   await page.tap('.goods-card');            // plain WXML elements
//   await page.tap('#add >>> .t-button');      // inside a TDesign component
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { TEST_ADDRESS } from '../../devcloud/test-support/delivery';

/** The mini program root (DevTools' miniprogramRoot). */
export const MP_ROOT = resolve(__dirname, '..', '..', 'miniprogram');
const NPM_ROOT = join(MP_ROOT, 'miniprogram_npm');
const TDESIGN_ROOT = join(NPM_ROOT, 'tdesign-miniprogram');

/** The part of miniprogram-simulate used here (its own typings drag the wx world into the Node tsconfig). */
interface Simulate {
  load(componentPath: string, options: { rootPath: string; compilerOptions: object }): string;
  render(id: string): any;
  sleep(ms: number): Promise<void>;
}
// simulate injects its wx mocks and built-in tags at require time; the pages' modules are loaded through it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulate = require('miniprogram-simulate') as Simulate;

// simulate registers WeChat's built-in tags without properties, so an <image>'s src went nowhere a test could read it.
// `image` is registered again with the properties the pages bind: `.data.src` of a queried image is what it shows.
// The screens' render patches (scripts/screens/render-kit.ts) may have registered a fuller one first: that one stays.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jComponent = require('j-component') as { register(definition: object): string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jUtils = require('j-component/src/tool/utils') as {
  cache(id: string): { definition?: { properties?: Record<string, unknown> } } | undefined;
};
if (jUtils.cache('image')?.definition?.properties?.src === undefined) {
  jComponent.register({
    id: 'image',
    tagName: 'wx-image',
    template: '<slot/>',
    properties: {
      src: { type: String, value: '' },
      mode: { type: String, value: 'scaleToFill' },
      lazyLoad: { type: Boolean, value: false },
    },
  });
}

// simulate registers a component by running its JS (`require`, then deleting it from require.cache so the next load
// runs it again). Under jest the deletion does not re-run a module: a second page using t-button would find no
// definition and render a bare <t-button>. So the first run's Component() options are kept per file and handed to
// Component() again on later loads. Relations are copied first: simulate rewrites their keys in place.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulateUtils = require('miniprogram-simulate/src/utils') as { runJs: (filePath: string) => void };
const definitionsByFile = new Map<string, Json>();

function copyDefinition(options: Json): Json {
  const relations = options.relations as Record<string, Json> | undefined;
  if (!relations) return { ...options };
  return {
    ...options,
    relations: Object.fromEntries(Object.entries(relations).map(([k, v]) => [k, { ...v }])),
  };
}

simulateUtils.runJs = (filePath: string) => {
  const g = global as any;
  const known = definitionsByFile.get(filePath);
  if (known) {
    g.Component(copyDefinition(known));
    return;
  }
  const register = g.Component as (options: Json) => void;
  g.Component = (options: Json) => {
    definitionsByFile.set(filePath, copyDefinition(options));
    register(options);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(filePath);
  } finally {
    g.Component = register;
  }
};

type Json = Record<string, any>;

// ---------------------------------------------------------------------------------------------------------------
// Which WXML/WXS files wcc compiles: the app's own, plus only the TDesign components reachable from them (the
// compiler compiles everything it is given; the full TDesign tree is slow and irrelevant — facts file "Page tests").

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (p !== NPM_ROOT) walk(p, out);
    } else out.push(p);
  }
  return out;
}

function resolveUsing(fromJson: string, value: string): string {
  return value.startsWith('/') ? join(MP_ROOT, value) : resolve(dirname(fromJson), value);
}

/** Component folders of TDesign reachable from the app's own usingComponents. */
function reachableComponentDirs(ownJsonFiles: string[]): Set<string> {
  const dirs = new Set<string>();
  const queue = [...ownJsonFiles];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const json = queue.pop()!;
    if (seen.has(json)) continue;
    seen.add(json);
    let parsed: Json;
    try {
      parsed = JSON.parse(readFileSync(json, 'utf8')) as Json;
    } catch {
      continue;
    }
    for (const v of Object.values((parsed.usingComponents ?? {}) as Record<string, string>)) {
      const target = resolveUsing(json, v);
      if (target.startsWith(NPM_ROOT)) dirs.add(dirname(target));
      if (existsSync(`${target}.json`)) queue.push(`${target}.json`);
    }
  }
  return dirs;
}

let compileLists: { wxmlList: string[]; wxsList: string[] } | undefined;

function compileListsFor(): { wxmlList: string[]; wxsList: string[] } {
  if (compileLists) return compileLists;
  if (!existsSync(TDESIGN_ROOT)) {
    throw new Error(
      'miniprogram/miniprogram_npm/tdesign-miniprogram is missing: run `npm run build` (jest global setup does)',
    );
  }
  const own = walk(MP_ROOT);
  const ownJson = own.filter((f) => f.endsWith('.json'));
  const dirs = reachableComponentDirs(ownJson);
  dirs.add(join(TDESIGN_ROOT, 'common'));
  const npmFiles = [...dirs].flatMap((d) => walk(d));
  const all = [...own, ...npmFiles];
  const rel = (f: string) => relative(MP_ROOT, f).split('\\').join(posix.sep);
  compileLists = {
    wxmlList: all.filter((f) => f.endsWith('.wxml')).map(rel),
    wxsList: all.filter((f) => f.endsWith('.wxs')).map(rel),
  };
  return compileLists;
}

// ---------------------------------------------------------------------------------------------------------------
// Page() as Component(): TDesign's own test setup does the same. Lifecycle: attach → onLoad(query) → onShow → ready.

interface PendingLoad {
  route: string;
  query: Record<string, string>;
  onSetData: (bytes: number, keys: string[]) => void;
}
let pendingLoad: PendingLoad | null = null;
const livePages: any[] = [];

function pageToComponent(options: Json): Json {
  const data = (options.data ?? {}) as Json;
  const methods: Json = {};
  const fields: Json = {};
  for (const [k, v] of Object.entries(options)) {
    if (k === 'data') continue;
    if (typeof v === 'function') methods[k] = v;
    else fields[k] = v;
  }
  return {
    data,
    methods,
    lifetimes: {
      created(this: any) {
        const load = pendingLoad;
        for (const [k, v] of Object.entries(fields)) this[k] = structuredClone(v);
        this.route = load?.route ?? '';
        this.options = load?.query ?? {};
        const original = this.setData.bind(this);
        this.setData = (patch: Json, cb?: () => void) => {
          // As on WeChat, a page's setData after it was unloaded changes nothing (an answer arriving late must not
          // render into a torn-down page: after the test file, into a jsdom that is gone).
          if (this.__unloaded) return undefined;
          load?.onSetData(JSON.stringify(patch).length, Object.keys(patch));
          return original(patch, cb);
        };
      },
      attached(this: any) {
        livePages.push(this);
        this.onLoad?.(this.options);
        this.onShow?.();
      },
      ready(this: any) {
        this.onReady?.();
      },
      detached(this: any) {
        const i = livePages.indexOf(this);
        if (i >= 0) livePages.splice(i, 1);
        this.onUnload?.();
        this.__unloaded = true;
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The controllable wx.

/** A recorded wx.request. */
export interface RequestRecord {
  url: string;
  method: string;
  data: unknown;
  header: Record<string, string>;
  /** HTTP status, or null when the harness failed it. */
  statusCode: number | null;
  failed: string | null;
}

/** An injected network failure: `before` = never sent; `after` = sent and done by the server, answer lost. */
export interface NetworkFault {
  when: 'before' | 'after';
  /** Fails only requests whose URL contains this (and whose body action equals `action`, if given). */
  urlContains?: string;
  action?: string;
  times: number;
}

/** What wx.requestPayment answers next: a plain result, or a function run first (e.g. pay at the simulator). */
export type PaymentAnswer =
  | 'ok'
  | 'fail cancel'
  | { fail: string }
  | ((params: Json) => Promise<'ok' | 'fail cancel' | { fail: string }>);

/** The shared test address, as wx.chooseAddress answers it (devcloud/test-support/delivery.ts). */
export { TEST_ADDRESS };

/** Where the confirm page remembers the last chosen address (miniprogram/services/address.ts). */
export const LAST_ADDRESS_KEY = 'checkout.lastAddress';

/** What wx.chooseAddress answers next: an address (WeChat's field names) or a failure errMsg. */
export type AddressAnswer = Json | 'fail cancel' | { fail: string };

/** What WeChat's confirm-receipt view answers next (through App.onShow), or a failure to open it. */
export type BusinessViewAnswer =
  | 'success'
  | 'fail'
  | 'cancel'
  | { openFail: string }
  /** Run first (e.g. confirm at the local 发货信息管理, as the payer's tap in WeChat's view would), then answer. */
  | ((extraData: Json) => Promise<'success' | 'fail' | 'cancel'>);

export interface WxControl {
  requests: RequestRecord[];
  faults: NetworkFault[];
  /** Answers for wx.requestPayment, used in order; none left → the test fails loudly. */
  paymentAnswers: PaymentAnswer[];
  /** Parameters wx.requestPayment was called with. */
  paymentCalls: Json[];
  /** Answers for wx.chooseAddress, used in order; none left → "fail cancel". */
  addressAnswers: AddressAnswer[];
  addressCalls: number;
  /**
   * WeChat wants privacy consent before the next chooseAddress: the page's wx.onNeedPrivacyAuthorization listener
   * is called and the pick waits for its answer (disagree → the privacy failure).
   */
  privacyConsentNeeded: boolean;
  /** The listener the page registered with wx.onNeedPrivacyAuthorization. */
  privacyListener:
    ((resolve: (r: { event: 'agree' | 'disagree'; buttonId?: string }) => void) => void) | null;
  /** Answers of WeChat's confirm-receipt view, used in order; none left → cancel. */
  businessViewAnswers: BusinessViewAnswer[];
  /** Parameters wx.openBusinessView was called with. */
  businessViewCalls: Json[];
  /**
   * What the subscription popup answers next (every id gets the choice), used in order; none left → it fails
   * ("requestSubscribeMessage:fail", as when the shopper closed it) and the page must carry on.
   */
  subscribeAnswers: Array<'accept' | 'reject' | { fail: string }>;
  /** The tmplIds wx.requestSubscribeMessage was called with, and whether a payment callback was running. */
  subscribeCalls: Array<{ tmplIds: string[]; inPaymentCallback: boolean }>;
  /** Answers for wx.showModal (confirm = true); none left → confirm. */
  modalAnswers: boolean[];
  modals: Array<{ title?: string; content?: string }>;
  toasts: string[];
  /** Texts put on the clipboard with wx.setClipboardData. */
  clipboard: string[];
  navigations: Array<{
    kind: 'navigateTo' | 'redirectTo' | 'switchTab' | 'navigateBack' | 'reLaunch';
    url: string;
  }>;
  storage: Map<string, unknown>;
  envVersion: 'develop' | 'trial' | 'release';
  /** OPENID the fake WeChat attaches to wx.cloud.callFunction (cloud transport). */
  cloudOpenid: string;
  pullDownStops: number;
}

function realRequest(
  opts: { url: string; method: string; data: unknown; header: Record<string, string> },
  done: (statusCode: number, data: unknown, raw: string) => void,
  fail: (errMsg: string) => void,
): void {
  const body = opts.data === undefined ? '' : JSON.stringify(opts.data);
  const req = httpRequest(
    opts.url,
    {
      method: opts.method,
      agent: false,
      headers: {
        ...opts.header,
        ...(body !== '' ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
      },
    },
    (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = raw;
        try {
          parsed = raw === '' ? '' : JSON.parse(raw);
        } catch {
          parsed = raw;
        }
        done(res.statusCode ?? 0, parsed, raw);
      });
      res.on('error', (e) => fail(`request:fail ${e.message}`));
    },
  );
  req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => fail(`request:fail ${e.message}`));
  req.end(body);
}

function takeFault(ctl: WxControl, url: string, data: unknown): NetworkFault | null {
  const action = (data as { action?: unknown } | undefined)?.action;
  for (const f of ctl.faults) {
    if (f.times <= 0) continue;
    if (f.urlContains !== undefined && !url.includes(f.urlContains)) continue;
    if (f.action !== undefined && f.action !== action) continue;
    f.times -= 1;
    return f;
  }
  return null;
}

function buildWx(ctl: WxControl, gateway: () => string, appShow: (options: Json) => void): Json {
  let inPaymentCallback = false;
  const base = (global as any).wx as Json;
  const ok = (name: string) => ({ errMsg: `${name}:ok` });
  const asyncApi =
    (name: string, fn: (o: Json) => Json | void) =>
    (o: Json = {}): Promise<Json> => {
      const res = { ...ok(name), ...(fn(o) ?? {}) };
      return new Promise((r) =>
        setTimeout(() => {
          o.success?.(res);
          o.complete?.(res);
          r(res);
        }, 0),
      );
    };
  const wx: Json = {
    ...base,
    getStorageSync: (k: string) => (ctl.storage.has(k) ? structuredClone(ctl.storage.get(k)) : ''),
    setStorageSync: (k: string, v: unknown) => void ctl.storage.set(k, structuredClone(v)),
    removeStorageSync: (k: string) => void ctl.storage.delete(k),
    getAccountInfoSync: () => ({
      miniProgram: { appId: 'wx-test-appid', envVersion: ctl.envVersion, version: '' },
      plugin: {},
    }),
    showToast: asyncApi('showToast', (o) => void ctl.toasts.push(String(o.title))),
    showModal: asyncApi('showModal', (o) => {
      ctl.modals.push({ title: o.title, content: o.content });
      const confirm = ctl.modalAnswers.length > 0 ? ctl.modalAnswers.shift()! : true;
      return { confirm, cancel: !confirm };
    }),
    setClipboardData: asyncApi('setClipboardData', (o) => void ctl.clipboard.push(String(o.data))),
    showLoading: asyncApi('showLoading', () => undefined),
    hideLoading: asyncApi('hideLoading', () => undefined),
    stopPullDownRefresh: asyncApi('stopPullDownRefresh', () => void (ctl.pullDownStops += 1)),
    navigateTo: asyncApi('navigateTo', (o) => void ctl.navigations.push({ kind: 'navigateTo', url: o.url })),
    redirectTo: asyncApi('redirectTo', (o) => void ctl.navigations.push({ kind: 'redirectTo', url: o.url })),
    switchTab: asyncApi('switchTab', (o) => void ctl.navigations.push({ kind: 'switchTab', url: o.url })),
    reLaunch: asyncApi('reLaunch', (o) => void ctl.navigations.push({ kind: 'reLaunch', url: o.url })),
    navigateBack: asyncApi(
      'navigateBack',
      () => void ctl.navigations.push({ kind: 'navigateBack', url: '' }),
    ),
    request: (o: Json) => {
      const record: RequestRecord = {
        url: o.url,
        method: o.method ?? 'GET',
        data: o.data,
        header: o.header ?? {},
        statusCode: null,
        failed: null,
      };
      ctl.requests.push(record);
      const fault = takeFault(ctl, o.url, o.data);
      const failWith = (errMsg: string) => {
        record.failed = errMsg;
        setTimeout(() => {
          o.fail?.({ errMsg });
          o.complete?.({ errMsg });
        }, 0);
      };
      if (fault?.when === 'before') {
        failWith('request:fail timeout');
        return { abort: () => undefined };
      }
      realRequest(
        { url: o.url, method: record.method, data: o.data, header: record.header },
        (statusCode, data) => {
          record.statusCode = statusCode;
          if (fault?.when === 'after') {
            failWith('request:fail timeout');
            return;
          }
          const res = { errMsg: 'request:ok', statusCode, data, header: {} };
          o.success?.(res);
          o.complete?.(res);
        },
        failWith,
      );
      return { abort: () => undefined };
    },
    cloud: {
      init: () => undefined,
      // The cloud build's transport, pointed at the local stack's gateway: the same functions, the same envelope.
      callFunction: (o: Json): Promise<Json> =>
        new Promise((resolveCall, rejectCall) => {
          const url = `${gateway()}/fn/${String(o.name)}`;
          const record: RequestRecord = {
            url,
            method: 'POST',
            data: o.data,
            header: { 'x-wx-openid': ctl.cloudOpenid },
            statusCode: null,
            failed: null,
          };
          ctl.requests.push(record);
          const fault = takeFault(ctl, url, o.data);
          const failWith = (errMsg: string) => {
            record.failed = errMsg;
            rejectCall(
              Object.assign(new Error(errMsg), { errCode: -1, errMsg: `cloud.callFunction:fail ${errMsg}` }),
            );
          };
          if (fault?.when === 'before') {
            failWith('timeout');
            return;
          }
          realRequest(
            {
              url,
              method: 'POST',
              data: o.data ?? {},
              header: { 'content-type': 'application/json', ...record.header },
            },
            (statusCode, data) => {
              record.statusCode = statusCode;
              if (fault?.when === 'after') failWith('timeout');
              else if (statusCode >= 500) failWith(`function failed (${statusCode})`);
              else resolveCall({ errMsg: 'cloud.callFunction:ok', result: data });
            },
            failWith,
          );
        }),
    },
    onNeedPrivacyAuthorization: (listener: WxControl['privacyListener']) => {
      ctl.privacyListener = listener;
    },
    chooseAddress: (o: Json) => {
      ctl.addressCalls += 1;
      const finish = (a: AddressAnswer) => {
        if (typeof a === 'string' || 'fail' in a) {
          const errMsg = a === 'fail cancel' ? 'chooseAddress:fail cancel' : (a as { fail: string }).fail;
          o.fail?.({ errMsg });
          o.complete?.({ errMsg });
          return;
        }
        const res = { errMsg: 'chooseAddress:ok', nationalCode: '', ...a };
        o.success?.(res);
        o.complete?.(res);
      };
      const answer = () => setTimeout(() => finish(ctl.addressAnswers.shift() ?? 'fail cancel'), 0);
      if (!ctl.privacyConsentNeeded) {
        answer();
        return;
      }
      const listener = ctl.privacyListener;
      if (!listener) {
        setTimeout(() => finish({ fail: 'chooseAddress:fail privacy permission is not authorized' }), 0);
        return;
      }
      listener((r) => {
        if (r.event === 'agree') {
          ctl.privacyConsentNeeded = false;
          answer();
        } else
          setTimeout(() => finish({ fail: 'chooseAddress:fail privacy permission is not authorized' }), 0);
      });
    },
    openBusinessView: (o: Json) => {
      const params = { businessType: o.businessType, extraData: o.extraData };
      ctl.businessViewCalls.push(params);
      const a = ctl.businessViewAnswers.shift() ?? 'cancel';
      const back = (status: string) =>
        // The shopper comes back from WeChat's view: the app shows again with the view's result.
        setTimeout(
          () =>
            appShow({
              path: '',
              scene: 1038,
              referrerInfo: { appId: 'wx1183b055aeec94d1', extraData: { status } },
            }),
          0,
        );
      setTimeout(() => {
        if (typeof a === 'object') {
          o.fail?.({ errMsg: a.openFail });
          o.complete?.({ errMsg: a.openFail });
          return;
        }
        o.success?.({ errMsg: 'openBusinessView:ok' });
        o.complete?.({ errMsg: 'openBusinessView:ok' });
        if (typeof a === 'function') a(o.extraData as Json).then(back, () => back('fail'));
        else back(a);
      }, 0);
    },
    requestSubscribeMessage: (o: Json) => {
      ctl.subscribeCalls.push({ tmplIds: [...(o.tmplIds as string[])], inPaymentCallback });
      const answer = ctl.subscribeAnswers.shift() ?? { fail: 'requestSubscribeMessage:fail cancel' };
      const finish = () => {
        if (typeof answer === 'object') {
          o.fail?.({ errMsg: answer.fail, errCode: 20004 });
          o.complete?.({ errMsg: answer.fail });
          return;
        }
        const res: Json = { errMsg: 'requestSubscribeMessage:ok' };
        for (const id of o.tmplIds as string[]) res[id] = answer;
        o.success?.(res);
        o.complete?.(res);
      };
      if (typeof answer === 'object') {
        setTimeout(finish, 0);
        return;
      }
      // WeChat learns the choice from its own popup: the local cloud's subscribeMessage.send is told the same.
      const results = Object.fromEntries((o.tmplIds as string[]).map((id) => [id, answer]));
      realRequest(
        {
          url: `${gateway()}/_devcloud/subscribe/prompt`,
          method: 'POST',
          data: { results },
          header: { 'content-type': 'application/json', 'x-wx-openid': ctl.cloudOpenid },
        },
        () => finish(),
        () => finish(),
      );
    },
    requestPayment: (o: Json) => {
      const params = { ...o };
      delete params.success;
      delete params.fail;
      delete params.complete;
      ctl.paymentCalls.push(params);
      const answer = ctl.paymentAnswers.shift();
      const finish = (a: 'ok' | 'fail cancel' | { fail: string }) => {
        // WeChat allows the subscription popup only while this callback runs (or on a tap).
        inPaymentCallback = true;
        try {
          if (a === 'ok') {
            const res = { errMsg: 'requestPayment:ok' };
            o.success?.(res);
            o.complete?.(res);
          } else {
            const errMsg = a === 'fail cancel' ? 'requestPayment:fail cancel' : a.fail;
            o.fail?.({ errMsg });
            o.complete?.({ errMsg });
          }
        } finally {
          inPaymentCallback = false;
        }
      };
      if (answer === undefined) {
        finish({ fail: 'requestPayment:fail the test queued no answer' });
        return;
      }
      if (typeof answer === 'function') {
        answer(params).then(finish, (e: unknown) => finish({ fail: `requestPayment:fail ${String(e)}` }));
        return;
      }
      setTimeout(() => finish(answer), 0);
    },
  };
  return wx;
}

// ---------------------------------------------------------------------------------------------------------------
// Driving a loaded page.

/** A loaded page. */
export interface PageDriver {
  /** The j-component root (selectors, dom). */
  comp: any;
  /** The page instance (`this` of the page's methods). */
  page: any;
  readonly data: Json;
  /** Text of the rendered page, whitespace collapsed. */
  text(): string;
  /** Whether a selector matches (`a >>> b` crosses into components). */
  has(selector: string): boolean;
  /** Taps the element (fails when nothing matches), then lets the page run. */
  tap(selector: string): Promise<void>;
  /** Makes a custom component emit an event (its own triggerEvent: e.g. TDesign `change` with a detail). */
  fire(selector: string, event: string, detail?: unknown): Promise<void>;
  /** Taps the `index`-th match of the selector. */
  tapNth(selector: string, index: number): Promise<void>;
  /** Waits until the page text contains `text` (default 5 s). */
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Waits until `probe(data)` is truthy. */
  waitFor(what: string, probe: (data: Json) => unknown, timeoutMs?: number): Promise<void>;
  /** onShow (the shopper came back to the page). */
  show(): Promise<void>;
  hide(): void;
  unload(): void;
  /** Largest single setData payload of this page so far, as JSON characters, and its keys. */
  largestSetData(): { bytes: number; keys: string[] };
}

/** What a line-thumb component (found by `selector`) shows: its picture, the placeholder, or nothing there at all. */
export function thumbOf(
  page: PageDriver,
  selector: string,
): { src: string; mode: string; lazyLoad: boolean } | 'placeholder' | null {
  if (!page.has(selector)) return null;
  const img = page.comp.querySelector(`${selector} >>> .thumb__img`);
  if (img) {
    const d = img.data as Json;
    return { src: d.src as string, mode: d.mode as string, lazyLoad: d.lazyLoad as boolean };
  }
  return page.has(`${selector} >>> .thumb__empty`) ? 'placeholder' : null;
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

async function settle(ms = 10): Promise<void> {
  await simulate.sleep(ms);
}

/** Largest setData payload seen by any page of this test file (for the report). */
export const setDataStats = { largest: 0, largestRoute: '', largestKeys: [] as string[] };

/**
 * No page may send more than this in one setData (JSON characters): view models, path keys for appended items,
 * changed fields only. Checked after a test file made with `createHarness({ checkSetDataBudget: true })`;
 * MP_SETDATA_REPORT=1 prints the largest.
 */
export const SETDATA_BUDGET = 8 * 1024;

export interface HarnessConfig {
  transport: 'local' | 'cloud';
  gatewayUrl: string;
  simulatorUrl?: string;
  /** Local transport: the shopper the gateway sees (stored as the developer's chosen identity). */
  openid?: string;
}

export interface Harness {
  wx: Json;
  ctl: WxControl;
  /** Points the pages at a stack and picks the transport; shrinks the pages' waits. */
  configure(c: HarnessConfig): void;
  /** The app shows again (App.onShow with these options: e.g. back from another app or WeChat view). */
  appShow(options: Json): void;
  /** Acts as another shopper (local: the dev identity; cloud: the OPENID WeChat attaches). */
  actAs(openid: string): void;
  /** Loads a page by route (`pages/cart/index`) or URL (`/order/detail/index?outTradeNo=…`). */
  load(routeOrUrl: string, query?: Record<string, string>): Promise<PageDriver>;
  /** Loads the page of the last recorded navigation. */
  follow(): Promise<PageDriver>;
  /** Unloads every page still loaded (call in afterEach: stops their timers). */
  unloadAll(): void;
  /**
   * Waits until every request a page sent has its answer (or its failure) and the callbacks have run. Registered as
   * the file's first afterAll, so a fire-and-forget call (msg.subscribed after the subscription popup) ends before the
   * stack stops — not after the tests, when its failure would log into a finished test file.
   */
  settle(timeoutMs?: number): Promise<void>;
}

/** Options of {@link createHarness}. */
export interface HarnessOptions {
  /** Fail the test file when a page sent more than SETDATA_BUDGET in one setData (call at the file's top level). */
  checkSetDataBudget?: boolean;
  /** Register {@link Harness.settle} as an afterAll (default true; false when the harness is made inside a test). */
  settleAfterAll?: boolean;
}

/** Installs the globals (wx, Page, getApp, getCurrentPages) and answers the harness. One per test file. */
export function createHarness(options: HarnessOptions = {}): Harness {
  const ctl: WxControl = {
    requests: [],
    faults: [],
    paymentAnswers: [],
    paymentCalls: [],
    subscribeAnswers: [],
    subscribeCalls: [],
    modalAnswers: [],
    modals: [],
    toasts: [],
    clipboard: [],
    navigations: [],
    storage: new Map(),
    envVersion: 'develop',
    cloudOpenid: 'o-dev-shopper',
    pullDownStops: 0,
    addressAnswers: [],
    addressCalls: 0,
    privacyConsentNeeded: false,
    privacyListener: null,
    businessViewAnswers: [],
    businessViewCalls: [],
  };
  let gatewayUrl = 'http://127.0.0.1:1';
  let appOptions: Json | null = null;
  const appShow = (options: Json) => {
    appOptions ??= loadApp();
    appOptions.onShow?.(options);
  };
  const wx = buildWx(ctl, () => gatewayUrl, appShow);
  const g = global as any;
  g.wx = wx;
  /** The real app.ts's App() options (its onShow routes WeChat's view results), loaded on first use. */
  function loadApp(): Json {
    let captured: Json = {};
    const before = g.App;
    g.App = (o: Json) => (captured = o);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(join(MP_ROOT, 'app'));
    } finally {
      g.App = before;
    }
    return captured;
  }
  g.Page = (options: Json) => g.Component(pageToComponent(options));
  g.getApp = () => ({ globalData: {} });
  g.getCurrentPages = () => [...livePages];

  const drivers: PageDriver[] = [];
  const loadedIds = new Map<string, string>();
  if (options.checkSetDataBudget) {
    afterAll(() => {
      if (process.env.MP_SETDATA_REPORT)
        console.log(
          `largest setData: ${setDataStats.largest} chars on ${setDataStats.largestRoute} (${setDataStats.largestKeys.join(', ')})`,
        );
      expect(setDataStats.largest).toBeLessThanOrEqual(SETDATA_BUDGET);
    });
  }

  // Loaded through jest's registry like the pages' own imports, so tests and pages share these modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { clientEnv } = require(join(MP_ROOT, 'config', 'env')) as { clientEnv: Json };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { timing } = require(join(MP_ROOT, 'utils', 'timing')) as { timing: Json };

  const harness: Harness = {
    wx,
    ctl,
    configure(c) {
      gatewayUrl = c.gatewayUrl;
      clientEnv.transport = c.transport;
      clientEnv.localGatewayUrl = c.gatewayUrl;
      clientEnv.localSimulatorUrl = c.simulatorUrl ?? 'http://127.0.0.1:1';
      if (c.openid) harness.actAs(c.openid);
      // Real pages against a real stack, but without real minutes of waiting.
      timing.retryDelaysMs = [20, 40, 80];
      timing.confirmDelaysMs = [100, 150, 250, 400];
      timing.watchDelaysMs = [150, 300, 600];
      timing.tickMs = 50;
      timing.counterPollMs = 100;
      timing.cancelHoldMs = 300;
      timing.latePayDelayMs = 300;
    },
    appShow,
    actAs(openid) {
      ctl.cloudOpenid = openid;
      ctl.storage.set('dev.openid', openid);
    },
    async load(routeOrUrl, query = {}) {
      const [pathPart, search] = routeOrUrl.replace(/^\//, '').split('?');
      const route = pathPart!;
      const q: Record<string, string> = { ...query };
      for (const pair of (search ?? '').split('&').filter(Boolean)) {
        const [k, v] = pair.split('=');
        q[decodeURIComponent(k!)] = decodeURIComponent(v ?? '');
      }
      const stats = { bytes: 0, keys: [] as string[] };
      pendingLoad = {
        route,
        query: q,
        onSetData: (bytes, keys) => {
          if (bytes > stats.bytes) {
            stats.bytes = bytes;
            stats.keys = keys;
          }
          if (bytes > setDataStats.largest) {
            setDataStats.largest = bytes;
            setDataStats.largestRoute = route;
            setDataStats.largestKeys = keys;
          }
        },
      };
      // One registration per route and test file (a page's definition does not change between loads).
      let id = loadedIds.get(route);
      if (id === undefined) {
        id = simulate.load(join(MP_ROOT, route), { rootPath: MP_ROOT, compilerOptions: compileListsFor() });
        loadedIds.set(route, id);
      }
      const comp: any = simulate.render(id);
      const doc = (globalThis as any).document;
      const parent = doc.createElement('parent-wrapper');
      doc.body.appendChild(parent);
      comp.attach(parent);
      pendingLoad = null;
      await settle();
      const driver: PageDriver = {
        comp,
        page: comp.instance,
        get data() {
          return comp.instance.data as Json;
        },
        text: () => collapse(comp.dom.textContent ?? ''),
        has: (selector) => Boolean(comp.querySelector(selector)),
        async tap(selector) {
          const el = comp.querySelector(selector);
          if (!el) throw new Error(`${route}: nothing matches ${selector}`);
          el.dispatchEvent('tap');
          await settle();
        },
        async fire(selector, event, detail) {
          const el = comp.querySelector(selector);
          if (!el) throw new Error(`${route}: nothing matches ${selector}`);
          // TDesign components are virtual hosts (no DOM node of their own): emit as the component itself does.
          el.instance.triggerEvent(event, detail);
          await settle();
        },
        async tapNth(selector, index) {
          const all = comp.querySelectorAll(selector) as any[];
          const el = all[index];
          if (!el) throw new Error(`${route}: ${selector} has ${all.length} matches, not #${index}`);
          el.dispatchEvent('tap');
          await settle();
        },
        async waitForText(text, timeoutMs = 5000) {
          const deadline = Date.now() + timeoutMs;
          const hit = () =>
            typeof text === 'string' ? driver.text().includes(text) : text.test(driver.text());
          while (!hit()) {
            if (Date.now() > deadline)
              throw new Error(
                `${route}: text ${String(text)} did not appear; the page shows: ${driver.text()}`,
              );
            await settle(20);
          }
        },
        async waitFor(what, probe, timeoutMs = 5000) {
          const deadline = Date.now() + timeoutMs;
          while (!probe(driver.data)) {
            if (Date.now() > deadline)
              throw new Error(`${route}: timed out waiting for ${what}; the page shows: ${driver.text()}`);
            await settle(20);
          }
        },
        async show() {
          comp.instance.onShow?.();
          comp.triggerPageLifeTime('show');
          await settle();
        },
        hide() {
          comp.instance.onHide?.();
          comp.triggerPageLifeTime('hide');
        },
        unload() {
          const i = drivers.indexOf(driver);
          if (i < 0) return;
          drivers.splice(i, 1);
          comp.detach();
        },
        largestSetData: () => ({ ...stats }),
      };
      drivers.push(driver);
      return driver;
    },
    follow() {
      const last = ctl.navigations[ctl.navigations.length - 1];
      if (!last || !last.url) throw new Error('no navigation to follow');
      return harness.load(last.url);
    },
    unloadAll() {
      for (const d of [...drivers]) d.unload();
    },
    async settle(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      const open = () => ctl.requests.some((r) => r.statusCode === null && r.failed === null);
      while (open() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      // The answers' callbacks (and what they chain) run on the next turns.
      await new Promise((r) => setTimeout(r, 20));
    },
  };
  if (options.settleAfterAll !== false) afterAll(() => harness.settle());
  return harness;
}
