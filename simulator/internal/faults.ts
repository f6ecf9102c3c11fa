// Fault injection rules: validated specs stored durably; `take` consumes one match (count-limited rules expire).
import { randomUUID } from 'node:crypto';
import { FAULT_KINDS, type FaultKind, type FaultRecord, type FaultSpec } from '../types';
import { ControlError } from './errors';
import { isJsonObject } from './fields';
import type { JournalStore } from './store';

const COLLECTION = 'fault';

/** What a fault is matched against: the order, the notification event type, or the API request. */
export interface FaultContext {
  outTradeNo?: string;
  eventType?: string;
  path?: string;
  method?: string;
}

/** Validates an untrusted fault spec (control API input); throws ControlError 400 with the reason. */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (!isJsonObject(input)) throw bad('fault spec must be a JSON object');
  const kind = input.kind;
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw bad(`kind must be one of ${FAULT_KINDS.join(', ')}; got ${JSON.stringify(kind)}`);
  }
  const spec: FaultSpec = { kind: kind as FaultKind };
  const str = (name: 'outTradeNo' | 'eventType' | 'path' | 'method' | 'code'): void => {
    const v = input[name];
    if (v === undefined || v === null) return;
    if (typeof v !== 'string' || v === '') throw bad(`${name} must be a non-empty string`);
    spec[name] = v;
  };
  const int = (
    name: 'count' | 'delayMs' | 'window' | 'hangMs' | 'status',
    min: number,
    max: number,
  ): void => {
    const v = input[name];
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      throw bad(`${name} must be an integer in [${min}, ${max}]; got ${JSON.stringify(v)}`);
    }
    spec[name] = v;
  };
  str('outTradeNo');
  str('eventType');
  str('path');
  str('method');
  str('code');
  int('count', 1, 1_000_000);
  int('delayMs', 0, 400 * 24 * 3600 * 1000);
  int('window', 2, 1000);
  int('hangMs', 0, 10 * 60 * 1000);
  int('status', 400, 599);
  const when = input.when;
  if (when !== undefined && when !== null) {
    if (when !== 'before' && when !== 'after')
      throw bad(`when must be "before" or "after"; got ${JSON.stringify(when)}`);
    spec.when = when;
  }
  if (spec.kind === 'notify.delay' && spec.delayMs === undefined)
    throw bad('notify.delay needs delayMs (virtual ms)');
  const known = new Set([
    'kind',
    'outTradeNo',
    'eventType',
    'path',
    'method',
    'code',
    'count',
    'delayMs',
    'window',
    'hangMs',
    'status',
    'when',
  ]);
  for (const k of Object.keys(input)) if (!known.has(k)) throw bad(`unknown fault field "${k}"`);
  return spec;
}

function bad(message: string): ControlError {
  return new ControlError(400, 'SIM.BAD_FAULT', message);
}

/** The active faults, persisted in the journal. */
export class FaultBook {
  constructor(
    private readonly store: JournalStore,
    private readonly now: () => number,
  ) {}

  /** All active faults, oldest first. */
  list(): FaultRecord[] {
    return [...this.store.all<FaultRecord>(COLLECTION).values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Adds a validated fault. */
  add(spec: FaultSpec): FaultRecord {
    const rec: FaultRecord = { ...spec, id: randomUUID(), createdAt: this.now(), hits: 0 };
    if (spec.count !== undefined) rec.remaining = spec.count;
    this.store.put(COLLECTION, rec.id, rec);
    return rec;
  }

  /** Removes one fault; false if it did not exist. */
  remove(id: string): boolean {
    if (!this.store.get(COLLECTION, id)) return false;
    this.store.delete(COLLECTION, id);
    return true;
  }

  /** Removes every fault. */
  clear(): void {
    for (const id of [...this.store.all(COLLECTION).keys()]) this.store.delete(COLLECTION, id);
  }

  /** The first active fault of `kind` matching `ctx` (and `extra`), consumed once (count-limited ones expire at 0). */
  take(kind: FaultKind, ctx: FaultContext, extra?: (f: FaultRecord) => boolean): FaultRecord | undefined {
    const f = this.list().find(
      (r) => r.kind === kind && matches(r, ctx) && (extra === undefined || extra(r)),
    );
    if (!f) return undefined;
    const updated: FaultRecord = { ...f, hits: f.hits + 1 };
    if (updated.remaining !== undefined) updated.remaining -= 1;
    if (updated.remaining !== undefined && updated.remaining <= 0) this.store.delete(COLLECTION, f.id);
    else this.store.put(COLLECTION, f.id, updated);
    return updated;
  }
}

function matches(f: FaultRecord, ctx: FaultContext): boolean {
  if (f.outTradeNo !== undefined && f.outTradeNo !== ctx.outTradeNo) return false;
  if (f.eventType !== undefined && !(ctx.eventType ?? '').startsWith(f.eventType)) return false;
  if (f.path !== undefined && !(ctx.path ?? '').includes(f.path)) return false;
  if (f.method !== undefined && f.method.toUpperCase() !== (ctx.method ?? '').toUpperCase()) return false;
  return true;
}
