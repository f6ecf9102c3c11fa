/**
 * wx.navigateTo with a re-entry guard: a second tap that lands before WeChat has pushed the first page would push a
 * second copy of it, so calls are ignored while one is in flight.
 */

/** If WeChat never calls back, the shopper must not be left on a page whose links do nothing. */
const GIVE_UP_MS = 1500;

let inFlight = false;
let giveUp: ReturnType<typeof setTimeout> | undefined;

function release(): void {
  inFlight = false;
  if (giveUp !== undefined) clearTimeout(giveUp);
  giveUp = undefined;
}

/** Opens `url` unless another navigateOnce is still opening a page; answers whether it started. */
export function navigateOnce(url: string): boolean {
  if (inFlight) return false;
  inFlight = true;
  giveUp = setTimeout(release, GIVE_UP_MS);
  // Once the new page is on top the old one cannot be tapped, so completion (either way) frees the guard.
  wx.navigateTo({ url, complete: release });
  return true;
}
