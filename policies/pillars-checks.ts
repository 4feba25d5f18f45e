import { CfnResource } from 'aws-cdk-lib';
import { NagPack, NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { PillarsRule } from './rule';
import {
  AlarmTopicAcceptsCloudWatch,
  CloudTrailHardened,
  LogGroupAuditRetention,
  S3AuditBucketObjectLock,
  S3BucketDataEvents,
  S3PhiBucketDataEvents,
} from './rules/audit';
import { FixedNameRetainExceptOnCreate, RDSInBackupSelection, S3PhiBucketInBackupSelection } from './rules/backup';
import {
  EC2BastionIdleLogoff,
  EC2BastionNamedLogins,
  EC2BastionSessionRecording,
  EC2BastionSshdHardened,
  EC2KeyPairAndImdsv2,
  SSMSessionLogging,
} from './rules/bastion';
import {
  BackupVaultCustomerManagedKey,
  DynamoDBCustomerManagedKey,
  EBSCustomerManagedKey,
  KMSKeyRotation,
  LogGroupCustomerManagedKey,
  RDSCustomerManagedKey,
  S3CustomerManagedKey,
  SNSCustomerManagedKey,
  SecretCustomerManagedKey,
} from './rules/encryption';
import { IAMNoAdminManagedPolicies, IAMNoInlinePolicies, IAMNoWildcardActions } from './rules/iam';
import {
  CognitoMfaRequiredTotpOnly,
  CognitoNoUnauthenticatedIdentities,
  CognitoShortTokenValidity,
} from './rules/identity';
import {
  DedicatedVpcCompatibleServices,
  NetworkAclIngressAllowList,
  SecurityGroupIngressAllowList,
  VPCDedicatedTenancy,
} from './rules/network';
import {
  ELBHttpRedirectOnly,
  ELBTlsPolicy,
  RDSForceSsl,
  S3DenyInsecureTransport,
  SNSDenyInsecureTransport,
} from './rules/transit';
import { EC2SupportedAmi, LambdaSupportedRuntime, RDSSupportedEngineVersion } from './rules/versions';

/** The rules of each area, in the order the pack applies them. */
export const PILLARS_RULES_BY_AREA = {
  network: [
    VPCDedicatedTenancy,
    SecurityGroupIngressAllowList,
    NetworkAclIngressAllowList,
    DedicatedVpcCompatibleServices,
  ],
  bastion: [
    EC2BastionSshdHardened,
    EC2BastionIdleLogoff,
    EC2KeyPairAndImdsv2,
    EC2BastionNamedLogins,
    EC2BastionSessionRecording,
    SSMSessionLogging,
  ],
  transit: [ELBTlsPolicy, ELBHttpRedirectOnly, S3DenyInsecureTransport, SNSDenyInsecureTransport, RDSForceSsl],
  identity: [CognitoMfaRequiredTotpOnly, CognitoShortTokenValidity, CognitoNoUnauthenticatedIdentities],
  encryption: [
    KMSKeyRotation,
    S3CustomerManagedKey,
    SNSCustomerManagedKey,
    LogGroupCustomerManagedKey,
    SecretCustomerManagedKey,
    EBSCustomerManagedKey,
    RDSCustomerManagedKey,
    BackupVaultCustomerManagedKey,
    DynamoDBCustomerManagedKey,
  ],
  audit: [
    CloudTrailHardened,
    S3PhiBucketDataEvents,
    S3BucketDataEvents,
    LogGroupAuditRetention,
    S3AuditBucketObjectLock,
    AlarmTopicAcceptsCloudWatch,
  ],
  backup: [RDSInBackupSelection, S3PhiBucketInBackupSelection, FixedNameRetainExceptOnCreate],
  iam: [IAMNoWildcardActions, IAMNoAdminManagedPolicies, IAMNoInlinePolicies],
  versions: [RDSSupportedEngineVersion, LambdaSupportedRuntime, EC2SupportedAmi],
} as const satisfies Record<string, readonly PillarsRule[]>;

/** Every Pillars rule, in pack order. */
export const PILLARS_RULES: readonly PillarsRule[] = Object.values(PILLARS_RULES_BY_AREA).flat();

/**
 * The kit's own cdk-nag 3 pack: the security pillars (P01-P18) that can be checked in a template, and the gaps the
 * AWS packs leave (ports allow-list, MFA, rotation, data events, tenancy...). Every rule is an ERROR.
 * Findings read `Pillars-<RuleId>`; acknowledge them as `Pillars::Pillars-<RuleId>[<finding>]`.
 */
export class PillarsChecks extends NagPack {
  public readonly name = 'Pillars';
  public readonly ruleIds = PILLARS_RULES.map((r) => `Pillars-${r.meta.id}`);

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'Pillars';
  }

  protected checkResource(node: CfnResource): void {
    this.checkNetwork(node);
    this.checkBastion(node);
    this.checkTransit(node);
    this.checkIdentity(node);
    this.checkEncryption(node);
    this.checkAudit(node);
    this.checkBackup(node);
    this.checkIam(node);
    this.checkVersions(node);
  }

  /** Tenancy, security-group and NACL allow-lists (P10, P12, P18). */
  private checkNetwork(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.network);
  }

  /** SSH entry points: key-only sshd, banner, idle logoff, key pair, IMDSv2, named logins, recorded sessions (P02, P03, P11, P14, P15). */
  private checkBastion(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.bastion);
  }

  /** Encryption in transit: listeners, S3/SNS TLS-only policies, rds.force_ssl (P01). */
  private checkTransit(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.transit);
  }

  /** Cognito: TOTP MFA, short tokens, no guests (P02, P08, P14). */
  private checkIdentity(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.identity);
  }

  /** Encryption at rest with rotating customer-managed keys (P05). */
  private checkEncryption(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.encryption);
  }

  /** CloudTrail, data events, audit retention, WORM and alarms that reach their topic (P03, 164.312(b), (c)). */
  private checkAudit(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.audit);
  }

  /** Backup coverage of databases and PHI buckets, and retryable creates of named stateful resources (164.308(a)(7)(ii)(A)). */
  private checkBackup(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.backup);
  }

  /** Least privilege (P07). */
  private checkIam(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.iam);
  }

  /** Supported engine, runtime and AMI versions (P13). */
  private checkVersions(node: CfnResource): void {
    this.applyPillarsRules(node, PILLARS_RULES_BY_AREA.versions);
  }

  private applyPillarsRules(node: CfnResource, rules: readonly PillarsRule[]): void {
    for (const rule of rules) {
      const { id, info, explanation, level, pillars, hipaa } = rule.meta;
      const controls = [pillars.length > 0 ? `Pillars: ${pillars.join(', ')}` : '', `HIPAA: ${hipaa.join(', ')}`];
      this.applyRule({
        ruleSuffixOverride: id,
        info: `${info} (${controls.filter(Boolean).join('; ')}).`,
        explanation,
        level,
        node,
        rule,
      });
    }
  }
}
