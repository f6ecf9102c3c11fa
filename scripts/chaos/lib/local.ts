// A stack for a chaos run in this process (the harness's): fresh temp data, ephemeral ports (the console too: it
// serves the counters), timers fired by the run, the virtual clock moved only by the run, the demo catalog restocked
// for the run's size.
import type { SimIdentity } from '../../../simulator';
import { startHarnessStack, type HarnessStack } from '../../../devcloud/harness';
import { prepareChaosCatalog } from './run';
import { StackClient } from './target';
import { CHAOS_TESTERS } from './workload';

/** The functions' settings a chaos run needs on top of the stack's own. */
export function chaosFunctionEnv(logLevel: string): Record<string, string> {
  return {
    LOG_LEVEL: logLevel,
    // Injected WeChat timeouts hang longer than this, so the functions really time out (and stay inside their limits).
    WECHATPAY_TIMEOUT_MS: '1500',
    SHOP_TESTER_OPENIDS: CHAOS_TESTERS.join(','),
    SHOP_TESTER_AUTO_REFUND: 'true',
  };
}

/**
 * Virtual time runs at real speed during traffic (retries 15 s apart happen among the shoppers, and no two events share
 * a millisecond by accident); the run advances it by minutes and hours on top.
 */
export const CHAOS_TIME_SCALE = 1;

export interface LocalChaosStack {
  stack: HarnessStack;
  client: StackClient;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startLocalChaosStack(o: {
  orders: number;
  identity?: SimIdentity;
  logLevel?: string;
}): Promise<LocalChaosStack> {
  const stack = await startHarnessStack({
    tempPrefix: 'wxshop-chaos-',
    console: true,
    timeScale: CHAOS_TIME_SCALE,
    env: chaosFunctionEnv(o.logLevel ?? 'silent'),
    ...(o.identity ? { identity: o.identity } : {}),
  });
  await prepareChaosCatalog(stack.cloud.db, o.orders);
  const client = new StackClient(stack.gatewayUrl, stack.simulatorUrl, stack.consoleUrl!);
  return {
    stack,
    client,
    dataDir: stack.dataDir,
    stop: async () => {
      client.close();
      await stack.stop();
    },
  };
}
