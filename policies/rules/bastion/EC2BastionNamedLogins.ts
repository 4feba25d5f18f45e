import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { userDataText } from '../helpers/instances';
import { findingsOrCompliant } from '../helpers/results';

/** The sshd value set in user data (the first one wins in a drop-in), or undefined. */
function sshdValue(text: string, directive: string): string | undefined {
  return new RegExp(`^\\s*${directive}\\s+(.+?)\\s*$`, 'im').exec(text)?.[1];
}

/**
 * Every AWS::EC2::Instance (an SSH entry point, as in EC2BastionSshdHardened) admits named people only: sshd reads
 * keys from a root-owned directory outside the homes (`AuthorizedKeysFile /etc/...`, so nobody adds or shares a key
 * on their own account), admits only listed groups or users (`AllowGroups`/`AllowUsers`), and the user data applies
 * the kit's operator roster (`hipaa-kit-operators sync`). Findings: `sshd::AuthorizedKeysFile`,
 * `sshd::AllowGroups`, `operators::roster`.
 */
export const EC2BastionNamedLogins = defineRule({
  id: 'EC2BastionNamedLogins',
  pillars: ['P02'],
  hipaa: ['164.312(a)(2)(i)', '164.312(d)'],
  info: 'The instance allows a shared or self-managed SSH login: keys in home directories, no login allow-list, or no operator roster.',
  explanation:
    'Pillar P02 gives every person their own account and no shared login. On an SSH bastion that means one account ' +
    'and one key per operator, kept by the kit in root-owned files (AuthorizedKeysFile under /etc), sshd admitting ' +
    'only the operator (and alarmed break-glass) groups, and the roster applied on the host (hipaa-kit-operators).',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::EC2::Instance') return NagRuleCompliance.NOT_APPLICABLE;
    const text = userDataText(node);
    const findings: string[] = [];
    const keysFile = sshdValue(text, 'AuthorizedKeysFile');
    if (!keysFile || !/^\/etc\/\S+$/.test(keysFile) || /%h|\.ssh/.test(keysFile)) {
      findings.push('sshd::AuthorizedKeysFile');
    }
    if (!sshdValue(text, 'AllowGroups') && !sshdValue(text, 'AllowUsers')) findings.push('sshd::AllowGroups');
    if (!/hipaa-kit-operators sync\b/.test(text)) findings.push('operators::roster');
    return findingsOrCompliant(findings);
  },
});
