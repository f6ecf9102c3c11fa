// Fast paths for the filters, modifiers and sorts the shop's code actually sends — equality and ranges on scalar
// fields, presence ($exists), $set/$inc/$unset on plain paths, sorting by one kind of scalar — evaluated directly instead of through mingo,
// whose every Query and update copies its operator tables (most of the database's CPU under load). Each fast path
// answers only where its result is certain to be mingo's (scalars, no arrays on the path, no overlapping paths) and
// says "undecided" otherwise, so the caller falls back to mingo: the semantics stay mingo's (fast-path.test.ts checks
// that on random documents and queries).
import { cloneDoc, isDate, isPlainObject, type Doc } from './values';

/** A filter test that may decline: undefined = ask mingo. */
export type FastPredicate = (doc: Doc) => boolean | undefined;

type Scalar = string | number | boolean | null;

const UNDECIDED = Symbol('undecided');

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** The scalar at `path`, undefined when missing, UNDECIDED when an array, object or Date is on the way or there. */
function scalarAt(doc: Doc, parts: readonly string[]): Scalar | undefined | typeof UNDECIDED {
  let cur: unknown = doc;
  for (const part of parts) {
    if (cur === undefined || cur === null) return undefined;
    if (Array.isArray(cur) || isDate(cur)) return UNDECIDED;
    if (typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || isScalar(cur)) return cur;
  return UNDECIDED;
}

type Test = (v: Scalar | undefined) => boolean;

function eqTest(operand: Scalar): Test {
  return operand === null ? (v) => v === null || v === undefined : (v) => v === operand;
}

function rangeTest(op: string, operand: unknown): Test | null {
  // Only numbers against numbers and strings against strings: other pairs follow BSON type order, left to mingo.
  if (typeof operand === 'number') {
    const o = operand;
    const num =
      (f: (v: number) => boolean): Test =>
      (v) =>
        typeof v === 'number' && f(v);
    if (op === '$gt') return num((v) => v > o);
    if (op === '$gte') return num((v) => v >= o);
    if (op === '$lt') return num((v) => v < o);
    if (op === '$lte') return num((v) => v <= o);
  }
  if (typeof operand === 'string') {
    const o = operand;
    const str =
      (f: (v: string) => boolean): Test =>
      (v) =>
        typeof v === 'string' && f(v);
    if (op === '$gt') return str((v) => v > o);
    if (op === '$gte') return str((v) => v >= o);
    if (op === '$lt') return str((v) => v < o);
    if (op === '$lte') return str((v) => v <= o);
  }
  return null;
}

function conditionTests(cond: unknown): Test[] | null {
  if (isScalar(cond)) return [eqTest(cond)];
  if (!isPlainObject(cond)) return null;
  const tests: Test[] = [];
  for (const [op, operand] of Object.entries(cond)) {
    if (op === '$eq' || op === '$ne') {
      if (!isScalar(operand)) return null;
      const eq = eqTest(operand);
      tests.push(op === '$eq' ? eq : (v) => !eq(v));
    } else if (op === '$exists') {
      // Presence, null included; only a boolean operand (mingo reads others its own way).
      if (typeof operand !== 'boolean') return null;
      tests.push(operand ? (v) => v !== undefined : (v) => v === undefined);
    } else if (op === '$in' || op === '$nin') {
      if (!Array.isArray(operand)) return null;
      const values: unknown[] = operand;
      if (!values.every(isScalar)) return null;
      const eqs = values.map(eqTest);
      tests.push(op === '$in' ? (v) => eqs.some((t) => t(v)) : (v) => !eqs.some((t) => t(v)));
    } else {
      const t = rangeTest(op, operand);
      if (t === null) return null;
      tests.push(t);
    }
  }
  return tests.length > 0 ? tests : null;
}

/** A direct test for `filter`, or null when it uses anything beyond a conjunction of simple scalar conditions. */
export function compileFastFilter(filter: Record<string, unknown>): FastPredicate | null {
  const fields: { parts: string[]; tests: Test[] }[] = [];
  const collect = (f: Record<string, unknown>): boolean => {
    for (const [key, cond] of Object.entries(f)) {
      if (key === '$and') {
        if (!Array.isArray(cond) || cond.length === 0) return false;
        for (const c of cond as unknown[]) if (!isPlainObject(c) || !collect(c)) return false;
        continue;
      }
      if (key.startsWith('$') || key === '') return false;
      const parts = key.split('.');
      if (parts.some((p) => p === '' || /^\d+$/.test(p))) return false;
      const tests = conditionTests(cond);
      if (tests === null) return false;
      fields.push({ parts, tests });
    }
    return true;
  };
  if (!collect(filter)) return null;
  return (doc) => {
    let undecided = false;
    for (const { parts, tests } of fields) {
      const v = scalarAt(doc, parts);
      if (v === UNDECIDED) {
        undecided = true;
        continue;
      }
      for (const t of tests) if (!t(v)) return false;
    }
    return undecided ? undefined : true;
  };
}

const FAST_OPS = new Set(['$set', '$inc', '$unset']);

/**
 * Applies a modifier made only of $set/$inc/$unset on plain, non-overlapping paths through objects, to a copy the
 * caller owns (`copy`: deep copies of the top-level fields changed inside; a field replaced whole may still be the
 * old document's, since it is only reassigned). A $set value is copied unless `owned` (the caller's fresh copy).
 * Answers false, leaving `copy` untouched, when it declines.
 */
export function applyFastModifier(copy: Doc, modifier: Record<string, unknown>, owned = false): boolean {
  const steps: { op: string; parts: string[]; value: unknown }[] = [];
  const paths: string[] = [];
  for (const [op, fields] of Object.entries(modifier)) {
    if (!FAST_OPS.has(op) || !isPlainObject(fields)) return false;
    for (const [path, value] of Object.entries(fields)) {
      const parts = path.split('.');
      if (parts.some((p) => p === '' || p.startsWith('$') || /^\d+$/.test(p))) return false;
      if (op === '$inc' && typeof value !== 'number') return false;
      steps.push({ op, parts, value });
      paths.push(path);
    }
  }
  // Overlapping paths ("a" and "a.b") are an error in MongoDB; let mingo decide what happens.
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] ?? '';
    const b = sorted[i] ?? '';
    if (b === a || b.startsWith(`${a}.`)) return false;
  }
  // Check every step first, so a decline never leaves a half-changed copy.
  for (const { op, parts } of steps) {
    let cur: unknown = copy;
    for (let i = 0; i < parts.length - 1; i++) {
      const next: unknown = (cur as Record<string, unknown>)[parts[i] ?? ''];
      if (next === undefined) {
        if (op === '$unset') break;
        cur = undefined;
        break;
      }
      if (!isPlainObject(next)) return false;
      cur = next;
    }
    if (cur !== undefined && op === '$inc') {
      const leaf = (cur as Record<string, unknown>)[parts[parts.length - 1] ?? ''];
      if (leaf !== undefined && typeof leaf !== 'number') return false;
    }
  }
  for (const { op, parts, value } of steps) {
    let cur = copy as Record<string, unknown>;
    let missing = false;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] ?? '';
      let next = cur[part];
      if (next === undefined) {
        if (op === '$unset') {
          missing = true;
          break;
        }
        next = {};
        cur[part] = next;
      }
      cur = next as Record<string, unknown>;
    }
    if (missing) continue;
    const leaf = parts[parts.length - 1] ?? '';
    if (op === '$set')
      cur[leaf] = !owned && (isPlainObject(value) || Array.isArray(value)) ? cloneDoc(value) : value;
    else if (op === '$inc') cur[leaf] = ((cur[leaf] as number | undefined) ?? 0) + (value as number);
    else delete cur[leaf];
  }
  return true;
}

/** Sorts by `sort` directly when every key's values are all numbers or all strings; null when mingo must. */
export function fastSort(docs: readonly Doc[], sort: readonly [string, 1 | -1][]): Doc[] | null {
  const keys = sort.map(([field, dir]) => ({ parts: field.split('.'), dir }));
  const values: (number | string)[][] = [];
  for (const { parts } of keys) {
    const col: (number | string)[] = [];
    let kind: 'number' | 'string' | undefined;
    for (const d of docs) {
      const v = scalarAt(d, parts);
      if (typeof v !== 'number' && typeof v !== 'string') return null;
      if (kind === undefined) kind = typeof v === 'number' ? 'number' : 'string';
      else if (typeof v !== kind) return null;
      col.push(v);
    }
    values.push(col);
  }
  const order = docs.map((_, i) => i);
  // Array.prototype.sort is stable: ties keep the scan order, as mingo's sort does.
  order.sort((a, b) => {
    for (let k = 0; k < keys.length; k++) {
      const col = values[k] ?? [];
      const x = col[a] ?? 0;
      const y = col[b] ?? 0;
      if (x < y) return -(keys[k]?.dir ?? 1);
      if (x > y) return keys[k]?.dir ?? 1;
    }
    return 0;
  });
  return order.map((i) => docs[i] as Doc);
}
