// The bench's additions to the harness's child stack (a setup module, run in the stack's own process): a second
// local cloud serving the bench's verify-only baseline function, the platform key notifications are signed with, and
// the commands for what only the stack can do (simulator actions, admin reads and writes: stock, seeding history).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector';
import { join, resolve } from 'node:path';
import { startDevCloud } from '../../../devcloud/index';
import type { ChildSetup } from '../../../devcloud/harness';
import type { Stack } from '../../../devcloud/stack/stack';
import type { FaultSpec } from '../../../simulator';
import { bigDayCommands } from './bigday-setup';

const ROOT = resolve(__dirname, '..', '..', '..');

/** What the bench's stack process reports once it serves. */
export interface BenchStackInfo {
  verifyOnlyUrl: string;
  /** The platform key notifications are signed with, and its Wechatpay-Serial. Secrets: local use only. */
  platformSigner: { serial: string; privateKeyPem: string };
}

type Doc = Record<string, unknown> & { _id: string };

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

/** Every document of `collection` matching `where` (admin reads page by 100). */
async function allDocs(stack: Stack, collection: string, where: Record<string, unknown>): Promise<Doc[]> {
  const out: Doc[] = [];
  for (;;) {
    const { data } = await stack.cloud.db
      .collection(collection)
      .where(where)
      .skip(out.length)
      .limit(100)
      .get();
    out.push(...(data as Doc[]));
    if (data.length < 100) return out;
  }
}

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
  const commands: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
    ...bigDayCommands(stack),
    cpu: () => Promise.resolve(process.cpuUsage()),
    /**
     * A V8 CPU profile of this process over a stretch the caller chooses (`start`, then `stop` with the file to write):
     * to see where one phase's CPU goes, which BENCH_CPU_PROF's whole-process profile blurs with set-up and other phases.
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
    sku: async ({ skuId }) => (await stack.cloud.db.collection('skus').doc(String(skuId)).get()).data,
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
     * Adds `count` past orders cloned from order `template` (new number, shopper, request key and time; the
     * template's state, a paid order), so a run can measure at a given database size.
     */
    seedOrders: async ({ template, count, openids, startMs }) => {
      const orders = stack.cloud.db.collection('orders');
      const { data } = await orders.doc(String(template)).get();
      const base = data as Doc;
      const shoppers = openids as string[];
      const n = Number(count);
      const t0 = Number(startMs);
      for (let i = 0; i < n; i++) {
        const { _id: _unused, ...rest } = base;
        const no = `SEED${process.pid}x${Date.now().toString(36)}x${i}`;
        await orders.add({
          data: {
            ...rest,
            _id: no,
            openid: shoppers[i % shoppers.length],
            clientRequestKey: `seed-${no}`,
            createdAtMs: t0 - (n - i) * 1000,
            updatedAtMs: t0 - (n - i) * 1000,
            expiresAtMs: t0 - (n - i) * 1000 + 30 * 60_000,
            // Fields under a unique index get a value of their own (paymentKey: one payment never pays two orders).
            ...('paymentKey' in base ? { paymentKey: `seed:${no}` } : {}),
          },
        });
      }
      return (await orders.count()).total;
    },
    ordersCount: async () => (await stack.cloud.db.collection('orders').count()).total,
    /** Orders holding `skuId` that are not closed, and the quantity they hold. */
    skuSold: async ({ skuId }) => {
      const docs = await allDocs(stack, 'orders', {});
      let orders = 0;
      let quantity = 0;
      for (const d of docs) {
        if (String(d.status).startsWith('CLOSED')) continue;
        const lines = (d.lines ?? []) as { skuId?: string; quantity?: number }[];
        const q = lines.filter((l) => l.skuId === skuId).reduce((s, l) => s + (l.quantity ?? 0), 0);
        if (q > 0) {
          orders += 1;
          quantity += q;
        }
      }
      return { orders, quantity };
    },
  };
  const info: BenchStackInfo = { verifyOnlyUrl: verifyCloud.url, platformSigner };
  return { commands, info, close: () => verifyCloud.close() };
};
