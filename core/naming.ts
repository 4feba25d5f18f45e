import { KitConfig } from './config';
import { partitionOf } from './partition';

/** Deterministic names, so stacks can refer to each other's resources without cross-stack cycles. */
export function kitNames(config: KitConfig) {
  const profile = config.profileName.toLowerCase();
  const trailName = `hipaa-kit-${profile}-trail`;
  return {
    /** Prefix of every physical name the kit sets (cluster, database, vault, log groups, ...). */
    resourcePrefix: `hipaa-kit-${profile}`,
    stackPrefix: `HipaaKit-${config.profileName}`,
    aliasPrefix: `alias/hipaa-kit/${profile}`,
    trailName,
    /** Fixed, so the audit key can scope CloudTrail by `aws:SourceArn` before the trail exists (no cycle). */
    trailArn: `arn:${partitionOf(config.region)}:cloudtrail:${config.region}:${config.account}:trail/${trailName}`,
    /** The PHI bucket's name is fixed so the audit trail can select its data events before the bucket exists. */
    phiBucketName: `hipaa-kit-${profile}-phi-${config.account}-${config.region}`,
    /** Fixed, so the service's policy and environment name it as a plain string (no cross-stack export). */
    keyTableName: `hipaa-kit-${profile}-conversation-keys`,
  };
}
