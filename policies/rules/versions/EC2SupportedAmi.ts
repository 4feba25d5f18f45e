import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { SUPPORTED_AMI_SSM_PARAMETER_PREFIXES } from '../../supported-versions';
import { instanceSetting } from '../helpers/instances';
import { parameterDefault } from '../helpers/references';
import { compliantIf } from '../helpers/results';
import { cfnProps, str } from '../helpers/values';

/** The SSM parameter path an ImageId is read from, if it is read from one. */
function ssmPath(node: CfnResource, imageId: unknown): string | undefined {
  const text = str(imageId);
  if (text !== undefined) return /^\{\{resolve:ssm:([^:}]+)/.exec(text)?.[1] ?? /^resolve:ssm:(.+)$/.exec(text)?.[1];
  return str(parameterDefault(node, imageId)); // a CfnParameter of type AWS::SSM::Parameter::Value<...>
}

/**
 * Instances, launch templates and launch configurations take their AMI from an Amazon Linux 2023 public SSM
 * parameter (plain or ECS-optimized), directly (`resolve:ssm:`) or through an SSM-typed stack parameter. A literal
 * `ami-...` cannot be proven to be AL2023 and is a finding. A launch template without ImageId is not applicable
 * (the instance using it is judged).
 */
export const EC2SupportedAmi = defineRule({
  id: 'EC2SupportedAmi',
  pillars: ['P13'],
  hipaa: ['164.312(c)(1)'],
  info: 'The AMI is not taken from an Amazon Linux 2023 public SSM parameter (policies/supported-versions.ts).',
  explanation:
    'Pillar P13: hosts run Amazon Linux 2023, the supported LTS line, at its latest patched image. Reading the AMI ' +
    'from the public SSM parameter proves both; a hard-coded AMI ID ages silently.',
  check: (node: CfnResource) => {
    let imageId: unknown;
    switch (node.cfnResourceType) {
      case 'AWS::EC2::Instance':
        imageId = instanceSetting(node, 'ImageId');
        break;
      case 'AWS::EC2::LaunchTemplate':
        imageId = cfnProps(node).LaunchTemplateData?.ImageId;
        if (imageId === undefined) return NagRuleCompliance.NOT_APPLICABLE;
        break;
      case 'AWS::AutoScaling::LaunchConfiguration':
        imageId = cfnProps(node).ImageId;
        break;
      default:
        return NagRuleCompliance.NOT_APPLICABLE;
    }
    const path = ssmPath(node, imageId);
    return compliantIf(path !== undefined && SUPPORTED_AMI_SSM_PARAMETER_PREFIXES.some((p) => path.startsWith(p)));
  },
});
