import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { loggedByATrail } from '../helpers/data-events';
import { compliantIf } from '../helpers/results';

/**
 * Every bucket, not only the PHI bucket, is covered by S3 data events (reads and writes) of a logging trail in the
 * app: in practice a selector on every bucket (`arn:<partition>:s3`), since unnamed buckets of other stacks can only
 * be matched that way. AWS Config's cloudtrail-s3-dataevents-enabled (HIPAA conformance pack) and CIS AWS
 * Foundations 3.10/3.11 ask for the same.
 */
export const S3BucketDataEvents = defineRule({
  id: 'S3BucketDataEvents',
  pillars: ['P03'],
  hipaa: ['164.312(b)', '164.308(a)(1)(ii)(D)'],
  info: 'No CloudTrail trail in the app records S3 data events (reads and writes) for this bucket.',
  explanation:
    'Pillar P03: who read or wrote an object is evidence for every bucket, the audit trail itself included (an ' +
    'auditor asks who read the logs). Select AWS::S3::Object data events on arn:<partition>:s3 with ReadWriteType All.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
    return compliantIf(loggedByATrail(node));
  },
});
