/** Networks: CIDRs, ports and the inbound allow-list (pillars P10, P12), for rules and for `npm run verify`. */
import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { appResources, referencedResource } from './references';
import { cfnProps, isUnresolved, str } from './values';

interface ParsedCidr {
  readonly family: 4 | 6;
  readonly address: bigint;
  readonly prefix: number;
}

/** Parses an IPv4 or IPv6 CIDR; undefined when it is not one. */
export function parseCidr(cidr: string): ParsedCidr | undefined {
  const [addr, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  if (prefixText === undefined || !Number.isInteger(prefix)) return undefined;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    return { family: 4, address: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n), prefix };
  }
  if (!addr.includes(':') || prefix > 128) return undefined;
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array(missing).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { family: 6, address: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), prefix };
}

/** True for 0.0.0.0/0 or ::/0 (any /0). */
export function isAnywhere(cidr: string): boolean {
  return parseCidr(cidr)?.prefix === 0;
}

/** True when every address of `inner` lies inside `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  if (!a || !b || a.family !== b.family || a.prefix < b.prefix) return false;
  const width = a.family === 4 ? 32 : 128;
  const shift = BigInt(width - b.prefix);
  return a.address >> shift === b.address >> shift;
}

/** The concrete CIDRs of every VPC in the app (primary and secondary blocks): "inside the VPC". */
export function vpcCidrs(scope: IConstruct): string[] {
  return appResources(scope, 'AWS::EC2::VPC', 'AWS::EC2::VPCCidrBlock')
    .map((r) => str(cfnProps(r).CidrBlock))
    .filter((c): c is string => c !== undefined);
}

/** Where inbound traffic comes from. */
export type IngressSource =
  | { readonly kind: 'cidr'; readonly cidr: string }
  /** Another security group, or the VPC's own CIDR by Fn::GetAtt: inside the VPC. */
  | { readonly kind: 'inside' }
  /** A managed prefix list: its content is unknown at synth time, so it counts as "anywhere". */
  | { readonly kind: 'prefixList' }
  | { readonly kind: 'unresolved' };

/** One inbound rule, from a security group or a NACL entry. */
export interface Ingress {
  /** tcp, udp, icmp, icmpv6, all, or proto-<n>. */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  /** True when a port is an intrinsic. */
  readonly portsUnresolved: boolean;
  readonly source: IngressSource;
}

const PROTOCOL_NAMES: Record<string, string> = {
  '-1': 'all',
  '6': 'tcp',
  '17': 'udp',
  '1': 'icmp',
  '58': 'icmpv6',
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  icmpv6: 'icmpv6',
};

/** Normalizes an IpProtocol / Protocol value (name or number, string or number). */
export function protocolName(value: unknown): string {
  if (isUnresolved(value)) return 'unresolved';
  const key = String(value).toLowerCase();
  return PROTOCOL_NAMES[key] ?? `proto-${key}`;
}

/** The source of a CIDR-valued property: concrete, the VPC's own CIDR by Fn::GetAtt, or unresolved. */
export function cidrSource(from: CfnResource, value: unknown): IngressSource {
  const cidr = str(value);
  if (cidr !== undefined) return { kind: 'cidr', cidr };
  const getAtt = value && typeof value === 'object' ? (value as Record<string, unknown>)['Fn::GetAtt'] : undefined;
  if (Array.isArray(getAtt) && getAtt[1] === 'CidrBlock' && referencedResource(from, value, 'AWS::EC2::VPC')) {
    return { kind: 'inside' };
  }
  return { kind: 'unresolved' };
}

/** Inbound ports the kit accepts from outside the VPC (pillar P12). */
const OPEN_TO_ANYWHERE = [80, 443];
const OPEN_TO_LISTED_CIDRS = [22, 80, 443];
/** Return traffic of connections opened from inside; stateless NACLs must admit it. */
const EPHEMERAL = { from: 1024, to: 65535 };

export interface AllowListOptions {
  /** Admit tcp/udp 1024-65535, exactly, from outside as return traffic (NACLs only: they are stateless). */
  readonly allowEphemeralReturn: boolean;
}

/**
 * Judges one inbound rule against the allow-list: from anywhere only tcp 80/443; from a listed (non-/0) CIDR also
 * tcp 22; from inside the VPC anything. Returns a finding such as `tcp:3389-3389:from:0.0.0.0/0`, or undefined.
 */
export function ingressFinding(ingress: Ingress, insideCidrs: string[], options: AllowListOptions): string | undefined {
  const { source, protocol } = ingress;
  const ports = ingress.portsUnresolved
    ? 'unresolved'
    : ingress.fromPort === undefined
      ? 'all'
      : `${ingress.fromPort}-${ingress.toPort ?? ingress.fromPort}`;
  const label =
    source.kind === 'cidr' ? source.cidr : source.kind === 'prefixList' ? 'prefix-list' : 'unresolved-source';
  const finding = `${protocol}:${ports}:from:${label}`;

  if (source.kind === 'inside') return undefined;
  if (source.kind === 'unresolved') return finding;
  if (source.kind === 'cidr') {
    if (parseCidr(source.cidr) === undefined) return finding;
    if (insideCidrs.some((vpc) => cidrWithin(source.cidr, vpc))) return undefined;
  }
  if ((protocol !== 'tcp' && protocol !== 'udp') || ingress.portsUnresolved || ingress.fromPort === undefined) {
    return finding;
  }
  const from = ingress.fromPort;
  const to = ingress.toPort ?? from;
  if (from < 0 || to < 0) return finding; // -1 means every port
  const anywhere = source.kind === 'prefixList' || isAnywhere(source.cidr);
  const single = anywhere ? OPEN_TO_ANYWHERE : OPEN_TO_LISTED_CIDRS;
  if (protocol === 'tcp' && from === to && single.includes(from)) return undefined;
  // Only the whole return range counts as return traffic: a narrower rule inside it (3389 alone) is an opened port.
  if (options.allowEphemeralReturn && from === EPHEMERAL.from && to === EPHEMERAL.to) return undefined;
  return finding;
}
