import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  IApplyRule,
  NagMessageLevel,
  NagPack,
  NagRuleCompliance,
  NIST80053R5Checks,
} from 'cdk-nag';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { EvidenceRecorder } from '../policies/evidence/recorder';
import {
  RecordingAwsSolutionsChecks,
  RecordingHIPAASecurityChecks,
  RecordingNIST80053R5Checks,
  RecordingPillarsChecks,
} from '../policies/evidence/recording-packs';
import { controlIdsIn, controlsOfRule } from '../policies/evidence/rule-controls';
import { Outcome } from '../policies/evidence/types';
import { PillarsChecks } from '../policies/pillars-checks';

/** A pack with one rule per outcome kind, recording through the same hook as the kit's recording packs. */
class ProbePack extends NagPack {
  public readonly name = 'Probe';
  constructor(private readonly recorder: EvidenceRecorder) {
    super();
    this.packName = 'Probe';
  }
  public validateScope(scope: IConstruct) {
    this.recorder.startRun(this.readPackName, scope);
    return super.validateScope(scope);
  }
  protected checkResource(node: CfnResource): void {
    const rules: Record<string, IApplyRule['rule']> = {
      Passes: () => NagRuleCompliance.COMPLIANT,
      Fails: () => NagRuleCompliance.NON_COMPLIANT,
      Granular: () => ['a', 'b'],
      GranularClean: () => [],
      NotForMe: () => NagRuleCompliance.NOT_APPLICABLE,
      Throws: () => {
        throw new Error('boom: an intrinsic');
      },
    };
    for (const [id, rule] of Object.entries(rules)) {
      this.applyRule({
        ruleSuffixOverride: id,
        info: `${id} info - (Control IDs: 164.312(b), 164.999(z)).`,
        explanation: 'probe',
        level: NagMessageLevel.ERROR,
        node,
        rule,
      });
    }
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.instrument(this.readPackName, params));
  }
}

function probe() {
  const app = new App();
  const stack = new Stack(app, 'Probe', { env: { account: '123456789012', region: 'us-east-1' } });
  const plain = new CfnResource(stack, 'Plain', { type: 'Test::Thing' });
  const group = new Construct(stack, 'Group');
  const inGroup = new CfnResource(group, 'Member', { type: 'Test::Thing' });
  acknowledge(group, 'Probe::Probe-Fails', 'The group is allowed to fail: compensating control is a probe.', {
    owner: 'Platform security',
    reviewBy: '2099-01-31',
  });
  acknowledge(inGroup, 'Probe::Probe-Granular[a]', 'Finding a is accepted on the member, with a control.');
  acknowledge(plain, 'Probe::Probe-Throws', 'The throw is accepted on the plain resource for this probe.');
  const recorder = new EvidenceRecorder();
  const report = new ProbePack(recorder).validateScope(app);
  return { recorder, report, plain, inGroup, group };
}

const key = (o: Outcome) => `${o.rule}${o.finding ? `[${o.finding}]` : ''} ${o.resource.split('/').pop()} ${o.status}`;

describe('evidence recorder', () => {
  test('records compliant, non-compliant, acknowledged and error outcomes per rule x resource', () => {
    const { recorder } = probe();
    expect(recorder.snapshot().outcomes.map(key)).toEqual([
      'Probe-Fails Member acknowledged',
      'Probe-Fails Plain non-compliant',
      'Probe-Granular[a] Member acknowledged',
      'Probe-Granular[b] Member non-compliant',
      'Probe-Granular[a] Plain non-compliant',
      'Probe-Granular[b] Plain non-compliant',
      'Probe-GranularClean Member compliant',
      'Probe-GranularClean Plain compliant',
      'Probe-Passes Member compliant',
      'Probe-Passes Plain compliant',
      'Probe-Throws Member error',
      'Probe-Throws Plain acknowledged',
    ]);
  });

  test('an acknowledgement carries its reason, the path it was made on, and its owner and review-by date', () => {
    const { recorder, group, inGroup, plain } = probe();
    const outcomes = recorder.snapshot().outcomes;
    const fails = outcomes.find((o) => o.rule === 'Probe-Fails' && o.resource === inGroup.node.path)!;
    expect(fails.acknowledgement).toEqual({
      id: 'Probe::Probe-Fails',
      reason: 'The group is allowed to fail: compensating control is a probe.',
      at: group.node.path,
      owner: 'Platform security',
      reviewBy: '2099-01-31',
    });
    const granular = outcomes.find(
      (o) => o.rule === 'Probe-Granular' && o.finding === 'a' && o.resource === inGroup.node.path,
    )!;
    expect(granular.acknowledgement).toEqual({
      id: 'Probe::Probe-Granular[a]',
      reason: 'Finding a is accepted on the member, with a control.',
      at: inGroup.node.path,
    });
    const thrown = outcomes.find((o) => o.rule === 'Probe-Throws' && o.resource === plain.node.path)!;
    expect(thrown.error).toBe('boom: an intrinsic');
    expect(thrown.acknowledgement?.at).toBe(plain.node.path);
  });

  test('not-applicable results are counted per rule, not listed', () => {
    const { recorder } = probe();
    const { rules, outcomes } = recorder.snapshot();
    expect(rules.find((r) => r.rule === 'Probe-NotForMe')?.notApplicable).toBe(2);
    expect(outcomes.filter((o) => o.rule === 'Probe-NotForMe')).toEqual([]);
  });

  test('the pack still reports exactly the unacknowledged-by-cdk-nag findings', () => {
    // cdk-nag itself honours only bare ids; CDK core filters namespaced acknowledgements later.
    const { report } = probe();
    expect(report.violations.map((v) => v.ruleName).sort()).toEqual([
      'Probe-Fails',
      'Probe-Granular[a]',
      'Probe-Granular[b]',
      'Probe-Throws',
    ]);
  });

  test('declared acknowledgements are listed with the outcomes they cover', () => {
    const { recorder } = probe();
    expect(recorder.snapshot().acknowledgements.map((a) => `${a.id} ${a.covers}`)).toEqual([
      'Probe::Probe-Fails 1',
      'Probe::Probe-Granular[a] 1',
      'Probe::Probe-Throws 1',
    ]);
  });

  test('a second validation of the same app replaces the records instead of doubling them', () => {
    const { recorder } = probe();
    const app = new App();
    const stack = new Stack(app, 'Again');
    new CfnResource(stack, 'Only', { type: 'Test::Thing' });
    const pack = new ProbePack(recorder);
    pack.validateScope(app);
    pack.validateScope(app);
    expect(recorder.snapshot().outcomes.filter((o) => o.rule === 'Probe-Passes')).toHaveLength(1);
  });

  test('a recording pack finds what the stock pack finds, and records the rest', () => {
    const app = new App();
    const stack = new Stack(app, 'Bucket', { env: { account: '123456789012', region: 'us-east-1' } });
    new s3.Bucket(stack, 'Plain');
    const stock = new AwsSolutionsChecks().validateScope(app);
    const recorder = new EvidenceRecorder();
    const recording = new RecordingAwsSolutionsChecks(recorder).validateScope(app);
    expect(recording).toEqual(stock);
    const open = recorder
      .snapshot()
      .outcomes.filter((o) => o.status === 'non-compliant')
      .map((o) => `${o.rule} ${o.resource}`);
    const reported = stock.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`),
    );
    expect(open.sort()).toEqual(reported.sort());
    expect(recorder.snapshot().outcomes.some((o) => o.status === 'compliant')).toBe(true);
  });

  test.each([
    ['AwsSolutions', RecordingAwsSolutionsChecks, AwsSolutionsChecks],
    ['HIPAA.Security', RecordingHIPAASecurityChecks, HIPAASecurityChecks],
    ['NIST.800.53.R5', RecordingNIST80053R5Checks, NIST80053R5Checks],
    ['Pillars', RecordingPillarsChecks, PillarsChecks],
  ])('the recording %s pack is the stock pack, under the same names', (packName, Recording, Stock) => {
    const pack = new Recording(new EvidenceRecorder());
    const stock = new Stock();
    expect(pack).toBeInstanceOf(Stock);
    expect([pack.name, pack.readPackName]).toEqual([stock.name, packName]);
  });
});

describe('rule controls', () => {
  test('reads the control IDs of a cdk-nag info text', () => {
    expect(controlIdsIn('The bucket is open - (Control IDs: 164.312(a)(2)(iv), 164.312(e)(2)(ii)).')).toEqual([
      '164.312(a)(2)(iv)',
      '164.312(e)(2)(ii)',
    ]);
    expect(controlIdsIn('The stage has no logs - (Control ID: 164.312(b)).')).toEqual(['164.312(b)']);
    expect(controlIdsIn('No control named here.')).toEqual([]);
  });

  test('HIPAA sections come from HIPAA.Security only, and only catalogued ones become matrix rows', () => {
    const info = 'x - (Control IDs: 164.312(b), 164.308(a)(3)(i)).';
    expect(controlsOfRule('HIPAA.Security', info)).toEqual({
      pillars: [],
      hipaa: ['164.312(b)'],
      controls: ['164.312(b)', '164.308(a)(3)(i)'],
    });
    expect(controlsOfRule('NIST.800.53.R5', 'x - (Control IDs: AU-2b, SC-8).')).toEqual({
      pillars: [],
      hipaa: [],
      controls: ['AU-2b', 'SC-8'],
    });
    expect(controlsOfRule('AwsSolutions', info)).toEqual({ pillars: [], hipaa: [], controls: [] });
  });
});
