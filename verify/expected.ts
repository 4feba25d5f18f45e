/**
 * The synthesized promise the live account is held to: the templates of the kit for this config. Either read from a
 * cloud assembly (`--assembly cdk.out`, e.g. the one the deploy used) or synthesized in-process into a temporary
 * directory (the default, so the comparison is with this checkout's code and never with a stale cdk.out).
 */
import { App } from 'aws-cdk-lib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KitConfig } from '../core/config';
import { buildKit } from '../lib/kit-app';

/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

/** Stack name -> its template's resources. */
export type Templates = Record<string, Record<string, TemplateResource>>;

/** The templates of the stacks in an existing cloud assembly directory. */
export function templatesFromAssembly(dir: string, stackNames: readonly string[]): Templates {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const templates: Templates = {};
  for (const [id, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const name = artifact.properties?.stackName ?? id;
    if (!stackNames.includes(name)) continue;
    templates[name] = JSON.parse(readFileSync(join(dir, artifact.properties.templateFile), 'utf8')).Resources ?? {};
  }
  return templates;
}

/** Synthesizes the kit for `config` in-process (no compliance packs: only the templates matter here). */
export function synthesizeTemplates(config: KitConfig, context: Record<string, unknown> = cdkJsonContext()): Templates {
  const outdir = mkdtempSync(join(tmpdir(), 'hipaa-kit-verify-'));
  try {
    const app = new App({ outdir, context, builtinCloudFormationValidation: false });
    buildKit(app, config);
    const assembly = app.synth();
    return Object.fromEntries(assembly.stacks.map((s) => [s.stackName, (s.template as any).Resources ?? {}]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The feature flags from cdk.json, so the templates are the ones `cdk deploy` produced. */
function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')).context ?? {};
}

/** The template resource of a deployed one (same stack, same logical ID), if the templates have it. */
export function templateResource(templates: Templates, stack: string, logicalId: string): TemplateResource | undefined {
  return templates[stack]?.[logicalId];
}

/**
 * Resolves the intrinsics a template may hold in a value the kit compares (key policies, ARNs): pseudo parameters,
 * Ref to a deployed resource's physical ID, Fn::Join and Fn::Sub of those. Throws on anything else, so a
 * comparison never passes on a value it could not compute.
 */
export function resolveIntrinsics(value: unknown, env: IntrinsicEnv): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, env));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, any>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === 'Ref') return ref(obj.Ref, env);
  if (keys.length === 1 && keys[0] === 'Fn::Join') {
    const [sep, parts] = obj['Fn::Join'];
    return (resolveIntrinsics(parts, env) as unknown[]).join(sep);
  }
  if (keys.length === 1 && keys[0] === 'Fn::Sub' && typeof obj['Fn::Sub'] === 'string') {
    return obj['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_: string, name: string) => ref(name, env));
  }
  if (keys.length === 1 && (keys[0].startsWith('Fn::') || keys[0] === 'Ref')) {
    throw new Error(`cannot resolve ${keys[0]} ${JSON.stringify(obj[keys[0]])}`);
  }
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(obj[k], env)]));
}

export interface IntrinsicEnv {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  /** Logical ID -> physical ID in the template's stack. */
  readonly physicalIds: Record<string, string>;
}

function ref(name: string, env: IntrinsicEnv): string {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': env.account,
    'AWS::Region': env.region,
    'AWS::Partition': env.partition,
    'AWS::URLSuffix': env.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
  };
  const value = pseudo[name] ?? env.physicalIds[name];
  if (value === undefined) throw new Error(`cannot resolve Ref ${name}`);
  return value;
}
