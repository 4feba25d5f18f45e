import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { HardenedVpc } from '../constructs/hardened-vpc';
import { KitKeys } from '../constructs/kit-keys';
import { PrivateApiEndpoints } from '../constructs/vpc-endpoints';
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

    this.endpoints = new PrivateApiEndpoints(this, 'Endpoints', {
      vpc: this.vpc,
      vpcCidr: config.vpcCidr,
      sessionManager: config.bastion.enabled && config.bastion.ssmSessionManager,
    });
  }

  /**
   * The zones come from the config. Without this, a Stack with a concrete env asks the CLI to look them up
   * (and the Vpc checks its zones against that list), which needs AWS credentials at synth.
   */
  get availabilityZones(): string[] {
    return this.config.availabilityZones;
  }
}
