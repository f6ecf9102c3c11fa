// The event log: everything received and sent, appended to `<dir>/events.jsonl` and kept (bounded) in memory.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventFilter, SimEvent } from '../types';
import { writeFileAtomic } from './fsutil';

const MEMORY_CAP = 20000;
const EXCERPT_CHARS = 512;

/** Shortens a body for the log (bodies never hold secrets: notification resources are encrypted). */
export function excerpt(text: string | undefined, max = EXCERPT_CHARS): string | undefined {
  if (text === undefined || text === '') return undefined;
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

/** Append-only event log with filtered queries; keeps the newest MEMORY_CAP entries in memory and on disk. */
export class EventLog {
  private readonly path: string;
  private readonly entries: SimEvent[] = [];
  private seq = 0;
  private closed = false;

  /** Loads `<dir>/events.jsonl` (newest entries), trimming the file when it grew past the cap. */
  constructor(
    dir: string,
    private readonly sink?: (line: string) => void,
  ) {
    this.path = join(dir, 'events.jsonl');
    if (existsSync(this.path)) {
      const lines = readFileSync(this.path, 'utf8').split('\n');
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          const e = JSON.parse(line) as SimEvent;
          if (typeof e.seq === 'number') this.entries.push(e);
        } catch {
          // torn tail after a crash: skip
        }
      }
      if (this.entries.length > MEMORY_CAP) this.entries.splice(0, this.entries.length - MEMORY_CAP);
      this.seq = this.entries.reduce((m, e) => Math.max(m, e.seq), 0);
      if (lines.length > MEMORY_CAP * 1.5) {
        writeFileAtomic(this.path, this.entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      }
    }
  }

  /** Appends an event (seq and realAt are filled in) and returns it. */
  add(e: Omit<SimEvent, 'seq' | 'realAt'>): SimEvent {
    this.seq += 1;
    const full: SimEvent = { seq: this.seq, realAt: Date.now(), ...e };
    this.entries.push(full);
    if (this.entries.length > MEMORY_CAP) this.entries.splice(0, this.entries.length - MEMORY_CAP);
    if (!this.closed) appendFileSync(this.path, `${JSON.stringify(full)}\n`);
    this.sink?.(formatLine(full));
    return full;
  }

  /** Events matching `f`, oldest first, at most `f.limit` (the newest ones). */
  query(f: EventFilter = {}): SimEvent[] {
    const limit = Math.min(Math.max(f.limit ?? 200, 1), 5000);
    const out: SimEvent[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i -= 1) {
      const e = this.entries[i];
      if (e && matches(e, f)) out.push(e);
    }
    return out.reverse();
  }

  /** Stops writing to disk (memory only); used by close(). */
  close(): void {
    this.closed = true;
  }
}

function matches(e: SimEvent, f: EventFilter): boolean {
  if (f.kind !== undefined && e.kind !== f.kind) return false;
  if (f.outTradeNo !== undefined && e.outTradeNo !== f.outTradeNo) return false;
  if (f.outRefundNo !== undefined && e.outRefundNo !== f.outRefundNo) return false;
  if (f.notificationId !== undefined && e.notificationId !== f.notificationId) return false;
  if (f.method !== undefined && e.method?.toUpperCase() !== f.method.toUpperCase()) return false;
  if (f.pathContains !== undefined && !(e.path ?? '').includes(f.pathContains)) return false;
  if (f.status !== undefined && e.status !== f.status) return false;
  if (f.minStatus !== undefined && (e.status === undefined || e.status < f.minStatus)) return false;
  if (f.afterSeq !== undefined && e.seq <= f.afterSeq) return false;
  if (f.fromMs !== undefined && e.at < f.fromMs) return false;
  if (f.toMs !== undefined && e.at > f.toMs) return false;
  return true;
}

function formatLine(e: SimEvent): string {
  const parts = [`[sim] ${e.kind}`, e.summary];
  if (e.realDurationMs !== undefined) parts.push(`${e.realDurationMs}ms`);
  return parts.join(' ');
}
