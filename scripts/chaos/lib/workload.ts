// What the shoppers, the payer and the staff do in a chaos run. Every order draws its scenario and its faults from its
// own seeded stream, so the same seed asks for the same things whatever the interleaving. Nothing here decides what
// the outcome should be: the invariants compare the stack's state with WeChat's ledger afterwards.
import type { FaultSpec } from '../../../simulator';
import { streamOf, type Rng } from './prng';
import { sleep, type Outcome, type StackClient } from './target';
import { TEST_DELIVERY } from '../../../devcloud/test-support/delivery';

/** What a shopper does with an order after placing it. */
export const SCENARIO_WEIGHTS = {
  /** pay.start, the payer pays: the notification does the rest. */
  pay: 40,
  /** …then the order page asks pay.sync at once. */
  paySync: 5,
  /** pay.start tapped twice (the second answer must reuse the prepay), then pays. */
  payDoubleTap: 3,
  /** Places and leaves: the order expires. */
  abandon: 8,
  /** pay.start, closes the cashier, leaves. */
  cashierCancel: 5,
  /** pay.start, the payment fails (balance); half of them pay on a second try. */
  payFails: 5,
  /** Cancels before paying anything. */
  cancelUnpaid: 6,
  /** pay.start, then cancels (within WeChat's 5-minute close guard). */
  cancelAfterStart: 8,
  /** pay.start, cancels, and the money arrives anyway (the close/pay race). */
  cancelThenPayLate: 6,
  /** Pays, then taps cancel: WeChat already has the money. */
  payThenCancel: 4,
  /** pay.start, leaves; pays after the order expired (before or after the close job). */
  expireThenPayLate: 6,
} as const;
export type Scenario = keyof typeof SCENARIO_WEIGHTS;

/** One order's life as the driver saw it. */
export interface DrivenOrder {
  index: number;
  shopper: string;
  scenario: Scenario;
  outTradeNo: string | null;
  /** Why no order exists (OUT_OF_STOCK is a fine answer; anything else is recorded). */
  placeFailure: string | null;
  /** Answers that were errors, "<action> <code>", for the report. */
  errors: string[];
  /** Payer actions the simulator refused (e.g. pay after a failed pay.start). */
  payerRefusals: string[];
  /** Two taps of one action at the same moment that were answered differently (one key must mean one answer). */
  doubleTapMismatches: string[];
}

/** Figures of the faults a run asked for. */
export interface FaultTally {
  notifyDrop: number;
  notifyDropAll: number;
  notifyDuplicate: number;
  notifyDelay: number;
  notifyReorder: number;
  apiError: number;
  apiTimeout: number;
}

export function emptyTally(): FaultTally {
  return {
    notifyDrop: 0,
    notifyDropAll: 0,
    notifyDuplicate: 0,
    notifyDelay: 0,
    notifyReorder: 0,
    apiError: 0,
    apiTimeout: 0,
  };
}

/** Knobs of the workload (rates are per order). */
export interface WorkloadOptions {
  seed: number;
  dropRate: number;
  duplicateRate: number;
  delayRate: number;
  apiFailureRate: number;
  /** How long an injected API timeout hangs (real ms; longer than the functions' WeChat request timeout). */
  apiHangMs: number;
  /** SKUs with plenty of stock and the few with little (sell-out and release under contention). */
  plentifulSkus: string[];
  hotSkus: string[];
  /** Payments made so far (crash runs kill the stack once a storm of them is under way). */
  progress?: { paid: number };
}

/** The testers a run configures (SHOP_TESTER_OPENIDS, with SHOP_TESTER_AUTO_REFUND on). */
export const CHAOS_TESTERS = Array.from({ length: 10 }, (_x, k) => `o-chaos-tester-${k}`);

function isTesterTurn(index: number): boolean {
  return index % 25 === 3;
}

// Two tester orders of one round never share a tester (their carts would collide).
function testerOpenid(index: number): string {
  return CHAOS_TESTERS[Math.floor(index / 25) % CHAOS_TESTERS.length]!;
}

/** The admin (staff) identity the run refunds as. */
export const CHAOS_ADMIN = 'o-dev-admin';

const RETRYABLE =
  /^(INTERNAL|TRANSPORT|HTTP_5\d\d|DEVCLOUD\.|ORDER\.BUSY|CART\.BUSY|PAYMENT\.PROVIDER_ERROR)/;

/**
 * Calls until the answer is not a retryable failure (as a patient shopper or the mini program's retry would), up to
 * `attempts` times; while the stack is down (crash runs) it waits for it to come back first.
 */
export async function persist<T>(
  client: StackClient,
  call: () => Promise<Outcome<T>>,
  attempts = 4,
): Promise<Outcome<T>> {
  let last: Outcome<T> | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await call();
    if (last.ok || !RETRYABLE.test(last.error.code)) return last;
    if ('transport' in last) {
      for (let w = 0; w < 200 && !(await client.alive()); w++) await sleep(100);
    } else await sleep(20 + 30 * i);
  }
  return last!;
}

/** Draws the notification and API faults of one order and installs them at the simulator (scoped to it). */
export async function installOrderFaults(
  client: StackClient,
  o: WorkloadOptions,
  rng: Rng,
  outTradeNo: string,
  tally: FaultTally,
): Promise<void> {
  const specs: FaultSpec[] = [];
  if (rng.chance(o.dropRate)) {
    // Mostly a few lost attempts (the retry delivers); sometimes every attempt (only a job finds the payment).
    if (rng.chance(0.1)) {
      specs.push({ kind: 'notify.drop', outTradeNo, count: 16, eventType: 'TRANSACTION.' });
      tally.notifyDropAll++;
    } else {
      specs.push({ kind: 'notify.drop', outTradeNo, count: rng.int(1, 3) });
      tally.notifyDrop++;
    }
  }
  if (rng.chance(o.duplicateRate)) {
    specs.push({ kind: 'notify.duplicate', outTradeNo, count: rng.int(1, 2) });
    tally.notifyDuplicate++;
  }
  if (rng.chance(o.delayRate)) {
    specs.push({ kind: 'notify.delay', outTradeNo, delayMs: rng.int(5, 20 * 60) * 1000 });
    tally.notifyDelay++;
  }
  if (rng.chance(o.apiFailureRate)) {
    const where = rng.weighted({ create: 6, query: 2, close: 2 });
    const path = where === 'create' ? '/transactions/jsapi' : where === 'close' ? '/close' : '/out-trade-no/';
    const method = where === 'query' ? 'GET' : 'POST';
    if (rng.chance(0.7)) {
      specs.push({
        kind: 'api.error',
        outTradeNo,
        path,
        method,
        count: 1,
        when: rng.chance(0.5) ? 'before' : 'after',
        status: 500,
        code: 'SYSTEM_ERROR',
      });
      tally.apiError++;
    } else {
      specs.push({
        kind: 'api.timeout',
        outTradeNo,
        path,
        method,
        count: 1,
        hangMs: o.apiHangMs,
        when: rng.chance(0.5) ? 'before' : 'after',
      });
      tally.apiTimeout++;
    }
  }
  for (const spec of specs) await client.sim.addFault(spec);
}

async function payer(
  client: StackClient,
  d: DrivenOrder,
  action: 'pay' | 'payLate' | 'cancel' | 'fail',
  progress?: { paid: number },
): Promise<boolean> {
  try {
    await client.sim[action](d.outTradeNo!);
    if (progress && (action === 'pay' || action === 'payLate')) progress.paid++;
    return true;
  } catch (e) {
    d.payerRefusals.push(`${action}: ${(e as Error).message.slice(0, 80)}`);
    return false;
  }
}

const UNKNOWN_OUTCOME = /^(INTERNAL|TRANSPORT|HTTP_5\d\d|DEVCLOUD\.)/;

/**
 * Records two simultaneous taps answered differently: both fine but different (two orders, two prepays, two refunds),
 * or one fine and the other a business refusal. A failure whose outcome is unknown (internal error, stack down) is no
 * answer to compare.
 */
export function compareTaps<T>(
  d: DrivenOrder,
  action: string,
  a: Outcome<T>,
  b: Outcome<T>,
  identity: (data: T) => unknown,
): void {
  if (a.ok && b.ok) {
    if (identity(a.data) !== identity(b.data))
      d.doubleTapMismatches.push(
        `${action}: two taps answered ${String(identity(a.data))} and ${String(identity(b.data))}`,
      );
    return;
  }
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const)
    if (x.ok && !y.ok && !UNKNOWN_OUTCOME.test(y.error.code))
      d.doubleTapMismatches.push(
        `${action}: one tap answered ${String(identity(x.data))}, the other ${y.error.code}`,
      );
}

function noteError(d: DrivenOrder, action: string, r: Outcome): void {
  if (!r.ok) d.errors.push(`${action} ${r.error.code}`);
}

/**
 * One shopper's order: cart, checkout, then the drawn scenario. Answers the driven record; `later` collects what
 * happens after the order has expired (late payments).
 */
export async function driveOrder(
  client: StackClient,
  o: WorkloadOptions,
  index: number,
  tally: FaultTally,
  later: DrivenOrder[],
): Promise<DrivenOrder> {
  const rng = streamOf(o.seed, index);
  // One shopper in 25 is a tester (charged 1 fen, refunded automatically once paid); ten testers take turns.
  const shopper = isTesterTurn(index) ? testerOpenid(index) : `o-chaos-${o.seed}-${index}`;
  const scenario = rng.weighted(SCENARIO_WEIGHTS);
  const d: DrivenOrder = {
    index,
    shopper,
    scenario,
    outTradeNo: null,
    placeFailure: null,
    errors: [],
    payerRefusals: [],
    doubleTapMismatches: [],
  };
  const lines = rng.chance(0.2) ? 2 : 1;
  const add = async (sku: string, quantity: number) => {
    const r = await persist(client, () =>
      client.as(shopper).call('shop', 'addToCart', { skuId: sku, quantity }),
    );
    noteError(d, 'addToCart', r);
  };
  for (let l = 0; l < lines; l++)
    await add(rng.chance(0.25) ? rng.pick(o.hotSkus) : rng.pick(o.plentifulSkus), rng.int(1, 2));
  const place = (key: string) =>
    persist(client, () =>
      client.as(shopper).call('order', 'place', { clientRequestKey: key, delivery: TEST_DELIVERY }),
    );
  let placed: Outcome<{ outTradeNo: string }>;
  if (rng.chance(0.08)) {
    // A double tap on "place order": both taps at once, one key.
    const [a, b] = await Promise.all([place(`chaos-${o.seed}-${index}`), place(`chaos-${o.seed}-${index}`)]);
    compareTaps(d, 'order.place', a, b, (x) => x.outTradeNo);
    placed = a.ok ? a : b;
  } else placed = await place(`chaos-${o.seed}-${index}`);
  if (!placed.ok && /OUT_OF_STOCK|EMPTY/.test(placed.error.code)) {
    // Sold out: the shopper empties the cart and buys something that is there.
    noteError(d, 'order.place', placed);
    await persist(client, () => client.as(shopper).call('shop', 'clearCart'));
    await add(rng.pick(o.plentifulSkus), 1);
    placed = await place(`chaos-${o.seed}-${index}-again`);
  }
  if (!placed.ok) {
    d.placeFailure = placed.error.code;
    return d;
  }
  const outTradeNo = placed.data.outTradeNo;
  d.outTradeNo = outTradeNo;
  await installOrderFaults(client, o, rng, outTradeNo, tally);

  const call = (fn: 'pay' | 'order', action: 'start' | 'sync' | 'cancel' | 'get') =>
    persist(client, () => client.as(shopper).unchecked(fn, action, { outTradeNo }));
  const start = async () => {
    const r = await call('pay', 'start');
    noteError(d, 'pay.start', r);
    return r.ok;
  };
  const cancel = async () => noteError(d, 'order.cancel', await call('order', 'cancel'));

  switch (scenario) {
    case 'pay':
      if (await start()) await payer(client, d, 'pay', o.progress);
      break;
    case 'paySync':
      if (await start()) {
        await payer(client, d, 'pay', o.progress);
        noteError(d, 'pay.sync', await call('pay', 'sync'));
      }
      break;
    case 'payDoubleTap': {
      const [a, b] = await Promise.all([call('pay', 'start'), call('pay', 'start')]);
      compareTaps(
        d,
        'pay.start',
        a,
        b,
        (x) => (x as { requestPayment?: { package?: string } }).requestPayment?.package,
      );
      if (a.ok || b.ok) await payer(client, d, 'pay', o.progress);
      else noteError(d, 'pay.start', a);
      break;
    }
    case 'abandon':
      break;
    case 'cashierCancel':
      if (await start()) await payer(client, d, 'cancel');
      break;
    case 'payFails':
      if (await start()) {
        await payer(client, d, 'fail');
        if (rng.chance(0.5) && (await start())) await payer(client, d, 'pay', o.progress);
      }
      break;
    case 'cancelUnpaid':
      await cancel();
      break;
    case 'cancelAfterStart':
      if (await start()) await cancel();
      break;
    case 'cancelThenPayLate':
      if (await start()) {
        await cancel();
        await payer(client, d, 'payLate', o.progress);
      }
      break;
    case 'payThenCancel':
      if (await start()) {
        await payer(client, d, 'pay', o.progress);
        await cancel();
      }
      break;
    case 'expireThenPayLate':
      if (await start()) later.push(d);
      break;
  }
  return d;
}

/** The late payers: money taken after the order expired, before or after the close job ran. */
export async function payLate(client: StackClient, d: DrivenOrder): Promise<void> {
  await payer(client, d, 'payLate');
}

/** A staff refund as the admin would make it. */
export async function staffRefund(
  client: StackClient,
  outTradeNo: string,
  amountFen: number,
  requestKey: string,
  d: DrivenOrder,
): Promise<Outcome<{ outRefundNo: string }>> {
  const r = await persist(client, () =>
    client.as(CHAOS_ADMIN).call('refund', 'create', {
      outTradeNo,
      amountFen,
      requestKey,
      reason: 'chaos run refund',
    }),
  );
  noteError(d, 'refund.create', r);
  return r;
}
