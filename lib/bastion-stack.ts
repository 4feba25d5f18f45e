import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { KitKeys } from '../constructs/kit-keys';
import { KitStack, KitStackProps } from './kit-stack';

export interface BastionStackProps extends KitStackProps {
  readonly keys: KitKeys;
  readonly vpc: ec2.IVpc;
  readonly database: rds.DatabaseInstance;
}

/** SKELETON (helper K1 replaces): the key-only SSH bastion. */
export class BastionStack extends KitStack {
  constructor(scope: Construct, id: string, props: BastionStackProps) {
    super(scope, id, { ...props, stateful: false });
  }
}
