import { ConfigError, KitConfig } from '../core/config';
import { validateConfig } from './config-validation';

/**
 * Environment profiles. Add one per account (copy `example`) and select it with `-c profile=<name>`
 * or the `profile` key in cdk.json. `example` is complete so a fresh clone synthesizes offline.
 */
export const PROFILES: Record<string, KitConfig> = {
  example: {
    profileName: 'Example',
    account: '123456789012',
    region: 'us-east-1',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    tenancy: 'dedicated',
    vpcCidr: '10.40.0.0/16',
    natGateways: 2,
    adminCidrs: ['203.0.113.0/28'],
    bastion: {
      enabled: true,
      sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICQUfUx4SMS9Z6SW5jIEqCi42q4kHZXfqz+/kTRErPkK ops@example.org',
      instanceType: 't3.micro',
      ssmSessionManager: true,
      // One entry per person (issue 16): replace with your operators' own keys; the example keys are throwaway.
      operators: [
        {
          name: 'alice',
          sshPublicKey:
            'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIILChI5BajiZ9xHqABTRv0R/vv4abwBh1PpDC526bzlo alice@example.org',
        },
        {
          name: 'bob',
          sshPublicKey:
            'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINFNrY7mfj42vy3U/6rWHdKuroQBXH/ThgFX1qbVshSL bob@example.org',
          expires: '2099-12-31',
        },
      ],
    },
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000',
    directoryMode: 'enterprise',
    auditRetentionDays: 2190,
    logRetentionDays: 731,
    database: {
      instanceClass: 'db.m6i.large',
      port: 5532,
      allocatedStorageGiB: 50,
      backupRetentionDays: 35,
      databaseName: 'messaging',
      createOsMetricsLogGroup: true,
    },
    service: {
      instanceType: 'm6i.large',
      desiredCount: 2,
      maxCount: 6,
      memoryMiB: 1024,
      cpuUnits: 512,
      wafRateLimitPer5Min: 2000,
      bannerText:
        'WARNING: This system contains protected health information. Access is restricted to authorized users and is monitored and logged.',
    },
    alarmEmail: 'security-ops@example.org',
    push: {},
    backup: { retentionDays: 35, vaultLock: false },
    messaging: {
      retentionDays: 0,
      membersCliniciansOnly: false,
      breakGlassMinutes: 60,
      keyTableRecoveryDays: 7,
      repeatPush: { afterMinutes: 0, maxRepeats: 2 },
    },
    governance: { exceptionOwner: 'Platform security lead', reviewEveryDays: 180, lastReviewed: '2026-12-04' },
  },
};

/**
 * Builds the config from a profile plus overrides (context `overrides`, a JSON object shaped like KitConfig).
 * Unknown keys and wrong types are refused, so a typo never silently falls back to a default.
 */
export function resolveConfig(profile: string, overrides: unknown = {}): KitConfig {
  const base = PROFILES[profile];
  if (!base) {
    throw new ConfigError([
      `profile: "${profile}" is not defined; use one of ${Object.keys(PROFILES).join(', ')} or add it to lib/profiles.ts`,
    ]);
  }
  let parsed = overrides;
  if (typeof overrides === 'string') {
    try {
      parsed = JSON.parse(overrides);
    } catch {
      throw new ConfigError(['overrides: is not valid JSON; pass e.g. -c overrides=\'{"tenancy":"default"}\'']);
    }
  }
  const problems: string[] = [];
  const merged = merge(base, parsed, '', problems) as KitConfig;
  if (problems.length > 0) throw new ConfigError(problems);
  return validateConfig(merged);
}

/** Optional fields that an override may add although the base profile leaves them out. */
const OPTIONAL_FIELDS: Record<string, 'string' | 'boolean'> = {
  certificateArn: 'string',
  domainName: 'string',
  hostedZoneId: 'string',
  hostedZoneName: 'string',
  alarmEmail: 'string',
  'bastion.sshPublicKey': 'string',
  'service.imageUri': 'string',
  'push.apnsSecretName': 'string',
  'push.apnsSandbox': 'boolean',
  'push.fcmSecretName': 'string',
};

/** Lists whose entries are objects, with what an entry is. */
const OBJECT_LISTS: Record<string, string> = { 'bastion.operators': 'operators {name, sshPublicKey, expires?}' };

function merge(base: unknown, override: unknown, path: string, problems: string[]): unknown {
  if (override === undefined) return base;
  const label = path || 'overrides';
  if (isPlainObject(base) || path === '') {
    if (!isPlainObject(override)) {
      problems.push(`${label}: must be an object`);
      return base;
    }
    const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(override)) {
      const child = path ? `${path}.${key}` : key;
      const current = (base as Record<string, unknown>)[key];
      if (current === undefined && !(child in OPTIONAL_FIELDS)) {
        problems.push(
          `${child}: is not a config field; check the spelling against the README's configuration reference`,
        );
      } else if (current === undefined) {
        if (value === null) delete result[key];
        else if (typeof value !== OPTIONAL_FIELDS[child])
          problems.push(`${child}: must be a ${OPTIONAL_FIELDS[child]}`);
        else result[key] = value;
      } else if (value === null && child in OPTIONAL_FIELDS) {
        delete result[key]; // null removes an optional field, e.g. to drop certificateArn for a domain
      } else {
        result[key] = merge(current, value, child, problems);
      }
    }
    return result;
  }
  if (Array.isArray(base)) {
    // A list of objects is replaced whole; validateConfig checks each entry's fields.
    if (path in OBJECT_LISTS) {
      if (!Array.isArray(override)) problems.push(`${label}: must be a list of ${OBJECT_LISTS[path]}`);
      return Array.isArray(override) ? override : base;
    }
    if (!Array.isArray(override) || !override.every((v) => typeof v === 'string')) {
      problems.push(`${label}: must be a list of strings`);
      return base;
    }
    return override;
  }
  if (typeof override !== typeof base) {
    problems.push(`${label}: must be a ${typeof base}, got ${JSON.stringify(override)}`);
    return base;
  }
  return override;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
