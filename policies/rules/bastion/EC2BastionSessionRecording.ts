import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { userDataText } from '../helpers/instances';
import { findingsOrCompliant } from '../helpers/results';

/**
 * Every AWS::EC2::Instance records its admin sessions: a PAM session hook that is `required` (a session it cannot
 * record does not start), an auditd rule logging every `execve` of a login session, and the CloudWatch agent started
 * with a config that ships them. Findings: `pam::session-hook`, `auditd::execve`, `agent::cloudwatch`.
 */
export const EC2BastionSessionRecording = defineRule({
  id: 'EC2BastionSessionRecording',
  pillars: ['P03'],
  hipaa: ['164.312(b)', '164.308(a)(5)(ii)(C)'],
  info: 'The instance does not record admin sessions (required PAM session hook, auditd execve rule, CloudWatch agent).',
  explanation:
    'Pillar P03 logs every action with date, time and address. On an SSH bastion that is every session (who, from ' +
    'where, when, with which key) and every command, shipped off the host: a required pam_exec session hook, an ' +
    'auditd execve rule keyed on the login uid, and the CloudWatch agent sending both to encrypted log groups.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::EC2::Instance') return NagRuleCompliance.NOT_APPLICABLE;
    const text = userDataText(node);
    const findings: string[] = [];
    if (!/session\s+required\s+pam_exec\.so\b/.test(text)) findings.push('pam::session-hook');
    if (!/-S\s+execve\b.*-F\s+auid>=1000/.test(text)) findings.push('auditd::execve');
    if (!/amazon-cloudwatch-agent-ctl\s+-a\s+fetch-config\b.*\s-s\b/.test(text)) findings.push('agent::cloudwatch');
    return findingsOrCompliant(findings);
  },
});
