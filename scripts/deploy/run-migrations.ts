// The deploy's data migrations (after the functions are uploaded): miniprogram-ci cannot invoke a function, so with
// the mini program's AppSecret (WECHAT_APPSECRET in the deploy machine's environment — never in a file of the
// repository; the machine's IP on the AppSecret IP allowlist) the deploy gets an access token and calls each
// migration's operator action through WeChat's HTTP API (POST /tcb/invokecloudfunction), one bounded batch per call
// (an HTTP API invocation has 5 s). It follows the cursor to the last order, then makes whole passes from the first
// until one changes nothing and leaves nothing for a person: that is "complete". Progress is printed per batch and the
// position is saved after each, so a run that stops (network, budget) is resumed by `npm run deploy -- --env <t>
// --migrate-only`. Without the AppSecret it prints the manual step, as before. The token is never printed.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { connectWechatApi, explainTokenError, WechatApiEnv, WechatApiError } from '../doctor/wechat-api';
import type { WechatApiClient } from '../doctor/wechat-api';
import type { MigrationStep } from './migrations';

/** What the deploy knows when it runs the migrations. */
export interface MigrationRunOptions {
  appid: string;
  cloudEnv: string;
  migrations: readonly MigrationStep[];
  /** The deploy machine's environment: WECHAT_APPSECRET, WECHAT_API_BASE_URL. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where the position is saved between runs. */
  stateFile: string;
  log: (line: string) => void;
  /** Orders per call (default 100; the function accepts 1–500). */
  batchSize?: number;
  /** Calls this run may make before it stops, resumable (default 1000). */
  maxCalls?: number;
}

/** How the migrations ended. */
export type MigrationRunResult =
  { status: 'manual' } | { status: 'complete' } | { status: 'incomplete'; reason: string };

/** One batch's answer from the function (server/adapters/db/data-migrations.ts). */
interface BatchAnswer {
  examined: number;
  updated: number;
  needsPerson: string[];
  retryLater: string[];
  cursor: string | null;
}

/** Saved position of each migration: the pass ('migrate' to the end, then 'verify' from the start) and its cursor. */
interface State {
  appid: string;
  cloudEnv: string;
  steps: Record<string, { pass: 'migrate' | 'verify'; after: string | null; verifyPasses: number }>;
}

/** Whole verifying passes one run makes before it says orders keep arriving without a key. */
const VERIFY_PASSES = 3;

function readState(o: MigrationRunOptions): State {
  const fresh: State = { appid: o.appid, cloudEnv: o.cloudEnv, steps: {} };
  if (!existsSync(o.stateFile)) return fresh;
  try {
    const s = JSON.parse(readFileSync(o.stateFile, 'utf8')) as State;
    return s.appid === o.appid && s.cloudEnv === o.cloudEnv && typeof s.steps === 'object' ? s : fresh;
  } catch {
    return fresh;
  }
}

function writeState(o: MigrationRunOptions, s: State): void {
  if (Object.keys(s.steps).length === 0) {
    rmSync(o.stateFile, { force: true });
    return;
  }
  mkdirSync(dirname(o.stateFile), { recursive: true });
  writeFileSync(o.stateFile, `${JSON.stringify(s, null, 2)}\n`);
}

/** The manual step, as the deploy printed it before it could run the migrations. */
export function manualMigrationLines(migrations: readonly MigrationStep[]): string[] {
  return [
    `  then run the data migrations listed above (docs/MIGRATIONS.md, "In the cloud") — or set ${WechatApiEnv.APPSECRET}`,
    `  (this machine only; its IP on the AppSecret IP allowlist) and run npm run deploy -- --env <env> --migrate-only:`,
    ...migrations.map((m) => `    ${m.id} on ${m.collection} (function ${m.function}) — before ${m.before}`),
  ];
}

function parseAnswer(step: MigrationStep, r: Record<string, unknown>): BatchAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof r['resp_data'] === 'string' ? r['resp_data'] : 'null');
  } catch {
    throw new Error(`${step.function} answered something that is not JSON`);
  }
  const a = parsed as { ok?: unknown; error?: { code?: unknown; message?: unknown } } & Partial<BatchAnswer>;
  if (a === null || typeof a !== 'object') throw new Error(`${step.function} answered nothing`);
  if (a.ok !== true) {
    const code = typeof a.error?.code === 'string' ? a.error.code : 'unknown';
    const message = typeof a.error?.message === 'string' ? a.error.message : '';
    throw new Error(
      `${step.function} refused the migration (${code}: ${message}). Is the function deployed with this version (it must know the action)?`,
    );
  }
  return {
    examined: Number(a.examined ?? 0),
    updated: Number(a.updated ?? 0),
    needsPerson: Array.isArray(a.needsPerson) ? a.needsPerson.map(String) : [],
    retryLater: Array.isArray(a.retryLater) ? a.retryLater.map(String) : [],
    cursor: typeof a.cursor === 'string' ? a.cursor : null,
  };
}

/** The collection's document count (for "of about N"), or undefined when it cannot be read. */
async function countOf(api: WechatApiClient, env: string, collection: string): Promise<number | undefined> {
  try {
    const r = await api.call('/tcb/databasecollectionget', { env, limit: 100, offset: 0 });
    const c = (r['collections'] as { name?: unknown; count?: unknown }[] | undefined)?.find(
      (x) => x.name === collection,
    );
    return typeof c?.count === 'number' ? c.count : undefined;
  } catch {
    return undefined;
  }
}

/** Runs every migration to completion (or as far as this run may); throws an Error saying what failed and how to fix it. */
export async function runDeployMigrations(o: MigrationRunOptions): Promise<MigrationRunResult> {
  const secret = o.env[WechatApiEnv.APPSECRET]?.trim();
  if (secret === undefined || secret === '') return { status: 'manual' };
  const baseUrl = o.env[WechatApiEnv.BASE_URL]?.trim() || undefined;
  let api: WechatApiClient;
  try {
    api = await connectWechatApi({ ...(baseUrl === undefined ? {} : { baseUrl }), appid: o.appid, secret });
  } catch (e) {
    if (e instanceof WechatApiError) {
      const x = explainTokenError(e.errcode, e.errmsg);
      throw new Error(`could not get an access token: ${x.en} Fix: ${x.fixEn}`);
    }
    throw new Error(
      `could not reach WeChat's API for an access token (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const hide = (text: string) => text.split(api.token).join('[token]');
  const state = readState(o);
  const batchSize = o.batchSize ?? 100;
  let calls = 0;
  const budget = o.maxCalls ?? 1000;
  try {
    for (const step of o.migrations) {
      const total = await countOf(api, o.cloudEnv, step.collection);
      const pos = (state.steps[step.id] ??= { pass: 'migrate', after: null, verifyPasses: 0 });
      if (pos.after !== null)
        o.log(`deploy: migration ${step.id}: resuming the ${pos.pass} pass after ${pos.after}`);
      let fromStart = pos.after === null;
      let passExamined = 0;
      let passChanged = 0;
      const passNeedsPerson: string[] = [];
      let batch = 0;
      for (;;) {
        if (calls >= budget) {
          writeState(o, state);
          return {
            status: 'incomplete',
            reason: `migration ${step.id} stopped after ${calls} calls (${pos.pass} pass, after ${pos.after ?? 'the start'}); run npm run deploy -- --env <env> --migrate-only to continue`,
          };
        }
        calls++;
        batch++;
        let r: Record<string, unknown>;
        try {
          r = await api.call(
            '/tcb/invokecloudfunction',
            { migration: step.id, maxOrders: batchSize, ...(pos.after === null ? {} : { after: pos.after }) },
            { env: o.cloudEnv, name: step.function },
          );
        } catch (e) {
          const what =
            e instanceof WechatApiError
              ? `errcode ${e.errcode} ${e.errmsg}`
              : e instanceof Error
                ? e.message
                : String(e);
          throw new Error(
            `invoking ${step.function} for migration ${step.id} failed (${what}); the position is saved: run npm run deploy -- --env <env> --migrate-only to continue`,
          );
        }
        const a = parseAnswer(step, r);
        passExamined += a.examined;
        passChanged += a.updated + a.retryLater.length;
        passNeedsPerson.push(...a.needsPerson);
        pos.after = a.cursor;
        writeState(o, state);
        o.log(
          `deploy: migration ${step.id} (${pos.pass} pass) batch ${batch}: ${passExamined}${total === undefined ? '' : ` of ~${total}`} ${step.collection} read, ${a.updated} updated` +
            (a.retryLater.length > 0 ? `, ${a.retryLater.length} to read again` : '') +
            (a.needsPerson.length > 0 ? `, ${a.needsPerson.length} for a person` : ''),
        );
        if (a.cursor !== null) continue;
        // The end of a pass.
        // Complete: a whole pass from the first order that changed nothing and left nothing for a person.
        if (fromStart && passChanged === 0 && passNeedsPerson.length === 0) {
          o.log(`deploy: migration ${step.id} complete — ${step.before.replace(/^creating/, 'now create')}`);
          delete state.steps[step.id];
          writeState(o, state);
          break;
        }
        if (passNeedsPerson.length > 0) {
          pos.pass = 'verify';
          pos.after = null;
          writeState(o, state);
          return {
            status: 'incomplete',
            reason: `migration ${step.id}: ${passNeedsPerson.length} ${step.collection} need a person (${passNeedsPerson.join(', ')}): resolve them as docs/MIGRATIONS.md says, then run npm run deploy -- --env <env> --migrate-only; do not create the index before`,
          };
        }
        if (pos.pass === 'verify') pos.verifyPasses++;
        if (pos.verifyPasses >= VERIFY_PASSES) {
          pos.verifyPasses = 0;
          writeState(o, state);
          return {
            status: 'incomplete',
            reason: `migration ${step.id}: ${step.collection} were still changing after ${VERIFY_PASSES} passes (an old function instance writing orders without a key?); run npm run deploy -- --env <env> --migrate-only again`,
          };
        }
        pos.pass = 'verify';
        writeState(o, state);
        fromStart = true;
        passExamined = 0;
        passChanged = 0;
        batch = 0;
      }
    }
  } catch (e) {
    throw new Error(hide(e instanceof Error ? e.message : String(e)));
  }
  return { status: 'complete' };
}
