/** SNS: every kit topic still encrypted with one of the kit's customer-managed KMS keys. */
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
  const kitKeyIds = resourcesOfType(ctx.deployment, 'AWS::KMS::Key').map((k) => k.physicalId);
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
          : !kitKeyIds.some((id) => key.endsWith(id))
            ? [`encrypted with ${key}, not one of the kit's keys`]
            : [];
        return [judge(AREA, SNS_CHECKS.encryption, label(topic), problems, `KMS ${key}`)];
      }),
    ),
  );
  return results.flat();
}
