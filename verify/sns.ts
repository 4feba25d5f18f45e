/** SNS: every kit topic still encrypted with a customer-managed KMS key (the kit's dataKey, per the template). */
import { GetTopicAttributesCommand, GetTopicAttributesCommandOutput } from '@aws-sdk/client-sns';
import { CheckResult, CheckSpec, judge } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';

const AREA = 'SNS';

export const SNS_CHECKS = {
  encryption: {
    id: 'sns.kms-encryption',
    title: 'Topic encrypted with a customer-managed KMS key',
    pillars: ['P05'],
    hipaa: ['164.312(a)(2)(iv)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkSns(ctx: VerifyContext): Promise<CheckResult[]> {
  const topics = resourcesOfType(ctx.deployment, 'AWS::SNS::Topic');
  const results = await Promise.all(
    topics.map((topic) =>
      guarded(AREA, Object.values(SNS_CHECKS), label(topic), async () => {
        const out: GetTopicAttributesCommandOutput = await ctx.call(
          ctx.clients.sns,
          new GetTopicAttributesCommand({ TopicArn: topic.physicalId }),
        );
        const key = out.Attributes?.KmsMasterKeyId;
        const problems = !key
          ? ['not encrypted']
          : key.includes('alias/aws/')
            ? [`encrypted with the AWS-managed key ${key}, not the kit's CMK`]
            : [];
        return [judge(AREA, SNS_CHECKS.encryption, label(topic), problems, `KMS ${key}`)];
      }),
    ),
  );
  return results.flat();
}
