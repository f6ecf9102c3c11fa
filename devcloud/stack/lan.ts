// `npm start -- --lan`: the opt-in that lets a phone on the same network (真机调试) reach the local stack. Off by
// default: bound to every interface, the simulator's control API (its keys, the payer actions) and the functions
// answer anyone on that network.
import type { NetworkInterfaceInfo } from 'node:os';

/** Where the gateway and simulator listen, and the address phones use. */
export interface BindChoice {
  /** Interface to listen on: 127.0.0.1 unless --lan. */
  host: string;
  /** The LAN IPv4 address to print and to serve pictures from (--lan only). */
  lanAddress?: string;
}

const PRIVATE_V4 = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/;

/** An RFC 1918 address (a home or office LAN): the only non-loopback hosts the catalog accepts http pictures from. */
export function isPrivateV4(address: string): boolean {
  return PRIVATE_V4.test(address);
}

/** The machine's LAN IPv4 address: a private-range one first, else any non-internal IPv4. */
export function pickLanAddress(
  interfaces: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>,
): string | undefined {
  const v4 = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => i.family === 'IPv4' && !i.internal);
  return (v4.find((i) => isPrivateV4(i.address)) ?? v4[0])?.address;
}

/**
 * Reads `--lan` (pick the LAN address) or `--lan-address A.B.C.D` (use this one). Without either: loopback only.
 * Throws when --lan finds no network to offer.
 */
export function chooseBind(
  argv: readonly string[],
  interfaces: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>,
): BindChoice {
  const i = argv.indexOf('--lan-address');
  const given = i >= 0 ? argv[i + 1] : undefined;
  if (i >= 0 && (given === undefined || !/^\d{1,3}(\.\d{1,3}){3}$/.test(given))) {
    throw new Error('--lan-address needs an IPv4 address of this machine, e.g. --lan-address 192.168.1.20');
  }
  if (given === undefined && !argv.includes('--lan')) return { host: '127.0.0.1' };
  const lanAddress = given ?? pickLanAddress(interfaces);
  if (lanAddress === undefined) {
    throw new Error(
      '--lan: this machine has no non-loopback IPv4 address (connect to a network, or use --lan-address)',
    );
  }
  return { host: '0.0.0.0', lanAddress };
}

/** The lines `npm start` prints for --lan: the URLs to put into the mini program, and what is now exposed. */
export function lanBanner(lanAddress: string, gatewayPort: number, simulatorPort: number): string[] {
  return [
    '',
    '  局域网真机调试已开启 · LAN access is ON (--lan)',
    `  gateway    http://${lanAddress}:${gatewayPort}   → miniprogram/config/build-env.ts localGatewayUrl`,
    `  simulator  http://${lanAddress}:${simulatorPort}   → miniprogram/config/build-env.ts localSimulatorUrl`,
    '  WARNING: anyone on this network can now call your local functions as any shopper and use the simulator,',
    '  including its control API (/sim/: pay, refund, notify, clock) and its merchant keys — everything the dev console',
    '  can do. Use it on a network you trust only, and stop the stack when done. Without --lan everything listens on',
    '  127.0.0.1 only.',
  ];
}
