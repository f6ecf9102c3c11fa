// `npm run deploy -- --env trial|release [--dry-run | --migrate-only] [--desc TEXT] [--version X.Y.Z] [--config FILE]
// [--out DIR]` (scripts/deploy/deploy.ts says what it does). After the upload, the data migrations run through WeChat's
// HTTP API when WECHAT_APPSECRET is set (run-migrations.ts); --migrate-only runs (resumes) only them. Exit 0 = planned
// (dry run), uploaded and migrated (or the manual migration step printed); 1 = refused, failed, or migrations left
// incomplete (the message says what is left and how to continue).
import {
  deployTargetOf,
  describePlan,
  DeployRefused,
  migrationStateFile,
  parseArgs,
  planDeploy,
  uploadPlan,
} from './deploy';
import { miniprogramCi } from './ci-boundary';
import { MIGRATIONS } from './migrations';
import { manualMigrationLines, runDeployMigrations } from './run-migrations';

async function migrate(target: { appid: string; cloudEnv: string; outDir: string }): Promise<number> {
  const result = await runDeployMigrations({
    appid: target.appid,
    cloudEnv: target.cloudEnv,
    migrations: MIGRATIONS,
    env: process.env,
    stateFile: migrationStateFile(target.outDir),
    log: (l) => console.log(l),
  }).catch((e: unknown) => {
    throw new Error(`running the data migrations failed: ${e instanceof Error ? e.message : String(e)}`);
  });
  if (result.status === 'manual') {
    for (const l of manualMigrationLines(MIGRATIONS)) console.log(l);
    return 0;
  }
  if (result.status === 'incomplete') {
    console.error(`deploy: data migrations incomplete: ${result.reason}`);
    return 1;
  }
  console.log('deploy: data migrations complete.');
  return 0;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.migrateOnly) {
    const target = deployTargetOf(opts);
    if (!process.env['WECHAT_APPSECRET']?.trim())
      throw new DeployRefused(
        '--migrate-only needs WECHAT_APPSECRET in the environment (the mini program AppSecret; this machine only, its IP on the AppSecret IP allowlist)',
      );
    console.log(
      `deploy: data migrations for ${opts.target} → cloud env ${target.cloudEnv}, appid ${target.appid}`,
    );
    return migrate(target);
  }
  const plan = await planDeploy(opts);
  for (const line of describePlan(plan)) console.log(line);
  if (opts.dryRun) {
    console.log('deploy: dry run — nothing was uploaded.');
    return 0;
  }
  const ci = miniprogramCi({
    appid: plan.appid,
    projectDir: plan.miniprogram.projectDir,
    privateKeyPath: plan.privateKeyPath,
  });
  const manual = await uploadPlan(plan, ci, (l) => console.log(l));
  console.log('deploy: done. Set in the cloud console (miniprogram-ci cannot):');
  for (const m of manual) console.log(`  ${m}`);
  return migrate({ appid: plan.appid, cloudEnv: plan.cloudEnv, outDir: plan.outDir });
}

main().then(
  // miniprogram-ci leaves services running: leave explicitly.
  (code) => process.exit(code),
  (e: unknown) => {
    const refused = e instanceof DeployRefused;
    console.error(`deploy ${refused ? 'refused' : 'failed'}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
