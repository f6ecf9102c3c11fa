import { join } from 'node:path';
import { loadCollectionsConfig, parseCollectionsConfig, parseRuleExpression } from './collections-config';

const PROJECT_FILE = join(__dirname, '..', '..', 'data', 'collections.json');

describe('data/collections.json (the project declaration)', () => {
  const config = loadCollectionsConfig(PROJECT_FILE);
  const byName = new Map(config.collections.map((c) => [c.name, c]));

  it('declares the collections that hold orders, refunds and money nobody can match', () => {
    for (const name of ['orders', 'refunds', 'attention']) expect(byName.has(name)).toBe(true);
  });

  it('denies all client access to every collection (functions act as admin)', () => {
    for (const c of config.collections)
      expect([c.name, c.permission]).toEqual([c.name, { read: false, write: false }]);
  });

  it('makes order creation idempotent per shopper with a unique index over the request key', () => {
    const uniques = (byName.get('orders')?.indexes ?? [])
      .filter((ix) => ix.unique)
      .map((ix) => ix.fields.map((f) => f.field));
    expect(uniques.some((fields) => fields.includes('clientRequestKey') && fields.length === 2)).toBe(true);
  });
});

describe('parseCollectionsConfig', () => {
  const one = (c: Record<string, unknown>) => ({
    collections: [{ name: 'orders', permission: 'ADMINONLY', ...c }],
  });

  it('accepts basic permissions, custom rules and indexes with default order', () => {
    const parsed = parseCollectionsConfig({
      collections: [
        { name: 'a', permission: 'READONLY' },
        {
          name: 'b',
          permission: { read: 'auth != null', write: 'doc._openid == auth.openid', delete: false },
        },
        {
          name: 'c',
          permission: 'PRIVATE',
          indexes: [{ name: 'k', fields: [{ field: 'x.y' }], unique: true }],
        },
      ],
    });
    expect(parsed.collections[2]).toEqual({
      name: 'c',
      permission: 'PRIVATE',
      indexes: [{ name: 'k', fields: [{ field: 'x.y', order: 'asc' }], unique: true }],
    });
  });

  it.each([
    [{ collection: [] }, /"collections" must be an array/],
    [{ collections: [], extra: 1 }, /unknown top-level key "extra"/],
    [{ collections: [{ name: 'bad name', permission: 'ADMINONLY' }] }, /collections\[0\]\.name must match/],
    [
      {
        collections: [
          { name: 'a', permission: 'ADMINONLY' },
          { name: 'a', permission: 'ADMINONLY' },
        ],
      },
      /declared twice/,
    ],
    [one({ permission: undefined }), /permission is required/],
    [one({ permission: 'PUBLIC' }), /must be one of ADMINONLY, READONLY, PRIVATE, ADMINWRITE/],
    [one({ permission: { read: false } }), /must define both "read" and "write"/],
    [one({ permission: { read: false, write: false, admin: true } }), /unknown rule key "admin"/],
    [
      one({ permission: { read: 'doc.price > 0', write: false } }),
      /unsupported rule expression "doc.price > 0"/,
    ],
    [one({ indexes: [{ name: 'i', fields: [] }] }), /indexes\[0\]\.fields must be a non-empty array/],
    [
      one({ indexes: [{ name: 'i', fields: [{ field: 'a', order: 'up' }] }] }),
      /fields\[0\]\.order must be "asc" or "desc"/,
    ],
    [
      one({ indexes: [{ name: 'i', fields: [{ field: 'a' }], sparse: true }] }),
      /unknown key "sparse".*no sparse/,
    ],
    [
      one({
        indexes: [
          { name: 'i', fields: [{ field: 'a' }] },
          { name: 'i', fields: [{ field: 'b' }] },
        ],
      }),
      /used twice/,
    ],
    [one({ indexes: [{ name: 'i', fields: [{ field: 'a' }], unique: 'yes' }] }), /unique must be a boolean/],
  ])('refuses %j naming the path', (raw, message) => {
    expect(() => parseCollectionsConfig(raw, 'c.json')).toThrow(message);
  });

  it('parses the supported rule expressions', () => {
    expect(parseRuleExpression(' auth.openid==doc._openid ', 'r')).toEqual({ kind: 'owner' });
    expect(parseRuleExpression('auth != null', 'r')).toEqual({ kind: 'authenticated' });
    expect(parseRuleExpression('false', 'r')).toEqual({ kind: 'const', value: false });
  });
});
