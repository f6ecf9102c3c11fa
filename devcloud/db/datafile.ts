// Integrity of append-only line files (nedb datafiles and the commit journal) after a crash.
// A process killed during an append can leave a torn last line: that append was never acknowledged (its promise had
// not resolved), so dropping it loses nothing. A corrupt line anywhere else is real damage and the store refuses to
// open rather than silently dropping acknowledged data (nedb alone would drop up to 10 % of lines).
import { existsSync } from 'node:fs';
import { readFile, truncate } from 'node:fs/promises';
import { StoreIntegrityError } from './errors';

/** What {@link repairTornTail} found. */
export interface TailRepair {
  /** Bytes removed from the end of the file (0 when the file ended cleanly). */
  droppedBytes: number;
  /** Complete, parseable lines left in the file. */
  lines: number;
}

/**
 * Truncates an unterminated last line (a torn append) and checks every remaining line parses with `parse`.
 * Throws StoreIntegrityError naming the file and line when an earlier line is corrupt. A missing file is fine.
 */
export async function repairTornTail(
  file: string,
  parse: (line: string) => unknown = JSON.parse,
): Promise<TailRepair> {
  if (!existsSync(file)) return { droppedBytes: 0, lines: 0 };
  const buf = await readFile(file);
  const lastNewline = buf.lastIndexOf(0x0a);
  const keep = lastNewline + 1;
  const droppedBytes = buf.length - keep;
  if (droppedBytes > 0) await truncate(file, keep);
  const text = buf.subarray(0, keep).toString('utf8');
  let lines = 0;
  const all = text.split('\n');
  for (let i = 0; i < all.length; i++) {
    const line = all[i] ?? '';
    if (line === '') continue;
    try {
      parse(line);
    } catch {
      throw new StoreIntegrityError(
        `${file}: line ${i + 1} is corrupt and is not the last line, so acknowledged data may be damaged; ` +
          'refusing to open the database (restore the file or remove the line by hand after inspecting it)',
      );
    }
    lines += 1;
  }
  return { droppedBytes, lines };
}
