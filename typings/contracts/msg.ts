// The page-facing types of subscription messages (docs/adr/0010, docs/API.md "msg").

/** The templates the shop configured, to ask for with wx.requestSubscribeMessage. */
export interface MessageTemplatesView {
  /** Every configured template id, paid first (at most 3: older clients take no more per call). */
  tmplIds: string[];
  /** The id of each message, null when that message is off. */
  byKind: { paid: string | null; shipped: string | null; refund: string | null };
}

/** What msg.subscribed counted. */
export interface SubscribedView {
  /** The configured ids whose result started with "accept": one more send each. */
  counted: string[];
  /** The shopper's accepts left now, per configured id. */
  counts: Record<string, number>;
}
