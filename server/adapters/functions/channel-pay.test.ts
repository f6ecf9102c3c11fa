// channelPay's entrances (docs/adr/0012): where the H5 payer's IP comes from, and what is refused before the service
// is reached. The end-to-end behaviour is test/e2e/channel-orders.test.ts.
import { ChannelOrderService } from '../../application/channel-order.service';
import type { CoreDeps } from '../../application/core.deps';
import type { PaymentProvider } from '../../application/ports/payment-provider.port';
import { toApiError } from '../runtime/handler';
import type { ChannelOrderView } from '../../../typings/contracts/channel';
import { createLogger } from '../runtime/logger';
import { fromCloudHttpEvent } from '../runtime/http-event';
import type { RawHttpRequest } from '../runtime/http-event';
import type { ChannelPayDeps } from './channel-pay.handlers';
import { channelPayActions, payerIp } from './channel-pay.handlers';
import { handleChannelPayHttp } from './channel-pay.http';

const log = createLogger({}, () => undefined);
const KEY = 'web-key-aaaaaaaaaaaaaaaaaaaa';
const LINES = [{ skuId: 'sku-coffee-250g', quantity: 1 }];

/** A service stand-in that records the H5 creations it is asked for. */
function stubDeps(): { deps: ChannelPayDeps; h5Calls: unknown[][] } {
  const h5Calls: unknown[][] = [];
  const view = { channel: 'h5', order: {}, payUrl: 'https://pay.example/h5', payUrlExpiresAtMs: 1 };
  const channels = {
    createH5: (...args: unknown[]) => {
      h5Calls.push(args);
      return Promise.resolve(view as unknown as ChannelOrderView);
    },
  } as unknown as ChannelOrderService;
  return { deps: { channels, adminOpenids: new Set(['o-staff']) }, h5Calls };
}

function request(body: unknown, sourceIp?: string): RawHttpRequest {
  return {
    method: 'POST',
    path: '/channelPay',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': '198.51.100.1',
      'x-real-ip': '198.51.100.2',
    },
    query: {},
    rawBody: Buffer.from(JSON.stringify(body)),
    ...(sourceIp === undefined ? {} : { sourceIp }),
  };
}

async function post(body: unknown, sourceIp?: string) {
  const { deps, h5Calls } = stubDeps();
  const res = await handleChannelPayHttp(request(body, sourceIp), {
    boot: () => deps,
    actions: channelPayActions,
    log,
    newRequestId: () => 'req-1',
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown>, h5Calls };
}

describe('payerIp: the H5 payer IP is the platform’s record of the request', () => {
  it('takes IPv4 and IPv6 addresses, an IPv4-mapped IPv6 one as IPv4', () => {
    expect(payerIp('203.0.113.7')).toBe('203.0.113.7');
    expect(payerIp('2001:db8::7')).toBe('2001:db8::7');
    expect(payerIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
  });

  it.each([undefined, '', 'unknown', '1.2.3.4, 5.6.7.8', 'localhost'])('refuses %p', (ip) => {
    expect(() => payerIp(ip)).toThrow(expect.objectContaining({ code: 'CHANNEL.CLIENT_IP_UNKNOWN' }));
  });
});

describe('channelPay over HTTP', () => {
  it('creates an H5 order with the request’s sourceIp, never an IP from the body or a forwarding header', async () => {
    const r = await post(
      { action: 'createH5', clientRequestKey: KEY, lines: LINES, payerClientIp: '8.8.8.8', h5Type: 'iOS' },
      '203.0.113.7',
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, data: { payUrl: 'https://pay.example/h5' } });
    expect(r.h5Calls).toEqual([[KEY, LINES, '203.0.113.7', 'iOS']]);
  });

  it('refuses an H5 order when the platform gave no usable address, whatever the body says (nothing created)', async () => {
    for (const sourceIp of [undefined, 'not-an-ip']) {
      const r = await post(
        { action: 'createH5', clientRequestKey: KEY, lines: LINES, payerClientIp: '8.8.8.8' },
        sourceIp,
      );
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ ok: false, error: { code: 'CHANNEL.CLIENT_IP_UNKNOWN' } });
      expect(r.h5Calls).toEqual([]);
    }
  });

  it('refuses what is not a JSON event, an unknown action, a GET, and staff actions (no identity here)', async () => {
    const { deps } = stubDeps();
    const deps$ = { boot: () => deps, actions: channelPayActions, log, newRequestId: () => 'r' };
    const notJson = await handleChannelPayHttp(
      { ...request({}, '203.0.113.7'), rawBody: Buffer.from('{') },
      deps$,
    );
    expect(JSON.parse(notJson.body)).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID' } });
    const get = await handleChannelPayHttp({ ...request({}, '203.0.113.7'), method: 'GET' }, deps$);
    expect(get.statusCode).toBe(400);
    expect((await post({ action: 'refundEverything' }, '203.0.113.7')).body).toMatchObject({
      error: { code: 'REQUEST.UNKNOWN_ACTION' },
    });
    const staff = await post(
      { action: 'createNative', clientRequestKey: 'counter-1', lines: LINES },
      '203.0.113.7',
    );
    expect(staff).toMatchObject({ status: 403, body: { ok: false, error: { code: 'AUTH.NO_IDENTITY' } } });
  });

  it('reads sourceIp from the HTTP event’s requestContext only', () => {
    expect(fromCloudHttpEvent({ requestContext: { sourceIp: '203.0.113.7' } }).sourceIp).toBe('203.0.113.7');
    expect(fromCloudHttpEvent({ headers: { 'x-forwarded-for': '8.8.8.8' } }).sourceIp).toBeUndefined();
  });
});

describe('channelPay from the mini program', () => {
  it('refuses the H5 actions (no HTTP request, so no payer address)', async () => {
    const { deps, h5Calls } = stubDeps();
    const inv = { openid: 'o-shopper', appid: 'wx1', requestId: 'r', log };
    await expect(
      channelPayActions.createH5(
        { clientRequestKey: KEY, lines: LINES, payerClientIp: '8.8.8.8' },
        inv,
        deps,
      ),
    ).rejects.toMatchObject({ code: 'CHANNEL.HTTP_ONLY' });
    expect(h5Calls).toEqual([]);
  });
});

describe('ChannelOrderService with a provider that has no Native / H5 (cloudPay, demo)', () => {
  it('refuses every create before reading the catalog or holding stock', async () => {
    const untouched = new Proxy(
      {},
      {
        get: (_t, prop) => () => Promise.reject(new Error(`nothing may be read or held (${String(prop)})`)),
      },
    );
    const demo = {
      id: 'demo',
      createNativePayment: () => Promise.reject(new Error('not asked')),
    } as unknown as PaymentProvider;
    const core = {
      provider: demo,
      catalog: untouched,
      stock: untouched,
      orders: untouched,
    } as unknown as CoreDeps;
    const service = new ChannelOrderService(
      core,
      { syncOrder: (o) => Promise.resolve(o) },
      { payUrls: false },
    );
    await expect(service.createNative('o-staff', 'counter-0001', LINES)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      retryability: 'fatal',
    });
    await expect(service.createH5(KEY, LINES, '203.0.113.7')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    // Through the envelope: PAYMENT.PROVIDER_ERROR, not retryable.
    expect(
      toApiError(await service.createNative('o-staff', 'k-00000001', LINES).catch((e) => e), 'r'),
    ).toMatchObject({
      code: 'PAYMENT.PROVIDER_ERROR',
      retryable: false,
    });
  });
});
