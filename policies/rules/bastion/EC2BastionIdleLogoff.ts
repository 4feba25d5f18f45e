import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { userDataText } from '../helpers/instances';
import { compliantIf } from '../helpers/results';

/** Pillar P14: 15 minutes. */
export const MAX_IDLE_SECONDS = 900;

/**
 * The instance's user data sets a read-only shell TMOUT of at most 900 seconds (e.g. `readonly TMOUT=900` in
 * /etc/profile.d). Applies to every AWS::EC2::Instance, as EC2BastionSshdHardened does.
 */
export const EC2BastionIdleLogoff = defineRule({
  id: 'EC2BastionIdleLogoff',
  pillars: ['P14'],
  hipaa: ['164.312(a)(2)(iii)'],
  info: 'The instance user data does not set a read-only TMOUT of 900 seconds or less.',
  explanation:
    "Pillar P14 logs idle sessions off after 15 minutes. sshd's ClientAliveInterval only drops dead peers; a " +
    '`readonly TMOUT=900` in the login shell profile logs idle users off, and readonly stops them from lifting it.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::EC2::Instance') return NagRuleCompliance.NOT_APPLICABLE;
    const text = userDataText(node);
    const values = [...text.matchAll(/\bTMOUT=(\d+)/g)].map((m) => Number(m[1]));
    const readonly = /\b(readonly|declare\s+-r|typeset\s+-r)\s+TMOUT\b/.test(text);
    return compliantIf(readonly && values.length > 0 && values.every((v) => v > 0 && v <= MAX_IDLE_SECONDS));
  },
});
