// db.command (`_`) and the other value builders of the database surface: query operators, logic combinators, update
// operators, db.serverDate() and db.RegExp(). They are inert descriptions; translate.ts turns them into MongoDB-style
// filters and modifiers for the engine.
import type {
  DbCommand,
  DbLogicCommand,
  DbQueryCommand,
  DbRegExpValue,
  DbServerDate,
  DbUpdateCommand,
  LogicOp,
  QueryOp,
  UpdateOp,
} from './types';

function flatten(args: readonly unknown[]): unknown[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as unknown[])] : [...args];
}

/** A field-level query operator such as `_.gt(5)`; chainable with `.and()` / `.or()`. */
export class QueryCommand implements DbQueryCommand {
  readonly kind = 'query';
  constructor(
    readonly op: QueryOp,
    readonly operand: unknown,
  ) {}
  /** `_.gt(1).and(_.lt(5))`: both must hold for the field. */
  and(...others: unknown[]): LogicCommand {
    return new LogicCommand('and', [this, ...flatten(others)]);
  }
  /** `_.eq(1).or(_.eq(2))`: either may hold for the field. */
  or(...others: unknown[]): LogicCommand {
    return new LogicCommand('or', [this, ...flatten(others)]);
  }
}

/** and / or / nor / not over field conditions or (at the top of a where) over whole query objects. */
export class LogicCommand implements DbLogicCommand {
  readonly kind = 'logic';
  constructor(
    readonly op: LogicOp,
    readonly operands: readonly unknown[],
  ) {}
  /** Adds further conditions that must all hold. */
  and(...others: unknown[]): LogicCommand {
    return new LogicCommand('and', [this, ...flatten(others)]);
  }
  /** Adds alternatives. */
  or(...others: unknown[]): LogicCommand {
    return new LogicCommand('or', [this, ...flatten(others)]);
  }
}

/** An update operator such as `_.inc(1)`; only valid inside update data. */
export class UpdateCommand implements DbUpdateCommand {
  readonly kind = 'update';
  constructor(
    readonly op: UpdateOp,
    readonly operand: unknown,
  ) {}
}

/** `db.serverDate({offset})`: the server's clock at write time, plus `offsetMs`. */
export class ServerDate implements DbServerDate {
  readonly kind = 'serverDate';
  constructor(readonly offsetMs: number) {}
}

/** `db.RegExp({regexp, options})`: a regular-expression match. */
export class DbRegExp implements DbRegExpValue {
  readonly kind = 'regexp';
  constructor(
    readonly regexp: string,
    readonly options: string,
  ) {}
}

/** Builds the `db.command` object. */
export function createCommand(): DbCommand {
  const q = (op: QueryOp) => (operand: unknown) => new QueryCommand(op, operand);
  const u = (op: UpdateOp) => (operand?: unknown) => new UpdateCommand(op, operand);
  return {
    eq: q('eq'),
    neq: q('neq'),
    lt: q('lt'),
    lte: q('lte'),
    gt: q('gt'),
    gte: q('gte'),
    in: q('in'),
    nin: q('nin'),
    exists: q('exists'),
    size: q('size'),
    all: q('all'),
    elemMatch: q('elemMatch'),
    and: (...args: unknown[]) => new LogicCommand('and', flatten(args)),
    or: (...args: unknown[]) => new LogicCommand('or', flatten(args)),
    nor: (...args: unknown[]) => new LogicCommand('nor', flatten(args)),
    not: (condition: unknown) => new LogicCommand('not', [condition]),
    set: u('set'),
    remove: () => new UpdateCommand('remove', undefined),
    inc: u('inc'),
    mul: u('mul'),
    push: u('push'),
    pull: u('pull'),
    pullAll: u('pullAll'),
    addToSet: u('addToSet'),
    pop: () => new UpdateCommand('pop', undefined),
    shift: () => new UpdateCommand('shift', undefined),
    unshift: u('unshift'),
    min: u('min'),
    max: u('max'),
    rename: u('rename'),
  };
}
