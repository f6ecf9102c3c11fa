// JSON wire format of the client database endpoint (the stand-in for wx.cloud.database() on the mini program side):
// db.command values, Dates, db.serverDate() and db.RegExp() cannot travel as JSON, so they are tagged objects:
//   {"$date": "2026-01-02T03:04:05.000Z"}       a Date
//   {"$serverDate": {"offset": 0}}               db.serverDate()
//   {"$regex": "^a", "$options": "i"}            db.RegExp() / a RegExp
//   {"$cmd": "gt", "args": [5]}                  _.gt(5); logic commands carry their operands as args
// Any other "$" key is refused, so raw MongoDB operators cannot be smuggled into a query.
import { InvalidInputError } from '../db/errors';
import { isDate, isPlainObject, isRegExp } from '../db/values';
import { DbRegExp, LogicCommand, QueryCommand, ServerDate, UpdateCommand } from './command';
import type { LogicOp, QueryOp, UpdateOp } from './types';

const QUERY_OPS: readonly QueryOp[] = [
  'eq',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'in',
  'nin',
  'exists',
  'size',
  'all',
  'elemMatch',
];
const LOGIC_OPS: readonly LogicOp[] = ['and', 'or', 'nor', 'not'];
const UPDATE_OPS: readonly UpdateOp[] = [
  'set',
  'remove',
  'inc',
  'mul',
  'push',
  'pull',
  'pullAll',
  'addToSet',
  'pop',
  'shift',
  'unshift',
  'min',
  'max',
  'rename',
];

/** Encodes a value (query, data) for the wire. */
export function encodeWire(v: unknown): unknown {
  if (v instanceof QueryCommand || v instanceof UpdateCommand) {
    return { $cmd: v.op, args: v.operand === undefined ? [] : [encodeWire(v.operand)] };
  }
  if (v instanceof LogicCommand) return { $cmd: v.op, args: v.operands.map((o) => encodeWire(o)) };
  if (v instanceof ServerDate) return { $serverDate: { offset: v.offsetMs } };
  if (v instanceof DbRegExp) return { $regex: v.regexp, $options: v.options };
  if (isRegExp(v)) return { $regex: v.source, $options: v.flags };
  if (isDate(v)) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map((x) => encodeWire(x));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = encodeWire(x);
    return out;
  }
  return v;
}

/** Decodes a wire value back into command objects, Dates and sentinels; refuses unknown "$" keys. */
export function decodeWire(v: unknown, where = 'value'): unknown {
  if (Array.isArray(v)) return v.map((x, i) => decodeWire(x, `${where}[${i}]`));
  if (!isPlainObject(v)) return v;
  const keys = Object.keys(v);
  if (keys.some((k) => k.startsWith('$'))) {
    if (keys.length === 1 && typeof v.$date === 'string') {
      const d = new Date(v.$date);
      if (Number.isNaN(d.getTime())) throw new InvalidInputError(`${where}: invalid $date`);
      return d;
    }
    if (keys.length === 1 && isPlainObject(v.$serverDate)) {
      const offset = v.$serverDate.offset ?? 0;
      if (typeof offset !== 'number' || !Number.isFinite(offset))
        throw new InvalidInputError(`${where}: invalid $serverDate offset`);
      return new ServerDate(offset);
    }
    if (typeof v.$regex === 'string' && keys.every((k) => k === '$regex' || k === '$options')) {
      return new DbRegExp(v.$regex, typeof v.$options === 'string' ? v.$options : '');
    }
    if (typeof v.$cmd === 'string' && Array.isArray(v.args) && keys.length === 2) {
      const args = v.args.map((a, i) => decodeWire(a, `${where}.args[${i}]`));
      const op = v.$cmd;
      if ((LOGIC_OPS as readonly string[]).includes(op)) return new LogicCommand(op as LogicOp, args);
      if ((QUERY_OPS as readonly string[]).includes(op)) return new QueryCommand(op as QueryOp, args[0]);
      if ((UPDATE_OPS as readonly string[]).includes(op)) return new UpdateCommand(op as UpdateOp, args[0]);
      throw new InvalidInputError(`${where}: unknown command "${op}"`);
    }
    throw new InvalidInputError(`${where}: field names must not start with "$" (use the tagged wire forms)`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = decodeWire(x, `${where}.${k}`);
  return out;
}
