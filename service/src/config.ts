// Typed configuration from the environment. Invalid values raise ConfigError, which names the
// variable and the fix; main prints that one line and exits without a stack trace.
import { existsSync } from 'node:fs';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    fix: string,
  ) {
    super(`${variable}: ${fix}`);
    this.name = 'ConfigError';
  }
}

export type DirectoryMode = 'enterprise' | 'public';

export interface DbConfig {
  /**
   * The OWNER login (table owner), used only for migrations and audit verification: a connection
   * string, or discrete parts (ECS injects DB_USERNAME/DB_PASSWORD from the RDS-managed secret).
   */
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** PEM bundle for verify-full TLS (the RDS global bundle in the image); undefined = no TLS. */
  sslCaFile?: string;
  poolMax: number;
  migrateOnStart: boolean;
  /**
   * BASTION_OPERATORS: the kit's bastion operators, comma-separated. The owner keeps one IAM-authenticated login per
   * name after migrating and disables the logins of names no longer listed; unset or empty = none.
   */
  operatorLogins: string[];
  /** The serving login (same host/port/database, its own credential); never the owner. */
  service: ServiceLogin;
}

export interface ServiceLogin {
  /** DB_SERVICE_USER (default hmk_service): a member of hmk_app/hmk_push that owns nothing. */
  user: string;
  /** DB_SERVICE_PASSWORD: local/dev/test only; the migration step sets it on the role. */
  password?: string;
  /** DB_IAM_AUTH=true: log in with RDS IAM authentication tokens (production). */
  iamAuth: boolean;
  /** Region for signing IAM tokens (AWS_REGION / AWS_DEFAULT_REGION). */
  region?: string;
}

export interface Config {
  production: boolean;
  host: string;
  port: number;
  logLevel: string;
  db: DbConfig;
  directoryMode: DirectoryMode;
  bannerText: string;
  /** Proxy addresses/CIDRs whose X-Forwarded-For is believed; false = use the socket address. */
  trustProxy: string[] | false;
  auth: { issuer: string; jwksUri: string; audience: string[] };
  idleTimeoutSeconds: number;
  maxMessageBytes: number;
  maxGroupSize: number;
  /** Requests per minute per signed-in user (RATE_LIMIT_PER_MINUTE), counted after authentication. */
  rateLimitPerMinute: number;
  /**
   * Requests per minute per source address (RATE_LIMIT_PER_ADDRESS_PER_MINUTE), counted before authentication, so
   * requests with junk tokens and to unknown paths count too.
   */
  rateLimitPerAddressPerMinute: number;
  /**
   * Refusals without a signed-in user (401, unknown /v1 paths, per-address 429s) and every 429 are audited once per
   * source (address, or user) and status per window: the first at once, the rest as one counted row when the window
   * closes. 0 writes one row per refusal.
   */
  auditRefusalWindowSeconds: number;
  /** Whole request (headers and body) must arrive within this (REQUEST_TIMEOUT_SECONDS), else 408 and closed. */
  requestTimeoutSeconds: number;
  /** Headers must arrive within this (HEADERS_TIMEOUT_SECONDS); at most the request timeout. */
  headersTimeoutSeconds: number;
  /** KMS key for envelope encryption; undefined selects the local keyring (never in production). */
  kmsKeyId?: string;
  /** 32-byte base64 master key for the local keyring; random per process when unset. */
  localMasterKey?: string;
  dataKeyMaxAgeSeconds: number;
  dataKeyMaxUses: number;
  push: {
    mode: 'sns' | 'sink' | 'disabled';
    apnsPlatformArn?: string;
    fcmPlatformArn?: string;
    sinkFile?: string;
    pollMs: number;
    leaseSeconds: number;
    maxAttempts: number;
    /** Repeat push until read: minutes after the last push (REPEAT_PUSH_AFTER_MINUTES; 0 = off, the default). */
    repeatAfterMinutes: number;
    /** At most this many repeats per message and recipient (REPEAT_PUSH_MAX). */
    repeatMax: number;
  };
  awsRegion?: string;
  /** Members (patients) may start conversations only with clinicians (MEMBERS_CLINICIANS_ONLY). */
  membersCliniciansOnly: boolean;
  /** Break-glass access window (pillar P04, 164.312(a)(2)(ii)). */
  breakGlassMinutes: number;
  /** Where high-severity notices (break-glass) go: the kit's ops SNS topic, or a local sink. */
  notify: { mode: 'sns' | 'sink'; topicArn?: string; sinkFile?: string };
  retention: {
    /** Organisation default when no admin has set one; 0 keeps messages forever. */
    defaultDays: number;
    /** Run the retention job in this process (every container may; the job is safe concurrently). */
    jobEnabled: boolean;
    intervalSeconds: number;
    batchSize: number;
  };
  /** The WebSocket event stream (GET /v1/events). */
  events: {
    /** EVENTS_ENABLED: sends write message.created events and the stream is served. */
    enabled: boolean;
    /** Open sockets one user may hold on one instance (EVENTS_MAX_SOCKETS_PER_USER). */
    maxSocketsPerUser: number;
    /** A reader whose unsent data passes this many bytes is disconnected (EVENTS_MAX_BUFFERED_BYTES). */
    maxBufferedBytes: number;
    /** Hours events are kept for replay with after= (EVENTS_REPLAY_HOURS, at least 24). */
    replayHours: number;
    /** Seconds between pings to each socket (EVENTS_PING_SECONDS); under the load balancer's 60 s idle timeout. */
    pingSeconds: number;
  };
  /** Conversation data keys: DynamoDB in AWS (outside every database backup), a Postgres table locally. */
  keyStore: { mode: 'dynamodb' | 'postgres'; table?: string };
  attachments: {
    mode: 's3' | 'local';
    bucket?: string;
    /** SSE-KMS key every upload must name (the PHI bucket's key). */
    kmsKeyId?: string;
    /** Local mode: directory the files live in. */
    dir?: string;
    maxBytes: number;
    allowedTypes: string[];
    /** Lifetime of presigned upload/download URLs, at most 300 s. */
    urlTtlSeconds: number;
  };
}

export const DEFAULT_BANNER =
  'This system contains protected health information. Access is restricted to authorised users; ' +
  'all activity is logged and monitored. Unauthorised use is prohibited.';

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === '' ? undefined : v;
}

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, dflt: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return dflt;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function required(env: Env, name: string, fix: string): string {
  const v = str(env, name);
  if (v === undefined) throw new ConfigError(name, `is required; ${fix}`);
  return v;
}

function httpsUrl(env: Env, name: string, production: boolean, fix: string): string {
  const raw = required(env, name, fix);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL (got "${raw}")`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && (production || !loopback || url.protocol !== 'http:')) {
    throw new ConfigError(
      name,
      'must use https (plain http is accepted only for a loopback issuer outside production)',
    );
  }
  return raw;
}

function dbConfig(env: Env, production: boolean, serving = true): DbConfig {
  const sslMode = str(env, 'DB_SSL') ?? (production ? 'verify-full' : 'disable');
  if (sslMode !== 'verify-full' && sslMode !== 'disable') {
    throw new ConfigError('DB_SSL', `must be verify-full or disable (got "${sslMode}")`);
  }
  if (production && sslMode !== 'verify-full') {
    throw new ConfigError('DB_SSL', 'must be verify-full in production (pillar P01)');
  }
  let sslCaFile: string | undefined;
  if (sslMode === 'verify-full') {
    sslCaFile = str(env, 'DB_SSL_CA_FILE') ?? str(env, 'PGSSLROOTCERT') ?? '/app/certs/rds-global-bundle.pem';
    if (!existsSync(sslCaFile)) {
      throw new ConfigError('DB_SSL_CA_FILE', `CA bundle ${sslCaFile} not found; point it at the RDS global bundle`);
    }
  }
  const common = {
    sslCaFile,
    poolMax: int(env, 'DB_POOL_MAX', 10, 1, 100),
    migrateOnStart: bool(env, 'MIGRATE_ON_START', true),
    operatorLogins: operatorLogins(env),
    service: serviceLogin(env, production && serving, sslMode),
  };
  const url = str(env, 'DATABASE_URL');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new ConfigError('DATABASE_URL', 'must be a postgres:// connection string');
    }
    // pg lets URL parameters override the ssl option, which would silently undo DB_SSL.
    if (/[?&](ssl|sslmode|sslrootcert|sslcert|sslkey)=/i.test(url)) {
      throw new ConfigError(
        'DATABASE_URL',
        'must not carry ssl/sslmode parameters; set DB_SSL (and DB_SSL_CA_FILE) instead',
      );
    }
    return { connectionString: url, ...common };
  }
  const fix = 'set DATABASE_URL, or DB_HOST/DB_NAME plus DB_USERNAME/DB_PASSWORD (from the RDS-managed secret)';
  return {
    host: required(env, 'DB_HOST', fix),
    port: int(env, 'DB_PORT', 5432, 1, 65535),
    database: required(env, 'DB_NAME', fix),
    user: required(env, 'DB_USERNAME', fix),
    password: required(env, 'DB_PASSWORD', fix),
    ...common,
  };
}

/** Operator names as the kit validates them (core/operators.ts): valid Linux users and unquoted Postgres roles. */
const OPERATOR_NAME = /^[a-z][a-z0-9_]{1,31}$/;
const RESERVED_OPERATOR_PREFIXES = ['pg_', 'rds', 'hmk'];

function operatorLogins(env: Env): string[] {
  const names = (str(env, 'BASTION_OPERATORS') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const fix = 'list the bastion.operators names of the kit profile, comma-separated (e.g. alice,bob)';
  const bad = names.find((n) => !OPERATOR_NAME.test(n) || RESERVED_OPERATOR_PREFIXES.some((p) => n.startsWith(p)));
  if (bad !== undefined) {
    throw new ConfigError(
      'BASTION_OPERATORS',
      `"${bad}" is not an operator name (2-32 of a-z 0-9 _, starting with a letter, not pg_/rds/hmk); ${fix}`,
    );
  }
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new ConfigError('BASTION_OPERATORS', `"${repeated}" is listed twice; ${fix}`);
  return names;
}

function serviceLogin(env: Env, production: boolean, sslMode: string): ServiceLogin {
  const user = str(env, 'DB_SERVICE_USER') ?? 'hmk_service';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(user)) {
    throw new ConfigError('DB_SERVICE_USER', `must be a lower-case Postgres role name (got "${user}")`);
  }
  const password = str(env, 'DB_SERVICE_PASSWORD');
  const iamAuth = bool(env, 'DB_IAM_AUTH', false);
  const region = str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION');
  if (iamAuth && password) {
    throw new ConfigError('DB_SERVICE_PASSWORD', 'must not be set together with DB_IAM_AUTH=true; choose one');
  }
  if (iamAuth && !region)
    throw new ConfigError('AWS_REGION', 'is required when DB_IAM_AUTH=true (to sign RDS IAM tokens)');
  if (iamAuth && sslMode !== 'verify-full') {
    throw new ConfigError('DB_SSL', 'must be verify-full when DB_IAM_AUTH=true (RDS accepts IAM tokens only over TLS)');
  }
  if (production && !iamAuth && !password) {
    throw new ConfigError(
      'DB_IAM_AUTH',
      'must be true in production (the serving login uses RDS IAM authentication), unless DB_SERVICE_PASSWORD is set',
    );
  }
  return { user, password, iamAuth, region };
}

function pushConfig(env: Env, production: boolean): Config['push'] {
  const mode = str(env, 'PUSH_MODE') ?? (production ? 'sns' : 'sink');
  if (mode !== 'sns' && mode !== 'sink' && mode !== 'disabled') {
    throw new ConfigError('PUSH_MODE', `must be sns, sink or disabled (got "${mode}")`);
  }
  // The sink only records; in production push is real (sns) or explicitly off (no platform credentials deployed).
  if (production && mode === 'sink') throw new ConfigError('PUSH_MODE', 'must be sns or disabled in production');
  const apnsPlatformArn = str(env, 'SNS_APNS_PLATFORM_APPLICATION_ARN');
  const fcmPlatformArn = str(env, 'SNS_FCM_PLATFORM_APPLICATION_ARN');
  if (mode === 'sns' && !apnsPlatformArn && !fcmPlatformArn) {
    throw new ConfigError(
      'SNS_APNS_PLATFORM_APPLICATION_ARN',
      'set it and/or SNS_FCM_PLATFORM_APPLICATION_ARN when PUSH_MODE=sns',
    );
  }
  return {
    mode,
    apnsPlatformArn,
    fcmPlatformArn,
    sinkFile: str(env, 'PUSH_SINK_FILE'),
    pollMs: int(env, 'PUSH_POLL_MS', 250, 10, 60_000),
    leaseSeconds: int(env, 'PUSH_LEASE_SECONDS', 30, 1, 3600),
    maxAttempts: int(env, 'PUSH_MAX_ATTEMPTS', 8, 1, 100),
    repeatAfterMinutes: int(env, 'REPEAT_PUSH_AFTER_MINUTES', 0, 0, 1440),
    repeatMax: int(env, 'REPEAT_PUSH_MAX', 2, 1, 10),
  };
}

function notifyConfig(env: Env, production: boolean): Config['notify'] {
  const mode = str(env, 'NOTIFY_MODE') ?? (production ? 'sns' : 'sink');
  if (mode !== 'sns' && mode !== 'sink') throw new ConfigError('NOTIFY_MODE', `must be sns or sink (got "${mode}")`);
  if (production && mode !== 'sns')
    throw new ConfigError('NOTIFY_MODE', 'must be sns in production (break-glass notices go to the ops topic)');
  const topicArn = str(env, 'OPS_TOPIC_ARN');
  if (mode === 'sns' && !topicArn?.startsWith('arn:')) {
    throw new ConfigError('OPS_TOPIC_ARN', 'must be the ARN of the ops SNS topic when NOTIFY_MODE=sns');
  }
  return { mode, topicArn, sinkFile: str(env, 'NOTIFY_SINK_FILE') };
}

function keyStoreConfig(env: Env, production: boolean): Config['keyStore'] {
  const mode = str(env, 'KEY_STORE') ?? (production ? 'dynamodb' : 'postgres');
  if (mode !== 'dynamodb' && mode !== 'postgres') {
    throw new ConfigError('KEY_STORE', `must be dynamodb or postgres (got "${mode}")`);
  }
  // In the database, a destroyed key would survive in every snapshot: crypto-shredding needs the separate store.
  if (production && mode !== 'dynamodb')
    throw new ConfigError('KEY_STORE', 'must be dynamodb in production (crypto-shredding)');
  const table = str(env, 'KEY_STORE_TABLE');
  if (mode === 'dynamodb' && (!table || !/^[A-Za-z0-9_.-]{3,255}$/.test(table))) {
    throw new ConfigError('KEY_STORE_TABLE', 'must name the DynamoDB key table when KEY_STORE=dynamodb');
  }
  return { mode, table };
}

const DEFAULT_ATTACHMENT_TYPES = 'image/jpeg,image/png,image/heic,application/pdf,text/plain';

function attachmentsConfig(env: Env, production: boolean): Config['attachments'] {
  const mode = str(env, 'ATTACHMENTS_MODE') ?? (production ? 's3' : 'local');
  if (mode !== 's3' && mode !== 'local')
    throw new ConfigError('ATTACHMENTS_MODE', `must be s3 or local (got "${mode}")`);
  if (production && mode !== 's3') throw new ConfigError('ATTACHMENTS_MODE', 'must be s3 in production');
  const bucket = str(env, 'ATTACHMENTS_BUCKET');
  const kmsKeyId = str(env, 'ATTACHMENTS_KMS_KEY_ID');
  if (mode === 's3') {
    if (!bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigError('ATTACHMENTS_BUCKET', 'must name the PHI bucket when ATTACHMENTS_MODE=s3');
    }
    if (!kmsKeyId?.startsWith('arn:')) {
      throw new ConfigError(
        'ATTACHMENTS_KMS_KEY_ID',
        "must be the full ARN of the PHI bucket's KMS key when ATTACHMENTS_MODE=s3",
      );
    }
  }
  const allowedTypes = (str(env, 'ATTACHMENT_TYPES') ?? DEFAULT_ATTACHMENT_TYPES)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  const bad = allowedTypes.find((t) => !/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(t));
  if (bad !== undefined || allowedTypes.length === 0) {
    throw new ConfigError(
      'ATTACHMENT_TYPES',
      `must be a comma-separated list of media types like image/png (got "${bad ?? ''}")`,
    );
  }
  return {
    mode,
    bucket,
    kmsKeyId,
    dir: str(env, 'ATTACHMENTS_DIR'),
    maxBytes: int(env, 'ATTACHMENT_MAX_BYTES', 25 * 1024 * 1024, 1, 5 * 1024 * 1024 * 1024),
    allowedTypes,
    urlTtlSeconds: int(env, 'ATTACHMENT_URL_TTL_SECONDS', 300, 1, 300),
  };
}

/**
 * Database settings only, for the owner-only CLIs (migrate, audit verifier), which need no auth or
 * push settings and do not serve (so production does not insist on the serving login's credential).
 */
export function loadDbConfig(env: Env = process.env): DbConfig {
  return dbConfig(env, str(env, 'NODE_ENV') === 'production', false);
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = str(env, 'NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';

  const directoryMode = str(env, 'DIRECTORY_MODE') ?? 'enterprise';
  if (directoryMode !== 'enterprise' && directoryMode !== 'public') {
    throw new ConfigError('DIRECTORY_MODE', `must be enterprise or public (got "${directoryMode}")`);
  }

  const trustRaw = str(env, 'TRUST_PROXY');
  const trustProxy = trustRaw
    ? trustRaw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : false;
  if (trustProxy && trustProxy.some((p) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(p))) {
    throw new ConfigError(
      'TRUST_PROXY',
      'must be a comma-separated list of proxy IP addresses or CIDRs (e.g. 10.0.0.0/16)',
    );
  }

  const kmsKeyId = str(env, 'KMS_KEY_ID');
  if (production && !kmsKeyId) {
    throw new ConfigError(
      'KMS_KEY_ID',
      'is required in production (envelope encryption, pillar P05); set it to the CMK ARN or alias',
    );
  }
  const localMasterKey = str(env, 'LOCAL_MASTER_KEY');
  if (localMasterKey && Buffer.from(localMasterKey, 'base64').length !== 32) {
    throw new ConfigError('LOCAL_MASTER_KEY', 'must be 32 bytes, base64-encoded');
  }

  const audience = required(env, 'AUTH_AUDIENCE', 'set it to the app client id(s), comma-separated')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  const level = str(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent');
  }
  if (production && (level === 'debug' || level === 'trace')) {
    // HIPAAGRAM logged bodies and tokens at debug level; never run production that verbosely.
    throw new ConfigError('LOG_LEVEL', 'debug/trace are not allowed in production');
  }

  const rateLimitPerMinute = int(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000);
  const requestTimeoutSeconds = int(env, 'REQUEST_TIMEOUT_SECONDS', 30, 1, 600);
  const headersTimeoutSeconds = int(env, 'HEADERS_TIMEOUT_SECONDS', Math.min(10, requestTimeoutSeconds), 1, 600);
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    throw new ConfigError(
      'HEADERS_TIMEOUT_SECONDS',
      `must not exceed REQUEST_TIMEOUT_SECONDS (${requestTimeoutSeconds}); lower it or raise REQUEST_TIMEOUT_SECONDS`,
    );
  }

  return {
    production,
    host: str(env, 'HOST') ?? '0.0.0.0',
    port: int(env, 'PORT', 8080, 0, 65535),
    logLevel: level,
    db: dbConfig(env, production),
    directoryMode,
    bannerText: str(env, 'BANNER_TEXT') ?? DEFAULT_BANNER,
    trustProxy,
    auth: {
      issuer: httpsUrl(
        env,
        'AUTH_ISSUER',
        production,
        'set it to the issuer URL (Cognito: https://cognito-idp.<region>.amazonaws.com/<poolId>)',
      ),
      jwksUri: httpsUrl(
        env,
        'AUTH_JWKS_URI',
        production,
        'set it to the issuer JWKS URL (Cognito: <issuer>/.well-known/jwks.json)',
      ),
      audience,
    },
    idleTimeoutSeconds: int(env, 'IDLE_TIMEOUT_SECONDS', 900, 1, 900),
    maxMessageBytes: int(env, 'MAX_MESSAGE_BYTES', 8192, 1, 1_048_576),
    maxGroupSize: int(env, 'MAX_GROUP_SIZE', 32, 2, 1000),
    rateLimitPerMinute,
    rateLimitPerAddressPerMinute: int(
      env,
      'RATE_LIMIT_PER_ADDRESS_PER_MINUTE',
      Math.min(rateLimitPerMinute * 5, 10_000_000),
      1,
      10_000_000,
    ),
    auditRefusalWindowSeconds: int(env, 'AUDIT_REFUSAL_WINDOW_SECONDS', 60, 0, 3600),
    requestTimeoutSeconds,
    headersTimeoutSeconds,
    kmsKeyId,
    localMasterKey,
    dataKeyMaxAgeSeconds: int(env, 'DATA_KEY_MAX_AGE_SECONDS', 300, 1, 86_400),
    dataKeyMaxUses: int(env, 'DATA_KEY_MAX_USES', 10_000, 1, 1_000_000),
    push: pushConfig(env, production),
    awsRegion: str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION'),
    membersCliniciansOnly: bool(env, 'MEMBERS_CLINICIANS_ONLY', false),
    breakGlassMinutes: int(env, 'BREAK_GLASS_MINUTES', 60, 1, 1440),
    notify: notifyConfig(env, production),
    retention: {
      defaultDays: int(env, 'RETENTION_DAYS', 0, 0, 36_500),
      jobEnabled: bool(env, 'RETENTION_JOB', true),
      intervalSeconds: int(env, 'RETENTION_INTERVAL_SECONDS', 3600, 1, 86_400),
      batchSize: int(env, 'RETENTION_BATCH_SIZE', 1000, 1, 100_000),
    },
    events: {
      enabled: bool(env, 'EVENTS_ENABLED', true),
      maxSocketsPerUser: int(env, 'EVENTS_MAX_SOCKETS_PER_USER', 5, 1, 100),
      maxBufferedBytes: int(env, 'EVENTS_MAX_BUFFERED_BYTES', 1_048_576, 16_384, 67_108_864),
      replayHours: int(env, 'EVENTS_REPLAY_HOURS', 48, 24, 720),
      pingSeconds: int(env, 'EVENTS_PING_SECONDS', 25, 1, 55),
    },
    keyStore: keyStoreConfig(env, production),
    attachments: attachmentsConfig(env, production),
  };
}
