import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { SUPPORTED_DB_ENGINES } from '../../supported-versions';
import { isDatabase } from '../helpers/resource-kinds';
import { compliantIf } from '../helpers/results';
import { cfnProps, str } from '../helpers/values';

/**
 * A database (DB instance outside a cluster, or cluster) pins an engine and an EngineVersion whose major is on the
 * supported list in policies/supported-versions.ts. An unpinned or unresolved version, or an engine not on the list,
 * is a finding: the template alone must show what runs.
 */
export const RDSSupportedEngineVersion = defineRule({
  id: 'RDSSupportedEngineVersion',
  pillars: ['P13'],
  hipaa: ['164.312(c)(1)'],
  info: 'The database engine version is not pinned to a major on the supported list (policies/supported-versions.ts).',
  explanation:
    'Pillar P13: only versions the vendor still patches. A major past RDS standard support gets no security fixes ' +
    '(or costs Extended Support). Pin EngineVersion to a supported major; minor upgrades apply automatically.',
  check: (node: CfnResource) => {
    if (!isDatabase(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const instance = node.cfnResourceType === 'AWS::RDS::DBInstance' && props.DBClusterIdentifier === undefined;
    if (!instance && node.cfnResourceType !== 'AWS::RDS::DBCluster') return NagRuleCompliance.NOT_APPLICABLE;
    const engine = str(props.Engine);
    const version = str(props.EngineVersion);
    const majors = engine !== undefined ? SUPPORTED_DB_ENGINES[engine] : undefined;
    return compliantIf(majors !== undefined && version !== undefined && majors.includes(version.split('.')[0]));
  },
});
