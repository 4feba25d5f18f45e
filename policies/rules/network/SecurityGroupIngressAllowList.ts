import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { cidrSource, Ingress, ingressFinding, IngressSource, protocolName, vpcCidrs } from '../helpers/network';
import { findingsOrCompliant } from '../helpers/results';
import { asArray, CfnProps, cfnProps, isUnresolved, num } from '../helpers/values';

/**
 * Security-group ingress follows the kit's allow-list: from 0.0.0.0/0 or ::/0 only tcp 80 and 443; tcp 22 only from
 * listed (non-/0) CIDRs; no other port from outside the VPC. "Inside" means another security group, or a CIDR within
 * a VPC CIDR block declared anywhere in the app. One granular finding per offending rule, e.g.
 * `tcp:3389-3389:from:0.0.0.0/0`.
 */
export const SecurityGroupIngressAllowList = defineRule({
  id: 'SecurityGroupIngressAllowList',
  pillars: ['P10', 'P12'],
  hipaa: ['164.312(a)(1)', '164.312(e)(1)'],
  info: 'The security group admits traffic from outside the VPC on a port other than 80/443 (anywhere) or 22 (listed CIDRs).',
  explanation:
    'Pillars P10 and P12 allow only HTTP/HTTPS from the internet (to the load balancer) and SSH from allow-listed ' +
    'CIDRs (to the bastion). Any other port reachable from outside the VPC (FTP, telnet, RDP, database ports, all ' +
    'traffic) widens the attack surface. Unresolvable CIDRs or ports are findings, because they cannot be proven safe.',
  check: (node: CfnResource) => {
    let entries: unknown[];
    if (node.cfnResourceType === 'AWS::EC2::SecurityGroup') {
      const list = cfnProps(node).SecurityGroupIngress;
      if (isUnresolved(list)) return ['ingress:unresolved'];
      entries = asArray(list);
    } else if (node.cfnResourceType === 'AWS::EC2::SecurityGroupIngress') {
      entries = [cfnProps(node)];
    } else {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const inside = vpcCidrs(node);
    const findings = entries
      .map((entry) => ingressFinding(toIngress(node, entry as CfnProps), inside, { allowEphemeralReturn: false }))
      .filter((f): f is string => f !== undefined);
    return findingsOrCompliant([...new Set(findings)]);
  },
});

function toIngress(node: CfnResource, rule: CfnProps): Ingress {
  const protocol = protocolName(rule.IpProtocol);
  const portsUnresolved = isUnresolved(rule.FromPort) || isUnresolved(rule.ToPort);
  // Ports mean nothing for "all protocols"; for icmp they are type/code, judged as "not tcp/udp" anyway.
  const ports = protocol === 'all' ? {} : { fromPort: num(rule.FromPort), toPort: num(rule.ToPort) };
  return { protocol, ...ports, portsUnresolved: protocol !== 'all' && portsUnresolved, source: sourceOf(node, rule) };
}

function sourceOf(node: CfnResource, rule: CfnProps): IngressSource {
  if (rule.SourceSecurityGroupId !== undefined || rule.SourceSecurityGroupName !== undefined) return { kind: 'inside' };
  if (rule.CidrIp !== undefined) return cidrSource(node, rule.CidrIp);
  if (rule.CidrIpv6 !== undefined) return cidrSource(node, rule.CidrIpv6);
  if (rule.SourcePrefixListId !== undefined) return { kind: 'prefixList' };
  return { kind: 'unresolved' };
}
