import { Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrRepo from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { DirectoryMode, MessagingConfig } from '../core/config';
import { partitionOf } from '../core/partition';
import { EncryptedLogGroup } from './encrypted-log-group';

/** Everything the service needs to verify Cognito (or any OIDC) tokens. */
export interface ServiceAuthSettings {
  /** Token issuer, e.g. `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  readonly issuer: string;
  /** JWKS URL of the issuer. */
  readonly jwksUri: string;
  /** Accepted audience (Cognito app client id). */
  readonly audience: string;
}

/** Where the tasks run, their size and their number. */
export interface ServiceCapacity {
  readonly cluster: ecs.ICluster;
  /** Capacity provider the tasks are placed on (EC2; never Fargate). */
  readonly capacityProviderName: string;
  readonly cpuUnits: number;
  readonly memoryMiB: number;
  /** Number of tasks, at least 2 (spread over AZs). */
  readonly desiredCount: number;
  /** Upper bound for CPU-based autoscaling. */
  readonly maxCount: number;
}

/** The container image: built from the service's source, or an existing one. */
export interface ServiceImage {
  /** The service's source directory, built as a Docker image asset (its Dockerfile). */
  readonly sourceDirectory: string;
  /** Run this existing image instead of building `sourceDirectory`. @default - build `sourceDirectory` */
  readonly imageUri?: string;
  /** CPU architecture of the container hosts, for the image build. @default x86_64 */
  readonly cpuArchitecture?: ec2.InstanceArchitecture;
}

export interface ServiceNetwork {
  readonly vpc: ec2.IVpc;
  /** Port the container listens on (the service's `PORT`). @default 8080 */
  readonly containerPort?: number;
  /** Addresses whose `X-Forwarded-For` the service believes (the ALB's subnets). */
  readonly trustedProxyCidr: string;
}

export interface ServiceLogs {
  readonly key: kms.IKey;
  readonly retentionDays: number;
}

export interface ServiceDatabase {
  readonly instance: rds.IDatabaseInstance;
  /** The database's DbiResourceId (`instanceResourceId`), for the `rds-db:connect` grant of the serving login. */
  readonly resourceId: string;
  /** The serving login (IAM database authentication; created by the service's migrations). @default hmk_service */
  readonly serviceUser?: string;
  /**
   * RDS-managed master secret (JSON `username`/`password`), injected as `DB_USERNAME`/`DB_PASSWORD` and used
   * by the service only to run its migrations at start; it serves as `serviceUser`.
   */
  readonly secret: secretsmanager.ISecret;
  readonly name: string;
  /** The database's (non-default) port. */
  readonly port: number;
  /**
   * Bastion operators (`bastion.operators` names): the service's start-up step keeps one IAM-authenticated login per
   * name and disables those no longer listed (`BASTION_OPERATORS`). @default none
   */
  readonly operatorLogins?: readonly string[];
}

/**
 * How the service treats its users, passed to it as environment: the organisation-wide messaging settings
 * (`RETENTION_DAYS`, `MEMBERS_CLINICIANS_ONLY`, `BREAK_GLASS_MINUTES`), the directory mode, the banner and logoff.
 */
export interface ServiceMessagingSettings extends Pick<
  MessagingConfig,
  'retentionDays' | 'membersCliniciansOnly' | 'breakGlassMinutes'
> {
  /** Repeat push until read (`REPEAT_PUSH_AFTER_MINUTES`, `REPEAT_PUSH_MAX`). @default off */
  readonly repeatPush?: MessagingConfig['repeatPush'];
  readonly directoryMode: DirectoryMode;
  readonly bannerText: string;
  /** Session idle timeout (pillar P14). @default 900 */
  readonly idleTimeoutSeconds?: number;
}

/** The data stores the service reaches by name (their stack creates them with fixed names: no cross-stack export). */
export interface ServiceStores {
  /**
   * The PHI bucket (SSE-KMS under `dataKey`). The service presigns uploads and downloads of objects under
   * `attachments/` and deletes them with every version; nothing else in the bucket.
   */
  readonly attachmentsBucketName: string;
  /** The conversation-key table (`KEY_STORE_TABLE`, encrypted with `dataKey`). */
  readonly keyStoreTableName: string;
}

export interface ServiceNotifications {
  /** Where break-glass notices are published (`NOTIFY_MODE=sns`): the kit's ops topic, encrypted with `dataKey`. */
  readonly opsTopic: sns.ITopic;
  /** SNS platform applications for push; none configured disables push. @default - push off */
  readonly platformApplicationArns?: { readonly apns?: string; readonly fcm?: string };
}

export interface MessagingServiceProps {
  readonly capacity: ServiceCapacity;
  readonly image: ServiceImage;
  readonly network: ServiceNetwork;
  /**
   * Envelope-encryption key (`KMS_KEY_ID`); also the key of the DB secret, the PHI bucket, the key table and the
   * ops topic.
   */
  readonly dataKey: kms.IKey;
  readonly logs: ServiceLogs;
  readonly database: ServiceDatabase;
  readonly auth: ServiceAuthSettings;
  readonly messaging: ServiceMessagingSettings;
  readonly stores: ServiceStores;
  readonly notifications: ServiceNotifications;
}

/** The only key prefix of the PHI bucket the service may touch. */
export const ATTACHMENTS_PREFIX = 'attachments/';

/**
 * The messaging service on ECS/EC2: an `awsvpc` task (read-only root filesystem, non-root user, all Linux
 * capabilities dropped, secrets from Secrets Manager, logs to a CMK log group) and a service of at least two
 * tasks spread over AZs, with a rollback circuit breaker and CPU autoscaling.
 * Roles carry customer-managed policies written here, scoped to the named resources.
 */
export class MessagingService extends Construct {
  readonly service: ecs.Ec2Service;
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: EncryptedLogGroup;
  readonly containerPort: number;

  constructor(scope: Construct, id: string, props: MessagingServiceProps) {
    super(scope, id);
    this.containerPort = props.network.containerPort ?? 8080;
    const { idleTimeoutSeconds, databaseServiceUser } = checkedSettings(props);

    this.logGroup = new EncryptedLogGroup(this, 'LogGroup', {
      encryptionKey: props.logs.key,
      retentionDays: props.logs.retentionDays,
    });
    const { image, repositoryArn } = this.resolveImage(props.image);
    const executionRole = this.createExecutionRole(props, repositoryArn);
    const taskRole = this.createTaskRole(props, databaseServiceUser);
    this.taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition', {
      networkMode: ecs.NetworkMode.AWS_VPC,
      taskRole,
      executionRole: executionRole.withoutPolicyUpdates(),
    });
    this.addServiceContainer(props, image, this.environment(props, idleTimeoutSeconds, databaseServiceUser));
    this.securityGroup = this.createSecurityGroup(props.network.vpc, props.database);
    this.service = this.createService(props.capacity);
  }

  /** The container image, and the ECR repository the execution role may pull from (none for non-ECR images). */
  private resolveImage(image: ServiceImage) {
    if (image.imageUri) {
      const ecrImage =
        /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([\w.-]+)|@(sha256:[0-9a-f]{64}))$/;
      const ecr = ecrImage.exec(image.imageUri);
      if (!ecr) return { image: ecs.ContainerImage.fromRegistry(image.imageUri), repositoryArn: undefined };
      const repositoryArn = `arn:${partitionOf(Stack.of(this).region)}:ecr:${ecr[2]}:${ecr[1]}:repository/${ecr[3]}`;
      const repository = ecrRepo.Repository.fromRepositoryArn(this, 'ImageRepository', repositoryArn);
      return { image: ecs.ContainerImage.fromEcrRepository(repository, ecr[4] ?? ecr[5]), repositoryArn };
    }
    const asset = new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: image.sourceDirectory,
      // Keep the build context to what the Dockerfile needs (and the asset hash stable).
      exclude: ['node_modules', 'dist', 'scratch', 'coverage', '.git', '*.log', '.env*'],
      platform:
        image.cpuArchitecture === ec2.InstanceArchitecture.ARM_64
          ? ecrAssets.Platform.LINUX_ARM64
          : ecrAssets.Platform.LINUX_AMD64,
    });
    return { image: ecs.ContainerImage.fromDockerImageAsset(asset), repositoryArn: asset.repository.repositoryArn };
  }

  /**
   * The role the ECS agent uses to pull the image, write logs and read the DB secret. CDK would add its own grants to
   * it as an inline DefaultPolicy; the managed policy here carries exactly those permissions instead.
   */
  private createExecutionRole(props: MessagingServiceProps, repositoryArn: string | undefined): iam.Role {
    const { region } = Stack.of(this);
    // The plain service trust: the agent assumes this role, and the ECS docs give no confused-deputy conditions for it.
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Messaging service task execution: pull the image, write logs, read the DB secret',
    });
    const executionStatements = [
      new iam.PolicyStatement({
        sid: 'WriteContainerLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroup.logGroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadDatabaseSecret',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.database.secret.secretArn],
      }),
      new iam.PolicyStatement({
        sid: 'DecryptDatabaseSecret',
        actions: ['kms:Decrypt'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      }),
    ];
    if (repositoryArn) {
      executionStatements.push(
        new iam.PolicyStatement({
          sid: 'PullServiceImage',
          actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
          resources: [repositoryArn],
        }),
        new iam.PolicyStatement({
          sid: 'EcrAuthorizationToken',
          actions: ['ecr:GetAuthorizationToken'],
          resources: ['*'],
        }),
      );
    }
    const executionPolicy = new iam.ManagedPolicy(this, 'ExecutionPolicy', {
      description: 'Messaging service task execution',
      roles: [executionRole],
      statements: executionStatements,
    });
    if (repositoryArn) {
      acknowledge(
        executionPolicy,
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        'ecr:GetAuthorizationToken supports no resource-level permissions; it is the only action on "*" and ' +
          'image layers can be pulled only from the one service repository named in this policy.',
      );
    }
    return executionRole;
  }

  /**
   * The role the service runs as: database login (IAM auth), envelope encryption, conversation keys, attachments,
   * break-glass notices and push publishing, each scoped to the named resource.
   */
  private createTaskRole(props: MessagingServiceProps, databaseServiceUser: string): iam.Role {
    const { account, region } = Stack.of(this);
    const partition = partitionOf(region);
    // Confused-deputy guard on the task role, as the ECS task-role docs show.
    const ecsTasksOfThisAccount = new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
      conditions: {
        ArnLike: { 'aws:SourceArn': `arn:${partition}:ecs:${region}:${account}:*` },
        StringEquals: { 'aws:SourceAccount': account },
      },
    });
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: ecsTasksOfThisAccount,
      description:
        'Messaging service: database login (IAM auth), envelope encryption, conversation keys, attachments, ' +
        'break-glass notices and push publishing',
    });
    const bucketArn = `arn:${partition}:s3:::${props.stores.attachmentsBucketName}`;
    const attachmentObjects = `${bucketArn}/${ATTACHMENTS_PREFIX}*`;
    const keyTableArn = `arn:${partition}:dynamodb:${region}:${account}:table/${props.stores.keyStoreTableName}`;
    const taskStatements = [
      // Unconditioned, because the service calls KMS itself for envelope encryption. The same key encrypts the PHI
      // bucket (S3 generates and decrypts SSE-KMS data keys as the caller), the key table (DynamoDB decrypts its
      // table key as the caller) and the ops topic (SNS needs both actions from a publisher), so a copy of this
      // statement conditioned on kms:ViaService for each of those would grant nothing more.
      new iam.PolicyStatement({
        sid: 'UseDataKey',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.dataKey.keyArn],
      }),
      // Conversation keys: read, create, and delete (crypto-shredding); by primary key and per conversation.
      new iam.PolicyStatement({
        sid: 'ConversationKeyStore',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        resources: [keyTableArn],
      }),
      // Presigned uploads and downloads are signed with these permissions; retention deletes every version.
      new iam.PolicyStatement({
        sid: 'ReadWriteAttachments',
        actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [attachmentObjects],
      }),
      // Listing the versions of an attachment (to delete them all). s3:ListBucket is what lets S3 answer a HEAD of a
      // missing object with 404 rather than 403; that it still does under the prefix condition is unverified here.
      new iam.PolicyStatement({
        sid: 'ListAttachmentVersions',
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': `${ATTACHMENTS_PREFIX}*` } },
      }),
      new iam.PolicyStatement({
        sid: 'PublishBreakGlassNotices',
        actions: ['sns:Publish'],
        resources: [props.notifications.opsTopic.topicArn],
      }),
      // The serving pools log in as the non-owner service login with IAM database authentication tokens.
      // Written here rather than database.grantConnect(), which would add an inline policy to the task role.
      new iam.PolicyStatement({
        sid: 'ConnectAsServiceLogin',
        actions: ['rds-db:connect'],
        resources: [
          `arn:${partition}:rds-db:${region}:${account}:dbuser:${props.database.resourceId}/${databaseServiceUser}`,
        ],
      }),
    ];
    const platformApps = platformApplicationsOf(props.notifications);
    const endpointArns = platformApps.map(endpointArnPattern);
    if (platformApps.length > 0) {
      taskStatements.push(
        new iam.PolicyStatement({
          sid: 'RegisterDevices',
          actions: ['sns:CreatePlatformEndpoint'],
          resources: platformApps,
        }),
        new iam.PolicyStatement({
          sid: 'PushToRegisteredDevices',
          actions: ['sns:Publish', 'sns:GetEndpointAttributes', 'sns:SetEndpointAttributes', 'sns:DeleteEndpoint'],
          resources: endpointArns,
        }),
      );
    }
    const taskPolicy = new iam.ManagedPolicy(this, 'TaskPolicy', {
      description: 'Messaging service task',
      roles: [taskRole],
      statements: taskStatements,
    });
    acknowledge(
      taskPolicy,
      `AwsSolutions::AwsSolutions-IAM5[Resource::${attachmentObjects}]`,
      'Attachment objects are created per upload at run time under random keys, so object access is scoped to the ' +
        'attachments/ prefix of the one PHI bucket; the bucket refuses uploads not encrypted under the kit data key, ' +
        'and CloudTrail records every object-level access (data events).',
    );
    // The kit's platform application ARNs are deterministic strings; a token ARN would surface as an open finding.
    for (const endpoints of endpointArns.filter((arn) => !Token.isUnresolved(arn))) {
      acknowledge(
        taskPolicy,
        `AwsSolutions::AwsSolutions-IAM5[Resource::${endpoints}]`,
        "SNS endpoint ARNs are created per device at run time, so push is scoped to the endpoints of the kit's own " +
          'platform application; payloads carry ids and a generic text only (no PHI).',
      );
    }
    return taskRole;
  }

  /** The service's environment: only non-secret settings (endpoints, ids, banner, modes). */
  private environment(
    props: MessagingServiceProps,
    idleTimeoutSeconds: number,
    databaseServiceUser: string,
  ): Record<string, string> {
    const { auth, database, messaging, stores, notifications } = props;
    const push = notifications.platformApplicationArns ?? {};
    return {
      NODE_ENV: 'production',
      PORT: String(this.containerPort),
      LOG_LEVEL: 'info',
      AWS_REGION: Stack.of(this).region,
      KMS_KEY_ID: props.dataKey.keyArn,
      AUTH_ISSUER: auth.issuer,
      AUTH_JWKS_URI: auth.jwksUri,
      AUTH_AUDIENCE: auth.audience,
      IDLE_TIMEOUT_SECONDS: String(idleTimeoutSeconds),
      DIRECTORY_MODE: messaging.directoryMode,
      BANNER_TEXT: messaging.bannerText,
      TRUST_PROXY: props.network.trustedProxyCidr,
      DB_HOST: database.instance.dbInstanceEndpointAddress,
      DB_PORT: String(database.port),
      DB_NAME: database.name,
      DB_SSL: 'verify-full',
      // Serving login: never the owner. IAM tokens are signed for AWS_REGION (set above).
      DB_SERVICE_USER: databaseServiceUser,
      DB_IAM_AUTH: 'true',
      MIGRATE_ON_START: 'true',
      // Always set, even empty: an empty list disables every operator login the service created before.
      BASTION_OPERATORS: (database.operatorLogins ?? []).join(','),
      PUSH_MODE: platformApplicationsOf(notifications).length > 0 ? 'sns' : 'disabled',
      ...(push.apns ? { SNS_APNS_PLATFORM_APPLICATION_ARN: push.apns } : {}),
      ...(push.fcm ? { SNS_FCM_PLATFORM_APPLICATION_ARN: push.fcm } : {}),
      // Conversation keys outside the database, so deleting one crypto-shreds its messages in every DB backup.
      KEY_STORE: 'dynamodb',
      KEY_STORE_TABLE: stores.keyStoreTableName,
      ATTACHMENTS_MODE: 's3',
      ATTACHMENTS_BUCKET: stores.attachmentsBucketName,
      // Signed into every presigned upload; the bucket policy refuses any other key.
      ATTACHMENTS_KMS_KEY_ID: props.dataKey.keyArn,
      NOTIFY_MODE: 'sns',
      OPS_TOPIC_ARN: notifications.opsTopic.topicArn,
      RETENTION_DAYS: String(messaging.retentionDays),
      MEMBERS_CLINICIANS_ONLY: String(messaging.membersCliniciansOnly),
      BREAK_GLASS_MINUTES: String(messaging.breakGlassMinutes),
      REPEAT_PUSH_AFTER_MINUTES: String(messaging.repeatPush?.afterMinutes ?? 0),
      REPEAT_PUSH_MAX: String(messaging.repeatPush?.maxRepeats ?? 2),
    };
  }

  /** The service container: read-only root, non-root user, no capabilities, DB credentials as ECS secrets. */
  private addServiceContainer(
    props: MessagingServiceProps,
    image: ecs.ContainerImage,
    environment: Record<string, string>,
  ): void {
    // Imported by ARN without its key: a grant through the key object would write this stack's role into the
    // Keys stack's key policy (a cross-stack cycle). The execution policy carries secret and key access.
    const dbSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'DatabaseSecret',
      props.database.secret.secretArn,
    );

    const linuxParameters = new ecs.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true });
    linuxParameters.dropCapabilities(ecs.Capability.ALL);
    // The root filesystem is read-only; the service's only scratch space is a small in-memory /tmp.
    linuxParameters.addTmpfs({
      containerPath: '/tmp',
      size: 64,
      mountOptions: [ecs.TmpfsMountOption.NOEXEC, ecs.TmpfsMountOption.NOSUID, ecs.TmpfsMountOption.NODEV],
    });

    this.taskDefinition.addContainer('Service', {
      image,
      cpu: props.capacity.cpuUnits,
      memoryLimitMiB: props.capacity.memoryMiB,
      essential: true,
      readonlyRootFilesystem: true,
      user: SERVICE_USER,
      privileged: false,
      linuxParameters,
      portMappings: [{ containerPort: this.containerPort, protocol: ecs.Protocol.TCP }],
      environment,
      // The owner (master) credentials are used only to run the migrations at start (which create the serving
      // login); the serving pools log in as DB_SERVICE_USER with IAM database authentication tokens.
      secrets: {
        DB_USERNAME: ecs.Secret.fromSecretsManager(dbSecret, 'username'),
        DB_PASSWORD: ecs.Secret.fromSecretsManager(dbSecret, 'password'),
      },
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'service', logGroup: this.logGroup.logGroup }),
      healthCheck: {
        // The image is node:slim (no curl); Node's fetch probes the unauthenticated /health route.
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${this.containerPort}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      stopTimeout: Duration.seconds(30),
    });
    acknowledge(
      this.taskDefinition,
      'AwsSolutions::AwsSolutions-ECS2',
      'The container environment holds only non-secret settings (endpoints, ids, banner, modes); the database ' +
        'credentials come from the RDS-managed Secrets Manager secret via ECS secrets, never as plain values.',
    );
  }

  /** Tasks reach only HTTPS and the database; the load balancer's target group adds the only inbound rule. */
  private createSecurityGroup(vpc: ec2.IVpc, database: ServiceDatabase): ec2.SecurityGroup {
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'Messaging service tasks: inbound only from the load balancer; outbound to the DB and HTTPS',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and the JWKS URL');
    // Initiated from this side so CDK puts the DB security group's ingress rule in this stack (no cycle).
    // The concrete port keeps the rules readable for the nag rules (the DB's own port is a cross-stack token).
    securityGroup.connections.allowTo(
      database.instance,
      ec2.Port.tcp(database.port),
      'Messaging service tasks to the database',
    );
    return securityGroup;
  }

  /** The ECS service: tasks spread over zones and hosts, rolled back on failure, scaled on CPU. */
  private createService(capacity: ServiceCapacity): ecs.Ec2Service {
    const service = new ecs.Ec2Service(this, 'Resource', {
      cluster: capacity.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: capacity.desiredCount,
      capacityProviderStrategies: [{ capacityProvider: capacity.capacityProviderName, weight: 1 }],
      placementStrategies: [
        ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE),
        ecs.PlacementStrategy.spreadAcrossInstances(),
      ],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      healthCheckGracePeriod: Duration.seconds(90),
    });
    const scaling = service.autoScaleTaskCount({
      minCapacity: capacity.desiredCount,
      maxCapacity: capacity.maxCount,
    });
    scaling.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: 60,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    return service;
  }
}

/** Checks what the prop types cannot (ranges, the topic's key, the login name); returns the settings with defaults. */
function checkedSettings(props: MessagingServiceProps) {
  const idleTimeoutSeconds = props.messaging.idleTimeoutSeconds ?? 900;
  if (!Number.isInteger(idleTimeoutSeconds) || idleTimeoutSeconds < 1 || idleTimeoutSeconds > 900) {
    throw new Error(
      `messaging.idleTimeoutSeconds: ${idleTimeoutSeconds} must be 1 to 900 (automatic logoff, pillar P14)`,
    );
  }
  if (props.notifications.opsTopic.masterKey !== props.dataKey) {
    // The task policy grants KMS use of the data key only; a topic under another key would refuse every publish.
    throw new Error('notifications.opsTopic: must be encrypted with dataKey (the task may use no other KMS key)');
  }
  const { desiredCount, maxCount } = props.capacity;
  if (desiredCount < 2 || maxCount < desiredCount) {
    throw new Error(
      `capacity.desiredCount/maxCount: ${desiredCount}/${maxCount}; run at least 2 tasks and maxCount >= desiredCount`,
    );
  }
  const databaseServiceUser = props.database.serviceUser ?? 'hmk_service';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseServiceUser)) {
    throw new Error(`database.serviceUser: "${databaseServiceUser}" must be a lower-case Postgres role name`);
  }
  return { idleTimeoutSeconds, databaseServiceUser };
}

/** The configured push platform applications (APNs, FCM); none means push is off. */
function platformApplicationsOf(notifications: ServiceNotifications): string[] {
  return Object.values(notifications.platformApplicationArns ?? {}).filter((a): a is string => !!a);
}

/** The non-root user of service/Dockerfile (node's `node` user). */
export const SERVICE_USER = '1000:1000';

/** `arn:...:app/<PLATFORM>/<name>` → `arn:...:endpoint/<PLATFORM>/<name>/*` (works for tokens too). */
function endpointArnPattern(platformApplicationArn: string): string {
  if (!Token.isUnresolved(platformApplicationArn)) {
    return `${platformApplicationArn.replace(':app/', ':endpoint/')}/*`;
  }
  const parts = Fn.split(':app/', platformApplicationArn, 2);
  return Fn.join('', [Fn.select(0, parts), ':endpoint/', Fn.select(1, parts), '/*']);
}
