import type { Catalog } from './catalog';
import { findProduct } from './catalog';
import { DomainError, ErrorCodes } from './errors';
import type { Fen } from './money';
import { allocateFen, multiplyFen, sumFen } from './money';
import type { PurchaseCodes } from './purchase-rules';
import { MAX_CART_LINES, assertQuantity, checkPurchasable, shown } from './purchase-rules';
import { truncateUtf8, utf8Length } from './text';

/** What a client may say about an order line: which SKU and how many. Any price it sends is ignored. */
export interface OrderLineRequest {
  readonly skuId: string;
  readonly quantity: number;
}

/** One priced line; every amount comes from the catalog and is in fen. */
export interface PricedLine {
  readonly skuId: string;
  readonly productId: string;
  /** Product title and SKU spec at the time of pricing (an order keeps them even if the catalog changes). */
  readonly title: string;
  readonly spec: string;
  /**
   * The product's picture at the time of pricing, kept with the order like title and spec; absent when the product had
   * none (and on orders placed before pictures were kept).
   */
  readonly imageUrl?: string;
  readonly unitPriceFen: Fen;
  readonly quantity: number;
  /** unitPriceFen × quantity. */
  readonly lineTotalFen: Fen;
  /** This line's share of payableFen (equal to lineTotalFen unless the order is a tester order); sums to payableFen. */
  readonly linePayableFen: Fen;
}

/**
 * How to price: `tester` = the caller is a registered tester, who pays `testerPayableFen` (default
 * TESTER_PAYABLE_FEN) for any order — or the real total when that is less: a tester never pays more than the goods.
 */
export interface PricingOptions {
  readonly tester?: boolean;
  readonly testerPayableFen?: Fen;
}

/** A server-priced order: totalFen is the goods' real value, payableFen what WeChat Pay will charge. */
export interface PricedOrder {
  readonly lines: readonly PricedLine[];
  readonly totalFen: Fen;
  readonly payableFen: Fen;
  /** True when payableFen was replaced by the tester amount (a 0.01-yuan trial-build order). */
  readonly isTestOrder: boolean;
}

/** What a tester order charges by default: 1 fen (0.01 yuan), WeChat Pay's smallest total. */
export const TESTER_PAYABLE_FEN = 1 as Fen;
/** The largest tester amount a shop may configure (1000 yuan): a tester price is a trial payment, not a sale. */
export const MAX_TESTER_PAYABLE_FEN = 100_000 as Fen;

/** Longest WeChat Pay `description`, in UTF-8 bytes. */
export const MAX_PAYMENT_DESCRIPTION_BYTES = 127;

const ORDER_CODES: PurchaseCodes = {
  quantityInvalid: ErrorCodes.ORDER_QUANTITY_INVALID,
  quantityLimit: ErrorCodes.ORDER_QUANTITY_LIMIT,
  unknownSku: ErrorCodes.ORDER_UNKNOWN_SKU,
  offSale: ErrorCodes.ORDER_SKU_OFF_SALE,
  outOfStock: ErrorCodes.ORDER_OUT_OF_STOCK,
};

/**
 * Prices `selectedLines` from the catalog alone — the server is the only price authority: of each line only skuId
 * and quantity are read. Refuses with ORDER.*: LINES_INVALID (not an array of {skuId: string}), EMPTY,
 * TOO_MANY_LINES (> MAX_CART_LINES), DUPLICATE_LINE, QUANTITY_INVALID, UNKNOWN_SKU, SKU_OFF_SALE, QUANTITY_LIMIT,
 * OUT_OF_STOCK. With options.tester, payableFen is the tester amount (capped at the total) while totalFen stays real.
 */
export function priceOrder(
  catalog: Catalog,
  selectedLines: readonly OrderLineRequest[],
  options: PricingOptions = {},
): PricedOrder {
  // The lines come from a client event: their declared type is a hope, so check the shape at runtime.
  const raw: unknown = selectedLines;
  if (!Array.isArray(raw)) {
    throw new DomainError(
      ErrorCodes.ORDER_LINES_INVALID,
      'order lines must be an array of {skuId, quantity}',
    );
  }
  const requests = raw as readonly unknown[];
  if (requests.length === 0)
    throw new DomainError(ErrorCodes.ORDER_EMPTY, 'an order needs at least one item');
  if (requests.length > MAX_CART_LINES) {
    throw new DomainError(
      ErrorCodes.ORDER_TOO_MANY_LINES,
      `an order holds at most ${MAX_CART_LINES} different items`,
      {
        max: MAX_CART_LINES,
      },
    );
  }
  const seen = new Set<string>();
  const priced = requests.map((request, i) => {
    const { skuId, quantity } = readLine(request, i);
    if (seen.has(skuId)) {
      throw new DomainError(
        ErrorCodes.ORDER_DUPLICATE_LINE,
        `${shown(skuId)} appears in more than one line`,
        {
          skuId: shown(skuId),
        },
      );
    }
    seen.add(skuId);
    assertQuantity(quantity, ORDER_CODES, skuId);
    const sku = checkPurchasable(catalog, skuId, quantity, ORDER_CODES);
    const product = findProduct(catalog, sku.productId);
    return {
      skuId: sku.skuId,
      productId: sku.productId,
      // parseCatalog guarantees the product; a hand-built catalog without it still prices, titled by id.
      title: product?.title ?? sku.productId,
      spec: sku.spec,
      ...(product?.imageUrl === undefined ? {} : { imageUrl: product.imageUrl }),
      unitPriceFen: sku.priceFen,
      quantity,
      lineTotalFen: multiplyFen(sku.priceFen, quantity),
    };
  });
  const totalFen = sumFen(priced.map((l) => l.lineTotalFen));
  const isTestOrder = options.tester === true;
  const testerFen = options.testerPayableFen ?? TESTER_PAYABLE_FEN;
  if (!Number.isSafeInteger(testerFen) || testerFen < 1 || testerFen > MAX_TESTER_PAYABLE_FEN) {
    throw new DomainError(
      ErrorCodes.MONEY_NOT_POSITIVE,
      `the tester amount must be a whole number of fen from 1 to ${MAX_TESTER_PAYABLE_FEN}`,
    );
  }
  const payableFen = isTestOrder ? (Math.min(testerFen, totalFen) as Fen) : totalFen;
  const shares = allocateFen(
    payableFen,
    priced.map((l) => l.lineTotalFen),
  );
  const lines = priced.map((l, i) => Object.freeze({ ...l, linePayableFen: shares[i] ?? l.lineTotalFen }));
  return Object.freeze({ lines: Object.freeze(lines), totalFen, payableFen, isTestOrder });
}

function readLine(request: unknown, i: number): { skuId: string; quantity: unknown } {
  if (typeof request !== 'object' || request === null) {
    throw new DomainError(ErrorCodes.ORDER_LINES_INVALID, `lines[${i}] must be an object {skuId, quantity}`);
  }
  const { skuId, quantity } = request as { skuId?: unknown; quantity?: unknown };
  if (typeof skuId !== 'string' || skuId === '') {
    throw new DomainError(ErrorCodes.ORDER_LINES_INVALID, `lines[${i}].skuId must be a non-empty string`);
  }
  return { skuId, quantity };
}

/**
 * The WeChat Pay `description` for an order: the first line's title, "等N件商品" when there are more lines, and a
 * "[测试]" prefix on tester orders so the bill shows them apart. WeChat's limit of 127 is applied to UTF-8 bytes (the
 * stricter reading: 42 Chinese characters), cutting the title between whole characters (never inside an emoji) and
 * keeping the "等N件商品" tail.
 */
export function paymentDescription(order: PricedOrder): string {
  const first = order.lines[0];
  const head = first ? first.title : '商品';
  const prefix = order.isTestOrder ? '[测试] ' : '';
  const more = order.lines.length > 1 ? ` 等${order.lines.length}件商品` : '';
  // Whole characters only: an emoji cut in half is invalid UTF-8 (refused by WeChat) or a different symbol.
  const title = truncateUtf8(head, MAX_PAYMENT_DESCRIPTION_BYTES - utf8Length(prefix) - utf8Length(more));
  return `${prefix}${title}${more}`;
}
