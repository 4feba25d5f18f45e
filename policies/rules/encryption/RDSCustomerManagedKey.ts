import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { isDatabase } from '../helpers/resource-kinds';
import { findingsOrCompliant } from '../helpers/results';
import { cfnProps, isPresent, isTrue, mentionsAwsManagedKey } from '../helpers/values';

const hasCmk = (key: unknown) => isPresent(key) && !mentionsAwsManagedKey(key);

/**
 * Databases (DB instances outside a cluster, and clusters) have StorageEncrypted true and a customer-managed
 * KmsKeyId; an RDS-managed master secret (ManageMasterUserPassword) names a customer-managed key too.
 * Findings: `StorageEncrypted`, `KmsKeyId`, `MasterUserSecret::KmsKeyId`.
 */
export const RDSCustomerManagedKey = defineRule({
  id: 'RDSCustomerManagedKey',
  pillars: ['P05'],
  hipaa: ['164.312(a)(2)(iv)'],
  info: 'The database (or its RDS-managed master secret) is not encrypted with a customer-managed KMS key.',
  explanation:
    'Pillar P05: the database holds the PHI. Storage, snapshots, replicas and the master secret are encrypted with ' +
    'the kit data key, so copying a snapshot out of the account does not expose it.',
  check: (node: CfnResource) => {
    if (!isDatabase(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const instance = node.cfnResourceType === 'AWS::RDS::DBInstance' && props.DBClusterIdentifier === undefined;
    if (!instance && node.cfnResourceType !== 'AWS::RDS::DBCluster') return NagRuleCompliance.NOT_APPLICABLE;
    const findings: string[] = [];
    if (!isTrue(props.StorageEncrypted)) findings.push('StorageEncrypted');
    if (!hasCmk(props.KmsKeyId)) findings.push('KmsKeyId');
    if (isTrue(props.ManageMasterUserPassword) && !hasCmk(props.MasterUserSecret?.KmsKeyId)) {
      findings.push('MasterUserSecret::KmsKeyId');
    }
    return findingsOrCompliant(findings);
  },
});
