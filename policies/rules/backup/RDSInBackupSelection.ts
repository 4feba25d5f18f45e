import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { globMatch, inBackupSelection } from '../helpers/backup-selection';
import { isDatabase } from '../helpers/resource-kinds';
import { compliantIf } from '../helpers/results';
import { cfnProps, str } from '../helpers/values';

/**
 * Every database (a DB instance outside a cluster, or a cluster) is selected by an AWS Backup selection in the
 * app: by Ref/GetAtt in the same stack, by an ARN (pattern) naming its identifier, or by tag.
 */
export const RDSInBackupSelection = defineRule({
  id: 'RDSInBackupSelection',
  pillars: [],
  hipaa: ['164.308(a)(7)(ii)(A)'],
  info: 'The database is not covered by any AWS Backup selection in the app.',
  explanation:
    '164.308(a)(7)(ii)(A) data backup plan: retrievable exact copies of ePHI. Automated RDS backups live and die ' +
    'with the instance; an AWS Backup plan keeps recovery points in a separate, locked, CMK-encrypted vault.',
  check: (node: CfnResource) => {
    if (!isDatabase(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    let kind: 'db' | 'cluster';
    let identifier: string | undefined;
    if (node.cfnResourceType === 'AWS::RDS::DBInstance' && props.DBClusterIdentifier === undefined) {
      kind = 'db';
      identifier = str(props.DBInstanceIdentifier);
    } else if (node.cfnResourceType === 'AWS::RDS::DBCluster') {
      kind = 'cluster';
      identifier = str(props.DBClusterIdentifier);
    } else {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const candidate = `arn:aws:rds:region:account:${kind}:${identifier ?? '(unnamed)'}`;
    // Compare only the tail: partition, region and account are wildcards or concrete in selections.
    const covered = inBackupSelection(node, (arn) => {
      const tail = /:rds:[^:]*:[^:]*:(.*)$/.exec(arn)?.[1];
      return tail !== undefined && globMatch(tail, candidate.split(':').slice(5).join(':'));
    });
    return compliantIf(covered);
  },
});
