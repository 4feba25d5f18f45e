import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { findingsOrCompliant } from '../helpers/results';
import { cfnProps, isPresent } from '../helpers/values';

/**
 * Every Session Manager shell document (AWS::SSM::Document, DocumentType `Session`, sessionType `Standard_Stream`)
 * records sessions to a CloudWatch Logs group with encryption enforced (Session Manager then refuses to start a session
 * whose group is not encrypted), and any S3 copy encrypted too. One finding per missing input, e.g.
 * `inputs::cloudWatchLogGroupName`.
 */
export const SSMSessionLogging = defineRule({
  id: 'SSMSessionLogging',
  pillars: ['P03'],
  hipaa: ['164.312(b)'],
  info: 'The Session Manager document does not log sessions to an encrypted log group (and any S3 copy encrypted).',
  explanation:
    'Pillar P03: a Session Manager shell on the bastion is an admin session like SSH. Its document must name a ' +
    'log group with cloudWatchEncryptionEnabled true; an S3 copy, if named, needs s3EncryptionEnabled true.',
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
    // An S3 copy is optional; when there is one, it must be encrypted too.
    if (isPresent(inputs.s3BucketName) && inputs.s3BucketName !== '' && !on('s3EncryptionEnabled')) {
      findings.push('inputs::s3EncryptionEnabled');
    }
    return findingsOrCompliant(findings);
  },
});
