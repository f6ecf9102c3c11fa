// The stand-in's durable state: a small key-value store kept in one JSON file. Every acknowledged write has replaced the
// file atomically (write a temp file, fsync it, rename it over the old one, fsync the directory), so a crash leaves
// either the previous or the new file, never a torn one. One process owns a file (the local cloud); that is enough for
// a handful of dev orders, and keeps the payment provider's truth out of the shop's own database, as in production.
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** What the local cloudPay needs from storage: JSON values by key, durable once `put` resolves. */
export interface CloudPayStore {
  /** The value under `key` (a copy), or undefined. */
  get(key: string): Promise<unknown>;
  /** Stores a JSON-serialisable `value` under `key`; resolves once it is durable. */
  put(key: string, value: unknown): Promise<void>;
  /** Every [key, value] whose key starts with `prefix`, in key order (copies). */
  list(prefix: string): Promise<Array<[string, unknown]>>;
}

interface FileShape {
  version: 1;
  entries: Record<string, unknown>;
}

/** A {@link CloudPayStore} in `<dir>/<fileName>`; open it with {@link JsonFileStore.open}. */
export class JsonFileStore implements CloudPayStore {
  private writes: Promise<void> = Promise.resolve();
  private closed = false;
  private failure: Error | undefined;
  private tmpSeq = 0;

  private constructor(
    readonly file: string,
    private readonly entries: Map<string, string>,
  ) {}

  /** Opens (or creates, with its directory) the store file; throws naming the file when it is not a store. */
  static async open(dir: string, fileName = 'cloudpay.json'): Promise<JsonFileStore> {
    const root = resolve(dir);
    mkdirSync(root, { recursive: true });
    const file = join(root, fileName);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const entries = new Map<string, string>();
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(
          `${file} is not valid JSON: the local cloudPay state cannot be read (delete it to start over)`,
        );
      }
      const shape = parsed as Partial<FileShape> | null;
      if (
        typeof shape !== 'object' ||
        shape === null ||
        shape.version !== 1 ||
        typeof shape.entries !== 'object' ||
        shape.entries === null
      ) {
        throw new Error(`${file} is not a local cloudPay store (expected {"version": 1, "entries": {…}})`);
      }
      // Values are kept as JSON text so every reader gets its own copy and nobody can mutate the stored state.
      for (const [k, v] of Object.entries(shape.entries)) entries.set(k, JSON.stringify(v));
    }
    return new JsonFileStore(file, entries);
  }

  get(key: string): Promise<unknown> {
    const text = this.entries.get(key);
    return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as unknown));
  }

  list(prefix: string): Promise<Array<[string, unknown]>> {
    const out: Array<[string, unknown]> = [];
    for (const k of [...this.entries.keys()].sort()) {
      const text = this.entries.get(k);
      if (k.startsWith(prefix) && text !== undefined) out.push([k, JSON.parse(text) as unknown]);
    }
    return Promise.resolve(out);
  }

  put(key: string, value: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`the local cloudPay store ${this.file} is closed`));
    if (this.failure !== undefined) {
      // Memory may now be ahead of the file; only reopening gives a state that matches what was acknowledged.
      return Promise.reject(
        new Error(
          `the local cloudPay store ${this.file} failed to write (${this.failure.message}); reopen it`,
        ),
      );
    }
    const text = JSON.stringify(value);
    if (text === undefined) return Promise.reject(new Error(`value for ${key} is not JSON-serialisable`));
    this.entries.set(key, text);
    const snapshot = this.serialise();
    // Writes run one after another; each writes the whole state as of its own put, so the last one wins.
    const write = this.writes.then(() => this.writeAtomically(snapshot));
    this.writes = write.catch(() => undefined);
    return write;
  }

  /** Waits for pending writes; later puts fail. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writes;
  }

  private serialise(): string {
    const entries: Record<string, unknown> = {};
    for (const [k, v] of this.entries) entries[k] = JSON.parse(v) as unknown;
    const shape: FileShape = { version: 1, entries };
    return JSON.stringify(shape, null, 1);
  }

  private async writeAtomically(text: string): Promise<void> {
    const tmp = `${this.file}.${process.pid}.${++this.tmpSeq}.tmp`;
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      await rm(tmp, { force: true });
      throw e;
    }
    // The rename itself is durable only once the directory entry is flushed.
    const dir = await open(resolve(this.file, '..'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
