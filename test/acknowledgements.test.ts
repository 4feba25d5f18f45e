import { CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { buildTestKit } from './support/kit';

/** Namespaces whose findings may be acknowledged; the rule id after `::` must carry the pack's own prefix. */
const PACK_NAMESPACES = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'Pillars', 'CloudFormation-Validate'];

/**
 * Acknowledgements allowed above a single resource, each reviewed: `<stack suffix>|<construct path suffix>|<id>`.
 * Keep this list short; prefer the narrowest construct.
 */
export const REVIEWED_BROAD_ACKNOWLEDGEMENTS: string[] = [];

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
  construct: IConstruct;
}

function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
          construct,
        })),
      ),
  );
}

/** True for constructs that hold many resources: an app, a stage or a stack. */
function isBroadScope(construct: IConstruct): boolean {
  return Stage.isStage(construct) || Stack.isStack(construct) || construct.node.scope === undefined;
}

describe('acknowledgements', () => {
  // Both directory modes and both tenancies build different trees; check them all, with push on.
  const variants = [
    {},
    { tenancy: 'default', directoryMode: 'public' },
    { push: { apnsSecretName: 'kit/apns', fcmSecretName: 'kit/fcm' } },
  ];
  const all = variants.flatMap((overrides) => acknowledgementsIn(buildTestKit(overrides).keys.node.root));

  test('there are acknowledgements to check', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  test.each(all.map((a) => [a.id, a.path, a]))('%s on %s is namespaced, reasoned and narrow', (_id, _path, ack) => {
    const a = ack as Acknowledgement;
    const [namespace, rule] = a.id.split('::');
    expect(PACK_NAMESPACES).toContain(namespace); // a bare id would be stored as Annotation::<id> and vanish silently
    if (namespace !== 'CloudFormation-Validate') expect(rule.startsWith(`${namespace}-`)).toBe(true);
    expect(a.reason.trim().length).toBeGreaterThanOrEqual(20);
    if (isBroadScope(a.construct)) {
      const key = `${a.path.split('/')[0].split('-').pop()}|${a.path}|${a.id}`;
      expect(REVIEWED_BROAD_ACKNOWLEDGEMENTS).toContain(key);
    }
  });

  test('a bare id is detected', () => {
    const kit = buildTestKit();
    const bucket = kit.audit.node.findAll().find(CfnResource.isCfnResource)!;
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'a reason long enough to pass the check' });
    const bare = acknowledgementsIn(kit.audit).filter((a) => !PACK_NAMESPACES.includes(a.id.split('::')[0]));
    expect(bare.map((a) => a.id)).toEqual(['Annotation::AwsSolutions-S1']);
  });
});
