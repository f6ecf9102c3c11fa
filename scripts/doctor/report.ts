// Renders the doctor's results for people (bilingual lines) or CI (--json), and makes sure no secret leaves: every
// secret value in the configuration (the private key and PEM bodies, the APIv3 key) is masked in the final text even
// if a message were ever to carry one.
import { WechatPayEnv } from '../../server/adapters/payment/wechatpay-v3/config';
import { unescapePem } from './pem';
import type { CheckResult, Severity } from './result';
import { exitCodeOf } from './result';

type EnvLike = Readonly<Record<string, string | undefined>>;

const MARK: Record<Severity, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', 'cannot-tell': '????' };

/**
 * The secret fragments of a configuration: the APIv3 key, the AppSecret (WECHAT_APPSECRET, the doctor's own), and every
 * line of every PEM body 16 characters or longer.
 */
export function secretsOf(env: EnvLike): string[] {
  const out: string[] = [];
  const apiV3 = env[WechatPayEnv.APIV3_KEY]?.trim();
  if (apiV3) out.push(apiV3);
  const appSecret = env['WECHAT_APPSECRET']?.trim();
  if (appSecret) out.push(appSecret);
  for (const v of Object.values(env)) {
    if (v === undefined || !v.includes('-----BEGIN')) continue;
    out.push(v.trim());
    for (const line of unescapePem(v).split(/[\r\n ]+/)) {
      if (line.length >= 16 && !line.includes('-----')) out.push(line);
    }
  }
  return out.sort((a, b) => b.length - a.length);
}

/** `text` with every secret fragment replaced by a mask. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[secret]');
  return out;
}

/** Human-readable report: one block per check, then a summary line. */
export function renderText(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`[${MARK[r.severity]}] ${r.id} — ${r.title}`);
    lines.push(`       ${r.detailZh}`);
    lines.push(`       ${r.detailEn}`);
    if (r.fixZh !== '') lines.push(`    修复: ${r.fixZh}`);
    if (r.fixEn !== '') lines.push(`    Fix:  ${r.fixEn}`);
  }
  const count = (s: Severity) => results.filter((r) => r.severity === s).length;
  lines.push('');
  lines.push(
    `通过 ${count('pass')} · 警告 ${count('warn')} · 失败 ${count('fail')} · 无法判断 ${count('cannot-tell')}` +
      ` — pass ${count('pass')}, warn ${count('warn')}, fail ${count('fail')}, cannot-tell ${count('cannot-tell')}`,
  );
  return lines.join('\n') + '\n';
}

/** Machine-readable report for CI. */
export function renderJson(results: readonly CheckResult[]): string {
  return JSON.stringify({ exitCode: exitCodeOf(results), results }, null, 2) + '\n';
}
