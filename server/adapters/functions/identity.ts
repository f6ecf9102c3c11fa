// Who is calling: the OPENID from the invocation (never from the input), and whether it is staff. Shared by every
// client-called function's action tables.
import { DomainError } from '../../domain/errors';
import { AppErrorCodes } from '../../application/errors';
import type { Invocation } from '../runtime/handler';

/** Longest out_trade_no accepted from a client (WeChat's limit). */
export const OUT_TRADE_NO_MAX = 32;

/** The caller's OPENID from the invocation (never from the input); AUTH.NO_IDENTITY without one. */
export function shopper(inv: Invocation): string {
  if (!inv.openid) throw new DomainError('AUTH.NO_IDENTITY', 'no caller identity');
  return inv.openid;
}

/** The caller's OPENID when it is staff (SHOP_ADMIN_OPENIDS); AUTH.FORBIDDEN for anyone else. */
export function admin(inv: Invocation, d: { adminOpenids: ReadonlySet<string> }): string {
  const openid = shopper(inv);
  if (!d.adminOpenids.has(openid))
    throw new DomainError(AppErrorCodes.FORBIDDEN, "only the shop's staff may do this");
  return openid;
}
