import fc from 'fast-check';
import { graphemesOf, truncateUtf8, utf8Length } from './text';
import type * as TextModule from './text';

describe('truncateUtf8', () => {
  it('keeps texts that fit unchanged', () => {
    expect(truncateUtf8('商家退款', 80)).toBe('商家退款');
    expect(truncateUtf8('', 80)).toBe('');
  });

  it('cuts between whole characters: no half surrogate pair, no half emoji sequence', () => {
    // 78 bytes of ASCII, then a 4-byte emoji: 82 bytes, the emoji does not fit.
    expect(truncateUtf8(`${'a'.repeat(78)}😀`, 80)).toBe('a'.repeat(78));
    // A family emoji is 18 bytes in 5 code points; a code-point cut would leave "👨‍" (man + joiner).
    expect(truncateUtf8(`${'a'.repeat(70)}👨‍👩‍👧`, 80)).toBe('a'.repeat(70));
    expect(truncateUtf8(`${'a'.repeat(60)}👨‍👩‍👧`, 80)).toBe(`${'a'.repeat(60)}👨‍👩‍👧`);
    // A flag is two regional indicators: half a flag is a different letter.
    expect(truncateUtf8(`${'a'.repeat(74)}🇨🇳`, 80)).toBe('a'.repeat(74));
    expect(truncateUtf8('退款原因退款原因', 10)).toBe('退款原');
  });

  it('drops lone surrogates, which cannot be sent as UTF-8', () => {
    expect(truncateUtf8('ab\uD83Dcd', 80)).toBe('abcd');
  });

  it('always answers a prefix of whole graphemes within the byte limit (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.integer({ min: 0, max: 120 }),
        (s, max) => {
          const cut = truncateUtf8(s, max);
          expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(max);
          expect(utf8Length(cut)).toBe(Buffer.byteLength(cut, 'utf8'));
          const whole = graphemesOf(s);
          const kept = graphemesOf(cut);
          expect(kept).toEqual(whole.slice(0, kept.length));
          const next = whole[kept.length];
          if (next !== undefined) expect(utf8Length(cut) + utf8Length(next)).toBeGreaterThan(max);
        },
      ),
    );
  });
});

describe('loading', () => {
  it('builds the grapheme segmenter on first use, not when the module loads (it costs every cold start)', () => {
    const Real = Intl.Segmenter;
    let made = 0;
    const spy = jest.spyOn(Intl, 'Segmenter').mockImplementation((...args) => {
      made += 1;
      return new Real(...args);
    });
    try {
      jest.isolateModules(() => {
        const fresh = jest.requireActual<typeof TextModule>('./text');
        expect(made).toBe(0);
        expect(fresh.graphemesOf('茶🇨🇳')).toEqual(['茶', '🇨🇳']);
        fresh.graphemesOf('再一次');
        expect(made).toBe(1);
      });
    } finally {
      spy.mockRestore();
    }
  });
});
