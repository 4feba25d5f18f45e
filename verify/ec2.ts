/**
 * EC2 and VPC: the VPC's tenancy; the ingress ACTUALLY present on every security group and network ACL of the kit VPC
 * (a drift check that catches rules added by hand) limited to 80/443 from anywhere and 22 from the configured admin
 * CIDRs; the default security group empty; the bastion with IMDSv2 and encrypted volumes.
 * The allow-list is the Pillars rules' own (policies/rules/helpers/network.ts ingressFinding), plus the live-only rule
 * that SSH must come from a CIDR inside config.adminCidrs.
 */
import {
  DescribeInstancesCommand,
  DescribeInstancesCommandOutput,
  DescribeNetworkAclsCommand,
  DescribeNetworkAclsCommandOutput,
  DescribeSecurityGroupsCommand,
  DescribeSecurityGroupsCommandOutput,
  DescribeVolumesCommand,
  DescribeVolumesCommandOutput,
  DescribeVpcsCommand,
  DescribeVpcsCommandOutput,
  IpPermission,
  NetworkAcl,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import { cidrWithin, Ingress, ingressFinding, isAnywhere, protocolName } from '../policies/rules/helpers/network';
import { CheckResult, CheckSpec, judge } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';

const AREA = 'EC2';

export const EC2_CHECKS = {
  tenancy: { id: 'ec2.vpc-tenancy', title: 'VPC tenancy as configured', pillars: ['P18'], hipaa: ['164.312(a)(1)'] },
  sgIngress: {
    id: 'ec2.sg-ingress',
    title: 'Security group ingress limited to 80/443, and 22 from admin CIDRs',
    pillars: ['P10', 'P12'],
    hipaa: ['164.312(a)(1)', '164.312(e)(1)'],
  },
  naclIngress: {
    id: 'ec2.nacl-ingress',
    title: 'Network ACL ingress limited to 80/443, 22 from admin CIDRs, and return ports',
    pillars: ['P10', 'P12'],
    hipaa: ['164.312(a)(1)', '164.312(e)(1)'],
  },
  defaultSg: {
    id: 'ec2.default-sg-empty',
    title: 'Default security group has no rules',
    pillars: ['P12'],
    hipaa: ['164.312(a)(1)'],
  },
  bastionImds: {
    id: 'ec2.bastion-imdsv2',
    title: 'Bastion requires IMDSv2',
    pillars: ['P11'],
    hipaa: ['164.312(a)(1)', '164.312(d)'],
  },
  bastionVolumes: {
    id: 'ec2.bastion-volumes-encrypted',
    title: 'Bastion volumes are encrypted',
    pillars: ['P05'],
    hipaa: ['164.312(a)(2)(iv)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkEc2(ctx: VerifyContext): Promise<CheckResult[]> {
  const vpcs = resourcesOfType(ctx.deployment, 'AWS::EC2::VPC');
  const vpcResults = await Promise.all(
    vpcs.map((vpc) =>
      guarded(
        AREA,
        [EC2_CHECKS.tenancy, EC2_CHECKS.sgIngress, EC2_CHECKS.naclIngress, EC2_CHECKS.defaultSg],
        label(vpc),
        async () => {
          const VpcIds = [vpc.physicalId];
          const described: DescribeVpcsCommandOutput = await ctx.call(
            ctx.clients.ec2,
            new DescribeVpcsCommand({ VpcIds }),
          );
          const live = described.Vpcs?.[0];
          const inside = [
            live?.CidrBlock,
            ...(live?.CidrBlockAssociationSet ?? []).map((a) => a.CidrBlock),
            ...(live?.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock),
          ].filter((c): c is string => !!c);
          const tenancy = live?.InstanceTenancy ?? 'unknown';
          const filter = [{ Name: 'vpc-id', Values: VpcIds }];
          const groups = await allSecurityGroups(ctx, filter);
          const acls = await allNetworkAcls(ctx, filter);

          const results: CheckResult[] = [
            judge(
              AREA,
              EC2_CHECKS.tenancy,
              label(vpc),
              tenancy === ctx.config.tenancy ? [] : [`tenancy is ${tenancy}, config says ${ctx.config.tenancy}`],
              `tenancy ${tenancy}`,
            ),
          ];
          for (const sg of groups) {
            const where = `${sg.GroupId} (${sg.GroupName})`;
            if (sg.GroupName === 'default') {
              const rules = (sg.IpPermissions?.length ?? 0) + (sg.IpPermissionsEgress?.length ?? 0);
              results.push(
                judge(AREA, EC2_CHECKS.defaultSg, where, rules ? [`${rules} rule(s) present`] : [], 'no rules'),
              );
              continue;
            }
            const problems = (sg.IpPermissions ?? []).flatMap((p) =>
              permissionFindings(p, inside, ctx.config.adminCidrs),
            );
            results.push(
              judge(
                AREA,
                EC2_CHECKS.sgIngress,
                where,
                unique(problems),
                `${sg.IpPermissions?.length ?? 0} allowed ingress rule(s)`,
              ),
            );
          }
          for (const acl of acls) {
            const where = `${acl.NetworkAclId}${acl.IsDefault ? ' (default)' : ''}`;
            if ((acl.Associations ?? []).length === 0) continue; // not attached to any subnet: carries no traffic
            results.push(
              judge(
                AREA,
                EC2_CHECKS.naclIngress,
                where,
                unique(aclFindings(acl, inside, ctx.config.adminCidrs)),
                'allow-list holds',
              ),
            );
          }
          return results;
        },
      ),
    ),
  );

  const instances = resourcesOfType(ctx.deployment, 'AWS::EC2::Instance');
  const instanceResults = await Promise.all(
    instances.map((instance) =>
      guarded(AREA, [EC2_CHECKS.bastionImds, EC2_CHECKS.bastionVolumes], label(instance), async () => {
        const out: DescribeInstancesCommandOutput = await ctx.call(
          ctx.clients.ec2,
          new DescribeInstancesCommand({ InstanceIds: [instance.physicalId] }),
        );
        const live = out.Reservations?.[0]?.Instances?.[0];
        const tokens = live?.MetadataOptions?.HttpTokens ?? 'unknown';
        const volumeIds = (live?.BlockDeviceMappings ?? []).map((m) => m.Ebs?.VolumeId).filter((v): v is string => !!v);
        const volumeProblems: string[] = [];
        if (volumeIds.length > 0) {
          const volumes: DescribeVolumesCommandOutput = await ctx.call(
            ctx.clients.ec2,
            new DescribeVolumesCommand({ VolumeIds: volumeIds }),
          );
          for (const v of volumes.Volumes ?? [])
            if (!v.Encrypted) volumeProblems.push(`${v.VolumeId} is not encrypted`);
        } else volumeProblems.push('no EBS volumes found to judge');
        return [
          judge(
            AREA,
            EC2_CHECKS.bastionImds,
            label(instance),
            tokens === 'required' ? [] : [`HttpTokens is ${tokens}`],
            'HttpTokens required',
          ),
          judge(
            AREA,
            EC2_CHECKS.bastionVolumes,
            label(instance),
            volumeProblems,
            `${volumeIds.length} encrypted volume(s)`,
          ),
        ];
      }),
    ),
  );
  return [...vpcResults.flat(), ...instanceResults.flat()];
}

async function allSecurityGroups(ctx: VerifyContext, Filters: { Name: string; Values: string[] }[]) {
  const groups: SecurityGroup[] = [];
  let NextToken: string | undefined;
  do {
    const page: DescribeSecurityGroupsCommandOutput = await ctx.call(
      ctx.clients.ec2,
      new DescribeSecurityGroupsCommand({ Filters, NextToken }),
    );
    groups.push(...(page.SecurityGroups ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return groups;
}

async function allNetworkAcls(ctx: VerifyContext, Filters: { Name: string; Values: string[] }[]) {
  const acls: NetworkAcl[] = [];
  let NextToken: string | undefined;
  do {
    const page: DescribeNetworkAclsCommandOutput = await ctx.call(
      ctx.clients.ec2,
      new DescribeNetworkAclsCommand({ Filters, NextToken }),
    );
    acls.push(...(page.NetworkAcls ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return acls;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/**
 * The Pillars allow-list, then the live-only rule: SSH (or anything beyond 80/443) from outside the VPC must come
 * from inside one of the configured admin CIDRs.
 */
function judgeIngress(
  ingress: Ingress,
  inside: string[],
  adminCidrs: readonly string[],
  allowEphemeralReturn: boolean,
) {
  const finding = ingressFinding(ingress, inside, { allowEphemeralReturn });
  if (finding) return finding;
  if (ingress.source.kind !== 'cidr') return undefined;
  const cidr = ingress.source.cidr;
  if (inside.some((vpc) => cidrWithin(cidr, vpc)) || isAnywhere(cidr)) return undefined;
  const ssh = ingress.protocol === 'tcp' && ingress.fromPort === 22 && ingress.toPort === 22;
  if (ssh && !adminCidrs.some((admin) => cidrWithin(cidr, admin))) return `tcp:22-22:from:${cidr} (not in adminCidrs)`;
  return undefined;
}

function permissionFindings(p: IpPermission, inside: string[], adminCidrs: readonly string[]): string[] {
  const protocol = protocolName(p.IpProtocol);
  const ports = protocol === 'all' ? {} : { fromPort: p.FromPort, toPort: p.ToPort };
  const base = { protocol, ...ports, portsUnresolved: false };
  const sources: Ingress['source'][] = [
    ...(p.IpRanges ?? []).map((r) => ({ kind: 'cidr' as const, cidr: r.CidrIp ?? '' })),
    ...(p.Ipv6Ranges ?? []).map((r) => ({ kind: 'cidr' as const, cidr: r.CidrIpv6 ?? '' })),
    ...(p.PrefixListIds ?? []).map(() => ({ kind: 'prefixList' as const })),
    ...(p.UserIdGroupPairs ?? []).map(() => ({ kind: 'inside' as const })),
  ];
  return sources
    .map((source) => judgeIngress({ ...base, source }, inside, adminCidrs, false))
    .filter((f): f is string => f !== undefined);
}

function aclFindings(acl: NetworkAcl, inside: string[], adminCidrs: readonly string[]): string[] {
  return (acl.Entries ?? [])
    .filter((e) => !e.Egress && e.RuleAction === 'allow')
    .map((e) => {
      const protocol = protocolName(e.Protocol);
      const cidr = e.CidrBlock ?? e.Ipv6CidrBlock ?? '';
      const ports = protocol === 'all' ? {} : { fromPort: e.PortRange?.From, toPort: e.PortRange?.To };
      const finding = judgeIngress(
        { protocol, ...ports, portsUnresolved: false, source: { kind: 'cidr', cidr } },
        inside,
        adminCidrs,
        true,
      );
      return finding ? `rule ${e.RuleNumber}: ${finding}` : undefined;
    })
    .filter((f): f is string => f !== undefined);
}
