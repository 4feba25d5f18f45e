import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { partitionOf } from '../core/partition';

export interface OpsTopicProps {
  /** CMK for the topic; its policy must admit `cloudwatch.amazonaws.com` so alarms can publish. */
  readonly masterKey: kms.IKey;
  /** Email subscribed to every alarm. The recipient must confirm the subscription. @default - no subscription */
  readonly email?: string;
}

/** The CMK-encrypted, TLS-only topic that receives every security and operations alarm of the kit. */
export class OpsTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: OpsTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Resource', {
      displayName: 'HIPAA kit operations and security alarms',
      masterKey: props.masterKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so CloudWatch alarms may publish only if it says so; without this
    // statement every alarm fires into nothing. Scoped to this account's alarms (confused-deputy protection).
    const { account, region } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisAccountsCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partitionOf(region)}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}
