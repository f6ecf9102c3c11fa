// The journal store: durable puts/deletes, compaction, torn tails.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalStore } from './store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('keeps the latest value of every record across reopen, and forgets deleted ones', () => {
  const a = new JournalStore(dir);
  a.put('order', '1', { v: 1 });
  a.put('order', '1', { v: 2 });
  a.put('order', '2', { v: 3 });
  a.put('fault', 'f', { x: true });
  a.delete('fault', 'f');
  const b = new JournalStore(dir);
  expect([...b.all('order').entries()]).toEqual([
    ['1', { v: 2 }],
    ['2', { v: 3 }],
  ]);
  expect(b.get('fault', 'f')).toBeUndefined();
  // compaction left one line per live record
  expect(readFileSync(join(dir, 'state.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
});

it('skips a torn last line', () => {
  const a = new JournalStore(dir);
  a.put('order', '1', { v: 1 });
  appendFileSync(join(dir, 'state.jsonl'), '{"c":"order","id":"2","v":{"v"');
  const b = new JournalStore(dir);
  expect(b.get('order', '1')).toEqual({ v: 1 });
  expect(b.get('order', '2')).toBeUndefined();
});

it('writes nothing after close', () => {
  const a = new JournalStore(dir);
  a.close();
  a.put('order', '1', { v: 1 });
  expect(new JournalStore(dir).get('order', '1')).toBeUndefined();
});
