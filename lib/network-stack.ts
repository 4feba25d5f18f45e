import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { HardenedVpc } from '../constructs/hardened-vpc';
import { KitKeys } from '../constructs/kit-keys';
import { PrivateApiEndpoints } from '../constructs/vpc-endpoints';
import { acknowledge } from '../core/acknowledge';
import { KitStack, KitStackProps } from './kit-stack';

export interface NetworkStackProps extends KitStackProps {
  readonly keys: KitKeys;
}

/**
 * The network: the hardened VPC (tenancy, subnets, NAT, flow logs, NACLs, closed default SG)
 * and the private endpoints that keep AWS API traffic off the internet.
 */
export class NetworkStack extends KitStack {
  readonly vpc: ec2.Vpc;
  readonly network: HardenedVpc;
  readonly endpoints: PrivateApiEndpoints;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, { ...props, stateful: false });
    const { config } = props;

    this.network = new HardenedVpc(this, 'Vpc', {
      cidr: config.vpcCidr,
      availabilityZones: config.availabilityZones,
      tenancy: config.tenancy,
      natGateways: config.natGateways,
      adminCidrs: config.adminCidrs,
      logsKey: props.keys.logsKey,
      logRetentionDays: config.logRetentionDays,
    });
    this.vpc = this.network.vpc;
    if (config.tenancy === 'default') {
      // Shared tenancy is an explicit profile decision; record it where auditors see it rather than fail synth.
      acknowledge(
        this.vpc.node.defaultChild!,
        'Pillars::Pillars-VPCDedicatedTenancy[InstanceTenancy::default]',
        `Profile ${config.profileName} sets tenancy "default": instances may share hardware with other AWS customers (P18). AWS's BAA does not require dedicated instances; compensating controls: CMK encryption, private subnets, security groups and NACL allow-lists.`,
      );
    }

    this.endpoints = new PrivateApiEndpoints(this, 'Endpoints', {
      vpc: this.vpc,
      vpcCidr: config.vpcCidr,
      sessionManager: config.bastion.enabled && config.bastion.ssmSessionManager,
    });
  }
}
