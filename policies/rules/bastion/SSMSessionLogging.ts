import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { findingsOrCompliant } from '../helpers/results';
import { cfnProps, isPresent } from '../helpers/values';

/**
 * Every Session Manager shell document (AWS::SSM::Document, DocumentType `Session`, sessionType `Standard_Stream`)
 * records sessions twice, both encrypted: to a CloudWatch Logs group and to an S3 bucket (the kit's is the Object Lock
 * audit bucket), with encryption enforced on each (Session Manager then refuses to start a session whose destinations
 * are not encrypted). One finding per missing input, e.g. `inputs::s3BucketName`.
 */
export const SSMSessionLogging = defineRule({
  id: 'SSMSessionLogging',
  pillars: ['P03'],
  hipaa: ['164.312(b)'],
  info: 'The Session Manager document does not record sessions to both an encrypted log group and an encrypted S3 bucket.',
  explanation:
    'Pillar P03: a Session Manager shell on the bastion is an admin session like SSH. Its document must name a ' +
    'log group with cloudWatchEncryptionEnabled true and an S3 bucket (write-once, e.g. the audit bucket) with ' +
    's3EncryptionEnabled true: the log group for search and alarms, the bucket so the transcript outlives anyone ' +
    'who can delete log groups.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::SSM::Document') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const content = typeof props.Content === 'string' ? JSON.parse(props.Content) : props.Content;
    if (props.DocumentType !== 'Session' || content?.sessionType !== 'Standard_Stream') {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const inputs = content?.inputs ?? {};
    const findings: string[] = [];
    const on = (flag: string) => inputs[flag] === true || inputs[flag] === 'true';
    if (!isPresent(inputs.cloudWatchLogGroupName) || inputs.cloudWatchLogGroupName === '') {
      findings.push('inputs::cloudWatchLogGroupName');
    }
    if (!on('cloudWatchEncryptionEnabled')) findings.push('inputs::cloudWatchEncryptionEnabled');
    if (!isPresent(inputs.s3BucketName) || inputs.s3BucketName === '') findings.push('inputs::s3BucketName');
    if (!on('s3EncryptionEnabled')) findings.push('inputs::s3EncryptionEnabled');
    return findingsOrCompliant(findings);
  },
});
