import type { Catalog } from '../../domain/catalog';

/** Reads the catalog with live stock (the database is the truth for stock; the data file only seeds it). */
export interface CatalogReader {
  /** The whole current catalog, validated (and remembered for {@link cachedCatalog}). */
  loadCatalog(): Promise<Catalog>;
  /**
   * The catalog as last loaded by this instance, if younger than `maxAgeMs` (else a fresh load). Prices, sale state
   * and stock in it may be stale: callers use it only where a later atomic check decides (checkout pins the price in
   * its stock decrement) or where a stale answer is harmless (cart previews).
   */
  cachedCatalog(maxAgeMs: number): Promise<Catalog>;
}
