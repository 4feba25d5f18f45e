import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { referencedResource } from '../helpers/references';
import { isDatabase } from '../helpers/resource-kinds';
import { compliantIf } from '../helpers/results';
import { cfnProps, str } from '../helpers/values';

const POSTGRES_ENGINES = ['postgres', 'aurora-postgresql'];

/**
 * Every PostgreSQL DB instance (or Aurora PostgreSQL cluster) uses a parameter group defined in the app that sets
 * `rds.force_ssl` to 1. A default or imported parameter group cannot be proven and is a finding. Instances that
 * belong to a cluster are judged through the cluster.
 */
export const RDSForceSsl = defineRule({
  id: 'RDSForceSsl',
  pillars: ['P01'],
  hipaa: ['164.312(e)(1)', '164.312(e)(2)(i)', '164.312(e)(2)(ii)'],
  info: "The PostgreSQL database's parameter group does not set rds.force_ssl = 1.",
  explanation:
    'Pillar P01: with rds.force_ssl = 1 PostgreSQL refuses unencrypted client connections, so a misconfigured ' +
    'client fails instead of sending PHI in cleartext. Set it explicitly in a kit-owned parameter group.',
  check: (node: CfnResource) => {
    if (!isDatabase(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    let groupRef: unknown;
    let groupType: string;
    if (node.cfnResourceType === 'AWS::RDS::DBInstance' && props.DBClusterIdentifier === undefined) {
      groupRef = props.DBParameterGroupName;
      groupType = 'AWS::RDS::DBParameterGroup';
    } else if (node.cfnResourceType === 'AWS::RDS::DBCluster') {
      groupRef = props.DBClusterParameterGroupName;
      groupType = 'AWS::RDS::DBClusterParameterGroup';
    } else {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const engine = str(props.Engine);
    if (engine !== undefined && !POSTGRES_ENGINES.includes(engine)) return NagRuleCompliance.NOT_APPLICABLE;
    const group = referencedResource(node, groupRef, groupType);
    const value = group ? cfnProps(group).Parameters?.['rds.force_ssl'] : undefined;
    return compliantIf(value === 1 || value === '1');
  },
});
