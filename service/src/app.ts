// Wires the service together: migrations, pools, key provider, push gateway, dispatcher, server.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { DestinationStream, Logger } from 'pino';
import { attachmentStoreFor } from './attachments/store.js';
import type { AttachmentStore } from './attachments/types.js';
import { createTokenVerifier } from './auth/verifier.js';
import type { Config } from './config.js';
import { Envelope } from './crypto/envelope.js';
import type { KeyStore } from './crypto/key-store.js';
import { DynamoDbKeyStore } from './crypto/key-store-dynamodb.js';
import { PostgresKeyStore } from './crypto/key-store-postgres.js';
import { LocalKeyring } from './crypto/keyring-local.js';
import { KmsKeyProvider } from './crypto/kms.js';
import type { KeyProvider } from './crypto/types.js';
import { migrate, recordRetentionDefault } from './db/migrate.js';
import { describeOperatorLoginChanges, reconcileOperatorLogins } from './db/operator-logins.js';
import {
  APP_ROLE,
  KEYS_ROLE,
  PUSH_ROLE,
  RETENTION_ROLE,
  assertServingLoginIsSafe,
  createOwnerClient,
  createRoleClient,
  createRolePool,
  setServiceLoginPassword,
} from './db/pool.js';
import { createLogger, safeError } from './logger.js';
import { LocalNotifySink } from './notify/sink.js';
import { SnsNotifier } from './notify/sns.js';
import type { Notifier } from './notify/types.js';
import { PushDispatcher } from './push/outbox.js';
import { LocalPushSink } from './push/sink.js';
import { SnsPushGateway } from './push/sns.js';
import { DisabledPushGateway, type PushGateway } from './push/types.js';
import { RefusalAggregator } from './audit/refusals.js';
import { writeAuditAs } from './audit/audit.js';
import { EventHub } from './events/hub.js';
import { PeriodicTask } from './periodic.js';
import { RetentionJob } from './retention/job.js';
import { buildServer } from './server.js';

export interface ServiceOverrides {
  keyProvider?: KeyProvider;
  push?: PushGateway;
  notifier?: Notifier;
  attachments?: AttachmentStore;
  logStream?: DestinationStream;
}

export interface Service {
  app: FastifyInstance;
  pool: pg.Pool;
  dispatcher: PushDispatcher;
  push: PushGateway;
  notifier: Notifier;
  /** Conversation data keys per period (crypto-shredding). */
  keyStore: KeyStore;
  /** Repeated refusals, audited as one counted row per source per window; flush() writes closed windows now. */
  refusals: RefusalAggregator;
  /** The retention job (started when config.retention.jobEnabled); runOnce() runs it on demand. */
  retention: RetentionJob;
  logger: Logger;
  /** Graceful stop: drain in-flight requests, finish the push batch, then close the pool. */
  close(): Promise<void>;
}

function keyProviderFor(config: Config): KeyProvider {
  if (config.kmsKeyId) return new KmsKeyProvider(new KMSClient({ region: config.awsRegion }), config.kmsKeyId);
  if (config.production) throw new Error('production requires KMS'); // loadConfig already refuses this
  return new LocalKeyring(config.localMasterKey ? Buffer.from(config.localMasterKey, 'base64') : undefined);
}

function pushGatewayFor(config: Config): PushGateway {
  if (config.push.mode === 'sns') {
    return new SnsPushGateway(new SNSClient({ region: config.awsRegion }), {
      apns: config.push.apnsPlatformArn,
      fcm: config.push.fcmPlatformArn,
    });
  }
  if (config.push.mode === 'disabled') return new DisabledPushGateway();
  return new LocalPushSink(config.push.sinkFile);
}

/** Break-glass notices: the ops SNS topic, or a local recording sink (never in production). */
function notifierFor(config: Config): Notifier {
  if (config.notify.mode === 'sns')
    return new SnsNotifier(new SNSClient({ region: config.awsRegion }), config.notify.topicArn!);
  return new LocalNotifySink(config.notify.sinkFile);
}

/**
 * The owner login's only job: apply migrations, record the organisation's default retention and, locally, set the
 * serving login's password.
 */
export async function migrateDatabase(config: Config, log: (line: string) => void = () => {}): Promise<string[]> {
  const owner = createOwnerClient(config.db);
  await owner.connect();
  try {
    const applied = await migrate(owner);
    await setServiceLoginPassword(owner, config.db);
    await recordRetentionDefault(owner, config.retention.defaultDays);
    const operators = await reconcileOperatorLogins(owner, config.db.operatorLogins);
    describeOperatorLoginChanges(config.db.operatorLogins, operators).forEach(log);
    return applied;
  } finally {
    await owner.end();
  }
}

export async function startService(config: Config, overrides: ServiceOverrides = {}): Promise<Service> {
  const logger = createLogger(config.logLevel, overrides.logStream);
  if (config.db.migrateOnStart) {
    const applied = await migrateDatabase(config, (line) => logger.info(line));
    if (applied.length) logger.info({ applied }, 'migrations applied');
  }
  const pool = createRolePool(config.db, APP_ROLE);
  const pushPool = createRolePool(config.db, PUSH_ROLE, 2);
  const retentionPool = createRolePool(config.db, RETENTION_ROLE, 2);
  // The local key store's own role; production keeps keys in DynamoDB (loadConfig refuses postgres there).
  const keysPool = config.keyStore.mode === 'postgres' ? createRolePool(config.db, KEYS_ROLE, 4) : undefined;
  const endPools = () => Promise.all([pool.end(), pushPool.end(), retentionPool.end(), keysPool?.end()]);
  try {
    await assertServingLoginIsSafe(pool);
  } catch (err) {
    await endPools();
    throw err;
  }
  const push = overrides.push ?? pushGatewayFor(config);
  const dispatcher = new PushDispatcher(pushPool, push, config.push, logger);
  const notifier = overrides.notifier ?? notifierFor(config);
  const keyStore: KeyStore = keysPool
    ? new PostgresKeyStore(keysPool)
    : new DynamoDbKeyStore(new DynamoDBClient({ region: config.awsRegion }), config.keyStore.table!);
  const envelope = new Envelope(
    overrides.keyProvider ?? keyProviderFor(config),
    {
      maxAgeMs: config.dataKeyMaxAgeSeconds * 1000,
      maxUses: config.dataKeyMaxUses,
      maxEntries: 10_000,
    },
    Date.now,
    keyStore,
  );
  const attachments = overrides.attachments ?? attachmentStoreFor(config);
  const retention = new RetentionJob(retentionPool, keyStore, attachments, config.retention, logger);
  const refusals = new RefusalAggregator(
    config.auditRefusalWindowSeconds * 1000,
    (entry, userId) => writeAuditAs(pool, entry, userId),
    (err) => logger.error({ err: safeError(err) }, 'audit write failed'),
  );
  const events = config.events.enabled
    ? new EventHub(
        pool,
        () => createRoleClient(config.db, APP_ROLE),
        envelope,
        { maxBufferedBytes: config.events.maxBufferedBytes, pingMs: config.events.pingSeconds * 1000 },
        logger,
        // Delivery receipts: a message.created handed to a recipient's socket is delivered.
        async (s, messageIds) => {
          await pool.query('SELECT hmk.mark_delivered($1, $2)', [s.userId, messageIds]);
        },
        // Every close is audited: who, from where (the opening request), when (the row), code and reason.
        (s) =>
          writeAuditAs(
            pool,
            {
              action: 'events.stream.close',
              targets: [],
              ip: s.origin.ip,
              userAgent: s.origin.userAgent,
              outcome: s.closed && s.closed.code >= 4000 ? 'denied' : 'ok',
              status: 200,
              requestId: s.origin.requestId,
              detail: { code: s.closed?.code ?? 1005, reason: s.closed?.reason ?? '', lastEventId: Number(s.lastId) },
            },
            s.userId,
          ).catch((err) => logger.error({ err: safeError(err) }, 'audit write failed')),
      )
    : undefined;
  // Hourly, on every instance (both deletes are idempotent): events past the replay window, expired Idempotency-Keys.
  const housekeeping = new PeriodicTask(
    async () => {
      await pool.query('SELECT hmk.prune_events($1), hmk.prune_idempotency_keys()', [config.events.replayHours]);
    },
    3_600_000,
    (err) => logger.error({ err: safeError(err) }, 'housekeeping failed'),
  );
  const app = await buildServer({
    config,
    pool,
    verifyToken: createTokenVerifier(config.auth),
    envelope,
    push,
    notifier,
    attachments,
    onMessageSent: () => dispatcher.kick(),
    refusals,
    events,
    logger,
  });
  await events?.start();
  dispatcher.start();
  housekeeping.start();
  refusals.start();
  if (config.retention.jobEnabled) retention.start();
  return {
    app,
    pool,
    dispatcher,
    push,
    notifier,
    keyStore,
    retention,
    refusals,
    logger,
    async close() {
      // Keep-alive connections become idle once their in-flight response is sent; close them as
      // they do, and give up on stragglers well before ECS's 30 s stop timeout. Event sockets are told first
      // (1001, reconnect elsewhere with after=).
      await events?.stop();
      const closing = app.close();
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => app.server.closeAllConnections(), 20_000);
      try {
        await closing;
      } finally {
        clearInterval(sweep);
        clearTimeout(deadline);
      }
      await Promise.all([dispatcher.stop(), retention.stop(), refusals.stop(), housekeeping.stop()]);
      await endPools();
    },
  };
}
