// The network boundary of the deploy: the four miniprogram-ci calls that talk to WeChat. Everything else the deploy
// does is local and real; tests replace only this (DEPLOY_CI_MODULE names a module with miniprogram-ci's shape).
import type * as MiniprogramCi from 'miniprogram-ci';

export interface CiBoundary {
  uploadFunction(o: {
    env: string;
    name: string;
    path: string;
  }): Promise<{ filesCount: number; packSize: number }>;
  createTimeTrigger(o: {
    env: string;
    functionName: string;
    triggers: { name: string; type: string; config: string }[];
  }): Promise<unknown>;
  upload(o: { version: string; desc: string }): Promise<unknown>;
  preview(o: { version: string; desc: string; qrcodeOutputDest: string }): Promise<unknown>;
}

type CiModule = typeof MiniprogramCi;

/** miniprogram-ci (or the module DEPLOY_CI_MODULE names, for tests) bound to one project and upload key. */
export function miniprogramCi(opts: {
  appid: string;
  projectDir: string;
  privateKeyPath: string;
}): CiBoundary {
  const modulePath = process.env['DEPLOY_CI_MODULE'] || 'miniprogram-ci';
  // Loaded only now: requiring miniprogram-ci starts its services (a dry run never loads it).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ci = require(modulePath) as CiModule;
  const project = new ci.Project({
    appid: opts.appid,
    type: 'miniProgram',
    projectPath: opts.projectDir,
    privateKeyPath: opts.privateKeyPath,
    ignores: ['node_modules/**/*'],
  });
  const setting = { useProjectConfig: true, es6: true, minify: true };
  return {
    uploadFunction: (o) => ci.cloud.uploadFunction({ project, ...o, remoteNpmInstall: true }),
    createTimeTrigger: (o) =>
      ci.cloud.createTimeTrigger({
        project,
        envId: o.env,
        functionName: o.functionName,
        triggersConfig: o.triggers,
      }),
    upload: (o) => ci.upload({ project, ...o, setting, robot: 1 }),
    preview: (o) =>
      ci.preview({
        project,
        version: o.version,
        desc: o.desc,
        setting,
        robot: 1,
        qrcodeFormat: 'image',
        qrcodeOutputDest: o.qrcodeOutputDest,
      }),
  };
}
