import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { findingsOrCompliant } from '../helpers/results';
import { asArray, cfnProps, stringsIn } from '../helpers/values';

/** AWS managed policies that hand out administration of the account or of IAM itself. */
export const ADMIN_MANAGED_POLICIES = ['AdministratorAccess', 'PowerUserAccess', 'IAMFullAccess'];

/**
 * No role, user or group attaches AdministratorAccess, PowerUserAccess or IAMFullAccess (matched on the ARN's
 * literal text, so Fn::Join / Fn::Sub-built ARNs count). Findings: `Policy::<name>`.
 */
export const IAMNoAdminManagedPolicies = defineRule({
  id: 'IAMNoAdminManagedPolicies',
  pillars: ['P07'],
  hipaa: ['164.312(a)(1)'],
  info: 'The IAM principal attaches an administrator-level AWS managed policy.',
  explanation:
    'Pillar P07: no principal in the kit needs to administer the account. AdministratorAccess, PowerUserAccess and ' +
    'IAMFullAccess reach every PHI resource and can rewrite their own permissions.',
  check: (node: CfnResource) => {
    if (!['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'].includes(node.cfnResourceType)) {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const findings = asArray(cfnProps(node).ManagedPolicyArns).flatMap((arn) => {
      const text = stringsIn(arn).join('');
      return ADMIN_MANAGED_POLICIES.filter((name) => new RegExp(`policy/${name}$`).test(text)).map(
        (name) => `Policy::${name}`,
      );
    });
    return findingsOrCompliant(findings);
  },
});
