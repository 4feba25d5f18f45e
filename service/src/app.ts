// Wires the service together: migrations, pools, key provider, push gateway, dispatcher, server.
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { DestinationStream, Logger } from 'pino';
import { createTokenVerifier } from './auth/verifier.js';
import type { Config } from './config.js';
import { Envelope } from './crypto/envelope.js';
import { LocalKeyring } from './crypto/keyring-local.js';
import { KmsKeyProvider } from './crypto/kms.js';
import type { KeyProvider } from './crypto/types.js';
import { migrate } from './db/migrate.js';
import { APP_ROLE, PUSH_ROLE, assertServingLoginIsSafe, createOwnerClient, createRolePool, setServiceLoginPassword } from './db/pool.js';
import { createLogger } from './logger.js';
import { PushDispatcher } from './push/outbox.js';
import { LocalPushSink } from './push/sink.js';
import { SnsPushGateway } from './push/sns.js';
import { DisabledPushGateway, type PushGateway } from './push/types.js';
import { buildServer } from './server.js';

export interface ServiceOverrides {
  keyProvider?: KeyProvider;
  push?: PushGateway;
  logStream?: DestinationStream;
}

export interface Service {
  app: FastifyInstance;
  pool: pg.Pool;
  dispatcher: PushDispatcher;
  push: PushGateway;
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

/** The owner login's only job: apply migrations (and, locally, set the serving login's password). */
export async function migrateDatabase(config: Config): Promise<string[]> {
  const owner = createOwnerClient(config.db);
  await owner.connect();
  try {
    const applied = await migrate(owner);
    await setServiceLoginPassword(owner, config.db);
    return applied;
  } finally {
    await owner.end();
  }
}

export async function startService(config: Config, overrides: ServiceOverrides = {}): Promise<Service> {
  const logger = createLogger(config.logLevel, overrides.logStream);
  if (config.db.migrateOnStart) {
    const applied = await migrateDatabase(config);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  }
  const pool = createRolePool(config.db, APP_ROLE);
  const pushPool = createRolePool(config.db, PUSH_ROLE, 2);
  try {
    await assertServingLoginIsSafe(pool);
  } catch (err) {
    await Promise.all([pool.end(), pushPool.end()]);
    throw err;
  }
  const push = overrides.push ?? pushGatewayFor(config);
  const dispatcher = new PushDispatcher(pushPool, push, config.push, logger);
  const envelope = new Envelope(overrides.keyProvider ?? keyProviderFor(config), {
    maxAgeMs: config.dataKeyMaxAgeSeconds * 1000,
    maxUses: config.dataKeyMaxUses,
    maxEntries: 10_000,
  });
  const app = await buildServer({
    config,
    pool,
    verifyToken: createTokenVerifier(config.auth),
    envelope,
    push,
    onMessageSent: () => dispatcher.kick(),
    logger,
  });
  dispatcher.start();
  return {
    app,
    pool,
    dispatcher,
    push,
    logger,
    async close() {
      // Keep-alive connections become idle once their in-flight response is sent; close them as
      // they do, and give up on stragglers well before ECS's 30 s stop timeout.
      const closing = app.close();
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => app.server.closeAllConnections(), 20_000);
      try {
        await closing;
      } finally {
        clearInterval(sweep);
        clearTimeout(deadline);
      }
      await dispatcher.stop();
      await Promise.all([pool.end(), pushPool.end()]);
    },
  };
}
