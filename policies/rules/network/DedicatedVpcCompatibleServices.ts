import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { dedicatedTenancyObstacle, isJudgedForDedicatedTenancy } from '../../../core/dedicated-tenancy';
import { defineRule } from '../../rule';
import { appResources } from '../helpers/references';
import { compliantIf } from '../helpers/results';
import { cfnProps } from '../helpers/values';

/**
 * When any VPC in the app has dedicated tenancy, nothing in the app may be a service AWS cannot run there: Fargate,
 * VPC-attached Lambda, ElastiCache, RDS Proxy, EKS, or burstable classes without dedicated support. The list lives
 * in core/dedicated-tenancy.ts, shared with lib/tenancy-guard.ts (which also stops `cdk synth` early); this rule
 * records the same verdict as evidence.
 */
export const DedicatedVpcCompatibleServices = defineRule({
  id: 'DedicatedVpcCompatibleServices',
  pillars: ['P18'],
  hipaa: ['164.312(a)(1)'],
  info: 'The app has a dedicated-tenancy VPC, and this resource is a service or class that cannot run in one.',
  explanation:
    'Fargate, Lambda attached to a VPC, ElastiCache, RDS Proxy, EKS and t2/t3a/t4g or db.t* classes cannot run in a ' +
    'VPC with dedicated tenancy (pillar P18). Use ECS on EC2, Lambda outside the VPC, and m6i/r6i classes.',
  check: (node: CfnResource) => {
    const type = node.cfnResourceType;
    if (!isJudgedForDedicatedTenancy(type)) return NagRuleCompliance.NOT_APPLICABLE;
    const dedicated = appResources(node, 'AWS::EC2::VPC').some((v) => cfnProps(v).InstanceTenancy === 'dedicated');
    if (!dedicated) return NagRuleCompliance.NOT_APPLICABLE;
    return compliantIf(dedicatedTenancyObstacle(type, cfnProps(node)) === undefined);
  },
});
