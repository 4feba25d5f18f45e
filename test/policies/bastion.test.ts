import { CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { finding, findingsOf, testStack } from './support';

const HARDENED_USER_DATA = [
  '#!/bin/bash',
  "cat > /etc/ssh/sshd_config.d/00-hipaa-kit.conf <<'EOF'",
  'PasswordAuthentication no',
  'KbdInteractiveAuthentication no',
  'PermitRootLogin no',
  'AuthenticationMethods publickey',
  'Banner /etc/issue.net',
  'EOF',
  "echo 'readonly TMOUT=900; export TMOUT' > /etc/profile.d/00-tmout.sh",
].join('\n');

function instance(stack: Stack, props: Partial<ec2.CfnInstanceProps> = {}, id = 'Bastion') {
  return new ec2.CfnInstance(stack, id, {
    imageId: 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    keyName: 'ops-key',
    metadataOptions: { httpTokens: 'required' },
    userData: Fn.base64(HARDENED_USER_DATA),
    ...props,
  });
}

describe('EC2BastionSshdHardened', () => {
  test('compliant: key-only sshd drop-in with a banner', () => {
    const stack = testStack();
    instance(stack);
    expect(findingsOf(stack, 'EC2BastionSshdHardened')).toEqual([]);
  });

  test('compliant: hardening read from the launch template user data (already base64)', () => {
    const stack = testStack();
    const template = new ec2.CfnLaunchTemplate(stack, 'Template', {
      launchTemplateData: { userData: Buffer.from(HARDENED_USER_DATA).toString('base64') },
    });
    instance(stack, {
      userData: undefined,
      launchTemplate: { launchTemplateId: template.ref, version: template.attrLatestVersionNumber },
    });
    expect(findingsOf(stack, 'EC2BastionSshdHardened')).toEqual([]);
  });

  test('non-compliant: missing directives, a contrary value, no banner, no user data', () => {
    const stack = testStack();
    const weak = instance(stack, {
      userData: Fn.base64(
        HARDENED_USER_DATA.replace('Banner /etc/issue.net', '').concat('\nPasswordAuthentication yes'),
      ),
    });
    const bare = instance(stack, { userData: undefined }, 'Bare');
    expect(findingsOf(stack, 'EC2BastionSshdHardened')).toEqual(
      [
        finding('EC2BastionSshdHardened', weak, 'sshd::PasswordAuthentication'),
        finding('EC2BastionSshdHardened', weak, 'sshd::Banner'),
        ...[
          'PasswordAuthentication',
          'KbdInteractiveAuthentication',
          'PermitRootLogin',
          'AuthenticationMethods',
          'Banner',
        ].map((d) => finding('EC2BastionSshdHardened', bare, `sshd::${d}`)),
      ].sort(),
    );
  });

  test('intrinsic: user data joined with tokens is read from its literal parts', () => {
    const stack = testStack();
    const endpoint = new CfnParameter(stack, 'Endpoint').valueAsString;
    instance(stack, { userData: Fn.base64(Fn.join('\n', [HARDENED_USER_DATA, `echo ${endpoint}`])) });
    expect(findingsOf(stack, 'EC2BastionSshdHardened')).toEqual([]);
  });
});

describe('EC2BastionIdleLogoff', () => {
  test('compliant: readonly TMOUT=900', () => {
    const stack = testStack();
    instance(stack);
    expect(findingsOf(stack, 'EC2BastionIdleLogoff')).toEqual([]);
  });

  test('non-compliant: TMOUT not read-only, or longer than 15 minutes', () => {
    const stack = testStack();
    const writable = instance(stack, { userData: Fn.base64('export TMOUT=900') }, 'Writable');
    const long = instance(stack, { userData: Fn.base64('readonly TMOUT=3600') }, 'Long');
    expect(findingsOf(stack, 'EC2BastionIdleLogoff')).toEqual(
      [finding('EC2BastionIdleLogoff', writable), finding('EC2BastionIdleLogoff', long)].sort(),
    );
  });

  test('intrinsic: a token-only user data fails closed without crashing', () => {
    const stack = testStack();
    const bastion = instance(stack, { userData: Fn.importValue('UserData') });
    expect(findingsOf(stack, 'EC2BastionIdleLogoff')).toEqual([finding('EC2BastionIdleLogoff', bastion)]);
  });
});

describe('EC2KeyPairAndImdsv2', () => {
  test('compliant: key pair by Ref and IMDSv2 on the launch template', () => {
    const stack = testStack();
    const key = new ec2.CfnKeyPair(stack, 'Key', { keyName: 'ops', publicKeyMaterial: 'ssh-ed25519 AAAA' });
    const template = new ec2.CfnLaunchTemplate(stack, 'Template', {
      launchTemplateData: { metadataOptions: { httpTokens: 'required' } },
    });
    instance(stack, {
      keyName: key.ref,
      metadataOptions: undefined,
      launchTemplate: { launchTemplateId: template.ref, version: template.attrLatestVersionNumber },
    });
    expect(findingsOf(stack, 'EC2KeyPairAndImdsv2')).toEqual([]);
  });

  test('non-compliant: no key pair, IMDSv1 allowed', () => {
    const stack = testStack();
    const bastion = instance(stack, { keyName: undefined, metadataOptions: { httpTokens: 'optional' } });
    expect(findingsOf(stack, 'EC2KeyPairAndImdsv2')).toEqual(
      [
        finding('EC2KeyPairAndImdsv2', bastion, 'KeyName'),
        finding('EC2KeyPairAndImdsv2', bastion, 'HttpTokens'),
      ].sort(),
    );
  });

  test('intrinsic: imported key name is present; a parameter-valued HttpTokens fails closed', () => {
    const stack = testStack();
    const bastion = instance(stack, {
      keyName: Fn.importValue('KeyName'),
      metadataOptions: { httpTokens: new CfnParameter(stack, 'Tokens').valueAsString },
    });
    expect(findingsOf(stack, 'EC2KeyPairAndImdsv2')).toEqual([finding('EC2KeyPairAndImdsv2', bastion, 'HttpTokens')]);
  });
});
