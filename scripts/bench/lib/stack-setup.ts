// The bench's additions to the harness's child stack (a setup module, run in the stack's own process): a second
// local cloud serving the bench's verify-only baseline function, the platform key notifications are signed with, and
// the commands for what only the stack can do (simulator actions, stock, the process's CPU, a CPU profile, and the
// checkout's signing bound measured in this process); the big day's seeding and accounts are in bigday-setup.ts.
import { build } from 'esbuild';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector';
import { join, resolve } from 'node:path';
import { startDevCloud } from '../../../devcloud/index';
import type { ChildSetup } from '../../../devcloud/harness';
import type { FaultSpec } from '../../../simulator';
import { bigDayCommands } from './bigday-setup';
import { installVerifyClock } from './verify-clock';

const ROOT = resolve(__dirname, '..', '..', '..');

/** What the bench's stack process reports once it serves. */
export interface BenchStackInfo {
  verifyOnlyUrl: string;
  /** The platform key notifications are signed with, and its Wechatpay-Serial. Secrets: local use only. */
  platformSigner: { serial: string; privateKeyPem: string };
}

async function buildVerifyOnly(functionsDir: string): Promise<void> {
  const dir = join(functionsDir, 'verifyOnly');
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'scripts', 'bench', 'fixtures', 'verify-only.ts')],
    outfile: join(dir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node16',
    format: 'cjs',
    external: ['wx-server-sdk'],
    logLevel: 'warning',
  });
  writeFileSync(join(dir, 'config.json'), '{"timeout": 5}\n');
}

/**
 * CPU time of the thread that calls it (ms): Linux's per-thread figure, so work other threads finish meanwhile (the
 * collector's helpers after a checkout block) is not counted; the whole process's elsewhere.
 */
function callingThreadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  }
}

/** A merchant-sized signing key (RSA-2048, parsed once, as the adapter keeps its key) and a request-sized message. */
let signing: { key: KeyObject; message: Buffer } | undefined;

/** setupArgs.workDir: where the verify-only function and its cloud live. */
export const setup: ChildSetup = async (stack, { spec, log }) => {
  const workDir = String(spec.setupArgs?.workDir);
  const functionsDir = join(workDir, 'functions');
  await buildVerifyOnly(functionsDir);
  const verifyCloud = await startDevCloud({
    dataDir: join(workDir, 'verify-cloud'),
    functionsDir,
    collectionsFile: join(ROOT, 'data', 'collections.json'),
    env: stack.env,
    timers: false,
    log,
  });
  const id = stack.sim.identity;
  const merchant = stack.mode === 'direct' ? id.direct : id.partner;
  const platformSigner =
    merchant.keyMode === 'certificate'
      ? { serial: id.platform.certificate.serial, privateKeyPem: id.platform.certificate.privateKeyPem }
      : { serial: id.platform.publicKey.publicKeyId, privateKeyPem: id.platform.publicKey.privateKeyPem };
  let profiler: InspectorSession | undefined;
  // Times node:crypto's verify in place (./verify-clock.ts): the same signature check inside both kinds of request.
  const verifyClock = installVerifyClock();
  const commands: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
    ...bigDayCommands(stack),
    cpu: () => Promise.resolve(process.cpuUsage()),
    /** The durations (µs) of the signature checks since the last call (./verify-clock.ts), and starts over. */
    verifyClock: () => Promise.resolve(verifyClock.take()),
    /**
     * A V8 CPU profile of this process over a stretch the caller chooses (`start`, then `stop` with the file to write):
     * to see where one phase's CPU goes, which BENCH_CPU_PROF's whole-process profile blurs with set-up and other phases.
     * `heap-start` / `heap-stop` do the same for allocations (a sampling heap profile, collected objects included).
     */
    profile: async ({ action, file }) => {
      if (profiler === undefined) {
        profiler = new InspectorSession();
        profiler.connect();
      }
      const post = (method: string, params?: object) =>
        new Promise<unknown>((done, fail) =>
          profiler?.post(method, params ?? {}, (err, res) => (err ? fail(err) : done(res))),
        );
      if (action === 'heap-start') {
        // Allocations, not CPU: every allocation site sampled about every 4 KiB, the collected objects included.
        await post('HeapProfiler.enable');
        await post('HeapProfiler.startSampling', {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
        return null;
      }
      if (action === 'heap-stop') {
        const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
        writeFileSync(String(file), JSON.stringify(profile));
        profiler.disconnect();
        profiler = undefined;
        return null;
      }
      if (action === 'start') {
        await post('Profiler.enable');
        // 0.1 ms: an operation of about a millisecond gets several samples.
        await post('Profiler.setSamplingInterval', { interval: 100 });
        await post('Profiler.start');
        return null;
      }
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(String(file), JSON.stringify(profile));
      profiler.disconnect();
      profiler = undefined;
      return null;
    },
    setStock: async ({ skuId, stock }) => {
      await stack.cloud.db
        .collection('skus')
        .doc(String(skuId))
        .update({ data: { stock: Number(stock) } });
      return null;
    },
    addFault: async ({ spec }) => stack.sim.control.addFault(spec as FaultSpec),
    clearFaults: async () => stack.sim.control.clearFaults(),
    /** The payer pays each order in the simulator (its notification is created; faults decide its delivery). */
    pay: async ({ outTradeNos }) => {
      for (const no of outTradeNos as string[]) await stack.sim.control.pay(no);
      return null;
    },
    /** The body of each order's first payment notification, exactly as the simulator made it. */
    notificationBodies: async ({ outTradeNos }) => {
      const out: string[] = [];
      for (const no of outTradeNos as string[]) {
        const [note] = await stack.sim.control.notifications({
          outTradeNo: no,
          eventType: 'TRANSACTION.SUCCESS',
        });
        if (note === undefined) throw new Error(`the simulator has no payment notification for ${no}`);
        out.push(note.body);
      }
      return out;
    },
    /**
     * `count` RSA-2048 SHA256 signatures on this process's main thread, and their CPU (ms): the checkout target's bound
     * measured between the checkout blocks, in the same process and the same minutes as the checkouts themselves.
     */
    rsaSigns: ({ count }) => {
      const n = Number(count);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`rsaSigns: count must be a positive integer, got ${String(count)}`);
      signing ??= {
        key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
        message: Buffer.from(`POST\n/v3/pay/transactions/jsapi\n1700000000\nNONCE\n${'x'.repeat(400)}\n`),
      };
      sign('sha256', signing.message, signing.key);
      const start = callingThreadCpuMs();
      for (let i = 0; i < n; i++) sign('sha256', signing.message, signing.key);
      return Promise.resolve({ count: n, cpuMs: callingThreadCpuMs() - start });
    },
    ordersCount: async () => (await stack.cloud.db.collection('orders').count()).total,
  };
  const info: BenchStackInfo = { verifyOnlyUrl: verifyCloud.url, platformSigner };
  return {
    commands,
    info,
    close: () => {
      verifyClock.uninstall();
      return verifyCloud.close();
    },
  };
};
