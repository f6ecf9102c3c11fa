// The running stack as a chaos run sees it: only its outside — the gateway (the harness's client: functions as the
// mini program and the timers call them, the local cloud's loopback admin routes), the simulator's control API
// (WeChat's truth, the payer, faults, the clock) and the dev console's counters. The same client drives an in-process
// stack and one in a child process that is killed with SIGKILL.
import { SimControl, SimControlError } from '../../../simulator/control-client';
import type { SimulatorControl } from '../../../simulator';
import { GatewayClient } from '../../../devcloud/harness';

export type { DbWriteFaults, Doc, Outcome } from '../../../devcloud/harness';

/** Outside access to a running stack. */
export class StackClient extends GatewayClient {
  readonly sim: SimulatorControl;

  constructor(
    gatewayUrl: string,
    readonly simulatorUrl: string,
    /** The dev console, whose /api/counters are the counters staff see. */
    readonly consoleUrl: string,
  ) {
    // A chaos run's shoppers are many at once: sockets are not what it measures.
    super(gatewayUrl, 1024);
    this.sim = resilient(new SimControl(simulatorUrl), () => this.alive());
  }

  /** The shop's counters as the dev console shows them to staff. */
  async counters(): Promise<Record<string, number>> {
    const res = await fetch(`${this.consoleUrl}/api/counters`);
    if (res.status !== 200) throw new Error(`reading the counters: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, number>;
  }

  /** Moves virtual time for WeChat and the functions alike (the functions read the simulator's clock at each call). */
  async advance(ms: number): Promise<void> {
    await this.sim.advance(ms);
  }
}

/**
 * The simulator's control API, riding out a stack restart: a call that found no server (the stack was killed) waits
 * for it to come back and is made again. An answer from the simulator (SimControlError) is never retried.
 */
function resilient(control: SimulatorControl, alive: () => Promise<boolean>): SimulatorControl {
  return new Proxy(control, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        for (let attempt = 1; ; attempt++) {
          try {
            const fn = v as (...a: unknown[]) => Promise<unknown>;
            return await fn.apply(target, args);
          } catch (e) {
            if (e instanceof SimControlError || attempt >= 5) throw e;
            for (let w = 0; w < 200 && !(await alive()); w++) await sleep(100);
            await sleep(100);
          }
        }
      };
    },
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
