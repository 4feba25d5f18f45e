import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { partitionOf } from '../core/partition';
import { EncryptedLogGroup } from './encrypted-log-group';

export interface WebAclProps {
  /** Web ACL name; the log group is `aws-waf-logs-<name>` (WAF requires that prefix). */
  readonly name: string;
  /** ARN of the regional resource to protect (the ALB). */
  readonly resourceArn: string;
  /** Requests per 5 minutes per source IP before the rate rule blocks. */
  readonly rateLimitPer5Min: number;
  readonly logsKey: kms.IKey;
  readonly logRetentionDays: number;
  /**
   * Request body size the service itself enforces (413). WAF on an ALB inspects at most 8 KB of body, and the
   * common rule set blocks larger bodies; with this set, that one rule only counts and the service decides.
   * @default - the common rule set blocks bodies over 8 KB
   */
  readonly serviceEnforcesBodyLimit?: boolean;
}

const AWS_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

/**
 * A regional WAFv2 web ACL in front of the ALB: a per-IP rate limit, then the AWS managed IP-reputation,
 * common and known-bad-inputs rule groups. Every rule emits metrics and sampled requests. Full logs go to a
 * CMK-encrypted `aws-waf-logs-*` log group with the Authorization and Cookie headers redacted.
 */
export class WebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: EncryptedLogGroup;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });

    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'RateLimitPerIp',
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: props.rateLimitPer5Min, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
      ...AWS_MANAGED_RULE_GROUPS.map((name, i): wafv2.CfnWebACL.RuleProperty => ({
        name,
        priority: i + 1,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name,
            ruleActionOverrides:
              name === 'AWSManagedRulesCommonRuleSet' && props.serviceEnforcesBodyLimit
                ? [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]
                : undefined,
          },
        },
        visibilityConfig: visibility(name),
      })),
    ];

    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules,
      visibilityConfig: visibility(props.name),
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.resourceArn,
      webAclArn: this.webAcl.attrArn,
    });

    const logGroupName = `aws-waf-logs-${props.name}`;
    this.logGroup = new EncryptedLogGroup(this, 'LogGroup', {
      logGroupName,
      encryptionKey: props.logsKey,
      retentionDays: props.logRetentionDays,
    });
    // WAF wants the log group ARN without the trailing ":*" that CloudFormation's Arn attribute carries.
    const { account, region } = Stack.of(this);
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [`arn:${partitionOf(region)}:logs:${region}:${account}:log-group:${logGroupName}`],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
    logging.node.addDependency(this.logGroup);
  }
}
