// The local stack's network exposure and the demo pictures it serves: by default nothing listens beyond loopback;
// bound to every interface (npm start -- --lan), a phone's address reaches the gateway; the seeded goods point at
// pictures the gateway serves, and the shop lists them unchanged.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { startTestStack, type TestStack } from '../support/stack';

/** This machine's non-loopback IPv4 address, if it has one (CI containers usually do). */
const external = Object.values(networkInterfaces())
  .flatMap((l) => l ?? [])
  .find((i) => i.family === 'IPv4' && !i.internal)?.address;

function status(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const portOf = (url: string) => new URL(url).port;

describe('local stack network exposure', () => {
  let stack: TestStack;
  afterEach(async () => {
    await stack?.stop();
  });

  it('listens on loopback only by default: gateway and simulator refuse other addresses', async () => {
    stack = await startTestStack();
    expect(new URL(stack.gatewayUrl).hostname).toBe('127.0.0.1');
    expect(new URL(stack.simulatorUrl).hostname).toBe('127.0.0.1');
    expect(await status(`${stack.gatewayUrl}/_devcloud/health`)).toBe(200);
    if (external !== undefined) {
      expect(await status(`http://${external}:${portOf(stack.gatewayUrl)}/_devcloud/health`)).toBe(
        'ECONNREFUSED',
      );
      expect(await status(`http://${external}:${portOf(stack.simulatorUrl)}/`)).toBe('ECONNREFUSED');
    }
  });

  it('with host 0.0.0.0 (--lan) the LAN address reaches both, and the stack still talks to itself on loopback', async () => {
    stack = await startTestStack({ host: '0.0.0.0' });
    expect(new URL(stack.gatewayUrl).hostname).toBe('127.0.0.1');
    expect(stack.env['WECHATPAY_NOTIFY_URL'] ?? '').toMatch(/^http:\/\/127\.0\.0\.1:/);
    if (external !== undefined) {
      expect(await status(`http://${external}:${portOf(stack.gatewayUrl)}/_devcloud/health`)).toBe(200);
      expect(await status(`http://${external}:${portOf(stack.simulatorUrl)}/sim/clock`)).toBe(200);
    }
  });
});

describe('demo pictures', () => {
  // Not useTestStack: a test here closes the stack and starts another on its data.
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('the seeded goods point at pictures the gateway serves, and listGoods passes them through', async () => {
    const goods = await stack.as('o-pictures').call('shop', 'listGoods');
    if (!goods.ok) throw new Error(goods.error.message);
    expect(goods.data.length).toBeGreaterThan(0);
    for (const g of goods.data) {
      expect(g.imageUrl).toBe(`${stack.gatewayUrl}/static/goods/${g.productId}.svg`);
      const res = await fetch(g.imageUrl!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/svg+xml');
      const body = await res.text();
      expect(body).toMatch(/^<svg /);
      expect(body.length).toBeLessThan(4096);
    }
  });

  it('a restart with another picture address (--lan) re-points the seeded pictures, keeping the data', async () => {
    const { dataDir } = stack;
    await stack.close();
    const lan = await startTestStack({ dataDir, pictureBaseUrl: 'http://192.168.1.20:7300' });
    try {
      const goods = await lan.as('o-pictures').call('shop', 'listGoods');
      if (!goods.ok) throw new Error(goods.error.message);
      expect(goods.data.map((g) => g.imageUrl)).toEqual(
        goods.data.map((g) => `http://192.168.1.20:7300/static/goods/${g.productId}.svg`),
      );
    } finally {
      await lan.close();
    }
    stack = await startTestStack({ dataDir });
  });

  it('serves nothing outside data/images and nothing but pictures', async () => {
    for (const path of [
      '/static/../catalog.demo.json',
      '/static/%2e%2e/catalog.demo.json',
      '/static/goods/',
      '/static/goods/nope.svg',
    ]) {
      expect(await status(`${stack.gatewayUrl}${path}`)).toBe(404);
    }
  });
});
