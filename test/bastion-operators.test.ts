import { Template } from 'aws-cdk-lib/assertions';
import { AGENT_CONFIG_FILE, AUDIT_RULES_FILE, SESSION_ALARMS } from '../constructs/bastion-session-recording';
import { SSHD_DROP_IN } from '../constructs/key-only-bastion';
import { buildTestKit, testConfig } from './support/kit';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resource = { Properties: Record<string, any> };
const config = testConfig();
const kit = buildTestKit();
const template = Template.fromStack(kit.bastion!);
const all = (type: string) => Object.values(template.findResources(type) as Record<string, Resource>);
const userData: string = all('AWS::EC2::Instance')[0].Properties.UserData['Fn::Base64'];
const lines = userData.split('\n');
const prefix = '/hipaa-kit-example/bastion';

describe('named operators (issue 16, P02)', () => {
  test('the roster parameter lists each operator with their last day and key, and nothing else', () => {
    const [roster] = all('AWS::SSM::Parameter');
    expect(roster.Properties.Name).toBe(`${prefix}/operators`);
    expect(roster.Properties.Value.split('\n')).toEqual(
      config.bastion.operators.map(
        (op) => `${op.name} ${op.expires ?? '-'} ${op.sshPublicKey.split(' ').slice(0, 2).join(' ')}`,
      ),
    );
  });

  test('the user data installs the operator program and timer, adopts break-glass, and applies the roster', () => {
    expect(lines).toContain("ROSTER_PARAMETER='/hipaa-kit-example/bastion/operators'");
    expect(lines).toContain('/usr/local/sbin/hipaa-kit-operators init');
    expect(lines.some((l) => l.startsWith('/usr/local/sbin/hipaa-kit-operators sync ||'))).toBe(true);
    expect(lines).toContain('OnUnitActiveSec=15min');
    expect(lines).toContain('systemctl enable --now hipaa-kit-operators.timer');
  });

  test('sshd reads keys only from root-owned files and admits only the operator and break-glass groups', () => {
    const dropIn = lines.slice(lines.indexOf(`cat > ${SSHD_DROP_IN} <<'HIPAA_KIT_SSHD'`));
    expect(dropIn).toContain('AuthorizedKeysFile /etc/ssh/authorized_keys/%u');
    expect(dropIn).toContain('AllowGroups hipaa-operators hipaa-break-glass');
    expect(dropIn).toContain('UsePAM yes');
    expect(lines).toContain(
      'grep -qix \'allowgroups hipaa-operators\' <<<"$effective" || fail "sshd does not enforce \'allowgroups hipaa-operators\'; sshd was NOT restarted"',
    );
  });

  test('the host reads only its own roster parameter', () => {
    const host = all('AWS::IAM::ManagedPolicy').find((p) => /Bastion host/.test(p.Properties.Description))!;
    const read = host.Properties.PolicyDocument.Statement.find((s: { Sid: string }) => s.Sid === 'ReadOperatorRoster');
    expect(read.Action).toBe('ssm:GetParameter');
    expect(read.Resource).toBe(`arn:aws:ssm:us-east-1:123456789012:parameter${prefix}/operators`);
  });
});

describe('every session recorded (issue 16, P03)', () => {
  test('four log groups, each under the logs CMK with at least the audit retention', () => {
    const groups = all('AWS::Logs::LogGroup');
    expect(groups.map((g) => g.Properties.LogGroupName).sort()).toEqual(
      ['commands', 'sessions', 'ssh-auth', 'ssm-sessions'].map((n) => `${prefix}/${n}`),
    );
    for (const g of groups) {
      expect(g.Properties.RetentionInDays).toBe(2192); // the first CloudWatch value >= 2190
      expect(JSON.stringify(g.Properties.KmsKeyId)).toMatch(/LogsKey/);
    }
  });

  test('the CloudWatch agent ships auth, audit and session files to their groups', () => {
    const start = lines.indexOf(`cat > ${AGENT_CONFIG_FILE} <<'HIPAA_KIT_FILE'`);
    const json = JSON.parse(lines.slice(start + 1, lines.indexOf('HIPAA_KIT_FILE', start)).join('\n'));
    expect(
      json.logs.logs_collected.files.collect_list.map((f: { file_path: string; log_group_name: string }) => [
        f.file_path,
        f.log_group_name,
      ]),
    ).toEqual([
      ['/var/log/secure', `${prefix}/ssh-auth`],
      ['/var/log/audit/audit.log', `${prefix}/commands`],
      ['/var/log/hipaa-kit/sessions.log', `${prefix}/sessions`],
    ]);
    expect(
      lines.some((l) =>
        l.includes(`amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${AGENT_CONFIG_FILE}`),
      ),
    ).toBe(true);
  });

  test('auditd records every command of a login session; PAM records and gates every session', () => {
    expect(lines).toContain(`cat > ${AUDIT_RULES_FILE} <<'HIPAA_KIT_FILE'`);
    expect(lines).toContain('-a always,exit -F arch=b64 -S execve -F auid>=1000 -F auid!=unset -k hipaa_kit_exec');
    expect(lines).toContain(
      '    echo \'session required pam_exec.so stdout /usr/local/sbin/hipaa-kit-session-hook\' >> "$pam"',
    );
  });

  test('the Session Manager document streams encrypted transcripts to its log group and copies them to the audit bucket', () => {
    const [doc] = all('AWS::SSM::Document');
    const auditBucketName = {
      'Fn::GetStackOutput': { StackName: kit.audit.stackName, Region: 'us-east-1', OutputName: 'AuditBucketName' },
    };
    expect(doc.Properties.Content.inputs).toMatchObject({
      cloudWatchLogGroupName: `${prefix}/ssm-sessions`,
      cloudWatchEncryptionEnabled: true,
      cloudWatchStreamingEnabled: true,
      s3BucketName: auditBucketName,
      s3KeyPrefix: 'session-manager/bastion',
      s3EncryptionEnabled: true,
      runAsEnabled: false,
    });
    // The Audit stack's output is the bucket itself.
    expect(Template.fromStack(kit.audit).toJSON().Outputs.AuditBucketName.Value).toEqual({ Ref: expect.any(String) });
    expect(kit.bastion!.dependencies).toContain(kit.audit);
  });

  test('the host may only add transcripts under their prefix, encrypted with the audit key through S3', () => {
    const [host] = all('AWS::IAM::ManagedPolicy').filter((p) => p.Properties.Description?.startsWith('Bastion host'));
    const bySid = (sid: string) => host.Properties.PolicyDocument.Statement.find((s: { Sid: string }) => s.Sid === sid);
    expect(bySid('CopyTranscriptsToAuditBucket').Action).toBe('s3:PutObject');
    expect(JSON.stringify(bySid('CopyTranscriptsToAuditBucket').Resource)).toMatch(/"\/session-manager\/bastion\/\*"/);
    expect(bySid('CheckAuditBucketEncryption').Action).toBe('s3:GetEncryptionConfiguration');
    expect(bySid('EncryptTranscriptCopies')).toMatchObject({
      Action: 'kms:GenerateDataKey',
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
    });
    expect(JSON.stringify(bySid('EncryptTranscriptCopies').Resource)).toMatch(/AuditKey/);
    const s3Actions = host.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) =>
      [s.Action].flat().filter((a) => a.startsWith('s3:')),
    );
    expect(s3Actions.sort()).toEqual(['s3:GetEncryptionConfiguration', 's3:PutObject']);
  });

  test('alarms on a root session and on an unlisted login, to the ops topic', () => {
    const filters = all('AWS::Logs::MetricFilter');
    expect(filters.map((f) => f.Properties.FilterPattern).sort()).toEqual(SESSION_ALARMS.map((a) => a.pattern).sort());
    expect(SESSION_ALARMS.map((a) => a.pattern)).toEqual([
      '{ ($.event = "session_open") && ($.uid = 0) }',
      '{ ($.event = "session_open") && ($.listed IS FALSE) && ($.uid != 0) }',
    ]);
    const alarms = all('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(2);
    for (const a of alarms) expect(JSON.stringify(a.Properties.AlarmActions)).toMatch(/OpsTopic/);
  });
});

describe('per-person database access (issue 16)', () => {
  test('one policy per operator: rds-db:connect as their own database user only, and recorded sessions only', () => {
    const policies = all('AWS::IAM::ManagedPolicy').filter((p) =>
      /-operator-/.test(p.Properties.ManagedPolicyName ?? ''),
    );
    expect(policies.map((p) => p.Properties.ManagedPolicyName).sort()).toEqual([
      'hipaa-kit-example-operator-alice',
      'hipaa-kit-example-operator-bob',
    ]);
    const alice = policies.find((p) => p.Properties.ManagedPolicyName.endsWith('alice'))!.Properties.PolicyDocument;
    const connect = alice.Statement.find((s: { Sid: string }) => s.Sid === 'ConnectAsOwnDatabaseUser');
    expect(connect.Action).toBe('rds-db:connect');
    expect(JSON.stringify(connect.Resource)).toMatch(/dbuser:.*\/alice"/);
    expect(JSON.stringify(alice)).not.toMatch(/secretsmanager/);
    const start = alice.Statement.find((s: { Sid: string }) => s.Sid === 'StartRecordedSessionsOnTheBastion');
    expect(start.Condition).toEqual({ BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } });
    template.hasOutput('BastionOperatorPolicies', {
      Value: 'hipaa-kit-example-operator-alice,hipaa-kit-example-operator-bob',
    });
  });
});
