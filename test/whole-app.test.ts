import { App } from 'aws-cdk-lib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKit, registerCompliancePacks } from '../lib/kit-app';
import { CDK_JSON_CONTEXT, testConfig } from './support/kit';

interface PluginReport {
  pluginName: string;
  violations: { ruleName: string; violatingConstructs?: { constructPath: string }[] }[];
  suppressedViolations?: unknown[];
}

/**
 * The one whole-app synth with everything on: every compliance pack and CDK's built-in CloudFormation validation.
 * A violation makes synth throw (with the report in the message); the report must then hold zero open findings.
 */
describe('whole app with every pack and the built-in validation', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'kit-whole-app-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('synthesizes with zero open findings', () => {
    const app = new App({ outdir, context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: true });
    buildKit(app, testConfig());
    registerCompliancePacks(app);
    const assembly = app.synth();

    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(
      ['Audit', 'Bastion', 'Data', 'Identity', 'Keys', 'Network', 'Service'].map((s) => `HipaaKit-Example-${s}`),
    );
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: PluginReport[];
    };
    const open = report.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) => (v.violatingConstructs ?? []).map((c) => `${v.ruleName} ${c.constructPath}`)),
    );
    expect(open).toEqual([]);
  });
});
