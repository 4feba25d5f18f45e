import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { IApplyRule, NagMessageLevel, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { PillarsRuleMeta } from '../rule';
import { acknowledgementRef, acknowledgementsOn, findAcknowledgement } from './acknowledgement-lookup';
import { controlsOfRule } from './rule-controls';
import { AcknowledgementRef, DeclaredAcknowledgement, Outcome, RuleRecord } from './types';

const LEVELS: Record<NagMessageLevel, RuleRecord['level']> = {
  [NagMessageLevel.ERROR]: 'error',
  [NagMessageLevel.WARN]: 'warning',
  [NagMessageLevel.INFO]: 'info',
};

/** Code-point order, so sorting never depends on the machine's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function outcomeKey(o: Outcome): string {
  return [o.pack, o.rule, o.resource, o.finding ?? ''].join('\u0000');
}

/**
 * Collects every rule x resource outcome the recording packs see during synth validation.
 * cdk-nag reports only what fails; this keeps what passed, what was acknowledged and where, and what threw.
 */
export class EvidenceRecorder {
  private readonly outcomes = new Map<string, Outcome[]>();
  private readonly rules = new Map<string, RuleRecord>();
  private readonly notApplicable = new Map<string, number>();
  private root?: IConstruct;

  /** A pack starts validating `scope`: its earlier records (from an earlier synth of the same app) are dropped. */
  public startRun(pack: string, scope: IConstruct): void {
    this.root = scope.node.root;
    this.outcomes.set(pack, []);
    for (const key of [...this.rules.keys()].filter((k) => k.startsWith(`${pack}\u0000`))) {
      this.rules.delete(key);
      this.notApplicable.delete(key);
    }
  }

  /** Returns `params` with its rule wrapped so that every result is recorded before cdk-nag evaluates it. */
  public instrument(pack: string, params: IApplyRule): IApplyRule {
    const inner = params.rule;
    const rule = `${pack}-${params.ruleSuffixOverride ? params.ruleSuffixOverride : inner.name}`;
    const key = `${pack}\u0000${rule}`;
    if (!this.rules.has(key)) {
      const meta = (inner as { meta?: PillarsRuleMeta }).meta;
      this.rules.set(key, {
        pack,
        rule,
        level: LEVELS[params.level],
        info: params.info,
        explanation: params.explanation,
        ...controlsOfRule(pack, params.info, meta),
        notApplicable: 0,
      });
    }
    const wrapped = (node: CfnResource): NagRuleResult => {
      let result: NagRuleResult;
      try {
        result = inner(node);
      } catch (error) {
        this.record(pack, rule, node, undefined, (error as Error).message);
        throw error;
      }
      if (result === NagRuleCompliance.NOT_APPLICABLE) {
        this.notApplicable.set(key, (this.notApplicable.get(key) ?? 0) + 1);
      } else if (Array.isArray(result)) {
        if (result.length === 0) this.push(pack, rule, node, 'compliant');
        for (const finding of result) this.record(pack, rule, node, finding);
      } else if (result === NagRuleCompliance.NON_COMPLIANT) {
        this.record(pack, rule, node);
      } else {
        this.push(pack, rule, node, 'compliant');
      }
      return result;
    };
    Object.defineProperty(wrapped, 'name', { value: inner.name });
    return { ...params, rule: wrapped };
  }

  /** Rules (with their N/A counts) and outcomes, sorted. */
  public snapshot(): { rules: RuleRecord[]; outcomes: Outcome[]; acknowledgements: DeclaredAcknowledgement[] } {
    const rules = [...this.rules.entries()]
      .map(([key, r]) => ({ ...r, notApplicable: this.notApplicable.get(key) ?? 0 }))
      .sort((a, b) => compareText(a.pack, b.pack) || compareText(a.rule, b.rule));
    const outcomes = [...this.outcomes.values()].flat().sort((a, b) => compareText(outcomeKey(a), outcomeKey(b)));
    return { rules, outcomes, acknowledgements: this.declaredAcknowledgements(outcomes) };
  }

  /** A failed check, or a throw (`error`): acknowledged when a matching acknowledgement exists. */
  private record(pack: string, rule: string, node: CfnResource, finding?: string, error?: string): void {
    const findingId = finding === undefined ? rule : `${rule}[${finding}]`;
    const acknowledgement = findAcknowledgement(node, pack, findingId);
    const status = acknowledgement ? 'acknowledged' : error !== undefined ? 'error' : 'non-compliant';
    this.push(pack, rule, node, status, { finding, acknowledgement, error });
  }

  private push(
    pack: string,
    rule: string,
    node: CfnResource,
    status: Outcome['status'],
    extra: { finding?: string; acknowledgement?: AcknowledgementRef; error?: string } = {},
  ): void {
    const stack = Stack.of(node);
    const outcome: Outcome = {
      pack,
      rule,
      ...(extra.finding !== undefined ? { finding: extra.finding } : {}),
      resource: node.node.path,
      stack: stack.stackName,
      logicalId: stack.resolve(node.logicalId) as string,
      resourceType: node.cfnResourceType,
      status,
      ...(extra.acknowledgement ? { acknowledgement: extra.acknowledgement } : {}),
      ...(extra.error !== undefined ? { error: extra.error } : {}),
    };
    const list = this.outcomes.get(pack) ?? [];
    list.push(outcome);
    this.outcomes.set(pack, list);
  }

  /** Every acknowledgement in the tree, with the number of recorded outcomes it covers. */
  private declaredAcknowledgements(outcomes: Outcome[]): DeclaredAcknowledgement[] {
    if (!this.root) return [];
    const covers = new Map<string, number>();
    for (const o of outcomes) {
      if (!o.acknowledgement) continue;
      const k = `${o.acknowledgement.at}\u0000${o.acknowledgement.id}`;
      covers.set(k, (covers.get(k) ?? 0) + 1);
    }
    return this.root.node
      .findAll()
      .filter((c) => c.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((c) =>
        [...acknowledgementsOn(c)].map(([id, reason]) => ({
          ...acknowledgementRef(c, id, reason),
          covers: covers.get(`${c.node.path}\u0000${id}`) ?? 0,
        })),
      )
      .sort((a, b) => compareText(a.at, b.at) || compareText(a.id, b.id));
  }
}
