// Timeouts nest: each WeChat request ends well before the function that makes it is killed by the platform.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WECHAT_CALLS_PER_ITEM, type JobLoop } from '../server/application/jobs.service';
import { buildCore, jobLoopBudgetsMs } from '../server/composition';
import { createTestIdentity, testEnv } from '../server/adapters/payment/wechatpay-v3/wechatpay-v3.testkit';
import type { CloudRuntime } from '../server/adapters/runtime/wx-cloud';
import {
  FUNCTION_TIMEOUTS_MS,
  TIMEOUT_MARGIN_MS,
  jobRunBudgetMs,
  requestTimeoutProblem,
  type FunctionName,
} from '../server/adapters/runtime/function-timeouts';

const FUNCTIONS_DIR = join(__dirname, '..', 'cloudfunctions');
const id = createTestIdentity();
const cloud = { database: () => ({}) } as unknown as CloudRuntime;

function v3Env(timeoutMs?: number): Record<string, string> {
  return {
    PAY_PROVIDER: 'wechatpay-v3',
    ...testEnv(id, { mode: 'direct', platformKeys: 'both', ...(timeoutMs ? { timeoutMs } : {}) }),
  };
}

describe('function timeouts', () => {
  it('the table is every function config.json "timeout", and nothing else', () => {
    const fromConfig: Record<string, number> = {};
    for (const name of readdirSync(FUNCTIONS_DIR)) {
      const raw = JSON.parse(readFileSync(join(FUNCTIONS_DIR, name, 'config.json'), 'utf8')) as {
        timeout?: number;
      };
      fromConfig[name] = (raw.timeout ?? 3) * 1000;
    }
    expect(fromConfig).toEqual(FUNCTION_TIMEOUTS_MS);
    // WeChat waits 5 s for the notify_url's answer: payNotify must not be allowed longer than that.
    expect(FUNCTION_TIMEOUTS_MS.payNotify).toBeLessThanOrEqual(5_000);
  });

  it('the default WeChat request timeout fits every function with margin', () => {
    for (const fn of Object.keys(FUNCTION_TIMEOUTS_MS) as FunctionName[]) {
      expect(() => buildCore(cloud, v3Env(), fn)).not.toThrow();
      const core = buildCore(cloud, v3Env(), fn);
      expect(core.providerRequestTimeoutMs + TIMEOUT_MARGIN_MS).toBeLessThanOrEqual(FUNCTION_TIMEOUTS_MS[fn]);
    }
  });

  it('refuses at config load a request timeout that would outlive the function (CONFIG.INVALID naming the setting)', () => {
    // The old default, 10 s, is the platform's own limit for order/pay/refund and twice payNotify's.
    expect(() => buildCore(cloud, v3Env(10_000), 'payNotify')).toThrow(
      /WECHATPAY_TIMEOUT_MS must let a request end 2000 ms before the payNotify function's 5000 ms timeout/,
    );
    expect(() => buildCore(cloud, v3Env(10_000), 'order')).toThrow(/at most 8000/);
    expect(() => buildCore(cloud, v3Env(3_001), 'payNotify')).toThrow(/at most 3000/);
    expect(() => buildCore(cloud, v3Env(3_000), 'payNotify')).not.toThrow();
    expect(() => buildCore(cloud, v3Env(10_000), 'reconcile')).not.toThrow();
  });

  it('counts retries: two attempts of 3 s do not fit in payNotify', () => {
    expect(requestTimeoutProblem('payNotify', 3_000, 1)).toBeNull();
    expect(requestTimeoutProblem('payNotify', 3_000, 2)).toMatch(/at most 1500/);
  });

  it('a timer run stops taking items while one more (three calls) still fits', () => {
    expect(jobRunBudgetMs('closeExpired', 3_000, 3)).toBe(60_000 - 2_000 - 9_000);
    expect(jobRunBudgetMs('closeExpired', 30_000, 3)).toBe(0);
  });
  it('each timer loop stops taking items while one more of its own costliest items still fits', () => {
    for (const fn of ['closeExpired', 'reconcile'] as const) {
      const budgets = jobLoopBudgetsMs(fn, 3_000);
      for (const [loop, calls] of Object.entries(WECHAT_CALLS_PER_ITEM) as [JobLoop, number][]) {
        expect(budgets[loop]).toBe(jobRunBudgetMs(fn, 3_000, calls));
      }
      // The close item: query, close refused, query, refund (4 calls of up to 3 s each).
      expect(budgets.close).toBe(60_000 - 2_000 - 4 * 3_000);
      expect(budgets['refund-follow-up']).toBe(60_000 - 2_000 - 3_000);
      expect(budgets['hold-sweep']).toBe(60_000 - 2_000);
    }
  });

  it('refuses a request timeout with which a timer could never start its costliest item', () => {
    // (60 s − 2 s) / 4 calls: with a longer request no close item would ever fit, so no run would take one.
    expect(() => buildCore(cloud, v3Env(14_000), 'closeExpired')).not.toThrow();
    expect(jobLoopBudgetsMs('closeExpired', 14_000).close).toBe(2_000);
    expect(() => buildCore(cloud, v3Env(14_501), 'closeExpired')).toThrow(/at most 14500/);
    expect(() => buildCore(cloud, v3Env(14_501), 'reconcile')).toThrow(/at most 14500/);
  });
});
