/** Validation of a whole KitConfig: every problem at once, each naming its field and the fix (bin/ prints them). */
import { ConfigError, KitConfig } from '../core/config';
import { BURSTABLE_DB_CLASS, EC2_WITHOUT_DEDICATED } from '../core/dedicated-tenancy';
import { parseSshPublicKey } from '../core/ssh-public-key';
import { operatorProblems } from './operator-validation';
import {
  CLOUDWATCH_RETENTION_DAYS,
  MAX_ADMIN_CIDRS,
  MAX_AUDIT_RETENTION_DAYS,
  MAX_MESSAGE_RETENTION_DAYS,
  MIN_AUDIT_RETENTION_DAYS,
} from '../core/limits';

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const EC2_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const CERT_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
/** EC2 imports only ED25519 and RSA public keys. */
const IMAGE_URI = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/;

/** Parses an IPv4 or IPv6 CIDR; returns the prefix length, or undefined when malformed. */
export function cidrPrefix(cidr: string): number | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (v4) {
    const octetsOk = v4.slice(1, 5).every((o) => Number(o) <= 255);
    const prefix = Number(v4[5]);
    return octetsOk && prefix <= 32 ? prefix : undefined;
  }
  const v6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(cidr);
  if (v6 && v6[1].includes(':') && Number(v6[2]) <= 128) {
    const groups = v6[1].split('::');
    const valid = groups.length <= 2 && v6[1].split(':').every((g) => g === '' || /^[0-9a-fA-F]{1,4}$/.test(g));
    return valid ? Number(v6[2]) : undefined;
  }
  return undefined;
}

/** True for a real calendar date written `YYYY-MM-DD`. */
function isRealDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** Validates the whole config and throws one ConfigError listing every problem, each as `field: what to do`. */
export function validateConfig(c: KitConfig): KitConfig {
  const problems: string[] = [];
  const bad = (field: string, message: string) => problems.push(`${field}: ${message}`);

  if (!/^[A-Za-z][A-Za-z0-9]{0,19}$/.test(c.profileName ?? '')) {
    bad(
      'profileName',
      `"${c.profileName}" must be 1-20 letters or digits starting with a letter (it is used in stack names)`,
    );
  }
  if (!ACCOUNT.test(c.account ?? '')) bad('account', `"${c.account}" is not a 12-digit AWS account id`);
  const regionOk = REGION.test(c.region ?? '');
  if (!regionOk) bad('region', `"${c.region}" is not an AWS region name such as "us-east-1"`);

  const azs = c.availabilityZones ?? [];
  if (azs.length < 2) bad('availabilityZones', 'give at least 2 availability zones, e.g. ["us-east-1a", "us-east-1b"]');
  azs.forEach((az, i) => {
    // Checked only against a valid region, so one typo yields one line.
    if (regionOk && !new RegExp(`^${c.region}[a-z]$`).test(az)) {
      bad(`availabilityZones[${i}]`, `"${az}" is not a zone of region ${c.region}; use e.g. "${c.region}a"`);
    }
  });
  if (new Set(azs).size !== azs.length) bad('availabilityZones', 'list each zone once');

  if (c.tenancy !== 'dedicated' && c.tenancy !== 'default') {
    bad('tenancy', `"${c.tenancy}" must be "dedicated" (recommended, pillar P18) or "default"`);
  }
  const vpcPrefix = cidrPrefix(c.vpcCidr ?? '');
  if (vpcPrefix === undefined || c.vpcCidr.includes(':') || vpcPrefix < 16 || vpcPrefix > 22) {
    bad('vpcCidr', `"${c.vpcCidr}" must be an IPv4 CIDR between /16 and /22, e.g. "10.40.0.0/16"`);
  }
  if (!Number.isInteger(c.natGateways) || c.natGateways < 1 || (azs.length >= 2 && c.natGateways > azs.length)) {
    bad('natGateways', `${c.natGateways} must be a whole number from 1 to the number of availability zones`);
  }

  if ((c.adminCidrs ?? []).length > MAX_ADMIN_CIDRS) {
    bad(
      'adminCidrs',
      `${c.adminCidrs.length} CIDRs do not fit the public network ACL; list at most ${MAX_ADMIN_CIDRS} (summarize ranges or use a VPN)`,
    );
  }
  (c.adminCidrs ?? []).forEach((cidr, i) => {
    const prefix = cidrPrefix(cidr);
    if (prefix === undefined) bad(`adminCidrs[${i}]`, `"${cidr}" is not a valid CIDR; write e.g. "203.0.113.10/32"`);
    else if (prefix === 0) {
      bad(`adminCidrs[${i}]`, `"${cidr}" would open SSH to the whole internet; list your office or VPN egress CIDRs`);
    }
  });

  const bastion = c.bastion;
  if (bastion?.enabled) {
    if ((c.adminCidrs ?? []).length === 0) {
      bad('adminCidrs', 'the bastion is enabled but no admin CIDRs are given; add them or set bastion.enabled=false');
    }
    if (bastion.sshPublicKey !== undefined) {
      try {
        parseSshPublicKey(bastion.sshPublicKey);
      } catch (err) {
        // Parsed fully: a malformed key would otherwise fail only at deploy time, in EC2 ImportKeyPair.
        bad(
          'bastion.sshPublicKey',
          `is not a usable OpenSSH public key: ${(err as Error).message}; paste the whole .pub file line`,
        );
      }
    }
    checkEc2Type('bastion.instanceType', bastion.instanceType);
    problems.push(...operatorProblems(bastion));
  }

  if (c.certificateArn !== undefined) {
    if (!CERT_ARN.test(c.certificateArn)) {
      bad('certificateArn', `"${c.certificateArn}" is not an ACM certificate ARN`);
    } else if (regionOk && c.certificateArn.split(':')[3] !== c.region) {
      bad('certificateArn', `the certificate must be in the ALB's region ${c.region}`);
    }
  } else if (!c.domainName || !c.hostedZoneId || !c.hostedZoneName) {
    bad(
      'certificateArn',
      'give an ACM certificateArn, or domainName + hostedZoneId + hostedZoneName for a DNS-validated certificate; the kit never serves plain HTTP',
    );
  }
  if (c.domainName !== undefined && !/^([a-z0-9-]+\.)+[a-z]{2,}$/.test(c.domainName)) {
    bad('domainName', `"${c.domainName}" is not a lower-case DNS name`);
  }

  if (c.directoryMode !== 'enterprise' && c.directoryMode !== 'public') {
    bad('directoryMode', `"${c.directoryMode}" must be "enterprise" or "public"`);
  }
  if (Number.isInteger(c.auditRetentionDays) && c.auditRetentionDays > MAX_AUDIT_RETENTION_DAYS) {
    bad(
      'auditRetentionDays',
      `${c.auditRetentionDays} exceeds ${MAX_AUDIT_RETENTION_DAYS} days, the longest CloudWatch Logs retention the audit log group can keep`,
    );
  } else if (!Number.isInteger(c.auditRetentionDays) || c.auditRetentionDays < MIN_AUDIT_RETENTION_DAYS) {
    bad(
      'auditRetentionDays',
      `${c.auditRetentionDays} is under 6 years; HIPAA documentation is kept at least ${MIN_AUDIT_RETENTION_DAYS} days`,
    );
  }
  if (!CLOUDWATCH_RETENTION_DAYS.includes(c.logRetentionDays)) {
    bad(
      'logRetentionDays',
      `${c.logRetentionDays} is not a CloudWatch retention value; use one of ${CLOUDWATCH_RETENTION_DAYS.join(', ')}`,
    );
  } else if (c.logRetentionDays < 365) {
    bad(
      'logRetentionDays',
      `${c.logRetentionDays} is under the kit's 1-year minimum for operational logs; use 365 or more`,
    );
  }

  const db = c.database;
  if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(db?.instanceClass ?? '')) {
    bad('database.instanceClass', `"${db?.instanceClass}" is not an RDS class such as "db.m6i.large"`);
  } else if (c.tenancy === 'dedicated' && BURSTABLE_DB_CLASS.test(db.instanceClass)) {
    bad(
      'database.instanceClass',
      `"${db.instanceClass}" is burstable and cannot run with dedicated tenancy; use db.m6i.large or db.r6i.large`,
    );
  }
  if (!Number.isInteger(db?.port) || db.port < 1150 || db.port > 65535 || db.port === 5432) {
    bad('database.port', `${db?.port} must be a non-default port from 1150 to 65535 (not 5432), e.g. 5532`);
  }
  if (!Number.isInteger(db?.allocatedStorageGiB) || db.allocatedStorageGiB < 20 || db.allocatedStorageGiB > 65536) {
    bad('database.allocatedStorageGiB', `${db?.allocatedStorageGiB} must be 20 to 65536`);
  }
  if (!Number.isInteger(db?.backupRetentionDays) || db.backupRetentionDays < 7 || db.backupRetentionDays > 35) {
    bad('database.backupRetentionDays', `${db?.backupRetentionDays} must be 7 to 35 days (35 recommended)`);
  }
  if (typeof db?.createOsMetricsLogGroup !== 'boolean') {
    bad('database.createOsMetricsLogGroup', 'must be true or false (false when RDSOSMetrics already exists)');
  }
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(db?.databaseName ?? '')) {
    bad(
      'database.databaseName',
      `"${db?.databaseName}" must be lower-case letters, digits and _ starting with a letter`,
    );
  }

  const svc = c.service;
  checkEc2Type('service.instanceType', svc?.instanceType);
  if (!Number.isInteger(svc?.desiredCount) || svc.desiredCount < 2) {
    bad('service.desiredCount', `${svc?.desiredCount} must be at least 2 so tasks span availability zones`);
  }
  if (!Number.isInteger(svc?.maxCount) || svc.maxCount < svc?.desiredCount) {
    bad('service.maxCount', `${svc?.maxCount} must be a whole number no smaller than service.desiredCount`);
  }
  if (svc?.imageUri !== undefined && !IMAGE_URI.test(svc.imageUri)) {
    bad(
      'service.imageUri',
      `"${svc.imageUri}" is not an image URI with a tag or digest, e.g. "123456789012.dkr.ecr.us-east-1.amazonaws.com/msg:1.4.0"`,
    );
  }
  if (!Number.isInteger(svc?.memoryMiB) || svc.memoryMiB < 256) bad('service.memoryMiB', 'must be at least 256');
  if (!Number.isInteger(svc?.cpuUnits) || svc.cpuUnits < 128) bad('service.cpuUnits', 'must be at least 128');
  if (!Number.isInteger(svc?.wafRateLimitPer5Min) || svc.wafRateLimitPer5Min < 10) {
    bad('service.wafRateLimitPer5Min', 'must be a whole number of at least 10 (WAF minimum)');
  }
  if (!svc?.bannerText || svc.bannerText.length > 2000)
    bad('service.bannerText', 'give a warning banner of 1 to 2000 characters');

  if (c.alarmEmail !== undefined && !EMAIL.test(c.alarmEmail)) {
    bad('alarmEmail', `"${c.alarmEmail}" is not an email address`);
  }
  for (const field of ['apnsSecretName', 'fcmSecretName'] as const) {
    const name = c.push?.[field];
    if (name !== undefined && !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      bad(`push.${field}`, `"${name}" is not a Secrets Manager secret name (never paste the credential itself here)`);
    }
  }
  if (!Number.isInteger(c.backup?.retentionDays) || c.backup.retentionDays < 35) {
    bad('backup.retentionDays', `${c.backup?.retentionDays} must be at least 35 days`);
  }

  const msg = c.messaging;
  if (
    !Number.isInteger(msg?.retentionDays) ||
    msg.retentionDays < 0 ||
    msg.retentionDays > MAX_MESSAGE_RETENTION_DAYS
  ) {
    bad(
      'messaging.retentionDays',
      `${msg?.retentionDays} must be a whole number of days from 0 (keep forever) to ${MAX_MESSAGE_RETENTION_DAYS}`,
    );
  }
  if (typeof msg?.membersCliniciansOnly !== 'boolean') {
    bad('messaging.membersCliniciansOnly', 'must be true or false');
  }
  if (!Number.isInteger(msg?.breakGlassMinutes) || msg.breakGlassMinutes < 1 || msg.breakGlassMinutes > 1440) {
    bad('messaging.breakGlassMinutes', `${msg?.breakGlassMinutes} must be a whole number of minutes from 1 to 1440`);
  }
  if (!Number.isInteger(msg?.keyTableRecoveryDays) || msg.keyTableRecoveryDays < 1 || msg.keyTableRecoveryDays > 35) {
    bad(
      'messaging.keyTableRecoveryDays',
      `${msg?.keyTableRecoveryDays} must be 1 to 35 days (DynamoDB's point-in-time recovery window); keep it short, it is how long a shredded key survives`,
    );
  }
  const repeat = msg?.repeatPush;
  if (!Number.isInteger(repeat?.afterMinutes) || repeat.afterMinutes < 0 || repeat.afterMinutes > 1440) {
    bad(
      'messaging.repeatPush.afterMinutes',
      `${repeat?.afterMinutes} must be a whole number of minutes from 1 to 1440, or 0 to turn repeat pushes off`,
    );
  }
  if (!Number.isInteger(repeat?.maxRepeats) || repeat.maxRepeats < 1 || repeat.maxRepeats > 10) {
    bad('messaging.repeatPush.maxRepeats', `${repeat?.maxRepeats} must be a whole number of repeats from 1 to 10`);
  }

  const gov = c.governance;
  if (typeof gov?.exceptionOwner !== 'string' || gov.exceptionOwner.trim() === '') {
    bad(
      'governance.exceptionOwner',
      'name the role or team that owns accepted findings, e.g. "Platform security lead"',
    );
  }
  if (!Number.isInteger(gov?.reviewEveryDays) || gov.reviewEveryDays < 1 || gov.reviewEveryDays > 366) {
    bad('governance.reviewEveryDays', `${gov?.reviewEveryDays} must be a whole number of days from 1 to 366`);
  }
  if (!isRealDate(gov?.lastReviewed)) {
    bad('governance.lastReviewed', `"${gov?.lastReviewed}" must be the date of the last review, as YYYY-MM-DD`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return c;

  function checkEc2Type(field: string, type: string | undefined) {
    if (!EC2_TYPE.test(type ?? '')) {
      bad(field, `"${type}" is not an EC2 instance type such as "m6i.large"`);
    } else if (c.tenancy === 'dedicated' && EC2_WITHOUT_DEDICATED.test(type!)) {
      bad(field, `"${type}" cannot run as a dedicated instance; use m6i, c6i, r6i or t3`);
    }
  }
}
