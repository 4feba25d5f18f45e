import { CfnResource, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { cfnProps } from '../policies/rules/helpers';

/** Raised when the built tree holds something that cannot run in a dedicated-tenancy VPC. */
export class TenancyError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'TenancyError';
  }
}

const BURSTABLE_EC2_NOT_DEDICATED = /^(t2|t3a|t4g)\./;
const FIX = 'remove it, or set tenancy to "default" (see README, Known limits)';

/**
 * Inspects every CloudFormation resource under `scope` for services AWS cannot place in a dedicated VPC
 * (field notes): Fargate, VPC-attached Lambda, ElastiCache, RDS Proxy, EKS, and burstable classes.
 * Returns one line per offender, naming its construct path.
 */
export function findTenancyProblems(scope: IConstruct): string[] {
  const problems: string[] = [];
  for (const node of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    const type = node.cfnResourceType;
    const props = cfnProps(node);
    const at = node.node.path;
    const flag = (what: string) =>
      problems.push(`tenancy: ${at} is ${what}, which cannot run in a dedicated-tenancy VPC; ${FIX}`);

    if (type.startsWith('AWS::ElastiCache::')) flag('ElastiCache');
    else if (type === 'AWS::RDS::DBProxy') flag('an RDS Proxy');
    else if (type.startsWith('AWS::EKS::')) flag('EKS');
    else if (type === 'AWS::Lambda::Function' && props.VpcConfig) flag('a Lambda function attached to the VPC');
    else if (type === 'AWS::ECS::TaskDefinition' && includesFargate(props.RequiresCompatibilities))
      flag('a Fargate task definition');
    else if (
      type === 'AWS::ECS::Service' &&
      (props.LaunchType === 'FARGATE' || hasFargateProvider(props.CapacityProviderStrategy))
    ) {
      flag('a Fargate service');
    } else if (type === 'AWS::ECS::ClusterCapacityProviderAssociations' && includesFargate(props.CapacityProviders)) {
      flag('a Fargate capacity provider');
    } else if (type === 'AWS::RDS::DBInstance' && isConcreteMatch(props.DBInstanceClass, /^db\.t/)) {
      flag(`a burstable database class (${props.DBInstanceClass})`);
    } else if (type === 'AWS::EC2::Instance' && isConcreteMatch(props.InstanceType, BURSTABLE_EC2_NOT_DEDICATED)) {
      flag(`a ${props.InstanceType} instance`);
    } else if (
      type === 'AWS::EC2::LaunchTemplate' &&
      isConcreteMatch(props.LaunchTemplateData?.InstanceType, BURSTABLE_EC2_NOT_DEDICATED)
    ) {
      flag(`a launch template for ${props.LaunchTemplateData.InstanceType}`);
    }
  }
  return problems;
}

function includesFargate(list: unknown): boolean {
  return Array.isArray(list) && list.some((v) => typeof v === 'string' && v.startsWith('FARGATE'));
}

function hasFargateProvider(strategy: unknown): boolean {
  return (
    Array.isArray(strategy) &&
    strategy.some((s) => typeof s?.CapacityProvider === 'string' && s.CapacityProvider.startsWith('FARGATE'))
  );
}

function isConcreteMatch(value: unknown, pattern: RegExp): boolean {
  return typeof value === 'string' && !Token.isUnresolved(value) && pattern.test(value);
}

/** Throws a TenancyError when the tree under `scope` holds anything a dedicated VPC cannot run. */
export function assertDedicatedTenancyCompatible(scope: IConstruct): void {
  const problems = findTenancyProblems(scope);
  if (problems.length > 0) throw new TenancyError(problems);
}
