import { CLOUD_LATENCY, delaySampler, formatLatency, latencyFromEnv, parseLatency } from './latency';

describe('latency model spec', () => {
  it('reads cloud, off and key=value parts over the cloud defaults', () => {
    expect(parseLatency('cloud')).toEqual(CLOUD_LATENCY);
    expect(parseLatency('off')).toBeNull();
    expect(parseLatency('db=20, jitter=0')).toEqual({ ...CLOUD_LATENCY, dbMs: 20, jitter: 0 });
    const m = { dbMs: 3, payMs: 40, callMs: 100, jitter: 0.5 };
    expect(parseLatency(formatLatency(m))).toEqual(m);
    expect(latencyFromEnv({ LOCAL_LATENCY: 'pay=90' })).toEqual({ ...CLOUD_LATENCY, payMs: 90 });
    expect(latencyFromEnv({})).toBeNull();
  });

  it('refuses unknown keys, negative delays and jitter above 1', () => {
    expect(() => parseLatency('disk=3')).toThrow(/bad latency "disk=3"/);
    expect(() => parseLatency('db=-1')).toThrow(/bad latency/);
    expect(() => parseLatency('db')).toThrow(/bad latency/);
    expect(() => parseLatency('jitter=2')).toThrow(/fraction/);
  });

  it('draws delays uniformly within base × [1 − jitter, 1 + jitter], none for a zero base', () => {
    expect(delaySampler(0, 0.2)).toBeUndefined();
    const at = (u: number) => delaySampler(10, 0.2, () => u)?.();
    expect(at(0)).toBeCloseTo(8);
    expect(at(0.5)).toBeCloseTo(10);
    expect(at(0.999999)).toBeCloseTo(12);
  });
});
