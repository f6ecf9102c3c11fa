// The message queue's failure handling (docs/adr/0010), run in this process through the production wiring on the
// local stack's database, with a sender that fails as WeChat can: a failure that may pass (-1, network) is retried
// with the default backoff and given up after it (a person is told, the queue stops asking), and the accept it took is
// given back; the run limit stops the loop between orders and leaves the rest due.
import { buildCore, buildJobs } from '../../server/composition';
import type { CoreDeps } from '../../server/application/core.deps';
import { DEFAULT_BACKOFF, backoffMs } from '../../server/application/job-queue';
import type { JobLoop, RunLimit } from '../../server/application/jobs.service';
import type { SendOutcome, SubscribeMessage } from '../../server/application/ports/subscribe-message.port';
import { SubscribeSendError } from '../../server/adapters/wechat/subscribe-message.sender';
import type { CloudRuntime } from '../../server/adapters/runtime/wx-cloud';
import { adminGet, placeOrder, useTestStack, waitForStatus } from '../support/stack';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const PAID = 'local-tmpl-paid';

describe('the message queue', () => {
  const stack = useTestStack();
  const sent: SubscribeMessage[] = [];
  let answer: () => Promise<SendOutcome> = () => Promise.resolve({ kind: 'sent' });

  function jobs() {
    const cloud = { database: () => stack.cloud.db } as unknown as CloudRuntime;
    const core = buildCore(cloud, stack.env, 'closeExpired');
    const deps: CoreDeps = {
      ...core,
      clock: { now: () => stack.now() },
      log: quiet,
      messages: {
        ...core.messages!,
        sender: {
          send: (m) => {
            sent.push(m);
            return answer();
          },
        },
      },
    };
    return { service: buildJobs(deps), deps };
  }

  async function paidWithAccept(openid: string, sku = 'sku-coffee-250g'): Promise<string> {
    await stack.as(openid).ok('msg', 'subscribed', { results: { [PAID]: 'accept' } });
    const order = await placeOrder(stack, openid, sku, 1);
    await stack.as(openid).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, openid, order.outTradeNo, 'PAID');
    return order.outTradeNo as string;
  }

  it('a send that may pass later is retried with backoff, keeps its accept, and is given up after the default policy', async () => {
    const openid = 'o-msgjob-retry';
    const no = await paidWithAccept(openid);
    answer = () => Promise.reject(new SubscribeSendError('-1', 'system busy'));
    const { service, deps } = jobs();
    const accepts = () => deps.messages!.subscriptions.counts(openid, [PAID]);
    for (let attempt = 1; attempt <= DEFAULT_BACKOFF.maxAttempts; attempt++) {
      const before = sent.length;
      const run = await service.closeExpired();
      expect(sent.length).toBe(before + 1);
      expect(run.errors).toBeGreaterThanOrEqual(1);
      const order = (await adminGet(stack, 'orders', no))!;
      expect(order.messages.paid.state).toBe('owed');
      expect(order.messageJob.attempts).toBe(attempt);
      expect(await accepts()).toEqual({ [PAID]: 1 });
      if (attempt < DEFAULT_BACKOFF.maxAttempts) {
        expect(order.messageJob.state).toBe('queued');
        // The business clock runs on in real time meanwhile.
        const wait = order.messageJob.nextAttemptAtMs - stack.now();
        expect(wait).toBeLessThanOrEqual(backoffMs(attempt));
        expect(wait).toBeGreaterThan(backoffMs(attempt) - 5_000);
        // Not due yet: a run now sends nothing.
        await service.closeExpired();
        expect(sent.length).toBe(before + 1);
        await stack.advance(backoffMs(attempt));
      } else {
        expect(order.messageJob.state).toBe('gave-up');
        expect(order.messageJob.gaveUpAtMs).not.toBeNull();
        expect(run.gaveUp).toBe(1);
      }
    }
    expect((await adminGet(stack, 'metrics', 'jobs.gave_up.message'))!.value).toBe(1);
    // Given up: never asked again.
    const before = sent.length;
    await stack.advance(DEFAULT_BACKOFF.maxMs * 3);
    await service.closeExpired();
    expect(sent.length).toBe(before);
  });

  it('WeChat answers 43101 (used up at WeChat): skipped, the accept stays used, nothing retried', async () => {
    const openid = 'o-msgjob-43101';
    const no = await paidWithAccept(openid);
    answer = () => Promise.resolve({ kind: 'not-subscribed', errcode: 43101, errmsg: 'user refuse' });
    const { service, deps } = jobs();
    const before = sent.length;
    const run = await service.closeExpired();
    expect(run).toMatchObject({ messagesSkipped: 1, messagesFailed: 0, gaveUp: 0 });
    const order = (await adminGet(stack, 'orders', no))!;
    expect(order.messages.paid.state).toBe('skipped');
    expect(order.messageJob.state).toBe('settled');
    expect(await deps.messages!.subscriptions.counts(openid, [PAID])).toEqual({ [PAID]: 0 });
    await stack.advance(DEFAULT_BACKOFF.maxMs);
    await service.closeExpired();
    expect(sent.slice(before).map((m) => m.touser)).toEqual([openid]);
  });

  it('the run limit stops the message loop between orders; what it did not start stays due', async () => {
    answer = () => Promise.resolve({ kind: 'sent' });
    const a = await paidWithAccept('o-msgjob-limit-a');
    const b = await paidWithAccept('o-msgjob-limit-b', 'sku-apples-5kg');
    const { service } = jobs();
    const allowOne: RunLimit<JobLoop> = (() => {
      let started = 0;
      return { shouldStop: (loop) => loop === 'message' && started++ >= 1 };
    })();
    const run = await service.closeExpired(allowOne);
    expect(run.messagesSent).toBe(1);
    expect(run.unreached).toBeGreaterThanOrEqual(1);
    const states = [
      (await adminGet(stack, 'orders', a))!.messages.paid.state,
      (await adminGet(stack, 'orders', b))!.messages.paid.state,
    ].sort();
    expect(states).toEqual(['owed', 'sent']);
    const next = await service.closeExpired();
    expect(next.messagesSent).toBe(1);
  });
});
