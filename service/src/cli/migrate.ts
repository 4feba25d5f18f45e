// `node dist/cli/migrate.js`: apply migrations and exit (for a one-off ECS task run with the
// owner credentials, when serving tasks use a separate login with MIGRATE_ON_START=false).
import { migrate } from '../db/migrate.js';
import { ConfigError, loadDbConfig } from '../config.js';
import { createOwnerClient, setServiceLoginPassword } from '../db/pool.js';
import { describeOperatorLoginChanges, reconcileOperatorLogins } from '../db/operator-logins.js';

try {
  const db = loadDbConfig();
  const client = createOwnerClient(db);
  await client.connect();
  const applied = await migrate(client);
  await setServiceLoginPassword(client, db); // local use only (DB_SERVICE_PASSWORD)
  const operators = await reconcileOperatorLogins(client, db.operatorLogins);
  for (const line of describeOperatorLoginChanges(db.operatorLogins, operators)) process.stderr.write(`${line}\n`);
  await client.end();
  process.stderr.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
} catch (err) {
  process.stderr.write(
    err instanceof ConfigError
      ? `configuration error: ${err.message}\n`
      : `migration failed: ${(err as Error).message}\n`,
  );
  process.exit(err instanceof ConfigError ? 2 : 1);
}
