// The local stack on its fixed default ports (gateway 7300, simulator 7301, console 7302) with data in .data/ —
// starting again continues with the same data. `npm start` (scripts/start.ts) builds the function bundles and
// miniprogram_npm first; `tsx devcloud/start.ts` runs the bundles already built.
// Options: --partner (service-provider mode), --data-dir DIR, --time-scale N, --no-timers,
// --lan / --lan-address A.B.C.D (真机调试: gateway and simulator reachable from the LAN; off by default).
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { chooseBind, isPrivateV4, lanBanner } from './stack/lan';
import { startStack, writeDevStackFile } from './stack/stack';

/** Starts the local stack with the options in `argv` (the command line after the script) until SIGINT / SIGTERM. */
export async function runLocalStack(argv: readonly string[]): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dataDir = resolve(arg('--data-dir') ?? join(__dirname, '..', '.data'));
  const bind = chooseBind([...argv], networkInterfaces());
  const gatewayPort = Number(process.env.GATEWAY_PORT ?? 7300);
  const simulatorPort = Number(process.env.SIMULATOR_PORT ?? 7301);
  const timeScale = arg('--time-scale');
  const stack = await startStack({
    dataDir,
    mode: argv.includes('--partner') ? 'partner' : 'direct',
    gatewayPort,
    simulatorPort,
    host: bind.host,
    // Phones load the demo pictures from the LAN address (only a private one: the catalog refuses public http hosts).
    ...(bind.lanAddress !== undefined && isPrivateV4(bind.lanAddress)
      ? { pictureBaseUrl: `http://${bind.lanAddress}:${gatewayPort}` }
      : {}),
    consolePort: Number(process.env.CONSOLE_PORT ?? 7302),
    timers: !argv.includes('--no-timers'),
    ...(timeScale !== undefined ? { timeScale: Number(timeScale) } : {}),
  });
  const file = join(dataDir, 'dev-stack.json');
  writeDevStackFile(file, stack);
  console.log('');
  console.log('  本地环境已启动 · Local stack is up');
  console.log(`  gateway    ${stack.gatewayUrl}   (POST /fn/<name> with x-wx-openid; /http/payNotify)`);
  console.log(`  simulator  ${stack.simulatorUrl}   (WeChat Pay v3 API; control API under /sim/)`);
  console.log(`  console    ${stack.consoleUrl ?? '-'}`);
  console.log(`  mode       ${stack.mode}; identity and URLs in ${file}`);
  console.log('  Ctrl-C stops it; starting again continues with the same data.');
  if (bind.lanAddress !== undefined) {
    for (const line of lanBanner(bind.lanAddress, gatewayPort, simulatorPort)) console.log(line);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[stack] ${signal}: stopping …`);
    stack
      .close()
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        console.error(`[stack] stop failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Reports a failed start and exits (both entry points). */
export function failedToStart(e: unknown): never {
  console.error(`[stack] failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}

if (require.main === module) runLocalStack(process.argv.slice(2)).catch(failedToStart);
