import type { CatalogReader } from '../../application/ports/catalog.port';
import type { Catalog } from '../../domain/catalog';
import { parseCatalog } from '../../domain/catalog';
import type { CloudDb } from './cloud-db';
import { Collections } from './collections';
import { fetchAll } from './query';

/** A product document: `_id` is the productId; `sort` orders the goods list. */
export interface ProductRecord {
  _id: string;
  title: string;
  description?: string;
  imageUrl?: string;
  /** The delivery kinds it allows (absent: express only). */
  delivery?: string[];
  sort: number;
}

/** A SKU document: `_id` is the skuId; stock is live and changed only by compare-and-set reservations. */
export interface SkuRecord {
  _id: string;
  productId: string;
  spec: string;
  priceFen: number;
  stock: number;
  maxPerOrder?: number;
  onSale: boolean;
}

/** Splits a validated catalog into the documents of the products and skus collections (for seeding and import). */
export function catalogToRecords(catalog: Catalog): { products: ProductRecord[]; skus: SkuRecord[] } {
  const products: ProductRecord[] = [];
  const skus: SkuRecord[] = [];
  catalog.products.forEach((p, i) => {
    products.push({
      _id: p.productId,
      title: p.title,
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.imageUrl !== undefined ? { imageUrl: p.imageUrl } : {}),
      ...(p.delivery !== undefined ? { delivery: [...p.delivery] } : {}),
      sort: i,
    });
    for (const s of p.skus) {
      skus.push({
        _id: s.skuId,
        productId: p.productId,
        spec: s.spec,
        priceFen: s.priceFen,
        stock: s.stock,
        ...(s.maxPerOrder !== undefined ? { maxPerOrder: s.maxPerOrder } : {}),
        onSale: s.onSale,
      });
    }
  });
  return { products, skus };
}

/** Assembles the catalog from the products and skus collections and validates it like a data file. */
export class DbCatalogReader implements CatalogReader {
  private cached: { catalog: Catalog; atMs: number } | null = null;

  constructor(
    private readonly db: CloudDb,
    /** Monotonic milliseconds for the cache's age (not business time, which tests move). */
    private readonly monotonicMs: () => number = () => performance.now(),
  ) {}

  async cachedCatalog(maxAgeMs: number): Promise<Catalog> {
    const c = this.cached;
    if (c !== null && this.monotonicMs() - c.atMs <= maxAgeMs) return c.catalog;
    return this.loadCatalog();
  }

  async loadCatalog(): Promise<Catalog> {
    const startedMs = this.monotonicMs();
    const [products, skus] = await Promise.all([
      fetchAll(this.db.collection(Collections.products)),
      fetchAll(this.db.collection(Collections.skus)),
    ]);
    const byProduct = new Map<string, Record<string, unknown>[]>();
    for (const s of skus) {
      const productId = String(s.productId);
      // Holds are the stock reservation's bookkeeping (docs/adr/0007), not catalog data.
      const { _id, holds: _holds, ...rest } = s;
      const list = byProduct.get(productId) ?? [];
      list.push({ skuId: _id, ...rest });
      byProduct.set(productId, list);
    }
    const ordered = [...products].sort((a, b) => Number(a.sort ?? 0) - Number(b.sort ?? 0));
    // Stored goods were validated on import (strict: https/cloud:// pictures); the local stack's seed stores its
    // gateway's http:// picture URLs, which only loopback/private hosts may use.
    const catalog = parseCatalog(
      {
        products: ordered.map(({ _id, sort: _sort, ...rest }) => ({
          productId: _id,
          ...rest,
          skus: byProduct.get(String(_id)) ?? [],
        })),
      },
      { localHttpImages: true },
    );
    this.cached = { catalog, atMs: startedMs };
    return catalog;
  }
}
