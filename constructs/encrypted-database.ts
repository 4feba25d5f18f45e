import { CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { acknowledgeProtectionAfterCreate, ProtectedResource } from './deletion-protection-after-create';
import { FIXED_NAME_REMOVAL } from './defaults';
import { EncryptedLogGroup } from './encrypted-log-group';

/** Log types exported to CloudWatch Logs; each gets a pre-created CMK log group. */
export const POSTGRES_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;

/**
 * Parameters for PostgreSQL 18 on RDS.
 * - `rds.force_ssl=1`: TLS on every connection (pillar P01).
 * - pgaudit, loaded at start, logs DDL and role/grant changes. Data statements are left to object auditing via
 *   `pgaudit.role` (grant `rds_pgaudit` on PHI tables) so statement text holding PHI is not logged wholesale;
 *   `pgaudit.log_parameter=0` keeps bound values (PHI) out of the logs.
 */
export const POSTGRES_PARAMETERS: Record<string, string> = {
  'rds.force_ssl': '1',
  shared_preload_libraries: 'pg_stat_statements,pgaudit',
  'pgaudit.log': 'ddl,role',
  'pgaudit.log_parameter': '0',
  'pgaudit.role': 'rds_pgaudit',
};

export interface EncryptedDatabaseProps {
  readonly vpc: ec2.IVpc;
  /** @default - the VPC's isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** CMK for storage, Performance Insights and the RDS-managed master secret. */
  readonly encryptionKey: kms.IKey;
  /** CMK for the pre-created log-export groups. */
  readonly logsKey: kms.IKey;
  /** Retention of the exported logs; must be a CloudWatch retention value. */
  readonly logRetentionDays: number;
  /** Fixed DB instance identifier, so the log-export groups can be created first under their fixed names. */
  readonly instanceIdentifier: string;
  /** RDS class, e.g. `db.m6i.large`. */
  readonly instanceClass: string;
  /** A non-default port. */
  readonly port: number;
  readonly allocatedStorageGiB: number;
  /** 1-35 days of automated backups (point-in-time recovery window). */
  readonly backupRetentionDays: number;
  readonly databaseName: string;
  /** @default 'kit_admin' */
  readonly masterUsername?: string;
  /** @default PostgresEngineVersion.VER_18 (major only; minor versions upgrade automatically) */
  readonly engineVersion?: rds.PostgresEngineVersion;
  /** @default Duration.seconds(60) */
  readonly monitoringInterval?: Duration;
  /**
   * Pre-create the account-wide `RDSOSMetrics` group that enhanced monitoring writes to, so it is CMK-encrypted
   * with retention. Turn off when the group already exists in the account and region (CloudFormation cannot
   * create it twice).
   * @default true
   */
  readonly createOsMetricsLogGroup?: boolean;
  /** Topic for the storage and CPU alarms. @default - no alarms */
  readonly alarmTopic?: sns.ITopic;
}

/** Alarm when free storage falls under this fraction of the allocated storage. */
const LOW_STORAGE_FRACTION = 0.1;

/**
 * RDS for PostgreSQL, hardened: Multi-AZ, CMK storage encryption, IAM database authentication, an RDS-managed
 * master secret under the CMK (RDS rotates it itself, so no rotation Lambda sits in the VPC), forced TLS, pgaudit,
 * a non-default port, deletion protection, backups, Performance Insights under the CMK, enhanced monitoring,
 * log exports into CMK log groups, isolated subnets, and a security group that opens nothing by itself.
 */
export class EncryptedDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  /** How DeletionProtectionAfterCreate turns on the instance's deletion protection. */
  readonly protection: ProtectedResource;
  /** The RDS-managed master-user secret (JSON with `username` and `password`), encrypted with the CMK. */
  readonly masterSecret: secretsmanager.ISecret;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroups: EncryptedLogGroup[];

  constructor(scope: Construct, id: string, props: EncryptedDatabaseProps) {
    super(scope, id);
    const { account } = Stack.of(this);
    const engine = rds.DatabaseInstanceEngine.postgres({
      version: props.engineVersion ?? rds.PostgresEngineVersion.VER_18,
    });

    // Exported logs would otherwise land in groups RDS creates unencrypted and kept forever.
    this.logGroups = POSTGRES_LOG_EXPORTS.map(
      (type) =>
        new EncryptedLogGroup(this, `${type[0].toUpperCase()}${type.slice(1)}LogGroup`, {
          encryptionKey: props.logsKey,
          retentionDays: props.logRetentionDays,
          logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${type}`,
        }),
    );

    if (props.createOsMetricsLogGroup ?? true) {
      this.logGroups.push(
        new EncryptedLogGroup(this, 'OsMetricsLogGroup', {
          encryptionKey: props.logsKey,
          retentionDays: props.logRetentionDays,
          logGroupName: 'RDSOSMetrics',
        }),
      );
    }

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: `Hardened PostgreSQL parameters for ${props.instanceIdentifier} (force_ssl, pgaudit)`,
      parameters: POSTGRES_PARAMETERS,
    });

    // No outbound rules: RDS needs none. Ingress is added by the consumers (service, bastion) on the DB port.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `PostgreSQL ${props.instanceIdentifier}: clients are added per consumer on the DB port only`,
      allowAllOutbound: false,
    });

    const monitoringRole = new iam.Role(this, 'MonitoringRole', {
      description: 'RDS enhanced monitoring publishes OS metrics to CloudWatch Logs',
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    acknowledge(
      monitoringRole,
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'AmazonRDSEnhancedMonitoringRole is the AWS-documented service role for RDS enhanced monitoring and AWS keeps it current. Compensating control: only monitoring.rds.amazonaws.com from this account can assume the role.',
    );

    this.instance = new rds.DatabaseInstance(this, 'Resource', {
      engine,
      instanceIdentifier: props.instanceIdentifier,
      instanceType: new ec2.InstanceType(props.instanceClass.replace(/^db\./, '')),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      publiclyAccessible: false,
      port: props.port,
      multiAz: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      storageEncryptionKey: props.encryptionKey,
      databaseName: props.databaseName,
      credentials: rds.Credentials.fromUsername(props.masterUsername ?? 'kit_admin', {
        encryptionKey: props.encryptionKey,
      }),
      manageMasterUserPassword: true,
      iamAuthentication: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      parameterGroup,
      removalPolicy: FIXED_NAME_REMOVAL,
      backupRetention: Duration.days(props.backupRetentionDays),
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.encryptionKey,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      monitoringInterval: props.monitoringInterval ?? Duration.seconds(60),
      monitoringRole,
      cloudwatchLogsExports: [...POSTGRES_LOG_EXPORTS],
    });
    // RDS must find the CMK groups already there, or it creates its own (unencrypted, kept forever).
    const cfnInstance = this.instance.node.defaultChild as CfnResource;
    // Protection comes after the stack's create (DeletionProtectionAfterCreate), so a failed first deploy can roll
    // the instance back; the template states none at all, so no later update turns it off.
    cfnInstance.addPropertyDeletionOverride('DeletionProtection');
    acknowledgeProtectionAfterCreate(cfnInstance, [
      'AwsSolutions::AwsSolutions-RDS10',
      'HIPAA.Security::HIPAA.Security-RDSInstanceDeletionProtectionEnabled',
      'NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled',
    ]);
    this.protection = {
      id: 'Database',
      resource: this.instance,
      call: {
        service: 'RDS',
        action: 'ModifyDBInstance',
        parameters: {
          DBInstanceIdentifier: this.instance.instanceIdentifier,
          DeletionProtection: true,
          ApplyImmediately: true,
        },
        physicalResourceId: cr.PhysicalResourceId.of(`deletion-protection:${props.instanceIdentifier}`),
      },
      permission: new iam.PolicyStatement({
        sid: 'ProtectDatabase',
        actions: ['rds:ModifyDBInstance'],
        resources: [this.instance.instanceArn],
      }),
    };
    for (const group of this.logGroups)
      cfnInstance.addResourceDependency(group.logGroup.node.defaultChild as CfnResource);

    if (props.alarmTopic) this.addAlarms(props.alarmTopic, props.allocatedStorageGiB);

    this.masterSecret = this.instance.secret!;
  }

  /** Capacity alarms: running out of storage or CPU is an availability risk for PHI (164.308(a)(7)). */
  private addAlarms(topic: sns.ITopic, allocatedStorageGiB: number) {
    const action = new actions.SnsAction(topic);
    const lowStorageBytes = allocatedStorageGiB * 1024 ** 3 * LOW_STORAGE_FRACTION;
    const alarms = [
      new cloudwatch.Alarm(this, 'LowFreeStorageAlarm', {
        alarmDescription: `Free storage under ${LOW_STORAGE_FRACTION * 100}% of the allocated ${allocatedStorageGiB} GiB`,
        metric: this.instance.metricFreeStorageSpace({ period: Duration.minutes(5) }),
        threshold: lowStorageBytes,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'HighCpuAlarm', {
        alarmDescription: 'CPU above 80% for 15 minutes',
        metric: this.instance.metricCPUUtilization({ period: Duration.minutes(5) }),
        threshold: 80,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(action);
  }
}
