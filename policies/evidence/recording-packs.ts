import { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, IApplyRule, NagPackProps, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { PillarsChecks } from '../pillars-checks';
import { EvidenceRecorder } from './recorder';

/*
 * The four packs, unchanged (same names, same rule ids, same findings, so acknowledgements and the gate see no
 * difference), except that each rule's result is also recorded as evidence. One subclass per pack, as cdk-nag's
 * `applyRule` is protected and each pack is its own class.
 */

export class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  constructor(
    private readonly recorder: EvidenceRecorder,
    scope?: IConstruct,
    props?: NagPackProps,
  ) {
    super(scope, props);
  }
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.recorder.startRun(this.readPackName, scope);
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.instrument(this.readPackName, params));
  }
}

export class RecordingHIPAASecurityChecks extends HIPAASecurityChecks {
  constructor(
    private readonly recorder: EvidenceRecorder,
    scope?: IConstruct,
    props?: NagPackProps,
  ) {
    super(scope, props);
  }
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.recorder.startRun(this.readPackName, scope);
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.instrument(this.readPackName, params));
  }
}

export class RecordingNIST80053R5Checks extends NIST80053R5Checks {
  constructor(
    private readonly recorder: EvidenceRecorder,
    scope?: IConstruct,
    props?: NagPackProps,
  ) {
    super(scope, props);
  }
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.recorder.startRun(this.readPackName, scope);
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.instrument(this.readPackName, params));
  }
}

export class RecordingPillarsChecks extends PillarsChecks {
  constructor(
    private readonly recorder: EvidenceRecorder,
    scope?: IConstruct,
    props?: NagPackProps,
  ) {
    super(scope, props);
  }
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.recorder.startRun(this.readPackName, scope);
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.instrument(this.readPackName, params));
  }
}
