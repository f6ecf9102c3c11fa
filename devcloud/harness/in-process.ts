// A whole local stack (simulator + local cloud running the built bundles) in this process, for the e2e tests and chaos
// runs: a fresh temp data dir unless one is given, ephemeral ports, timers fired on demand, the console off unless
// asked, and the gateway client ready. Tests that kill the stack with SIGKILL use ./child.ts instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack, type StackOptions } from '../stack/stack';
import { GatewayClient, type Caller } from './gateway-client';

/** Options of a harness stack: the stack's own, all optional (the data dir too). */
export interface HarnessStackOptions extends Partial<StackOptions> {
  /** Prefix of the temp data dir made when `dataDir` is absent. */
  tempPrefix?: string;
}

/** A started stack, its data dir and its gateway client; `stop()` closes it and deletes the data dir (`close()` keeps it). */
export interface HarnessStack extends Stack {
  dataDir: string;
  gateway: GatewayClient;
  /** Calls as `openid` (shorthand for `gateway.as(openid)`). */
  as(openid: string): Caller;
  stop(): Promise<void>;
}

/** Starts a quiet stack: timers off, console off, logs dropped, unless the options say otherwise. */
export async function startHarnessStack(o: HarnessStackOptions = {}): Promise<HarnessStack> {
  const { tempPrefix, ...options } = o;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), tempPrefix ?? 'wxshop-stack-'));
  const stack = await startStack({
    timers: false,
    console: false,
    log: () => undefined,
    ...options,
    dataDir,
  });
  const gateway = new GatewayClient(stack.gatewayUrl);
  return {
    ...stack,
    dataDir,
    gateway,
    as: (openid) => gateway.as(openid),
    close: async () => {
      gateway.close();
      await stack.close();
    },
    stop: async () => {
      gateway.close();
      await stack.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
