import * as path from 'node:path';
import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { partitionOf } from '../core/partition';
import { acknowledgeDeployTimeLambda } from './deploy-time-lambda';
import { EncryptedLogGroup } from './encrypted-log-group';

/** Runtime of the push handler: the newest Node.js runtime in aws-cdk-lib 2.276 (cdk-nag AwsSolutions-L1). */
export const PUSH_HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface PushPlatformApplicationsProps {
  /** Prefix of the platform application and topic names, e.g. `hipaa-kit-example`. */
  readonly namePrefix: string;
  /** Secrets Manager secret name with the APNs token-auth JSON {signingKey, keyId, teamId, bundleId}. @default - no APNs application */
  readonly apnsSecretName?: string;
  /** Register the APNs application against the sandbox (development builds). @default false */
  readonly apnsSandbox?: boolean;
  /** Secrets Manager secret name with the FCM HTTP v1 service-account JSON. @default - no FCM application */
  readonly fcmSecretName?: string;
  /** Encrypts the events topic; the push secrets may use it too. */
  readonly dataKey: kms.IKey;
  /** Encrypts the Lambda log groups. */
  readonly logsKey: kms.IKey;
  /** Retention of the Lambda log groups, in days. */
  readonly logRetentionDays: number;
}

/**
 * SNS mobile-push platform applications (APNs and/or FCM). CloudFormation has no resource for them, so a
 * Provider-framework custom resource creates them; its handler reads the credentials from Secrets Manager at run
 * time, so templates carry secret names only. Endpoint created/deleted/updated and delivery-failure events go to a
 * CMK-encrypted topic (nothing subscribes yet; the service prunes an endpoint when a publish reports it disabled).
 *
 * The Lambdas are not attached to the VPC: a dedicated-tenancy VPC cannot host VPC-attached Lambda.
 */
export class PushPlatformApplications extends Construct {
  /** Platform application events (EventEndpointCreated/Deleted/Updated, EventDeliveryFailure). */
  readonly eventsTopic: sns.Topic;
  /** ARN of the APNs platform application, when configured. */
  readonly apnsArn?: string;
  /** ARN of the FCM platform application, when configured. */
  readonly fcmArn?: string;
  readonly handler: lambda.Function;
  readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, props: PushPlatformApplicationsProps) {
    super(scope, id);
    if (!props.apnsSecretName && !props.fcmSecretName) {
      throw new Error('PushPlatformApplications: give apnsSecretName and/or fcmSecretName');
    }
    const { account, region } = Stack.of(this);
    const partition = partitionOf(region);
    const secretArn = (name: string) => `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-??????`;
    const appArn = (platform: string, name: string) =>
      `arn:${partition}:sns:${region}:${account}:app/${platform}/${name}`;

    this.eventsTopic = new sns.Topic(this, 'EventsTopic', {
      topicName: `${props.namePrefix}-push-events`,
      displayName: 'Push platform application events',
      masterKey: props.dataKey,
      enforceSSL: true,
    });

    // The handler: reads two named secrets, manages platform applications, writes its own CMK log group.
    const handlerLogs = new EncryptedLogGroup(this, 'HandlerLogs', {
      encryptionKey: props.logsKey,
      retentionDays: props.logRetentionDays,
    });
    const secretNames = [props.apnsSecretName, props.fcmSecretName].filter((n): n is string => !!n);
    const handlerPolicy = new iam.ManagedPolicy(this, 'HandlerPolicy', {
      description: 'Push platform-application handler: read the push secrets, manage SNS platform applications',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadPushCredentials',
          actions: ['secretsmanager:GetSecretValue'],
          resources: secretNames.map(secretArn),
        }),
        new iam.PolicyStatement({
          sid: 'DecryptPushCredentialsViaSecretsManager',
          actions: ['kms:Decrypt'],
          resources: [props.dataKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'ManagePlatformApplications',
          actions: [
            'sns:CreatePlatformApplication',
            'sns:SetPlatformApplicationAttributes',
            'sns:DeletePlatformApplication',
          ],
          // SNS platform-application actions support no resource type (Service Authorization Reference).
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': region } },
        }),
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [handlerLogs.logGroup.logGroupArn],
        }),
      ],
    });
    acknowledge(
      handlerPolicy,
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'SNS CreatePlatformApplication/SetPlatformApplicationAttributes/DeletePlatformApplication support no resource type, so they need Resource "*"; compensated by limiting the statement to these three actions in this region, on a role only the deploy-time provider can invoke.',
    );
    const handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Push platform-application custom resource handler',
      managedPolicies: [handlerPolicy],
    });

    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Creates SNS push platform applications from Secrets Manager credentials (deploy time only)',
      runtime: PUSH_HANDLER_RUNTIME,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, 'push-platform-handler'), { exclude: ['*.d.cts'] }),
      role: handlerRole.withoutPolicyUpdates(),
      timeout: Duration.minutes(1),
      memorySize: 256,
      architecture: lambda.Architecture.ARM_64,
      logGroup: handlerLogs.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    this.handler.node.addDependency(handlerPolicy);
    acknowledgeDeployTimeLambda(this.handler, 'the push platform-application handler (our code)');

    // The Provider framework's own Lambda, with a role we own (no AWS managed policy, no inline policy).
    const frameworkLogs = new EncryptedLogGroup(this, 'ProviderLogs', {
      encryptionKey: props.logsKey,
      retentionDays: props.logRetentionDays,
    });
    const frameworkPolicy = new iam.ManagedPolicy(this, 'ProviderPolicy', {
      description: 'CDK provider framework for push platform applications: invoke the handler, write its logs',
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeHandler',
          actions: ['lambda:InvokeFunction', 'lambda:GetFunction'],
          resources: [this.handler.functionArn],
        }),
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [frameworkLogs.logGroup.logGroupArn],
        }),
      ],
    });
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'CDK provider framework for push platform applications',
      managedPolicies: [frameworkPolicy],
    });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler,
      frameworkOnEventRole: frameworkRole.withoutPolicyUpdates(),
      logGroup: frameworkLogs.logGroup,
    });
    const frameworkFunction = this.provider.node.findChild('framework-onEvent') as lambda.Function;
    frameworkFunction.node.addDependency(frameworkPolicy);
    acknowledgeDeployTimeLambda(frameworkFunction, 'the CDK-generated provider framework Lambda');

    const platformApp = (id: string, name: string, platform: string, secretName: string) => {
      const resource = new CustomResource(this, id, {
        serviceToken: this.provider.serviceToken,
        resourceType: 'Custom::SnsPlatformApplication',
        properties: {
          Name: name,
          Platform: platform,
          SecretName: secretName,
          EventTopicArn: this.eventsTopic.topicArn,
        },
      });
      resource.node.addDependency(handlerPolicy);
      return appArn(platform, name);
    };
    if (props.apnsSecretName) {
      const platform = props.apnsSandbox ? 'APNS_SANDBOX' : 'APNS';
      this.apnsArn = platformApp('ApnsApplication', `${props.namePrefix}-apns`, platform, props.apnsSecretName);
    }
    if (props.fcmSecretName) {
      this.fcmArn = platformApp('FcmApplication', `${props.namePrefix}-fcm`, 'GCM', props.fcmSecretName);
    }
  }
}
