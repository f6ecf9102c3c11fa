// Durable state as an append-only journal of record snapshots; compacted (atomically) on every start.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './fsutil';

/** One journal line: the latest value of record `id` of collection `c`, or its deletion (`v` null). */
interface JournalLine {
  c: string;
  id: string;
  v: unknown;
}

/**
 * Collections of JSON records kept in memory and journaled to `<dir>/state.jsonl`. Every put/delete is appended
 * before the call returns (write-ahead of the HTTP answer), so a crash or restart forgets nothing that was answered.
 * A torn last line (crash mid-append) is ignored on load.
 */
export class JournalStore {
  private readonly path: string;
  private readonly data = new Map<string, Map<string, unknown>>();
  private closed = false;

  /** Loads and compacts the journal in `dir` (created if missing). */
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'state.jsonl');
    if (existsSync(this.path)) {
      const lines = readFileSync(this.path, 'utf8').split('\n');
      for (const line of lines) {
        if (line.trim() === '') continue;
        let parsed: JournalLine;
        try {
          parsed = JSON.parse(line) as JournalLine;
        } catch {
          continue; // a torn tail from a crash mid-write
        }
        if (typeof parsed.c !== 'string' || typeof parsed.id !== 'string') continue;
        if (parsed.v === null) this.collection(parsed.c).delete(parsed.id);
        else this.collection(parsed.c).set(parsed.id, parsed.v);
      }
    }
    this.compact();
  }

  /** All records of collection `c` (live map: do not mutate through it; use put/delete). */
  all<T>(c: string): ReadonlyMap<string, T> {
    return this.collection(c) as Map<string, T>;
  }

  /** One record, or undefined. */
  get<T>(c: string, id: string): T | undefined {
    return this.collection(c).get(id) as T | undefined;
  }

  /** Stores `value` (a JSON-serialisable object) as record `id` and journals it. */
  put(c: string, id: string, value: unknown): void {
    this.collection(c).set(id, value);
    this.append({ c, id, v: value });
  }

  /** Deletes record `id` and journals the deletion. */
  delete(c: string, id: string): void {
    if (!this.collection(c).delete(id)) return;
    this.append({ c, id, v: null });
  }

  /** Rewrites the journal as one line per live record (temp file + rename). */
  compact(): void {
    const lines: string[] = [];
    for (const [c, records] of this.data) {
      for (const [id, v] of records) lines.push(JSON.stringify({ c, id, v }));
    }
    writeFileAtomic(this.path, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  }

  /** Stops accepting writes (later puts only change memory); used by close(). */
  close(): void {
    this.closed = true;
  }

  private append(line: JournalLine): void {
    if (this.closed) return;
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }

  private collection(c: string): Map<string, unknown> {
    let m = this.data.get(c);
    if (!m) {
      m = new Map();
      this.data.set(c, m);
    }
    return m;
  }
}
