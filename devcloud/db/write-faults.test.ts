// Database write-failure injection: functions' writes fail before (nothing written) or after (written, answer lost)
// the write; the admin handle is never affected; the switch is reachable over HTTP for chaos runs in another process.
import { join } from 'node:path';
import { startDevCloud, type DevCloud } from '../index';
import { tempDir } from '../test-support/temp';

const FIXTURES = join(__dirname, '..', 'fixtures');

describe('database write-failure injection', () => {
  const tmp = tempDir();
  let cloud: DevCloud;
  beforeAll(async () => {
    cloud = await startDevCloud({
      dataDir: tmp.dir,
      functionsDir: join(FIXTURES, 'functions'),
      collectionsFile: join(FIXTURES, 'collections.json'),
      env: {},
      timers: false,
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await cloud.close();
    tmp.cleanup();
  });
  afterEach(() => {
    cloud.setWriteFaults(null);
  });

  const keys = async () =>
    (await cloud.db.collection('puts').limit(100).get()).data.map((d) => d.key as string);

  it('"before" fails the write and writes nothing', async () => {
    cloud.setWriteFaults({ rate: 1, when: 'before' });
    const outcome = await cloud.invoke('ledger', { action: 'put', key: 'before-1' });
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.failure.message).toMatch(/injected write failure \(nothing written\)/);
    expect(await keys()).not.toContain('before-1');
    expect(cloud.writeFaults()).toMatchObject({ writes: 1, failedBefore: 1, failedAfter: 0 });
  });

  it('"after" writes durably and still fails the call (the answer was lost)', async () => {
    cloud.setWriteFaults({ rate: 1, when: 'after' });
    const outcome = await cloud.invoke('ledger', { action: 'put', key: 'after-1' });
    expect(outcome.ok).toBe(false);
    expect(await keys()).toContain('after-1');
    expect(cloud.writeFaults()).toMatchObject({ failedAfter: 1 });
  });

  it('fails a transaction commit as a whole', async () => {
    await cloud.invoke('ledger', { action: 'seed', balanceFen: 100 });
    cloud.setWriteFaults({ rate: 1, when: 'before', collections: ['transfers'] });
    const outcome = await cloud.invoke('ledger', { action: 'transfer', transferId: 't-1', amountFen: 5 });
    expect(outcome.ok).toBe(false);
    const alice = (await cloud.db.collection('ledger').doc('alice').get()).data as unknown as {
      balanceFen: number;
    };
    expect(alice.balanceFen).toBe(100);
  });

  it('leaves the admin handle and unlisted collections alone, and fails about `rate` of the writes', async () => {
    cloud.setWriteFaults({ rate: 1, collections: ['transfers'] });
    expect((await cloud.invoke('ledger', { action: 'put', key: 'unlisted' })).ok).toBe(true);
    cloud.setWriteFaults({ rate: 1 });
    await cloud.db.collection('puts').add({ data: { key: 'admin-write' } });
    expect(await keys()).toContain('admin-write');
    cloud.setWriteFaults({ rate: 0.3, when: 'before', seed: 7 });
    let failed = 0;
    for (let i = 0; i < 200; i++)
      if (!(await cloud.invoke('ledger', { action: 'put', key: `share-${i}` })).ok) failed++;
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(90);
    expect(cloud.writeFaults()).toMatchObject({ writes: 200, failedBefore: failed });
  });

  it('is switched over HTTP by local callers, and refuses a malformed spec', async () => {
    const post = (body: unknown) =>
      fetch(`${cloud.url}/_devcloud/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await post({ dbWrites: { rate: 2 } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: expect.stringMatching(/rate/) } });
    const ok = await post({ dbWrites: { rate: 1, when: 'before' } });
    expect(await ok.json()).toMatchObject({ dbWrites: { spec: { rate: 1, when: 'before' } } });
    expect((await cloud.invoke('ledger', { action: 'put', key: 'http-1' })).ok).toBe(false);
    const off = await fetch(`${cloud.url}/_devcloud/faults`, { method: 'DELETE' });
    expect(await off.json()).toMatchObject({ dbWrites: { spec: null } });
    expect((await cloud.invoke('ledger', { action: 'put', key: 'http-2' })).ok).toBe(true);
  });
});
