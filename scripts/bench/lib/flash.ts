// The flash sale of issue 19: many shoppers, a few SKUs, little stock, and cancels returning stock while the sale is
// on. Every shopper has one of the SKUs in the cart; the stock is set, then all place at once. A share of the winners
// cancel as soon as they have their order (while the others are still placing); then everyone refused for stock tries
// once more, all at once, and buys what the cancels gave back. Accounted per SKU from the database afterwards: the
// live orders' quantity plus the stock and holds left must be the stock there was — every unit sold exactly once.
import { GatewayClient, type Envelope, type Exchange } from '../../../devcloud/harness';
import { TEST_DELIVERY } from '../../../devcloud/test-support/delivery';
import type { SkuAccount } from './bigday-setup';
import { percentile, runConcurrent, secondsSince } from './load';
import type { BenchStack } from './run';

/** How big the flash sale is. */
export interface FlashSize {
  shoppers: number;
  /** Stock of each SKU (the SKUs are {@link FLASH_SKUS}, in order; shopper i wants SKU i mod their number). */
  stock: number[];
  /** Of the winners of the first wave, every `cancelEvery`-th cancels its order during the sale. */
  cancelEvery: number;
  /**
   * Connections the shoppers' requests share (all are sent at once; this many are in the stack at a time, the rest
   * wait their turn in this process, and their wait counts in the answer's time).
   */
  sockets: number;
  /** Concurrency of the cart filling (not measured). */
  concurrency: number;
}

/** The SKUs on sale: on sale, no per-order limit, not used by the other phases' checkouts. */
export const FLASH_SKUS = ['sku-longjing-50g', 'sku-ginger-tea-box', 'sku-tote-natural'];

/** One SKU's outcome. */
export interface FlashSku extends SkuAccount {
  initial: number;
  /** Orders placed for it (both waves, before cancels). */
  placed: number;
  cancelled: number;
  /** Live quantity beyond the stock there was. */
  oversold: number;
  /** initial − (live quantity + stock left + orphan holds): units lost (> 0) or made up (< 0). */
  unaccounted: number;
}

/** The flash sale's figures. */
export interface FlashSale {
  shoppers: number;
  stock: number;
  /** Live orders at the end (placed and not cancelled) — the units sold, one per order. */
  sold: number;
  /** order.place answers of both waves that were an order. */
  placed: number;
  cancels: number;
  /** Cancels answered otherwise than with the closed order (codes in cancelCodes). */
  cancelErrors: number;
  cancelCodes: string[];
  /** order.place answered ORDER.BUSY (target 0), in either wave, plus cancels answered ORDER.BUSY. */
  busy: number;
  outOfStock: number;
  /** Shoppers of the second wave (refused for stock in the first). */
  retried: number;
  /** Orders the second wave placed (bought with stock the cancels gave back). */
  resold: number;
  otherErrors: number;
  otherCodes: string[];
  oversold: number;
  /** Units not accounted for (sum over SKUs of |unaccounted|): 0 when every unit was sold exactly once. */
  unaccounted: number;
  stockLeft: number | null;
  skus: FlashSku[];
  /** Latency of order.place answers (both waves) and of the cancels, ms. */
  placeP50Ms: number;
  placeP99Ms: number;
  cancelP50Ms: number;
  cancelP99Ms: number;
  seconds: number;
}

function codeOf(r: Exchange<Envelope>): string | undefined {
  if (r.status < 200 || r.status >= 300) return `HTTP_${r.status}`;
  const b = r.body as Envelope | undefined;
  if (b !== undefined && typeof b === 'object' && 'ok' in b && b.ok === false) return b.error.code;
  return undefined;
}

/** A request nothing answered (connection reset, say) counts as an answer with code TRANSPORT. */
function transportFailure(e: unknown): Exchange<Envelope> {
  const message = e instanceof Error ? e.message : String(e);
  return {
    status: 200,
    body: { ok: false, error: { code: 'TRANSPORT', message } },
    dbOps: Number.NaN,
    depth: null,
    ms: 0,
    serverMs: Number.NaN,
  };
}

function key(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Runs the flash sale on the bench's stack (the SKUs' stock is set here; carts are filled outside the clock). */
export async function runFlashSale(stack: BenchStack, size: FlashSize, tag = 'f'): Promise<FlashSale> {
  const client = new GatewayClient(stack.gatewayUrl, size.sockets);
  try {
    return await sale(stack, client, size, tag);
  } finally {
    client.close();
  }
}

async function sale(
  stack: BenchStack,
  client: GatewayClient,
  size: FlashSize,
  tag: string,
): Promise<FlashSale> {
  const skus = FLASH_SKUS.slice(0, size.stock.length);
  const shoppers = Array.from({ length: size.shoppers }, (_, i) => `bench-${tag}-${i}`);
  const skuOf = (i: number): string => skus[i % skus.length] ?? '';
  for (const skuId of skus) await stack.call('setStock', { skuId, stock: 10_000_000 });
  await runConcurrent(shoppers.length, size.concurrency, async (i) => {
    const r = await client
      .as(shoppers[i] ?? '')
      .exchange('shop', 'addToCart', { skuId: skuOf(i), quantity: 1 });
    if (codeOf(r) !== undefined) throw new Error(`addToCart (flash sale) failed: ${codeOf(r)}`);
  });
  for (const [k, skuId] of skus.entries()) await stack.call('setStock', { skuId, stock: size.stock[k] ?? 0 });

  const placeMs: number[] = [];
  const cancelMs: number[] = [];
  const placeCodes: (string | undefined)[] = [];
  const cancelCodes: (string | undefined)[] = [];
  const placedBy = new Map<number, number>();
  const cancelledBy = new Map<number, number>();
  const place = async (i: number): Promise<{ no?: string; code?: string }> => {
    const s = process.hrtime.bigint();
    const r = await client
      .as(shoppers[i] ?? '')
      .exchange('order', 'place', { clientRequestKey: key(tag), delivery: TEST_DELIVERY })
      .catch(transportFailure);
    placeMs.push(secondsSince(s) * 1000);
    const code = codeOf(r);
    placeCodes.push(code);
    if (code !== undefined) return { code };
    placedBy.set(i % skus.length, (placedBy.get(i % skus.length) ?? 0) + 1);
    return { no: (r.body as { ok: true; data: { outTradeNo: string } }).data.outTradeNo };
  };
  const cancel = async (i: number, outTradeNo: string): Promise<void> => {
    const s = process.hrtime.bigint();
    const r = await client
      .as(shoppers[i] ?? '')
      .exchange('order', 'cancel', { outTradeNo })
      .catch(transportFailure);
    cancelMs.push(secondsSince(s) * 1000);
    const code = codeOf(r);
    cancelCodes.push(code);
    if (code === undefined) cancelledBy.set(i % skus.length, (cancelledBy.get(i % skus.length) ?? 0) + 1);
  };

  const t0 = process.hrtime.bigint();
  let winners = 0;
  const refused: number[] = [];
  await Promise.all(
    shoppers.map(async (_, i) => {
      const answer = await place(i);
      if (answer.code === 'ORDER.OUT_OF_STOCK') refused.push(i);
      // An order: every cancelEvery-th winner changes their mind at once, while the sale goes on.
      else if (answer.no !== undefined && winners++ % size.cancelEvery === 0) await cancel(i, answer.no);
    }),
  );
  const firstWave = placeCodes.filter((c) => c === undefined).length;
  // The shoppers refused for stock try again, all at once: the stock the cancels returned is sold to them.
  await Promise.all(refused.map((i) => place(i)));
  const seconds = secondsSince(t0);

  const accounts = await stack.call<SkuAccount[]>('skuAccounts', { skuIds: skus });
  const perSku: FlashSku[] = accounts.map((a, k) => {
    const initial = size.stock[k] ?? 0;
    return {
      ...a,
      initial,
      placed: placedBy.get(k) ?? 0,
      cancelled: cancelledBy.get(k) ?? 0,
      oversold: Math.max(0, a.liveQuantity - initial),
      unaccounted: initial - (a.liveQuantity + (a.stock ?? 0) + a.orphanQuantity),
    };
  });
  const other = placeCodes.filter(
    (c): c is string => c !== undefined && c !== 'ORDER.BUSY' && c !== 'ORDER.OUT_OF_STOCK',
  );
  const badCancels = cancelCodes.filter((c): c is string => c !== undefined);
  const stockLeft = perSku.every((s) => s.stock !== null)
    ? perSku.reduce((s, x) => s + (x.stock ?? 0), 0)
    : null;
  return {
    shoppers: size.shoppers,
    stock: size.stock.reduce((s, x) => s + x, 0),
    sold: perSku.reduce((s, x) => s + x.liveOrders, 0),
    placed: placeCodes.filter((c) => c === undefined).length,
    cancels: cancelCodes.length,
    cancelErrors: badCancels.length,
    cancelCodes: [...new Set(badCancels)].slice(0, 5),
    busy:
      placeCodes.filter((c) => c === 'ORDER.BUSY').length +
      badCancels.filter((c) => c === 'ORDER.BUSY').length,
    outOfStock: placeCodes.filter((c) => c === 'ORDER.OUT_OF_STOCK').length,
    retried: refused.length,
    resold: placeCodes.filter((c) => c === undefined).length - firstWave,
    otherErrors: other.length,
    otherCodes: [...new Set(other)].slice(0, 5),
    oversold: perSku.reduce((s, x) => s + x.oversold, 0),
    unaccounted: perSku.reduce((s, x) => s + Math.abs(x.unaccounted), 0),
    stockLeft,
    skus: perSku,
    placeP50Ms: percentile(placeMs, 50),
    placeP99Ms: percentile(placeMs, 99),
    cancelP50Ms: percentile(cancelMs, 50),
    cancelP99Ms: percentile(cancelMs, 99),
    seconds,
  };
}
