import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { KitKeys } from '../constructs/kit-keys';
import { KitStack, KitStackProps } from './kit-stack';

export interface NetworkStackProps extends KitStackProps {
  readonly keys: KitKeys;
}

/** SKELETON (helper K1 replaces): the dedicated-tenancy VPC. */
export class NetworkStack extends KitStack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, { ...props, stateful: false });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      availabilityZones: props.config.availabilityZones,
      defaultInstanceTenancy:
        props.config.tenancy === 'dedicated'
          ? ec2.DefaultInstanceTenancy.DEDICATED
          : ec2.DefaultInstanceTenancy.DEFAULT,
    });
  }
}
