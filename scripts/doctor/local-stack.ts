// --local-stack [dir]: the configuration the local stack's functions run with (npm start), rebuilt from its data
// folder — dev-stack.json for the URLs and mode, simulator/identity.json for the keys — so `npm run doctor --
// --local-stack --online` asks the running simulator exactly what the functions ask it. Plus the doctor's own
// settings for the WeChat server APIs: the stack's AppSecret (openapi/appsecret), its emulated API at
// <gateway>/_devcloud/wxapi and its cloud env id.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackFunctionEnv } from '../../devcloud/stack/function-env';
import { readIdentity } from '../../simulator';
import {
  LOCAL_CLOUD_ENV_ID,
  localAppSecretFile,
  WECHAT_API_ROUTE,
} from '../../devcloud/openapi/wechat-http-api';
import { WechatApiEnv } from './wechat-api';

/** The local stack's function environment (contains secrets: never print it). Throws naming what is missing. */
export function localStackEnv(dataDir: string): Record<string, string> {
  const stackFile = join(dataDir, 'dev-stack.json');
  if (!existsSync(stackFile))
    throw new Error(`${stackFile} not found: start the local stack (npm start) first`);
  const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as {
    gatewayUrl?: unknown;
    simulatorUrl?: unknown;
    mode?: unknown;
  };
  const identity = readIdentity(join(dataDir, 'simulator'));
  if (identity === undefined) throw new Error(`no simulator identity in ${join(dataDir, 'simulator')}`);
  if (
    typeof stack.gatewayUrl !== 'string' ||
    typeof stack.simulatorUrl !== 'string' ||
    (stack.mode !== 'direct' && stack.mode !== 'partner')
  ) {
    throw new Error(`${stackFile} lacks gatewayUrl, simulatorUrl or mode`);
  }
  const secretFile = localAppSecretFile(dataDir);
  const doctorOnly: Record<string, string> = existsSync(secretFile)
    ? {
        [WechatApiEnv.APPSECRET]: readFileSync(secretFile, 'utf8').trim(),
        [WechatApiEnv.BASE_URL]: `${stack.gatewayUrl}/_devcloud/${WECHAT_API_ROUTE}`,
        [WechatApiEnv.CLOUD_ENV]: LOCAL_CLOUD_ENV_ID,
      }
    : {};
  return {
    ...stackFunctionEnv({
      identity,
      mode: stack.mode,
      simulatorUrl: stack.simulatorUrl,
      gatewayUrl: stack.gatewayUrl,
    }),
    ...doctorOnly,
  };
}
