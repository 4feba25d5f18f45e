import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { cfnProps, isUnresolved } from '../helpers/values';

/**
 * The VPC places its instances on single-tenant hardware. Tenancy `default` (or unset) is reported as the granular
 * finding `InstanceTenancy::default`, which a profile that chose `default` deliberately acknowledges by that name.
 */
export const VPCDedicatedTenancy = defineRule({
  id: 'VPCDedicatedTenancy',
  pillars: ['P18'],
  hipaa: ['164.312(a)(1)'],
  info: "The VPC's instance tenancy is not 'dedicated': its instances share physical hosts with other AWS customers.",
  explanation:
    "Pillar P18 asks for dedicated infrastructure. With InstanceTenancy 'default' (the CloudFormation default when " +
    "unset) EC2 and RDS instances run on shared hardware. Set tenancy 'dedicated', or acknowledge " +
    "'Pillars-VPCDedicatedTenancy[InstanceTenancy::default]' with the reason the profile accepts shared hosts.",
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::EC2::VPC') return NagRuleCompliance.NOT_APPLICABLE;
    const tenancy = cfnProps(node).InstanceTenancy;
    if (tenancy === 'dedicated') return NagRuleCompliance.COMPLIANT;
    // An intrinsic cannot prove dedicated hosts, so it is a finding too.
    return [`InstanceTenancy::${isUnresolved(tenancy) ? 'unresolved' : (tenancy ?? 'default')}`];
  },
});
