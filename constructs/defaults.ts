/**
 * Hardened defaults in one place. Constructs spread these and then re-apply the compliance-critical settings,
 * so a caller can tune the rest but never turn encryption, TLS or retention off.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Logs are evidence and PHI is never destroyed by `cdk destroy`. */
export const STATEFUL_REMOVAL = RemovalPolicy.RETAIN;

/**
 * For stateful resources with a fixed physical name: kept on update and delete like the rest, but removed when
 * CloudFormation rolls back their own failed create (RetainExceptOnCreate). Kept, they would make the retried
 * deploy fail with "already exists"; rolled back on create, they hold no data yet.
 */
export const FIXED_NAME_REMOVAL = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

/** The removal policy of a stateful resource, by whether it has a fixed physical name. */
export function statefulRemoval(physicalName: string | undefined): RemovalPolicy {
  return physicalName === undefined ? STATEFUL_REMOVAL : FIXED_NAME_REMOVAL;
}

/** TLS 1.2 is the floor for S3 and SNS (pillar P01). */
export const MIN_TLS_VERSION = 1.2;

/** Settings every bucket gets, whatever its encryption. */
export const BUCKET_BASELINE: s3.BucketProps = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: MIN_TLS_VERSION,
  versioned: true,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: STATEFUL_REMOVAL,
  autoDeleteObjects: false,
};

/** Noncurrent versions are kept this long before expiry (versioning protects against overwrite, not forever). */
export const NONCURRENT_VERSION_DAYS = 90;

/** CloudWatch alarm evaluation for the CIS monitoring set: any single event in 5 minutes alarms. */
export const CIS_ALARM_PERIOD_MINUTES = 5;
