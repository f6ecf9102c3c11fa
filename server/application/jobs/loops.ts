// The loops of the timer runs and what one item of each may cost in WeChat calls. A new job adds its loop here: the
// table is a Record over the union, so the compiler asks for its cost, and composition.ts turns that cost into the
// loop's time budget.

/** How many orders or refunds one timer run handles per queue (a run must finish well inside the function timeout). */
export const JOB_BATCH = 50;

/** The loops of the timer runs; each asks the run limit before it starts an item. */
export type JobLoop =
  | 'close'
  | 'hold-sweep'
  | 'sync'
  | 'refund-follow-up'
  | 'tester-refund'
  | 'paid-after-close'
  | 'bill'
  | 'bill-refund-row'
  | 'shipping-upload'
  | 'complete';

/**
 * The most WeChat calls one item of each loop can make (traced through the code). A run starts an item only while
 * that many requests, each up to the provider's request timeout, still fit before the function's timeout
 * (composition.ts: jobRunBudgetMs per loop).
 *
 * | loop             | calls | the longest path                                                                      |
 * | ---------------- | ----- | ------------------------------------------------------------------------------------- |
 * | close            | 4     | expire: query (NOTPAY) → close, refused (paid meanwhile) → query → refund of that     |
 * |                  |       | payment (PAID_AFTER_CLOSE auto-refund, or a tester order under auto-refund); a closed |
 * |                  |       | order's pending close: close → query → refund (3)                                     |
 * | hold-sweep       | 0     | database only                                                                         |
 * | sync             | 2     | query → refund of the payment found (tester auto-refund; PAID_AFTER_CLOSE if closed   |
 * |                  |       | meanwhile)                                                                            |
 * | refund-follow-up | 1     | submit (create the refund again) or query                                             |
 * | tester-refund    | 1     | create the tester order's refund                                                      |
 * | paid-after-close | 1     | create the automatic refund                                                           |
 * | bill             | 1     | download yesterday's bill                                                             |
 * | bill-refund-row  | 1     | query a refund the bill shows further than we know it                                 |
 * | shipping-upload  | 3     | is_trade_managed (once per process) → get_order (after a failed attempt) → upload     |
 * | complete         | 0     | database only                                                                         |
 */
export const WECHAT_CALLS_PER_ITEM: Readonly<Record<JobLoop, number>> = {
  close: 4,
  'hold-sweep': 0,
  sync: 2,
  'refund-follow-up': 1,
  'tester-refund': 1,
  'paid-after-close': 1,
  bill: 1,
  'bill-refund-row': 1,
  'shipping-upload': 3,
  complete: 0,
};
