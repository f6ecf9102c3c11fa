// The in-place clock on node:crypto's verify (./verify-clock.ts): it times the calls made through the module object, as
// a function bundle makes them, without changing what they answer.
import nodeCrypto, { generateKeyPairSync, sign } from 'node:crypto';
import { MAX_KEPT, installVerifyClock } from './verify-clock';

describe('installVerifyClock', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const message = Buffer.from('1700000000\nNONCE\n{"id":"x"}\n');
  const signature = sign('sha256', message, privateKey);

  it('times each call made through the module object and keeps its answer', () => {
    const clock = installVerifyClock();
    try {
      // As a bundle calls it: a property read on the shared module object at call time.
      const viaModule = (): boolean => nodeCrypto.verify('sha256', message, publicKey, signature);
      expect(viaModule()).toBe(true);
      expect(nodeCrypto.verify('sha256', Buffer.from('tampered'), publicKey, signature)).toBe(false);
      const times = clock.take();
      expect(times).toHaveLength(2);
      for (const us of times) expect(us).toBeGreaterThan(0);
      // take() starts over.
      expect(clock.take()).toEqual([]);
      // A throw still counts the call, and is passed on.
      expect(() => nodeCrypto.verify('no-such-digest', message, publicKey, signature)).toThrow();
      expect(clock.take()).toHaveLength(1);
    } finally {
      clock.uninstall();
    }
  });

  it('keeps at most MAX_KEPT durations between two takes', () => {
    let calls = 0;
    const target = { verify: (() => ++calls > 0) as unknown as typeof nodeCrypto.verify };
    const clock = installVerifyClock(target);
    for (let i = 0; i < MAX_KEPT + 5; i++) target.verify('sha256', message, publicKey, signature);
    expect(calls).toBe(MAX_KEPT + 5);
    expect(clock.take()).toHaveLength(MAX_KEPT);
    target.verify('sha256', message, publicKey, signature);
    expect(clock.take()).toHaveLength(1);
  });

  it('puts the original back', () => {
    const original = nodeCrypto.verify;
    const clock = installVerifyClock();
    expect(nodeCrypto.verify).not.toBe(original);
    clock.uninstall();
    expect(nodeCrypto.verify).toBe(original);
  });
});
