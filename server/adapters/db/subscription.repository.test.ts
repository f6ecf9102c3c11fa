// The accept counts on the real local database: one accept = one send, taken atomically (count > 0), also when sends
// and accepts race.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import type { CloudDb } from './cloud-db';
import { DbSubscriptionStore } from './subscription.repository';

const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let store: DbSubscriptionStore;

beforeEach(async () => {
  tmp = tempDir('subscriptions-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS);
  store = new DbSubscriptionStore(t.db as unknown as CloudDb);
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

describe('DbSubscriptionStore', () => {
  it('counts accepts per shopper and template, and each one is taken once', async () => {
    expect(await store.takeAccept('o-1', 't-paid', 1)).toBe(false);
    await store.addAccepts('o-1', ['t-paid', 't-refund'], 1);
    await store.addAccepts('o-1', ['t-paid'], 2);
    expect(await store.counts('o-1', ['t-paid', 't-refund', 't-shipped'])).toEqual({
      't-paid': 2,
      't-refund': 1,
      't-shipped': 0,
    });
    expect(await store.counts('o-2', ['t-paid'])).toEqual({ 't-paid': 0 });
    expect(await store.takeAccept('o-1', 't-paid', 3)).toBe(true);
    expect(await store.takeAccept('o-1', 't-paid', 3)).toBe(true);
    expect(await store.takeAccept('o-1', 't-paid', 3)).toBe(false);
    expect(await store.counts('o-1', ['t-paid'])).toEqual({ 't-paid': 0 });
  });

  it('concurrent first accepts all count; concurrent sends never take more than there are', async () => {
    await Promise.all(Array.from({ length: 8 }, () => store.addAccepts('o-3', ['t-paid'], 1)));
    expect(await store.counts('o-3', ['t-paid'])).toEqual({ 't-paid': 8 });
    const taken = await Promise.all(Array.from({ length: 12 }, () => store.takeAccept('o-3', 't-paid', 2)));
    expect(taken.filter(Boolean)).toHaveLength(8);
    expect(await store.counts('o-3', ['t-paid'])).toEqual({ 't-paid': 0 });
  });
});
