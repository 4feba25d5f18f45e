import {
  cidrWithin,
  ingressFinding,
  isAnywhere,
  parseCidr,
  protocolName,
} from '../../../policies/rules/helpers/network';

describe('CIDR helpers', () => {
  test.each([
    ['10.40.3.0/24', '10.40.0.0/16', true],
    ['10.40.0.0/16', '10.40.0.0/16', true],
    ['10.41.0.0/24', '10.40.0.0/16', false],
    ['10.0.0.0/8', '10.40.0.0/16', false],
    ['2001:db8:1::/48', '2001:db8::/32', true],
    ['2001:db9::/48', '2001:db8::/32', false],
    ['10.40.0.0/24', '2001:db8::/32', false],
  ])('%s within %s: %s', (inner, outer, expected) => {
    expect(cidrWithin(inner, outer)).toBe(expected);
  });

  test('parses and rejects', () => {
    expect(parseCidr('256.0.0.0/8')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('1::2::3/64')).toBeUndefined();
    expect(parseCidr('::/0')).toEqual({ family: 6, address: 0n, prefix: 0 });
    expect(isAnywhere('0.0.0.0/0')).toBe(true);
    expect(isAnywhere('::/0')).toBe(true);
    expect(isAnywhere('203.0.113.0/24')).toBe(false);
  });
});

describe('ingressFinding', () => {
  const anywhere = { kind: 'cidr', cidr: '0.0.0.0/0' } as const;
  const sg = { allowEphemeralReturn: false };

  test('ICMP and UDP from outside are findings; tcp -1 means every port', () => {
    expect(
      ingressFinding({ protocol: 'icmp', fromPort: 3, toPort: 4, portsUnresolved: false, source: anywhere }, [], sg),
    ).toBe('icmp:3-4:from:0.0.0.0/0');
    expect(
      ingressFinding({ protocol: 'udp', fromPort: 443, toPort: 443, portsUnresolved: false, source: anywhere }, [], sg),
    ).toBe('udp:443-443:from:0.0.0.0/0');
    expect(
      ingressFinding({ protocol: 'tcp', fromPort: -1, toPort: -1, portsUnresolved: false, source: anywhere }, [], sg),
    ).toBe('tcp:-1--1:from:0.0.0.0/0');
  });

  test('a prefix list is treated as anywhere: 443 yes, 22 no', () => {
    const source = { kind: 'prefixList' } as const;
    expect(
      ingressFinding({ protocol: 'tcp', fromPort: 443, toPort: 443, portsUnresolved: false, source }, [], sg),
    ).toBeUndefined();
    expect(ingressFinding({ protocol: 'tcp', fromPort: 22, toPort: 22, portsUnresolved: false, source }, [], sg)).toBe(
      'tcp:22-22:from:prefix-list',
    );
  });

  test('protocol numbers and names normalize alike', () => {
    expect([protocolName(6), protocolName('6'), protocolName('TCP'), protocolName(-1), protocolName(47)]).toEqual([
      'tcp',
      'tcp',
      'tcp',
      'all',
      'proto-47',
    ]);
  });
});
