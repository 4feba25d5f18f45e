// `node dist/cli/migrate.js`: apply migrations and exit (for a one-off ECS task run with the
// owner credentials, when serving tasks use a separate login with MIGRATE_ON_START=false).
import { migrate } from '../db/migrate.js';
import { ConfigError, loadDbConfig } from '../config.js';
import { createOwnerClient, setServiceLoginPassword } from '../db/pool.js';

try {
  const db = loadDbConfig();
  const client = createOwnerClient(db);
  await client.connect();
  const applied = await migrate(client);
  await setServiceLoginPassword(client, db); // local use only (DB_SERVICE_PASSWORD)
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
