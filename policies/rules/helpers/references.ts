/**
 * Relations between resources (policy -> bucket, trail -> bucket, selection -> database): a Ref/Fn::GetAtt matches
 * the resource's logical ID in the same stack, a cross-stack reference (Fn::ImportValue / Fn::GetStackOutput) is
 * followed to the producing stack, and a concrete name/ARN is compared across the app; anything else is no match.
 */
import { CfnOutput, CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { str } from './values';

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
