// `npm run deploy -- --env trial|release [--dry-run] [--desc TEXT] [--version X.Y.Z] [--config FILE] [--out DIR]`
// (scripts/deploy/deploy.ts says what it does). Exit 0 = planned (dry run) or uploaded; 1 = refused or failed.
import { describePlan, DeployRefused, parseArgs, planDeploy, uploadPlan } from './deploy';
import { miniprogramCi } from './ci-boundary';

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
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
  console.log('  then run the data migrations listed above (docs/MIGRATIONS.md, "In the cloud").');
  return 0;
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
