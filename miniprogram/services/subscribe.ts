// Subscription messages (一次性订阅消息, docs/adr/0010): after the payment sheet closes — inside wx.requestPayment's
// callback, where WeChat allows the prompt without a tap (base library ≥ 2.8.2) — ask for the shop's templates (paid,
// shipped, refund: at most 3, for older clients) and tell the server what the shopper accepted (msg.subscribed: one
// accept = one send). Nothing here can block or fail the payment: the ids are fetched ahead (the callback must call
// wx.requestSubscribeMessage at once), every error is logged and dropped, and nobody waits for the answer.
import { clientEnv } from '../config/env';
import { simulatedSubscribePrompt } from './cashier';
import { call } from './cloud';
import { localOpenid } from './identity';

/** Template ids to ask for, fetched once per run of the mini program (null: not fetched yet). */
let cachedIds: string[] | null = null;
let fetching: Promise<void> | null = null;

/** Fetches the ids to ask for, once, in the background (call before the payment sheet opens). */
export function prefetchMessageTemplates(): Promise<void> {
  if (cachedIds !== null) return Promise.resolve();
  fetching ??= call('msg', 'templates', {}, { retry: false })
    .then((r) => {
      if (r.ok) cachedIds = r.data.tmplIds.slice(0, 3);
    })
    .catch(() => undefined)
    .finally(() => {
      fetching = null;
    });
  return fetching;
}

/** Forgets the fetched ids (tests; a new identity in local mode). */
export function resetMessageTemplates(): void {
  cachedIds = null;
}

/** The ids known now (none when the fetch has not answered: the prompt is skipped, never awaited). */
export function messageTemplateIds(): string[] {
  return cachedIds ?? [];
}

function report(results: Record<string, string>): void {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(results)) if (k !== 'errMsg' && typeof v === 'string') clean[k] = v;
  if (Object.keys(clean).length === 0) return;
  // Not repeated on a lost answer: each call adds accepts (a count too high only earns a quiet 43101, but why risk it).
  void call('msg', 'subscribed', { results: clean }, { retry: false }).then((r) => {
    if (!r.ok) console.warn('msg.subscribed failed', r.error.code);
  });
}

/**
 * Asks for the messages NOW: call it synchronously inside wx.requestPayment's success or fail callback (or a tap).
 * Never throws; the answer is reported to the server in the background.
 */
export function askForMessagesInCallback(): void {
  const tmplIds = messageTemplateIds();
  if (tmplIds.length === 0) return;
  try {
    if (clientEnv.transport === 'local') {
      void askLocally(tmplIds);
      return;
    }
    if (typeof wx.requestSubscribeMessage !== 'function') return;
    wx.requestSubscribeMessage({
      tmplIds,
      success: (res) => report(res as unknown as Record<string, string>),
      fail: (err: { errMsg?: string; errCode?: number }) =>
        console.warn('requestSubscribeMessage failed', err.errCode, err.errMsg),
    });
  } catch (e) {
    console.warn('requestSubscribeMessage threw', e);
  }
}

/**
 * Local preview: the simulated prompt (the cashier's second sheet). WeChat learns the choice from its own popup; here
 * the choice is told to the local cloud's loopback route, then to the shop, as the real flow would.
 */
async function askLocally(tmplIds: string[]): Promise<void> {
  try {
    const choice = await simulatedSubscribePrompt(tmplIds);
    if (choice === null) return;
    const results = Object.fromEntries(tmplIds.map((id) => [id, choice]));
    await new Promise<void>((resolve) => {
      wx.request({
        url: `${clientEnv.localGatewayUrl}/_devcloud/subscribe/prompt`,
        method: 'POST',
        data: { results },
        header: { 'content-type': 'application/json', 'x-wx-openid': localOpenid() },
        complete: () => resolve(),
      });
    });
    report(results);
  } catch (e) {
    console.warn('simulated subscription prompt failed', e);
  }
}
