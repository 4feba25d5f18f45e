import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { statementsOf } from '../helpers/policy-documents';
import { appResources, logicalIdOf, referencedResources, refersTo } from '../helpers/references';
import { findingsOrCompliant } from '../helpers/results';
import { asArray, cfnProps } from '../helpers/values';

const ACTION_PROPERTIES = ['AlarmActions', 'OKActions', 'InsufficientDataActions'];

/** True when a statement lets the CloudWatch service principal publish (Allow, sns:Publish or sns:*). */
function allowsCloudWatchPublish(statement: Record<string, unknown>): boolean {
  if (statement.Effect !== 'Allow') return false;
  const principal = statement.Principal as { Service?: unknown } | undefined;
  if (!asArray(principal?.Service).includes('cloudwatch.amazonaws.com')) return false;
  return asArray(statement.Action).some((a) => a === 'sns:Publish' || a === 'sns:*');
}

/**
 * Every SNS topic an alarm notifies can receive it: a topic policy replaces SNS's default one, so when the topic has
 * a policy, one of its statements must allow `cloudwatch.amazonaws.com` to `sns:Publish`. Otherwise the alarm
 * fires into nothing, silently. Topics are followed across stacks; a topic given as a plain ARN is not judged.
 * Findings: `Topic::<logical id>`.
 */
export const AlarmTopicAcceptsCloudWatch = defineRule({
  id: 'AlarmTopicAcceptsCloudWatch',
  pillars: ['P03'],
  hipaa: ['164.308(a)(1)(ii)(D)', '164.308(a)(5)(ii)(C)'],
  info: 'The alarm notifies an SNS topic whose policy does not let CloudWatch publish to it.',
  explanation:
    'Pillar P03: the CIS alarms and the database alarms are how anyone learns of root use, failed sign-ins or a ' +
    'disabled key. AWS::SNS::TopicPolicy replaces the default policy, so add an Allow for the service principal ' +
    'cloudwatch.amazonaws.com on sns:Publish, scoped with aws:SourceAccount (and the KMS key must admit CloudWatch).',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::CloudWatch::Alarm') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const topics = ACTION_PROPERTIES.flatMap((p) => asArray(props[p])).flatMap((action) =>
      referencedResources(action, node).filter((r) => r.cfnResourceType === 'AWS::SNS::Topic'),
    );
    if (topics.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    const findings = [...new Set(topics)]
      .filter((topic) => {
        const policies = appResources(topic, 'AWS::SNS::TopicPolicy').filter((p) =>
          asArray(cfnProps(p).Topics).some((t) => refersTo(t, p, topic)),
        );
        if (policies.length === 0) return false; // SNS's default policy lets the account's alarms publish
        return !policies.some((p) => statementsOf(cfnProps(p).PolicyDocument).some(allowsCloudWatchPublish));
      })
      .map((topic) => `Topic::${logicalIdOf(topic)}`);
    return findingsOrCompliant(findings);
  },
});
