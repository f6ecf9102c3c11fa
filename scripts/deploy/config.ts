// The shop's deploy configuration (deploy.config.json, git-ignored; deploy.config.example.json shows the format):
// the mini program's appid, the upload key's path, one cloud environment per target, and optionally the functions'
// environment variables (server side only: they never reach the mini program package). Every problem is reported
// with the field it is about.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export type DeployTarget = 'trial' | 'release';
export const DEPLOY_TARGETS: readonly DeployTarget[] = ['trial', 'release'];

export interface DeployConfig {
  appid: string;
  /** The upload key (小程序代码上传密钥), resolved against the config file's folder. */
  privateKeyPath: string;
  envs: Record<DeployTarget, { cloudEnv: string }>;
  /** Environment variables for every function (values may be secrets: shown masked). */
  functionEnv: Record<string, string>;
  /** Per-function additions, by function folder name. */
  functions: Record<string, { env: Record<string, string> }>;
}

/** The appid format WeChat gives a mini program: "wx" and 16 hex digits. */
export const APPID_PATTERN = /^wx[0-9a-f]{16}$/;
/** A cloud (CloudBase) environment id: lowercase letters, digits and hyphens, as the console shows it. */
export const CLOUD_ENV_PATTERN = /^[a-z][a-z0-9-]{3,39}$/;

/** Values that mark an unfilled template rather than a real environment or appid. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim().toLowerCase();
  return (
    v === '' ||
    /your|placeholder|example|changeme|replace|todo|xxx|<|>/.test(v) ||
    v === 'touristappid' ||
    /^wx0+$/.test(v)
  );
}

/** Why this cloud env id cannot be deployed to, or undefined when it can. */
export function cloudEnvProblem(cloudEnv: unknown): string | undefined {
  if (typeof cloudEnv !== 'string' || cloudEnv.trim() === '') return 'is empty';
  if (isPlaceholder(cloudEnv)) return `"${cloudEnv}" is a placeholder, not your cloud environment id`;
  if (!CLOUD_ENV_PATTERN.test(cloudEnv))
    return `"${cloudEnv}" is not a cloud environment id (lowercase letters, digits, hyphens; as in the cloud console)`;
  return undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown, where: string, problems: string[]): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v)) {
    problems.push(`${where} must be an object of strings`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(k)) problems.push(`${where}.${k}: names are UPPER_SNAKE_CASE`);
    if (typeof value !== 'string') problems.push(`${where}.${k} must be a string`);
    else out[k] = value;
  }
  return out;
}

/** Validates a parsed config; answers the config or every problem found (never both). */
export function validateDeployConfig(
  raw: unknown,
  baseDir: string,
): { ok: true; config: DeployConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (!isObject(raw)) return { ok: false, problems: ['the file must hold a JSON object'] };
  const appid = raw['appid'];
  if (typeof appid !== 'string' || appid === '') problems.push('appid is missing');
  else if (isPlaceholder(appid))
    problems.push(`appid "${appid}" is a placeholder: put your mini program's AppID`);
  else if (!APPID_PATTERN.test(appid))
    problems.push(`appid "${appid}" is not a mini program AppID ("wx" followed by 16 hex digits)`);
  const key = raw['privateKeyPath'];
  if (typeof key !== 'string' || key === '')
    problems.push('privateKeyPath is missing (the upload key from 开发管理 → 开发设置 → 小程序代码上传密钥)');
  const envs = raw['envs'];
  const outEnvs = {} as Record<DeployTarget, { cloudEnv: string }>;
  if (!isObject(envs)) problems.push('envs must be {"trial": {"cloudEnv": …}, "release": {"cloudEnv": …}}');
  else {
    for (const t of DEPLOY_TARGETS) {
      const e = envs[t];
      const cloudEnv = isObject(e) ? e['cloudEnv'] : undefined;
      const p = cloudEnvProblem(cloudEnv);
      if (p) problems.push(`envs.${t}.cloudEnv ${p}`);
      else outEnvs[t] = { cloudEnv: String(cloudEnv) };
    }
    for (const k of Object.keys(envs))
      if (!(DEPLOY_TARGETS as readonly string[]).includes(k) && k !== '//')
        problems.push(`envs.${k}: only trial and release are deployed (the local preview is npm start)`);
  }
  // The AppSecret (the deploy's data migrations) is read from the deploy machine's environment only: this file sits
  // next to the repository and is copied around; a secret in it is one `git add -f` from being committed.
  for (const k of Object.keys(raw))
    if (/secret/i.test(k))
      problems.push(
        `${k}: the AppSecret never goes in this file — set WECHAT_APPSECRET in the deploy machine's environment (README: Going live — build and deploy)`,
      );
  const functionEnv = stringMap(raw['functionEnv'], 'functionEnv', problems);
  const functions: DeployConfig['functions'] = {};
  const fns = raw['functions'];
  if (fns !== undefined) {
    if (!isObject(fns)) problems.push('functions must be {"<name>": {"env": {…}}}');
    else
      for (const [name, f] of Object.entries(fns))
        functions[name] = {
          env: stringMap(isObject(f) ? f['env'] : undefined, `functions.${name}.env`, problems),
        };
  }
  if (problems.length > 0) return { ok: false, problems };
  const keyPath = String(key);
  return {
    ok: true,
    config: {
      appid: String(appid),
      privateKeyPath: isAbsolute(keyPath) ? keyPath : resolve(baseDir, keyPath),
      envs: outEnvs,
      functionEnv,
      functions,
    },
  };
}

/** Reads and validates a config file; throws one Error listing every problem. */
export function loadDeployConfig(file: string): DeployConfig {
  if (!existsSync(file))
    throw new Error(
      `${file} not found: copy deploy.config.example.json to deploy.config.json and fill it in (README: Going live — build and deploy)`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = validateDeployConfig(raw, resolve(file, '..'));
  if (!r.ok) throw new Error(`${file} cannot be deployed:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  return r.config;
}

/** Names whose values are secrets: shown as *** wherever the deploy prints settings. */
export function isSecretName(name: string): boolean {
  return /KEY|SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CERT|PEM|CREDENTIAL|SIGN/i.test(name);
}

export function maskEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, isSecretName(k) ? '***' : v]));
}
