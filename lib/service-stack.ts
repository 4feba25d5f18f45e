import * as path from 'node:path';
import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Ec2ContainerCluster } from '../constructs/ec2-container-cluster';
import { KitKeys } from '../constructs/kit-keys';
import { MessagingService } from '../constructs/messaging-service';
import { DeletionProtectionAfterCreate } from '../constructs/deletion-protection-after-create';
import { LoadBalancerCertificate, SecureLoadBalancer } from '../constructs/secure-load-balancer';
import { WebAcl } from '../constructs/web-acl';
import { KitConfig } from '../core/config';
import { kitNames } from '../core/naming';
import { IdentityStack } from './identity-stack';
import { KitStack, KitStackProps } from './kit-stack';

export interface ServiceStackProps extends KitStackProps {
  readonly keys: KitKeys;
  readonly vpc: ec2.IVpc;
  readonly database: rds.DatabaseInstance;
  /** RDS-managed master secret of `database` (JSON `username`/`password`). */
  readonly databaseSecret: secretsmanager.ISecret;
  readonly accessLogsBucket: s3.IBucket;
  readonly opsTopic: sns.ITopic;
  readonly identity: IdentityStack;
  /** The messaging service's source (its Dockerfile is built as an image asset). @default - the repo's service/ */
  readonly serviceSourceDirectory?: string;
}

/**
 * The messaging service (stateless): ECS on EC2 hosts in the private subnets, the service tasks, and the
 * internet-facing ALB behind a WAF web ACL.
 */
export class ServiceStack extends KitStack {
  readonly containerCluster: Ec2ContainerCluster;
  readonly messagingService: MessagingService;
  readonly loadBalancer: SecureLoadBalancer;
  readonly webAcl: WebAcl;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, { ...props, stateful: false });
    const { config, keys, identity } = props;
    const names = kitNames(config);
    const namePrefix = names.resourcePrefix;
    const svc = config.service;

    this.containerCluster = new Ec2ContainerCluster(this, 'ContainerCluster', {
      vpc: props.vpc,
      clusterName: `${namePrefix}-cluster`,
      instanceType: svc.instanceType,
      volumeKey: keys.dataKey,
      // One host per AZ at least; awsvpc tasks need an ENI each, so in the worst case one task per host,
      // plus room for a rolling deployment (maxHealthyPercent 200).
      minCapacity: config.availabilityZones.length,
      maxCapacity: svc.maxCount + svc.desiredCount,
      notificationTopic: props.opsTopic,
      logsKey: keys.logsKey,
      logRetentionDays: config.logRetentionDays,
    });

    const userPool = identity.userPool;
    const issuer = userPool.userPoolProviderUrl;
    this.messagingService = new MessagingService(this, 'MessagingService', {
      capacity: {
        cluster: this.containerCluster.cluster,
        capacityProviderName: this.containerCluster.capacityProvider.capacityProviderName,
        cpuUnits: svc.cpuUnits,
        memoryMiB: svc.memoryMiB,
        desiredCount: svc.desiredCount,
        maxCount: svc.maxCount,
      },
      image: {
        sourceDirectory: props.serviceSourceDirectory ?? path.join(__dirname, '..', 'service'),
        imageUri: svc.imageUri,
        cpuArchitecture: new ec2.InstanceType(svc.instanceType).architecture,
      },
      network: {
        vpc: props.vpc,
        // The ALB is the only proxy, and it lives inside the VPC.
        trustedProxyCidr: config.vpcCidr,
      },
      dataKey: keys.dataKey,
      logs: { key: keys.logsKey, retentionDays: config.logRetentionDays },
      database: {
        instance: props.database,
        resourceId: databaseResourceId(props.database),
        secret: props.databaseSecret,
        name: config.database.databaseName,
        port: config.database.port,
        // Each operator's own database login (issue 16); none when there is no bastion to reach the database from.
        operatorLogins: config.bastion.enabled ? config.bastion.operators.map((op) => op.name) : [],
      },
      auth: {
        issuer,
        jwksUri: `${issuer}/.well-known/jwks.json`,
        audience: identity.userPoolClient.userPoolClientId,
      },
      messaging: {
        retentionDays: config.messaging.retentionDays,
        membersCliniciansOnly: config.messaging.membersCliniciansOnly,
        breakGlassMinutes: config.messaging.breakGlassMinutes,
        repeatPush: config.messaging.repeatPush,
        directoryMode: config.directoryMode,
        bannerText: svc.bannerText,
      },
      // By name: the Data stack creates both with these fixed names.
      stores: { attachmentsBucketName: names.phiBucketName, keyStoreTableName: names.keyTableName },
      notifications: { opsTopic: props.opsTopic, platformApplicationArns: identity.platformApplicationArns },
    });

    this.containerCluster.addCapacityDependency(this.messagingService.service);

    this.loadBalancer = new SecureLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      certificate: certificateOf(config),
      accessLogsBucket: props.accessLogsBucket,
      accessLogsPrefix: `alb/${namePrefix}`,
    });
    this.loadBalancer.httpsListener.addTargets('Service', {
      port: this.messagingService.containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.messagingService.service],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: '/health',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    this.webAcl = new WebAcl(this, 'WebAcl', {
      name: `${namePrefix}-alb`,
      resourceArn: this.loadBalancer.loadBalancer.loadBalancerArn,
      rateLimitPer5Min: svc.wafRateLimitPer5Min,
      logsKey: keys.logsKey,
      logRetentionDays: config.logRetentionDays,
      serviceEnforcesBodyLimit: true,
    });

    new CfnOutput(this, 'ServiceUrl', { value: `https://${this.loadBalancer.endpointName}` });

    // Last: the ALB is protected only once nothing else in this stack can fail its first create.
    new DeletionProtectionAfterCreate(this, 'DeletionProtection', {
      resources: [this.loadBalancer.protection],
      logsKey: keys.logsKey,
      logRetentionDays: config.logRetentionDays,
    }).lastInStack();
  }
}

function certificateOf(config: KitConfig): LoadBalancerCertificate {
  if (config.certificateArn) return { certificateArn: config.certificateArn };
  // validateConfig guarantees the domain triple when there is no certificate ARN.
  return {
    domainName: config.domainName!,
    hostedZoneId: config.hostedZoneId!,
    hostedZoneName: config.hostedZoneName!,
  };
}

/** The instance's DbiResourceId, which names it in `rds-db:connect` ARNs. */
function databaseResourceId(database: rds.DatabaseInstance): string {
  if (!database.instanceResourceId) {
    throw new Error('database.instanceResourceId is undefined; the service needs it for its rds-db:connect grant');
  }
  return database.instanceResourceId;
}
