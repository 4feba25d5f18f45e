import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareText } from '../evidence/recorder';

/** The parts of a CloudFormation template the report reads. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnTemplateResource>;
  readonly Outputs?: Record<string, { Value?: unknown; Export?: { Name?: unknown } }>;
}

export interface CfnTemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** Templates by stack (file name without `.template.json`), in name order. */
export type Templates = ReadonlyMap<string, CfnTemplate>;

/** Every template of a cloud assembly directory. */
export function loadTemplates(assemblyDir: string): Templates {
  const files = readdirSync(assemblyDir)
    .filter((f) => f.endsWith('.template.json'))
    .sort(compareText);
  return new Map(
    files.map((f) => [
      f.slice(0, -'.template.json'.length),
      JSON.parse(readFileSync(join(assemblyDir, f), 'utf8')) as CfnTemplate,
    ]),
  );
}

/** A resource of one stack, by logical ID. */
export interface ResourceRef {
  readonly stack: string;
  readonly logicalId: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * The resource an intrinsic points at: `Ref`, `Fn::GetAtt`, and the cross-stack forms CDK writes
 * (`Fn::GetStackOutput` for weak references, `Fn::ImportValue` for exports), followed into the producing stack.
 */
export function resolveReference(
  templates: Templates,
  stack: string,
  value: unknown,
  depth = 0,
): ResourceRef | undefined {
  const v = asRecord(value);
  if (!v || depth > 5) return undefined;
  if (typeof v.Ref === 'string') return { stack, logicalId: v.Ref };
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return { stack, logicalId: getAtt[0] };
  if (typeof getAtt === 'string') return { stack, logicalId: getAtt.split('.')[0] };
  const output = asRecord(v['Fn::GetStackOutput']);
  if (output && typeof output.StackName === 'string' && typeof output.OutputName === 'string') {
    const producer = templates.get(output.StackName)?.Outputs?.[output.OutputName];
    return producer ? resolveReference(templates, output.StackName, producer.Value, depth + 1) : undefined;
  }
  const imported = v['Fn::ImportValue'];
  if (typeof imported === 'string') {
    for (const [producerStack, template] of templates) {
      for (const out of Object.values(template.Outputs ?? {})) {
        if (out.Export?.Name === imported) return resolveReference(templates, producerStack, out.Value, depth + 1);
      }
    }
  }
  return undefined;
}

export function resourceAt(templates: Templates, ref: ResourceRef): CfnTemplateResource | undefined {
  return templates.get(ref.stack)?.Resources?.[ref.logicalId];
}

/** The construct path of a resource (from `aws:cdk:path`), without CDK's trailing `/Resource` segments. */
export function displayPath(templates: Templates, ref: ResourceRef): string {
  const path = resourceAt(templates, ref)?.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path.replace(/(\/Resource)+$/, '') : `${ref.stack}/${ref.logicalId}`;
}

/** True when `value` refers to the resource `target` (in the same or another stack). */
export function refersTo(templates: Templates, stack: string, value: unknown, target: ResourceRef): boolean {
  const ref = resolveReference(templates, stack, value);
  return ref !== undefined && ref.stack === target.stack && ref.logicalId === target.logicalId;
}

/**
 * Profile, account and region of the assembly's stacks, from its manifest (`aws://<account>/<region>`) and the
 * stack names (`HipaaKit-<profile>-<Stack>`); `unknown` when the stacks disagree or name none.
 */
export function assemblyScope(assemblyDir: string): { profile: string; account: string; region: string } {
  const file = join(assemblyDir, 'manifest.json');
  const manifest = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as {
        artifacts?: Record<string, { type?: string; environment?: string }>;
      })
    : {};
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const only = (values: string[]) => (new Set(values).size === 1 ? values[0] : 'unknown');
  const envs = stacks.map(([, a]) => /^aws:\/\/([^/]+)\/(.+)$/.exec(a.environment ?? ''));
  return {
    profile: only(stacks.map(([name]) => /^HipaaKit-([^-]+)-/.exec(name)?.[1] ?? 'unknown')),
    account: only(envs.map((m) => m?.[1] ?? 'unknown')),
    region: only(envs.map((m) => m?.[2] ?? 'unknown')),
  };
}
