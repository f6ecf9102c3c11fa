import type { DbQuery } from './cloud-db';
import { MAX_PAGE } from './collections';

/** Reads every document matching `query`, page by page (the cloud answers at most 100 per get), ordered by _id. */
export async function fetchAll(query: DbQuery, maxDocs = 10_000): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (;;) {
    const { data } = await query.orderBy('_id', 'asc').skip(out.length).limit(MAX_PAGE).get();
    out.push(...data);
    if (data.length < MAX_PAGE) return out;
    if (out.length >= maxDocs) throw new Error(`more than ${maxDocs} documents: refusing to read them all`);
  }
}
