// Compile-time test (checked by `npm run typecheck`, never run): the server's action tables agree with
// typings/contracts/api.ts. Each @ts-expect-error line is a refusal the compiler must keep making — if it stopped
// (an extra or missing action, a wrong answer type slipping through), the directive itself becomes the error.
import type { ActionName, API_ACTIONS, ApiFunctionName } from '../../typings/contracts/api';
import type { CoreHandlersDeps } from '../../server/adapters/functions/core.handlers';
import { orderActions, payActions, refundActions } from '../../server/adapters/functions/core.handlers';
import type { ShopDeps } from '../../server/adapters/functions/shop.handlers';
import { shopActions } from '../../server/adapters/functions/shop.handlers';
import type { StaffDeps } from '../../server/adapters/functions/staff.handlers';
import { staffActions } from '../../server/adapters/functions/staff.handlers';
import type { MsgDeps } from '../../server/adapters/functions/msg.handlers';
import { msgActions } from '../../server/adapters/functions/msg.handlers';
import type { ChannelPayDeps } from '../../server/adapters/functions/channel-pay.handlers';
import { channelPayActions } from '../../server/adapters/functions/channel-pay.handlers';
import type { ActionTable } from '../../server/adapters/runtime/handler';

type Same<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;
type AssertTrue<T extends true> = T;
type Listed<F extends ApiFunctionName> = (typeof API_ACTIONS)[F][number];

/** The tables the functions serve have exactly the listed actions (both ways), function by function. */
export type ServedTablesAreTheContract = AssertTrue<
  Same<
    [
      keyof typeof shopActions,
      keyof typeof orderActions,
      keyof typeof payActions,
      keyof typeof refundActions,
      keyof typeof staffActions,
      keyof typeof msgActions,
      keyof typeof channelPayActions,
    ],
    [
      Listed<'shop'>,
      Listed<'order'>,
      Listed<'pay'>,
      Listed<'refund'>,
      Listed<'staff'>,
      Listed<'msg'>,
      Listed<'channelPay'>,
    ]
  >
>;

/** Every client-callable function has a served table. */
export type EveryFunctionServed = AssertTrue<
  Same<ApiFunctionName, 'shop' | 'order' | 'pay' | 'refund' | 'staff' | 'msg' | 'channelPay'>
>;

// The served tables are ActionTables (a table typed `Record<string, …>` again would fail here: no required actions,
// answers of type unknown).
shopActions satisfies ActionTable<'shop', ShopDeps>;
orderActions satisfies ActionTable<'order', CoreHandlersDeps>;
payActions satisfies ActionTable<'pay', CoreHandlersDeps>;
refundActions satisfies ActionTable<'refund', CoreHandlersDeps>;
staffActions satisfies ActionTable<'staff', StaffDeps>;
msgActions satisfies ActionTable<'msg', MsgDeps>;
channelPayActions satisfies ActionTable<'channelPay', ChannelPayDeps>;

// A table without one of the contract's actions is refused.
// @ts-expect-error -- `cancel` is missing
export const missingAction: ActionTable<'order', CoreHandlersDeps> = {
  place: orderActions.place,
  get: orderActions.get,
  listMine: orderActions.listMine,
};

// A table with an action the contract lacks is refused.
export const extraAction: ActionTable<'order', CoreHandlersDeps> = {
  ...orderActions,
  // @ts-expect-error -- not an action of the contract's `order`
  refundEverything: orderActions.get,
};

// A handler answering another action's type is refused.
export const wrongAnswer: ActionTable<'pay', CoreHandlersDeps> = {
  ...payActions,
  // @ts-expect-error -- pay.sync answers an OrderView, not RefundView[]
  sync: refundActions.list,
};

// A name that is not a client-callable function has no actions.
// @ts-expect-error -- payNotify is HTTP access, not client-callable
export type NotCallable = ActionName<'payNotify'>;
