/**
 * The kit's typed configuration: one object per environment, validated as a whole (lib/config-validation.ts) before
 * any stack is built. Only `bin/` reads context; everything below receives a validated `KitConfig`.
 */

export type Tenancy = 'dedicated' | 'default';
export type DirectoryMode = 'enterprise' | 'public';

/** One named person allowed onto the bastion (pillar P02): their own Linux account, key and database login. */
export interface BastionOperator {
  /** Linux and database user name: 2-32 lower-case letters, digits or `_`, starting with a letter. */
  readonly name: string;
  /** The person's own OpenSSH public key (`ssh-ed25519 ...` or `ssh-rsa ...`, 2048 bits or more), never shared. */
  readonly sshPublicKey: string;
  /** Last day of access, `YYYY-MM-DD` (UTC); the host locks the account after it. @default - no end date */
  readonly expires?: string;
}

export interface BastionConfig {
  /** Deploy the SSH bastion. */
  readonly enabled: boolean;
  /**
   * Break-glass only: the public key imported as the EC2 key pair (`ec2-user`). Every login with it raises the
   * unlisted-login alarm. @default - a key pair is created and its private key kept in SSM Parameter Store
   */
  readonly sshPublicKey?: string;
  /** The named operators: one account each, no shared login. At least one when the bastion is enabled. */
  readonly operators: BastionOperator[];
  /** EC2 instance type. Must support dedicated tenancy when tenancy is `dedicated`. */
  readonly instanceType: string;
  /** Also allow AWS Systems Manager Session Manager access. */
  readonly ssmSessionManager: boolean;
}

export interface DatabaseConfig {
  /** RDS instance class, e.g. `db.m6i.large`. Never `db.t*` with dedicated tenancy. */
  readonly instanceClass: string;
  /** A non-default port (not 5432). */
  readonly port: number;
  readonly allocatedStorageGiB: number;
  /** 1 to 35 days. */
  readonly backupRetentionDays: number;
  readonly databaseName: string;
  /**
   * Pre-create the account-wide `RDSOSMetrics` log group (enhanced monitoring) with the logs key and a retention.
   * Set false when it already exists in the account and region (another RDS instance or kit profile made it).
   */
  readonly createOsMetricsLogGroup: boolean;
}

export interface ServiceConfig {
  /** EC2 instance type for the ECS container hosts. */
  readonly instanceType: string;
  /** Number of tasks. At least 2, spread over AZs. */
  readonly desiredCount: number;
  readonly maxCount: number;
  /** An existing image URI to run instead of building `service/` as a Docker asset. */
  readonly imageUri?: string;
  /** Task memory in MiB. */
  readonly memoryMiB: number;
  /** Task CPU units (1024 = 1 vCPU). */
  readonly cpuUnits: number;
  /** WAF rate limit: requests per 5 minutes per source IP. */
  readonly wafRateLimitPer5Min: number;
  /** Warning banner (P15): returned by the service (`GET /v1/session`) and shown by the bastion's sshd (`/etc/issue.net`). */
  readonly bannerText: string;
}

export interface PushConfig {
  /** Secrets Manager secret name holding the APNs token-auth JSON {signingKey, keyId, teamId, bundleId}. */
  readonly apnsSecretName?: string;
  /** Use the APNs sandbox endpoint. */
  readonly apnsSandbox?: boolean;
  /** Secrets Manager secret name holding the FCM HTTP v1 service-account JSON. */
  readonly fcmSecretName?: string;
}

export interface BackupConfig {
  /** Days to keep recovery points. */
  readonly retentionDays: number;
  /** Turn on Backup Vault Lock (governance) so recovery points cannot be deleted early. */
  readonly vaultLock: boolean;
}

export interface MessagingConfig {
  /** Organisation default message retention in days (`RETENTION_DAYS`); 0 keeps messages forever. */
  readonly retentionDays: number;
  /** Members (patients) may start conversations only with clinicians (`MEMBERS_CLINICIANS_ONLY`). */
  readonly membersCliniciansOnly: boolean;
  /** Length of a break-glass access window in minutes, 1 to 1440 (`BREAK_GLASS_MINUTES`). */
  readonly breakGlassMinutes: number;
  /**
   * Point-in-time recovery window of the conversation-key table, 1 to 35 days: how long a deleted (shredded)
   * conversation key can still be restored. The table is kept out of AWS Backup, so this bounds crypto-shredding.
   */
  readonly keyTableRecoveryDays: number;
  /**
   * Repeat push until read (`REPEAT_PUSH_AFTER_MINUTES`, `REPEAT_PUSH_MAX`), opt-in like clinical messengers'
   * escalation: a message still unread `afterMinutes` after its last push gets one more PHI-free push, at most
   * `maxRepeats` times. `afterMinutes` 0 (the default) turns it off; otherwise 1 to 1440, and `maxRepeats` 1 to 10.
   */
  readonly repeatPush: { readonly afterMinutes: number; readonly maxRepeats: number };
}

/** Who owns the kit's accepted findings (the exception register) and how often they are reviewed. */
export interface GovernanceConfig {
  /** A role or team answering for every acknowledgement that names no owner of its own, e.g. 'Platform security lead'. */
  readonly exceptionOwner: string;
  /** Days between reviews, 1 to 366: an acknowledgement without its own date is due `reviewEveryDays` after `lastReviewed`. */
  readonly reviewEveryDays: number;
  /** `YYYY-MM-DD` of the last review of the register; move it (in a commit) when the owner has reviewed every exception. */
  readonly lastReviewed: string;
}

export interface KitConfig {
  /** The profile's name, used in stack names. */
  readonly profileName: string;
  /** 12-digit AWS account id. */
  readonly account: string;
  readonly region: string;
  /** At least 2 availability zones in `region`, given explicitly so synth needs no AWS lookup. */
  readonly availabilityZones: string[];
  /** VPC instance tenancy. `dedicated` (the default) puts every instance on single-tenant hardware (pillar P18). */
  readonly tenancy: Tenancy;
  readonly vpcCidr: string;
  /** NAT gateways, 1 per AZ recommended. */
  readonly natGateways: number;
  /** CIDRs allowed to reach the bastion on port 22. Never 0.0.0.0/0 or ::/0. */
  readonly adminCidrs: string[];
  readonly bastion: BastionConfig;
  /** ACM certificate ARN for the ALB. Either this, or `domainName` + `hostedZoneId` + `hostedZoneName`. */
  readonly certificateArn?: string;
  readonly domainName?: string;
  readonly hostedZoneId?: string;
  readonly hostedZoneName?: string;
  /** `enterprise`: searchable directory, admin-created users. `public`: exact-username lookup, self sign-up. */
  readonly directoryMode: DirectoryMode;
  /** Object Lock retention and audit log retention, in days. At least 2190 (6 years, 164.316(b)(2)(i)). */
  readonly auditRetentionDays: number;
  /** Retention of operational log groups, in days. */
  readonly logRetentionDays: number;
  readonly database: DatabaseConfig;
  readonly service: ServiceConfig;
  /** Email subscribed to the ops alarm topic. */
  readonly alarmEmail?: string;
  readonly push: PushConfig;
  readonly backup: BackupConfig;
  /** The messaging service's policy settings and its key table. */
  readonly messaging: MessagingConfig;
  /** Owner and review cycle of the exception register (every acknowledged finding). */
  readonly governance: GovernanceConfig;
}

/** One configuration problem: the field's path and a message that says what to do. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}
