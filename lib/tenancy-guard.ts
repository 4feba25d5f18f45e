import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { dedicatedTenancyObstacle, isJudgedForDedicatedTenancy } from '../core/dedicated-tenancy';
import { cfnProps } from '../policies/rules/helpers/values';

/** Raised when the built tree holds something that cannot run in a dedicated-tenancy VPC. */
export class TenancyError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'TenancyError';
  }
}

const FIX = 'remove it, or set tenancy to "default" (see README, Known limits)';

/**
 * Inspects every CloudFormation resource under `scope` for services AWS cannot place in a dedicated VPC
 * (core/dedicated-tenancy.ts). Returns one line per offender, naming its construct path.
 */
export function findTenancyProblems(scope: IConstruct): string[] {
  const problems: string[] = [];
  for (const node of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(node) || !isJudgedForDedicatedTenancy(node.cfnResourceType)) continue;
    const obstacle = dedicatedTenancyObstacle(node.cfnResourceType, cfnProps(node));
    if (obstacle !== undefined) {
      problems.push(`tenancy: ${node.node.path} is ${obstacle}, which cannot run in a dedicated-tenancy VPC; ${FIX}`);
    }
  }
  return problems;
}

/** Throws a TenancyError when the tree under `scope` holds anything a dedicated VPC cannot run. */
export function assertDedicatedTenancyCompatible(scope: IConstruct): void {
  const problems = findTenancyProblems(scope);
  if (problems.length > 0) throw new TenancyError(problems);
}
