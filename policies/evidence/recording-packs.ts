import { CfnResource, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, IApplyRule, NagPack, NagPackProps, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { PillarsChecks } from '../pillars-checks';
import { EvidenceRecorder } from './recorder';

/** A concrete cdk-nag pack class, e.g. AwsSolutionsChecks. */
type NagPackClass = new (scope?: IConstruct, props?: NagPackProps) => NagPack;

/** The recording form of a pack: the pack's own constructor, with the recorder first. */
type RecordingPackClass = new (recorder: EvidenceRecorder, scope?: IConstruct, props?: NagPackProps) => NagPack;

/**
 * `Pack` unchanged (same name, rule ids and findings, so acknowledgements and the gate see no difference), except
 * that each rule's result is also recorded as evidence. A subclass, as cdk-nag's `applyRule` is protected.
 */
export function recording(Pack: NagPackClass): RecordingPackClass {
  class RecordingPack extends Pack {
    // `Pack` implements these; its constructor type can only name the abstract NagPack.
    declare readonly name: string;
    declare protected checkResource: (node: CfnResource) => void;
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
  return RecordingPack;
}

export const RecordingAwsSolutionsChecks = recording(AwsSolutionsChecks);
export const RecordingHIPAASecurityChecks = recording(HIPAASecurityChecks);
export const RecordingNIST80053R5Checks = recording(NIST80053R5Checks);
export const RecordingPillarsChecks = recording(PillarsChecks);
