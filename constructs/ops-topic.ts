import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

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
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}
