// The timer jobs in the test's own process, on a local stack (for tests that reach into a run: a RunLimit, a restart).
import type { CloudRuntime } from '../../server/adapters/runtime/wx-cloud';
import type { JobsService } from '../../server/application/jobs.service';
import { buildCore, buildJobs, buildTradeManagement } from '../../server/composition';
import type { TestStack } from './stack';

/**
 * The timer jobs wired as a fresh `reconcile` instance would wire them (buildCore, nothing of an earlier run in memory),
 * run in this process on the stack's database, WeChat Pay simulator and 发货信息管理, on its business clock, quiet:
 * for tests that hand the jobs what only in-process code can (a RunLimit) or restart them between runs.
 */
export function inProcessJobs(stack: TestStack): JobsService {
  const cloud = {
    database: () => stack.cloud.db,
    openapi: () => stack.trade.sdkFacade(),
  } as unknown as CloudRuntime;
  const core = buildCore(cloud, stack.env, 'reconcile');
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return buildJobs(
    { ...core, clock: { now: () => stack.now() }, log: quiet },
    buildTradeManagement(cloud, core),
  );
}
