// Seeds the demo catalog into the local database on first start (a shop imports its own goods; see README), with
// pictures the local gateway serves: a product without an imageUrl whose picture exists as
// data/images/goods/<productId>.(svg|png|jpg) gets `<gateway>/static/goods/<file>`. Those http:// URLs are accepted
// only here (loopback/private hosts, parseCatalog's localHttpImages); production catalogs use https:// or cloud://.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogToRecords } from '../../server/adapters/db/catalog.repository';
import { parseCatalog } from '../../server/domain/catalog';

/** The minimal database surface seeding needs (the local cloud's admin database handle satisfies it). */
export interface SeedDb {
  collection(name: string): {
    count(): Promise<{ total: number }>;
    add(options: { data: Record<string, unknown> }): Promise<unknown>;
    limit(n: number): { get(): Promise<{ data: Array<Record<string, unknown>> }> };
    doc(id: string): { update(options: { data: Record<string, unknown> }): Promise<unknown> };
  };
}

/** Where the demo pictures live and the gateway URL that serves them at /static/. */
export interface SeedImages {
  imagesDir: string;
  gatewayUrl: string;
}

const PICTURE_EXTENSIONS = ['svg', 'png', 'jpg'] as const;
/** A picture URL this seed wrote earlier (any gateway origin): re-pointed when the gateway address changes. */
const LOCAL_STATIC_URL = /^http:\/\/[^/]+\/static\/goods\/[^/]+$/;

/** The served URL of a product's demo picture, or undefined when there is none. */
export function demoPictureUrl(images: SeedImages, productId: string): string | undefined {
  for (const ext of PICTURE_EXTENSIONS) {
    const file = `${productId}.${ext}`;
    if (existsSync(join(images.imagesDir, 'goods', file))) {
      return `${images.gatewayUrl.replace(/\/+$/, '')}/static/goods/${encodeURIComponent(file)}`;
    }
  }
  return undefined;
}

/** Loads `catalogFile` into the products and skus collections when skus is empty; answers how many SKUs it added. */
export async function seedCatalogIfEmpty(
  db: SeedDb,
  catalogFile: string,
  images?: SeedImages,
): Promise<number> {
  if ((await db.collection('skus').count()).total > 0) return 0;
  const raw = JSON.parse(readFileSync(catalogFile, 'utf8')) as { products?: unknown };
  if (images && Array.isArray(raw.products)) {
    for (const p of raw.products as Array<Record<string, unknown>>) {
      if (p['imageUrl'] !== undefined || typeof p['productId'] !== 'string') continue;
      const url = demoPictureUrl(images, p['productId']);
      if (url) p['imageUrl'] = url;
    }
  }
  const catalog = parseCatalog(raw, { localHttpImages: true });
  const { products, skus } = catalogToRecords(catalog);
  for (const p of products) await db.collection('products').add({ data: { ...p } });
  for (const s of skus) await db.collection('skus').add({ data: { ...s } });
  return skus.length;
}

/**
 * Points the seeded pictures at this start's gateway (loopback, or the LAN address with --lan): products whose
 * imageUrl is absent or an earlier local /static/ URL and that have a demo picture. Answers how many changed.
 */
export async function pointDemoPicturesAt(db: SeedDb, images: SeedImages): Promise<number> {
  const { data } = await db.collection('products').limit(100).get();
  let changed = 0;
  for (const p of data) {
    const id = p['_id'];
    const current = p['imageUrl'];
    if (typeof id !== 'string') continue;
    if (current !== undefined && !(typeof current === 'string' && LOCAL_STATIC_URL.test(current))) continue;
    const url = demoPictureUrl(images, id);
    if (url === undefined || url === current) continue;
    await db
      .collection('products')
      .doc(id)
      .update({ data: { imageUrl: url } });
    changed += 1;
  }
  return changed;
}
