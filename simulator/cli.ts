// `npm run sim` — runs the WeChat Pay APIv3 simulator in the foreground until Ctrl-C / SIGTERM.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from './index';

const USAGE = `usage: tsx simulator/cli.ts [--port 7301] [--host 127.0.0.1] [--data-dir .data/simulator] [--time-scale 1] [--quiet]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '7301' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: '.data/simulator' },
      'time-scale': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale > 0))
    throw new Error(`--time-scale must be a positive number, got ${values['time-scale']}`);
  const dataDir = resolve(values['data-dir']);

  const sim = await startSimulator({
    dataDir,
    port,
    host: values.host,
    ...(timeScale !== undefined ? { timeScale } : {}),
    ...(values.quiet ? {} : { log: (line: string) => console.log(line) }),
  });
  const { direct, partner, platform } = sim.identity;
  // Only public identifiers: private keys and APIv3 keys stay in identity.json (or GET /sim/identity?secrets=true).
  console.log(
    [
      `WeChat Pay simulator listening on ${sim.url}`,
      `  data dir:            ${dataDir}`,
      `  direct merchant:     mchid ${direct.mchid}, appid ${direct.appid}, cert serial ${direct.merchantSerial}, key mode ${direct.keyMode}`,
      `  service provider:    sp_mchid ${partner.spMchid}, sp_appid ${partner.spAppid}, sub_mchid ${partner.subMchid}, sub_appid ${partner.subAppid}, key mode ${partner.keyMode}`,
      `  platform cert:       serial ${platform.certificate.serial}`,
      `  platform public key: ${platform.publicKey.publicKeyId}`,
      `  control API:         ${sim.url}/sim/health (see simulator/README.md)`,
      'Ctrl-C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the simulator…`);
    sim.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error('error while stopping:', e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  console.error(USAGE);
  process.exit(1);
});
