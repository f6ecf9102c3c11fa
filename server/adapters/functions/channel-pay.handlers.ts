// The `channelPay` function (docs/adr/0012): Native orders for staff at the counter (mini program call, staff only) and
// H5 orders for a web checkout (the function's HTTP access only; the payer's IP is the request's, never the body's).
import { isIP } from 'node:net';
import { MAX_CART_LINES } from '../../domain/cart';
import { DomainError } from '../../domain/errors';
import type { OrderLineRequest } from '../../domain/pricing';
import type { ChannelOrderService } from '../../application/channel-order.service';
import { ChannelErrorCodes } from '../../application/channel-order.service';
import { AppErrorCodes, invalidRequest } from '../../application/errors';
import { requireInteger, requireString } from '../../application/input';
import type { ActionTable, Invocation } from '../runtime/handler';
import { OUT_TRADE_NO_MAX, admin } from './identity';

/** What the `channelPay` function needs. */
export interface ChannelPayDeps {
  channels: ChannelOrderService;
  adminOpenids: ReadonlySet<string>;
}

// Staff's key: as every client idempotency key. The web's key is also the browser's secret for the order, so it must
// be long enough not to be guessed (22 base64url characters ≈ 131 bits).
const STAFF_KEY = /^[0-9A-Za-z_-]{8,64}$/;
const WEB_KEY = /^[0-9A-Za-z_-]{22,64}$/;
const H5_TYPES = ['Wap', 'iOS', 'Android'] as const;

function key(input: Record<string, unknown>, pattern: RegExp, expectation: string): string {
  const v = requireString(input, 'clientRequestKey', 64);
  if (!pattern.test(v)) throw invalidRequest('clientRequestKey', expectation);
  return v;
}

/** The lines' shape only (skuId, quantity); pricing checks the SKUs. Any other field (a price) is never read. */
function lines(input: Record<string, unknown>): OrderLineRequest[] {
  const v = input.lines;
  const expectation = `an array of 1–${MAX_CART_LINES} {skuId, quantity}`;
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CART_LINES)
    throw invalidRequest('lines', expectation);
  return v.map((l: unknown) => {
    if (typeof l !== 'object' || l === null) throw invalidRequest('lines', expectation);
    const line = l as Record<string, unknown>;
    return { skuId: requireString(line, 'skuId', 64), quantity: requireInteger(line, 'quantity') };
  });
}

function h5Type(input: Record<string, unknown>): 'Wap' | 'iOS' | 'Android' | undefined {
  const v = input.h5Type;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(H5_TYPES as readonly string[]).includes(v))
    throw invalidRequest('h5Type', `one of ${H5_TYPES.join(', ')}, or absent`);
  return v as (typeof H5_TYPES)[number];
}

/** The action came through HTTP access; anything else (a mini program call) is refused. */
function viaHttp(inv: Invocation): { sourceIp: string | undefined } {
  if (inv.http === undefined)
    throw new DomainError(ChannelErrorCodes.HTTP_ONLY, 'this action is served through the web checkout only');
  return inv.http;
}

/**
 * The payer's IP for WeChat's scene_info: the platform's record of where the request came from (an IPv4-mapped IPv6
 * address as its IPv4). Nothing the caller wrote — a body field, X-Forwarded-For — is ever used.
 */
export function payerIp(sourceIp: string | undefined): string {
  const v = sourceIp?.startsWith('::ffff:') && isIP(sourceIp.slice(7)) === 4 ? sourceIp.slice(7) : sourceIp;
  if (v === undefined || isIP(v) === 0)
    throw new DomainError(
      ChannelErrorCodes.CLIENT_IP_UNKNOWN,
      "the request's address is unknown, so WeChat Pay cannot take this web payment",
    );
  return v;
}

export const channelPayActions: ActionTable<'channelPay', ChannelPayDeps> = {
  createNative: async (input, inv, d) => {
    const staff = admin(inv, d);
    return await d.channels.createNative(staff, key(input, STAFF_KEY, '8–64 of [0-9A-Za-z_-]'), lines(input));
  },
  getNative: async (input, inv, d) => {
    admin(inv, d);
    return await d.channels.getNative(requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX));
  },
  cancelNative: async (input, inv, d) => {
    admin(inv, d);
    return await d.channels.cancelNative(requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX));
  },
  createH5: async (input, inv, d) => {
    const http = viaHttp(inv);
    const k = key(input, WEB_KEY, '22–64 of [0-9A-Za-z_-]');
    const l = lines(input);
    const type = h5Type(input);
    // The web page's address form, when it has one: validated in the service before any stock is held.
    const delivery =
      input.delivery === undefined && input.remark === undefined
        ? undefined
        : { delivery: input.delivery, remark: input.remark };
    return await d.channels.createH5(k, l, payerIp(http.sourceIp), type, delivery);
  },
  getH5: async (input, inv, d) => {
    viaHttp(inv);
    const outTradeNo = requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX);
    const k = input.clientRequestKey;
    if (typeof k !== 'string' || !WEB_KEY.test(k))
      throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such order');
    return await d.channels.getH5(outTradeNo, k);
  },
};
