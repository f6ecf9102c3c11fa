// data/collections.json declares what the functions use, and nothing else: each declared collection is read or
// written by server code (a declared-but-dead collection misleads whoever sets up the cloud), and each collection the
// code names is declared (the local cloud would refuse it at start; the cloud console would not have it).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { Collections } from './collections';

const SERVER = join(__dirname, '..', '..');
const declared = loadCollectionsConfig(join(SERVER, '..', 'data', 'collections.json')).collections.map(
  (c) => c.name,
);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.testkit.ts')
      ? [path]
      : [];
  });
}

describe('declared collections', () => {
  const code = sources(SERVER)
    .filter((f) => f !== join(__dirname, 'collections.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const keyOf = new Map(Object.entries(Collections).map(([key, name]) => [name as string, key]));

  it('every declared collection is used by server code (by Collections.<key> or by name)', () => {
    const unused = declared.filter((name) => {
      const key = keyOf.get(name);
      return !(key !== undefined && code.includes(`Collections.${key}`)) && !code.includes(`'${name}'`);
    });
    expect(unused).toEqual([]);
  });

  it('every collection the code names in Collections is declared', () => {
    expect(Object.values(Collections).filter((n) => !declared.includes(n))).toEqual([]);
  });
});
