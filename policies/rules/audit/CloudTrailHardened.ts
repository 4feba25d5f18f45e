import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { findingsOrCompliant } from '../helpers/results';
import { cfnProps, isPresent, isTrue } from '../helpers/values';

/**
 * A trail is multi-region, validates its log files, encrypts them with KMS and delivers to CloudWatch Logs.
 * Findings: `IsMultiRegionTrail`, `EnableLogFileValidation`, `KMSKeyId`, `CloudWatchLogsLogGroupArn`.
 */
export const CloudTrailHardened = defineRule({
  id: 'CloudTrailHardened',
  pillars: ['P03'],
  hipaa: ['164.312(b)', '164.312(c)(2)', '164.308(a)(1)(ii)(D)', '164.308(a)(5)(ii)(C)'],
  info: 'The trail is not multi-region, does not validate log files, is not KMS-encrypted, or does not deliver to CloudWatch Logs.',
  explanation:
    'Pillar P03: every API action in every region is recorded. Log-file validation (signed digests) proves the ' +
    'records were not altered (164.312(c)(2)); KMS keeps them confidential; CloudWatch Logs feeds the alarms that ' +
    'implement activity review.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::CloudTrail::Trail') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const findings: string[] = [];
    if (!isTrue(props.IsMultiRegionTrail)) findings.push('IsMultiRegionTrail');
    if (!isTrue(props.EnableLogFileValidation)) findings.push('EnableLogFileValidation');
    if (!isPresent(props.KMSKeyId)) findings.push('KMSKeyId');
    if (!isPresent(props.CloudWatchLogsLogGroupArn)) findings.push('CloudWatchLogsLogGroupArn');
    return findingsOrCompliant(findings);
  },
});
