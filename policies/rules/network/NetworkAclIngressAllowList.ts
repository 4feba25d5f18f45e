import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { cidrSource, ingressFinding, protocolName, vpcCidrs } from '../helpers/network';
import { findingsOrCompliant } from '../helpers/results';
import { cfnProps, isIntrinsic, isUnresolved, num } from '../helpers/values';

/**
 * Inbound NACL `allow` entries mirror the security-group allow-list (80/443 from anywhere, 22 from listed CIDRs,
 * anything from inside the VPC), plus tcp/udp 1024-65535 from outside as return traffic, because NACLs are stateless.
 * Deny entries and egress entries are not judged. An unresolved Egress flag is judged as inbound (fail closed).
 */
export const NetworkAclIngressAllowList = defineRule({
  id: 'NetworkAclIngressAllowList',
  pillars: ['P10', 'P12'],
  hipaa: ['164.312(a)(1)', '164.312(e)(1)'],
  info: 'The network ACL allows inbound traffic from outside the VPC beyond 80/443, 22 from listed CIDRs, and ephemeral return ports.',
  explanation:
    'NACLs are the second firewall layer of pillar P12. They should admit from the internet only HTTP/HTTPS, SSH from ' +
    'allow-listed CIDRs, and the ephemeral ports (1024-65535) that carry replies to connections opened from inside. ' +
    'Security groups, which are stateful, still close the ephemeral range to new connections.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::EC2::NetworkAclEntry') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    if (props.Egress === true || props.Egress === 'true') return NagRuleCompliance.NOT_APPLICABLE;
    const action = props.RuleAction;
    if (typeof action === 'string' && action.toLowerCase() === 'deny') return NagRuleCompliance.NOT_APPLICABLE;
    if (isUnresolved(action)) return ['action:unresolved'];

    const protocol = protocolName(props.Protocol);
    const range = props.PortRange;
    const portsUnresolved = isIntrinsic(range) || isUnresolved(range?.From) || isUnresolved(range?.To);
    const source = cidrSource(node, props.CidrBlock ?? props.Ipv6CidrBlock);
    const finding = ingressFinding(
      {
        protocol,
        fromPort: protocol === 'all' ? undefined : num(range?.From),
        toPort: protocol === 'all' ? undefined : num(range?.To),
        portsUnresolved: protocol !== 'all' && portsUnresolved,
        source,
      },
      vpcCidrs(node),
      { allowEphemeralReturn: true },
    );
    return findingsOrCompliant(finding ? [finding] : []);
  },
});
