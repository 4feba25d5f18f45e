import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { partitionOf } from '../core/partition';
import { hostFile, writeFileLines } from './bastion-host-files';
import { EncryptedLogGroup } from './encrypted-log-group';
import { LogPatternAlarm } from './log-pattern-alarm';

/** Fixed log group names, so the agent config in user data is a plain string and `verify` can find them. */
export function bastionLogGroupNames(resourcePrefix: string) {
  const base = `/${resourcePrefix}/bastion`;
  return {
    /** sshd and sudo lines from /var/log/secure: who, from which address, with which key fingerprint. */
    sshAuth: `${base}/ssh-auth`,
    /** auditd: every command an operator session runs (execve), and changes to keys and the kit's config. */
    commands: `${base}/commands`,
    /** One JSON line per session open and close (the kit's PAM hook); the alarms read this group. */
    sessions: `${base}/sessions`,
    /** Session Manager transcripts, written by SSM (the preferences document names this group). */
    ssmSessions: `${base}/ssm-sessions`,
  };
}
export type BastionLogGroupNames = ReturnType<typeof bastionLogGroupNames>;

export const SESSION_LOG_FILE = '/var/log/hipaa-kit/sessions.log';
export const SESSION_HOOK = '/usr/local/sbin/hipaa-kit-session-hook';
export const AUDIT_RULES_FILE = '/etc/audit/rules.d/hipaa-kit.rules';
export const AGENT_CONFIG_FILE = '/opt/aws/amazon-cloudwatch-agent/etc/hipaa-kit.json';
/** PAM services whose sessions are recorded, where the image has them. */
export const RECORDED_PAM_SERVICES = ['sshd', 'sudo', 'sudo-i', 'su', 'su-l'];

/** Alarms on the session log (JSON lines from the PAM hook). */
export const SESSION_ALARMS = [
  {
    id: 'RootSession',
    description: 'A root session was opened on the bastion (sudo or su to root)',
    pattern: '{ ($.event = "session_open") && ($.uid = 0) }',
  },
  {
    id: 'UnlistedLogin',
    description: 'A login on the bastion by a name that is not a listed operator (the break-glass ec2-user included)',
    pattern: '{ ($.event = "session_open") && ($.listed IS FALSE) && ($.uid != 0) }',
  },
] as const;

export interface BastionSessionRecordingProps {
  readonly logGroupNames: BastionLogGroupNames;
  readonly logsKey: kms.IKey;
  /** At least 2190 days (pillar P03, 164.316(b)(2)(i)). */
  readonly auditRetentionDays: number;
  /** The instance's managed policy: it gets write access to the SSH logs and the Session Manager transcripts. */
  readonly policy: iam.ManagedPolicy;
  readonly alarmTopic: sns.ITopic;
}

/**
 * Where every bastion session is recorded (pillar P03, 164.312(b)): four KMS-encrypted log groups kept for the audit
 * retention, write access for the instance's CloudWatch agent and SSM agent on exactly those groups, and alarms on a
 * root session or a login by a name that is not listed.
 */
export class BastionSessionRecording extends Construct {
  readonly logGroups: Record<keyof BastionLogGroupNames, logs.LogGroup>;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: BastionSessionRecordingProps) {
    super(scope, id);
    const group = (key: keyof BastionLogGroupNames, cid: string) =>
      new EncryptedLogGroup(this, cid, {
        logGroupName: props.logGroupNames[key],
        encryptionKey: props.logsKey,
        retentionDays: props.auditRetentionDays,
      }).logGroup;
    this.logGroups = {
      sshAuth: group('sshAuth', 'SshAuthLog'),
      commands: group('commands', 'CommandLog'),
      sessions: group('sessions', 'SessionLog'),
      ssmSessions: group('ssmSessions', 'SsmSessionLog'),
    };

    const { account, region } = Stack.of(this);
    const arnOf = (name: string) => `arn:${partitionOf(region)}:logs:${region}:${account}:log-group:${name}`;
    const names = Object.values(props.logGroupNames);
    props.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'WriteSessionLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: names.flatMap((n) => [arnOf(n), `${arnOf(n)}:log-stream:*`]),
      }),
    );
    // The SSM agent checks that the transcript group is encrypted before a session starts (DescribeLogGroups has no
    // resource-level permission, so it is granted on the groups' prefix).
    props.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'CheckSessionLogEncryption',
        actions: ['logs:DescribeLogGroups'],
        resources: [`arn:${partitionOf(region)}:logs:${region}:${account}:log-group:*`],
      }),
    );

    for (const name of names) {
      acknowledge(
        props.policy,
        `AwsSolutions::AwsSolutions-IAM5[Resource::${arnOf(name)}:log-stream:*]`,
        'Log streams are named by the instance id at run time (the CloudWatch and SSM agents create them), so streams ' +
          'are scoped to this one fixed-name bastion log group; compensating control: only stream creation and ' +
          'appending, no read or delete, on a role only this bastion instance can assume.',
      );
    }
    acknowledge(
      props.policy,
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:${partitionOf(region)}:logs:${region}:${account}:log-group:*]`,
      'logs:DescribeLogGroups has no resource-level permission (AWS service authorization reference); the SSM agent ' +
        'calls it to confirm the transcript group is encrypted before a session starts; compensating control: the ' +
        'statement grants only that read-only listing action.',
    );

    const action = new actions.SnsAction(props.alarmTopic);
    for (const spec of SESSION_ALARMS) {
      const alarm = new LogPatternAlarm(this, spec.id, {
        logGroup: this.logGroups.sessions,
        pattern: spec.pattern,
        metricNamespace: 'HipaaKit/Bastion',
        metricName: spec.id,
        alarmDescription: `Bastion: ${spec.description}. Who and from where: the ${props.logGroupNames.sessions} log group.`,
        action,
      }).alarm;
      this.alarms.push(alarm);
    }
  }
}

/** The CloudWatch agent's configuration: three files, each to its own group, one stream per instance. */
export function agentConfig(names: BastionLogGroupNames): object {
  const file = (path: string, group: string) => ({
    file_path: path,
    log_group_name: group,
    log_stream_name: '{instance_id}',
    retention_in_days: -1, // the kit sets retention on the group; the agent must not change it
  });
  return {
    agent: { run_as_user: 'root' }, // audit.log and /var/log/secure are readable by root only
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            file('/var/log/secure', names.sshAuth),
            file('/var/log/audit/audit.log', names.commands),
            file(SESSION_LOG_FILE, names.sessions),
          ],
        },
      },
    },
  };
}

/** auditd rules: every command of a logged-in person (auid set by pam_loginuid at login), and key or config edits. */
export const AUDIT_RULES = [
  '# HIPAA kit (pillar P03): every command run in a login session, with the login uid that names the person',
  '-a always,exit -F arch=b64 -S execve -F auid>=1000 -F auid!=unset -k hipaa_kit_exec',
  '-a always,exit -F arch=b32 -S execve -F auid>=1000 -F auid!=unset -k hipaa_kit_exec',
  '-w /etc/ssh/authorized_keys -p wa -k hipaa_kit_keys',
  '-w /etc/hipaa-kit -p wa -k hipaa_kit_config',
  '-w /etc/sudoers -p wa -k hipaa_kit_sudoers',
  '-w /etc/sudoers.d -p wa -k hipaa_kit_sudoers',
];

/**
 * User-data lines: install the agent, rsyslog (AL2023 keeps auth logs in the journal only) and auditd; the PAM hook
 * on sshd, sudo and su; the audit rules; and start the agent with the kit's config. Runs before sshd is restarted.
 */
export function sessionRecordingScript(names: BastionLogGroupNames): string[] {
  return [
    'dnf install -y -q amazon-cloudwatch-agent rsyslog audit',
    'systemctl enable --now rsyslog auditd',
    'install -d -m 0700 /var/log/hipaa-kit',
    ...writeFileLines(SESSION_HOOK, hostFile('hipaa-kit-session-hook.sh'), '0755'),
    ...writeFileLines(
      '/usr/local/sbin/hipaa-kit-shipper-alive',
      '#!/bin/bash\n# The session hook refuses operator sessions while this fails: nothing would ship their record.\nexec systemctl is-active --quiet amazon-cloudwatch-agent',
      '0755',
    ),
    `for service in ${RECORDED_PAM_SERVICES.join(' ')}; do`,
    '  pam="/etc/pam.d/$service"',
    `  if [[ -f "$pam" ]] && ! grep -q '${SESSION_HOOK}' "$pam"; then`,
    `    echo 'session required pam_exec.so stdout ${SESSION_HOOK}' >> "$pam"`,
    '  fi',
    'done',
    'install -d -m 0750 /etc/audit/rules.d',
    ...writeFileLines(AUDIT_RULES_FILE, AUDIT_RULES.join('\n'), '0600'),
    'augenrules --load',
    'install -d -m 0755 /opt/aws/amazon-cloudwatch-agent/etc',
    ...writeFileLines(AGENT_CONFIG_FILE, JSON.stringify(agentConfig(names), null, 2), '0644'),
    `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${AGENT_CONFIG_FILE}`,
  ];
}
