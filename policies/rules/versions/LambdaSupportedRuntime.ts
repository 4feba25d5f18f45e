import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { LAMBDA_SUPPORTED_RUNTIMES } from '../../supported-versions';
import { compliantIf } from '../helpers/results';
import { cfnProps, str } from '../helpers/values';

/**
 * A zip-packaged Lambda function (CDK's own custom-resource handlers included) runs a runtime on the supported list.
 * Container-image functions carry no Runtime and are not applicable; an unresolved Runtime is a finding.
 */
export const LambdaSupportedRuntime = defineRule({
  id: 'LambdaSupportedRuntime',
  pillars: ['P13'],
  hipaa: ['164.312(c)(1)'],
  info: 'The Lambda function runtime is not on the supported list (policies/supported-versions.ts).',
  explanation:
    'Pillar P13: deprecated Lambda runtimes stop receiving security patches, and later cannot be updated at all. ' +
    'Use the current Node.js LTS runtimes.',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::Lambda::Function') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    if (props.Runtime === undefined && props.PackageType === 'Image') return NagRuleCompliance.NOT_APPLICABLE;
    return compliantIf(LAMBDA_SUPPORTED_RUNTIMES.includes(str(props.Runtime) ?? ''));
  },
});
