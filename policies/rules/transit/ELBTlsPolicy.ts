import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { compliantIf } from '../helpers/results';
import { cfnProps, str } from '../helpers/values';

/** ELB security policies whose floor is TLS 1.2 (TLS 1.3-only policies included). */
export const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/;

/**
 * HTTPS and TLS listeners (ALB/NLB) name an SSL policy with a TLS 1.2 floor. A missing policy means ELB's default
 * (ELBSecurityPolicy-2016-08, which still allows TLS 1.0) and is a finding; so is an unresolved one.
 */
export const ELBTlsPolicy = defineRule({
  id: 'ELBTlsPolicy',
  pillars: ['P01'],
  hipaa: ['164.312(e)(1)', '164.312(e)(2)(i)', '164.312(e)(2)(ii)'],
  info: 'The HTTPS/TLS listener does not use a TLS 1.2+ security policy (ELBSecurityPolicy-TLS13-1-2-*, *TLS-1-2-*).',
  explanation:
    'Pillar P01: PHI in transit is protected with TLS 1.2 or later only. The ELB default policy still negotiates ' +
    'TLS 1.0/1.1, so the listener must name e.g. ELBSecurityPolicy-TLS13-1-2-2021-06 (SslPolicy.RECOMMENDED_TLS).',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::ElasticLoadBalancingV2::Listener') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    if (props.Protocol !== 'HTTPS' && props.Protocol !== 'TLS') {
      return str(props.Protocol) === undefined && props.Protocol !== undefined
        ? NagRuleCompliance.NON_COMPLIANT // unresolved protocol: cannot tell, fail closed
        : NagRuleCompliance.NOT_APPLICABLE;
    }
    return compliantIf(TLS12_POLICY.test(str(props.SslPolicy) ?? ''));
  },
});
