// docs/API.md, the contract (typings/contracts/api.ts) and the tables the functions serve list the same actions: a
// reader of the doc learns every action a page can call, and nothing the server would answer REQUEST.UNKNOWN_ACTION.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_ACTIONS } from '../../typings/contracts/api';
import { orderActions, payActions, refundActions } from '../../server/adapters/functions/core.handlers';
import { shopActions } from '../../server/adapters/functions/shop.handlers';
import { staffActions } from '../../server/adapters/functions/staff.handlers';
import { msgActions } from '../../server/adapters/functions/msg.handlers';
import { channelPayActions } from '../../server/adapters/functions/channel-pay.handlers';

const API_MD = readFileSync(join(__dirname, '..', '..', 'docs', 'API.md'), 'utf8');

/**
 * Each `## \`fn\` — …` section's action table (the first table whose header's first cell is `action`), read as
 * function → action names in the order the doc lists them.
 */
function documentedActions(md: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let fn: string | undefined;
  let inTable = false;
  for (const line of md.split('\n')) {
    const heading = /^## `([A-Za-z]+)`/.exec(line);
    if (heading || /^#{1,2} /.test(line)) {
      fn = heading?.[1];
      inTable = false;
      continue;
    }
    if (fn === undefined) continue;
    if (/^\|\s*action\s*\|/.test(line) && out[fn] === undefined) {
      inTable = true;
      out[fn] = [];
      continue;
    }
    if (!inTable) continue;
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cell = /^\|\s*`([A-Za-z][A-Za-z0-9]*)`\s*\|/.exec(line);
    if (cell) out[fn]?.push(cell[1]!);
  }
  return out;
}

const sorted = (xs: readonly string[]) => [...xs].sort();

describe('the API contract', () => {
  it('docs/API.md has an action table for exactly the client-callable functions, listing exactly their actions', () => {
    const documented = documentedActions(API_MD);
    expect(Object.keys(documented).sort()).toEqual(Object.keys(API_ACTIONS).sort());
    for (const [fn, actions] of Object.entries(API_ACTIONS)) {
      expect({ fn, actions: sorted(documented[fn] ?? []) }).toEqual({ fn, actions: sorted(actions) });
      expect(new Set(documented[fn]).size).toBe(documented[fn]?.length);
    }
  });

  it('the parser reads the tables it claims to (a row removed from the doc is noticed)', () => {
    const withoutDemoPay = API_MD.split('\n')
      .filter((line) => !/^\|\s*`demoPay`/.test(line))
      .join('\n');
    expect(documentedActions(withoutDemoPay).pay).toEqual(['start', 'sync']);
    expect(documentedActions(API_MD).pay).toEqual(['start', 'sync', 'demoPay']);
  });

  it('the functions serve exactly the contract’s actions', () => {
    const served = {
      shop: Object.keys(shopActions),
      order: Object.keys(orderActions),
      pay: Object.keys(payActions),
      refund: Object.keys(refundActions),
      staff: Object.keys(staffActions),
      msg: Object.keys(msgActions),
      channelPay: Object.keys(channelPayActions),
    };
    for (const [fn, actions] of Object.entries(API_ACTIONS)) {
      expect({ fn, actions: sorted(served[fn as keyof typeof served]) }).toEqual({
        fn,
        actions: sorted(actions),
      });
    }
  });
});
