// Seeds the demo catalog into the local database on first start (a shop imports its own goods; see README).
import { readFileSync } from 'node:fs';
import { catalogToRecords } from '../../server/adapters/db/catalog.repository';
import { parseCatalog } from '../../server/domain/catalog';

/** The minimal database surface seeding needs (the local cloud's admin database handle satisfies it). */
export interface SeedDb {
  collection(name: string): {
    count(): Promise<{ total: number }>;
    add(options: { data: Record<string, unknown> }): Promise<unknown>;
  };
}

/** Loads `catalogFile` into the products and skus collections when skus is empty; answers how many SKUs it added. */
export async function seedCatalogIfEmpty(db: SeedDb, catalogFile: string): Promise<number> {
  if ((await db.collection('skus').count()).total > 0) return 0;
  const catalog = parseCatalog(JSON.parse(readFileSync(catalogFile, 'utf8')) as unknown);
  const { products, skus } = catalogToRecords(catalog);
  for (const p of products) await db.collection('products').add({ data: { ...p } });
  for (const s of skus) await db.collection('skus').add({ data: { ...s } });
  return skus.length;
}
