/**
 * ALB: the HTTPS listener with the synthesized TLS policy, port 80 only redirecting to HTTPS (its default action and
 * every rule), no other listener, the WAF web ACL still associated, and deletion protection on (the template states
 * none: Custom::DeletionProtectionAfterCreate turns it on after the stack's create, so only a live check proves it).
 */
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancerAttributesCommandOutput,
  DescribeRulesCommand,
  DescribeRulesCommandOutput,
  DescribeListenersCommandOutput,
  Action,
  Listener,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetWebACLForResourceCommand, GetWebACLForResourceCommandOutput } from '@aws-sdk/client-wafv2';
import { CheckResult, CheckSpec, judge } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';
import { templateResource } from './expected';

const AREA = 'ALB';
const TRANSIT = ['164.312(e)(1)', '164.312(e)(2)(i)', '164.312(e)(2)(ii)'] as const;

export const ALB_CHECKS = {
  https: {
    id: 'alb.https-tls-policy',
    title: 'HTTPS listener with the synthesized TLS policy',
    pillars: ['P01'],
    hipaa: TRANSIT,
  },
  redirect: {
    id: 'alb.http-redirect-only',
    title: 'Port 80 only redirects to HTTPS; no other listener',
    pillars: ['P01', 'P12'],
    hipaa: TRANSIT,
  },
  waf: { id: 'alb.waf', title: 'WAF web ACL associated', pillars: ['P12'], hipaa: ['164.312(a)(1)', '164.312(e)(1)'] },
  deletionProtection: {
    id: 'alb.deletion-protection',
    title: 'Deletion protection on',
    pillars: [],
    hipaa: ['164.308(a)(7)(ii)(A)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkAlb(ctx: VerifyContext): Promise<CheckResult[]> {
  const balancers = resourcesOfType(ctx.deployment, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
  const synthesizedListeners = resourcesOfType(ctx.deployment, 'AWS::ElasticLoadBalancingV2::Listener');
  const results = await Promise.all(
    balancers.map((lb) =>
      guarded(AREA, Object.values(ALB_CHECKS), label(lb), async () => {
        const where = label(lb);
        const out: DescribeListenersCommandOutput = await ctx.call(
          ctx.clients.elb,
          new DescribeListenersCommand({ LoadBalancerArn: lb.physicalId }),
        );
        const listeners = out.Listeners ?? [];
        const wantPolicy = synthesizedListeners
          .filter((l) => l.stack === lb.stack)
          .map((l) => templateResource(ctx.templates, l.stack, l.logicalId)?.Properties)
          .find((p) => p?.Protocol === 'HTTPS')?.SslPolicy as string | undefined;

        const https = listeners.filter((l) => l.Protocol === 'HTTPS');
        const httpsProblems: string[] = [];
        if (!https.some((l) => l.Port === 443)) httpsProblems.push('no HTTPS listener on 443');
        for (const l of https) {
          if (wantPolicy && l.SslPolicy !== wantPolicy)
            httpsProblems.push(`port ${l.Port} uses ${l.SslPolicy}, synthesized ${wantPolicy}`);
        }
        const otherProblems = listeners
          .filter((l) => l.Protocol !== 'HTTPS')
          .map(redirectProblem)
          .filter((p): p is string => !!p);
        // Rules added to the port-80 listener by hand (e.g. a forward for one path) bypass its default redirect.
        for (const l of listeners.filter((x) => x.Protocol === 'HTTP' && x.ListenerArn)) {
          const rules: DescribeRulesCommandOutput = await ctx.call(
            ctx.clients.elb,
            new DescribeRulesCommand({ ListenerArn: l.ListenerArn }),
          );
          for (const rule of rules.Rules ?? []) {
            if (!(rule.Actions ?? []).every(isHttpsRedirect)) {
              otherProblems.push(`rule ${rule.Priority} on port ${l.Port} does not redirect to HTTPS`);
            }
          }
        }

        const waf: GetWebACLForResourceCommandOutput = await ctx.call(
          ctx.clients.wafv2,
          new GetWebACLForResourceCommand({ ResourceArn: lb.physicalId }),
        );
        const acl = waf.WebACL;
        const attributes: DescribeLoadBalancerAttributesCommandOutput = await ctx.call(
          ctx.clients.elb,
          new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.physicalId }),
        );
        const protectedLb = (attributes.Attributes ?? []).some(
          (a) => a.Key === 'deletion_protection.enabled' && a.Value === 'true',
        );
        return [
          judge(AREA, ALB_CHECKS.https, where, httpsProblems, `HTTPS 443 with ${https[0]?.SslPolicy}`),
          judge(AREA, ALB_CHECKS.redirect, where, otherProblems, 'HTTP 80 redirects to HTTPS 443'),
          judge(AREA, ALB_CHECKS.waf, where, acl ? [] : ['no web ACL is associated'], `web ACL ${acl?.Name}`),
          judge(
            AREA,
            ALB_CHECKS.deletionProtection,
            where,
            protectedLb ? [] : ['deletion protection is off'],
            'deletion_protection.enabled true',
          ),
        ];
      }),
    ),
  );
  return results.flat();
}

/** A plain-HTTP listener is allowed only on 80 and only with a single redirect to HTTPS. */
function redirectProblem(listener: Listener): string | undefined {
  const actions = listener.DefaultActions ?? [];
  const redirect = actions.length === 1 && isHttpsRedirect(actions[0]);
  if (listener.Port === 80 && listener.Protocol === 'HTTP' && redirect) return undefined;
  return `${listener.Protocol} listener on ${listener.Port} ${redirect ? 'is not expected' : 'does not only redirect to HTTPS'}`;
}

function isHttpsRedirect(action: Action): boolean {
  return action.Type === 'redirect' && action.RedirectConfig?.Protocol === 'HTTPS';
}
