import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { KitKeys } from '../constructs/kit-keys';
import { IdentityStack } from './identity-stack';
import { KitStack, KitStackProps } from './kit-stack';

export interface ServiceStackProps extends KitStackProps {
  readonly keys: KitKeys;
  readonly vpc: ec2.IVpc;
  readonly database: rds.DatabaseInstance;
  readonly phiBucket: s3.IBucket;
  readonly accessLogsBucket: s3.IBucket;
  readonly opsTopic: sns.ITopic;
  readonly identity: IdentityStack;
}

/** SKELETON (helper K4 replaces): ECS on EC2, the messaging service, ALB and WAF. */
export class ServiceStack extends KitStack {
  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, { ...props, stateful: false });
  }
}
