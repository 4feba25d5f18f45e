import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { statementsOf } from '../helpers/policy-documents';
import { findingsOrCompliant } from '../helpers/results';
import { asArray, CfnProps, cfnProps, isUnresolved } from '../helpers/values';

/** `*` or `service:*`: every action, or every action of a service. */
const WILDCARD_ACTION = /^(\*|[a-z0-9-]+:\*)$/i;

/** The policy documents of an identity-policy resource (customer managed, inline, or inline on a principal). */
function documentsOf(node: CfnResource, props: CfnProps): unknown[] {
  switch (node.cfnResourceType) {
    case 'AWS::IAM::Policy':
    case 'AWS::IAM::ManagedPolicy':
    case 'AWS::IAM::RolePolicy':
    case 'AWS::IAM::UserPolicy':
    case 'AWS::IAM::GroupPolicy':
      return [props.PolicyDocument];
    case 'AWS::IAM::Role':
    case 'AWS::IAM::User':
    case 'AWS::IAM::Group':
      return asArray(props.Policies).map((p: CfnProps) => p?.PolicyDocument);
    default:
      return [];
  }
}

/**
 * No identity policy allows `*` or `service:*` actions, or uses NotAction in an Allow (which grants everything else),
 * on any resource. Resource policies (key, bucket, topic policies) are out of scope: a KMS key policy's
 * `kms:*` for the account root is how key administration is delegated to IAM.
 * One finding per action, e.g. `Action::s3:*`; unresolved actions are findings.
 */
export const IAMNoWildcardActions = defineRule({
  id: 'IAMNoWildcardActions',
  pillars: ['P07'],
  hipaa: ['164.312(a)(1)'],
  info: "The IAM policy allows '*' or 'service:*' actions (or an Allow with NotAction).",
  explanation:
    'Pillar P07: least privilege. A wildcard action grants every current and future API of a service, including ' +
    'deleting data and changing its policies. Name the actions the principal needs.',
  check: (node: CfnResource) => {
    if (!node.cfnResourceType.startsWith('AWS::IAM::')) return NagRuleCompliance.NOT_APPLICABLE;
    const documents = documentsOf(node, cfnProps(node));
    if (documents.length === 0) {
      const isPrincipal = ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'].includes(node.cfnResourceType);
      return isPrincipal ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NOT_APPLICABLE;
    }
    const findings = documents.flatMap((document) =>
      statementsOf(document)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => [
          ...(s.NotAction !== undefined ? ['NotAction'] : []),
          ...asArray(s.Action)
            .filter((a) => isUnresolved(a) || (typeof a === 'string' && WILDCARD_ACTION.test(a)))
            .map((a) => `Action::${typeof a === 'string' ? a : 'unresolved'}`),
        ]),
    );
    return findingsOrCompliant([...new Set(findings)]);
  },
});
