import { DomainError, ErrorCodes } from './errors';
import type { Fen } from './money';

/** Product and SKU ids: 1–64 characters of [A-Za-z0-9_-] (safe in URLs, database keys and logs). */
export const CATALOG_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest product title, in characters (the WeChat Pay description is capped at 127 and is built from titles). */
export const MAX_TITLE_CHARS = 60;
/** Longest SKU spec ("500g 装"), in characters. */
export const MAX_SPEC_CHARS = 40;
/** Longest product description, in characters. */
export const MAX_DESCRIPTION_CHARS = 500;

/** How an order can reach the shopper (docs/adr/0009): a product lists the kinds it allows. */
export const DELIVERY_KINDS = ['express', 'pickup', 'virtual'] as const;
export type DeliveryKindName = (typeof DELIVERY_KINDS)[number];
/** What a product allows when its catalog entry says nothing. */
export const DEFAULT_DELIVERY: readonly DeliveryKindName[] = Object.freeze(['express'] as const);

/** One buyable variant of a product. Prices are in fen; stock and maxPerOrder count items. */
export interface Sku {
  readonly skuId: string;
  readonly productId: string;
  /** What distinguishes this variant, shown beside the product title ("500g 装", "红色 / L"). */
  readonly spec: string;
  /** Unit price in fen, >= 1. */
  readonly priceFen: Fen;
  /** Items available, integer >= 0. */
  readonly stock: number;
  /** Most items of this SKU one order may hold, integer >= 1; absent = only the global per-line cap applies. */
  readonly maxPerOrder?: number;
  /** False = listed but not buyable. */
  readonly onSale: boolean;
}

/** A product as shown to shoppers, with its SKUs (at least one). */
export interface Product {
  readonly productId: string;
  readonly title: string;
  readonly description?: string;
  /**
   * https://, cloud:// or a mini-program-absolute path ("/assets/…"); the local stack's seed also uses http:// on a
   * loopback or private-network host (its gateway's /static/, see {@link CatalogParseOptions}).
   */
  readonly imageUrl?: string;
  /** The delivery kinds this product allows, unique, at least one (absent: {@link DEFAULT_DELIVERY}). */
  readonly delivery?: readonly DeliveryKindName[];
  readonly skus: readonly Sku[];
}

/** A validated catalog: unique product ids and unique SKU ids across all products. Deeply frozen. */
export interface Catalog {
  readonly products: readonly Product[];
}

const CATALOG_KEYS = ['products'] as const;
const PRODUCT_KEYS = ['productId', 'title', 'description', 'imageUrl', 'delivery', 'skus'] as const;
const SKU_KEYS = ['skuId', 'productId', 'spec', 'priceFen', 'stock', 'maxPerOrder', 'onSale'] as const;
const IMAGE_URL_PATTERN = /^(https:\/\/|cloud:\/\/|\/)[^\s]+$/;
/** http:// on a loopback or private-network (RFC 1918) host: the local stack's gateway, never a public server. */
const LOCAL_HTTP_IMAGE_PATTERN =
  /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]|10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|172\.(1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3})(:\d{1,5})?\/[^\s]*$/;

/** How strict {@link parseCatalog} is about picture URLs. */
export interface CatalogParseOptions {
  /**
   * Also accept http:// image URLs on loopback or private-network hosts. Only for catalogs the local stack seeds
   * (and reads back): a production catalog's pictures must be https:// or cloud:// (the mini program refuses http
   * outside DevTools' "do not verify domain names"), which `npm run catalog:export` enforces.
   */
  localHttpImages?: boolean;
}
/** Enough issues to fix a file in one go without flooding a log line. */
const MAX_REPORTED_ISSUES = 20;

type Json = Readonly<Record<string, unknown>>;

/** Collects every problem with its exact path, so one run tells a data-file author everything to fix. */
class Issues {
  readonly list: string[] = [];

  add(path: string, problem: string): void {
    this.list.push(`${path} ${problem}`);
  }

  object(path: string, value: unknown, known: readonly string[]): Json | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.add(path, `must be an object, got ${kindOf(value)}`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key))
        this.add(`${path}.${key}`, `is not a known field (known: ${known.join(', ')})`);
    }
    return value as Json;
  }

  id(path: string, value: unknown): string | undefined {
    if (typeof value !== 'string' || !CATALOG_ID_PATTERN.test(value)) {
      this.add(path, `must be 1-64 characters of A-Z a-z 0-9 _ -, got ${kindOf(value)}`);
      return undefined;
    }
    return value;
  }

  text(path: string, value: unknown, maxChars: number): string | undefined {
    if (typeof value !== 'string' || value.trim() === '' || value !== value.trim()) {
      this.add(path, `must be a non-empty string without leading or trailing spaces, got ${kindOf(value)}`);
      return undefined;
    }
    const chars = Array.from(value).length;
    if (chars > maxChars) {
      this.add(path, `must be at most ${maxChars} characters, got ${chars}`);
      return undefined;
    }
    return value;
  }

  integer(path: string, value: unknown, min: number, what: string): number | undefined {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.add(path, `must be ${what} >= ${min}, got ${kindOf(value)}`);
      return undefined;
    }
    return value;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${typeof value}`;
}

/**
 * Validates a data-file JSON value ({"products": [...]}) into a deeply frozen Catalog. Throws CATALOG.INVALID whose
 * message names the first offending path (e.g. `products[2].skus[0].priceFen must be an integer of fen >= 1`) and
 * whose details.issues lists up to 20 of them. Unknown fields, duplicate productIds and duplicate skuIds are refused.
 */
export function parseCatalog(value: unknown, options: CatalogParseOptions = {}): Catalog {
  const issues = new Issues();
  const root = issues.object('catalog', value, CATALOG_KEYS);
  const products: Product[] = [];
  if (root) {
    const list = root['products'];
    if (!Array.isArray(list)) {
      issues.add('products', `must be an array, got ${kindOf(list)}`);
    } else {
      const productIds = new Map<string, string>();
      const skuIds = new Map<string, string>();
      (list as readonly unknown[]).forEach((raw, i) => {
        const product = parseProduct(issues, `products[${i}]`, raw, productIds, skuIds, options);
        if (product) products.push(product);
      });
    }
  }
  if (issues.list.length > 0) {
    const [first] = issues.list;
    const more = issues.list.length > 1 ? ` (and ${issues.list.length - 1} more)` : '';
    throw new DomainError(ErrorCodes.CATALOG_INVALID, `invalid catalog: ${first ?? ''}${more}`, {
      issues: issues.list.slice(0, MAX_REPORTED_ISSUES),
    });
  }
  return Object.freeze({ products: Object.freeze(products) });
}

function parseProduct(
  issues: Issues,
  path: string,
  raw: unknown,
  productIds: Map<string, string>,
  skuIds: Map<string, string>,
  options: CatalogParseOptions,
): Product | undefined {
  const obj = issues.object(path, raw, PRODUCT_KEYS);
  if (!obj) return undefined;
  const before = issues.list.length;
  const productId = issues.id(`${path}.productId`, obj['productId']);
  if (productId !== undefined) {
    const seen = productIds.get(productId);
    if (seen !== undefined) issues.add(`${path}.productId`, `duplicates ${seen}.productId ("${productId}")`);
    else productIds.set(productId, path);
  }
  const title = issues.text(`${path}.title`, obj['title'], MAX_TITLE_CHARS);
  const description =
    obj['description'] === undefined
      ? undefined
      : issues.text(`${path}.description`, obj['description'], MAX_DESCRIPTION_CHARS);
  let imageUrl: string | undefined;
  if (obj['imageUrl'] !== undefined) {
    const url = obj['imageUrl'];
    const localOk =
      options.localHttpImages === true && typeof url === 'string' && LOCAL_HTTP_IMAGE_PATTERN.test(url);
    if (typeof url !== 'string' || !(IMAGE_URL_PATTERN.test(url) || localOk)) {
      issues.add(
        `${path}.imageUrl`,
        `must start with https://, cloud:// or / and contain no spaces, got ${kindOf(url)}` +
          (typeof url === 'string' && url.startsWith('http://')
            ? " (http:// is accepted only for the local stack's own seed, on a loopback or private-network host)"
            : ''),
      );
    } else {
      imageUrl = url;
    }
  }
  const delivery =
    obj['delivery'] === undefined ? undefined : deliveryKinds(issues, `${path}.delivery`, obj['delivery']);
  const skus: Sku[] = [];
  const rawSkus = obj['skus'];
  if (!Array.isArray(rawSkus) || rawSkus.length === 0) {
    issues.add(`${path}.skus`, `must be a non-empty array, got ${kindOf(rawSkus)}`);
  } else {
    (rawSkus as readonly unknown[]).forEach((rawSku, j) => {
      const sku = parseSku(issues, `${path}.skus[${j}]`, rawSku, productId, skuIds);
      if (sku) skus.push(sku);
    });
  }
  if (issues.list.length > before || productId === undefined || title === undefined) return undefined;
  return Object.freeze({
    productId,
    title,
    ...(description === undefined ? {} : { description }),
    ...(imageUrl === undefined ? {} : { imageUrl }),
    ...(delivery === undefined ? {} : { delivery }),
    skus: Object.freeze(skus),
  });
}

function deliveryKinds(issues: Issues, path: string, raw: unknown): readonly DeliveryKindName[] | undefined {
  const expectation = `must be a non-empty array of distinct ${DELIVERY_KINDS.map((k) => `'${k}'`).join(', ')}`;
  if (!Array.isArray(raw) || raw.length === 0) {
    issues.add(path, `${expectation}, got ${kindOf(raw)}`);
    return undefined;
  }
  const kinds: DeliveryKindName[] = [];
  for (const [i, k] of (raw as readonly unknown[]).entries()) {
    if (typeof k !== 'string' || !(DELIVERY_KINDS as readonly string[]).includes(k)) {
      issues.add(`${path}[${i}]`, `${expectation}, got ${kindOf(k)}`);
      return undefined;
    }
    if (kinds.includes(k as DeliveryKindName)) {
      issues.add(`${path}[${i}]`, `${expectation}, got "${k}" twice`);
      return undefined;
    }
    kinds.push(k as DeliveryKindName);
  }
  return Object.freeze(kinds);
}

function parseSku(
  issues: Issues,
  path: string,
  raw: unknown,
  productId: string | undefined,
  skuIds: Map<string, string>,
): Sku | undefined {
  const obj = issues.object(path, raw, SKU_KEYS);
  if (!obj) return undefined;
  const before = issues.list.length;
  const skuId = issues.id(`${path}.skuId`, obj['skuId']);
  if (skuId !== undefined) {
    const seen = skuIds.get(skuId);
    if (seen !== undefined) issues.add(`${path}.skuId`, `duplicates ${seen}.skuId ("${skuId}")`);
    else skuIds.set(skuId, path);
  }
  // The product id is implied by nesting; when a file repeats it, it must agree.
  if (obj['productId'] !== undefined && obj['productId'] !== productId) {
    issues.add(
      `${path}.productId`,
      `must equal the enclosing product's productId, got ${kindOf(obj['productId'])}`,
    );
  }
  const spec = issues.text(`${path}.spec`, obj['spec'], MAX_SPEC_CHARS);
  const priceFen = issues.integer(`${path}.priceFen`, obj['priceFen'], 1, 'an integer of fen');
  const stock = issues.integer(`${path}.stock`, obj['stock'], 0, 'an integer count of items');
  const maxPerOrder =
    obj['maxPerOrder'] === undefined
      ? undefined
      : issues.integer(`${path}.maxPerOrder`, obj['maxPerOrder'], 1, 'an integer count of items');
  const onSale = obj['onSale'];
  if (typeof onSale !== 'boolean')
    issues.add(`${path}.onSale`, `must be true or false, got ${kindOf(onSale)}`);
  if (
    issues.list.length > before ||
    skuId === undefined ||
    productId === undefined ||
    spec === undefined ||
    priceFen === undefined ||
    stock === undefined ||
    typeof onSale !== 'boolean'
  ) {
    return undefined;
  }
  return Object.freeze({
    skuId,
    productId,
    spec,
    priceFen: priceFen as Fen,
    stock,
    ...(maxPerOrder === undefined ? {} : { maxPerOrder }),
    onSale,
  });
}

const skuIndexes = new WeakMap<Catalog, ReadonlyMap<string, Sku>>();

/** The SKU with this id, or undefined. Indexes the catalog on first use (the catalog is immutable). */
export function findSku(catalog: Catalog, skuId: string): Sku | undefined {
  let index = skuIndexes.get(catalog);
  if (!index) {
    const built = new Map<string, Sku>();
    for (const product of catalog.products) for (const sku of product.skus) built.set(sku.skuId, sku);
    index = built;
    skuIndexes.set(catalog, index);
  }
  return index.get(skuId);
}

/** The product with this id, or undefined. */
export function findProduct(catalog: Catalog, productId: string): Product | undefined {
  return catalog.products.find((p) => p.productId === productId);
}
