import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { referencedResource } from '../helpers/references';
import { compliantIf } from '../helpers/results';
import { asArray, cfnProps } from '../helpers/values';

/** True when every action redirects to HTTPS (and there is at least one). */
function onlyRedirectsToHttps(actions: unknown): boolean {
  const list = asArray(actions);
  return list.length > 0 && list.every((a) => a?.Type === 'redirect' && a?.RedirectConfig?.Protocol === 'HTTPS');
}

/**
 * Plain-HTTP listeners (and the listener rules attached to them) only redirect to HTTPS: no forward, no fixed
 * response, no authentication over cleartext.
 */
export const ELBHttpRedirectOnly = defineRule({
  id: 'ELBHttpRedirectOnly',
  pillars: ['P01'],
  hipaa: ['164.312(e)(1)', '164.312(e)(2)(i)', '164.312(e)(2)(ii)'],
  info: 'The HTTP listener (or a rule on it) does something other than redirect to HTTPS.',
  explanation:
    'Pillar P01: port 80 exists only to send clients to HTTPS. Any forward or response over plain HTTP could carry ' +
    'PHI or tokens in cleartext.',
  check: (node: CfnResource) => {
    if (!node.cfnResourceType.startsWith('AWS::ElasticLoadBalancingV2::Listener')) {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const props = cfnProps(node);
    if (node.cfnResourceType === 'AWS::ElasticLoadBalancingV2::Listener') {
      if (props.Protocol !== 'HTTP') return NagRuleCompliance.NOT_APPLICABLE;
      return compliantIf(onlyRedirectsToHttps(props.DefaultActions));
    }
    if (node.cfnResourceType === 'AWS::ElasticLoadBalancingV2::ListenerRule') {
      const listener = referencedResource(node, props.ListenerArn, 'AWS::ElasticLoadBalancingV2::Listener');
      if (!listener || cfnProps(listener).Protocol !== 'HTTP') return NagRuleCompliance.NOT_APPLICABLE;
      return compliantIf(onlyRedirectsToHttps(props.Actions));
    }
    return NagRuleCompliance.NOT_APPLICABLE;
  },
});
