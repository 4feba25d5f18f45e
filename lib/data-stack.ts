import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { KitKeys } from '../constructs/kit-keys';
import { KitStack, KitStackProps } from './kit-stack';
import { kitNames } from './naming';

export interface DataStackProps extends KitStackProps {
  readonly keys: KitKeys;
  readonly vpc: ec2.IVpc;
  readonly accessLogsBucket: s3.IBucket;
  readonly opsTopic: sns.ITopic;
}

/** SKELETON (helper K2 replaces): RDS PostgreSQL, the PHI bucket, AWS Backup. */
export class DataStack extends KitStack {
  readonly database: rds.DatabaseInstance;
  readonly phiBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, stateful: true });
    this.phiBucket = new s3.Bucket(this, 'PhiBucket', { bucketName: kitNames(props.config).phiBucketName });
    this.database = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 }),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
  }
}
