import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PillarsChecks } from '../../policies/pillars-checks';

/** A bare stack with a concrete env in a fresh app (no packs, no built-in validation). */
export function testStack(id = 'Test'): Stack {
  const app = new App({ builtinCloudFormationValidation: false });
  return new Stack(app, id, { env: { account: '123456789012', region: 'us-east-1' } });
}

/**
 * The Pillars findings of one rule over the whole app, as `<ruleName> @ <construct path>`, sorted.
 * Throws if any rule threw (a token crashed it): rules must never do that.
 */
export function findingsOf(scope: IConstruct, ruleId: string): string[] {
  const report = new PillarsChecks().validateScope(scope.node.root);
  const crashed = report.violations.filter((v) => v.description.startsWith('Rule threw an error'));
  if (crashed.length > 0) throw new Error(`rules threw: ${crashed.map((v) => v.ruleName).join(', ')}`);
  return report.violations
    .filter((v) => v.ruleName === `Pillars-${ruleId}` || v.ruleName.startsWith(`Pillars-${ruleId}[`))
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`))
    .sort();
}

/** `<ruleName> @ <path of the resource's Cfn construct>` for one expected finding. */
export function finding(ruleId: string, resource: CfnResource, granular?: string): string {
  return `Pillars-${ruleId}${granular ? `[${granular}]` : ''} @ ${resource.node.path}`;
}
