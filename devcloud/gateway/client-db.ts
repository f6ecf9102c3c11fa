// The client database endpoint: the stand-in for wx.cloud.database() called from the mini program. Requests carry the
// caller in x-wx-openid and are limited by the collection's permission (rules.ts), exactly the check a shopper's
// hand-made request would face in the cloud. Body (wire-encoded, see sdk/wire.ts):
//   {collection, op: "get"|"count"|"doc.get"|"add"|"doc.set"|"doc.update"|"doc.remove", id?, where?, data?,
//    orderBy?: [[field, "asc"|"desc"]], limit?, skip?, field?}
// Answers the SDK result shape; failures are {errCode, errMsg} (permission: -502003).
import type { Engine, FindOptions, MongoSpec } from '../db/engine';
import { newId } from '../db/engine';
import { CloudSdkError, ErrCodes, InvalidInputError, sdkError } from '../db/errors';
import { isPlainObject, type Doc } from '../db/values';
import { toSdkError } from '../sdk/database';
import { translateDocument, translateProjection, translateUpdate, translateWhere } from '../sdk/translate';
import { decodeWire } from '../sdk/wire';
import { decide, type ClientAction, type Decision } from './rules';

/** The mini program side's default and maximum limit() (the cloud's client limit). */
export const CLIENT_MAX_LIMIT = 20;

/** A decoded client database request. */
export interface ClientDbRequest {
  collection: string;
  op: string;
  id?: string;
  where?: unknown;
  data?: unknown;
  orderBy?: [string, 'asc' | 'desc'][];
  limit?: number;
  skip?: number;
  field?: unknown;
}

function denied(api: string, why: string): CloudSdkError {
  return sdkError(api, ErrCodes.DB_PERMISSION_DENIED, `database permission denied. ${why}`);
}

function parseRequest(body: unknown): ClientDbRequest {
  if (!isPlainObject(body)) throw new InvalidInputError('the request body must be a JSON object');
  const { collection, op, id, orderBy, limit, skip } = body;
  if (typeof collection !== 'string' || collection === '')
    throw new InvalidInputError('"collection" must be a string');
  if (typeof op !== 'string') throw new InvalidInputError('"op" must be a string');
  if (id !== undefined && (typeof id !== 'string' || id === ''))
    throw new InvalidInputError('"id" must be a non-empty string');
  if (orderBy !== undefined && !Array.isArray(orderBy))
    throw new InvalidInputError('"orderBy" must be [[field, "asc"|"desc"]]');
  if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 1))
    throw new InvalidInputError('"limit" must be a positive integer');
  if (skip !== undefined && (!Number.isInteger(skip) || (skip as number) < 0))
    throw new InvalidInputError('"skip" must be an integer >= 0');
  const req: ClientDbRequest = { collection, op };
  if (typeof id === 'string') req.id = id;
  if (body.where !== undefined) req.where = decodeWire(body.where, 'where');
  if (body.data !== undefined) req.data = decodeWire(body.data, 'data');
  if (orderBy !== undefined) {
    req.orderBy = (orderBy as unknown[]).map((o) => {
      if (!Array.isArray(o) || typeof o[0] !== 'string' || (o[1] !== 'asc' && o[1] !== 'desc')) {
        throw new InvalidInputError('"orderBy" entries must be [field, "asc"|"desc"]');
      }
      return [o[0], o[1]];
    });
  }
  if (limit !== undefined) req.limit = limit as number;
  if (skip !== undefined) req.skip = skip as number;
  if (body.field !== undefined) req.field = body.field;
  return req;
}

function substituteOpenid(v: unknown, openid: string | undefined): unknown {
  if (v === '{openid}') return openid ?? v;
  if (Array.isArray(v)) return v.map((x) => substituteOpenid(x, openid));
  if (isPlainObject(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteOpenid(x, openid)]));
  return v;
}

function pinsOpenid(filter: MongoSpec, openid: string): boolean {
  const cond = filter._openid;
  if (isPlainObject(cond) && cond.$eq === openid) return true;
  return Array.isArray(filter.$and) && filter.$and.some((c) => isPlainObject(c) && pinsOpenid(c, openid));
}

function touchesOpenid(modifier: MongoSpec): boolean {
  return Object.values(modifier).some(
    (fields) =>
      isPlainObject(fields) && Object.keys(fields).some((p) => p === '_openid' || p.startsWith('_openid.')),
  );
}

/** Executes client database requests against the engine under each collection's permission. */
export class ClientDatabase {
  constructor(
    private readonly engine: Engine,
    private readonly now: () => number = () => Date.now(),
    private readonly meter: (op: string) => void = () => undefined,
  ) {}

  /** Runs one wire request for `openid` (undefined = not signed in); resolves with the SDK result shape. */
  async handle(body: unknown, openid: string | undefined): Promise<unknown> {
    let req: ClientDbRequest;
    try {
      req = parseRequest(body);
    } catch (e) {
      throw toSdkError('clientdb', e);
    }
    const api = req.op.startsWith('doc.') ? `document.${req.op.slice(4)}` : `collection.${req.op}`;
    this.meter(req.op.replace(/^doc\./, ''));
    try {
      return await this.run(req, openid, api);
    } catch (e) {
      throw toSdkError(api, e);
    }
  }

  private gate(api: string, action: ClientAction, collection: string, openid: string | undefined): Decision {
    const decision = decide(this.engine.store.spec(collection).permission, action);
    if (decision === 'deny') throw denied(api, `clients may not ${action} collection ${collection}`);
    if (decision !== 'allow' && openid === undefined)
      throw denied(api, `${action} on ${collection} needs a signed-in user`);
    return decision;
  }

  private async run(req: ClientDbRequest, openid: string | undefined, api: string): Promise<unknown> {
    const { collection } = req;
    this.engine.store.spec(collection);
    switch (req.op) {
      case 'get':
      case 'count': {
        const decision = this.gate(api, 'read', collection, openid);
        let filter = req.where === undefined ? {} : translateWhere(substituteOpenid(req.where, openid));
        if (decision === 'own-rule' && !pinsOpenid(filter, openid ?? '')) {
          throw denied(
            api,
            `the rule limits reads of ${collection} to the caller's documents: query with _openid: '{openid}'`,
          );
        }
        if (decision === 'own-implicit') filter = { $and: [filter, { _openid: { $eq: openid } }] };
        if (req.op === 'count')
          return { total: this.engine.count(collection, filter), errMsg: 'collection.count:ok' };
        const opts: FindOptions = {
          sort: (req.orderBy ?? []).map(([f, d]) => [f, d === 'asc' ? 1 : -1]),
          skip: req.skip ?? 0,
          limit: Math.min(req.limit ?? CLIENT_MAX_LIMIT, CLIENT_MAX_LIMIT),
        };
        if (req.field !== undefined) opts.projection = translateProjection(req.field);
        return { data: this.engine.find(collection, filter, opts), errMsg: 'collection.get:ok' };
      }
      case 'doc.get': {
        const id = this.requireId(req, api);
        const decision = this.gate(api, 'read', collection, openid);
        const doc = this.engine.getById(collection, id);
        const mine = doc !== undefined && doc._openid === openid;
        if (decision === 'own-rule' && doc !== undefined && !mine)
          throw denied(api, "the document is not the caller's");
        if (doc === undefined || (decision === 'own-implicit' && !mine)) {
          throw new CloudSdkError(
            ErrCodes.GENERIC,
            `document.get:fail cannot find document with _id ${id}, please make sure that the document exists and you have the corresponding Read permission`,
          );
        }
        const projection = req.field === undefined ? undefined : translateProjection(req.field);
        return { data: this.engine.getById(collection, id, projection), errMsg: 'document.get:ok' };
      }
      case 'add': {
        this.gate(api, 'create', collection, openid);
        const body = translateDocument(req.data, api, this.now());
        if (body._openid !== undefined)
          throw denied(api, '_openid is set by the system and cannot be written by the client');
        const id = typeof body._id === 'string' && body._id !== '' ? body._id : newId();
        const doc: Doc = { ...body, _id: id, ...(openid === undefined ? {} : { _openid: openid }) };
        await this.engine.insert(collection, doc);
        return { _id: id, errMsg: 'collection.add:ok' };
      }
      case 'doc.set': {
        const id = this.requireId(req, api);
        const existing = this.engine.getById(collection, id);
        const body = translateDocument(req.data, api, this.now());
        if (body._openid !== undefined)
          throw denied(api, '_openid is set by the system and cannot be written by the client');
        if (existing === undefined) this.gate(api, 'create', collection, openid);
        else if (!this.ownerGate(api, 'update', collection, openid, existing, id)) {
          return { _id: id, stats: { updated: 0, created: 0 }, errMsg: 'document.set:ok' };
        }
        const doc: Doc = { ...body, _id: id, ...(openid === undefined ? {} : { _openid: openid }) };
        const stats = await this.engine.replace(collection, doc);
        return { _id: id, stats, errMsg: 'document.set:ok' };
      }
      case 'doc.update': {
        const id = this.requireId(req, api);
        const modifier = translateUpdate(req.data, api, this.now());
        if (touchesOpenid(modifier)) throw denied(api, '_openid cannot be changed by the client');
        const existing = this.engine.getById(collection, id);
        if (existing === undefined) {
          this.gate(api, 'update', collection, openid);
          return { stats: { updated: 0 }, errMsg: 'document.update:ok' };
        }
        if (!this.ownerGate(api, 'update', collection, openid, existing, id)) {
          return { stats: { updated: 0 }, errMsg: 'document.update:ok' };
        }
        // The condition on _openid makes the owner check and the write one atomic step.
        const filter: MongoSpec = {
          _id: { $eq: id },
          ...(existing._openid === undefined ? {} : { _openid: { $eq: existing._openid } }),
        };
        const updated = await this.engine.update(collection, filter, modifier, false);
        return { stats: { updated }, errMsg: 'document.update:ok' };
      }
      case 'doc.remove': {
        const id = this.requireId(req, api);
        const existing = this.engine.getById(collection, id);
        if (existing === undefined) {
          this.gate(api, 'delete', collection, openid);
          return { stats: { removed: 0 }, errMsg: 'document.remove:ok' };
        }
        if (!this.ownerGate(api, 'delete', collection, openid, existing, id)) {
          return { stats: { removed: 0 }, errMsg: 'document.remove:ok' };
        }
        const removed = await this.engine.remove(collection, { _id: { $eq: id } }, false);
        return { stats: { removed }, errMsg: 'document.remove:ok' };
      }
      case 'update':
      case 'remove':
        throw denied(
          api,
          'clients cannot update or remove several documents with where(); call a cloud function',
        );
      default:
        throw new InvalidInputError(
          `unknown op "${req.op}" (expected get, count, doc.get, add, doc.set, doc.update, doc.remove)`,
        );
    }
  }

  /** Checks an update/delete of an existing document; false when the cloud would silently skip it (not the owner). */
  private ownerGate(
    api: string,
    action: ClientAction,
    collection: string,
    openid: string | undefined,
    doc: Doc,
    id: string,
  ): boolean {
    const decision = this.gate(api, action, collection, openid);
    const mine = doc._openid !== undefined && doc._openid === openid;
    if (decision === 'own-rule' && !mine) throw denied(api, `document ${id} is not the caller's`);
    return decision !== 'own-implicit' || mine;
  }

  private requireId(req: ClientDbRequest, api: string): string {
    if (req.id === undefined)
      throw sdkError(api, ErrCodes.INVALID_PARAM, 'invalid parameters. "id" is required for doc operations');
    return req.id;
  }
}
