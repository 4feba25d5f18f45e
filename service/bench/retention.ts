// `npm run bench:retention`: figures, not a test. On embedded Postgres (default durability settings), inserts
// BENCH_MESSAGES (default 50,000) expired messages (100 days old, retention 30 days) with 256-byte bodies, one
// push outbox row each, an attachment (row and local object) on 5% of them, one key-store key per conversation,
// plus 10% recent messages that must stay; then times one run of the retention job (deleting and crypto-shredding
// the now fully expired key periods) and prints messages deleted per second, then the later run that deletes the
// attachment objects once their upload URLs can no longer be used.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { LocalAttachmentStore } from '../src/attachments/local.js';
import { loadDbConfig } from '../src/config.js';
import { periodOf } from '../src/crypto/key-store.js';
import { PostgresKeyStore } from '../src/crypto/key-store-postgres.js';
import { migrate, recordRetentionDefault } from '../src/db/migrate.js';
import {
  KEYS_ROLE,
  RETENTION_ROLE,
  createOwnerClient,
  createRolePool,
  setServiceLoginPassword,
} from '../src/db/pool.js';
import { startEmbeddedPostgres } from '../src/dev/embedded-pg.js';
import { RetentionJob } from '../src/retention/job.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const PER_CONVERSATION = 100;
const CONVERSATIONS = Math.ceil(MESSAGES / PER_CONVERSATION);
const log = (m: string) => process.stderr.write(`${m}\n`);

log(`bench:retention: ${cpus().length} CPUs, node ${process.version}, ${MESSAGES} expired messages, batch ${BATCH}`);
const server = await startEmbeddedPostgres();
const objectsDir = mkdtempSync(join(tmpdir(), 'hmk-bench-objects-'));
try {
  const db = loadDbConfig({
    DATABASE_URL: await server.createDatabase('hmk_retention_bench'),
    DB_SERVICE_PASSWORD: 'bench-only',
  });
  const owner = createOwnerClient(db);
  owner.on('error', () => undefined); // the server stops first if the bench fails
  await owner.connect();
  await migrate(owner);
  await setServiceLoginPassword(owner, db);
  await recordRetentionDefault(owner, 30);

  const expiredPeriod = periodOf(new Date(Date.now() - 100 * 86_400_000));
  const t0 = Date.now();
  // Two contacts per conversation; a direct conversation each.
  await owner.query(
    `
    WITH c AS (SELECT g, gen_random_uuid() AS conv, gen_random_uuid() AS a, gen_random_uuid() AS b FROM generate_series(1, $1) g),
    contacts AS (INSERT INTO hmk.contacts (id, username, role)
                 SELECT a, 'a' || g, 'clinician' FROM c UNION ALL SELECT b, 'b' || g, 'member' FROM c),
    convs AS (INSERT INTO hmk.conversations (id, kind, created_by) SELECT conv, 'direct', a FROM c)
    INSERT INTO hmk.participants (conversation_id, user_id) SELECT conv, a FROM c UNION ALL SELECT conv, b FROM c`,
    [CONVERSATIONS],
  );
  // Expired messages (100 days old), then 10% recent ones, each with a 256-byte body and an outbox row.
  for (const [n, age, period] of [
    [MESSAGES, '100 days', expiredPeriod],
    [Math.floor(MESSAGES / 10), '1 day', periodOf(new Date())],
  ] as const) {
    await owner.query(
      `
      WITH p AS (SELECT conversation_id, array_agg(user_id ORDER BY user_id) AS u FROM hmk.participants GROUP BY conversation_id),
      pn AS (SELECT row_number() OVER (ORDER BY conversation_id) AS i, conversation_id, u FROM p),
      m AS (INSERT INTO hmk.messages (id, conversation_id, sender_id, created_at)
            SELECT gen_random_uuid(), pn.conversation_id, pn.u[1], now() - $2::interval - g * interval '1 second'
              FROM generate_series(1, $1) g JOIN pn ON pn.i = 1 + (g % $3)
            RETURNING id, conversation_id, sender_id),
      b AS (INSERT INTO hmk.message_bodies (message_id, conversation_id, scheme, key_id, iv, ciphertext)
            SELECT id, conversation_id, 'kms-envelope', 'ks:' || $4, decode(left(md5(id::text), 24), 'hex'),
                   decode(repeat(md5(id::text), 16), 'hex') FROM m)
      INSERT INTO hmk.push_outbox (message_id, conversation_id, recipient_id, delivered_at)
      SELECT m.id, m.conversation_id, (SELECT x FROM unnest(pn.u) x WHERE x <> m.sender_id LIMIT 1), now()
        FROM m JOIN pn ON pn.conversation_id = m.conversation_id`,
      [n, age, CONVERSATIONS, period],
    );
  }
  // Attachments on 5% of the expired messages: a row and a stored object each.
  const { rows: attached } = await owner.query<{ key: string }>(
    `
    INSERT INTO hmk.attachments (id, conversation_id, message_id, uploader_id, object_key, content_type, size_bytes, status, completed_at)
    SELECT m.aid, m.conversation_id, m.id, m.sender_id, 'attachments/' || m.conversation_id || '/' || m.aid, 'application/pdf', 1024, 'ready', now()
      FROM (SELECT gen_random_uuid() AS aid, id, conversation_id, sender_id FROM hmk.messages
             WHERE created_at < now() - interval '30 days' ORDER BY id LIMIT $1) m
    RETURNING object_key AS key`,
    [Math.floor(MESSAGES / 20)],
  );
  for (const { key } of attached) {
    const path = join(objectsDir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.alloc(1024));
    writeFileSync(`${path}.type`, 'application/pdf');
  }
  // One key-store key per conversation for the expired period (random stand-ins for KMS-wrapped keys).
  await owner.query(
    `INSERT INTO hmk.conversation_keys (conversation_id, period, kms_key_id, wrapped_key)
                     SELECT id, $1, 'bench', decode(repeat(md5(id::text), 12), 'hex') FROM hmk.conversations`,
    [expiredPeriod],
  );
  await owner.query('VACUUM ANALYZE');
  log(
    `setup: ${CONVERSATIONS} conversations, ${MESSAGES} expired + ${Math.floor(MESSAGES / 10)} recent messages, ` +
      `${attached.length} attachments, in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const retentionPool = createRolePool(db, RETENTION_ROLE, 2);
  const keysPool = createRolePool(db, KEYS_ROLE, 2);
  const job = new RetentionJob(
    retentionPool,
    new PostgresKeyStore(keysPool),
    new LocalAttachmentStore(objectsDir, 60),
    { intervalSeconds: 3600, batchSize: BATCH },
    pino({ level: 'silent' }),
  );
  const start = process.hrtime.bigint();
  const summary = await job.runOnce();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;

  // Their objects wait out the longest upload URL (hmk.object_grace(), 6 minutes) and go in a later run: age
  // the queue as if that time had passed, and time that run on its own.
  await owner.query("UPDATE hmk.pending_object_deletions SET queued_at = now() - interval '10 minutes'");
  const objectsStart = process.hrtime.bigint();
  const later = await job.runOnce();
  const objectSeconds = Number(process.hrtime.bigint() - objectsStart) / 1e9;

  const left = await owner.query(
    `SELECT (SELECT count(*) FROM hmk.messages WHERE created_at < now() - interval '30 days')::int AS expired,
    (SELECT count(*) FROM hmk.messages)::int AS kept, (SELECT count(*) FROM hmk.conversation_keys WHERE period = $1)::int AS keys,
    (SELECT count(*) FROM hmk.audit_log WHERE action LIKE 'retention.%')::int AS audit`,
    [expiredPeriod],
  );
  await Promise.all([retentionPool.end(), keysPool.end()]);
  await owner.end();
  const check = left.rows[0];
  if (
    summary.messages !== MESSAGES ||
    check.expired !== 0 ||
    check.keys !== 0 ||
    check.kept !== Math.floor(MESSAGES / 10) ||
    later.objectsDeleted !== summary.attachments
  ) {
    throw new Error(`unexpected result: ${JSON.stringify({ summary, later, check })}`);
  }
  const result = {
    messagesDeleted: summary.messages,
    attachmentsDeleted: summary.attachments,
    objectsDeleted: later.objectsDeleted,
    objectSeconds: Number(objectSeconds.toFixed(2)),
    keysDestroyed: summary.keysDestroyed,
    auditRows: check.audit,
    seconds: Number(seconds.toFixed(2)),
    messagesPerSecond: Math.round(summary.messages / seconds),
  };
  log(
    `retention run: ${result.messagesPerSecond} messages deleted/s (${summary.messages} in ${result.seconds} s, ` +
      `${summary.attachments} attachment rows, ${summary.keysDestroyed} keys shredded, ${check.audit} audit rows); ` +
      `their ${later.objectsDeleted} objects, a later run: ${result.objectSeconds} s`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await server.stop();
  rmSync(objectsDir, { recursive: true, force: true });
}
