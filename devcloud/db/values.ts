// Document values: what may be stored, realm-safe type checks, deep cloning and the on-disk encoding.
// Function bundles run through node:vm, so under jest their objects come from another realm: `instanceof Date` or
// `Object.getPrototypeOf(x) === Object.prototype` would lie. Every check here is realm-independent, and every value
// entering the store is cloned into this realm so later code (mingo, nedb) sees ordinary objects.
import { types } from 'node:util';
import { InvalidInputError } from './errors';

/** A stored document: `_id` plus JSON values and Dates. */
export type Doc = { _id: string } & Record<string, unknown>;

/** True for Date objects from any realm. */
export function isDate(v: unknown): v is Date {
  return types.isDate(v);
}

/** True for RegExp objects from any realm. */
export function isRegExp(v: unknown): v is RegExp {
  return types.isRegExp(v);
}

/** True for plain `{}` objects (object literals or Object.create(null)) from any realm. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  if (Object.prototype.toString.call(v) !== '[object Object]') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Deep-clones a storable value into this realm, validating it: strings, finite numbers, booleans, null, valid Dates,
 * arrays and plain objects. `undefined` object fields are dropped (as JSON does); field names may not be empty, start
 * with "$" or contain "." (the cloud treats dots as paths). `where` names the value in error messages.
 */
export function cloneStorable(v: unknown, where: string): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v))
      throw new InvalidInputError(`${where} must be a finite number, got ${String(v)}`);
    return v;
  }
  if (isDate(v)) {
    const t = v.getTime();
    if (Number.isNaN(t)) throw new InvalidInputError(`${where} is an invalid Date`);
    return new Date(t);
  }
  if (Array.isArray(v)) {
    return v.map((item: unknown, i) => (item === undefined ? null : cloneStorable(item, `${where}[${i}]`)));
  }
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined) continue;
      assertFieldName(k, where);
      out[k] = cloneStorable(item, `${where}.${k}`);
    }
    return out;
  }
  throw new InvalidInputError(
    `${where} has an unsupported value type (${describeType(v)}); store JSON values or Dates`,
  );
}

/** Refuses field names the cloud database and the datafile cannot hold. */
export function assertFieldName(k: string, where: string): void {
  if (k === '') throw new InvalidInputError(`${where} has an empty field name`);
  if (k.startsWith('$')) throw new InvalidInputError(`${where}: field name "${k}" must not start with "$"`);
  if (k.includes('.'))
    throw new InvalidInputError(`${where}: field name "${k}" must not contain "." (dots are paths)`);
}

/** A short type description for error messages (never the value itself, which may be a secret). */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') {
    const tag = Object.prototype.toString.call(v).slice(8, -1);
    const ctor = (v as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === 'string' && ctor !== tag ? `${tag} (${ctor})` : tag;
  }
  return typeof v;
}

/**
 * True when `v` is already what {@link cloneStorable} would make of it: this realm's plain objects, arrays and Dates,
 * finite numbers, no undefined, valid field names. False means "copy it with cloneStorable" (which normalises it or
 * throws). A frozen object counts as normal without a look inside: only the store freezes, and only its documents.
 */
export function isNormalStorable(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object') return false;
  if (Object.isFrozen(v)) return true;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Date.prototype) return !Number.isNaN((v as Date).getTime());
  if (proto === Array.prototype) {
    const a = v as unknown[];
    for (let i = 0; i < a.length; i++)
      if (!(i in a) || a[i] === undefined || !isNormalStorable(a[i])) return false;
    return true;
  }
  if (proto !== Object.prototype) return false;
  // for-in, not Object.entries: no array per key (a plain object of this realm has no enumerable inherited keys).
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (k === '' || k.startsWith('$') || k.includes('.')) return false;
    const x = o[k];
    if (x === undefined || !isNormalStorable(x)) return false;
  }
  return true;
}

/**
 * Deep-clones a value already known to be storable (documents read out of the store: plain objects of this realm, so
 * for-in sees exactly their own keys, without the array per key Object.entries would allocate).
 */
export function cloneDoc<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x: unknown) => cloneDoc(x)) as T;
  if (isDate(v)) return new Date(v.getTime()) as T;
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in src) out[k] = cloneDoc(src[k]);
  return out as T;
}

/** Structural equality of storable values (Dates by time, objects by keys regardless of order). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isDate(a) || isDate(b)) return isDate(a) && isDate(b) && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
    );
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Reads a dot path ("a.b.0.c") from a document; undefined when any step is missing. */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part)) return undefined;
      cur = cur[Number(part)];
    } else {
      cur = (cur as Record<string, unknown>)[part];
    }
  }
  return cur;
}

/** Serialises a storable value to one JSON line; Dates become {"$$date": ms} (the datafile's own convention). */
export function encodeLine(v: unknown): string {
  // A replacer function costs a call per key; most documents hold no Date, and for them plain JSON is the same text.
  return containsDate(v) ? JSON.stringify(v, dateReplacer) : JSON.stringify(v);
}

function dateReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  return isDate(original) ? { $$date: original.getTime() } : value;
}

function containsDate(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (const x of v) if (containsDate(x)) return true;
    return false;
  }
  if (isDate(v)) return true;
  const o = v as Record<string, unknown>;
  for (const k in o) if (containsDate(o[k])) return true;
  return false;
}

/** Parses a line written by {@link encodeLine}, restoring Dates. Throws SyntaxError on a torn or corrupt line. */
export function decodeLine(line: string): unknown {
  return JSON.parse(line, (_key, value: unknown) => {
    if (isPlainObject(value) && Object.keys(value).length === 1 && typeof value.$$date === 'number') {
      return new Date(value.$$date);
    }
    return value;
  });
}
