import { BUILD_ENV } from '../config/build-env';
import { clientEnv, LOCAL_IDENTITIES } from '../config/env';
import { localOpenid } from './identity';

/**
 * The build this is (develop, trial, release; null when WeChat does not say): for the banner, and the build an
 * order's subscription messages open.
 */
export function buildVersion(): 'develop' | 'trial' | 'release' | null {
  try {
    const v = wx.getAccountInfoSync().miniProgram.envVersion;
    return v === 'develop' || v === 'trial' || v === 'release' ? v : null;
  } catch {
    return null;
  }
}

/** What the environment banner says; empty text = no banner (a released build talking to the cloud). */
export interface EnvBannerView {
  text: string;
  tone: 'develop' | 'trial' | 'local';
}

/** Develop and trial builds (and every local preview) say where they run; testers on trial are told money is real. */
export function envBanner(): EnvBannerView {
  const envVersion = buildVersion() ?? 'release';
  // The local banner's words come with the build: a trial/release package has none to show.
  if (clientEnv.transport === 'local' && BUILD_ENV.localBanner !== '') {
    const who = LOCAL_IDENTITIES.find((i) => i.openid === localOpenid())?.name ?? localOpenid();
    return { text: `${BUILD_ENV.localBanner} · 当前身份：${who}`, tone: 'local' };
  }
  if (envVersion === 'trial')
    return { text: '体验版 · 支付为真实扣款，测试员下单按测试金额收取', tone: 'trial' };
  if (envVersion === 'develop') return { text: '开发版 · 云开发环境', tone: 'develop' };
  return { text: '', tone: 'develop' };
}
