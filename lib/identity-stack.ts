import { Annotations, CfnOutput } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { HardenedUserPool } from '../constructs/hardened-user-pool';
import { KitKeys } from '../constructs/kit-keys';
import { PushIdentityPool } from '../constructs/push-identity-pool';
import { PushPlatformApplications } from '../constructs/push-platform-applications';
import { kitNames } from '../core/naming';
import { KitStack, KitStackProps } from './kit-stack';

export interface IdentityStackProps extends KitStackProps {
  readonly keys: KitKeys;
}

/**
 * Identity and push (stateful): the hardened Cognito user pool and mobile app client, an identity pool for
 * signed-in users whose role grants nothing, and — when push credentials are configured — the SNS APNs/FCM
 * platform applications with a CMK-encrypted events topic.
 */
export class IdentityStack extends KitStack {
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  readonly identityPool: PushIdentityPool;
  /** Platform application ARNs by platform; empty when no push credentials are configured. */
  readonly platformApplicationArns: { apns?: string; fcm?: string };
  /** Endpoint created/deleted/updated and delivery-failure events of the platform applications, when push is on. */
  readonly pushEventsTopic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, { ...props, stateful: true });
    const { config, keys } = props;
    const namePrefix = kitNames(config).resourcePrefix;

    const users = new HardenedUserPool(this, 'UserPool', {
      directoryMode: config.directoryMode,
      userPoolName: `${namePrefix}-users`,
    });
    this.userPool = users.userPool;
    this.userPoolClient = users.appClient;

    this.identityPool = new PushIdentityPool(this, 'IdentityPool', {
      userPool: this.userPool,
      userPoolClient: this.userPoolClient,
      identityPoolName: `${namePrefix}-identities`,
    });

    const { apnsSecretName, fcmSecretName, apnsSandbox } = config.push;
    if (apnsSecretName || fcmSecretName) {
      const push = new PushPlatformApplications(this, 'Push', {
        namePrefix,
        apnsSecretName,
        apnsSandbox,
        fcmSecretName,
        dataKey: keys.dataKey,
        logsKey: keys.logsKey,
        logRetentionDays: config.logRetentionDays,
      });
      this.platformApplicationArns = { apns: push.apnsArn, fcm: push.fcmArn };
      this.pushEventsTopic = push.eventsTopic;
    } else {
      this.platformApplicationArns = {};
      Annotations.of(this).addInfo(
        'hipaa-kit: push notifications are disabled (no push credentials configured). To enable them, store the ' +
          'APNs token JSON {signingKey,keyId,teamId,bundleId} and/or the FCM service-account JSON in Secrets Manager ' +
          '(encrypted with the kit data key) and set push.apnsSecretName and/or push.fcmSecretName in the profile.',
      );
    }

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'AppClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'IdentityPoolId', { value: this.identityPool.identityPoolId });
  }
}
