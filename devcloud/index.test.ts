import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollectionsConfig } from './db/collections-config';
import { startDevCloud } from './index';
import { tempDir } from './test-support/temp';

const PROJECT_COLLECTIONS = join(__dirname, '..', 'data', 'collections.json');

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
  mkdirSync(join(tmp.dir, 'functions'));
});
afterEach(() => tmp.cleanup());

const base = () => ({
  dataDir: join(tmp.dir, 'state'),
  functionsDir: join(tmp.dir, 'functions'),
  collectionsFile: PROJECT_COLLECTIONS,
  env: {},
  log: () => undefined,
});

it("applies the project's collections.json: its collections exist and its unique indexes hold", async () => {
  const cloud = await startDevCloud(base());
  try {
    const health = (await (await fetch(`${cloud.url}/_devcloud/health`)).json()) as { collections: string[] };
    expect(health.collections).toEqual(
      loadCollectionsConfig(PROJECT_COLLECTIONS)
        .collections.map((c) => c.name)
        .sort(),
    );
    // attention keeps one record per payment: _id = payment:<transaction_id>.
    const attention = cloud.db.collection('attention');
    await attention.add({ data: { _id: 'payment:4200000001' } });
    await expect(attention.add({ data: { _id: 'payment:4200000001' } })).rejects.toMatchObject({
      errCode: -502001,
      errMsg: expect.stringContaining('E11000'),
    });
    const orders = cloud.db.collection('orders');
    await orders.add({ data: { _id: 'T1', openid: 'o-1', _openid: 'o-1', clientRequestKey: 'k-1' } });
    await expect(
      orders.add({ data: { _id: 'T2', openid: 'o-1', _openid: 'o-1', clientRequestKey: 'k-1' } }),
    ).rejects.toMatchObject({ errCode: -502001 });
    expect(cloud.stats().functions['(admin)']).toMatchObject({ dbOps: 4 });
  } finally {
    await cloud.close();
    await cloud.close();
  }
});

it('refuses to start with a broken collections file or function config, saying what is wrong', async () => {
  const badCollections = join(tmp.dir, 'bad.json');
  writeFileSync(badCollections, JSON.stringify({ collections: [{ name: 'orders', permission: 'PUBLIC' }] }));
  await expect(startDevCloud({ ...base(), collectionsFile: badCollections })).rejects.toThrow(
    /permission must be one of/,
  );

  mkdirSync(join(tmp.dir, 'functions', 'closeExpired'));
  writeFileSync(
    join(tmp.dir, 'functions', 'closeExpired', 'config.json'),
    JSON.stringify({ triggers: [{ name: 'every5min', type: 'timer', config: '0 */5 * * *' }] }),
  );
  await expect(startDevCloud(base())).rejects.toThrow(
    /closeExpired.*config\.json: triggers\[0\]\.config: cron "0 \*\/5 \* \* \*" has 5 fields/,
  );
  // The failed start released the data directory.
  writeFileSync(join(tmp.dir, 'functions', 'closeExpired', 'config.json'), '{}');
  const cloud = await startDevCloud(base());
  await cloud.close();
});

it('lets the stack supply cloud.cloudPay, with a way to call functions back as the platform does', async () => {
  const fnDir = (name: string, source: string) => {
    mkdirSync(join(tmp.dir, 'functions', name));
    writeFileSync(join(tmp.dir, 'functions', name, 'index.js'), source);
  };
  fnDir(
    'pay',
    `const cloud = require('wx-server-sdk'); exports.main = async () => cloud.cloudPay.unifiedOrder({ totalFee: 1 });`,
  );
  fnDir(
    'payCallback',
    `exports.main = async (event) => ({ errcode: 0, errmsg: 'got ' + event.outTradeNo });`,
  );
  const seen: string[] = [];
  const cloud = await startDevCloud({
    ...base(),
    cloudPay: ({ functionName, invoke }) => {
      seen.push(functionName);
      return {
        unifiedOrder: async (p: { totalFee: number }) => {
          const callback = await invoke('payCallback', { outTradeNo: 'T1', totalFee: p.totalFee });
          return { payment: { signType: 'MD5' }, callback: callback.ok ? callback.result : null };
        },
      };
    },
  });
  try {
    const outcome = await cloud.invoke('pay', {});
    expect(outcome).toMatchObject({
      ok: true,
      result: { payment: { signType: 'MD5' }, callback: { errcode: 0, errmsg: 'got T1' } },
    });
    expect(seen).toEqual(['pay', 'payCallback']);
  } finally {
    await cloud.close();
  }
});
