/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation properties are untyped JSON by nature. */
/**
 * Reading a resource's rendered CloudFormation properties, so that no two rules carry their own copy of "is this
 * true", "which strings are inside" and so on.
 *
 * How rules treat tokens (documented in RULES.md too):
 * - Rules read the RENDERED CloudFormation properties (`cfnProps`), so escape-hatch overrides count, then resolve them.
 *   Anything still an object where a primitive is expected is an intrinsic (Ref, Fn::GetAtt, Fn::ImportValue,
 *   Fn::Join, Fn::GetStackOutput...) whose value is unknown at synth time. No rule throws on one.
 * - A setting that must EQUAL something (tenancy, HttpTokens, MFA, ports, CIDRs, versions...) fails closed:
 *   unresolved is NON_COMPLIANT, because the template cannot prove it.
 * - A setting that must merely BE PRESENT (a KMS key id, a key pair) is satisfied by an intrinsic.
 * - Relations are matched as references.ts describes.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';

export type CfnProps = Record<string, any>;

/** The resource as CloudFormation will receive it (Type, Properties, DeletionPolicy...; overrides included), resolved. */
export function renderedResource(node: CfnResource): CfnProps {
  // _toCloudFormation is CDK's own renderer; L1 attributes would miss addPropertyOverride().
  const rendered = Stack.of(node).resolve((node as unknown as { _toCloudFormation(): object })._toCloudFormation());
  return (Object.values(rendered?.Resources ?? {})[0] as CfnProps | undefined) ?? {};
}

/** The resource's properties as CloudFormation will receive them (including overrides), resolved. */
export function cfnProps(node: CfnResource): CfnProps {
  return renderedResource(node).Properties ?? {};
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
