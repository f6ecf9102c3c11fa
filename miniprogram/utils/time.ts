/**
 * The server's clock as seen from the phone: `offsetMs` = server time − phone time when a view arrived. A countdown
 * computed this way is right however wrong the phone's clock is (network latency aside).
 */
export function serverOffsetMs(serverNowMs: number, phoneNowMs: number = Date.now()): number {
  return serverNowMs - phoneNowMs;
}

/** Milliseconds left until `expiresAtMs` on the server's clock (never negative). */
export function remainingMs(expiresAtMs: number, offsetMs: number, phoneNowMs: number = Date.now()): number {
  return Math.max(0, expiresAtMs - (phoneNowMs + offsetMs));
}

/** "29:05" or "1:02:03". */
export function countdownText(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** "2026-11-30 15:01" in Beijing time (orders are the shop's, wherever the phone is). */
export function beijingTimeText(ms: number): string {
  const d = new Date(ms + 8 * 3600 * 1000);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}
