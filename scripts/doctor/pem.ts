// Names what is wrong with PEM text pasted into a setting: the corruptions copy-paste and single-line environment
// variables cause. Read the way the adapter reads it ("\n" escapes become newlines first), so a problem named here is
// one the functions would meet. Never returns any part of the text.
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';

/** What a setting should hold. */
export type PemKind = 'private-key' | 'certificate' | 'public-key';

/** A named corruption, in both languages, with its fix. */
export interface PemProblem {
  code: string;
  zh: string;
  en: string;
  fixZh: string;
  fixEn: string;
}

const KIND_NAME: Record<PemKind, { zh: string; en: string; label: string }> = {
  'private-key': { zh: '私钥', en: 'a private key', label: 'PRIVATE KEY' },
  certificate: { zh: '证书', en: 'a certificate', label: 'CERTIFICATE' },
  'public-key': { zh: '公钥', en: 'a public key', label: 'PUBLIC KEY' },
};

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/;

/** The adapter's own unescaping of single-line PEM text. */
export function unescapePem(raw: string): string {
  return raw.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
}

function labelKind(label: string): PemKind | 'other' {
  if (/PRIVATE KEY$/.test(label)) return 'private-key';
  if (label === 'CERTIFICATE' || label === 'X509 CERTIFICATE' || label === 'TRUSTED CERTIFICATE')
    return 'certificate';
  if (/PUBLIC KEY$/.test(label)) return 'public-key';
  return 'other';
}

function parses(kind: PemKind, text: string): boolean {
  try {
    if (kind === 'private-key') createPrivateKey(text);
    else if (kind === 'certificate') new X509Certificate(text);
    else createPublicKey(text);
    return true;
  } catch {
    return false;
  }
}

function problem(code: string, zh: string, en: string, fixZh: string, fixEn: string): PemProblem {
  return { code, zh, en, fixZh, fixEn };
}

/**
 * Why `raw` is not usable as `kind`, or null when it parses as one. A public-key setting accepts a certificate (the
 * adapter can read a key from it) but a private key there is always named: a secret where a public value belongs.
 */
export function diagnosePem(raw: string, kind: PemKind): PemProblem | null {
  const want = KIND_NAME[kind];
  const text = unescapePem(raw.trim());
  const t = text.trim();
  if (/^["']/.test(t) || /["']$/.test(t)) {
    return problem(
      'quoted',
      '内容两端带有引号（引号被当成了内容的一部分）。',
      'The value is wrapped in quotes, and the quotes became part of it.',
      '去掉值两端的引号，只保留 -----BEGIN … 到 -----END …----- 的内容。',
      'Remove the surrounding quotes; keep only the -----BEGIN … through -----END …----- text.',
    );
  }
  if (t.includes('\\')) {
    return problem(
      'escaped-newlines',
      '内容里仍有反斜杠：换行被转义了两次（如 \\\\n）或用了 \\r\\n，解码后仍不是换行。',
      'The text still holds backslashes after "\\n" was unescaped: newlines were escaped twice (\\\\n) or as \\r\\n.',
      '把文件原样粘贴为多行，或只用一层 \\n 代替换行。',
      'Paste the file as multi-line text, or replace each newline with a single \\n escape.',
    );
  }
  const begin = BEGIN.exec(t);
  if (begin === null) {
    return problem(
      'no-begin-line',
      `缺少 -----BEGIN ${want.label}----- 这一行（只粘贴了中间的 Base64 内容）。`,
      `The -----BEGIN ${want.label}----- line is missing (only the base64 body was pasted).`,
      '从文件中完整复制，包括 -----BEGIN 与 -----END 两行。',
      'Copy the whole file, including the -----BEGIN and -----END lines.',
    );
  }
  const label = begin[1] ?? '';
  if (!t.includes(`-----END ${label}-----`)) {
    return problem(
      'no-end-line',
      `缺少 -----END ${label}----- 这一行（复制时截断了）。`,
      `The -----END ${label}----- line is missing (the copy was cut short).`,
      '从文件中完整复制，包括最后的 -----END 行。',
      'Copy the whole file, including the final -----END line.',
    );
  }
  const found = labelKind(label);
  if (found !== kind && !(kind === 'public-key' && found === 'certificate')) {
    const got = found === 'other' ? { zh: `“${label}”`, en: `"${label}"` } : KIND_NAME[found];
    return problem(
      `${found}-not-${kind}`,
      `这里应填${want.zh}，填入的却是${got.zh}。`,
      `This setting holds ${got.en} where ${want.en} belongs.`,
      kind === 'private-key'
        ? '填入商户 API 私钥文件 apiclient_key.pem 的内容。'
        : kind === 'certificate'
          ? '填入商户 API 证书文件 apiclient_cert.pem 的内容。'
          : '填入在商户平台下载的微信支付公钥（pub_key.pem）的内容。',
      kind === 'private-key'
        ? 'Put the content of the merchant API private key file, apiclient_key.pem.'
        : kind === 'certificate'
          ? 'Put the content of the merchant API certificate file, apiclient_cert.pem.'
          : 'Put the WeChat Pay public key (pub_key.pem) downloaded from the merchant platform.',
    );
  }
  if (parses(kind, t)) return null;
  const inner = t.slice(t.indexOf(begin[0]) + begin[0].length, t.indexOf(`-----END ${label}-----`));
  if (!/\n/.test(inner.trim()) && / /.test(inner.trim())) {
    return problem(
      'spaces-for-newlines',
      '换行被替换成了空格（粘贴进单行输入框时常见）。',
      'The newlines were replaced by spaces (typical of pasting into a single-line field).',
      '恢复换行：每个换行写成 \\n，或以多行方式填写。',
      'Restore the newlines: write each as \\n, or enter the value as multi-line text.',
    );
  }
  if (/[^A-Za-z0-9+/=\s]/.test(inner)) {
    return problem(
      'stray-characters',
      'Base64 内容中混入了非法字符。',
      'The base64 body holds characters that do not belong there.',
      '重新从原始文件复制。',
      'Copy it again from the original file.',
    );
  }
  return problem(
    'unparsable',
    `无法解析为${want.zh}（内容被改动或截断）。`,
    `It does not parse as ${want.en} (the body was altered or cut).`,
    '重新从原始文件完整复制。',
    'Copy it again, whole, from the original file.',
  );
}
