// A simulator in a temp folder for one test suite: start, restart (same folder), and clean up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../index';
import { generateIdentity, type SimIdentity } from '../internal/identity';

/** A suite's simulator. */
export interface SimFixture {
  dir: string;
  identity: SimIdentity;
  sim: SimulatorHandle;
  /** Closes and starts again on the same data folder (and port 0). */
  restart(extra?: Partial<SimulatorOptions>): Promise<SimulatorHandle>;
  /** Closes the simulator and deletes the folder. */
  dispose(): Promise<void>;
}

/** Generates an identity (once per call: do it in beforeAll) and starts a simulator in a fresh temp folder. */
export async function startFixture(
  extra: Partial<SimulatorOptions> = {},
  identity?: SimIdentity,
): Promise<SimFixture> {
  const id = identity ?? (await generateIdentity());
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-sim-'));
  const fx: SimFixture = {
    dir,
    identity: id,
    sim: await startSimulator({ dataDir: dir, identity: id, ...extra }),
    async restart(more = {}) {
      await fx.sim.close();
      fx.sim = await startSimulator({ dataDir: dir, ...extra, ...more });
      return fx.sim;
    },
    async dispose() {
      await fx.sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}
