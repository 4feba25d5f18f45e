/**
 * What AWS cannot place in a VPC with dedicated tenancy (field notes): Fargate, VPC-attached Lambda, ElastiCache,
 * RDS Proxy, EKS, and burstable classes without dedicated support. One list for the config validation, the tenancy
 * guard that stops synth (lib/tenancy-guard.ts) and the Pillars rule that records the verdict as evidence.
 */
import { Token } from 'aws-cdk-lib';

/** EC2 families that cannot run as dedicated instances (only T3 burstables can). */
export const EC2_WITHOUT_DEDICATED = /^(t2|t3a|t4g)\./;
/** Burstable RDS classes, none of which runs with dedicated tenancy. */
export const BURSTABLE_DB_CLASS = /^db\.t/;

/** Rendered CloudFormation properties: untyped JSON. */
type Properties = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Services refused whatever their settings, by resource type prefix. */
const REFUSED_SERVICES: Record<string, string> = {
  'AWS::ElastiCache::': 'ElastiCache',
  'AWS::EKS::': 'EKS',
};

/** Types refused for some settings: each returns what the resource is when refused. */
const JUDGED_TYPES: Record<string, (props: Properties) => string | undefined> = {
  'AWS::RDS::DBProxy': () => 'an RDS Proxy',
  'AWS::Lambda::Function': (props) => (props.VpcConfig ? 'a Lambda function attached to the VPC' : undefined),
  'AWS::ECS::TaskDefinition': (props) =>
    includesFargate(props.RequiresCompatibilities) ? 'a Fargate task definition' : undefined,
  'AWS::ECS::Service': (props) =>
    props.LaunchType === 'FARGATE' || hasFargateProvider(props.CapacityProviderStrategy)
      ? 'a Fargate service'
      : undefined,
  'AWS::ECS::ClusterCapacityProviderAssociations': (props) =>
    includesFargate(props.CapacityProviders) ? 'a Fargate capacity provider' : undefined,
  'AWS::RDS::DBInstance': (props) =>
    isConcreteMatch(props.DBInstanceClass, BURSTABLE_DB_CLASS)
      ? `a burstable database class (${props.DBInstanceClass})`
      : undefined,
  'AWS::EC2::Instance': (props) =>
    isConcreteMatch(props.InstanceType, EC2_WITHOUT_DEDICATED) ? `a ${props.InstanceType} instance` : undefined,
  'AWS::EC2::LaunchTemplate': (props) =>
    isConcreteMatch(props.LaunchTemplateData?.InstanceType, EC2_WITHOUT_DEDICATED)
      ? `a launch template for ${props.LaunchTemplateData.InstanceType}`
      : undefined,
};

/** True for a resource type that dedicated tenancy may refuse; every other type runs there whatever its settings. */
export function isJudgedForDedicatedTenancy(type: string): boolean {
  return refusedService(type) !== undefined || Object.hasOwn(JUDGED_TYPES, type);
}

/**
 * What makes a resource impossible in a dedicated-tenancy VPC, e.g. `a Fargate service`, or undefined when it can
 * run there. `props` are its rendered CloudFormation properties; values still unresolved never match a class.
 */
export function dedicatedTenancyObstacle(type: string, props: Properties): string | undefined {
  return refusedService(type) ?? (Object.hasOwn(JUDGED_TYPES, type) ? JUDGED_TYPES[type](props) : undefined);
}

function refusedService(type: string): string | undefined {
  const prefix = Object.keys(REFUSED_SERVICES).find((p) => type.startsWith(p));
  return prefix === undefined ? undefined : REFUSED_SERVICES[prefix];
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
