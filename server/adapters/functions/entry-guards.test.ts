// The HTTP side of payNotify and the invocation guard of payCallback, without a stack: what reaches the use case, and
// what is answered before (or instead of) building it.
import type { NotifyAnswer } from '../../application/notification.service';
import type { IncomingNotification } from '../../application/ports/payment-provider.port';
import type { CloudHttpResponse, RawHttpRequest } from '../runtime/http-event';
import type { CloudPayCallbackDeps } from './paycallback.handlers';
import { handlePayCallbackInvocation } from './paycallback.handlers';
import { handlePayNotifyHttp } from './paynotify.http';

type Line = { level: 'info' | 'warn' | 'error'; event: string; fields?: Record<string, unknown> };

function recordingLog(lines: Line[]) {
  return {
    info: (event: string, fields?: Record<string, unknown>) => lines.push({ level: 'info', event, fields }),
    warn: (event: string, fields?: Record<string, unknown>) => lines.push({ level: 'warn', event, fields }),
    error: (event: string, fields?: Record<string, unknown>) => lines.push({ level: 'error', event, fields }),
  };
}

function request(method: string, body = '{"id":"EV-1"}'): RawHttpRequest {
  return {
    method,
    path: '/',
    headers: { 'wechatpay-serial': 'PUB_KEY_ID_0001' },
    query: {},
    rawBody: Buffer.from(body),
  };
}

const bodyOf = (res: CloudHttpResponse) => JSON.parse(res.body) as unknown;

// A configuration error as buildCore throws it: it names the setting, and its message never holds a value.
class FakeConfigError extends Error {
  readonly setting = 'WECHATPAY_PRIVATE_KEY';
}
const configError = () => new FakeConfigError('WECHATPAY_PRIVATE_KEY is not a PEM private key');

describe('payNotify over HTTP', () => {
  it('answers 405 to anything but POST, without building the notification service', async () => {
    let built = 0;
    const res = await handlePayNotifyHttp(request('GET'), {
      notifications: () => {
        built++;
        throw new Error('must not be built');
      },
      log: recordingLog([]),
    });
    expect(res.statusCode).toBe(405);
    expect(bodyOf(res)).toEqual({ code: 'FAIL', message: 'POST only' });
    expect(built).toBe(0);
  });

  it('hands the raw body and headers to the use case and answers its status and body', async () => {
    const seen: IncomingNotification[] = [];
    const answer: NotifyAnswer = { httpStatus: 401, code: 'FAIL', message: 'rejected: SIGNATURE' };
    const res = await handlePayNotifyHttp(request('POST', '{"exact":  "bytes"}'), {
      notifications: () => ({
        handle: (incoming) => {
          seen.push(incoming);
          return Promise.resolve(answer);
        },
      }),
      log: recordingLog([]),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.rawBody.toString()).toBe('{"exact":  "bytes"}');
    expect(seen[0]!.headers).toEqual({ 'wechatpay-serial': 'PUB_KEY_ID_0001' });
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res)).toEqual({ code: 'FAIL', message: 'rejected: SIGNATURE' });
  });

  it('answers 500 on a configuration error (WeChat delivers again) and logs which setting', async () => {
    const lines: Line[] = [];
    const res = await handlePayNotifyHttp(request('POST'), {
      notifications: () => {
        throw configError();
      },
      log: recordingLog(lines),
    });
    expect(res.statusCode).toBe(500);
    expect(bodyOf(res)).toEqual({ code: 'FAIL', message: 'not configured' });
    expect(lines.map((l) => [l.level, l.event])).toEqual([['error', 'payNotify.config']]);
    expect(lines[0]!.fields).toEqual({
      setting: 'WECHATPAY_PRIVATE_KEY',
      problem: 'WECHATPAY_PRIVATE_KEY is not a PEM private key',
      errorName: 'Error',
    });
  });
});

describe('payCallback invocation guard', () => {
  const event = { outTradeNo: 'O20260301A0001', returnCode: 'SUCCESS', resultCode: 'SUCCESS' };

  function callbackDeps(queried: string[]): CloudPayCallbackDeps {
    return {
      payments: { applyPayment: () => Promise.reject(new Error('not reached')) },
      provider: {
        queryPayment: (no) => {
          queried.push(no);
          return Promise.resolve({ kind: 'not-found', outTradeNo: no });
        },
      },
      throttle: { tryPass: () => Promise.resolve(true) },
      log: recordingLog([]),
    };
  }

  it("refuses a shopper's call (errcode 1, warn) before anything is built or asked", async () => {
    const lines: Line[] = [];
    let built = 0;
    const answer = await handlePayCallbackInvocation(
      event,
      { SOURCE: 'wx_client', OPENID: 'o_shopper_0001' },
      {
        boot: () => {
          built++;
          return callbackDeps([]);
        },
        log: recordingLog(lines),
      },
    );
    expect(answer).toEqual({ errcode: 1, errmsg: 'refused: not an invocation by cloudPay' });
    expect(built).toBe(0);
    expect(lines).toEqual([
      {
        level: 'warn',
        event: 'payCallback.refused',
        fields: expect.objectContaining({ source: 'wx_client', openid: 'o_shopper_0001' }) as unknown,
      },
    ]);
  });

  it('logs a refusal without a user identity as an error (it may be a genuine callback from an unexpected source)', async () => {
    const lines: Line[] = [];
    const answer = await handlePayCallbackInvocation(
      event,
      { SOURCE: 'wx_http' },
      { boot: () => callbackDeps([]), log: recordingLog(lines) },
    );
    expect(answer.errcode).toBe(1);
    expect(lines.map((l) => [l.level, l.event])).toEqual([['error', 'payCallback.refused']]);
  });

  it('answers errcode 1 on a configuration error, so cloudPay calls again once it is fixed', async () => {
    const lines: Line[] = [];
    const answer = await handlePayCallbackInvocation(
      event,
      { SOURCE: 'wx_paycallback' },
      {
        boot: () => {
          throw configError();
        },
        log: recordingLog(lines),
      },
    );
    expect(answer).toEqual({ errcode: 1, errmsg: 'not configured' });
    expect(lines.map((l) => [l.level, l.event])).toEqual([['error', 'payCallback.config']]);
    expect(lines[0]!.fields).toMatchObject({ setting: 'WECHATPAY_PRIVATE_KEY' });
  });

  it("runs cloudPay's own invocation: WeChat is asked about the event's order", async () => {
    const queried: string[] = [];
    const answer = await handlePayCallbackInvocation(
      event,
      { SOURCE: 'wx_paycallback' },
      { boot: () => callbackDeps(queried), log: recordingLog([]) },
    );
    expect(queried).toEqual(['O20260301A0001']);
    // WeChat has no such order: a forged or foreign call, acknowledged.
    expect(answer).toEqual({ errcode: 0, errmsg: 'OK' });
  });
});
