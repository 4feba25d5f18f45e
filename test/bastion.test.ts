import { spawnSync } from 'node:child_process';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { bastionLogGroupNames } from '../constructs/bastion-session-recording';
import { KeyOnlyBastion, SSHD_DROP_IN, TMOUT_FILE } from '../constructs/key-only-bastion';
import { buildTestKit, testConfig } from './support/kit';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resource = { Properties: Record<string, any> };

const config = testConfig();

function only(template: Template, type: string): Resource {
  const found = Object.values(template.findResources(type) as Record<string, Resource>);
  expect(found).toHaveLength(1);
  return found[0];
}

function userDataOf(template: Template): string {
  const script = only(template, 'AWS::EC2::Instance').Properties.UserData['Fn::Base64'];
  expect(typeof script).toBe('string'); // concrete: nothing is resolved at deploy time
  return script as string;
}

describe('BastionStack (example profile)', () => {
  const kit = buildTestKit();
  const template = Template.fromStack(kit.bastion!);
  const instance = only(template, 'AWS::EC2::Instance').Properties;

  test('a termination-protected, detail-monitored, IMDSv2-only instance of the configured type', () => {
    expect(instance.InstanceType).toBe('t3.micro');
    expect(instance.DisableApiTermination).toBe(true);
    expect(instance.Monitoring).toBe(true);
    expect(instance.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(instance.IamInstanceProfile).toBeDefined();
  });

  test('Amazon Linux 2023, resolved by EC2 at launch through a launch template (no per-deploy AMI swap)', () => {
    expect(instance.ImageId).toBeUndefined();
    const lt = only(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData;
    expect(lt.ImageId).toBe('resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
    expect(lt.MetadataOptions.HttpTokens).toBe('required');
    expect(instance.LaunchTemplate.LaunchTemplateId).toEqual({ Ref: expect.stringMatching(/ImageTemplate/) });
  });

  test('the root volume is gp3, encrypted with the data CMK', () => {
    expect(instance.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: expect.objectContaining({ Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true }),
      },
    ]);
    expect(JSON.stringify(instance.BlockDeviceMappings[0].Ebs.KmsKeyId)).toMatch(/DataKey/);
  });

  test('sits in a public subnet with an explicitly requested public IP, behind its own security group', () => {
    expect(instance.AvailabilityZone).toBeUndefined(); // the subnet decides; no literal zone name
    expect(instance.NetworkInterfaces).toHaveLength(1);
    expect(instance.NetworkInterfaces[0].AssociatePublicIpAddress).toBe(true);
    expect(JSON.stringify(instance.NetworkInterfaces[0].SubnetId)).toMatch(/PublicSubnet/);
    expect(instance.NetworkInterfaces[0].GroupSet).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/KeyOnlyBastionSecurityGroup/), 'GroupId'] },
    ]);
  });

  test('outputs the address and instance an operator connects to, and no key parameter for an imported key', () => {
    template.hasOutput('BastionPublicIp', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeyOnlyBastion'), 'PublicIp'] },
    });
    template.hasOutput('BastionInstanceId', {});
    expect(template.findOutputs('BastionPrivateKeyParameter')).toEqual({});
  });

  test('the key pair is imported from the operator public key (the private key never reaches AWS)', () => {
    const keyPair = only(template, 'AWS::EC2::KeyPair').Properties;
    expect(keyPair.PublicKeyMaterial).toBe(config.bastion.sshPublicKey);
    expect(instance.KeyName).toEqual({ Ref: expect.stringMatching(/KeyPair/) });
  });

  test('security group: SSH only from the admin CIDRs; egress only HTTPS and nothing else inline', () => {
    const sg = only(template, 'AWS::EC2::SecurityGroup').Properties;
    expect(sg.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: '203.0.113.0/28', IpProtocol: 'tcp', FromPort: 22, ToPort: 22 }),
    ]);
    expect(sg.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
  });

  test('the database port is open from the bastion to the database security group only, both rules in this stack', () => {
    const egress = only(template, 'AWS::EC2::SecurityGroupEgress').Properties;
    expect(egress).toMatchObject({ IpProtocol: 'tcp', FromPort: 5532, ToPort: 5532 });
    expect(egress.DestinationSecurityGroupId).toBeDefined();
    expect(egress.CidrIp).toBeUndefined();
    const ingress = only(template, 'AWS::EC2::SecurityGroupIngress').Properties;
    expect(ingress).toMatchObject({ IpProtocol: 'tcp', FromPort: 5532, ToPort: 5532 });
    expect(ingress.SourceSecurityGroupId).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/KeyOnlyBastionSecurityGroup/), 'GroupId'],
    });
  });

  test('the stateful Data stack never depends on the bastion', () => {
    expect(kit.data.dependencies).not.toContain(kit.bastion);
    expect(JSON.stringify(Template.fromStack(kit.data).toJSON())).not.toMatch(/Bastion/);
  });

  test('Session Manager uses a least-privilege customer-managed policy, not AmazonSSMManagedInstanceCore', () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/AmazonSSMManagedInstanceCore/);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy') as Record<string, Resource>).find(
      (p) => /Session Manager/.test(p.Properties.Description),
    )!.Properties;
    const actions = policy.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action);
    expect(actions.sort()).toEqual(
      [
        'ssm:UpdateInstanceInformation',
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ].sort(),
    );
    expect(actions.some((a: string) => a.endsWith('*'))).toBe(false);
  });

  test('Session Manager sessions get a kit document: 15-minute idle timeout, no run-as, read-only TMOUT', () => {
    const doc = only(template, 'AWS::SSM::Document').Properties;
    expect(doc.DocumentType).toBe('Session');
    expect(doc.Content.inputs).toMatchObject({
      idleSessionTimeout: '15',
      runAsEnabled: false,
      shellProfile: { linux: 'readonly TMOUT=900; export TMOUT' },
    });
    // Transcripts are recorded (issue 16): bastion-operators.test.ts pins where and how.
    expect(doc.Content.inputs.cloudWatchLogGroupName).toBe('/hipaa-kit-example/bastion/ssm-sessions');
    template.hasOutput('BastionSessionDocument', {});
  });

  describe('user data', () => {
    const script = userDataOf(template);
    const lines = script.split('\n');

    test('is valid bash that stops at the first error', () => {
      expect(lines[0]).toBe('#!/bin/bash');
      expect(lines).toContain('set -euo pipefail');
      const check = spawnSync('bash', ['-n'], { input: script });
      expect(check.stderr.toString()).toBe('');
      expect(check.status).toBe(0);
    });

    test('writes the sshd drop-in with key-only settings and the banner', () => {
      const start = lines.indexOf(`cat > ${SSHD_DROP_IN} <<'HIPAA_KIT_SSHD'`);
      const end = lines.indexOf('HIPAA_KIT_SSHD');
      expect(start).toBeGreaterThan(0);
      const dropIn = lines.slice(start + 1, end);
      expect(dropIn).toEqual(
        expect.arrayContaining([
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin no',
          'AuthenticationMethods publickey',
          'Banner /etc/issue.net',
        ]),
      );
      expect(SSHD_DROP_IN).toMatch(/^\/etc\/ssh\/sshd_config\.d\/00-/); // first file read, first value wins
    });

    test('writes the configured banner to /etc/issue.net', () => {
      const line = lines.find((l) => l.endsWith('| base64 -d > /etc/issue.net'))!;
      const encoded = /^echo '([A-Za-z0-9+/=]+)'/.exec(line)![1];
      expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe(`${config.service.bannerText}\n`);
    });

    test('sets a read-only 15-minute TMOUT for every login shell', () => {
      expect(lines).toContain(`cat > ${TMOUT_FILE} <<'HIPAA_KIT_TMOUT'`);
      expect(lines).toContain('readonly TMOUT=900; export TMOUT');
    });

    test('validates with sshd -t and the effective sshd -T before restarting sshd, and fails loudly otherwise', () => {
      const validate = lines.findIndex((l) => l.startsWith('/usr/sbin/sshd -t ||'));
      const effective = lines.findIndex((l) => l.includes("grep -qix 'passwordauthentication no'"));
      const restart = lines.indexOf('systemctl restart sshd');
      expect(validate).toBeGreaterThan(0);
      expect(effective).toBeGreaterThan(validate);
      expect(restart).toBeGreaterThan(effective);
      expect(lines[validate]).toMatch(/\|\| fail /);
      expect(lines.filter((l) => l.includes('systemctl restart sshd'))).toHaveLength(1);
    });
  });
});

describe('BastionStack (config variations)', () => {
  test('without a public key, EC2 creates an ed25519 key pair', () => {
    const template = Template.fromStack(buildTestKit({ bastion: { sshPublicKey: null } }).bastion!);
    const keyPair = only(template, 'AWS::EC2::KeyPair').Properties;
    expect(keyPair.PublicKeyMaterial).toBeUndefined();
    expect(keyPair.KeyType).toBe('ed25519');
    const output = template.findOutputs('BastionPrivateKeyParameter');
    expect(JSON.stringify(output)).toMatch(/\/ec2\/keypair\//);
    expect(JSON.stringify(output)).toMatch(/KeyPairId/);
  });

  test('without Session Manager, the instance role has only its host policy (roster, session logs)', () => {
    const template = Template.fromStack(buildTestKit({ bastion: { ssmSessionManager: false } }).bastion!);
    template.resourceCountIs('AWS::SSM::Document', 0);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const role = only(template, 'AWS::IAM::Role').Properties;
    expect(role.Policies).toBeUndefined();
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy') as Record<string, Resource>);
    const hostPolicies = policies.filter((p) =>
      JSON.stringify(p.Properties.Roles ?? []).includes('KeyOnlyBastionRole'),
    );
    expect(hostPolicies).toHaveLength(1);
    const actions = hostPolicies[0].Properties.PolicyDocument.Statement.flatMap(
      (s: { Action: string | string[] }) => s.Action,
    );
    expect(actions.some((a: string) => a.startsWith('ssmmessages:') || a.startsWith('s3:'))).toBe(false);
  });

  test('a disabled bastion builds no stack', () => {
    expect(buildTestKit({ bastion: { enabled: false } }).bastion).toBeUndefined();
  });

  test('an ARM instance type gets the arm64 image', () => {
    const template = Template.fromStack(buildTestKit({ bastion: { instanceType: 'm7g.medium' } }).bastion!);
    const lt = only(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData;
    expect(lt.ImageId).toBe('resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
  });

  test('every admin CIDR gets its own SSH rule', () => {
    const template = Template.fromStack(
      buildTestKit({ adminCidrs: ['203.0.113.0/28', '198.51.100.7/32', '2001:db8::/48'] }).bastion!,
    );
    const sg = only(template, 'AWS::EC2::SecurityGroup').Properties;
    expect(sg.SecurityGroupIngress.map((r: { CidrIp?: string; CidrIpv6?: string }) => r.CidrIp ?? r.CidrIpv6)).toEqual([
      '203.0.113.0/28',
      '198.51.100.7/32',
      '2001:db8::/48',
    ]);
    for (const rule of sg.SecurityGroupIngress) expect([rule.FromPort, rule.ToPort]).toEqual([22, 22]);
  });

  describe('construct guards', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'] });
    const volumeKey = new kms.Key(stack, 'Key');
    const base = {
      vpc,
      volumeKey,
      instanceType: new ec2.InstanceType('t3.micro'),
      bannerText: 'Authorized use only',
      adminCidrs: ['203.0.113.0/28'],
      operators: { list: config.bastion.operators, rosterParameterName: '/t/bastion/operators' },
      recording: {
        logGroupNames: bastionLogGroupNames('t'),
        logsKey: volumeKey,
        retentionDays: 2192,
        alarmTopic: new sns.Topic(stack, 'Topic'),
        transcriptCopy: { bucket: new s3.Bucket(stack, 'Audit'), bucketKey: volumeKey, prefix: 't' },
      },
    };

    test('refuses an ECDSA key, which EC2 cannot import', () => {
      expect(
        () => new KeyOnlyBastion(stack, 'Ecdsa', { ...base, sshPublicKey: 'ecdsa-sha2-nistp256 AAAAE2VjZHNh x@y' }),
      ).toThrow(/ssh-ed25519 and ssh-rsa/);
    });

    test('refuses to open SSH without admin CIDRs', () => {
      expect(() => new KeyOnlyBastion(stack, 'NoCidrs', { ...base, adminCidrs: [] })).toThrow(/admin CIDR/);
    });
  });
});
