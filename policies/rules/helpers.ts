/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation properties are untyped JSON by nature. */
/**
 * Shared helpers for the Pillars rules, so that no two rules carry their own copy of "is this CIDR inside the VPC",
 * "which resources does this value point at", and so on.
 *
 * How rules treat tokens (documented in RULES.md too):
 * - Rules read the RENDERED CloudFormation properties (`cfnProps`), so escape-hatch overrides count, then resolve them.
 *   Anything still an object where a primitive is expected is an intrinsic (Ref, Fn::GetAtt, Fn::ImportValue,
 *   Fn::Join, Fn::GetStackOutput...) whose value is unknown at synth time. No rule throws on one.
 * - A setting that must EQUAL something (tenancy, HttpTokens, MFA, ports, CIDRs, versions...) fails closed:
 *   unresolved is NON_COMPLIANT, because the template cannot prove it.
 * - A setting that must merely BE PRESENT (a KMS key id, a key pair) is satisfied by an intrinsic.
 * - Relations (policy -> bucket, trail -> bucket, selection -> database) match a Ref/Fn::GetAtt to the resource's
 *   logical ID in the same stack, a cross-stack reference (Fn::ImportValue / Fn::GetStackOutput) followed to the
 *   producing stack, or a concrete name/ARN across the app; anything else is no match.
 */
import { CfnOutput, CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import { NagRuleCompliance, NagRuleFindings } from 'cdk-nag';
import { IConstruct } from 'constructs';

export type CfnProps = Record<string, any>;

/** The resource's properties as CloudFormation will receive them (including overrides), resolved. */
export function cfnProps(node: CfnResource): CfnProps {
  // _toCloudFormation is CDK's own renderer; L1 attributes would miss addPropertyOverride().
  const rendered = Stack.of(node).resolve((node as unknown as { _toCloudFormation(): object })._toCloudFormation());
  const resource = Object.values(rendered?.Resources ?? {})[0] as { Properties?: CfnProps } | undefined;
  return resource?.Properties ?? {};
}

/** Granular findings, or COMPLIANT when there are none (an explicit positive result for evidence recording). */
export function findingsOrCompliant(findings: string[]): NagRuleFindings | NagRuleCompliance {
  return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
}

/** COMPLIANT when `ok`, else NON_COMPLIANT. */
export function compliantIf(ok: boolean): NagRuleCompliance {
  return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/** True for a resolved value that is still an intrinsic function (an object where a primitive was expected). */
export function isUnresolved(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True for an intrinsic function object ({ Ref } or { 'Fn::...' }), where a whole structure was expected. */
export function isIntrinsic(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** The value when it is a concrete string, else undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value as a number when it is a concrete number or numeric string, else undefined. */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

/** CloudFormation booleans arrive as `true` or `"true"`. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** A list property as an array; a missing one is empty, a single (or unresolved) value is wrapped. */
export function asArray(value: unknown): any[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A present, non-empty value (a concrete string or an intrinsic that will produce one). */
export function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Every string literal inside a value (for user data and ARNs built with Fn::Join / Fn::Sub). */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** True when any literal inside the value mentions an AWS-managed key alias (alias/aws/...), i.e. not a CMK. */
export function mentionsAwsManagedKey(value: unknown): boolean {
  return stringsIn(value).some((s) => s.includes('alias/aws/'));
}

/** The resource's logical ID, resolved. */
export function logicalIdOf(node: CfnResource): string {
  return Stack.of(node).resolve(node.logicalId);
}

/** The logical IDs this one object points at through Ref or Fn::GetAtt (not looking inside its values). */
function directLogicalIds(obj: Record<string, unknown>): string[] {
  const getAtt = obj['Fn::GetAtt'];
  if (typeof obj.Ref === 'string') return [obj.Ref];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]];
  if (typeof getAtt === 'string') return [getAtt.split('.')[0]];
  return [];
}

/** The CfnOutput a cross-stack reference reads (Fn::ImportValue of an export, or Fn::GetStackOutput), if any. */
function producingOutput(obj: Record<string, unknown>, scope: IConstruct): CfnOutput | undefined {
  const outputs = () => scope.node.root.node.findAll().filter((c): c is CfnOutput => c instanceof CfnOutput);
  const exportName = obj['Fn::ImportValue'];
  if (typeof exportName === 'string') {
    return outputs().find((o) => Stack.of(o).resolve(o.exportName) === exportName);
  }
  const spec = obj['Fn::GetStackOutput'] as { StackName?: unknown; OutputName?: unknown } | undefined;
  if (spec && typeof spec.StackName === 'string' && typeof spec.OutputName === 'string') {
    return outputs().find(
      (o) => Stack.of(o).stackName === spec.StackName && Stack.of(o).resolve(o.logicalId) === spec.OutputName,
    );
  }
  return undefined;
}

/**
 * The resources a value points at: Ref / Fn::GetAtt to a logical ID of `holder`'s stack, and cross-stack references
 * (Fn::ImportValue of an export, Fn::GetStackOutput) followed to the resource the producing stack's output names.
 * (Cross-stack outputs exist in the tree once CDK has prepared the app for synthesis.)
 */
export function referencedResources(value: unknown, holder: IConstruct): CfnResource[] {
  const found: CfnResource[] = [];
  const visit = (v: unknown, stack: Stack, depth: number): void => {
    if (Array.isArray(v)) return v.forEach((x) => visit(x, stack, depth));
    if (!v || typeof v !== 'object' || depth > 4) return;
    const obj = v as Record<string, unknown>;
    const ids = directLogicalIds(obj);
    if (ids.length > 0) found.push(...stackResources(stack).filter((r) => ids.includes(logicalIdOf(r))));
    const crossStack = 'Fn::ImportValue' in obj || 'Fn::GetStackOutput' in obj;
    const output = crossStack ? producingOutput(obj, holder) : undefined;
    if (output) visit(Stack.of(output).resolve(output.value), Stack.of(output), depth + 1);
    Object.values(obj).forEach((x) => visit(x, stack, depth));
  };
  visit(value, Stack.of(holder), 0);
  return found;
}

/** True when `value`, a property of `holder`, refers to `target` (same stack or followed across stacks). */
export function refersTo(value: unknown, holder: IConstruct, target: CfnResource): boolean {
  return referencedResources(value, holder).includes(target);
}

/** Every CloudFormation resource of the given type(s) in the whole app (rules may relate resources across stacks). */
export function appResources(scope: IConstruct, ...types: string[]): CfnResource[] {
  return cfnResourcesUnder(scope.node.root, types);
}

/** Every CloudFormation resource of the given type(s) in `scope`'s stack. */
export function stackResources(scope: IConstruct, ...types: string[]): CfnResource[] {
  return cfnResourcesUnder(Stack.of(scope), types);
}

function cfnResourcesUnder(root: IConstruct, types: string[]): CfnResource[] {
  return root.node
    .findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c))
    .filter((r) => types.length === 0 || types.includes(r.cfnResourceType));
}

/** The resource a value points at (see referencedResources), when it has one of the given types. */
export function referencedResource(holder: CfnResource, value: unknown, ...types: string[]): CfnResource | undefined {
  return referencedResources(value, holder).find((r) => types.length === 0 || types.includes(r.cfnResourceType));
}

/** The default value of the CfnParameter a `{ Ref }` points at, in `from`'s stack (e.g. an SSM AMI parameter). */
export function parameterDefault(from: CfnResource, value: unknown): unknown {
  const ref = value && typeof value === 'object' ? (value as { Ref?: unknown }).Ref : undefined;
  if (typeof ref !== 'string') return undefined;
  const stack = Stack.of(from);
  const param = stack.node
    .findAll()
    .find((c): c is CfnParameter => c instanceof CfnParameter && stack.resolve(c.logicalId) === ref);
  return param ? stack.resolve(param.default) : undefined;
}

/** A tag's value from a rendered `Tags` property (list of {Key, Value} or a plain map). */
export function tagValue(props: CfnProps, key: string): unknown {
  const tags = props.Tags;
  if (Array.isArray(tags)) return tags.find((t) => t?.Key === key)?.Value;
  if (tags && typeof tags === 'object') return (tags as Record<string, unknown>)[key];
  return undefined;
}

/** The documented tags the kit uses to mark resources for the Pillars rules. */
export const KIT_TAGS = {
  /** `phi` marks a bucket holding PHI: it needs S3 data events in CloudTrail and a backup selection. */
  dataClassification: 'hipaa-kit:data-classification',
  /** Marks a log group as audit data (kept >= 6 years) even when no trail points at it. */
  auditData: 'hipaa-kit:audit-data',
  /** On a bucket that cannot use SSE-KMS (e.g. ALB access logs): the value states why (at least 20 characters). */
  sseS3Exception: 'hipaa-kit:sse-s3-exception',
} as const;

/** Types whose rules judge a database: DB instances (members of a cluster are then not applicable) and clusters. */
export function isDatabase(node: CfnResource): boolean {
  return node.cfnResourceType === 'AWS::RDS::DBInstance' || node.cfnResourceType === 'AWS::RDS::DBCluster';
}

/** True for a bucket tagged `hipaa-kit:data-classification=phi`. */
export function isPhiBucket(node: CfnResource): boolean {
  return node.cfnResourceType === 'AWS::S3::Bucket' && tagValue(cfnProps(node), KIT_TAGS.dataClassification) === 'phi';
}

// ---------------------------------------------------------------------------------------------------------------
// Networks: CIDRs and ports
// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------------

/** The statements of a policy document (a single statement object is allowed by IAM). */
export function statementsOf(document: unknown): CfnProps[] {
  if (!document || typeof document !== 'object') return [];
  return asArray((document as CfnProps).Statement).filter((s) => s && typeof s === 'object');
}

/** True when the principal is everyone (`*` or `{ AWS: '*' }`). */
function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  return !!principal && typeof principal === 'object' && asArray((principal as CfnProps).AWS).includes('*');
}

/**
 * True when the document denies every principal when `aws:SecureTransport` is false, for an action that
 * `coversAction` accepts (e.g. `s3:*`).
 */
export function deniesInsecureTransport(document: unknown, coversAction: (action: string) => boolean): boolean {
  return statementsOf(document).some((s) => {
    if (s.Effect !== 'Deny' || !isEveryone(s.Principal)) return false;
    const secureTransport = s.Condition?.Bool?.['aws:SecureTransport'];
    if (secureTransport !== false && secureTransport !== 'false') return false;
    return asArray(s.Action).some((a) => typeof a === 'string' && coversAction(a));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// EC2 instances and launch templates
// ---------------------------------------------------------------------------------------------------------------

/** The same-stack launch template an instance (or Auto Scaling group) is launched from, if any. */
export function launchTemplateOf(node: CfnResource): CfnResource | undefined {
  const spec = cfnProps(node).LaunchTemplate;
  if (!spec) return undefined;
  return referencedResource(node, [spec.LaunchTemplateId, spec.LaunchTemplateName], 'AWS::EC2::LaunchTemplate');
}

/** An instance property, falling back to the instance's launch template (where CDK often puts IMDS and the AMI). */
export function instanceSetting(node: CfnResource, name: string): unknown {
  const own = cfnProps(node)[name];
  if (own !== undefined) return own;
  const template = launchTemplateOf(node);
  return template ? cfnProps(template).LaunchTemplateData?.[name] : undefined;
}

/**
 * The instance's user data as text: every string literal of the (Fn::Base64-wrapped, possibly Fn::Join-ed) value,
 * plus the decoded form of a literal that is itself base64. Includes the launch template's user data.
 */
export function userDataText(node: CfnResource): string {
  const sources = [cfnProps(node).UserData];
  const template = launchTemplateOf(node);
  if (template) sources.push(cfnProps(template).LaunchTemplateData?.UserData);
  return stringsIn(sources)
    .flatMap((s) => (/^[A-Za-z0-9+/]{16,}={0,2}$/.test(s) ? [s, Buffer.from(s, 'base64').toString('utf8')] : [s]))
    .join('\n');
}

/**
 * True when `value` (a property of `holder`) designates `target`: by Ref/Fn::GetAtt in the same stack, or, when it
 * is a concrete string, by `matchesConcrete` (a name or ARN comparison that works across stacks).
 */
export function designates(
  value: unknown,
  holder: CfnResource,
  target: CfnResource,
  matchesConcrete: (text: string) => boolean,
): boolean {
  if (refersTo(value, holder, target)) return true;
  const text = str(value);
  return text !== undefined && matchesConcrete(text);
}

/** Glob match where `*` spans any characters (IAM/Backup ARN patterns). */
export function globMatch(pattern: string, text: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(text);
}

/** Escapes text for use inside a RegExp. */
export function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * True when some AWS::Backup::BackupSelection in the app selects `target`: a `*` resource, a same-stack
 * Ref/Fn::GetAtt (also inside Fn::Join), a concrete ARN pattern `arnMatches` accepts, or a STRINGEQUALS tag condition
 * the target carries. NotResources exclusions and Conditions are not evaluated (the kit uses neither).
 */
export function inBackupSelection(target: CfnResource, arnMatches: (arn: string) => boolean): boolean {
  const targetTags = cfnProps(target);
  return appResources(target, 'AWS::Backup::BackupSelection').some((selection) => {
    const spec = cfnProps(selection).BackupSelection ?? {};
    const byResource = asArray(spec.Resources).some((r) => r === '*' || designates(r, selection, target, arnMatches));
    const byTag = asArray(spec.ListOfTags).some(
      (t: CfnProps) =>
        t?.ConditionType === 'STRINGEQUALS' &&
        typeof t.ConditionKey === 'string' &&
        tagValue(targetTags, t.ConditionKey) === t.ConditionValue,
    );
    return byResource || byTag;
  });
}
