import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { instanceSetting } from '../helpers/instances';
import { findingsOrCompliant } from '../helpers/results';
import { isPresent } from '../helpers/values';

/**
 * The instance names an EC2 key pair (any value, a Ref to an AWS::EC2::KeyPair included) and requires IMDSv2
 * (MetadataOptions.HttpTokens `required`, on the instance or its launch template). Findings: `KeyName`, `HttpTokens`.
 */
export const EC2KeyPairAndImdsv2 = defineRule({
  id: 'EC2KeyPairAndImdsv2',
  pillars: ['P11'],
  hipaa: ['164.312(a)(1)', '164.312(d)'],
  info: 'The instance has no EC2 key pair, or does not require IMDSv2 session tokens.',
  explanation:
    'Pillar P11: SSH logins use a key pair (imported from the operator, so the private key never reaches AWS). ' +
    'IMDSv2 (HttpTokens required) stops SSRF-style theft of the instance role credentials.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::EC2::Instance') return NagRuleCompliance.NOT_APPLICABLE;
    const findings: string[] = [];
    if (!isPresent(instanceSetting(node, 'KeyName'))) findings.push('KeyName');
    const metadata = instanceSetting(node, 'MetadataOptions') as { HttpTokens?: unknown } | undefined;
    if (metadata?.HttpTokens !== 'required') findings.push('HttpTokens');
    return findingsOrCompliant(findings);
  },
});
