import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { provenanceOf } from './provenance';
import { EvidenceRecorder } from './recorder';
import { Evidence, EVIDENCE_FORMAT_VERSION } from './types';

/** The evidence of the last synth: the recorder's outcomes plus the provenance of the assembly it validated. */
export function collectEvidence(recorder: EvidenceRecorder, assemblyDir: string, projectRoot: string): Evidence {
  const { rules, outcomes, acknowledgements } = recorder.snapshot();
  return {
    formatVersion: EVIDENCE_FORMAT_VERSION,
    provenance: provenanceOf(assemblyDir, projectRoot),
    rules,
    outcomes,
    acknowledgements,
  };
}

/**
 * Writes the evidence OUTSIDE the cloud assembly (CDK refuses validation plugins that modify it), after synth.
 * Holds no timestamp, so the same commit gives the same file.
 */
export function writeEvidence(recorder: EvidenceRecorder, assemblyDir: string, projectRoot: string, file: string) {
  const evidence = collectEvidence(recorder, assemblyDir, projectRoot);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(evidence, undefined, 2)}\n`);
  return evidence;
}
