// The shipping address comes from the shopper's WeChat address book (wx.chooseAddress: no address form of our own).
// WeChat asks for privacy consent first (app.json requiredPrivateInfos; the page shows the consent button when
// wx.onNeedPrivacyAuthorization fires); the shopper can close the picker, or have refused the permission. The last
// chosen address is remembered on the phone for the next checkout (the server validates it every time).
import type { AddressInput } from '../../typings/contracts/fulfilment';

const STORAGE_KEY = 'checkout.lastAddress';

/** How a pick ended. */
export type AddressPick =
  | { kind: 'chosen'; address: AddressInput }
  /** The shopper closed the picker: nothing changes. */
  | { kind: 'cancelled' }
  /** The address permission was refused earlier: it can be switched on again in the settings page. */
  | { kind: 'denied' }
  /** The shopper did not agree to the privacy guide. */
  | { kind: 'privacy' }
  /** Anything else WeChat answered (an old WeChat, a platform error). */
  | { kind: 'failed'; detail: string };

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

/** The fields checkout sends, from what WeChat (or storage) holds; null when a required one is missing. */
export function toAddressInput(raw: unknown): AddressInput | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const a: AddressInput = {
    userName: text(r.userName),
    telNumber: text(r.telNumber),
    provinceName: text(r.provinceName),
    cityName: text(r.cityName),
    countyName: text(r.countyName),
    detailInfo: text(r.detailInfo),
  };
  if (!a.userName || !a.telNumber || !a.provinceName || !a.detailInfo) return null;
  const postal = text(r.postalCode);
  if (postal) a.postalCode = postal;
  return a;
}

/** Sorts WeChat's errMsg into what the page tells the shopper. */
export function classifyAddressFailure(errMsg: string): AddressPick {
  const m = errMsg.toLowerCase();
  if (/privacy|scope is not declared/.test(m)) return { kind: 'privacy' };
  if (/cancel/.test(m)) return { kind: 'cancelled' };
  if (/auth|deny|denied|permission/.test(m)) return { kind: 'denied' };
  return { kind: 'failed', detail: errMsg };
}

/** Opens WeChat's address picker. */
export function pickAddress(): Promise<AddressPick> {
  return new Promise((resolve) => {
    if (typeof wx.chooseAddress !== 'function') {
      resolve({ kind: 'failed', detail: 'chooseAddress unavailable' });
      return;
    }
    wx.chooseAddress({
      success: (res) => {
        const address = toAddressInput(res);
        resolve(address ? { kind: 'chosen', address } : { kind: 'failed', detail: 'incomplete address' });
      },
      fail: (err: { errMsg?: string }) => resolve(classifyAddressFailure(err.errMsg ?? '')),
    });
  });
}

/** The address chosen at the last checkout on this phone (null when none, or unreadable). */
export function lastAddress(): AddressInput | null {
  try {
    return toAddressInput(wx.getStorageSync(STORAGE_KEY));
  } catch {
    return null;
  }
}

export function rememberAddress(a: AddressInput): void {
  try {
    wx.setStorageSync(STORAGE_KEY, a);
  } catch {
    // A full storage only costs the shopper a pick next time.
  }
}

/** "广东省 深圳市 南山区 科技园路 1 号" */
export function addressLine(a: AddressInput): string {
  return [a.provinceName, a.cityName, a.countyName, a.detailInfo].filter((s) => s !== '').join(' ');
}
