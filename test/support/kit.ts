import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildKit } from '../../lib/kit-app';
import { resolveConfig } from '../../lib/profiles';

/** The feature flags from cdk.json, so tests synthesize exactly as `cdk synth` does. */
export const CDK_JSON_CONTEXT = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;

/** The example profile with overrides (same JSON shape as `-c overrides=...`). */
export function testConfig(overrides: object = {}) {
  return resolveConfig('example', overrides);
}

/** Builds the whole kit without the compliance packs or the built-in CloudFormation validation (fast). */
export function buildTestKit(overrides: object = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  return buildKit(app, testConfig(overrides));
}

/** Template of one stack of a freshly built kit. */
export function templateOf(stack: keyof ReturnType<typeof buildKit>, overrides: object = {}): Template {
  const kit = buildTestKit(overrides);
  const s = kit[stack];
  if (!s) throw new Error(`stack ${stack} is not built with these overrides`);
  return Template.fromStack(s);
}
