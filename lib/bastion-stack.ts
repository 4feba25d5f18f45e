import { CfnOutput } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { cloudWatchRetentionAtLeast } from '../core/limits';
import { kitNames } from '../core/naming';
import { bastionLogGroupNames } from '../constructs/bastion-session-recording';
import { KeyOnlyBastion } from '../constructs/key-only-bastion';
import { KitKeys } from '../constructs/kit-keys';
import { OperatorAccessPolicies } from '../constructs/operator-access-policies';
import { KitStack, KitStackProps } from './kit-stack';

export interface BastionStackProps extends KitStackProps {
  readonly keys: KitKeys;
  readonly vpc: ec2.IVpc;
  readonly database: rds.DatabaseInstance;
  /** Bastion alarms (root session, unlisted login) go here. */
  readonly opsTopic: sns.ITopic;
  /** The Audit stack's Object Lock bucket (its name, read from that stack): Session Manager transcripts go there too. */
  readonly auditBucketName: string;
}

/** Where in the audit bucket Session Manager transcripts go (CloudTrail writes under `AWSLogs/`). */
export const TRANSCRIPT_PREFIX = 'session-manager/bastion';

/** The key-only SSH bastion, the admins' one way in (pillars P10, P11, P14, P15), with a path to the database. */
export class BastionStack extends KitStack {
  readonly bastion: KeyOnlyBastion;
  readonly operatorPolicies: OperatorAccessPolicies;

  constructor(scope: Construct, id: string, props: BastionStackProps) {
    super(scope, id, { ...props, stateful: false });
    const { config } = props;
    const names = kitNames(config);

    this.bastion = new KeyOnlyBastion(this, 'KeyOnlyBastion', {
      vpc: props.vpc,
      instanceType: new ec2.InstanceType(config.bastion.instanceType),
      adminCidrs: config.adminCidrs,
      sshPublicKey: config.bastion.sshPublicKey,
      volumeKey: props.keys.dataKey,
      bannerText: config.service.bannerText,
      ssmSessionManager: config.bastion.ssmSessionManager,
      operators: {
        list: config.bastion.operators,
        rosterParameterName: `/${names.resourcePrefix}/bastion/operators`,
      },
      recording: {
        logGroupNames: bastionLogGroupNames(names.resourcePrefix),
        logsKey: props.keys.logsKey,
        retentionDays: cloudWatchRetentionAtLeast(config.auditRetentionDays),
        alarmTopic: props.opsTopic,
        transcriptCopy: {
          bucket: s3.Bucket.fromBucketName(this, 'AuditBucket', props.auditBucketName),
          bucketKey: props.keys.auditKey,
          prefix: TRANSCRIPT_PREFIX,
        },
      },
    });

    this.operatorPolicies = new OperatorAccessPolicies(this, 'OperatorAccess', {
      operators: config.bastion.operators,
      namePrefix: names.resourcePrefix,
      databaseResourceId: props.database.instanceResourceId!, // always set on a DatabaseInstance this app creates
      sessionManager: this.bastion.sessionDocument && {
        instanceId: this.bastion.instance.instanceId,
        documentName: this.bastion.sessionDocument.ref,
      },
    });

    // allowTo from the bastion's side: CDK places both the egress rule and the database SG's ingress rule
    // in this stack, so the stateful Data stack never depends on the bastion.
    this.bastion.connections.allowTo(
      props.database,
      ec2.Port.tcp(config.database.port),
      'PostgreSQL from the SSH bastion (admin tunnel)',
    );

    // What an operator needs to connect (README deploy guide): address, instance, and where a created key lives.
    new CfnOutput(this, 'BastionPublicIp', { value: this.bastion.instance.instancePublicIp });
    new CfnOutput(this, 'BastionInstanceId', { value: this.bastion.instance.instanceId });
    if (this.bastion.sessionDocument) {
      new CfnOutput(this, 'BastionSessionDocument', {
        description: 'aws ssm start-session --target <BastionInstanceId> --document-name <this>',
        value: this.bastion.sessionDocument.ref,
      });
    }
    new CfnOutput(this, 'BastionOperatorPolicies', {
      description: "Attach each to that person's own IAM identity (database login by IAM auth, recorded sessions)",
      value: config.bastion.operators.map((op) => `${names.resourcePrefix}-operator-${op.name}`).join(','),
    });
    if (!config.bastion.sshPublicKey) {
      new CfnOutput(this, 'BastionPrivateKeyParameter', {
        description: 'SSM SecureString holding the private key EC2 created (aws ssm get-parameter --with-decryption)',
        value: this.bastion.keyPair.privateKey.parameterName,
      });
    }
  }
}
