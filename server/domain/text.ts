// Texts shown to the payer travel through WeChat Pay's byte limits. Cutting them must keep every user-perceived
// character whole: half a surrogate pair is invalid UTF-8 (WeChat refuses the request), and half an emoji sequence
// (👨‍👩‍👧, 🇨🇳, ✋🏽) shows as a different or broken symbol.

/** UTF-8 length of one code point, in bytes. */
function codePointBytes(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/** The UTF-8 length of `text` in bytes (a lone surrogate counts 3, as Node encodes it as U+FFFD). */
export function utf8Length(text: string): number {
  let n = 0;
  for (const ch of text) n += codePointBytes(ch.codePointAt(0) ?? 0);
  return n;
}

interface GraphemeSegmenter {
  segment(input: string): Iterable<{ segment: string }>;
}

// Intl.Segmenter exists on every Node the cloud runs (≥ 16, full ICU); without it, code points are still never split.
const Segmenter = (Intl as unknown as { Segmenter?: new (locale: string, o: object) => GraphemeSegmenter })
  .Segmenter;
// Made on first use, not at load: building it loads ICU's segmentation data (~15 ms), which every cold start of every
// function would pay even when no text is ever truncated.
let graphemes: GraphemeSegmenter | null | undefined;

/** `text` as user-perceived characters (grapheme clusters). */
export function graphemesOf(text: string): string[] {
  graphemes ??= Segmenter ? new Segmenter('zh', { granularity: 'grapheme' }) : null;
  if (graphemes === null) return Array.from(text);
  return Array.from(graphemes.segment(text), (s) => s.segment);
}

/**
 * The longest prefix of `text` that fits in `maxBytes` UTF-8 bytes and ends on a character boundary (a whole
 * grapheme cluster). Lone surrogates are dropped: they cannot be sent as UTF-8.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const clean = text.replace(/[\uD800-\uDFFF]/gu, '');
  // A text that fits is whole: no cut, so no character boundaries to find (the usual case, and segmenting is dear).
  if (utf8Length(clean) <= maxBytes) return clean;
  let out = '';
  let budget = maxBytes;
  for (const g of graphemesOf(clean)) {
    const size = utf8Length(g);
    if (size > budget) break;
    out += g;
    budget -= size;
  }
  return out;
}
