import { clientEnv, LOCAL_IDENTITIES } from '../config/env';

const STORAGE_KEY = 'dev.openid';

/**
 * Local mode only: which shopper the local gateway should take the caller for (the stand-in for WeChat's login). In a
 * cloud build the identity is WeChat's and nothing here is consulted.
 */
export function localOpenid(): string {
  const stored: unknown = wx.getStorageSync(STORAGE_KEY);
  return typeof stored === 'string' && /^[0-9A-Za-z_-]{1,64}$/.test(stored) ? stored : clientEnv.localOpenid;
}

/** Switches the local shopper (refused outside local mode). */
export function setLocalOpenid(openid: string): boolean {
  if (clientEnv.transport !== 'local') return false;
  if (!LOCAL_IDENTITIES.some((i) => i.openid === openid)) return false;
  wx.setStorageSync(STORAGE_KEY, openid);
  return true;
}
