import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { cfnProps } from '../helpers/values';

/** An identity pool sets AllowUnauthenticatedIdentities to false (an unresolved value is a finding). */
export const CognitoNoUnauthenticatedIdentities = defineRule({
  id: 'CognitoNoUnauthenticatedIdentities',
  pillars: ['P02'],
  hipaa: ['164.312(a)(2)(i)', '164.312(d)'],
  info: 'The identity pool allows unauthenticated (guest) identities.',
  explanation:
    'Pillar P02: every AWS credential belongs to one signed-in person. Guest identities let anyone obtain ' +
    'credentials; HIPAAGRAM allowed them, and anyone could then publish to harvested push endpoints.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::Cognito::IdentityPool') return NagRuleCompliance.NOT_APPLICABLE;
    const allow = cfnProps(node).AllowUnauthenticatedIdentities;
    return compliantIf(allow === false || allow === 'false');
  },
});
