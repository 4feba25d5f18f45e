import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { cloudWatchRetentionAtLeast, MIN_AUDIT_RETENTION_DAYS } from '../../../core/limits';
import { defineRule } from '../../rule';
import { escapeRegex } from '../helpers/backup-selection';
import { appResources, designates } from '../helpers/references';
import { KIT_TAGS, tagValue } from '../helpers/resource-kinds';
import { compliantIf } from '../helpers/results';
import { cfnProps, num, str } from '../helpers/values';

/** Six years (164.316(b)(2)(i)), rounded up to a retention CloudWatch Logs accepts: 2192 days. */
export const MIN_AUDIT_LOG_RETENTION_DAYS = cloudWatchRetentionAtLeast(MIN_AUDIT_RETENTION_DAYS);

/**
 * Log groups holding audit data keep it at least 2192 days (or never expire). Audit data means: a log group a
 * CloudTrail trail anywhere in the app delivers to (CloudWatchLogsLogGroupArn, matched by Ref/GetAtt in the same
 * stack or by concrete log-group name), or a log group tagged `hipaa-kit:audit-data`. Other log groups are not
 * applicable.
 */
export const LogGroupAuditRetention = defineRule({
  id: 'LogGroupAuditRetention',
  pillars: ['P03'],
  hipaa: ['164.312(b)', '164.308(a)(1)(ii)(D)'],
  info: `The log group holds audit data but keeps it fewer than ${MIN_AUDIT_LOG_RETENTION_DAYS} days.`,
  explanation:
    'Pillar P03 and 45 CFR 164.316(b)(2)(i): audit records are documentation that must be kept six years. ' +
    `CloudWatch Logs has no 2190-day setting, so the floor is ${MIN_AUDIT_LOG_RETENTION_DAYS} days.`,
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::Logs::LogGroup') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProps(node);
    const name = str(props.LogGroupName);
    const tagged = tagValue(props, KIT_TAGS.auditData) !== undefined;
    const trailTarget = appResources(node, 'AWS::CloudTrail::Trail').some((trail) =>
      designates(cfnProps(trail).CloudWatchLogsLogGroupArn, trail, node, (arn) =>
        name === undefined ? false : new RegExp(`:log-group:${escapeRegex(name)}(:\\*)?$`).test(arn),
      ),
    );
    if (!tagged && !trailTarget) return NagRuleCompliance.NOT_APPLICABLE;
    if (props.RetentionInDays === undefined) return NagRuleCompliance.COMPLIANT; // never expires
    const days = num(props.RetentionInDays);
    return compliantIf(days !== undefined && days >= MIN_AUDIT_LOG_RETENTION_DAYS);
  },
});
