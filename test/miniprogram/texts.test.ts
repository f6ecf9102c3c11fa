// The words the shopper reads: one Chinese message for every error code the API documents, and every order status
// distinct in words and look. Plain unit tests of miniprogram/utils (no wx needed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OrderStatus } from '../../typings/contracts/order';
import { ERROR_MESSAGES, errorText } from '../../miniprogram/utils/errors';
import { statusLook } from '../../miniprogram/utils/order-status';

const ALL_STATUSES: OrderStatus[] = [
  'AWAITING_PAYMENT',
  'PAID',
  'CLOSED_BY_USER',
  'CLOSED_BY_TIMEOUT',
  'PAID_AFTER_CLOSE',
  'REFUND_PROCESSING',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
  'REFUND_FAILED',
];

describe('error messages', () => {
  it('has a Chinese message for every error code in docs/API.md, and for NETWORK', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'API.md'), 'utf8');
    const codes = new Set(
      [...doc.matchAll(/`([A-Z]+(?:\.[A-Z_]+)+|INTERNAL)`/g)]
        .map((m) => m[1]!)
        // Notification event types and outcome names are not error codes.
        .filter((c) => !/^(TRANSACTION|REFUND)\.(SUCCESS|ABNORMAL|CLOSED)$/.test(c)),
    );
    expect(codes.size).toBeGreaterThan(25);
    const missing = [...codes, 'NETWORK'].filter((c) => ERROR_MESSAGES[c] === undefined);
    expect(missing).toEqual([]);
    for (const text of Object.values(ERROR_MESSAGES)) expect(text).toMatch(/[\u4e00-\u9fff]/);
  });

  it('names an unknown code instead of showing nothing', () => {
    expect(errorText({ code: 'SOMETHING.NEW' })).toContain('SOMETHING.NEW');
    expect(errorText({ code: 'ORDER.NOT_FOUND' })).toBe('订单不存在');
  });
});

describe('order status look', () => {
  it('gives every status its own words and its own look', () => {
    const looks = ALL_STATUSES.map((s) => statusLook(s, 500));
    expect(new Set(looks.map((l) => l.label)).size).toBe(ALL_STATUSES.length);
    expect(new Set(looks.map((l) => `${l.tone}/${l.icon}`)).size).toBe(ALL_STATUSES.length);
    expect(statusLook('PAID_AFTER_CLOSE').label).toBe('正在自动退款');
    expect(statusLook('PARTIALLY_REFUNDED', 1234).note).toContain('¥12.34');
  });
});

describe('the only doors out', () => {
  it('only miniprogram/services calls wx.request, wx.cloud.callFunction and wx.requestPayment', () => {
    const root = join(__dirname, '..', '..', 'miniprogram');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (name === 'miniprogram_npm' || name === 'node_modules') continue;
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.includes(`${join(root, 'services')}`)) {
          const code = readFileSync(p, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
          if (/wx\s*\.\s*(request\s*\(|requestPayment|cloud\s*\.\s*callFunction)/.test(code))
            offenders.push(p);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});

describe('money the shop owes offline', () => {
  it('a refund WeChat could only return to the shop’s card never reads 已退款 while the shopper has nothing', () => {
    for (const status of ['REFUNDED', 'PARTIALLY_REFUNDED'] as const) {
      const owed = statusLook(status, 6800, 6800);
      expect(owed.label).not.toContain('已退款');
      expect(owed.label).toBe('商家线下退款中');
      expect(owed.note).toContain('¥68.00');
      expect(owed.note).toContain('线下');
    }
    // Once staff confirm paying it, the ordinary words return.
    expect(statusLook('REFUNDED', 6800, 0).label).toBe('已退款');
  });
});
