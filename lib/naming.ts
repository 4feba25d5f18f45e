import { KitConfig } from './config';

/** Deterministic names, so stacks can refer to each other's resources without cross-stack cycles. */
export function kitNames(config: KitConfig) {
  const profile = config.profileName.toLowerCase();
  return {
    stackPrefix: `HipaaKit-${config.profileName}`,
    aliasPrefix: `alias/hipaa-kit/${profile}`,
    trailName: `hipaa-kit-${profile}-trail`,
    /** The PHI bucket's name is fixed so the audit trail can select its data events before the bucket exists. */
    phiBucketName: `hipaa-kit-${profile}-phi-${config.account}-${config.region}`,
  };
}
