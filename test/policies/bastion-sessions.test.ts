import { Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { finding, findingsOf, testStack } from './support';

const NAMED_AND_RECORDED = [
  '#!/bin/bash',
  "cat > /etc/ssh/sshd_config.d/00-hipaa-kit.conf <<'EOF'",
  'AuthorizedKeysFile /etc/ssh/authorized_keys/%u',
  'AllowGroups hipaa-operators hipaa-break-glass',
  'EOF',
  '/usr/local/sbin/hipaa-kit-operators sync',
  "echo 'session required pam_exec.so stdout /usr/local/sbin/hipaa-kit-session-hook' >> /etc/pam.d/sshd",
  '-a always,exit -F arch=b64 -S execve -F auid>=1000 -F auid!=unset -k hipaa_kit_exec',
  '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/x.json',
].join('\n');

function instance(stack: Stack, userData: string | undefined, id = 'Bastion') {
  return new ec2.CfnInstance(stack, id, {
    imageId: 'ami-12345678',
    userData: userData === undefined ? undefined : Fn.base64(userData),
  });
}

describe('EC2BastionNamedLogins (P02)', () => {
  test('compliant: root-owned key files, an allow-list and the roster applied', () => {
    const stack = testStack();
    instance(stack, NAMED_AND_RECORDED);
    expect(findingsOf(stack, 'EC2BastionNamedLogins')).toEqual([]);
  });

  test('non-compliant: keys in home directories (self-managed, shareable), no allow-list, no roster', () => {
    const stack = testStack();
    const homeKeys = instance(
      stack,
      NAMED_AND_RECORDED.replace('/etc/ssh/authorized_keys/%u', '.ssh/authorized_keys'),
      'HomeKeys',
    );
    const open = instance(
      stack,
      NAMED_AND_RECORDED.replace('AllowGroups hipaa-operators hipaa-break-glass', '').replace(
        '/usr/local/sbin/hipaa-kit-operators sync',
        '',
      ),
      'Open',
    );
    const shared = instance(stack, undefined, 'Shared'); // the stock ec2-user with the key pair only
    expect(findingsOf(stack, 'EC2BastionNamedLogins')).toEqual(
      [
        finding('EC2BastionNamedLogins', homeKeys, 'sshd::AuthorizedKeysFile'),
        finding('EC2BastionNamedLogins', open, 'sshd::AllowGroups'),
        finding('EC2BastionNamedLogins', open, 'operators::roster'),
        ...['sshd::AuthorizedKeysFile', 'sshd::AllowGroups', 'operators::roster'].map((f) =>
          finding('EC2BastionNamedLogins', shared, f),
        ),
      ].sort(),
    );
  });
});

describe('EC2BastionSessionRecording (P03)', () => {
  test('compliant: required PAM hook, execve audit rule, agent started', () => {
    const stack = testStack();
    instance(stack, NAMED_AND_RECORDED);
    expect(findingsOf(stack, 'EC2BastionSessionRecording')).toEqual([]);
  });

  test('non-compliant: an optional hook, no execve rule, no agent', () => {
    const stack = testStack();
    const weak = instance(
      stack,
      NAMED_AND_RECORDED.replace('session required', 'session optional')
        .replace(/-S execve.*\n/, '\n')
        .replace(/.*amazon-cloudwatch-agent-ctl.*/, ''),
    );
    expect(findingsOf(stack, 'EC2BastionSessionRecording')).toEqual(
      ['pam::session-hook', 'auditd::execve', 'agent::cloudwatch']
        .map((f) => finding('EC2BastionSessionRecording', weak, f))
        .sort(),
    );
  });
});

describe('SSMSessionLogging (P03)', () => {
  const inputs = {
    cloudWatchLogGroupName: '/k/bastion/ssm-sessions',
    cloudWatchEncryptionEnabled: true,
    s3BucketName: 'audit-bucket',
    s3EncryptionEnabled: true,
  };
  const doc = (stack: Stack, id: string, docInputs: object, sessionType = 'Standard_Stream') =>
    new ssm.CfnDocument(stack, id, {
      documentType: 'Session',
      content: { schemaVersion: '1.0', sessionType, inputs: docInputs },
    });

  test('compliant: both destinations, both encrypted; a port-forwarding document is not judged', () => {
    const stack = testStack();
    doc(stack, 'Shell', inputs);
    doc(stack, 'Port', {}, 'Port');
    expect(findingsOf(stack, 'SSMSessionLogging')).toEqual([]);
  });

  test('non-compliant: no logging at all (the kit document before issue 16), or unencrypted destinations', () => {
    const stack = testStack();
    const none = doc(stack, 'None', { idleSessionTimeout: '15' });
    const plain = doc(stack, 'Plain', { ...inputs, cloudWatchEncryptionEnabled: false, s3EncryptionEnabled: false });
    expect(findingsOf(stack, 'SSMSessionLogging')).toEqual(
      [
        ...['cloudWatchLogGroupName', 'cloudWatchEncryptionEnabled', 's3BucketName', 's3EncryptionEnabled'].map((f) =>
          finding('SSMSessionLogging', none, `inputs::${f}`),
        ),
        finding('SSMSessionLogging', plain, 'inputs::cloudWatchEncryptionEnabled'),
        finding('SSMSessionLogging', plain, 'inputs::s3EncryptionEnabled'),
      ].sort(),
    );
  });

  test('non-compliant: the log group alone (issue 16 before the S3 copy), or an empty bucket name', () => {
    const stack = testStack();
    const groupOnly = doc(stack, 'GroupOnly', {
      cloudWatchLogGroupName: inputs.cloudWatchLogGroupName,
      cloudWatchEncryptionEnabled: true,
    });
    const emptyBucket = doc(stack, 'EmptyBucket', { ...inputs, s3BucketName: '' });
    expect(findingsOf(stack, 'SSMSessionLogging')).toEqual(
      [
        finding('SSMSessionLogging', groupOnly, 'inputs::s3BucketName'),
        finding('SSMSessionLogging', groupOnly, 'inputs::s3EncryptionEnabled'),
        finding('SSMSessionLogging', emptyBucket, 'inputs::s3BucketName'),
      ].sort(),
    );
  });
});
