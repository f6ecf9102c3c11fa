// subscribeMessage.send through the cloud call (cloud.openapi.subscribeMessage.send): no access token of ours, the
// function's config.json grants "subscribeMessage.send". The SDK answers {errCode: 0} or rejects with an error that
// carries errCode (some versions answer a non-zero errCode instead): both are read here.
import type {
  SendOutcome,
  SubscribeMessage,
  SubscribeMessageSender,
} from '../../application/ports/subscribe-message.port';

/** 43101: the user has not subscribed, or used up their accepts (routine). */
export const NOT_SUBSCRIBED = 43101;
/** Refusals that cannot succeed as sent: a field (47003), the page (41030), the template (40037), the openid (40003). */
export const REFUSED_FOR_GOOD: ReadonlySet<number> = new Set([47003, 41030, 40037, 40003]);

/** A send that failed in a way that may succeed later (network, system busy -1, anything unknown). */
export class SubscribeSendError extends Error {
  override readonly name = 'SubscribeSendError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface SendApi {
  subscribeMessage: { send(input: Record<string, unknown>): Promise<unknown> };
}

function codeOf(x: unknown): { errcode: number | null; errmsg: string } {
  if (x === null || typeof x !== 'object') return { errcode: null, errmsg: String(x) };
  const o = x as Record<string, unknown>;
  const raw = o.errCode ?? o.errcode;
  const errcode =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : null;
  const msg = o.errMsg ?? o.errmsg ?? o.message;
  return { errcode, errmsg: typeof msg === 'string' ? msg.slice(0, 200) : '' };
}

function outcomeOf(errcode: number, errmsg: string): SendOutcome {
  if (errcode === 0) return { kind: 'sent' };
  if (errcode === NOT_SUBSCRIBED) return { kind: 'not-subscribed', errcode, errmsg };
  if (REFUSED_FOR_GOOD.has(errcode)) return { kind: 'refused', errcode, errmsg };
  throw new SubscribeSendError(String(errcode), `subscribeMessage.send answered ${errcode}: ${errmsg}`);
}

/** The sender over the SDK's `cloud.openapi` (untyped; checked here). */
export function cloudSubscribeMessageSender(openapi: unknown): SubscribeMessageSender {
  const api = openapi as Partial<SendApi> | null | undefined;
  return {
    async send(m: SubscribeMessage): Promise<SendOutcome> {
      const target = api?.subscribeMessage;
      if (typeof target?.send !== 'function')
        throw new SubscribeSendError('UNAVAILABLE', 'cloud.openapi.subscribeMessage.send is not available');
      let answer: unknown;
      try {
        answer = await target.send({
          touser: m.touser,
          templateId: m.templateId,
          page: m.page,
          data: m.data,
          miniprogramState: m.miniprogramState,
          lang: m.lang,
        });
      } catch (e) {
        const { errcode, errmsg } = codeOf(e);
        if (errcode === null)
          throw new SubscribeSendError('NETWORK', `subscribeMessage.send failed: ${errmsg || 'no answer'}`);
        return outcomeOf(errcode, errmsg);
      }
      const { errcode, errmsg } = codeOf(answer);
      return outcomeOf(errcode ?? 0, errmsg);
    },
  };
}
