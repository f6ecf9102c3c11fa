import fc from 'fast-check';
import {
  FIELD_LIMITS,
  SubscribeFieldError,
  beijingTimeText,
  fen,
  fieldTypeOf,
  formatField,
  formatMessageData,
  instant,
  text,
} from './subscribe-message';

const refused = (key: string, value: Parameters<typeof formatField>[1]): SubscribeFieldError => {
  try {
    formatField(key, value);
  } catch (e) {
    expect(e).toBeInstanceOf(SubscribeFieldError);
    expect((e as SubscribeFieldError).field).toBe(key);
    expect((e as Error).message.startsWith(`${key}: `)).toBe(true);
    return e as SubscribeFieldError;
  }
  throw new Error(`${key} accepted ${JSON.stringify(value)}`);
};

// 2026-11-30 15:01:30 Beijing = 07:01:30 UTC.
const T = Date.UTC(2026, 10, 30, 7, 1, 30);

describe('fieldTypeOf', () => {
  it('reads the type from the key prefix, including character_string and phone_number', () => {
    expect(fieldTypeOf('thing4')).toBe('thing');
    expect(fieldTypeOf('character_string12')).toBe('character_string');
    expect(fieldTypeOf('phone_number1')).toBe('phone_number');
    expect(fieldTypeOf('amount2')).toBe('amount');
    expect(fieldTypeOf('thing')).toBeNull();
    expect(fieldTypeOf('colour1')).toBeNull();
    expect(fieldTypeOf('Thing1')).toBeNull();
  });

  it('refuses a key of no known type', () => {
    refused('colour1', text('红'));
  });
});

describe('thing (≤ 20 characters, cut with an ellipsis)', () => {
  it('keeps 20 characters and cuts 21 to 19 + …', () => {
    const twenty = '商'.repeat(20);
    expect(formatField('thing1', text(twenty))).toBe(twenty);
    expect(formatField('thing1', text(`${twenty}品`))).toBe(`${'商'.repeat(19)}…`);
  });

  it('never cuts an emoji in half', () => {
    const value = `${'a'.repeat(18)}👨‍👩‍👧`; // 18 + 5 code points
    const out = formatField('thing1', text(value));
    expect(out).toBe(`${'a'.repeat(18)}…`);
  });

  it('refuses an empty value and turns control characters into spaces', () => {
    refused('thing1', text('   '));
    expect(formatField('thing1', text('a\nb'))).toBe('a b');
  });

  it('always answers ≤ 20 code points, a prefix of the input when cut (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (s) => {
        let out: string;
        try {
          out = formatField('thing1', text(s));
        } catch (e) {
          expect((e as SubscribeFieldError).problem).toBe('is empty');
          return;
        }
        expect([...out].length).toBeLessThanOrEqual(FIELD_LIMITS.thing);
        if (out.endsWith('…') && !s.trim().endsWith('…')) {
          // The formatter turns control characters into spaces.
          // eslint-disable-next-line no-control-regex -- those are what is replaced
          const CONTROL = new RegExp('[\\u0000-\\u001f\\u007f]+', 'g');
          expect(s.replace(CONTROL, ' ').trim().startsWith(out.slice(0, -1))).toBe(true);
        }
      }),
    );
  });
});

describe('number, letter, character_string (≤ 32, their character classes)', () => {
  it('number: digits with an optional decimal, at most 32', () => {
    expect(formatField('number1', text('12.5'))).toBe('12.5');
    expect(formatField('number1', text('9'.repeat(32)))).toBe('9'.repeat(32));
    refused('number1', text('9'.repeat(33)));
    refused('number1', text('12a'));
    refused('number1', text('-3'));
    expect(formatField('number1', fen(1234))).toBe('12.34');
  });

  it('letter: letters only, at most 32', () => {
    expect(formatField('letter1', text('ABc'))).toBe('ABc');
    refused('letter1', text('a'.repeat(33)));
    refused('letter1', text('ab1'));
  });

  it('character_string: printable ASCII without spaces, at most 32, never cut', () => {
    const no = 'T20261130A1b2C3d4e5F6g7H8';
    expect(formatField('character_string1', text(no))).toBe(no);
    expect(formatField('character_string1', text('x'.repeat(32)))).toBe('x'.repeat(32));
    const e = refused('character_string1', text('x'.repeat(33)));
    expect(e.problem).toMatch(/32/);
    expect(refused('character_string1', text('SF 1234')).problem).toMatch(/spaces/);
    refused('character_string1', text('订单1'));
  });

  it('character_string accepts exactly the ≤ 32 visible-ASCII strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const ok = /^[\x21-\x7e]{1,32}$/.test(s.trim()) && s.trim() === s;
        let accepted = true;
        try {
          formatField('character_string3', text(s));
        } catch {
          accepted = false;
        }
        if (ok) expect(accepted).toBe(true);
        if (!/^[\x21-\x7e]*$/.test(s.trim()) || [...s.trim()].length > 32) expect(accepted).toBe(false);
      }),
    );
  });
});

describe('symbol (≤ 5)', () => {
  it('takes up to 5 symbols and nothing else', () => {
    expect(formatField('symbol1', text('%'))).toBe('%');
    expect(formatField('symbol1', text('#####'))).toBe('#####');
    refused('symbol1', text('######'));
    refused('symbol1', text('a%'));
  });
});

describe('amount (sign + ≤ 10 digits, may end in 元)', () => {
  it('formats fen as ¥yuan with two decimals', () => {
    expect(formatField('amount2', fen(1234))).toBe('¥12.34');
    expect(formatField('amount2', fen(1))).toBe('¥0.01');
    expect(formatField('amount2', fen(100))).toBe('¥1.00');
  });

  it('accepts 10 integer digits and refuses 11', () => {
    expect(formatField('amount2', fen(9_999_999_999 * 100))).toBe('¥9999999999.00');
    refused('amount2', fen(10_000_000_000 * 100));
  });

  it('checks given texts: sign or 元 required, digits only', () => {
    expect(formatField('amount2', text('12.34元'))).toBe('12.34元');
    expect(formatField('amount2', text('￥5'))).toBe('￥5');
    refused('amount2', text('12.34'));
    refused('amount2', text('¥12.345'));
    refused('amount2', text('¥1,234'));
    refused('amount2', fen(-1));
    refused('amount2', fen(1.5));
  });

  it('every amount up to 10 digits of yuan formats and round-trips (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999_999 }), (f) => {
        const out = formatField('amount9', fen(f));
        expect(out).toMatch(/^¥\d{1,10}\.\d\d$/);
        expect(Math.round(Number(out.slice(1)) * 100)).toBe(f);
      }),
    );
  });

  it('refuses an amount in a field that cannot hold one', () => {
    refused('phrase1', fen(100));
    refused('time1', fen(100));
  });
});

describe('phrase (≤ 5 Chinese characters)', () => {
  it('takes 1–5 Chinese characters only', () => {
    expect(formatField('phrase3', text('退款成功'))).toBe('退款成功');
    expect(formatField('phrase3', text('已经发货了'))).toBe('已经发货了');
    refused('phrase3', text('已经在发货了'));
    refused('phrase3', text('OK'));
    refused('phrase3', text('退款 成功'));
  });
});

describe('name (≤ 10 Chinese characters or ≤ 20 letters)', () => {
  it('takes either form within its limit', () => {
    expect(formatField('name1', text('张三'))).toBe('张三');
    expect(formatField('name1', text('欧'.repeat(10)))).toBe('欧'.repeat(10));
    refused('name1', text('欧'.repeat(11)));
    expect(formatField('name1', text('Li Lei'))).toBe('Li Lei');
    expect(formatField('name1', text('a'.repeat(20)))).toBe('a'.repeat(20));
    refused('name1', text('a'.repeat(21)));
    refused('name1', text('张san'));
    refused('name1', text('R2D2'));
  });
});

describe('time and date (Chinese formats, Beijing time)', () => {
  it('formats an instant in Beijing time', () => {
    expect(beijingTimeText(T)).toBe('2026年11月30日 15:01');
    expect(formatField('time3', instant(T))).toBe('2026年11月30日 15:01');
    expect(formatField('date3', instant(T))).toBe('2026年11月30日 15:01');
    // 23:30 UTC is the next day in Beijing.
    expect(formatField('time3', instant(Date.UTC(2026, 0, 31, 23, 30)))).toBe('2026年2月1日 07:30');
    expect(formatField('thing3', instant(T))).toBe('2026年11月30日 15:01');
  });

  it('checks given texts, ranges included', () => {
    expect(formatField('time1', text('15:01'))).toBe('15:01');
    expect(formatField('time1', text('2026年11月30日 15:01~16:00'))).toBe('2026年11月30日 15:01~16:00');
    expect(formatField('date1', text('2026年11月30日'))).toBe('2026年11月30日');
    refused('time1', text('2026-11-30 15:01'));
    refused('time1', text('25:00'));
    refused('date1', text('15:01'));
    refused('time1', instant(Number.NaN));
    refused('amount1', instant(T));
  });

  it('every instant formats to a valid time (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2099, 11, 31) }), (ms) => {
        const out = formatField('time1', instant(ms));
        expect(out).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$/);
        expect(formatField('time1', text(out))).toBe(out);
      }),
    );
  });
});

describe('phone_number (≤ 17) and car_number (≤ 8)', () => {
  it('phone_number: digits and -, a leading +', () => {
    expect(formatField('phone_number1', text('+86-10-12345678'))).toBe('+86-10-12345678');
    expect(formatField('phone_number1', text('1'.repeat(17)))).toBe('1'.repeat(17));
    refused('phone_number1', text('1'.repeat(18)));
    refused('phone_number1', text('call 110'));
  });

  it('car_number: Chinese only first or last, letters and digits between, ≤ 8', () => {
    expect(formatField('car_number1', text('粤B12345'))).toBe('粤B12345');
    expect(formatField('car_number1', text('粤B1234学'))).toBe('粤B1234学');
    refused('car_number1', text('粤B123456学'));
    refused('car_number1', text('粤B12粤45'));
    refused('car_number1', text('粤b12345'));
  });
});

describe('formatMessageData', () => {
  it('formats every field as {value}', () => {
    expect(
      formatMessageData({
        character_string1: text('T1'),
        amount2: fen(990),
        time3: instant(T),
        thing4: text('苹果'),
      }),
    ).toEqual({
      character_string1: { value: 'T1' },
      amount2: { value: '¥9.90' },
      time3: { value: '2026年11月30日 15:01' },
      thing4: { value: '苹果' },
    });
  });

  it('names the first field it cannot fix', () => {
    expect(() => formatMessageData({ thing1: text('ok'), character_string2: text('a b') })).toThrow(
      /^character_string2: /,
    );
  });
});
