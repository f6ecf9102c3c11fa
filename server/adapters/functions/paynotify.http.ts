// payNotify's HTTP side: WeChat Pay's notify_url. Only POST carries a notification; everything else about the answer
// (2xx only once the event is applied) is the notification use case's. A configuration error answers 500, so WeChat
// delivers again once the setting is fixed.
import type { NotifyAnswer } from '../../application/notification.service';
import type { IncomingNotification } from '../../application/ports/payment-provider.port';
import type { Log } from '../../application/ports/runtime.port';
import { configProblem } from '../runtime/handler';
import type { CloudHttpResponse, RawHttpRequest } from '../runtime/http-event';
import { jsonResponse } from '../runtime/http-event';

export interface PayNotifyHttpDeps {
  /** The notification use case, built on first use; throws the same configuration error on every call. */
  notifications: () => { handle(incoming: IncomingNotification): Promise<NotifyAnswer> };
  log: Log;
}

/** Answers one HTTP request to the notify_url in WeChat's `{code, message}` body. */
export async function handlePayNotifyHttp(
  req: RawHttpRequest,
  deps: PayNotifyHttpDeps,
): Promise<CloudHttpResponse> {
  if (req.method !== 'POST') return jsonResponse(405, { code: 'FAIL', message: 'POST only' });
  let notifications: ReturnType<PayNotifyHttpDeps['notifications']>;
  try {
    notifications = deps.notifications();
  } catch (e) {
    deps.log.error('payNotify.config', configProblem(e));
    return jsonResponse(500, { code: 'FAIL', message: 'not configured' });
  }
  const answer = await notifications.handle({ headers: req.headers, rawBody: req.rawBody });
  return jsonResponse(answer.httpStatus, { code: answer.code, message: answer.message });
}
