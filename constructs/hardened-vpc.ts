import { CfnResource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { MAX_ADMIN_CIDRS } from '../core/limits';
import { partitionOf } from '../core/partition';
import { EncryptedLogGroup } from './encrypted-log-group';

export interface HardenedVpcProps {
  /** IPv4 CIDR of the VPC, e.g. `10.40.0.0/16`. Given as a plain string so NACL and SG rules stay concrete. */
  readonly cidr: string;
  /** The zones to span, given explicitly so synth needs no AWS lookup. At least 2. */
  readonly availabilityZones: string[];
  /** `dedicated` puts every instance in the VPC on single-tenant hardware (pillar P18). */
  readonly tenancy: 'dedicated' | 'default';
  /** NAT gateways for the private subnets' egress, 1 per AZ for zone independence. */
  readonly natGateways: number;
  /** Sources allowed to reach port 22 in the public subnets (the bastion). Never 0.0.0.0/0. */
  readonly adminCidrs: string[];
  /** CMK for the flow-log group; its policy must allow `logs.<region>.amazonaws.com`. */
  readonly logsKey: kms.IKey;
  /** Retention of the flow-log group, in days (a CloudWatch retention value). */
  readonly logRetentionDays: number;
  /** Prefix length of every subnet. @default 24 */
  readonly subnetCidrMask?: number;
}

/** Subnet group names; other stacks select by subnet type, these only label the subnets. */
export const SUBNET_GROUPS = { public: 'Public', private: 'Private', isolated: 'Isolated' } as const;

/** TCP ports the internet may open in the public subnets (ALB listeners), pillar P12. */
const PUBLIC_WEB_PORTS = [443, 80];
/** Return traffic for connections the VPC opened (and for the ALB's and bastion's clients). */
const EPHEMERAL = ec2.AclTraffic.tcpPortRange(1024, 65535);

/**
 * The kit's VPC: public subnets (ALB, bastion, NAT), private subnets with egress (ECS hosts, endpoints) and
 * isolated subnets (RDS), in the configured tenancy and zones, with:
 * - flow logs of ALL traffic into a CMK-encrypted, retained log group;
 * - the default security group stripped of every rule;
 * - a network ACL per tier mirroring pillar P12: from outside only 80/443, 22 from admin CIDRs, and ephemeral returns;
 * - no public IP auto-assignment (the bastion asks for its own address explicitly).
 */
export class HardenedVpc extends Construct {
  readonly vpc: ec2.Vpc;
  /** The VPC CIDR as a concrete string. */
  readonly cidr: string;
  readonly flowLogGroup: logs.LogGroup;
  readonly flowLog: ec2.FlowLog;
  readonly publicAcl: ec2.NetworkAcl;
  readonly privateAcl: ec2.NetworkAcl;
  readonly isolatedAcl: ec2.NetworkAcl;

  constructor(scope: Construct, id: string, props: HardenedVpcProps) {
    super(scope, id);
    if (props.adminCidrs.length > MAX_ADMIN_CIDRS) {
      throw new Error(
        `HardenedVpc: ${props.adminCidrs.length} admin CIDRs exceed the ${MAX_ADMIN_CIDRS} that fit in one network ACL; summarize them`,
      );
    }
    const cidrMask = props.subnetCidrMask ?? 24;
    this.cidr = props.cidr;

    this.vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: props.availabilityZones,
      defaultInstanceTenancy:
        props.tenancy === 'dedicated' ? ec2.DefaultInstanceTenancy.DEDICATED : ec2.DefaultInstanceTenancy.DEFAULT,
      natGateways: props.natGateways,
      restrictDefaultSecurityGroup: true,
      enableDnsHostnames: true, // interface endpoints need private DNS
      enableDnsSupport: true,
      subnetConfiguration: [
        // No auto-assigned public IPs: the ALB does not need them and the bastion requests one explicitly.
        { name: SUBNET_GROUPS.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask, mapPublicIpOnLaunch: false },
        { name: SUBNET_GROUPS.private, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask },
        { name: SUBNET_GROUPS.isolated, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask },
      ],
    });

    for (const subnet of [...this.vpc.publicSubnets, ...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets]) {
      acknowledge(
        subnet.node.defaultChild!,
        'CloudFormation-Validate::W3010',
        'Design decision: zones are named explicitly in the config (spec) so synth needs no AWS lookup and operators choose zones with dedicated capacity; compensating control: config validation rejects zones outside the configured region',
      );
    }
    for (const subnet of this.vpc.publicSubnets) {
      const route = subnet.node.findChild('DefaultRoute');
      const reason =
        'Design decision: public subnets route 0.0.0.0/0 to the internet gateway for the internet-facing ALB, the NAT gateways and the admin bastion; compensating controls: no public IP auto-assignment, NACL allows inbound only 80/443, 22 from admin CIDRs and ephemeral returns, and security groups per resource';
      acknowledge(route, 'HIPAA.Security::HIPAA.Security-VPCNoUnrestrictedRouteToIGW', reason);
      acknowledge(route, 'NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW', reason);
    }

    ({ logGroup: this.flowLogGroup, flowLog: this.flowLog } = this.addFlowLogs(props));
    this.hardenDefaultSgRestrictor(props);

    const vpcCidr = ec2.AclCidr.ipv4(props.cidr);
    const anywhere = ec2.AclCidr.anyIpv4();

    this.publicAcl = this.newAcl('PublicAcl', ec2.SubnetType.PUBLIC);
    this.allowBothWays(this.publicAcl, 'FromVpc', 100, vpcCidr);
    PUBLIC_WEB_PORTS.forEach((port, i) =>
      this.allow(this.publicAcl, `InboundTcp${port}`, 110 + i * 10, 'in', anywhere, ec2.AclTraffic.tcpPort(port)),
    );
    this.allow(this.publicAcl, 'InboundEphemeral', 150, 'in', anywhere, EPHEMERAL);
    props.adminCidrs.forEach((cidr, i) =>
      this.allow(this.publicAcl, `InboundSshAdmin${i}`, 200 + i * 10, 'in', aclCidr(cidr), ec2.AclTraffic.tcpPort(22)),
    );
    this.allow(this.publicAcl, 'OutboundHttps', 110, 'out', anywhere, ec2.AclTraffic.tcpPort(443));
    this.allow(this.publicAcl, 'OutboundEphemeral', 150, 'out', anywhere, EPHEMERAL);

    this.privateAcl = this.newAcl('PrivateAcl', ec2.SubnetType.PRIVATE_WITH_EGRESS);
    this.allowBothWays(this.privateAcl, 'FromVpc', 100, vpcCidr);
    // Hosts here reach AWS APIs and registries over HTTPS through the NAT gateways; only the replies come back in.
    this.allow(this.privateAcl, 'InboundEphemeral', 150, 'in', anywhere, EPHEMERAL);
    this.allow(this.privateAcl, 'OutboundHttps', 110, 'out', anywhere, ec2.AclTraffic.tcpPort(443));

    this.isolatedAcl = this.newAcl('IsolatedAcl', ec2.SubnetType.PRIVATE_ISOLATED);
    this.allowBothWays(this.isolatedAcl, 'FromVpc', 100, vpcCidr);
  }

  private addFlowLogs(props: HardenedVpcProps) {
    const { account, region } = Stack.of(this);
    const partition = partitionOf(region);
    const logGroup = new EncryptedLogGroup(this, 'FlowLogGroup', {
      encryptionKey: props.logsKey,
      retentionDays: props.logRetentionDays,
    }).logGroup;
    // Scoped trust (confused-deputy protection): only this account's flow logs may assume the delivery role.
    const role = new iam.Role(this, 'FlowLogRole', {
      description: 'Delivers this VPC flow logs to their encrypted log group',
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*` },
      }),
    });
    // A customer-managed policy rather than CDK's inline default policy (HIPAA/NIST IAMNoInlinePolicy).
    new iam.ManagedPolicy(this, 'FlowLogDeliveryPolicy', {
      description: 'Write VPC flow log records to their encrypted log group',
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    const flowLog = new ec2.FlowLog(this, 'FlowLog', {
      resourceType: ec2.FlowLogResourceType.fromVpc(this.vpc),
      destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup, role.withoutPolicyUpdates()),
      trafficType: ec2.FlowLogTrafficType.ALL,
      maxAggregationInterval: ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
    });
    return { logGroup, flowLog };
  }

  /**
   * The default-SG restrictor is a CDK custom-resource Lambda (not VPC-attached, so fine with dedicated tenancy).
   * - Lambda would create its log group unencrypted and kept forever, so point it at a CMK group with retention.
   * - CDK gives its role an inline policy, which AWS Config's HIPAA check (iam-no-inline-policy-check) refuses:
   *   the same statement moves into a customer-managed policy, attached before the restrictor runs.
   */
  private hardenDefaultSgRestrictor(props: HardenedVpcProps) {
    const stack = Stack.of(this);
    const provider = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    const handler = provider?.node.tryFindChild('Handler');
    const role = provider?.node.tryFindChild('Role');
    const restrictor = this.vpc.node.tryFindChild('RestrictDefaultSecurityGroupCustomResource');
    if (!CfnResource.isCfnResource(handler) || !CfnResource.isCfnResource(role) || !restrictor) {
      throw new Error(
        'HardenedVpc: the default security group restrictor was not found; check the aws-cdk-lib version',
      );
    }
    const logGroup = new EncryptedLogGroup(this, 'DefaultSgRestrictorLogGroup', {
      encryptionKey: props.logsKey,
      retentionDays: props.logRetentionDays,
    }).logGroup;
    handler.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName, LogFormat: 'JSON' });

    role.addPropertyDeletionOverride('Policies');
    const { account, region } = stack;
    const defaultSgArn = `arn:${partitionOf(region)}:ec2:${region}:${account}:security-group/${this.vpc.vpcDefaultSecurityGroup}`;
    const policy = new iam.CfnManagedPolicy(this, 'DefaultSgRestrictorPolicy', {
      description: "Remove (and on delete restore) the rules of this VPC's default security group",
      roles: [role.ref],
      policyDocument: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            actions: [
              'ec2:AuthorizeSecurityGroupIngress',
              'ec2:AuthorizeSecurityGroupEgress',
              'ec2:RevokeSecurityGroupIngress',
              'ec2:RevokeSecurityGroupEgress',
            ],
            resources: [defaultSgArn],
          }),
        ],
      }),
    });
    restrictor.node.addDependency(policy);
  }

  private newAcl(id: string, subnetType: ec2.SubnetType): ec2.NetworkAcl {
    const acl = new ec2.NetworkAcl(this, id, { vpc: this.vpc, subnetSelection: { subnetType } });
    acknowledgeCustomAcl(acl.node.defaultChild!);
    return acl;
  }

  private allowBothWays(acl: ec2.NetworkAcl, id: string, ruleNumber: number, cidr: ec2.AclCidr) {
    this.allow(acl, `Inbound${id}`, ruleNumber, 'in', cidr, ec2.AclTraffic.allTraffic());
    this.allow(acl, `Outbound${id.replace(/^From/, 'To')}`, ruleNumber, 'out', cidr, ec2.AclTraffic.allTraffic());
  }

  private allow(
    acl: ec2.NetworkAcl,
    id: string,
    ruleNumber: number,
    direction: 'in' | 'out',
    cidr: ec2.AclCidr,
    traffic: ec2.AclTraffic,
  ) {
    const entry = acl.addEntry(id, {
      ruleNumber,
      cidr,
      traffic,
      direction: direction === 'in' ? ec2.TrafficDirection.INGRESS : ec2.TrafficDirection.EGRESS,
      ruleAction: ec2.Action.ALLOW,
    });
    acknowledgeCustomAcl(entry.node.defaultChild!);
  }
}

/** One acknowledgement per NACL resource and entry, so none covers more than the one resource it names. */
function acknowledgeCustomAcl(resource: IConstruct) {
  acknowledge(
    resource,
    'AwsSolutions::AwsSolutions-VPC3',
    'Design decision: subnet NACLs mirror the firewall policy (pillar P12: only 80/443 and admin-CIDR 22 from outside) as a second, stateless layer; stateful security groups per resource remain the primary control',
  );
}

function aclCidr(cidr: string): ec2.AclCidr {
  return cidr.includes(':') ? ec2.AclCidr.ipv6(cidr) : ec2.AclCidr.ipv4(cidr);
}
