// `npm run verify-audit`: recomputes every audit hash chain with the owner credentials and exits
// non-zero when a row was changed, removed or inserted out of band.
import { verifyAuditChain } from '../audit/verify.js';
import { ConfigError, loadDbConfig } from '../config.js';
import { createOwnerClient } from '../db/pool.js';

try {
  const client = createOwnerClient(loadDbConfig());
  await client.connect();
  const result = await verifyAuditChain(client);
  await client.end();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(
    result.ok
      ? `audit chain OK: ${result.rows} rows in ${result.heads.length} chains\n`
      : `audit chain BROKEN: ${result.problems.length} problem(s), first at chain ${result.problems[0].chain} seq ${result.problems[0].seq}\n`,
  );
  process.exit(result.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(
    err instanceof ConfigError ? `configuration error: ${err.message}\n` : `verify failed: ${(err as Error).message}\n`,
  );
  process.exit(2);
}
