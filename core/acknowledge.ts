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

/** Construct metadata type of the governance defaults (a profile's owner and review-by date) set on a scope. */
export const GOVERNANCE_DEFAULTS_METADATA_KEY = 'hipaa-kit:acknowledgement-governance-defaults';

/** Both halves of governance, as every acknowledgement must end up with them. */
export interface ResolvedGovernance {
  readonly owner: string;
  readonly reviewBy: string;
}

/**
 * Sets the owner and review-by date of every acknowledgement under `scope` that does not name its own
 * (the kit sets the profile's `governance` on the app before building the stacks).
 */
export function setGovernanceDefaults(scope: IConstruct, defaults: ResolvedGovernance): void {
  parseReviewBy(defaults.reviewBy, `defaults on ${scope.node.path || 'the app'}`);
  scope.node.addMetadata(GOVERNANCE_DEFAULTS_METADATA_KEY, { ...defaults });
}

/** The defaults that apply at `construct`: set on it or on its closest ancestor that has them. */
export function governanceDefaultsAt(construct: IConstruct): ResolvedGovernance | undefined {
  for (let current: IConstruct | undefined = construct; current; current = current.node.scope) {
    const entry = current.node.metadata.filter((m) => m.type === GOVERNANCE_DEFAULTS_METADATA_KEY).pop();
    if (entry) return entry.data as ResolvedGovernance;
  }
  return undefined;
}

/**
 * Owner and review-by date of acknowledgement `id` made on `construct`: what the acknowledgement names,
 * else the defaults in force there. Either may still be missing when neither gives it.
 */
export function governanceFor(construct: IConstruct, id: string): AcknowledgementGovernance {
  const normalized = id.replace(/ /g, '-');
  const own = governanceOf(construct)
    .filter((g) => g.id.replace(/ /g, '-') === normalized)
    .pop();
  const defaults = governanceDefaultsAt(construct);
  const owner = own?.owner ?? defaults?.owner;
  const reviewBy = own?.reviewBy ?? defaults?.reviewBy;
  return { ...(owner !== undefined ? { owner } : {}), ...(reviewBy !== undefined ? { reviewBy } : {}) };
}

/** Every acknowledgement (namespaced or bare) under `root`, as construct and id. */
export function acknowledgementsUnder(root: IConstruct): { construct: IConstruct; id: string }[] {
  return root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && m.data)
        .flatMap((m) => Object.keys(m.data as Record<string, string>).map((id) => ({ construct, id }))),
    );
}

/**
 * One line per acknowledgement under `root` without an owner or a review-by date, naming it and the fix;
 * the kit refuses to synthesize while any is listed (an exception nobody owns is never looked at again).
 */
export function ungovernedAcknowledgements(root: IConstruct): string[] {
  return acknowledgementsUnder(root).flatMap(({ construct, id }) => {
    const g = governanceFor(construct, id);
    const missing = [g.owner === undefined ? 'owner' : '', g.reviewBy === undefined ? 'review-by date' : '']
      .filter(Boolean)
      .join(' and ');
    return missing
      ? [
          `acknowledgement ${id} on ${construct.node.path}: no ${missing}; set governance.exceptionOwner and ` +
            'governance.reviewEveryDays in the profile, or pass { owner, reviewBy } to acknowledge()',
        ]
      : [];
  });
}

/** `date` (`YYYY-MM-DD`) plus `days`, as `YYYY-MM-DD` (UTC). */
export function addDays(date: string, days: number): string {
  const start = parseReviewBy(date, 'date');
  return new Date(start.getTime() + days * 86_400_000).toISOString().slice(0, 10);
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

/**
 * Every acknowledgement under `root` whose review-by date (its own, or the defaults in force) has passed:
 * it is reviewed (new date) or removed.
 */
export function expiredAcknowledgements(root: IConstruct, today: string): ExpiredAcknowledgement[] {
  const cutoff = parseReviewBy(today, 'today');
  return acknowledgementsUnder(root).flatMap(({ construct, id }) => {
    const g = governanceFor(construct, id);
    if (g.reviewBy === undefined || parseReviewBy(g.reviewBy, `${id} on ${construct.node.path}`) >= cutoff) return [];
    return [{ id, path: construct.node.path, owner: g.owner, reviewBy: g.reviewBy }];
  });
}
