// The doctor's result type: one check, its verdict, and what to do about it in Chinese and English. Texts never
// carry a secret (keys, the APIv3 key, PEM bodies); identifiers such as a serial or an appid may appear.

/** pass: proven right; warn: works today but will bite; fail: will not work; cannot-tell: not provable here. */
export type Severity = 'pass' | 'warn' | 'fail' | 'cannot-tell';

/** One check's verdict. */
export interface CheckResult {
  id: string;
  severity: Severity;
  title: string;
  detailZh: string;
  detailEn: string;
  /** What to do; empty when nothing is to be done. */
  fixZh: string;
  fixEn: string;
}

/** A verdict without a fix. */
export function pass(id: string, title: string, detailZh: string, detailEn: string): CheckResult {
  return { id, severity: 'pass', title, detailZh, detailEn, fixZh: '', fixEn: '' };
}

/** A verdict with its fix. */
export function verdict(
  id: string,
  severity: Exclude<Severity, 'pass'>,
  title: string,
  detail: { zh: string; en: string },
  fix: { zh: string; en: string },
): CheckResult {
  return { id, severity, title, detailZh: detail.zh, detailEn: detail.en, fixZh: fix.zh, fixEn: fix.en };
}

/** The process exit code for a set of results: 1 when any check failed, else 0 (warn and cannot-tell do not fail). */
export function exitCodeOf(results: readonly CheckResult[]): number {
  return results.some((r) => r.severity === 'fail') ? 1 : 0;
}
