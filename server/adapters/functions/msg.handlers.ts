import { DomainError } from '../../domain/errors';
import type { SubscriptionService } from '../../application/subscriptions.service';
import type { ActionTable, Invocation } from '../runtime/handler';

/** What the `msg` function's actions need. */
export interface MsgDeps {
  subscriptions: SubscriptionService;
}

function shopper(inv: Invocation): string {
  if (!inv.openid) throw new DomainError('AUTH.NO_IDENTITY', 'no caller identity');
  return inv.openid;
}

/** The `msg` function's actions: templates (what to ask for) and subscribed (count the accepts). docs/API.md. */
export const msgActions: ActionTable<'msg', MsgDeps> = {
  templates: (_input, _inv, d) => Promise.resolve(d.subscriptions.templates()),
  subscribed: (input, inv, d) => d.subscriptions.subscribed(shopper(inv), input.results),
};
