/** KMS: every kit key enabled, rotating, not pending deletion, and holding exactly the synthesized key policy. */
import {
  DescribeKeyCommand,
  DescribeKeyCommandOutput,
  GetKeyPolicyCommand,
  GetKeyPolicyCommandOutput,
  GetKeyRotationStatusCommand,
  GetKeyRotationStatusCommandOutput,
} from '@aws-sdk/client-kms';
import { partitionOf } from '../core/partition';
import { CheckResult, CheckSpec, errored, judge } from './check';
import { guarded, VerifyContext } from './context';
import { DeployedResource, label, resourcesOfType } from './discovery';
import { resolveIntrinsics, templateResource } from './expected';
import { comparePolicies } from './policy-diff';

const AREA = 'KMS';

export const KMS_CHECKS = {
  state: {
    id: 'kms.key-state',
    title: 'Key is enabled and not pending deletion',
    pillars: ['P05'],
    hipaa: ['164.312(a)(2)(iv)'],
  },
  rotation: {
    id: 'kms.rotation',
    title: 'Automatic key rotation is on',
    pillars: ['P05'],
    hipaa: ['164.312(a)(2)(iv)'],
  },
  policy: {
    id: 'kms.key-policy',
    title: 'Key policy matches the synthesized one',
    pillars: ['P05', 'P07'],
    hipaa: ['164.312(a)(1)', '164.312(a)(2)(iv)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkKms(ctx: VerifyContext): Promise<CheckResult[]> {
  const keys = resourcesOfType(ctx.deployment, 'AWS::KMS::Key');
  const results = await Promise.all(
    keys.map((key) =>
      guarded(AREA, Object.values(KMS_CHECKS), label(key), async () => {
        const KeyId = key.physicalId;
        const described: DescribeKeyCommandOutput = await ctx.call(ctx.clients.kms, new DescribeKeyCommand({ KeyId }));
        const meta = described.KeyMetadata;
        const state = meta?.KeyState ?? 'unknown';
        const stateProblems =
          state === 'Enabled' && meta?.Enabled
            ? []
            : [
                state === 'PendingDeletion'
                  ? `pending deletion on ${meta?.DeletionDate?.toISOString() ?? 'unknown date'}`
                  : `key state is ${state}`,
              ];
        const rotation: GetKeyRotationStatusCommandOutput = await ctx.call(
          ctx.clients.kms,
          new GetKeyRotationStatusCommand({ KeyId }),
        );
        const rotationProblems = rotation.KeyRotationEnabled ? [] : ['automatic rotation is off'];

        const policy: GetKeyPolicyCommandOutput = await ctx.call(
          ctx.clients.kms,
          new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' }),
        );
        const synthesized = templateResource(ctx.templates, key.stack, key.logicalId)?.Properties?.KeyPolicy;
        const policyResult = judgePolicy(ctx, key, synthesized, policy.Policy);
        return [
          judge(AREA, KMS_CHECKS.state, label(key), stateProblems, `state ${state}`),
          judge(
            AREA,
            KMS_CHECKS.rotation,
            label(key),
            rotationProblems,
            `rotation on${rotation.RotationPeriodInDays ? ` every ${rotation.RotationPeriodInDays} days` : ''}`,
          ),
          policyResult,
        ];
      }),
    ),
  );
  return results.flat();
}

/** The key policy check; `error` (not a pass) when the synthesized policy holds an intrinsic it cannot compute. */
function judgePolicy(
  ctx: VerifyContext,
  key: DeployedResource,
  synthesized: unknown,
  livePolicy: string | undefined,
): CheckResult {
  if (!synthesized) {
    const problem = 'the synthesized app has no such key: the deployment is from other code than this checkout';
    return judge(AREA, KMS_CHECKS.policy, label(key), [problem], '');
  }
  const physicalIds = Object.fromEntries(
    ctx.deployment.resources.filter((r) => r.stack === key.stack).map((r) => [r.logicalId, r.physicalId]),
  );
  let expected: unknown;
  try {
    expected = resolveIntrinsics(synthesized, {
      account: ctx.config.account,
      region: ctx.config.region,
      partition: partitionOf(ctx.config.region),
      physicalIds,
    });
  } catch (error) {
    return errored(
      AREA,
      KMS_CHECKS.policy,
      label(key),
      `cannot compare: the synthesized policy has ${(error as Error).message}`,
    );
  }
  const problems = comparePolicies(expected, JSON.parse(livePolicy ?? '{}'));
  return judge(AREA, KMS_CHECKS.policy, label(key), problems, 'same statements as the synthesized policy');
}
