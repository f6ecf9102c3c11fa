// Client (mini program) access rules: what a collection's permission allows wx.cloud.database() on the client to do.
// Cloud functions act as admin and never pass through here.
import { parseRuleExpression, type Permission } from '../db/collections-config';

/** What a client request wants to do to a collection. */
export type ClientAction = 'read' | 'create' | 'update' | 'delete';

/**
 * How an action is allowed:
 *  - allow / deny;
 *  - signed-in: any caller with an OPENID;
 *  - own-implicit: basic permissions PRIVATE/ADMINWRITE — the cloud silently narrows reads and writes to documents
 *    whose _openid is the caller's (others' documents look absent);
 *  - own-rule: custom rule "doc._openid == auth.openid" — the request itself must be limited to the caller's documents
 *    (a query must pin _openid, a document must be the caller's), otherwise it is refused.
 */
export type Decision = 'allow' | 'deny' | 'signed-in' | 'own-implicit' | 'own-rule';

/** Decides how `action` is governed by `permission`. */
export function decide(permission: Permission, action: ClientAction): Decision {
  if (typeof permission === 'string') {
    switch (permission) {
      case 'ADMINONLY':
        return 'deny';
      case 'READONLY':
        return action === 'read' ? 'allow' : 'deny';
      case 'PRIVATE':
        return action === 'create' ? 'signed-in' : 'own-implicit';
      case 'ADMINWRITE':
        if (action === 'read') return 'allow';
        return action === 'create' ? 'signed-in' : 'own-implicit';
    }
  }
  const value = permission[action] ?? (action === 'read' ? permission.read : permission.write);
  if (value === undefined) return 'deny';
  const expr = parseRuleExpression(value, `rule ${action}`);
  switch (expr.kind) {
    case 'const':
      return expr.value ? 'allow' : 'deny';
    case 'authenticated':
      return 'signed-in';
    case 'owner':
      return 'own-rule';
  }
}
