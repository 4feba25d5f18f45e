import { App, CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  acknowledge,
  expiredAcknowledgements,
  governanceFor,
  governanceOf,
  setGovernanceDefaults,
  ungovernedAcknowledgements,
} from '../core/acknowledge';
import { ConfigError } from '../core/config';
import { buildKit } from '../lib/kit-app';
import { buildTestKit, CDK_JSON_CONTEXT, testConfig } from './support/kit';

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

/** True for a scope broader than one resource: an app, a stage, a stack, or any construct holding 2+ resources. */
function isBroadScope(construct: IConstruct): boolean {
  if (Stage.isStage(construct) || Stack.isStack(construct) || construct.node.scope === undefined) return true;
  return construct.node.findAll().filter(CfnResource.isCfnResource).length > 1;
}

describe('acknowledgements', () => {
  // Both directory modes and both tenancies build different trees; check them all, with push on.
  const variants = [
    {},
    { tenancy: 'default', directoryMode: 'public' },
    { push: { apnsSecretName: 'kit/apns', fcmSecretName: 'kit/fcm' } },
  ];
  const roots = variants.map((overrides) => buildTestKit(overrides).keys.node.root);
  const all = roots.flatMap(acknowledgementsIn);
  const today = new Date().toISOString().slice(0, 10);

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

  test('no review-by date has passed (review the acknowledgement, then move its date or remove it)', () => {
    const expired = roots.flatMap((root) => expiredAcknowledgements(root, today));
    expect(expired.map((x) => `${x.id} on ${x.path}: review by ${x.reviewBy} (owner ${x.owner ?? 'none'})`)).toEqual(
      [],
    );
  });

  test('governance metadata names an acknowledgement made on the same construct', () => {
    for (const root of roots) {
      for (const construct of root.node.findAll()) {
        const ids = acknowledgementsIn(construct)
          .filter((a) => a.construct === construct)
          .map((a) => a.id);
        for (const g of governanceOf(construct)) expect(ids).toContain(g.id.replace(/ /g, '-'));
      }
    }
  });

  test('a construct holding several resources is a broad scope; one resource is not', () => {
    const vpc = buildTestKit().network.vpc;
    expect(isBroadScope(vpc)).toBe(true);
    expect(isBroadScope(vpc.node.defaultChild!)).toBe(false);
  });

  test('a bare id is detected', () => {
    const kit = buildTestKit();
    const bucket = kit.audit.node.findAll().find(CfnResource.isCfnResource)!;
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'a reason long enough to pass the check' });
    const bare = acknowledgementsIn(kit.audit).filter((a) => !PACK_NAMESPACES.includes(a.id.split('::')[0]));
    expect(bare.map((a) => a.id)).toEqual(['Annotation::AwsSolutions-S1']);
  });
});

describe('acknowledgement governance', () => {
  const resource = () => new CfnResource(new Stack(new App(), 'Gov'), 'Thing', { type: 'Test::Thing' });
  const reason = 'a reason long enough to pass the check';

  test('owner and review-by are recorded next to the acknowledgement', () => {
    const thing = resource();
    acknowledge(thing, 'AwsSolutions::AwsSolutions-S1', reason, { owner: 'Platform security', reviewBy: '2030-06-30' });
    expect(governanceOf(thing)).toEqual([
      { id: 'AwsSolutions::AwsSolutions-S1', owner: 'Platform security', reviewBy: '2030-06-30' },
    ]);
    expect(acknowledgementsIn(thing).map((a) => a.id)).toEqual(['AwsSolutions::AwsSolutions-S1']);
  });

  test('a passed review-by date is reported; today and later are not', () => {
    const thing = resource();
    acknowledge(thing, 'AwsSolutions::AwsSolutions-S1', reason, { owner: 'Ops', reviewBy: '2026-03-01' });
    acknowledge(thing, 'AwsSolutions::AwsSolutions-S10', reason, { reviewBy: '2026-03-02' });
    acknowledge(thing, 'AwsSolutions::AwsSolutions-S2', reason);
    expect(expiredAcknowledgements(thing.node.root, '2026-03-02')).toEqual([
      { id: 'AwsSolutions::AwsSolutions-S1', path: thing.node.path, owner: 'Ops', reviewBy: '2026-03-01' },
    ]);
    expect(expiredAcknowledgements(thing.node.root, '2026-03-01')).toEqual([]);
  });

  test.each(['2026-3-1', '01/03/2026', '2026-02-30', 'soon', ''])('review-by %p fails clearly', (reviewBy) => {
    expect(() => acknowledge(resource(), 'AwsSolutions::AwsSolutions-S1', reason, { reviewBy })).toThrow(
      /AwsSolutions::AwsSolutions-S1 on Gov\/Thing: reviewBy '.*' is not a real date in the form YYYY-MM-DD/,
    );
  });

  test('an empty owner fails', () => {
    expect(() => acknowledge(resource(), 'AwsSolutions::AwsSolutions-S1', reason, { owner: ' ' })).toThrow(
      /owner must not be empty/,
    );
  });
});

describe('owned exceptions', () => {
  const reason = 'a reason long enough to pass the check';

  test('every acknowledgement of the kit has an owner and a review-by date (the profile gives the defaults)', () => {
    const root = buildTestKit().keys.node.root;
    expect(ungovernedAcknowledgements(root)).toEqual([]);
    const first = acknowledgementsIn(root)[0];
    expect(governanceFor(first.construct, first.id)).toEqual({
      owner: 'Platform security lead',
      reviewBy: '2027-06-02',
    });
  });

  test('an acknowledgement may name its own owner and date; the profile fills only what it leaves out', () => {
    const app = new App();
    setGovernanceDefaults(app, { owner: 'Platform security lead', reviewBy: '2027-01-01' });
    const thing = new CfnResource(new Stack(app, 'Gov'), 'Thing', { type: 'Test::Thing' });
    acknowledge(thing, 'AwsSolutions::AwsSolutions-S1', reason, { owner: 'Data platform team' });
    acknowledge(thing, 'AwsSolutions::AwsSolutions-S2', reason, { reviewBy: '2026-12-31' });
    expect(governanceFor(thing, 'AwsSolutions::AwsSolutions-S1')).toEqual({
      owner: 'Data platform team',
      reviewBy: '2027-01-01',
    });
    expect(governanceFor(thing, 'AwsSolutions::AwsSolutions-S2')).toEqual({
      owner: 'Platform security lead',
      reviewBy: '2026-12-31',
    });
  });

  test('a missing owner fails synth, naming the acknowledgement and the fix', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    // Built outside buildKit, so no profile defaults: the date is given, the owner is nowhere.
    const thing = new CfnResource(new Stack(app, 'Orphan'), 'Thing', { type: 'Test::Thing' });
    acknowledge(thing, 'AwsSolutions::AwsSolutions-S1', reason, { reviewBy: '2027-01-01' });
    acknowledge(thing, 'Pillars::Pillars-S3CustomerManagedKey', reason);
    expect(ungovernedAcknowledgements(app)).toEqual([
      'acknowledgement AwsSolutions::AwsSolutions-S1 on Orphan/Thing: no owner; set governance.exceptionOwner and ' +
        'governance.reviewEveryDays in the profile, or pass { owner, reviewBy } to acknowledge()',
      expect.stringMatching(
        /^acknowledgement Pillars::Pillars-S3CustomerManagedKey on Orphan\/Thing: no owner and review-by date;/,
      ),
    ]);
    // buildKit sets the profile's defaults on the app, then refuses any acknowledgement still without both.
    expect(() => buildKit(app, testConfig())).not.toThrow();
    expect(ungovernedAcknowledgements(app)).toEqual([]);
  });

  test.each([
    [{ exceptionOwner: ' ' }, /^governance\.exceptionOwner: name the role or team/],
    [{ reviewEveryDays: 0 }, /^governance\.reviewEveryDays: 0 must be a whole number of days from 1 to 366$/],
    [{ lastReviewed: '2026-02-30' }, /^governance\.lastReviewed: "2026-02-30" must be the date of the last review/],
  ])('bad governance %p is one line naming the field', (governance, message) => {
    try {
      testConfig({ governance });
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(message)]);
    }
  });
});
