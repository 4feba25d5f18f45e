import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { BastionOperator } from '../core/config';
import { partitionOf } from '../core/partition';
import { BastionOperators, NAMED_LOGIN_SSHD_SETTINGS, operatorAccessScript } from './bastion-operators';
import { BastionLogGroupNames, BastionSessionRecording, sessionRecordingScript } from './bastion-session-recording';

export interface KeyOnlyBastionProps {
  readonly vpc: ec2.IVpc;
  /** Must support the VPC's tenancy (t3 and larger families with dedicated tenancy). */
  readonly instanceType: ec2.InstanceType;
  /** The only sources allowed to reach port 22. Never 0.0.0.0/0 or ::/0. */
  readonly adminCidrs: string[];
  /** The operator's OpenSSH public key, imported so the private key never reaches AWS. @default - EC2 creates a key pair and keeps its private key in SSM Parameter Store (`/ec2/keypair/<key-pair-id>`) */
  readonly sshPublicKey?: string;
  /** CMK for the root volume. */
  readonly volumeKey: kms.IKey;
  /** Pre-login warning banner (pillar P15). */
  readonly bannerText: string;
  /** Let operators in through SSM Session Manager as well. @default false */
  readonly ssmSessionManager?: boolean;
  /** Idle shell logout, in seconds (pillar P14). @default 900 */
  readonly idleTimeoutSeconds?: number;
  /** Root volume size. @default 8 GiB (the AL2023 image size) */
  readonly rootVolumeGiB?: number;
  /** The named people who log in (pillar P02), and the SSM parameter their roster lives in. */
  readonly operators: { readonly list: BastionOperator[]; readonly rosterParameterName: string };
  /** Where every session is recorded (pillar P03). */
  readonly recording: {
    readonly logGroupNames: BastionLogGroupNames;
    readonly logsKey: kms.IKey;
    readonly retentionDays: number;
    readonly alarmTopic: sns.ITopic;
    /**
     * Where Session Manager also puts each finished transcript: the audit bucket (Object Lock) under its own prefix,
     * encrypted with the bucket's key. Used only with `ssmSessionManager`.
     */
    readonly transcriptCopy: { readonly bucket: s3.IBucket; readonly bucketKey: kms.IKey; readonly prefix: string };
  };
}

/** Where the hardening lands on the instance; a drop-in loaded before the distro's files, and first value wins. */
export const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/00-hipaa-kit.conf';
export const BANNER_FILE = '/etc/issue.net';
export const TMOUT_FILE = '/etc/profile.d/00-tmout.sh';

/** The sshd settings the bastion enforces, verified against `sshd -T` after `sshd -t` (pillar P11). */
export const SSHD_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['PasswordAuthentication', 'no'],
  ['KbdInteractiveAuthentication', 'no'],
  ['PermitRootLogin', 'no'],
  ['AuthenticationMethods', 'publickey'],
  ['PubkeyAuthentication', 'yes'],
  ['PermitEmptyPasswords', 'no'],
  ['Banner', BANNER_FILE],
  ['MaxAuthTries', '3'],
  ['LoginGraceTime', '30'],
  ['X11Forwarding', 'no'],
  ['AllowAgentForwarding', 'no'], // use ProxyJump; agent forwarding exposes keys to the bastion's root
  ['LogLevel', 'VERBOSE'], // logs the key fingerprint of every login (pillar P03)
  ...NAMED_LOGIN_SSHD_SETTINGS, // own key file per person, only operators and break-glass may log in (pillar P02)
];

const LIST_KEYWORDS = new Set(['AllowGroups', 'AllowUsers', 'DenyGroups', 'DenyUsers']);

/**
 * A key-only SSH bastion: Amazon Linux 2023 (latest image at launch), IMDSv2 only, CMK-encrypted root volume,
 * termination protection and detailed monitoring, in a public subnet behind a security group that admits port 22
 * from the admin CIDRs only and lets out only HTTPS and whatever the caller allows (the database port).
 * User data hardens sshd, validates it with `sshd -t` and the effective `sshd -T`, and only then restarts it.
 */
export class KeyOnlyBastion extends Construct implements ec2.IConnectable {
  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly keyPair: ec2.KeyPair;
  readonly role: iam.Role;
  readonly connections: ec2.Connections;
  /**
   * Session Manager preferences for this bastion (idle timeout, shell TMOUT, no run-as), when Session Manager is on.
   * Operators start sessions with `--document-name` set to it.
   */
  readonly sessionDocument?: ssm.CfnDocument;
  readonly operators: BastionOperators;
  readonly recording: BastionSessionRecording;
  readonly hostPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: KeyOnlyBastionProps) {
    super(scope, id);
    if (props.adminCidrs.length === 0) throw new Error('KeyOnlyBastion: give at least one admin CIDR for port 22');
    const idleTimeout = props.idleTimeoutSeconds ?? 900;

    const publicKey = props.sshPublicKey?.trim();
    if (publicKey && !/^(ssh-ed25519|ssh-rsa) /.test(publicKey)) {
      throw new Error('KeyOnlyBastion: EC2 imports only ssh-ed25519 and ssh-rsa public keys; give one of those');
    }
    // Imported keys take their type from the material; a created key is ed25519.
    this.keyPair = publicKey
      ? new ec2.KeyPair(this, 'KeyPair', { publicKeyMaterial: publicKey })
      : new ec2.KeyPair(this, 'KeyPair', { type: ec2.KeyPairType.ED25519 });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Key-only SSH bastion: 22 from admin CIDRs only; out only HTTPS and the database port',
      allowAllOutbound: false,
    });
    for (const cidr of props.adminCidrs) {
      const peer = cidr.includes(':') ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr);
      this.securityGroup.addIngressRule(peer, ec2.Port.tcp(22), `SSH from admin CIDR ${cidr}`);
    }
    // OS updates, SSM and the AWS APIs; the endpoints answer most of it inside the VPC.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS for OS updates and AWS APIs');
    this.connections = this.securityGroup.connections;

    this.role = new iam.Role(this, 'Role', {
      description: 'SSH bastion instance role: its operator roster, its session logs and Session Manager when enabled',
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    });
    // One customer-managed policy for what the host itself does (no inline policies, pillar rule IAMNoInlinePolicies).
    this.hostPolicy = new iam.ManagedPolicy(this, 'HostPolicy', {
      description: 'Bastion host: read its operator roster, write its session logs and transcripts',
      roles: [this.role],
    });
    this.operators = new BastionOperators(this, 'Operators', {
      operators: props.operators.list,
      rosterParameterName: props.operators.rosterParameterName,
      policy: this.hostPolicy,
    });
    this.recording = new BastionSessionRecording(this, 'SessionRecording', {
      logGroupNames: props.recording.logGroupNames,
      logsKey: props.recording.logsKey,
      auditRetentionDays: props.recording.retentionDays,
      policy: this.hostPolicy,
      alarmTopic: props.recording.alarmTopic,
    });
    if (props.ssmSessionManager) {
      this.allowSessionManager();
      this.allowTranscriptCopy(props.recording.transcriptCopy);
      this.sessionDocument = this.sessionPreferences(idleTimeout, props.recording);
    }

    const cpuType =
      props.instanceType.architecture === ec2.InstanceArchitecture.ARM_64
        ? ec2.AmazonLinuxCpuType.ARM_64
        : ec2.AmazonLinuxCpuType.X86_64;
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      ...hardeningScript(props.bannerText, idleTimeout, [
        ...sessionRecordingScript(props.recording.logGroupNames),
        ...operatorAccessScript(props.operators.rosterParameterName, Stack.of(this).region),
      ]),
    );

    // The latest AL2023 image, resolved by EC2 at launch rather than by CloudFormation at every deploy, so a new
    // AL2023 release does not replace (and, with termination protection, wedge) the running bastion. EC2 documents
    // `resolve:ssm:` for launch templates, so the image id lives in a minimal one.
    const machineImage = ec2.MachineImage.resolveSsmParameterAtLaunch(
      ec2.AmazonLinux2023ImageSsmParameter.ssmParameterName({ cpuType }),
      { os: ec2.OperatingSystemType.LINUX, userData },
    );
    const launchTemplate = new ec2.CfnLaunchTemplate(this, 'ImageTemplate', {
      launchTemplateData: {
        imageId: machineImage.getImage(this).imageId,
        metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled' },
      },
    });

    this.instance = new ec2.Instance(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      associatePublicIpAddress: true,
      instanceType: props.instanceType,
      machineImage,
      userData,
      userDataCausesReplacement: true, // user data runs once per instance; a changed hardening needs a new one
      keyPair: this.keyPair,
      securityGroup: this.securityGroup,
      role: this.role,
      httpTokens: ec2.HttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      disableApiTermination: true,
      ebsOptimized: true,
      propagateTagsToVolumeOnCreation: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB ?? 8, {
            encrypted: true,
            kmsKey: props.volumeKey,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.instance.instance.launchTemplate = {
      launchTemplateId: launchTemplate.ref,
      version: launchTemplate.attrLatestVersionNumber,
    };
    this.instance.instance.addPropertyDeletionOverride('ImageId');
    // The subnet already fixes the zone; a literal zone name here is redundant (and CloudFormation-Validate W3010).
    this.instance.instance.addPropertyDeletionOverride('AvailabilityZone');

    const publicIp =
      'Design decision: the SSH bastion sits in a public subnet with a public IP so admins can reach private resources; compensating controls: security group allows 22 only from the admin CIDRs, the public NACL mirrors it, sshd accepts public keys only (no passwords, no root), IMDSv2 only';
    const cfnInstance = this.instance.instance;
    acknowledge(cfnInstance, 'HIPAA.Security::HIPAA.Security-EC2InstanceNoPublicIp', publicIp);
    acknowledge(cfnInstance, 'NIST.800.53.R5::NIST.800.53.R5-EC2InstanceNoPublicIp', publicIp);
    // With associatePublicIpAddress the subnet moves into NetworkInterfaces, which the rule does not read.
    const inVpc =
      'False positive: the instance is in the VPC public subnet via its NetworkInterfaces (set because associatePublicIpAddress is used); the rule only reads the top-level SubnetId; security group and NACL still apply';
    acknowledge(cfnInstance, 'HIPAA.Security::HIPAA.Security-EC2InstancesInVPC', inVpc);
    acknowledge(cfnInstance, 'NIST.800.53.R5::NIST.800.53.R5-EC2InstancesInVPC', inVpc);
  }

  /**
   * A Session document with the kit's preferences. The account-wide `SSM-SessionManagerRunShell` is left alone
   * (creating it fails where it already exists). Transcripts are streamed to a KMS-encrypted log group kept for the
   * audit retention, and each finished one is also copied to the audit bucket (Object Lock, so an administrator who
   * can delete log groups still cannot erase it); with `cloudWatchEncryptionEnabled` and `s3EncryptionEnabled`,
   * Session Manager starts no session whose destinations are not encrypted. A transcript can hold PHI (an admin psql
   * session), so both destinations are PHI-grade (CMK, audit retention).
   */
  private sessionPreferences(idleTimeoutSeconds: number, recording: KeyOnlyBastionProps['recording']): ssm.CfnDocument {
    return new ssm.CfnDocument(this, 'SessionPreferences', {
      documentType: 'Session',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      content: {
        schemaVersion: '1.0',
        description:
          'HIPAA kit bastion sessions: recorded to an encrypted log group (P03), 15-minute idle logoff (P14), no run-as',
        sessionType: 'Standard_Stream',
        inputs: {
          idleSessionTimeout: String(Math.max(1, Math.round(idleTimeoutSeconds / 60))),
          maxSessionDuration: '480',
          runAsEnabled: false,
          shellProfile: { linux: `readonly TMOUT=${idleTimeoutSeconds}; export TMOUT`, windows: '' },
          cloudWatchLogGroupName: recording.logGroupNames.ssmSessions,
          cloudWatchEncryptionEnabled: true,
          cloudWatchStreamingEnabled: true,
          s3BucketName: recording.transcriptCopy.bucket.bucketName,
          s3KeyPrefix: recording.transcriptCopy.prefix,
          s3EncryptionEnabled: true,
        },
      },
    });
  }

  /**
   * What the SSM agent needs to copy a finished transcript to the audit bucket (AWS "custom instance profile for
   * Session Manager", S3 output): write under the transcript prefix only, read the bucket's encryption setting (the
   * agent checks it before a session starts), and use the bucket's key to encrypt. No read, list or delete.
   */
  private allowTranscriptCopy(copy: KeyOnlyBastionProps['recording']['transcriptCopy']) {
    this.hostPolicy.addStatements(
      new iam.PolicyStatement({
        sid: 'CopyTranscriptsToAuditBucket',
        actions: ['s3:PutObject'],
        resources: [copy.bucket.arnForObjects(`${copy.prefix}/*`)],
      }),
      new iam.PolicyStatement({
        sid: 'CheckAuditBucketEncryption',
        actions: ['s3:GetEncryptionConfiguration'],
        resources: [copy.bucket.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'EncryptTranscriptCopies',
        actions: ['kms:GenerateDataKey'],
        resources: [copy.bucketKey.keyArn],
        // Only for S3 requests to this bucket, not for anything else the key protects.
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    // cdk-nag names a resource it cannot flatten by its JSON; the bucket name here is a plain Fn::GetStackOutput.
    const bucket = JSON.stringify(Stack.of(this).resolve(copy.bucket.bucketName));
    acknowledge(
      this.hostPolicy,
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:${partitionOf(Stack.of(this).region)}:s3:::${bucket}/${copy.prefix}/*]`,
      'Session Manager names each transcript object by its session id at run time; compensating control: PutObject ' +
        'only, under the transcript prefix of the Object Lock audit bucket, on a role only this bastion can assume.',
    );
  }

  /**
   * The minimum Session Manager needs on the instance (AWS "custom instance profile for Session Manager"),
   * as a customer-managed policy instead of the broader AmazonSSMManagedInstanceCore.
   */
  private allowSessionManager() {
    const { account, region } = Stack.of(this);
    const partition = partitionOf(region);
    const policy = new iam.ManagedPolicy(this, 'SessionManagerPolicy', {
      description: 'Lets the SSM agent on the bastion register and carry Session Manager sessions',
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'RegisterWithSsm',
          actions: ['ssm:UpdateInstanceInformation'],
          resources: [`arn:${partition}:ec2:${region}:${account}:instance/*`],
        }),
        new iam.PolicyStatement({
          sid: 'SessionChannels',
          actions: [
            'ssmmessages:CreateControlChannel',
            'ssmmessages:CreateDataChannel',
            'ssmmessages:OpenControlChannel',
            'ssmmessages:OpenDataChannel',
          ],
          resources: ['*'],
        }),
      ],
    });
    acknowledge(
      policy,
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'ssmmessages channel actions support no resource-level permissions (AWS service authorization reference), so * is the only valid resource; compensating control: four channel actions only, on a role that only this bastion instance can use',
    );
    acknowledge(
      policy,
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:${partition}:ec2:${region}:${account}:instance/*]`,
      'The instance id cannot be named without a role-instance dependency cycle; compensating control: the role is only assumable by EC2 through this bastion instance profile and the action only registers the calling instance',
    );
  }
}

/** The user-data lines: write the hardening, validate it, and only then restart sshd. Fails loudly otherwise. */
export function hardeningScript(bannerText: string, idleTimeoutSeconds: number, setup: string[] = []): string[] {
  const banner = Buffer.from(bannerText.endsWith('\n') ? bannerText : `${bannerText}\n`, 'utf8').toString('base64');
  // sshd -T prints a list-valued keyword (AllowGroups) once per value.
  const expected = SSHD_SETTINGS.flatMap(([k, v]) =>
    LIST_KEYWORDS.has(k) ? v.split(' ').map((item) => `${k.toLowerCase()} ${item}`) : [`${k.toLowerCase()} ${v}`],
  );
  return [
    'set -euo pipefail',
    'fail() { echo "hipaa-kit: bastion hardening FAILED: $*" | tee /dev/console >&2; exit 1; }',
    'trap \'fail "command failed at line $LINENO"\' ERR',
    ...setup, // accounts, groups and session recording, in place before sshd admits anyone
    'install -d -m 0755 /etc/ssh/sshd_config.d',
    `cat > ${SSHD_DROP_IN} <<'HIPAA_KIT_SSHD'`,
    '# HIPAA kit (pillars P11, P15): key-only SSH. Loaded first, so these values win over later files.',
    ...SSHD_SETTINGS.map(([k, v]) => `${k} ${v}`),
    'HIPAA_KIT_SSHD',
    `chmod 0600 ${SSHD_DROP_IN}`,
    // base64 so any banner text survives the shell untouched
    `echo '${banner}' | base64 -d > ${BANNER_FILE}`,
    `chmod 0644 ${BANNER_FILE}`,
    `cat > ${TMOUT_FILE} <<'HIPAA_KIT_TMOUT'`,
    '# HIPAA kit (pillar P14): log idle shells off; readonly so a user cannot lift it.',
    `readonly TMOUT=${idleTimeoutSeconds}; export TMOUT`,
    'HIPAA_KIT_TMOUT',
    `chmod 0644 ${TMOUT_FILE}`,
    '/usr/sbin/sshd -t || fail "sshd -t rejected the configuration; sshd was NOT restarted"',
    'effective="$(/usr/sbin/sshd -T)"',
    ...expected.map(
      (line) => `grep -qix '${line}' <<<"$effective" || fail "sshd does not enforce '${line}'; sshd was NOT restarted"`,
    ),
    'systemctl restart sshd',
    'echo "hipaa-kit: bastion hardening applied and sshd restarted" | tee /dev/console',
  ];
}
