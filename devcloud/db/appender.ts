// An append-only line file kept open for the store's lifetime (a collection's datafile, the commit journal).
//
// Before, every write went through fs.appendFile: open, append, close — three system calls and a trip through libuv's
// thread pool per write. Here the file is opened once (O_APPEND) and each write is one write(2) on that descriptor,
// made synchronously: writes are ordered by construction, and when `append` returns the bytes are in the OS's hands,
// so the commit that awaited it survives `kill -9` exactly as before (not power loss: there is no fsync, as before).
// A write of a few hundred bytes into the page cache takes microseconds — less than dispatching it to the pool.
//
// Whoever rewrites the file by replacing it (nedb's compaction at load writes a temp file and renames it over the
// datafile) must do so while the appender is closed, or `reopen()` afterwards: an open descriptor keeps pointing at
// the replaced file. Torn-tail repair at open is unchanged: a process killed inside write(2) leaves at most a torn
// last line, which was never acknowledged.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/** One open append-only file. Not thread-safe by design: the store serialises its writes. */
export class LineAppender {
  private fd: number | undefined;

  constructor(readonly file: string) {}

  /** True while the descriptor is open. */
  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Opens the file for appending (created if missing). Opening an open appender is a no-op. */
  open(): this {
    this.fd ??= openSync(this.file, 'a');
    return this;
  }

  /** Closes and opens again: after the file was replaced on disk (a rewrite), appends go to the new file. */
  reopen(): this {
    this.close();
    return this.open();
  }

  /**
   * Appends `text` (whole lines, each ending in "\n"). Returns once every byte was handed to the OS; throws the I/O
   * error otherwise (the store then stops accepting writes until it is reopened).
   */
  append(text: string): void {
    const fd = this.descriptor();
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    // write(2) on a regular file writes everything in practice; loop anyway, as fs.appendFile does.
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  }

  /** Empties the file (the journal after its entry reached the datafiles); later appends start at offset 0. */
  truncate(): void {
    ftruncateSync(this.descriptor(), 0);
  }

  /** Closes the descriptor (no-op when closed). */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }

  private descriptor(): number {
    if (this.fd === undefined) throw new Error(`${this.file} is not open for appending`);
    return this.fd;
  }
}
