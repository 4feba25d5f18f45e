import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { deniesInsecureTransport } from '../helpers/policy-documents';
import { appResources, refersTo } from '../helpers/references';
import { compliantIf } from '../helpers/results';
import { asArray, cfnProps } from '../helpers/values';

/**
 * A topic has a topic policy (by reference, anywhere in the app) that denies every principal `sns:Publish` (or `sns:*`) when
 * `aws:SecureTransport` is false. Publishing is the path PHI-adjacent data takes into a topic.
 */
export const SNSDenyInsecureTransport = defineRule({
  id: 'SNSDenyInsecureTransport',
  pillars: ['P01'],
  hipaa: ['164.312(e)(1)', '164.312(e)(2)(i)', '164.312(e)(2)(ii)'],
  info: 'The topic has no topic policy that denies publishing without TLS (aws:SecureTransport false).',
  explanation:
    'Pillar P01: SNS accepts plain-HTTP API calls unless the topic policy denies them. Deny sns:Publish to every ' +
    'principal when aws:SecureTransport is false (enforceSSL: true in CDK).',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::SNS::Topic') return NagRuleCompliance.NOT_APPLICABLE;
    const coversPublish = (a: string) => a === 'sns:Publish' || a === 'sns:*' || a === '*';
    const denied = appResources(node, 'AWS::SNS::TopicPolicy').some((policy) => {
      const props = cfnProps(policy);
      const forThisTopic = asArray(props.Topics).some((t) => refersTo(t, policy, node));
      return forThisTopic && deniesInsecureTransport(props.PolicyDocument, coversPublish);
    });
    return compliantIf(denied);
  },
});
