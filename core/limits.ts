/** Limits of the config and of AWS that more than one layer checks against. */

/** Log retention values CloudWatch Logs accepts. */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * The smallest CloudWatch Logs retention value that keeps data at least `days` (e.g. 2190 -> 2192), because log
 * groups accept only a fixed set of values. Throws rather than fall back to "never expire" or to a shorter period.
 */
export function cloudWatchRetentionAtLeast(days: number): number {
  const value = CLOUDWATCH_RETENTION_DAYS.find((d) => d >= days);
  if (value === undefined) {
    throw new Error(
      `retention of ${days} days exceeds CloudWatch Logs' longest fixed retention (${CLOUDWATCH_RETENTION_DAYS[CLOUDWATCH_RETENTION_DAYS.length - 1]} days); lower auditRetentionDays`,
    );
  }
  return value;
}

/** Six years, the usual reading of 45 CFR 164.316(b)(2)(i). */
export const MIN_AUDIT_RETENTION_DAYS = 2190;
/** Ten years, CloudWatch Logs' longest finite retention. */
export const MAX_AUDIT_RETENTION_DAYS = 3653;

/** The service's RETENTION_DAYS ceiling (100 years). */
export const MAX_MESSAGE_RETENTION_DAYS = 36_500;

/** Each admin CIDR takes one rule of the public NACL, whose 20 inbound rules also hold 80, 443, VPC and ephemeral. */
export const MAX_ADMIN_CIDRS = 15;
