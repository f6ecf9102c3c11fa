import type { MiniprogramState } from '../order.model';

/** One subscribeMessage.send (WeChat's fields). */
export interface SubscribeMessage {
  touser: string;
  templateId: string;
  /** The mini program page the card opens, with its query (e.g. "order/detail/index?outTradeNo=…"). */
  page: string;
  data: Record<string, { value: string }>;
  miniprogramState: MiniprogramState;
  lang: 'zh_CN';
}

/**
 * What WeChat answered a send: sent; 'not-subscribed' (43101: no accept left — routine); 'refused' (47003 a field,
 * 41030 page, 40037 template, 40003 openid: cannot succeed as it is); a failure to retry throws instead.
 */
export type SendOutcome =
  | { kind: 'sent' }
  | { kind: 'not-subscribed'; errcode: number; errmsg: string }
  | { kind: 'refused'; errcode: number; errmsg: string };

/** cloud.openapi.subscribeMessage.send, typed. Throws on what may succeed later (network, -1, other codes). */
export interface SubscribeMessageSender {
  send(message: SubscribeMessage): Promise<SendOutcome>;
}

/**
 * The shoppers' accepts, per openid and template (`subscriptions`): WeChat cannot be asked how many are left, so we
 * count them (one accept = one send).
 */
export interface SubscriptionStore {
  /** Adds `count` accepts for each template. */
  addAccepts(openid: string, templateIds: readonly string[], nowMs: number): Promise<void>;
  /** Takes one accept atomically (only while the count is above 0): false when none was left. */
  takeAccept(openid: string, templateId: string, nowMs: number): Promise<boolean>;
  /** The counts now, per template (0 when none). */
  counts(openid: string, templateIds: readonly string[]): Promise<Record<string, number>>;
}
