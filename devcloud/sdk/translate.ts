// Cloud query/update syntax → MongoDB-style filters and modifiers (evaluated by mingo in db/engine.ts).
// Cloud semantics kept here on purpose:
//  - a nested plain object in a query or an update is flattened into dot paths: where({style: {color: 'red'}}) matches
//    style.color, and update({data: {style: {color: 'red'}}}) changes only style.color (use _.set to replace an object);
//  - raw "$" operators are refused in data and queries (the cloud SDK takes operators only from db.command), which also
//    stops operator injection through JSON that reaches a query;
//  - db.serverDate() is resolved to the server clock when the write is translated.
import { InvalidInputError } from '../db/errors';
import {
  assertFieldName,
  cloneStorable,
  describeType,
  isDate,
  isPlainObject,
  isRegExp,
  type Doc,
} from '../db/values';
import { DbRegExp, LogicCommand, QueryCommand, ServerDate, UpdateCommand } from './command';

/** A MongoDB-style filter or modifier object. */
export type MongoObject = Record<string, unknown>;

function clauseList(clauses: MongoObject[]): MongoObject {
  if (clauses.length === 0) return {};
  if (clauses.length === 1) return clauses[0] ?? {};
  return { $and: clauses };
}

/** Translates the argument of where(): a query object or a top-level logic command. */
export function translateWhere(query: unknown): MongoObject {
  if (query instanceof LogicCommand) return topLogic(query);
  if (isPlainObject(query)) return clauseList(queryClauses(query, ''));
  throw new InvalidInputError(
    `where() expects a query object or db.command.and/or/nor, got ${describeType(query)}`,
  );
}

function topLogic(cmd: LogicCommand): MongoObject {
  if (cmd.op === 'not')
    throw new InvalidInputError('db.command.not applies to a field: where({field: _.not(...)})');
  if (cmd.operands.length === 0)
    throw new InvalidInputError(`db.command.${cmd.op} needs at least one condition`);
  return { [`$${cmd.op}`]: cmd.operands.map((o) => translateWhere(o)) };
}

function queryClauses(obj: Record<string, unknown>, prefix: string): MongoObject[] {
  const clauses: MongoObject[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const path = joinPath(prefix, key, 'where()');
    clauses.push(...fieldCondition(path, value));
  }
  return clauses;
}

function fieldCondition(path: string, value: unknown): MongoObject[] {
  if (value instanceof QueryCommand) return [{ [path]: queryOperator(value, path) }];
  if (value instanceof LogicCommand) {
    if (value.operands.length === 0)
      throw new InvalidInputError(`${path}: db.command.${value.op} needs a condition`);
    const parts = value.operands.map((o) => clauseList(fieldCondition(path, o)));
    return [{ [`$${value.op === 'not' ? 'nor' : value.op}`]: parts }];
  }
  if (value instanceof UpdateCommand) {
    throw new InvalidInputError(`${path}: update operator _.${value.op}() cannot be used in a query`);
  }
  if (value instanceof ServerDate)
    throw new InvalidInputError(`${path}: db.serverDate() cannot be used in a query`);
  if (value instanceof DbRegExp || isRegExp(value)) return [{ [path]: regexOperator(value, path) }];
  if (isPlainObject(value) && Object.keys(value).length > 0) return queryClauses(value, path);
  return [{ [path]: { $eq: cloneStorable(value, `where().${path}`) } }];
}

function regexOperator(value: DbRegExp | RegExp, path: string): MongoObject {
  const source = value instanceof DbRegExp ? value.regexp : value.source;
  const options = value instanceof DbRegExp ? value.options : value.flags;
  if (typeof source !== 'string') throw new InvalidInputError(`${path}: db.RegExp needs a string regexp`);
  if (!/^[imsux]*$/.test(options))
    throw new InvalidInputError(`${path}: unsupported regexp options "${options}"`);
  try {
    new RegExp(source, options.replace(/x/g, ''));
  } catch (e) {
    throw new InvalidInputError(`${path}: invalid regexp: ${(e as Error).message}`);
  }
  return { $regex: source, $options: options };
}

function queryOperator(cmd: QueryCommand, path: string): MongoObject {
  const where = `where().${path} (_.${cmd.op})`;
  const v = cmd.operand;
  switch (cmd.op) {
    case 'eq':
      return { $eq: cloneStorable(v, where) };
    case 'neq':
      return { $ne: cloneStorable(v, where) };
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return { [`$${cmd.op}`]: cloneStorable(v, where) };
    case 'in':
    case 'nin':
    case 'all':
      if (!Array.isArray(v)) throw new InvalidInputError(`${where} expects an array`);
      return { [`$${cmd.op}`]: cloneStorable(v, where) };
    case 'exists':
      if (typeof v !== 'boolean') throw new InvalidInputError(`${where} expects true or false`);
      return { $exists: v };
    case 'size':
      if (!Number.isInteger(v) || (v as number) < 0)
        throw new InvalidInputError(`${where} expects an integer >= 0`);
      return { $size: v };
    case 'elemMatch':
      if (v instanceof QueryCommand) return { $elemMatch: queryOperator(v, path) };
      return { $elemMatch: translateWhere(v) };
  }
}

function joinPath(prefix: string, key: string, api: string): string {
  const parts = key.split('.');
  for (const p of parts) assertFieldName(p, `${api} field "${key}"`);
  return prefix === '' ? key : `${prefix}.${key}`;
}

/** Thrown by {@link fastClone} at the first value it cannot take (made once: no stack taken per throw). */
const REFUSED = new Error('refused by the fast clone; the named clone says why');

/**
 * {@link cloneWithServerDates} without building a `where` text for every field (a document of a hundred fields made a
 * hundred strings only an error message would ever read): throws REFUSED at anything it cannot take as is.
 */
function fastClone(v: unknown, nowMs: number): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw REFUSED;
    return v;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      out[i] = x === undefined ? null : fastClone(x, nowMs);
    }
    return out;
  }
  if (v instanceof ServerDate) return new Date(nowMs + v.offsetMs);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const x = v[k];
      if (x === undefined) continue;
      if (k === '' || k.charCodeAt(0) === 36 /* $ */ || k.includes('.')) throw REFUSED;
      out[k] = fastClone(x, nowMs);
    }
    return out;
  }
  if (isDate(v)) {
    const t = v.getTime();
    if (Number.isNaN(t)) throw REFUSED;
    return new Date(t);
  }
  throw REFUSED;
}

/** Clones a value that may contain db.serverDate() anywhere, resolving it against `nowMs`. */
export function cloneWithServerDates(v: unknown, where: string, nowMs: number): unknown {
  try {
    return fastClone(v, nowMs);
  } catch (e) {
    if (e !== REFUSED) throw e;
  }
  return namedClone(v, where, nowMs);
}

/** The same clone, naming the field it refuses (and why) in its error. */
function namedClone(v: unknown, where: string, nowMs: number): unknown {
  if (v instanceof ServerDate) return new Date(nowMs + v.offsetMs);
  if (v instanceof QueryCommand || v instanceof LogicCommand || v instanceof UpdateCommand) {
    throw new InvalidInputError(`${where}: a db.command operator is not allowed here`);
  }
  if (Array.isArray(v))
    return v.map((x: unknown, i) => (x === undefined ? null : namedClone(x, `${where}[${i}]`, nowMs)));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      assertFieldName(k, where);
      out[k] = namedClone(x, `${where}.${k}`, nowMs);
    }
    return out;
  }
  return cloneStorable(v, where);
}

/**
 * Translates add()/set() data into a document body (no _id handling here). Update operators are refused: set()
 * replaces the whole document.
 */
export function translateDocument(data: unknown, api: string, nowMs: number): Record<string, unknown> {
  if (!isPlainObject(data))
    throw new InvalidInputError(`${api}: data must be an object, got ${describeType(data)}`);
  return cloneWithServerDates(data, `${api} data`, nowMs) as Record<string, unknown>;
}

/** Translates update() data into a MongoDB modifier; refuses _id changes and conflicting paths. */
export function translateUpdate(data: unknown, api: string, nowMs: number): MongoObject {
  if (!isPlainObject(data))
    throw new InvalidInputError(`${api}: data must be an object, got ${describeType(data)}`);
  const modifier: Record<string, Record<string, unknown>> = {};
  const paths: string[] = [];
  const put = (op: string, path: string, value: unknown) => {
    (modifier[op] ??= {})[path] = value;
    paths.push(path);
  };
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(obj)) {
      if (value === undefined) continue;
      const path = joinPath(prefix, key, api);
      if (path === '_id' || path.startsWith('_id.'))
        throw new InvalidInputError(`${api}: _id cannot be updated`);
      const where = `${api} data.${path}`;
      if (value instanceof UpdateCommand) updateOperator(value, path, where, nowMs, put);
      else if (value instanceof QueryCommand || value instanceof LogicCommand) {
        throw new InvalidInputError(`${where}: query operator _.${value.op}() cannot be used in update data`);
      } else if (isPlainObject(value) && Object.keys(value).length > 0) walk(value, path);
      else put('$set', path, cloneWithServerDates(value, where, nowMs));
    }
  };
  walk(data, '');
  if (paths.length === 0) throw new InvalidInputError(`${api}: data has no fields to update`);
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] ?? '';
    const b = sorted[i] ?? '';
    if (a === b || b.startsWith(`${a}.`)) {
      throw new InvalidInputError(`${api}: updating the path "${b}" would conflict with "${a}"`);
    }
  }
  return modifier;
}

function updateOperator(
  cmd: UpdateCommand,
  path: string,
  where: string,
  nowMs: number,
  put: (op: string, path: string, value: unknown) => void,
): void {
  const v = cmd.operand;
  const num = (): number => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new InvalidInputError(`${where} (_.${cmd.op}) expects a number`);
    return v;
  };
  const arr = (): unknown[] => {
    if (!Array.isArray(v)) throw new InvalidInputError(`${where} (_.${cmd.op}) expects an array`);
    return cloneWithServerDates(v, where, nowMs) as unknown[];
  };
  switch (cmd.op) {
    case 'set':
      put('$set', path, cloneWithServerDates(v, where, nowMs));
      return;
    case 'remove':
      put('$unset', path, '');
      return;
    case 'inc':
    case 'mul':
    case 'min':
    case 'max':
      put(
        `$${cmd.op}`,
        path,
        cmd.op === 'inc' || cmd.op === 'mul' ? num() : cloneWithServerDates(v, where, nowMs),
      );
      return;
    case 'push': {
      if (Array.isArray(v)) {
        put('$push', path, { $each: arr() });
      } else if (isPlainObject(v) && Array.isArray(v.each)) {
        const spec: Record<string, unknown> = { $each: cloneWithServerDates(v.each, where, nowMs) };
        if (v.position !== undefined) spec.$position = v.position;
        if (v.slice !== undefined) spec.$slice = v.slice;
        if (v.sort !== undefined) spec.$sort = v.sort;
        put('$push', path, spec);
      } else {
        put('$push', path, { $each: [cloneWithServerDates(v, where, nowMs)] });
      }
      return;
    }
    case 'unshift':
      put('$push', path, {
        $each: Array.isArray(v) ? arr() : [cloneWithServerDates(v, where, nowMs)],
        $position: 0,
      });
      return;
    case 'addToSet':
      if (isPlainObject(v) && Array.isArray(v.each))
        put('$addToSet', path, { $each: cloneWithServerDates(v.each, where, nowMs) });
      else put('$addToSet', path, cloneWithServerDates(v, where, nowMs));
      return;
    case 'pull':
      if (v instanceof QueryCommand) put('$pull', path, queryOperator(v, path));
      else if (v instanceof LogicCommand || (isPlainObject(v) && Object.keys(v).length > 0))
        put('$pull', path, translateWhere(v));
      else put('$pull', path, cloneStorable(v, where));
      return;
    case 'pullAll':
      put('$pullAll', path, arr());
      return;
    case 'pop':
      put('$pop', path, 1);
      return;
    case 'shift':
      put('$pop', path, -1);
      return;
    case 'rename': {
      if (typeof v !== 'string' || v === '')
        throw new InvalidInputError(`${where} (_.rename) expects a field name`);
      joinPath('', v, where);
      put('$rename', path, v);
      return;
    }
  }
}

/** Translates field({a: true, b: false}) into a projection; _id is kept unless excluded. */
export function translateProjection(projection: unknown): Record<string, 0 | 1> {
  if (!isPlainObject(projection)) throw new InvalidInputError('field() expects an object like {name: true}');
  const out: Record<string, 0 | 1> = {};
  for (const [k, v] of Object.entries(projection)) {
    joinPath('', k, 'field()');
    out[k] = v ? 1 : 0;
  }
  return out;
}

/** Narrowing helper for documents produced by translation. */
export function asDoc(body: Record<string, unknown>, id: string): Doc {
  return { ...body, _id: id };
}
