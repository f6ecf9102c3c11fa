import type { Catalog } from '../../domain/catalog';

/** Reads the catalog with live stock (the database is the truth for stock; the data file only seeds it). */
export interface CatalogReader {
  /** The whole current catalog, validated. */
  loadCatalog(): Promise<Catalog>;
}
