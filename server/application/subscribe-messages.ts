// Subscription messages the shop owes a shopper (docs/adr/0010): which templates are configured, what goes in their
// fields, and the small queue on the order that the message job works through. The write that makes an order PAID (or
// a refund final, or an order shipped) also writes `owe(...)`'s patch: no extra write on those paths.
import type { FieldType, FieldValue } from '../domain/subscribe-message';
import { fen, fieldTypeOf, instant, text } from '../domain/subscribe-message';
import type { JobState } from './job-queue';
import { queuedAt } from './job-queue';

/** The messages a shop may send. */
export const MESSAGE_KINDS = ['paid', 'shipped', 'refund'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** What a template field may show (the settings' vocabulary). */
export const VALUE_KINDS = [
  'orderNo',
  'goods',
  'paidAmount',
  'paidTime',
  'refundAmount',
  'refundTime',
  'refundResult',
  'carrier',
  'trackingNo',
  'shippedTime',
  'shopName',
  'note',
] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/** Which field types each value can go into (checked at cold start, so a send never finds out). */
export const VALUE_FIELD_TYPES: Readonly<Record<ValueKind, readonly FieldType[]>> = {
  orderNo: ['character_string', 'thing'],
  goods: ['thing'],
  paidAmount: ['amount', 'number', 'thing'],
  paidTime: ['time', 'date', 'thing'],
  refundAmount: ['amount', 'number', 'thing'],
  refundTime: ['time', 'date', 'thing'],
  refundResult: ['phrase', 'thing'],
  carrier: ['thing', 'name'],
  trackingNo: ['character_string', 'thing'],
  shippedTime: ['time', 'date', 'thing'],
  shopName: ['thing', 'name'],
  note: ['thing'],
};

/** Which values a message of each kind knows (a paid message has no refund amount). */
export const VALUES_OF_KIND: Readonly<Record<MessageKind, readonly ValueKind[]>> = {
  paid: ['orderNo', 'goods', 'paidAmount', 'paidTime', 'shopName', 'note'],
  shipped: ['orderNo', 'goods', 'paidAmount', 'carrier', 'trackingNo', 'shippedTime', 'shopName', 'note'],
  refund: [
    'orderNo',
    'goods',
    'paidAmount',
    'refundAmount',
    'refundTime',
    'refundResult',
    'shopName',
    'note',
  ],
};

/** One configured template: its id and what each of its keys shows. */
export interface MessageTemplate {
  templateId: string;
  fields: ReadonlyArray<{ key: string; value: ValueKind }>;
}

/** The configured templates (an absent kind is off) and what the shop calls itself in them. */
export interface MessageSettings {
  templates: Partial<Readonly<Record<MessageKind, MessageTemplate>>>;
  shopName: string;
}

/** The state of one owed message on the order. */
export type MessageState =
  /** The job will send it. */
  | 'owed'
  | 'sent'
  /** No accept left on our count: nothing sent (routine). */
  | 'skipped-no-accept'
  /** WeChat answered 43101 (not subscribed / used up): routine, quiet. */
  | 'skipped'
  /** WeChat refused it for good (47003, 41030, 40037, 40003): a person is told; never retried. */
  | 'failed'
  /** The template is not configured (any more) when the job came to it. */
  | 'off';

/** What a message shows besides the order itself (a refund's amount, a shipment's carrier …), fixed when owed. */
export interface MessageFacts {
  atMs: number;
  amountFen?: number;
  carrier?: string;
  trackingNo?: string;
}

/** One owed (or done) message on an order. */
export interface OrderMessage {
  state: MessageState;
  facts: MessageFacts;
  /** When it was sent, skipped or failed. */
  doneAtMs: number | null;
  /** WeChat's refusal, short (failed/skipped). */
  error: string | null;
}

/** The order fields of the message queue (OrderRecord extends this). */
export interface OrderMessages {
  /** Per kind, the latest message owed (a second refund owes the refund message again). Absent: none. */
  messages?: Partial<Record<MessageKind, OrderMessage>>;
  /** The message job's queue; absent on orders that never owed one. */
  messageJob?: JobState;
}

/**
 * The patch that makes `order` owe the `kind` message, to be written in the SAME write as the change it reports (the
 * order becoming PAID, a refund becoming final, the order shipping). `facts.atMs` defaults to `nowMs`.
 * Used by the fulfilment branch for 'shipped': `orders.update(order, { ...shippedPatch, ...owe(order, 'shipped', now,
 * { carrier, trackingNo }) })`.
 */
export function owe(
  order: OrderMessages,
  kind: MessageKind,
  nowMs: number,
  facts: Partial<MessageFacts> = {},
): Required<OrderMessages> {
  return {
    messages: {
      ...(order.messages ?? {}),
      [kind]: { state: 'owed', facts: { atMs: nowMs, ...facts }, doneAtMs: null, error: null },
    },
    messageJob: queuedAt(nowMs),
  };
}

/** The kinds still owed on an order, in a fixed order. */
export function owedKinds(order: OrderMessages): MessageKind[] {
  return MESSAGE_KINDS.filter((k) => order.messages?.[k]?.state === 'owed');
}

/** What the order says about itself, for the fields. */
export interface MessageOrderFacts {
  outTradeNo: string;
  description: string;
  paidFen: number | null;
  paidAtMs: number | null;
}

const RESULT_TEXT: Record<MessageKind, string> = { paid: '支付成功', shipped: '已发货', refund: '退款成功' };
const NOTE_TEXT: Record<MessageKind, string> = {
  paid: '商家正在备货，发货后通知您',
  shipped: '请留意物流信息，注意查收',
  refund: '款项将原路退回，请注意查收',
};

/** The value of one field of a `kind` message, or null when the order has none (e.g. no carrier recorded). */
export function valueFor(
  v: ValueKind,
  kind: MessageKind,
  order: MessageOrderFacts,
  facts: MessageFacts,
  shopName: string,
): FieldValue | null {
  switch (v) {
    case 'orderNo':
      return text(order.outTradeNo);
    case 'goods':
      return text(order.description);
    case 'paidAmount':
      return order.paidFen === null ? null : fen(order.paidFen);
    case 'paidTime':
      return order.paidAtMs === null ? null : instant(order.paidAtMs);
    case 'refundAmount':
      return facts.amountFen === undefined ? null : fen(facts.amountFen);
    case 'refundTime':
    case 'shippedTime':
      return instant(facts.atMs);
    case 'refundResult':
      return text(RESULT_TEXT[kind]);
    case 'carrier':
      return facts.carrier === undefined ? null : text(facts.carrier);
    case 'trackingNo':
      return facts.trackingNo === undefined ? null : text(facts.trackingNo);
    case 'shopName':
      return text(shopName);
    case 'note':
      return text(NOTE_TEXT[kind]);
  }
}

/** Why a template line does not fit its kind, or null (used by the settings' validation). */
export function templateProblem(kind: MessageKind, t: MessageTemplate): string | null {
  if (t.fields.length === 0) return 'names no fields';
  const seen = new Set<string>();
  for (const { key, value } of t.fields) {
    if (seen.has(key)) return `names ${key} twice`;
    seen.add(key);
    const type = fieldTypeOf(key);
    if (type === null) return `field ${key} is not a WeChat field type (thing1, amount2, …)`;
    if (!VALUES_OF_KIND[kind].includes(value)) return `field ${key}: a ${kind} message has no ${value}`;
    if (!VALUE_FIELD_TYPES[value].includes(type))
      return `field ${key}: ${value} cannot go into a ${type} field (${VALUE_FIELD_TYPES[value].join(', ')})`;
  }
  return null;
}
