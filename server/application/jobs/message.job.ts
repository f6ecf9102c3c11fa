// The message queue (docs/adr/0010): orders whose messageJob is due owe one or more subscription messages (paid,
// shipped, refund), written there by the very write that made them owed. Per owed message: format it (a value that
// cannot be fixed fails it for good, no accept used), take one accept (none left: skipped, quiet, nothing sent), send
// it. 43101 is routine (skipped); a refusal that cannot succeed (47003, 41030, 40037, 40003) fails it and tells a person;
// anything else is retried with the default backoff and, after it, given up (a person is told). Settle rule: nothing
// owed is left.
import { ZERO_FEN } from '../../domain/money';
import { SubscribeFieldError, formatMessageData } from '../../domain/subscribe-message';
import type { FieldValue } from '../../domain/subscribe-message';
import { raiseAttention } from '../attention';
import type { CoreDeps, MessageDeps } from '../core.deps';
import type { JobState } from '../job-queue';
import { DEFAULT_BACKOFF, failedAttempt, settled } from '../job-queue';
import type { MiniprogramState, OrderRecord } from '../order.model';
import type { SubscribeMessage } from '../ports/subscribe-message.port';
import type { MessageKind, OrderMessage } from '../subscribe-messages';
import { owedKinds, valueFor } from '../subscribe-messages';
import { JOB_BATCH } from './loops';
import type { JobRunner, JobStateOf, JobTally, QueueJob } from './queue-runner';

/** The page a message card opens: the order's own page (a subpackage page of miniprogram/app.json). */
export const MESSAGE_PAGE = 'order/detail/index';

/** Times an attempt re-reads the order to record what it did when another writer changed it meanwhile. */
const SAVE_ATTEMPTS = 5;

export interface MessageTally extends JobTally {
  messagesSent: number;
  /** No accept left (ours or WeChat's 43101): routine. */
  messagesSkipped: number;
  /** Refused for good: a person is told. */
  messagesFailed: number;
}

/** Which build the card opens: the local stack's, else the build the order was placed from (release by default). */
export function miniprogramStateFor(order: OrderRecord, m: MessageDeps): MiniprogramState {
  return m.forcedState ?? order.placedFrom ?? 'formal';
}

/** The formatted message for `kind`, or a SubscribeFieldError naming the first field that cannot be filled. */
export function buildMessage(order: OrderRecord, kind: MessageKind, m: MessageDeps): SubscribeMessage | null {
  const template = m.settings.templates[kind];
  const owed = order.messages?.[kind];
  if (template === undefined || owed === undefined) return null;
  const fields: Record<string, FieldValue> = {};
  const facts = {
    outTradeNo: order.outTradeNo,
    description: order.description,
    paidFen: order.payment?.paidFen ?? null,
    paidAtMs: order.payment?.successTimeMs ?? null,
  };
  for (const { key, value } of template.fields) {
    const v = valueFor(value, kind, facts, owed.facts, m.settings.shopName);
    if (v === null) throw new SubscribeFieldError(key, `the order has no ${value}`);
    fields[key] = v;
  }
  return {
    touser: order.openid,
    templateId: template.templateId,
    page: `${MESSAGE_PAGE}?outTradeNo=${encodeURIComponent(order.outTradeNo)}`,
    data: formatMessageData(fields),
    miniprogramState: miniprogramStateFor(order, m),
    lang: 'zh_CN',
  };
}

export function messageJob(d: CoreDeps, runner: JobRunner): QueueJob<OrderRecord, MessageTally> {
  const state: JobStateOf<OrderRecord> = {
    queue: 'message',
    backoff: DEFAULT_BACKOFF,
    idOf: (order) => order.outTradeNo,
    stateOf: (order) => order.messageJob ?? settled(null),
    reload: (order) => d.orders.get(order.outTradeNo),
    write: (order, next) => d.orders.update(order, { messageJob: next }),
  };

  const done = (
    prev: OrderMessage,
    s: OrderMessage['state'],
    now: number,
    error: string | null = null,
  ): OrderMessage => ({ ...prev, state: s, doneAtMs: now, error });

  /** Sends one owed message; answers its new entry, or throws what may succeed later. */
  async function sendOne(
    m: MessageDeps,
    order: OrderRecord,
    kind: MessageKind,
    r: MessageTally,
  ): Promise<OrderMessage> {
    const owed = order.messages![kind]!;
    const now = d.clock.now();
    let message: SubscribeMessage | null;
    try {
      message = buildMessage(order, kind, m);
    } catch (e) {
      if (!(e instanceof SubscribeFieldError)) throw e;
      r.messagesFailed++;
      await refused(order, kind, `format: ${e.message}`);
      return done(owed, 'failed', now, e.message.slice(0, 200));
    }
    if (message === null) return done(owed, 'off', now);
    if (!(await m.subscriptions.takeAccept(order.openid, message.templateId, now))) {
      r.messagesSkipped++;
      d.log.info('message.no_accept', { outTradeNo: order.outTradeNo, kind });
      return done(owed, 'skipped-no-accept', now);
    }
    let outcome;
    try {
      outcome = await m.sender.send(message);
    } catch (e) {
      // Not known to be used: the accept goes back (at worst WeChat answers 43101 later, which is quiet).
      await m.subscriptions.addAccepts(order.openid, [message.templateId], now);
      throw e;
    }
    if (outcome.kind === 'sent') {
      r.messagesSent++;
      d.log.info('message.sent', { outTradeNo: order.outTradeNo, kind });
      return done(owed, 'sent', now);
    }
    const error = `${outcome.errcode}: ${outcome.errmsg}`.slice(0, 200);
    if (outcome.kind === 'not-subscribed') {
      // WeChat says none was left: ours was wrong (a lying client, or a reject counted as accept). Kept used.
      r.messagesSkipped++;
      d.log.info('message.not_subscribed', { outTradeNo: order.outTradeNo, kind, errcode: outcome.errcode });
      return done(owed, 'skipped', now, error);
    }
    r.messagesFailed++;
    await refused(order, kind, error);
    return done(owed, 'failed', now, error);
  }

  async function refused(order: OrderRecord, kind: MessageKind, why: string): Promise<void> {
    d.log.error('message.refused', { outTradeNo: order.outTradeNo, kind, error: why });
    await d.metrics.increment('messages.refused');
    await raiseAttention(d, {
      id: `message-refused:${order.outTradeNo}:${kind}`,
      kind: 'message-refused',
      outTradeNo: order.outTradeNo,
      transactionId: order.payment?.transactionId ?? null,
      outRefundNo: null,
      refundId: null,
      amountFen: ZERO_FEN,
      wechatState: why.slice(0, 100),
      notificationId: null,
      note: `订阅消息 ${kind} 发送失败（不会重试）：检查模板设置或页面 · the ${kind} message was refused for good: ${why}`,
    });
  }

  async function attempt(order: OrderRecord, r: MessageTally): Promise<void> {
    const m = d.messages;
    const results: Partial<Record<MessageKind, OrderMessage>> = {};
    let failure: unknown = null;
    for (const kind of owedKinds(order)) {
      if (m === undefined) {
        results[kind] = done(order.messages![kind]!, 'off', d.clock.now());
        continue;
      }
      try {
        results[kind] = await sendOne(m, order, kind, r);
      } catch (e) {
        // What was sent before stays recorded below; the rest is asked again after the backoff.
        failure = e;
        r.errors++;
        d.log.warn('message.send_failed', { outTradeNo: order.outTradeNo, kind, error: e });
        break;
      }
    }
    await record(order, results, failure, r);
  }

  /** Writes what was done (merged into the order as stored now) and the queue's next state. */
  async function record(
    first: OrderRecord,
    results: Partial<Record<MessageKind, OrderMessage>>,
    failure: unknown,
    r: MessageTally,
  ): Promise<void> {
    let order: OrderRecord | null = first;
    for (let i = 0; i < SAVE_ATTEMPTS && order !== null; i++) {
      const messages = { ...(order.messages ?? {}) };
      for (const [kind, entry] of Object.entries(results) as [MessageKind, OrderMessage][]) {
        // Only the very message we handled: one owed again since (a second refund) stays owed.
        if (messages[kind]?.state === 'owed' && messages[kind].facts.atMs === entry.facts.atMs)
          messages[kind] = entry;
      }
      const prev = state.stateOf(order);
      const stillOwed = owedKinds({ messages }).length > 0;
      const next: JobState =
        failure !== null
          ? failedAttempt(prev, d.clock.now(), failure, DEFAULT_BACKOFF)
          : stillOwed
            ? { ...prev, nextAttemptAtMs: d.clock.now(), state: 'queued' }
            : settled(prev);
      const saved = await d.orders.update(order, { messages, messageJob: next });
      if (saved !== null) {
        await runner.saved(state, saved, prev, next, r);
        return;
      }
      order = await d.orders.get(first.outTradeNo);
    }
    d.log.error('message.record_failed', { outTradeNo: first.outTradeNo });
  }

  return {
    loop: 'message',
    // Without message settings nothing is ever owed (the payment and refund writes owe only when configured).
    due: (nowMs) => (d.messages ? d.orders.listMessageDue(nowMs, JOB_BATCH) : Promise.resolve([])),
    logKey: (order) => ({ outTradeNo: order.outTradeNo }),
    events: { failed: 'message.job_failed', backoffFailed: 'message.backoff_failed' },
    attempt,
    state,
  };
}
