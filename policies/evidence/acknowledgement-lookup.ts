import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { governanceFor } from '../../core/acknowledge';
import { AcknowledgementRef } from './types';

/** CDK's normalized form of an acknowledgement id: spaces become dashes (core `normalizeValidationId`). */
export function normalizeAcknowledgementId(id: string): string {
  return id.replace(/ /g, '-');
}

/** The acknowledgements recorded on one construct, as `[id, reason]`; a later entry for the same id wins, as in CDK. */
export function acknowledgementsOn(construct: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of construct.node.metadata) {
    if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
    for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) found.set(id, reason);
  }
  return found;
}

/**
 * The acknowledgement reference for `id` made on `construct`, with its owner and review-by date: its own, else the
 * profile's defaults in force there.
 */
export function acknowledgementRef(construct: IConstruct, id: string, reason: string): AcknowledgementRef {
  const governance = governanceFor(construct, id);
  return {
    id,
    reason,
    at: construct.node.path,
    ...(governance?.owner !== undefined ? { owner: governance.owner } : {}),
    ...(governance?.reviewBy !== undefined ? { reviewBy: governance.reviewBy } : {}),
  };
}

/**
 * The acknowledgement that hides finding `findingId` (e.g. `AwsSolutions-IAM5[Resource::*]`) of pack `pack` on
 * `resource`, mirroring both places that honour one:
 * - CDK core: the namespaced id `<pack, spaces as dashes>::<finding>` on the resource or its closest ancestor;
 * - cdk-nag itself: a bare id (stored by CDK as `Annotation::<finding>`) on the resource or any ancestor.
 */
export function findAcknowledgement(
  resource: IConstruct,
  pack: string,
  findingId: string,
): AcknowledgementRef | undefined {
  const namespaced = normalizeAcknowledgementId(`${pack}::${findingId}`);
  for (let current: IConstruct | undefined = resource; current; current = current.node.scope) {
    const here = acknowledgementsOn(current);
    const reason = here.get(namespaced);
    if (reason !== undefined) return acknowledgementRef(current, namespaced, reason);
    for (const [id, bareReason] of here) {
      if (id.replace(/^annotation::/i, '') === findingId) return acknowledgementRef(current, id, bareReason);
    }
  }
  return undefined;
}
