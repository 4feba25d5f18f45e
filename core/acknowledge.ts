import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ConfigError } from './config';

/** Construct metadata type of the governance entry written next to CDK's own acknowledgement entry. */
export const ACKNOWLEDGEMENT_GOVERNANCE_METADATA_KEY = 'hipaa-kit:acknowledgement-governance';

/** Who answers for an accepted finding, and when it must be looked at again. Both flow into the exception register. */
export interface AcknowledgementGovernance {
  /** A role or team, e.g. 'Platform security lead'. @default no owner recorded */
  readonly owner?: string;
  /** `YYYY-MM-DD`; CI fails from the day after this date until the acknowledgement is reviewed. @default no review date */
  readonly reviewBy?: string;
}

/** The governance entry as stored in construct metadata. */
export interface GovernanceMetadata extends AcknowledgementGovernance {
  /** The acknowledged id, exactly as passed to `acknowledge`. */
  readonly id: string;
}

/**
 * Acknowledges one finding on the narrowest construct, always in the namespaced form (`Pack::Rule`),
 * so the finding stays visible to auditors in `suppressedViolations` with its reason.
 * The reason must name the design decision and the compensating control.
 * With `governance`, the owner and review-by date are recorded next to it for the exception register.
 */
export function acknowledge(
  scope: IConstruct,
  id: `${string}::${string}`,
  reason: string,
  governance?: AcknowledgementGovernance,
): void {
  if (governance?.reviewBy !== undefined) parseReviewBy(governance.reviewBy, `${id} on ${scope.node.path}`);
  if (governance?.owner !== undefined && governance.owner.trim() === '') {
    throw new ConfigError([`acknowledgement ${id} on ${scope.node.path}: owner must not be empty`]);
  }
  Validations.of(scope).acknowledge({ id, reason });
  if (governance?.owner !== undefined || governance?.reviewBy !== undefined) {
    const entry: GovernanceMetadata = { id, ...governance };
    scope.node.addMetadata(ACKNOWLEDGEMENT_GOVERNANCE_METADATA_KEY, entry);
  }
}

/** The UTC date `YYYY-MM-DD` names; throws a message naming `what` for any other format or an impossible date. */
export function parseReviewBy(value: string, what: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== value) {
    // A ConfigError: bin/ prints it as one line, without a stack trace.
    throw new ConfigError([`acknowledgement ${what}: reviewBy '${value}' is not a real date in the form YYYY-MM-DD`]);
  }
  return date;
}

/** The governance entries recorded on one construct. */
export function governanceOf(construct: IConstruct): GovernanceMetadata[] {
  return construct.node.metadata
    .filter((entry) => entry.type === ACKNOWLEDGEMENT_GOVERNANCE_METADATA_KEY)
    .map((entry) => entry.data as GovernanceMetadata);
}

/** An acknowledgement whose review-by date is before `today` (`YYYY-MM-DD`, UTC). */
export interface ExpiredAcknowledgement {
  readonly id: string;
  readonly path: string;
  readonly owner?: string;
  readonly reviewBy: string;
}

/** Every acknowledgement under `root` whose review-by date has passed: it is reviewed (new date) or removed. */
export function expiredAcknowledgements(root: IConstruct, today: string): ExpiredAcknowledgement[] {
  const cutoff = parseReviewBy(today, 'today');
  return root.node.findAll().flatMap((construct) =>
    governanceOf(construct)
      .filter(
        (g) => g.reviewBy !== undefined && parseReviewBy(g.reviewBy, `${g.id} on ${construct.node.path}`) < cutoff,
      )
      .map((g) => ({ id: g.id, path: construct.node.path, owner: g.owner, reviewBy: g.reviewBy as string })),
  );
}
