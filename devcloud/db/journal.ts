// The commit journal: how a write touching several documents (a transaction, a multi-document update or remove) stays
// all-or-nothing across a crash. The whole after-image of the write set is appended as ONE line before any datafile is
// touched; that completed line is the commit point. At open, a journaled entry is re-applied to the datafiles (the
// after-images make re-applying idempotent), then the journal is emptied. A torn (unterminated) line was never
// committed and is ignored. Writes are serialised by the store, so the journal holds at most one entry at a time.
// The file stays open for appending (appender.ts) from the first append or clear until the store closes.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LineAppender } from './appender';
import { StoreIntegrityError } from './errors';
import { decodeLine, encodeLine, isPlainObject, type Doc } from './values';

/** One document's new state in a committed write set; `doc: null` means deleted. */
export interface JournalWrite {
  collection: string;
  id: string;
  doc: Doc | null;
}

/** A committed write set. */
export interface JournalEntry {
  seq: number;
  writes: JournalWrite[];
}

/** Append-only commit journal file. */
export class Journal {
  private readonly out: LineAppender;
  constructor(readonly file: string) {
    this.out = new LineAppender(file);
  }

  /** Appends a committed entry; returns once the line is handed to the OS (survives a process kill). */
  append(entry: JournalEntry): void {
    this.out.open().append(encodeLine(entry) + '\n');
  }

  /** Empties the journal (creating it if missing) after its entry reached the datafiles. */
  clear(): void {
    this.out.open().truncate();
  }

  /** Closes the file (the store is closing); a later append or clear opens it again. */
  close(): void {
    this.out.close();
  }

  /** Entries whose line is complete; a torn last line is ignored, a corrupt earlier line refuses to open. */
  async readCommitted(): Promise<JournalEntry[]> {
    if (!existsSync(this.file)) return [];
    const text = await readFile(this.file, 'utf8');
    const parts = text.split('\n');
    // The part after the last "\n" is either "" or a torn, uncommitted line.
    parts.pop();
    return parts
      .filter((line) => line !== '')
      .map((line, i) => {
        const entry = parseEntry(line);
        if (entry === undefined) {
          throw new StoreIntegrityError(
            `${this.file}: committed line ${i + 1} is corrupt; refusing to open the database`,
          );
        }
        return entry;
      });
  }
}

function parseEntry(line: string): JournalEntry | undefined {
  let raw: unknown;
  try {
    raw = decodeLine(line);
  } catch {
    return undefined;
  }
  if (!isPlainObject(raw) || typeof raw.seq !== 'number' || !Array.isArray(raw.writes)) return undefined;
  const writes: JournalWrite[] = [];
  for (const w of raw.writes as unknown[]) {
    if (!isPlainObject(w) || typeof w.collection !== 'string' || typeof w.id !== 'string') return undefined;
    if (w.doc !== null && !(isPlainObject(w.doc) && w.doc._id === w.id)) return undefined;
    writes.push({ collection: w.collection, id: w.id, doc: w.doc as Doc | null });
  }
  return { seq: raw.seq, writes };
}
