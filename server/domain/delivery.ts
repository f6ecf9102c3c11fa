// Delivery chosen at checkout (docs/adr/0009): the client's request is validated field by field into the snapshot the
// order keeps — the address as it was at purchase. Nothing the client sends is trusted: lengths, required fields per
// kind, and the kind itself must be allowed by every line's product.
import type { Catalog, DeliveryKindName } from './catalog';
import { DEFAULT_DELIVERY, DELIVERY_KINDS, findProduct } from './catalog';
import { DomainError, ErrorCodes } from './errors';

export { DEFAULT_DELIVERY, DELIVERY_KINDS };
export type { DeliveryKindName };

export const MAX_REMARK_CHARS = 100;
export const MAX_NAME_CHARS = 20;
export const MAX_REGION_CHARS = 20;
export const MAX_DETAIL_CHARS = 120;
const PHONE = /^[0-9+\- ]{5,20}$/;
const POSTAL_CODE = /^\d{1,10}$/;

/** The shop's pickup point (SHOP_PICKUP_POINT). */
export interface PickupPoint {
  readonly name: string;
  readonly address: string;
  readonly hours: string;
}

/** The stored address (the shape of the contract's AddressView). */
export interface DeliveryAddress {
  readonly name: string;
  readonly phone: string;
  readonly province: string;
  readonly city: string;
  readonly district: string;
  readonly detail: string;
  readonly postalCode: string | null;
}

/** What the order keeps about its delivery (the shape of the contract's DeliveryView). */
export interface DeliverySnapshot {
  readonly kind: DeliveryKindName;
  readonly address: DeliveryAddress | null;
  readonly pickupPoint: PickupPoint | null;
  readonly remark: string;
}

export function isDeliveryKind(value: unknown): value is DeliveryKindName {
  return typeof value === 'string' && (DELIVERY_KINDS as readonly string[]).includes(value);
}

function invalid(field: string, expectation: string): DomainError {
  return new DomainError(ErrorCodes.ORDER_DELIVERY_INVALID, `${field} must be ${expectation}`, { field });
}

function chars(v: string): number {
  return Array.from(v).length;
}

/** A required text field: trimmed, non-empty, at most `max` characters, no control characters. */
function text(raw: Record<string, unknown>, key: string, field: string, max: number): string {
  const v = raw[key];
  if (typeof v !== 'string') throw invalid(field, `a text of 1–${max} characters`);
  const t = v.trim();
  // eslint-disable-next-line no-control-regex
  if (t === '' || chars(t) > max || /[\u0000-\u001f\u007f]/u.test(t)) {
    throw invalid(field, `a text of 1–${max} characters`);
  }
  return t;
}

function address(raw: unknown): DeliveryAddress {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid('delivery.address', 'an address object (wx.chooseAddress)');
  const a = raw as Record<string, unknown>;
  const phone = a['telNumber'];
  if (typeof phone !== 'string' || !PHONE.test(phone.trim()))
    throw invalid('delivery.address.telNumber', '5–20 of digits, +, - and spaces');
  const postal = a['postalCode'];
  let postalCode: string | null = null;
  if (postal !== undefined && postal !== null && postal !== '') {
    if (typeof postal !== 'string' || !POSTAL_CODE.test(postal.trim()))
      throw invalid('delivery.address.postalCode', 'at most 10 digits, or absent');
    postalCode = postal.trim();
  }
  return {
    name: text(a, 'userName', 'delivery.address.userName', MAX_NAME_CHARS),
    phone: phone.trim(),
    province: text(a, 'provinceName', 'delivery.address.provinceName', MAX_REGION_CHARS),
    city: text(a, 'cityName', 'delivery.address.cityName', MAX_REGION_CHARS),
    district: text(a, 'countyName', 'delivery.address.countyName', MAX_REGION_CHARS),
    detail: text(a, 'detailInfo', 'delivery.address.detailInfo', MAX_DETAIL_CHARS),
    postalCode,
  };
}

/** The remark: optional, at most 100 characters ('' when absent or blank). */
export function parseRemark(raw: unknown): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string' || chars(raw.trim()) > MAX_REMARK_CHARS)
    throw invalid('remark', `a text of at most ${MAX_REMARK_CHARS} characters, or absent`);
  return raw.trim();
}

/**
 * Validates the client's `delivery` and `remark` into the order's snapshot: express needs every address field,
 * pickup needs the configured pickup point (refused when none is set), virtual nothing. ORDER.DELIVERY_INVALID names
 * the field. Whether the lines allow the kind is {@link assertDeliveryAllowed}'s.
 */
export function parseDelivery(
  raw: unknown,
  remarkRaw: unknown,
  pickupPoint: PickupPoint | null,
): DeliverySnapshot {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid('delivery', "an object {kind: 'express' | 'pickup' | 'virtual', …}");
  const d = raw as Record<string, unknown>;
  const kind = d['kind'];
  if (!isDeliveryKind(kind)) throw invalid('delivery.kind', "'express', 'pickup' or 'virtual'");
  const remark = parseRemark(remarkRaw);
  for (const key of Object.keys(d)) {
    if (key !== 'kind' && !(key === 'address' && kind === 'express'))
      throw invalid(`delivery.${key}`, `absent with kind ${kind}`);
  }
  if (kind === 'express') return { kind, address: address(d['address']), pickupPoint: null, remark };
  if (kind === 'pickup') {
    if (pickupPoint === null)
      throw new DomainError(ErrorCodes.ORDER_DELIVERY_NOT_ALLOWED, 'this shop has no pickup point', {
        field: 'delivery.kind',
        kind,
      });
    return { kind, address: null, pickupPoint, remark };
  }
  return { kind, address: null, pickupPoint: null, remark };
}

/** The kinds a product allows (default express). */
export function productDelivery(catalog: Catalog, productId: string): readonly DeliveryKindName[] {
  return findProduct(catalog, productId)?.delivery ?? DEFAULT_DELIVERY;
}

/** The kinds every one of the products allows, in DELIVERY_KINDS order; pickup only with a pickup point. */
export function allowedDeliveryKinds(
  catalog: Catalog,
  productIds: readonly string[],
  pickupPoint: PickupPoint | null,
): DeliveryKindName[] {
  return DELIVERY_KINDS.filter(
    (k) =>
      (k !== 'pickup' || pickupPoint !== null) &&
      productIds.every((id) => productDelivery(catalog, id).includes(k)),
  );
}

/** ORDER.DELIVERY_NOT_ALLOWED unless every product allows `kind` (details: kind, productId of the first refusing). */
export function assertDeliveryAllowed(
  catalog: Catalog,
  productIds: readonly string[],
  kind: DeliveryKindName,
): void {
  const refusing = productIds.find((id) => !productDelivery(catalog, id).includes(kind));
  if (refusing !== undefined) {
    throw new DomainError(
      ErrorCodes.ORDER_DELIVERY_NOT_ALLOWED,
      `${refusing} cannot be delivered by ${kind}`,
      { field: 'delivery.kind', kind, productId: refusing },
    );
  }
}
