/**
 * The IAM action behind every SDK command the verifier sends. `call()` refuses a command missing here, the
 * AccessDenied message names the action, and a test checks verify/read-only-policy.json grants all of them.
 * (S3 and a few others name actions unlike their API: GetBucketEncryption needs s3:GetEncryptionConfiguration.)
 */
export const COMMAND_PERMISSIONS: Record<string, string> = {
  GetCallerIdentityCommand: 'sts:GetCallerIdentity',
  DescribeStacksCommand: 'cloudformation:DescribeStacks',
  ListStackResourcesCommand: 'cloudformation:ListStackResources',
  DescribeKeyCommand: 'kms:DescribeKey',
  GetKeyRotationStatusCommand: 'kms:GetKeyRotationStatus',
  GetKeyPolicyCommand: 'kms:GetKeyPolicy',
  GetTrailCommand: 'cloudtrail:GetTrail',
  GetTrailStatusCommand: 'cloudtrail:GetTrailStatus',
  GetEventSelectorsCommand: 'cloudtrail:GetEventSelectors',
  ListObjectsV2Command: 's3:ListBucket',
  DescribeVpcsCommand: 'ec2:DescribeVpcs',
  DescribeSecurityGroupsCommand: 'ec2:DescribeSecurityGroups',
  DescribeNetworkAclsCommand: 'ec2:DescribeNetworkAcls',
  DescribeInstancesCommand: 'ec2:DescribeInstances',
  DescribeVolumesCommand: 'ec2:DescribeVolumes',
  GetBucketEncryptionCommand: 's3:GetEncryptionConfiguration',
  GetPublicAccessBlockCommand: 's3:GetBucketPublicAccessBlock',
  GetBucketVersioningCommand: 's3:GetBucketVersioning',
  GetBucketPolicyCommand: 's3:GetBucketPolicy',
  GetBucketPolicyStatusCommand: 's3:GetBucketPolicyStatus',
  GetBucketAclCommand: 's3:GetBucketAcl',
  GetObjectLockConfigurationCommand: 's3:GetBucketObjectLockConfiguration',
  DescribeDBInstancesCommand: 'rds:DescribeDBInstances',
  DescribeDBParametersCommand: 'rds:DescribeDBParameters',
  GetBackupPlanCommand: 'backup:GetBackupPlan',
  ListRecoveryPointsByResourceCommand: 'backup:ListRecoveryPointsByResource',
  DescribeUserPoolCommand: 'cognito-idp:DescribeUserPool',
  GetUserPoolMfaConfigCommand: 'cognito-idp:GetUserPoolMfaConfig',
  DescribeUserPoolClientCommand: 'cognito-idp:DescribeUserPoolClient',
  DescribeListenersCommand: 'elasticloadbalancing:DescribeListeners',
  DescribeRulesCommand: 'elasticloadbalancing:DescribeRules',
  DescribeLoadBalancerAttributesCommand: 'elasticloadbalancing:DescribeLoadBalancerAttributes',
  GetWebACLForResourceCommand: 'wafv2:GetWebACLForResource',
  GetTopicAttributesCommand: 'sns:GetTopicAttributes',
  ListRolePoliciesCommand: 'iam:ListRolePolicies',
};

/** The IAM action a command needs; throws for a command nobody mapped (a programming error, caught by tests). */
export function permissionFor(command: object): string {
  const name = command.constructor.name;
  const action = COMMAND_PERMISSIONS[name];
  if (!action) throw new Error(`verify/permissions.ts: no IAM action mapped for ${name}`);
  return action;
}
