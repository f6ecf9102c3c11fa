// Turns a page rendered by miniprogram-simulate (jsdom, the page tests' render) into ONE self-contained HTML file that
// headless Chromium shoots like a phone screen. Runs inside the jest jsdom environment, in the same module registry
// as the page harness. What it has to make up for (MINIPROGRAM-FACTS.md, "Screenshots of pages without DevTools"):
//  - simulate turns 1rpx into 1px: patched to ×0.5 (a 375-px-wide phone is 750rpx);
//  - with virtualHost, j-component drops `class="…"` written on a TDesign tag: handed over as the `class` external
//    class, as WeChat does;
//  - built-in <image>/<input>/<textarea> are empty shells: registered with their real properties (image fires `load`,
//    or t-image spins forever) and exported as <img> / text;
//  - WeChat's own default styles for built-in tags, app.wxss (never read by simulate; `page` → body), page CSS under
//    every TDesign prefix (apply-shared), TDesign icons as CSS masks from @iconify-json/tdesign (the icon font is on a
//    CDN), "PingFang SC" → WenQuanYi Zen Hei;
//  - status bar, navigation bar and tab bar are drawn here (they are native in WeChat).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, posix, resolve } from 'node:path';
import { PICTURE_TYPES } from '../../devcloud/gateway/picture-types';

/** px per rpx on a 375-px-wide phone. */
export const PX_PER_RPX = 0.5;
export const PHONE_WIDTH = 375;
export const PHONE_HEIGHT = 667;
const STATUS_BAR = 20;
const NAV_BAR = 44;
const TAB_BAR = 50;

type Json = Record<string, any>;

function fromSimulate(id: string): any {
  const simulateDir = dirname(require.resolve('miniprogram-simulate/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(id, { paths: [simulateDir] }));
}

function rpxToPx(css: string): string {
  return css.replace(/(-?\d*\.?\d+)rpx/gi, (_m, n: string) => `${+(Number(n) * PX_PER_RPX).toFixed(3)}px`);
}

let installed = false;

/**
 * Patches simulate/j-component for faithful screens. Call before the first page loads (styles are converted when a
 * page is rendered). Harmless for behaviour: only sizes, classes and built-in tag shells change.
 */
export function installRenderPatches(): void {
  if (installed) return;
  installed = true;
  // Loading simulate registers the built-in tags (view …) that the shells below are made of.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('miniprogram-simulate');
  const simUtils = fromSimulate('miniprogram-simulate/src/utils');
  const jDir = dirname(
    require.resolve('j-component/package.json', {
      paths: [dirname(require.resolve('miniprogram-simulate/package.json'))],
    }),
  );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jUtils = require(join(jDir, 'src', 'tool', 'utils'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const render = require(join(jDir, 'src', 'render', 'render'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jComponent = require(jDir);
  simUtils.transformRpx = rpxToPx;
  jUtils.transformRpx = rpxToPx;

  // A virtual host has no element of its own: WeChat hands `class` to the component as its `class` external class
  // (TDesign puts it on its root). j-component drops it. New subtrees (renderExparserNode) and attribute updates
  // (updateAttrs) are both reached through the module's exports, so wrapping those covers every node.
  const handOver = (node: any, attrs: Array<{ name: string; value: unknown }> | undefined) => {
    if (
      node?.__virtual !== true ||
      typeof node.hasExternalClass !== 'function' ||
      !node.hasExternalClass('class')
    )
      return;
    const cls = (attrs ?? []).find((a) => a.name === 'class');
    if (cls) node.setExternalClass('class', typeof cls.value === 'string' ? cls.value : '');
  };
  const renderNode = render.renderExparserNode as (vt: any, host: unknown, shadowRoot: unknown) => unknown;
  render.renderExparserNode = function patchedRenderExparserNode(
    vt: any,
    host: unknown,
    shadowRoot: unknown,
  ) {
    const node = renderNode(vt, host, shadowRoot);
    const visit = (v: any) => {
      handOver(v?.exparserNode, v?.attrs);
      for (const child of v?.children ?? []) visit(child);
    };
    visit(vt);
    return node;
  };
  const updateAttrs = render.updateAttrs as (
    node: any,
    attrs: Array<{ name: string; value: unknown }>,
  ) => void;
  render.updateAttrs = function patchedUpdateAttrs(
    node: any,
    attrs: Array<{ name: string; value: unknown }>,
  ) {
    updateAttrs(node, attrs);
    handOver(node, attrs);
  };

  const any = { type: null, value: '' };
  jComponent.register({
    id: 'image',
    tagName: 'wx-image',
    template: '<view data-shot-src="{{src}}" data-shot-mode="{{mode}}"></view>',
    properties: {
      src: { type: String, value: '' },
      mode: { type: String, value: 'scaleToFill' },
      lazyLoad: { type: Boolean, value: false },
      webp: { type: Boolean, value: false },
      showMenuByLongpress: { type: Boolean, value: false },
      fadeIn: { type: Boolean, value: false },
    },
    attached(this: any) {
      // The picture "arrives": t-image swaps its loading state for the image on this event.
      setTimeout(() => this.triggerEvent('load', { width: 300, height: 300 }), 0);
    },
  });
  const field = {
    value: any,
    placeholder: { type: String, value: '' },
    type: { type: String, value: 'text' },
    password: { type: Boolean, value: false },
    disabled: { type: Boolean, value: false },
    maxlength: { type: Number, value: 140 },
    placeholderStyle: { type: String, value: '' },
    placeholderClass: { type: String, value: '' },
    focus: { type: Boolean, value: false },
    autoHeight: { type: Boolean, value: false },
  };
  const fieldTemplate =
    "<view data-shot-field=\"{{value !== '' && value !== null && value !== undefined ? 'value' : 'placeholder'}}\">{{value !== '' && value !== null && value !== undefined ? value : placeholder}}</view>";
  jComponent.register({ id: 'input', tagName: 'wx-input', template: fieldTemplate, properties: field });
  jComponent.register({ id: 'textarea', tagName: 'wx-textarea', template: fieldTemplate, properties: field });
}

// ---------------------------------------------------------------------------------------------------------------
// CSS

/**
 * WeChat's own defaults for built-in tags (base library without "style": "v2", as app.json has it), as far as a
 * static screen needs them. A picture is WeChat's background layer: it adds no intrinsic size, so an <image> sized
 * only in percentages of a shrink-to-fit parent is 0×0 here as on a phone. <button>'s ::after is the hairline border TDesign's outline buttons recolour.
 */
const WECHAT_DEFAULTS = `
wx-view,wx-scroll-view,wx-swiper,wx-swiper-item,wx-navigator,wx-form,wx-cover-view,wx-movable-area,wx-rich-text{display:block}
wx-scroll-view{width:100%;overflow:hidden}
wx-text,wx-label{display:inline}
wx-text{white-space:pre-wrap}
wx-image{display:inline-block;overflow:hidden;position:relative;width:320px;height:240px}
wx-image>img{position:absolute;left:0;top:0;width:100%;height:100%;display:block}
wx-input{display:block;height:1.4rem;line-height:1.4rem;min-height:1.4rem;overflow:hidden;white-space:nowrap;text-overflow:clip}
wx-textarea{display:block;width:300px;height:150px;white-space:pre-wrap}
[data-shot-field=placeholder]{color:#bbb}
wx-button::after{content:" ";width:200%;height:200%;position:absolute;top:0;left:0;border:1px solid rgba(0,0,0,.2);transform:scale(.5);transform-origin:0 0;box-sizing:border-box;border-radius:10px;pointer-events:none}
wx-button{position:relative;display:block;margin-left:auto;margin-right:auto;padding-left:14px;padding-right:14px;box-sizing:border-box;font-size:18px;text-align:center;text-decoration:none;line-height:2.55555556;border-radius:5px;overflow:hidden;color:#000;background-color:#f8f8f8}
wx-swiper{height:150px}
wx-icon{display:inline-block}
*{box-sizing:border-box;-webkit-tap-highlight-color:transparent}
*,*::before,*::after{transition:none!important;animation-duration:0s!important;animation-delay:0s!important}
`;

const FONT_ALIAS = `
@font-face{font-family:"PingFang SC";src:local("WenQuanYi Zen Hei");}
@font-face{font-family:"Helvetica Neue";src:local("WenQuanYi Zen Hei");}
html,body{margin:0;padding:0;font-family:"PingFang SC","WenQuanYi Zen Hei",sans-serif;-webkit-font-smoothing:antialiased}
`;

/** Reads a WXSS file with its @imports inlined (relative or mini-program-absolute paths). */
function readWxss(file: string, mpRoot: string, seen = new Set<string>()): string {
  if (seen.has(file) || !existsSync(file)) return '';
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  return text.replace(/@import\s+(?:"([^"]+)"|'([^']+)')\s*;?/g, (_m, a?: string, b?: string) => {
    const target = (a ?? b ?? '').trim();
    const abs = target.startsWith('/') ? join(mpRoot, target) : resolve(dirname(file), target);
    return readWxss(abs.endsWith('.wxss') ? abs : `${abs}.wxss`, mpRoot, seen);
  });
}

/**
 * Page or app CSS as WeChat applies it with TDesign's apply-shared isolation: every class selector matches under the
 * page's prefix and under each TDesign prefix in the DOM; `page` is the body.
 */
function sharedCss(css: string, prefixes: readonly string[]): string {
  const postcss = fromSimulate('postcss');
  const root = postcss.parse(rpxToPx(css));
  root.walkRules((rule: any) => {
    // Keyframe steps are not selectors.
    if (rule.parent?.type === 'atrule' && /keyframes$/i.test(rule.parent.name)) return;
    rule.selectors = rule.selectors.map((sel: string) =>
      sel
        .replace(/(^|[\s>+~(,])page(?![-\w])/g, '$1body')
        .replace(/\.(-?[_a-zA-Z][-_a-zA-Z0-9]*)/g, (_m, cls: string) =>
          prefixes.length === 1
            ? `.${prefixes[0]}--${cls}`
            : `:is(${prefixes.map((p) => `.${p}--${cls}`).join(',')})`,
        ),
    );
  });
  return root.toString();
}

let iconSet:
  | {
      icons: Record<string, { body: string }>;
      aliases?: Record<string, { parent: string }>;
      width?: number;
      height?: number;
    }
  | undefined;

function iconSvg(name: string): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  iconSet ??= require('@iconify-json/tdesign/icons.json');
  const set = iconSet!;
  const real = set.icons[name] ?? (set.aliases?.[name] ? set.icons[set.aliases[name].parent] : undefined);
  if (!real) return undefined;
  const w = set.width ?? 24;
  const h = set.height ?? 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${real.body}</svg>`;
}

/** TDesign icons in the DOM (class `<prefix>--t-icon-<name>`) drawn as masks in currentColor. */
function iconCss(classTokens: ReadonlySet<string>): string {
  const rules: string[] = [];
  for (const token of classTokens) {
    const m = /^[-\w]+?--t-icon-([a-z0-9-]+)$/.exec(token);
    if (!m || m[1] === 'base') continue;
    const svg = iconSvg(m[1]!);
    if (!svg) continue;
    const url = `url("data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}")`;
    rules.push(
      `.${token}::before{content:""!important;display:block;width:1em;height:1em;background-color:currentColor;` +
        `-webkit-mask:${url} center/contain no-repeat;mask:${url} center/contain no-repeat}`,
    );
  }
  return rules.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Pictures

function fileDataUri(file: string): string | undefined {
  const mime = PICTURE_TYPES[extname(file).toLowerCase()];
  if (!mime || !existsSync(file)) return undefined;
  return `data:${mime};base64,${readFileSync(file).toString('base64')}`;
}

/**
 * A picture URL as a data URI the offline browser can show: mini-program-absolute paths from the package; the local
 * stack's `/static/<path>` from `staticDir`; data URIs as they are. Anything else (a CDN, cloud://) has no offline
 * copy: undefined, and the frame shows an empty picture box, as a phone without network would.
 */
export function pictureDataUri(src: string, mpRoot: string, staticDir?: string): string | undefined {
  if (src.startsWith('data:')) return src;
  const stat = /^https?:\/\/[^/]+\/static\/(.+)$/.exec(src);
  if (stat && staticDir) return fileDataUri(join(staticDir, ...stat[1]!.split('/')));
  if (src.startsWith('/')) return fileDataUri(join(mpRoot, src));
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Export

export interface ExportOptions {
  /** The mini program root (DevTools' miniprogramRoot). */
  mpRoot: string;
  /** The page's route, e.g. "pages/goods/index". */
  route: string;
  /** Where the local stack's /static/ pictures live (data/images). */
  staticDir?: string;
  /** A line under the picture name in the HTML title, for people reading the HTML. */
  caption?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function readJsonFile(file: string): Json {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch {
    return {};
  }
}

const OBJECT_FIT: Record<string, string> = {
  scaleToFill: 'fill',
  aspectFit: 'contain',
  aspectFill: 'cover',
  widthFix: 'cover',
  heightFix: 'cover',
};

/** The status bar, navigation bar (title from the page's json) and, for tab pages, the tab bar. */
function chrome(mpRoot: string, route: string): { top: string; bottom: string; css: string; tab: boolean } {
  const app = readJsonFile(join(mpRoot, 'app.json'));
  const page = readJsonFile(join(mpRoot, `${route}.json`));
  const win = { ...(app['window'] as Json | undefined), ...page };
  const title = String(win['navigationBarTitleText'] ?? '');
  const navBg = String(win['navigationBarBackgroundColor'] ?? '#ffffff');
  const navFg = win['navigationBarTextStyle'] === 'white' ? '#ffffff' : '#000000';
  const bg = String(win['backgroundColor'] ?? '#ffffff');
  const tabBar = app['tabBar'] as Json | undefined;
  const list = (tabBar?.['list'] as Json[] | undefined) ?? [];
  const tabIndex = list.findIndex((t) => t['pagePath'] === route);
  const tab = tabIndex >= 0;
  const top =
    `<div class="shot-status" style="background:${navBg};color:${navFg}"><span>9:41</span>` +
    '<span class="shot-status__right"><i class="shot-bars"></i><i class="shot-wifi"></i><i class="shot-battery"></i></span></div>' +
    `<div class="shot-nav" style="background:${navBg};color:${navFg}">` +
    (tab ? '' : '<span class="shot-nav__back"></span>') +
    `<span class="shot-nav__title">${escapeHtml(title)}</span>` +
    '<span class="shot-capsule"><i>•••</i><b></b><i class="shot-capsule__close"></i></span></div>';
  let bottom = '';
  if (tab) {
    const color = String(tabBar?.['color'] ?? '#7a7e83');
    const selected = String(tabBar?.['selectedColor'] ?? '#3cc51f');
    const tabBg = String(tabBar?.['backgroundColor'] ?? '#ffffff');
    const items = list
      .map((t, i) => {
        const on = i === tabIndex;
        const iconPath = String((on ? t['selectedIconPath'] : t['iconPath']) ?? '');
        const icon = iconPath ? fileDataUri(join(mpRoot, iconPath)) : undefined;
        return (
          `<div class="shot-tab" style="color:${on ? selected : color}">` +
          (icon ? `<img src="${icon}" alt="">` : '') +
          `<span>${escapeHtml(String(t['text'] ?? ''))}</span></div>`
        );
      })
      .join('');
    bottom = `<div class="shot-tabbar" style="background:${tabBg}">${items}</div>`;
  }
  const content = PHONE_HEIGHT - STATUS_BAR - NAV_BAR - (tab ? TAB_BAR : 0);
  const css = `
body{background:${bg};width:${PHONE_WIDTH}px}
.shot-phone{width:${PHONE_WIDTH}px;min-height:${PHONE_HEIGHT}px;display:flex;flex-direction:column;background:${bg}}
.shot-status{height:${STATUS_BAR}px;display:flex;justify-content:space-between;align-items:center;padding:0 10px 0 14px;font:600 12px/1 "PingFang SC","WenQuanYi Zen Hei",sans-serif}
.shot-status__right{display:flex;gap:4px;align-items:center}
.shot-bars{width:15px;height:9px;background:linear-gradient(90deg,currentColor 0 3px,transparent 3px 4px,currentColor 4px 7px,transparent 7px 8px,currentColor 8px 11px,transparent 11px 12px,currentColor 12px 15px);clip-path:polygon(0 100%,100% 0,100% 100%)}
.shot-wifi{width:12px;height:9px;background:currentColor;clip-path:polygon(50% 100%,0 25%,15% 5%,50% 0,85% 5%,100% 25%)}
.shot-battery{width:22px;height:10px;border:1.5px solid currentColor;border-radius:3px;box-shadow:inset 0 0 0 1.5px ${navBg},inset 16px 0 0 ${navFg === '#000000' ? '#000' : '#fff'}}
.shot-nav{height:${NAV_BAR}px;position:relative;display:flex;align-items:center;justify-content:center;font:500 17px/1 "PingFang SC","WenQuanYi Zen Hei",sans-serif}
.shot-nav__back{position:absolute;left:16px;top:15px;width:11px;height:11px;border-left:2px solid currentColor;border-bottom:2px solid currentColor;transform:rotate(45deg)}
.shot-nav__title{max-width:180px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.shot-capsule{position:absolute;right:7px;top:6px;width:87px;height:32px;border-radius:16px;border:0.5px solid rgba(0,0,0,.12);background:rgba(255,255,255,.6);display:flex;align-items:center;justify-content:space-around;font:700 13px/1 sans-serif;color:#000}
.shot-capsule b{width:0.5px;height:18px;background:rgba(0,0,0,.15)}
.shot-capsule__close{width:16px;height:16px;border-radius:50%;border:2px solid #000;box-shadow:inset 0 0 0 3px #fff,inset 0 0 0 8px #000}
.shot-page{position:relative;transform:translateZ(0);flex:1 0 auto;min-height:${content}px;overflow:hidden}
.shot-tabbar{height:${TAB_BAR}px;display:flex;border-top:0.5px solid rgba(0,0,0,.15)}
.shot-tab{flex:1;display:flex;flex-direction:column;align-items:center;justify-content:center;font:10px/1.2 "PingFang SC","WenQuanYi Zen Hei",sans-serif;gap:3px}
.shot-tab img{width:24px;height:24px}
`;
  return { top, bottom, css, tab };
}

function classTokens(root: any): Set<string> {
  const tokens = new Set<string>();
  for (const el of [root, ...Array.from(root.querySelectorAll('[class]') as ArrayLike<any>)]) {
    for (const t of Array.from(el.classList as Iterable<string>)) tokens.add(t);
  }
  return tokens;
}

/** Tag names of the app's own components (their CSS is isolated; page CSS does not reach them). */
function ownComponentTags(mpRoot: string, route: string): Set<string> {
  const tags = new Set<string>();
  const seen = new Set<string>();
  const visit = (jsonFile: string) => {
    if (seen.has(jsonFile)) return;
    seen.add(jsonFile);
    const using = (readJsonFile(jsonFile)['usingComponents'] ?? {}) as Record<string, string>;
    for (const [tag, path] of Object.entries(using)) {
      const abs = path.startsWith('/') ? join(mpRoot, path) : resolve(dirname(jsonFile), path);
      if (
        abs.includes(`${posix.sep}miniprogram_npm${posix.sep}`) ||
        (!path.startsWith('/') && !path.startsWith('.'))
      )
        continue;
      tags.add(tag);
      visit(`${abs}.json`);
    }
  };
  visit(join(mpRoot, 'app.json'));
  visit(join(mpRoot, `${route}.json`));
  return tags;
}

/**
 * The page `comp` (a j-component root from simulate.render) as a standalone HTML document: DOM as rendered, the
 * page's own compiled styles, app.wxss and the page CSS shared into TDesign, icons, WeChat defaults and phone chrome.
 */
export function exportPageHtml(comp: any, o: ExportOptions): string {
  // jsdom objects (the root tsconfig has no DOM types: the server world must not see them).
  const doc = (globalThis as any).document;
  const clone = comp.dom.cloneNode(true);
  for (const el of Array.from(clone.querySelectorAll('[data-shot-src]') as ArrayLike<any>)) {
    const src = String(el.getAttribute('data-shot-src') ?? '');
    const mode = String(el.getAttribute('data-shot-mode') ?? 'scaleToFill');
    const uri = src ? pictureDataUri(src, o.mpRoot, o.staticDir) : undefined;
    const img = doc.createElement('img');
    if (uri) img.setAttribute('src', uri);
    img.setAttribute('alt', '');
    img.setAttribute('style', `object-fit:${OBJECT_FIT[mode] ?? 'fill'}`);
    el.replaceWith(img);
  }
  // The page's own styles as simulate compiled them (the style element carries the page's registration id; other
  // pages loaded in the same document keep theirs and must not leak in).
  const pageId = String(comp._exparserNode?.is ?? '');
  const ownStyle = Array.from(doc.head.querySelectorAll('style') as ArrayLike<any>).find(
    (s) => s.id === pageId,
  );
  const tokens = classTokens(clone);
  const own = ownComponentTags(o.mpRoot, o.route);
  const prefixes = new Set<string>(['main']);
  for (const t of tokens) {
    const i = t.indexOf('--');
    if (i > 0 && !own.has(t.slice(0, i))) prefixes.add(t.slice(0, i));
  }
  const appCss = readWxss(join(o.mpRoot, 'app.wxss'), o.mpRoot);
  const pageCss = readWxss(join(o.mpRoot, `${o.route}.wxss`), o.mpRoot);
  const frame = chrome(o.mpRoot, o.route);
  const css = [
    FONT_ALIAS,
    WECHAT_DEFAULTS,
    // app.wxss first, then everything compiled per component, then the page's CSS again under TDesign prefixes.
    sharedCss(appCss, [...prefixes]),
    String(ownStyle?.textContent ?? ''),
    sharedCss(pageCss, [...prefixes]),
    iconCss(tokens),
    frame.css,
  ].join('\n');
  const title = `${o.route}${o.caption ? ` · ${o.caption}` : ''}`;
  return (
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=${PHONE_WIDTH}"><title>${escapeHtml(title)}</title>` +
    `<style>${css}</style></head><body><div class="shot-phone">${frame.top}` +
    `<div class="shot-page">${clone.outerHTML}</div>${frame.bottom}</div></body></html>`
  );
}
