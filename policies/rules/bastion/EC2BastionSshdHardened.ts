import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { userDataText } from '../helpers/instances';
import { findingsOrCompliant } from '../helpers/results';

/** sshd directives the bastion's user data must set, each with the only accepted value. */
const REQUIRED_SSHD = [
  ['PasswordAuthentication', 'no'],
  ['KbdInteractiveAuthentication', 'no'],
  ['PermitRootLogin', 'no'],
  ['AuthenticationMethods', 'publickey'],
] as const;

/**
 * Every AWS::EC2::Instance counts as an SSH entry point: the kit runs containers on Auto Scaling launch templates,
 * so a standalone instance is the bastion (or should be hardened like one). Its user data must write the key-only
 * sshd directives and a `Banner` (pillar P15), and must not also set any of them to another value.
 * One granular finding per missing directive, e.g. `sshd::PasswordAuthentication`.
 */
export const EC2BastionSshdHardened = defineRule({
  id: 'EC2BastionSshdHardened',
  pillars: ['P11', 'P15'],
  hipaa: ['164.312(a)(1)', '164.312(d)'],
  info: 'The instance user data does not harden sshd to key-only logins with a warning banner.',
  explanation:
    'Pillar P11 allows SSH by key only: PasswordAuthentication no, KbdInteractiveAuthentication no, PermitRootLogin no ' +
    'and AuthenticationMethods publickey, written to a drop-in in /etc/ssh/sshd_config.d where the first value wins. ' +
    'Pillar P15 asks for a warning banner (Banner /etc/issue.net) at every entry point.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::EC2::Instance') return NagRuleCompliance.NOT_APPLICABLE;
    const text = userDataText(node);
    const findings: string[] = [];
    for (const [directive, value] of REQUIRED_SSHD) {
      const lines = [...text.matchAll(new RegExp(`^\\s*${directive}\\s+(\\S+)\\s*$`, 'gim'))].map((m) => m[1]);
      if (lines.length === 0 || lines.some((v) => v.toLowerCase() !== value)) findings.push(`sshd::${directive}`);
    }
    if (!/^\s*Banner\s+(?!none\b)\S+/im.test(text)) findings.push('sshd::Banner');
    return findingsOrCompliant(findings);
  },
});
