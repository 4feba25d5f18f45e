import { AspectPriority, Aspects, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { partitionOf } from '../core/partition';
import { EncryptedLogGroup } from './encrypted-log-group';

export interface Ec2ContainerClusterProps {
  readonly vpc: ec2.IVpc;
  /** Cluster name, fixed so the instance role can name its container-instance ARNs. */
  readonly clusterName: string;
  /** EC2 instance type of the container hosts; must support the VPC's tenancy. */
  readonly instanceType: string;
  /** Customer-managed key for the hosts' EBS volumes; its policy must allow the Auto Scaling service-linked role. */
  readonly volumeKey: kms.IKey;
  /** Minimum number of hosts. @default 2 */
  readonly minCapacity?: number;
  /** Maximum number of hosts. */
  readonly maxCapacity: number;
  /** Root volume size. @default 30 GiB */
  readonly rootVolumeGiB?: number;
  /** CMK-encrypted topic notified of every launch/terminate (and failure) of a host. @default - no notifications */
  readonly notificationTopic?: sns.ITopic;
  /** Where the hosts run. @default - private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Key and retention for the Container Insights log group, which ECS would otherwise create unencrypted. */
  readonly logsKey: kms.IKey;
  readonly logRetentionDays: number;
}

/**
 * An ECS cluster on EC2 (Fargate cannot run in a dedicated-tenancy VPC): an Auto Scaling group built from a
 * launch template (AL2023 ECS-optimized AMI, IMDSv2 only, CMK-encrypted EBS, detailed monitoring) and an ECS
 * capacity provider with managed scaling and managed draining.
 *
 * Tasks are meant to use `awsvpc` networking: the agent's `ECS_AWSVPC_BLOCK_IMDS` then cuts containers off the
 * instance metadata service (and with it the host role's credentials).
 */
export class Ec2ContainerCluster extends Construct {
  readonly cluster: ecs.Cluster;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly capacityProvider: ecs.AsgCapacityProvider;
  readonly hostSecurityGroup: ec2.SecurityGroup;
  readonly instanceRole: iam.Role;

  constructor(scope: Construct, id: string, props: Ec2ContainerClusterProps) {
    super(scope, id);
    const { account, region } = Stack.of(this);
    const partition = partitionOf(region);

    // Not 'Resource': the cluster puts its capacity-provider association beside itself under its own id.
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      clusterName: props.clusterName,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });
    // Container Insights writes to a fixed-name group; created first, with the CMK and a retention, it is used as is.
    const insightsLogs = new EncryptedLogGroup(this, 'InsightsLogGroup', {
      encryptionKey: props.logsKey,
      retentionDays: props.logRetentionDays,
      logGroupName: `/aws/ecs/containerinsights/${props.clusterName}/performance`,
    });
    this.cluster.node.addDependency(insightsLogs);

    this.hostSecurityGroup = new ec2.SecurityGroup(this, 'HostSecurityGroup', {
      vpc: props.vpc,
      description: 'ECS container hosts: no inbound; outbound HTTPS only (ECS, ECR, logs via endpoints or NAT)',
      allowAllOutbound: false,
    });
    this.hostSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs');

    // The host role carries only what the ECS agent needs. Image pulls and log writes go through the task
    // execution role (awsvpc), so unlike CDK's defaults there is no ecr:* or logs:* on "*" here.
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'ECS container host: registers with one cluster and reports task state',
    });
    const clusterArn = `arn:${partition}:ecs:${region}:${account}:cluster/${props.clusterName}`;
    const containerInstances = `arn:${partition}:ecs:${region}:${account}:container-instance/${props.clusterName}/*`;
    const agentPolicy = new iam.ManagedPolicy(this, 'EcsAgentPolicy', {
      description: 'ECS agent on the kit container hosts',
      roles: [this.instanceRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'RegisterWithTheCluster',
          actions: [
            'ecs:RegisterContainerInstance',
            'ecs:DeregisterContainerInstance',
            'ecs:SubmitAttachmentStateChanges',
            'ecs:SubmitContainerStateChange',
            'ecs:SubmitTaskStateChange',
          ],
          resources: [clusterArn],
        }),
        new iam.PolicyStatement({
          sid: 'AgentSessionsForThisCluster',
          actions: ['ecs:Poll', 'ecs:StartTelemetrySession', 'ecs:PutSystemLogEvents'],
          resources: [containerInstances],
          conditions: { ArnEquals: { 'ecs:cluster': clusterArn } },
        }),
        new iam.PolicyStatement({
          sid: 'DiscoverPollEndpoint',
          actions: ['ecs:DiscoverPollEndpoint'],
          resources: ['*'],
        }),
      ],
    });
    acknowledge(
      agentPolicy,
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'ecs:DiscoverPollEndpoint supports no resource-level permissions (AWS service authorization reference); ' +
        'it is the only action on "*", and every other agent action is scoped to this one cluster.',
    );
    acknowledge(
      agentPolicy,
      `AwsSolutions::AwsSolutions-IAM5[Resource::${containerInstances}]`,
      "Container-instance ids are assigned at registration, so the agent is scoped to this cluster's " +
        'container-instance ARNs plus an ecs:cluster condition instead of single instances.',
    );

    const image = ecs.EcsOptimizedImage.amazonLinux2023(
      new ec2.InstanceType(props.instanceType).architecture === ec2.InstanceArchitecture.ARM_64
        ? ecs.AmiHardwareType.ARM
        : ecs.AmiHardwareType.STANDARD,
    );
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      // Containers get no path to instance metadata (the host role's credentials), no privileged mode,
      // and credentials only through their own task role.
      "cat >> /etc/ecs/ecs.config <<'EOF'",
      'ECS_AWSVPC_BLOCK_IMDS=true',
      'ECS_DISABLE_PRIVILEGED=true',
      'ECS_ENABLE_TASK_IAM_ROLE=true',
      'ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=false',
      'EOF',
    );

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: image,
      instanceType: new ec2.InstanceType(props.instanceType),
      userData,
      // CDK's ECS integration would add ecr:* and logs:* on "*" to the host role; the agent policy above replaces it.
      role: this.instanceRole.withoutPolicyUpdates(),
      securityGroup: this.hostSecurityGroup,
      requireImdsv2: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB ?? 30, {
            encrypted: true,
            kmsKey: props.volumeKey,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: props.minCapacity ?? 2,
      maxCapacity: props.maxCapacity,
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      cooldown: Duration.minutes(5),
      groupMetrics: [autoscaling.GroupMetrics.all()],
      notifications: props.notificationTopic
        ? [{ topic: props.notificationTopic, scalingEvents: autoscaling.ScalingEvents.ALL }]
        : undefined,
    });

    // Managed termination protection stays off: it can hang stack deletion (aws-cdk #18179). Managed draining
    // moves tasks off a host before it terminates, and it replaces CDK's Lambda+SNS drain hook entirely.
    this.capacityProvider = new ecs.AsgCapacityProvider(this, 'CapacityProvider', {
      autoScalingGroup: this.autoScalingGroup,
      enableManagedScaling: true,
      enableManagedTerminationProtection: false,
      enableManagedDraining: true,
      targetCapacityPercent: 100,
    });
    this.cluster.addAsgCapacityProvider(this.capacityProvider, { topicEncryptionKey: props.volumeKey });
  }

  /**
   * Makes `service` wait for the cluster's capacity-provider association: CloudFormation otherwise may create a
   * service whose capacity provider is not yet associated with the cluster (see the ECS CloudFormation docs).
   * The association only exists after CDK's own aspect has run, so the dependency is added by a later aspect.
   */
  addCapacityDependency(service: IConstruct): void {
    const cluster = this.cluster;
    Aspects.of(service).add(
      {
        visit(node: IConstruct) {
          if (node !== service) return;
          const association = cluster.node.tryFindChild(cluster.node.id);
          if (association) service.node.addDependency(association);
        },
      },
      { priority: AspectPriority.READONLY },
    );
  }
}
