import type { Permission } from '../db/collections-config';
import { decide, type ClientAction } from './rules';

const ACTIONS: ClientAction[] = ['read', 'create', 'update', 'delete'];
const table = (p: Permission) => ACTIONS.map((a) => decide(p, a));

describe('decide', () => {
  it('maps the console basic permissions', () => {
    expect(table('ADMINONLY')).toEqual(['deny', 'deny', 'deny', 'deny']);
    expect(table('READONLY')).toEqual(['allow', 'deny', 'deny', 'deny']);
    expect(table('PRIVATE')).toEqual(['own-implicit', 'signed-in', 'own-implicit', 'own-implicit']);
    expect(table('ADMINWRITE')).toEqual(['allow', 'signed-in', 'own-implicit', 'own-implicit']);
  });

  it('maps custom rules, with write covering create/update/delete unless they are given', () => {
    expect(table({ read: false, write: false })).toEqual(['deny', 'deny', 'deny', 'deny']);
    expect(table({ read: true, write: 'auth != null', delete: false })).toEqual([
      'allow',
      'signed-in',
      'signed-in',
      'deny',
    ]);
    expect(table({ read: 'doc._openid == auth.openid', write: 'doc._openid == auth.openid' })).toEqual([
      'own-rule',
      'own-rule',
      'own-rule',
      'own-rule',
    ]);
  });
});
