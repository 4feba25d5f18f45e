import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { loggedByATrail } from '../helpers/data-events';
import { isPhiBucket } from '../helpers/resource-kinds';
import { compliantIf } from '../helpers/results';

/**
 * Every bucket tagged `hipaa-kit:data-classification=phi` is covered by S3 data events (reads and writes) of a
 * logging trail somewhere in the app. Trails are searched across all stacks; a trail in another stack can only
 * match the bucket by its concrete name, so PHI buckets need a fixed BucketName (the kit derives one).
 */
export const S3PhiBucketDataEvents = defineRule({
  id: 'S3PhiBucketDataEvents',
  pillars: ['P03'],
  hipaa: ['164.312(b)', '164.308(a)(1)(ii)(D)'],
  info: 'No CloudTrail trail in the app records S3 data events (reads and writes) for this PHI bucket.',
  explanation:
    'Pillar P03: every access to PHI is logged. Management events do not show who read or wrote an object; S3 data ' +
    'events do. Select AWS::S3::Object data events on arn:aws:s3:::<bucket>/ with ReadWriteType All.',
  check: (node: CfnResource) => {
    if (!isPhiBucket(node)) return NagRuleCompliance.NOT_APPLICABLE;
    return compliantIf(loggedByATrail(node));
  },
});
