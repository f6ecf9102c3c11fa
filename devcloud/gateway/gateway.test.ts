import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { startDevCloud, type DevCloud } from '../index';
import { createCommand } from '../sdk/command';
import { encodeWire } from '../sdk/wire';
import { tempDir } from '../test-support/temp';

const FIXTURES = join(__dirname, '..', 'fixtures');

let tmp: ReturnType<typeof tempDir>;
let cloud: DevCloud;
const logs: string[] = [];

beforeAll(async () => {
  tmp = tempDir();
  cloud = await startDevCloud({
    dataDir: tmp.dir,
    functionsDir: join(FIXTURES, 'functions'),
    collectionsFile: join(FIXTURES, 'collections.json'),
    env: { FIXTURE_GREETING: 'hello' },
    timers: false,
    log: (l) => logs.push(l),
  });
});

afterAll(async () => {
  await cloud.close();
  tmp.cleanup();
});

async function call(name: string, event: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${cloud.url}/fn/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(event),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('POST /fn/<name> (callFunction)', () => {
  it('runs the bundle with the caller from x-wx-openid, its configuration as process.env, and no host env', async () => {
    const r = await call(
      'whoami',
      { hello: 1, openid: 'o-mallory', userInfo: { openId: 'o-mallory' } },
      { 'x-wx-openid': 'o-alice' },
    );
    expect(r.status).toBe(200);
    expect(r.body.ctx).toEqual({
      OPENID: 'o-alice',
      APPID: 'wx0000000000000000',
      ENV: 'local-dev',
      SOURCE: 'wx_client',
    });
    // The platform's userInfo replaces the one the client sent.
    expect(r.body.event).toEqual({
      hello: 1,
      openid: 'o-mallory',
      userInfo: { appId: 'wx0000000000000000', openId: 'o-alice' },
    });
    expect(r.body.config).toBe('hello');
    expect(r.body.leakedHostEnv).toBe(false);
    expect(r.headers.get('x-devcloud-db-ops')).toBe('0');
  });

  it('keeps getWXContext() isolated between concurrent invocations', async () => {
    const callers = Array.from({ length: 24 }, (_x, i) => `o-user-${i}`);
    const results = await Promise.all(
      callers.map((openid, i) =>
        call('whoami', { delayMs: (i * 7) % 40 }, { 'x-wx-openid': openid, 'x-wx-unionid': `u-${i}` }),
      ),
    );
    results.forEach((r, i) => {
      expect(r.body.ctx.OPENID).toBe(callers[i]);
      expect(r.body.ctx.UNIONID).toBe(`u-${i}`);
    });
  });

  it('answers no OPENID when the caller sends none', async () => {
    const r = await call('whoami', {});
    expect(r.body.ctx.OPENID).toBeUndefined();
  });

  it('counts database round trips per invocation (header) and per function (stats)', async () => {
    const seed = await call('ledger', { action: 'seed', balanceFen: 100 });
    expect(seed.headers.get('x-devcloud-db-ops')).toBe('2');
    const put = await call('ledger', { action: 'put', key: 'k-1' });
    expect(put.body).toMatchObject({ ok: true });
    expect(put.headers.get('x-devcloud-db-ops')).toBe('1');
    const transfer = await call('ledger', { action: 'transfer', transferId: 't-1', amountFen: 10 });
    expect(transfer.body).toEqual({ ok: true });
    // get + update + update + add inside the transaction, + its commit
    expect(transfer.headers.get('x-devcloud-db-ops')).toBe('5');
    const stats = (await (await fetch(`${cloud.url}/_devcloud/stats`)).json()) as any;
    expect(stats.functions.ledger).toMatchObject({ invocations: 3, dbOps: 8, lastDbOps: 5 });
    expect(stats.functions.ledger.dbOpsByKind).toEqual({ set: 2, add: 2, get: 1, update: 2, transaction: 1 });
  });

  it('turns every function failure into a JSON error and keeps serving', async () => {
    const thrown = await call('failing', { action: 'throw' });
    expect(thrown.status).toBe(500);
    expect(thrown.body.error).toMatchObject({ code: 'DEVCLOUD.FUNCTION_FAILED', errCode: -504002 });
    expect(thrown.body.error.message).toContain('boom from the function');
    expect((await call('failing', { action: 'reject' })).body.error.message).toContain(
      'TypeError: rejected on purpose',
    );
    const slow = await call('failing', { action: 'slow' });
    expect(slow.status).toBe(504);
    expect(slow.body.error).toMatchObject({ code: 'DEVCLOUD.FUNCTION_TIMEOUT', errCode: -504003 });
    expect((await call('failing', { action: 'require' })).body.error.message).toMatch(
      /requires "left-pad".*only wx-server-sdk/,
    );
    expect((await call('failing', { action: 'cloudPay' })).body.error.message).toMatch(
      /cloudPay is not built/,
    );
    expect((await call('failing', { action: 'db' })).body.error.message).toContain('-502005');
    const broken = await call('brokenload', {});
    expect(broken.status).toBe(500);
    expect(broken.body.error).toMatchObject({ code: 'DEVCLOUD.FUNCTION_LOAD_FAILED' });
    expect(broken.body.error.message).toContain('WXPAY_MCHID is missing');
    const unbuilt = await call('unbuilt', {});
    expect(unbuilt.status).toBe(503);
    expect(unbuilt.body.error.message).toMatch(/no bundle at .*unbuilt.*run `npm run build`/);
    const missing = await call('nosuchfunction', {});
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('DEVCLOUD.FUNCTION_NOT_FOUND');
    expect((await call('failing', { action: 'fine' })).body).toEqual({ fine: true });
    const health = await fetch(`${cloud.url}/_devcloud/health`);
    expect(health.status).toBe(200);
  });

  it('refuses a non-JSON event and other methods', async () => {
    const bad = await fetch(`${cloud.url}/fn/whoami`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('DEVCLOUD.BAD_REQUEST');
    expect((await fetch(`${cloud.url}/fn/whoami`)).status).toBe(405);
  });
});

describe('ANY /http/<name> (HTTP access)', () => {
  async function echo(path: string, body: Buffer, contentType: string) {
    const res = await fetch(`${cloud.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType, 'Wechatpay-Serial': 'PUB_KEY_ID_0001' },
      body,
    });
    return { status: res.status, headers: res.headers, event: (await res.json()) as any };
  }

  it('delivers the CloudBase HTTP event with the raw text body byte-exact', async () => {
    const raw = Buffer.from('{"id":"n-1",  "summary":"支付成功" ,"resource":{"a":1.10}}\n', 'utf8');
    const sent = performance.now();
    const r = await echo('/http/httpecho/pay/notify?x=1&y=%E4%B8%AD', raw, 'application/json');
    const waited = performance.now() - sent;
    expect(r.status).toBe(201);
    // The gateway's own time from the request's arrival to the answer: inside what the caller waited.
    const serverMs = Number(r.headers.get('x-devcloud-ms'));
    expect(serverMs).toBeGreaterThanOrEqual(0);
    expect(serverMs).toBeLessThanOrEqual(waited);
    expect(r.headers.get('x-echo')).toBe('yes');
    expect(r.event).toMatchObject({
      path: '/httpecho/pay/notify',
      httpMethod: 'POST',
      queryStringParameters: { x: '1', y: '中' },
      isBase64Encoded: false,
    });
    expect(r.event.headers['wechatpay-serial']).toBe('PUB_KEY_ID_0001');
    expect(Buffer.from(r.event.rawBase64, 'base64').equals(raw)).toBe(true);
  });

  it('base64-encodes binary bodies and text bodies that are not valid UTF-8, keeping every byte', async () => {
    const binary = Buffer.from([0, 255, 254, 10, 13, 0x80, 0x7f]);
    const b = await echo('/http/httpecho', binary, 'application/octet-stream');
    expect(b.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(b.event.rawBase64, 'base64').equals(binary)).toBe(true);
    const badUtf8 = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const j = await echo('/http/httpecho', badUtf8, 'application/json');
    expect(j.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(j.event.rawBase64, 'base64').equals(badUtf8)).toBe(true);
  });

  it('answers a JSON 200 for a function that returns a plain value', async () => {
    const res = await fetch(`${cloud.url}/http/failing`, { method: 'POST', body: '' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ fine: true });
    const ok = await fetch(`${cloud.url}/http/whoami`, { method: 'GET' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).ctx.SOURCE).toBe('wx_http');
  });
});

describe('timer triggers on demand', () => {
  it('fires a trigger with the timer event and records the run', async () => {
    const res = await fetch(`${cloud.url}/_devcloud/timers/ticker/everySecond`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: { ticked: 'everySecond' } });
    const ticks = (await cloud.db.collection('ticks').get()).data;
    expect(ticks).toHaveLength(1);
    expect(ticks[0]).toMatchObject({
      source: 'wx_trigger',
      openid: null,
      event: { Type: 'Timer', TriggerName: 'everySecond' },
    });
    expect((ticks[0]!.event as { Time: string }).Time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(cloud.stats().timerRuns.at(-1)).toMatchObject({
      functionName: 'ticker',
      trigger: 'everySecond',
      onDemand: true,
      ok: true,
    });
    expect((await fetch(`${cloud.url}/_devcloud/timers/ticker/nope`, { method: 'POST' })).status).toBe(404);
  });
});

/** This machine's non-loopback IPv4 address, if it has one (CI containers usually do). */
const external = Object.values(networkInterfaces())
  .flatMap((l) => l ?? [])
  .find((i) => i.family === 'IPv4' && !i.internal)?.address;

describe('admin routes on a gateway bound to every interface (npm start -- --lan)', () => {
  let lanTmp: ReturnType<typeof tempDir>;
  let lan: DevCloud;
  let port: string;
  beforeAll(async () => {
    lanTmp = tempDir();
    lan = await startDevCloud({
      dataDir: lanTmp.dir,
      functionsDir: join(FIXTURES, 'functions'),
      collectionsFile: join(FIXTURES, 'collections.json'),
      env: { FIXTURE_GREETING: 'hello' },
      timers: false,
      host: '0.0.0.0',
      log: (l) => logs.push(l),
    });
    port = new URL(lan.url).port;
  });
  afterAll(async () => {
    await lan.close();
    lanTmp.cleanup();
  });

  const routes: Array<[string, string]> = [
    ['POST', '/_devcloud/timers/ticker/everySecond'],
    ['GET', '/_devcloud/db'],
    ['GET', '/_devcloud/db/ticks'],
    ['GET', '/_devcloud/faults'],
  ];

  (external === undefined ? it.skip : it)(
    'refuses a non-loopback caller with 403 DEVCLOUD.FORBIDDEN: no timer fires, nothing is read',
    async () => {
      for (const [method, path] of routes) {
        const res = await fetch(`http://${external!}:${port}${path}`, { method });
        expect([method, path, res.status]).toEqual([method, path, 403]);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('DEVCLOUD.FORBIDDEN');
        expect(body.error.message).toMatch(/local callers only/);
      }
      expect(lan.stats().timerRuns).toEqual([]);
      expect((await lan.db.collection('ticks').get()).data).toEqual([]);
      // The same address still reaches what a phone needs.
      expect((await fetch(`http://${external!}:${port}/_devcloud/health`)).status).toBe(200);
    },
  );

  it('still fires timers and answers admin reads for a loopback caller', async () => {
    for (const [method, path] of routes) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      expect([method, path, res.status]).toEqual([method, path, 200]);
    }
    expect(lan.stats().timerRuns).toHaveLength(1);
  });
});

describe('client database endpoint (wx.cloud.database() from the mini program)', () => {
  const _ = createCommand();
  async function client(openid: string | undefined, request: Record<string, unknown>) {
    const res = await fetch(`${cloud.url}/_devcloud/client-db`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(openid === undefined ? {} : { 'x-wx-openid': openid }),
      },
      body: JSON.stringify(encodeWire(request)),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  it("refuses a shopper's write of status 'PAID' to an order (client access denied)", async () => {
    const { _id } = await cloud.db
      .collection('orders')
      .add({ data: { outTradeNo: 'T100', _openid: 'o-alice', status: 'NOTPAY' } });
    const write = await client('o-alice', {
      collection: 'orders',
      op: 'doc.update',
      id: _id,
      data: { status: 'PAID' },
    });
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({ errCode: -502003 });
    expect(write.body.errMsg).toMatch(/database permission denied/);
    expect(
      (await client('o-alice', { collection: 'orders', op: 'doc.set', id: _id, data: { status: 'PAID' } }))
        .status,
    ).toBe(403);
    expect(
      (
        await client('o-alice', {
          collection: 'orders',
          op: 'add',
          data: { outTradeNo: 'T101', status: 'PAID' },
        })
      ).status,
    ).toBe(403);
    expect((await client('o-alice', { collection: 'orders', op: 'get' })).status).toBe(403);
    expect((await cloud.db.collection('orders').doc(_id).get()).data!.status).toBe('NOTPAY');
  });

  it('READONLY: anyone reads, nobody writes', async () => {
    await cloud.db.collection('news').add({ data: { title: 'hi', n: 2 } });
    const read = await client(undefined, { collection: 'news', op: 'get', where: { n: _.gt(1) } });
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual([expect.objectContaining({ title: 'hi' })]);
    expect((await client('o-alice', { collection: 'news', op: 'add', data: { title: 'x' } })).status).toBe(
      403,
    );
  });

  it('ADMINONLY: no client access at all', async () => {
    expect((await client('o-alice', { collection: 'secrets', op: 'count' })).status).toBe(403);
  });

  it('PRIVATE: a shopper sees and changes only documents carrying their own _openid', async () => {
    const mine = await client('o-alice', {
      collection: 'notes',
      op: 'add',
      data: { text: 'mine', at: new Date(5) },
    });
    expect(mine.status).toBe(200);
    const id = mine.body._id as string;
    expect((await cloud.db.collection('notes').doc(id).get()).data).toMatchObject({
      _openid: 'o-alice',
      at: new Date(5),
    });
    expect((await client('o-bob', { collection: 'notes', op: 'get' })).body.data).toEqual([]);
    const alice = await client('o-alice', { collection: 'notes', op: 'get' });
    expect(alice.body.data).toEqual([
      { _id: id, _openid: 'o-alice', text: 'mine', at: { $date: new Date(5).toISOString() } },
    ]);
    const bobWrite = await client('o-bob', {
      collection: 'notes',
      op: 'doc.update',
      id,
      data: { text: 'hacked' },
    });
    expect(bobWrite.body.stats).toEqual({ updated: 0 });
    expect((await client('o-bob', { collection: 'notes', op: 'doc.get', id })).body.errCode).toBe(-1);
    const bobSet = await client('o-bob', {
      collection: 'notes',
      op: 'doc.set',
      id,
      data: { text: 'replaced' },
    });
    expect(bobSet.body.stats).toEqual({ updated: 0, created: 0 });
    expect((await client('o-bob', { collection: 'notes', op: 'doc.remove', id })).body.stats).toEqual({
      removed: 0,
    });
    expect((await cloud.db.collection('notes').doc(id).get()).data).toMatchObject({
      _openid: 'o-alice',
      text: 'mine',
    });
    expect((await client(undefined, { collection: 'notes', op: 'add', data: { text: 'anon' } })).status).toBe(
      403,
    );
    expect(
      (await client('o-alice', { collection: 'notes', op: 'doc.update', id, data: { _openid: 'o-bob' } }))
        .status,
    ).toBe(403);
    expect(
      (await client('o-alice', { collection: 'notes', op: 'add', data: { _openid: 'o-bob' } })).status,
    ).toBe(403);
    expect(
      (await client('o-alice', { collection: 'notes', op: 'doc.update', id, data: { text: 'edited' } })).body
        .stats,
    ).toEqual({
      updated: 1,
    });
    expect(
      (await client('o-alice', { collection: 'notes', op: 'update', where: {}, data: { text: 'all' } }))
        .status,
    ).toBe(403);
  });

  it("custom rule doc._openid == auth.openid: queries must pin _openid, others' documents are refused", async () => {
    const add = await client('o-alice', { collection: 'diary', op: 'add', data: { text: 'dear diary' } });
    const id = add.body._id as string;
    expect((await client('o-alice', { collection: 'diary', op: 'get' })).status).toBe(403);
    const pinned = await client('o-alice', {
      collection: 'diary',
      op: 'get',
      where: { _openid: '{openid}' },
    });
    expect(pinned.body.data).toHaveLength(1);
    expect((await client('o-bob', { collection: 'diary', op: 'doc.get', id })).status).toBe(403);
    expect((await client('o-bob', { collection: 'diary', op: 'doc.remove', id })).status).toBe(403);
  });

  it('custom rule auth != null and the wire format', async () => {
    expect(
      (await client(undefined, { collection: 'guestbook', op: 'add', data: { text: 'anon' } })).status,
    ).toBe(403);
    expect((await client('o-carol', { collection: 'guestbook', op: 'add', data: { n: 3 } })).status).toBe(
      200,
    );
    expect(
      (await client(undefined, { collection: 'guestbook', op: 'count', where: { n: _.gte(3) } })).body.total,
    ).toBe(1);
    const raw = await fetch(`${cloud.url}/_devcloud/client-db`, {
      method: 'POST',
      body: JSON.stringify({ collection: 'guestbook', op: 'get', where: { n: { $gt: 0 } } }),
    });
    expect(raw.status).toBe(400);
  });
});

describe('admin database reads', () => {
  it('lists collections and reads one for the dev console', async () => {
    const list = (await (await fetch(`${cloud.url}/_devcloud/db`)).json()) as any;
    expect(list.collections.map((c: { name: string }) => c.name)).toContain('orders');
    const orders = (await (await fetch(`${cloud.url}/_devcloud/db/orders?limit=5`)).json()) as any;
    expect(orders).toMatchObject({ collection: 'orders', limit: 5 });
    expect(orders.data[0].outTradeNo).toBe('T100');
    expect((await fetch(`${cloud.url}/_devcloud/db/nope`)).status).toBe(404);
  });
});
