import type { NetworkInterfaceInfo } from 'node:os';
import { chooseBind, lanBanner, pickLanAddress } from './lan';

function nic(address: string, internal = false): NetworkInterfaceInfo {
  return {
    address,
    family: 'IPv4',
    internal,
    netmask: '255.255.255.0',
    mac: '00:00:00:00:00:00',
    cidr: null,
  };
}

const machine = {
  lo: [nic('127.0.0.1', true)],
  docker0: [nic('203.0.113.7')],
  wlan0: [nic('192.168.1.20')],
};

describe('npm start bind choice', () => {
  it('listens on loopback only unless --lan is given', () => {
    expect(chooseBind([], machine)).toEqual({ host: '127.0.0.1' });
    expect(chooseBind(['--partner', '--data-dir', 'x'], machine)).toEqual({ host: '127.0.0.1' });
  });

  it('--lan listens on every interface and offers the private LAN address', () => {
    expect(chooseBind(['--lan'], machine)).toEqual({ host: '0.0.0.0', lanAddress: '192.168.1.20' });
    expect(pickLanAddress({ lo: [nic('127.0.0.1', true)], eth0: [nic('203.0.113.7')] })).toBe('203.0.113.7');
  });

  it('--lan-address picks the address; a bad one or no network is refused clearly', () => {
    expect(chooseBind(['--lan-address', '10.0.0.9'], machine)).toEqual({
      host: '0.0.0.0',
      lanAddress: '10.0.0.9',
    });
    expect(() => chooseBind(['--lan-address', 'phone'], machine)).toThrow(/IPv4 address/);
    expect(() => chooseBind(['--lan'], { lo: [nic('127.0.0.1', true)] })).toThrow(/no non-loopback IPv4/);
  });

  it('prints the URLs for the mini program and says what is exposed', () => {
    const text = lanBanner('192.168.1.20', 7300, 7301).join('\n');
    expect(text).toContain('http://192.168.1.20:7300');
    expect(text).toContain('http://192.168.1.20:7301');
    expect(text).toMatch(/WARNING: anyone on this network/);
    expect(text).toMatch(/control API/);
  });
});
