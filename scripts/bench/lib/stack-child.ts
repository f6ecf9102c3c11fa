// The local stack in its own process for load runs (`fork`ed by stack-process.ts with tsx): the simulator and the
// local cloud running the built bundles, plus a second local cloud serving the bench's verify-only baseline function.
// The parent drives it over HTTP like any client and asks it, over IPC, for what only the stack can do: its CPU time,
// simulator actions (payer pays, faults), admin reads and writes (stock, seeding history). Logs go to stderr.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDevCloud, type DevCloud } from '../../../devcloud/index';
import { startStack, type Stack } from '../../../devcloud/stack/stack';
import { generateIdentity } from '../../../simulator';
import type { FaultSpec } from '../../../simulator';

const ROOT = resolve(__dirname, '..', '..', '..');

/** A request from the parent. */
export interface ChildRequest {
  id: number;
  cmd: string;
  args?: Record<string, unknown>;
}

/** What the child tells about itself once it is ready. */
export interface ChildInfo {
  gatewayUrl: string;
  simulatorUrl: string;
  verifyOnlyUrl: string;
  /** The platform key notifications are signed with, and its Wechatpay-Serial. Secrets: local use only. */
  platformSigner: { serial: string; privateKeyPem: string };
  pid: number;
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

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(process.env.BENCH_DATA_DIR ?? tmpdir(), 'wxshop-bench-'));
  const verbose = process.env.BENCH_VERBOSE === '1';
  const log = (line: string) => {
    if (verbose) process.stderr.write(`${line}\n`);
  };
  const stack = await startStack({
    dataDir: join(dataDir, 'stack'),
    identity: await generateIdentity(),
    timers: false,
    console: false,
    log,
    env: { LOG_LEVEL: verbose ? 'info' : 'error', ORDER_TTL_MINUTES: '120' },
  });
  const functionsDir = join(dataDir, 'functions');
  await buildVerifyOnly(functionsDir);
  const verifyCloud: DevCloud = await startDevCloud({
    dataDir: join(dataDir, 'verify-cloud'),
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

  const stop = async (code: number) => {
    await verifyCloud.close().catch(() => undefined);
    await stack.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };

  const handlers: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
    cpu: () => Promise.resolve(process.cpuUsage()),
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
    stop: () => stop(0),
  };

  process.on('message', (m: ChildRequest) => {
    const handler = handlers[m.cmd];
    const run = handler ? handler(m.args ?? {}) : Promise.reject(new Error(`unknown command ${m.cmd}`));
    run.then(
      (result) => process.send?.({ id: m.id, ok: true, result }),
      (e: unknown) =>
        process.send?.({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.on('disconnect', () => void stop(0));
  const info: ChildInfo = {
    gatewayUrl: stack.gatewayUrl,
    simulatorUrl: stack.simulatorUrl,
    verifyOnlyUrl: verifyCloud.url,
    platformSigner,
    pid: process.pid,
  };
  process.send?.({ ready: info });
}

main().catch((e: unknown) => {
  process.stderr.write(`bench stack failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
