import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { launchTemplateOf } from '../helpers/instances';
import { refersTo, stackResources } from '../helpers/references';
import { findingsOrCompliant } from '../helpers/results';
import { asArray, CfnProps, cfnProps, isPresent, isTrue, mentionsAwsManagedKey } from '../helpers/values';

/** Findings for the EBS mappings of an instance or launch template: `Device::<name>` per weak mapping. */
function mappingFindings(mappings: unknown): string[] {
  return asArray(mappings)
    .filter((m: CfnProps) => m?.Ebs !== undefined) // instance-store and NoDevice mappings hold no EBS volume
    .filter(
      (m: CfnProps) => !isTrue(m.Ebs.Encrypted) || !isPresent(m.Ebs.KmsKeyId) || mentionsAwsManagedKey(m.Ebs.KmsKeyId),
    )
    .map((m: CfnProps) => `Device::${typeof m.DeviceName === 'string' ? m.DeviceName : 'unresolved'}`);
}

/**
 * EBS volumes are encrypted with a customer-managed key: every Ebs block-device mapping of an instance or launch
 * template has Encrypted true and a KmsKeyId, and so does every AWS::EC2::Volume. An instance with no mappings
 * (on itself or its launch template) gets the AMI's unencrypted root volume and is a finding (`Device::root`).
 * A launch template with no mappings that only instances use is judged through those instances.
 */
export const EBSCustomerManagedKey = defineRule({
  id: 'EBSCustomerManagedKey',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)'],
  info: 'An EBS volume (instance, launch template or volume) is not encrypted with a customer-managed KMS key.',
  explanation:
    'Pillar P05: instance disks can hold PHI (swap, temp files, container layers). Encrypted with a kit key, a ' +
    "snapshot or detached volume is unreadable outside the kit's key policy.",
  check: (node: CfnResource) => {
    switch (node.cfnResourceType) {
      case 'AWS::EC2::Volume':
        return findingsOrCompliant(mappingFindings([{ DeviceName: 'volume', Ebs: cfnProps(node) }]));
      case 'AWS::EC2::Instance': {
        const template = launchTemplateOf(node);
        const mappings =
          cfnProps(node).BlockDeviceMappings ??
          (template && cfnProps(template).LaunchTemplateData?.BlockDeviceMappings);
        if (mappings === undefined) return ['Device::root'];
        return findingsOrCompliant(mappingFindings(mappings));
      }
      case 'AWS::EC2::LaunchTemplate': {
        const mappings = cfnProps(node).LaunchTemplateData?.BlockDeviceMappings;
        if (mappings !== undefined) return findingsOrCompliant(mappingFindings(mappings));
        const users = stackResources(node).filter((r) => r !== node && refersTo(cfnProps(r), r, node));
        const onlyInstances = users.length > 0 && users.every((u) => u.cfnResourceType === 'AWS::EC2::Instance');
        return onlyInstances ? NagRuleCompliance.NOT_APPLICABLE : ['Device::root'];
      }
      default:
        return NagRuleCompliance.NOT_APPLICABLE;
    }
  },
});
