/**
 * Waits and polling plans in one place. Page tests shrink them (they run real pages against a real local stack and
 * must not sleep for real minutes); nothing else changes them.
 */
export const timing = {
  /** Delays before each retry of a call that got no answer (only calls that are safe to repeat). */
  retryDelaysMs: [400, 1200, 3000] as number[],
  /** After the cashier said "success": how long to keep asking the server before telling the shopper to check later. */
  confirmDelaysMs: [1000, 1500, 2500, 4000, 6000] as number[],
  /** While an order page shows a state that can still change: backoff between looks (the last one repeats). */
  watchDelaysMs: [3000, 5000, 10000, 20000, 30000] as number[],
  /**
   * After the sheet said "cancel" (or the server refused a cancel as unconfirmed): how long 取消订单 stays hidden before
   * WeChat is asked again. A shopper who left the sheet another way may have paid; the notification can take ~10 s.
   */
  cancelHoldMs: 10000,
  /** The counter page: how often it asks whether the customer has paid the QR code. */
  counterPollMs: 3000,
  /** Countdown refresh. */
  tickMs: 1000,
  /** 稍后支付 at the simulated cashier: how long until the payer's money moves. */
  latePayDelayMs: 8000,
};

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
