import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { LogPatternAlarm } from './log-pattern-alarm';

/** One CIS AWS Foundations monitoring control: a metric filter on the trail's log group and its alarm. */
export interface CisControl {
  /** Construct id and metric name, e.g. `RootAccountUse`. */
  readonly id: string;
  readonly description: string;
  /** CloudWatch Logs JSON filter pattern over CloudTrail events. */
  readonly pattern: string;
}

const anyEvent = (...names: string[]) => names.map((n) => `($.eventName = "${n}")`).join(' || ');

/**
 * The CIS AWS Foundations Benchmark monitoring set (section "Monitoring"), as CloudTrail filter patterns: the eight
 * controls the kit's spec names first, then the rest of the set (console failures, S3 policies, Config, gateways,
 * routes, VPCs). Deployments that change security groups, routes or bucket policies alarm too, by design.
 */
export const CIS_CONTROLS: CisControl[] = [
  {
    id: 'UnauthorizedApiCalls',
    description: 'Unauthorized API calls',
    pattern:
      '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
  },
  {
    id: 'ConsoleSignInWithoutMfa',
    description: 'Management console sign-in without MFA',
    pattern:
      '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
  },
  {
    id: 'RootAccountUse',
    description: 'Use of the root account',
    pattern:
      '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }',
  },
  {
    id: 'IamPolicyChanges',
    description: 'IAM policy changes',
    pattern: `{ ($.eventSource = "iam.amazonaws.com") && (${anyEvent(
      'DeleteGroupPolicy',
      'DeleteRolePolicy',
      'DeleteUserPolicy',
      'PutGroupPolicy',
      'PutRolePolicy',
      'PutUserPolicy',
      'CreatePolicy',
      'DeletePolicy',
      'CreatePolicyVersion',
      'DeletePolicyVersion',
      'SetDefaultPolicyVersion',
      'AttachRolePolicy',
      'DetachRolePolicy',
      'AttachUserPolicy',
      'DetachUserPolicy',
      'AttachGroupPolicy',
      'DetachGroupPolicy',
    )}) }`,
  },
  {
    id: 'CloudTrailChanges',
    description: 'CloudTrail configuration changes',
    pattern: `{ ${anyEvent('CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging', 'PutEventSelectors')} }`,
  },
  {
    id: 'KmsKeyDisabledOrScheduledForDeletion',
    description: 'Customer-managed KMS keys disabled or scheduled for deletion',
    pattern: `{ ($.eventSource = "kms.amazonaws.com") && (${anyEvent('DisableKey', 'ScheduleKeyDeletion')}) }`,
  },
  {
    id: 'SecurityGroupChanges',
    description: 'Security group changes',
    pattern: `{ ${anyEvent(
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
      'RevokeSecurityGroupEgress',
      'ModifySecurityGroupRules',
      'CreateSecurityGroup',
      'DeleteSecurityGroup',
    )} }`,
  },
  {
    id: 'NetworkAclChanges',
    description: 'Network ACL changes',
    pattern: `{ ${anyEvent(
      'CreateNetworkAcl',
      'CreateNetworkAclEntry',
      'DeleteNetworkAcl',
      'DeleteNetworkAclEntry',
      'ReplaceNetworkAclEntry',
      'ReplaceNetworkAclAssociation',
    )} }`,
  },
  {
    id: 'ConsoleAuthenticationFailures',
    description: 'Management console authentication failures',
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
  },
  {
    id: 'S3BucketPolicyChanges',
    description: 'S3 bucket policy changes',
    pattern: `{ ($.eventSource = "s3.amazonaws.com") && (${anyEvent(
      'PutBucketAcl',
      'PutBucketPolicy',
      'PutBucketCors',
      'PutBucketLifecycle',
      'PutBucketReplication',
      'DeleteBucketPolicy',
      'DeleteBucketCors',
      'DeleteBucketLifecycle',
      'DeleteBucketReplication',
    )}) }`,
  },
  {
    id: 'ConfigChanges',
    description: 'AWS Config configuration changes',
    pattern: `{ ($.eventSource = "config.amazonaws.com") && (${anyEvent(
      'StopConfigurationRecorder',
      'DeleteDeliveryChannel',
      'PutDeliveryChannel',
      'PutConfigurationRecorder',
    )}) }`,
  },
  {
    id: 'NetworkGatewayChanges',
    description: 'Network gateway changes',
    pattern: `{ ${anyEvent(
      'CreateCustomerGateway',
      'DeleteCustomerGateway',
      'AttachInternetGateway',
      'CreateInternetGateway',
      'DeleteInternetGateway',
      'DetachInternetGateway',
    )} }`,
  },
  {
    id: 'RouteTableChanges',
    description: 'Route table changes',
    pattern: `{ ($.eventSource = "ec2.amazonaws.com") && (${anyEvent(
      'CreateRoute',
      'CreateRouteTable',
      'ReplaceRoute',
      'ReplaceRouteTableAssociation',
      'DeleteRouteTable',
      'DeleteRoute',
      'DisassociateRouteTable',
    )}) }`,
  },
  {
    id: 'VpcChanges',
    description: 'VPC changes',
    pattern: `{ ${anyEvent(
      'CreateVpc',
      'DeleteVpc',
      'ModifyVpcAttribute',
      'AcceptVpcPeeringConnection',
      'CreateVpcPeeringConnection',
      'DeleteVpcPeeringConnection',
      'RejectVpcPeeringConnection',
    )} }`,
  },
];

export interface CisAlarmsProps {
  /** The CloudTrail log group to watch. */
  readonly logGroup: logs.ILogGroup;
  /** Where every alarm goes. */
  readonly alarmTopic: sns.ITopic;
  /** Metric namespace. @default 'HipaaKit/CIS' */
  readonly metricNamespace?: string;
  /** The controls to watch. @default CIS_CONTROLS (the whole CIS monitoring set) */
  readonly controls?: CisControl[];
}

/**
 * CIS monitoring: a metric filter and an alarm per control. Any single matching event in a period alarms
 * (164.308(a)(1)(ii)(D) activity review, (a)(5)(ii)(C) log-in monitoring).
 */
export class CisAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: CisAlarmsProps) {
    super(scope, id);
    const namespace = props.metricNamespace ?? 'HipaaKit/CIS';
    const action = new actions.SnsAction(props.alarmTopic);

    for (const control of props.controls ?? CIS_CONTROLS) {
      const alarm = new LogPatternAlarm(this, control.id, {
        logGroup: props.logGroup,
        pattern: control.pattern,
        metricNamespace: namespace,
        metricName: control.id,
        alarmDescription: `CIS monitoring: ${control.description} (CloudTrail)`,
        action,
      }).alarm;
      this.alarms.push(alarm);
    }
  }
}
