import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { findingsOrCompliant } from '../helpers/results';
import { isTrue, renderedResource } from '../helpers/values';

/** The property that fixes each stateful type's physical name. */
export const PHYSICAL_NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::Backup::BackupVault': 'BackupVaultName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
};

/** Deletion protection stated in the template, per type: it blocks any rollback's delete. */
const TEMPLATE_PROTECTION: Readonly<Record<string, string>> = {
  'AWS::RDS::DBInstance': 'DeletionProtection',
  'AWS::RDS::DBCluster': 'DeletionProtection',
  'AWS::DynamoDB::Table': 'DeletionProtectionEnabled',
  'AWS::DynamoDB::GlobalTable': 'DeletionProtectionEnabled',
};

/**
 * A stateful resource with a fixed physical name must not block a retried first deploy:
 * - `DeletionPolicy: Retain` keeps it when CloudFormation rolls back its own failed create, and the retry then fails
 *   with "already exists"; use RetainExceptOnCreate (CDK: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE).
 * - Deletion protection in the template stops that rollback from deleting it (ROLLBACK_FAILED); turn it on after
 *   the create instead (the kit's DeletionProtectionAfterCreate).
 * Findings: `Retain::<Type>` and `ProtectedInTemplate::<Type>`.
 */
export const FixedNameRetainExceptOnCreate = defineRule({
  id: 'FixedNameRetainExceptOnCreate',
  pillars: [],
  hipaa: ['164.308(a)(7)(ii)(A)'],
  info: 'The resource has a fixed physical name and would block a retried create (Retain, or deletion protection in the template).',
  explanation:
    'A failed first deploy must be retryable without manual clean-up, or operators delete resources by hand in an ' +
    'account that holds PHI. RetainExceptOnCreate keeps data on update and delete but lets CloudFormation remove ' +
    'what its own failed create made (it holds no data yet); deletion protection is turned on once the stack exists.',
  check: (node: CfnResource) => {
    const nameProperty = PHYSICAL_NAME_PROPERTIES[node.cfnResourceType];
    if (!nameProperty) return NagRuleCompliance.NOT_APPLICABLE;
    const resource = renderedResource(node);
    const props = resource.Properties ?? {};
    if (props[nameProperty] === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    const findings: string[] = [];
    if (resource.DeletionPolicy === 'Retain') findings.push(`Retain::${node.cfnResourceType}`);
    const protection = TEMPLATE_PROTECTION[node.cfnResourceType];
    if (protection && isTrue(props[protection])) {
      findings.push(`ProtectedInTemplate::${node.cfnResourceType}`);
    }
    return findingsOrCompliant(findings);
  },
});
