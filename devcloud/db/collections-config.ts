// data/collections.json: the one declaration of the project's collections, their indexes and their client permissions.
// The local cloud applies it at start; the same file is applied by hand in the cloud console (README). Parsing is strict
// and every error names the exact path, because a typo here silently weakens a unique index or a permission.
import { readFileSync } from 'node:fs';
import { isPlainObject } from './values';

/** A permission rule value: a constant or one of the supported expressions (see {@link parseRuleExpression}). */
export type RuleValue = boolean | string;

/** Custom security rules ("安全规则"): per operation, `write` covering create/update/delete unless they are given. */
export interface SecurityRules {
  read?: RuleValue;
  write?: RuleValue;
  create?: RuleValue;
  update?: RuleValue;
  delete?: RuleValue;
}

/** The cloud console's basic permissions, or custom security rules. */
export type Permission = 'ADMINONLY' | 'READONLY' | 'PRIVATE' | 'ADMINWRITE' | SecurityRules;

/** One index field; `order` only matters to the cloud's query planner. */
export interface IndexField {
  field: string;
  order: 'asc' | 'desc';
}

/** An index as the cloud console creates it: a name, ordered fields, unique or not. */
export interface IndexSpec {
  name: string;
  fields: IndexField[];
  unique: boolean;
}

/** One collection's declaration. */
export interface CollectionSpec {
  name: string;
  description?: string;
  permission: Permission;
  indexes: IndexSpec[];
}

/** The parsed collections file. */
export interface CollectionsConfig {
  collections: CollectionSpec[];
}

/** The basic permission names the console offers (AclTag values of the cloud API). */
export const BASIC_PERMISSIONS = ['ADMINONLY', 'READONLY', 'PRIVATE', 'ADMINWRITE'] as const;

/** A collection name the cloud accepts and that is safe as a file name. */
export const COLLECTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

const RULE_KEYS = ['read', 'write', 'create', 'update', 'delete'] as const;

/** A parsed rule: always/never, "any signed-in user", or "the document's _openid is the caller's". */
export type RuleExpr = { kind: 'const'; value: boolean } | { kind: 'authenticated' } | { kind: 'owner' };

/**
 * Parses a rule value. Supported: true, false, "auth != null", "doc._openid == auth.openid" (either order).
 * Anything else is refused, naming the supported forms: an unsupported rule silently allowing access would be worse.
 */
export function parseRuleExpression(value: RuleValue, where: string): RuleExpr {
  if (typeof value === 'boolean') return { kind: 'const', value };
  const text = value.replace(/\s+/g, '');
  if (text === 'true' || text === 'false') return { kind: 'const', value: text === 'true' };
  if (text === 'auth!=null') return { kind: 'authenticated' };
  if (text === 'doc._openid==auth.openid' || text === 'auth.openid==doc._openid') return { kind: 'owner' };
  throw new Error(
    `${where}: unsupported rule expression ${JSON.stringify(value)}; the local cloud supports true, false, ` +
      '"auth != null" and "doc._openid == auth.openid"',
  );
}

/** Validates a parsed JSON value as a collections file; throws naming the offending path. */
export function parseCollectionsConfig(raw: unknown, source = 'collections.json'): CollectionsConfig {
  if (!isPlainObject(raw)) throw new Error(`${source}: the top level must be an object with "collections"`);
  const list = raw.collections;
  if (!Array.isArray(list)) throw new Error(`${source}: "collections" must be an array`);
  for (const key of Object.keys(raw)) {
    if (key !== 'collections' && key !== 'description') {
      throw new Error(`${source}: unknown top-level key "${key}" (expected description, collections)`);
    }
  }
  const seen = new Set<string>();
  const collections = list.map((item: unknown, i): CollectionSpec => {
    const at = `${source}: collections[${i}]`;
    if (!isPlainObject(item)) throw new Error(`${at} must be an object`);
    const name = item.name;
    if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) {
      throw new Error(`${at}.name must match ${String(COLLECTION_NAME)}, got ${JSON.stringify(name)}`);
    }
    if (seen.has(name)) throw new Error(`${at}: collection "${name}" is declared twice`);
    seen.add(name);
    const description = item.description;
    if (description !== undefined && typeof description !== 'string')
      throw new Error(`${at}.description must be a string`);
    const permission = parsePermission(item.permission, `${at}.permission`);
    const indexesRaw = item.indexes ?? [];
    if (!Array.isArray(indexesRaw)) throw new Error(`${at}.indexes must be an array`);
    const indexNames = new Set<string>();
    const indexes = indexesRaw.map((ix: unknown, j) => {
      const spec = parseIndex(ix, `${at}.indexes[${j}]`);
      if (indexNames.has(spec.name))
        throw new Error(`${at}.indexes[${j}]: index name "${spec.name}" is used twice`);
      indexNames.add(spec.name);
      return spec;
    });
    for (const key of Object.keys(item)) {
      if (!['name', 'description', 'permission', 'indexes'].includes(key)) {
        throw new Error(`${at}: unknown key "${key}" (expected name, description, permission, indexes)`);
      }
    }
    return description === undefined
      ? { name, permission, indexes }
      : { name, description, permission, indexes };
  });
  return { collections };
}

function parsePermission(raw: unknown, at: string): Permission {
  if (typeof raw === 'string') {
    if ((BASIC_PERMISSIONS as readonly string[]).includes(raw)) return raw as Permission;
    throw new Error(
      `${at} must be one of ${BASIC_PERMISSIONS.join(', ')} or a rules object, got ${JSON.stringify(raw)}`,
    );
  }
  if (!isPlainObject(raw)) {
    throw new Error(
      `${at} is required: a basic permission name or a rules object like {"read": false, "write": false}`,
    );
  }
  const rules: SecurityRules = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(RULE_KEYS as readonly string[]).includes(k)) {
      throw new Error(`${at}: unknown rule key "${k}" (expected ${RULE_KEYS.join(', ')})`);
    }
    if (typeof v !== 'boolean' && typeof v !== 'string')
      throw new Error(`${at}.${k} must be a boolean or an expression`);
    parseRuleExpression(v, `${at}.${k}`);
    rules[k as (typeof RULE_KEYS)[number]] = v;
  }
  if (rules.read === undefined || rules.write === undefined) {
    throw new Error(`${at} must define both "read" and "write" (the cloud requires both)`);
  }
  return rules;
}

function parseIndex(raw: unknown, at: string): IndexSpec {
  if (!isPlainObject(raw)) throw new Error(`${at} must be an object`);
  const name = raw.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new Error(`${at}.name must be 1-64 letters, digits, "_" or "-"`);
  }
  if (name === '_id_') throw new Error(`${at}: "_id_" is the built-in _id index`);
  const unique = raw.unique ?? false;
  if (typeof unique !== 'boolean') throw new Error(`${at}.unique must be a boolean`);
  const fieldsRaw = raw.fields;
  if (!Array.isArray(fieldsRaw) || fieldsRaw.length === 0)
    throw new Error(`${at}.fields must be a non-empty array`);
  const seen = new Set<string>();
  const fields = fieldsRaw.map((f: unknown, k): IndexField => {
    const fat = `${at}.fields[${k}]`;
    if (!isPlainObject(f))
      throw new Error(`${fat} must be an object like {"field": "outTradeNo", "order": "asc"}`);
    const field = f.field;
    if (typeof field !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/.test(field)) {
      throw new Error(`${fat}.field must be a field name or dot path, got ${JSON.stringify(field)}`);
    }
    if (seen.has(field)) throw new Error(`${fat}: field "${field}" appears twice in the index`);
    seen.add(field);
    const order = f.order ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new Error(`${fat}.order must be "asc" or "desc"`);
    return { field, order };
  });
  for (const key of Object.keys(raw)) {
    if (!['name', 'fields', 'unique'].includes(key)) {
      throw new Error(
        `${at}: unknown key "${key}" (expected name, fields, unique; the console has no sparse indexes)`,
      );
    }
  }
  return { name, fields, unique };
}

/** Reads and validates a collections file from disk. */
export function loadCollectionsConfig(file: string): CollectionsConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read collections file ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseCollectionsConfig(raw, file);
}
