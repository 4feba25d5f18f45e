// `npm run dev`: embedded Postgres in a fresh temp dir (unless DATABASE_URL is set), migrations,
// a local OIDC issuer (unless AUTH_ISSUER is set), the local keyring and the push sink.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startService } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './dev/embedded-pg.js';
import {
  DEV_ISSUER_FILE,
  removeIssuerFile,
  startLocalIssuer,
  writeIssuerFile,
  type LocalIssuer,
} from './dev/local-issuer.js';

const env: Record<string, string | undefined> = { ...process.env };
if (env.NODE_ENV === 'production') {
  process.stderr.write(
    'configuration error: NODE_ENV: `npm run dev` is for local use; use `npm start` in production\n',
  );
  process.exit(2);
}

let pg: EmbeddedServer | undefined;
let issuer: LocalIssuer | undefined;
try {
  // Check the rest of the configuration before starting anything (placeholders for what dev provides).
  loadConfig({
    DATABASE_URL: 'postgres://127.0.0.1/placeholder',
    AUTH_ISSUER: 'http://127.0.0.1/',
    AUTH_JWKS_URI: 'http://127.0.0.1/jwks',
    AUTH_AUDIENCE: 'placeholder',
    ...env,
  });
  if (!env.DATABASE_URL) {
    process.stderr.write('starting embedded Postgres in a fresh temp directory...\n');
    pg = await startEmbeddedPostgres();
    env.DATABASE_URL = await pg.createDatabase('hmk_dev');
  }
  if (!env.AUTH_ISSUER) {
    issuer = await startLocalIssuer(env.AUTH_AUDIENCE ?? 'hmk-local-client');
    writeIssuerFile(issuer);
    Object.assign(env, { AUTH_ISSUER: issuer.issuer, AUTH_JWKS_URI: issuer.jwksUri, AUTH_AUDIENCE: issuer.audience });
  }
  env.HOST ??= '127.0.0.1';
  env.PUSH_MODE ??= 'sink';
  env.PUSH_SINK_FILE ??= join(tmpdir(), 'hmk-dev-pushes.jsonl');
  env.NOTIFY_SINK_FILE ??= join(tmpdir(), 'hmk-dev-notices.jsonl');
  env.LOCAL_MASTER_KEY ??= randomBytes(32).toString('base64');
  // The serving login (hmk_service) needs a credential; locally a random password, set by the
  // migration step as the owner. (Production uses RDS IAM authentication instead.)
  if (!env.DB_IAM_AUTH || !/^(1|true|yes)$/i.test(env.DB_IAM_AUTH))
    env.DB_SERVICE_PASSWORD ??= randomBytes(24).toString('base64url');

  const config = loadConfig(env);
  const service = await startService(config);
  await service.app.listen({ host: config.host, port: config.port });
  const url = `http://${config.host}:${config.port}`;
  process.stderr.write(
    [
      '',
      `HIPAA messaging service (dev) listening on ${url}`,
      `  database:  ${pg ? 'embedded Postgres (deleted on exit)' : 'DATABASE_URL'}`,
      `  master:    ${config.kmsKeyId ? `KMS ${config.kmsKeyId}` : 'local keyring (in-memory master key)'}`,
      `  push:      ${config.push.mode === 'sink' ? `local sink -> ${config.push.sinkFile}` : config.push.mode}`,
      `  notices:   ${config.notify.mode === 'sink' ? `local sink -> ${config.notify.sinkFile}` : `SNS ${config.notify.topicArn}`}`,
      `  files:     ${config.attachments.mode === 's3' ? `S3 ${config.attachments.bucket}` : 'local directory (signed URLs served here)'}`,
      `  key store: conversation keys in ${config.keyStore.mode === 'dynamodb' ? `DynamoDB ${config.keyStore.table}` : 'a Postgres table'}`,
      `  retention: job every ${config.retention.intervalSeconds}s; default ${config.retention.defaultDays || 'forever'}${config.retention.defaultDays ? ' days' : ''}`,
      `  directory: ${config.directoryMode} mode; idle timeout ${config.idleTimeoutSeconds}s`,
      '',
      issuer
        ? `Mint a token (from service/):  TOKEN=$(npm run -s mint-dev-token -- --username alice --groups clinician)\n` +
          `Then:                         curl -H "Authorization: Bearer $TOKEN" ${url}/v1/session\n` +
          `(issuer key: ${DEV_ISSUER_FILE})`
        : `Using the external issuer ${config.auth.issuer}.`,
      `OpenAPI: ${url}/v1/openapi.json`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await service.close();
    await issuer?.close();
    if (issuer) removeIssuerFile();
    await pg?.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  if (issuer) removeIssuerFile();
  await pg?.stop().catch(() => undefined);
  const e = err as Error & { code?: string };
  process.stderr.write(
    err instanceof ConfigError
      ? `configuration error: ${e.message}\n`
      : `dev startup failed: ${e.name}${e.code ? ` (${e.code})` : ''}: ${e.message}\n`,
  );
  process.exit(err instanceof ConfigError ? 2 : 1);
}
