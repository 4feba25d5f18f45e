import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { asArray, cfnProps } from '../helpers/values';

const PRINCIPAL_TYPES = ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'];

/**
 * No role, user or group carries an inline policy: neither a `Policies` property nor an AWS::IAM::Policy resource
 * (which CloudFormation puts inline too). Judged on the resource type, so roles that CDK renders as plain
 * CfnResource (custom-resource providers) count; cdk-nag's IAMNoInlinePolicy checks only CfnRole instances.
 */
export const IAMNoInlinePolicies = defineRule({
  id: 'IAMNoInlinePolicies',
  pillars: ['P07'],
  hipaa: ['164.312(a)(1)'],
  info: 'The IAM principal has an inline policy (a Policies property, or an AWS::IAM::Policy resource).',
  explanation:
    "Pillar P07: permissions live in customer-managed policies, which can be reviewed, versioned and reused; AWS Config's " +
    'iam-no-inline-policy-check in the HIPAA conformance pack allows managed policies only. Attach an ' +
    'iam.ManagedPolicy instead (roles built by CDK internals: move their statements into one with an escape hatch).',
  check: (node: CfnResource) => {
    if (node.cfnResourceType === 'AWS::IAM::Policy') return NagRuleCompliance.NON_COMPLIANT;
    if (!PRINCIPAL_TYPES.includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
    return compliantIf(asArray(cfnProps(node).Policies).length === 0);
  },
});
