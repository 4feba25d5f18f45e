// `npm run bench`: figures, not a test. Starts embedded Postgres (default durability settings) and
// the service as a child process, then measures with autocannon over loopback:
//   - baseline: plain single-row INSERTs through pg on the same Postgres, same pool size;
//   - send-message throughput and latency at a fixed concurrency (encryption, RLS, audit, outbox on);
//   - read throughput;
//   - send latency at half the maximum rate.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { startEmbeddedPostgres, freePort } from '../src/dev/embedded-pg.js';
import { startLocalIssuer } from '../src/dev/local-issuer.js';
import { postgresCpuMs, procStat } from './proc-cpu.js';

const PHASE_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POOL = Number(process.env.DB_POOL_MAX ?? 10);
const PAIRS = 50;

const log = (m: string) => process.stderr.write(`${m}\n`);

// CPU ms spent by this process (client), the service, and Postgres (bench/proc-cpu.ts).
interface Cpu {
  client: number;
  service: number;
  postgres: number;
}
function cpuNow(servicePid: number): Cpu | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const u = process.cpuUsage();
  return {
    client: (u.user + u.system) / 1000,
    service: procStat(servicePid)?.cpu ?? 0,
    postgres: postgresCpuMs(servicePid),
  };
}
const cpuDelta = (a?: Cpu, b?: Cpu) =>
  a && b
    ? { client: b.client - a.client, service: b.service - a.service, postgres: b.postgres - a.postgres }
    : undefined;

log(
  `bench: ${cpus().length} CPUs, node ${process.version}, ${PHASE_SECONDS}s per phase, ${CONNECTIONS} connections, pool ${POOL}`,
);
const server = await startEmbeddedPostgres();
const dbUrl = await server.createDatabase('hmk_bench');
const issuer = await startLocalIssuer();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/main.ts'], {
  env: {
    ...process.env,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: dbUrl,
    AUTH_ISSUER: issuer.issuer,
    AUTH_JWKS_URI: issuer.jwksUri,
    AUTH_AUDIENCE: issuer.audience,
    LOCAL_MASTER_KEY: randomBytes(32).toString('base64'),
    PUSH_MODE: 'sink',
    DB_SERVICE_PASSWORD: randomBytes(24).toString('base64url'),
    RATE_LIMIT_PER_MINUTE: '10000000',
    LOG_LEVEL: 'info',
    DB_POOL_MAX: String(POOL),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

async function shutdown() {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await issuer.close();
  await server.stop();
}

try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 200) throw new Error('service did not start');
    await new Promise((r) => setTimeout(r, 100));
  }

  // Users and 1:1 conversations, so load spreads like real traffic (not one hot conversation).
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
    return res.json() as Promise<any>;
  };
  const pairs: { conv: string; token: string }[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const [a, b] = [randomUUID(), randomUUID()];
    const ta = issuer.mint({ sub: a, username: `a${i}`, expiresInSeconds: 7200 });
    const tb = issuer.mint({ sub: b, username: `b${i}`, expiresInSeconds: 7200 });
    await call('PUT', '/v1/contacts/me', ta, {});
    await call('PUT', '/v1/contacts/me', tb, {});
    await call('POST', '/v1/devices', tb, { platform: 'fcm', token: `bench-device-${b}` });
    pairs.push({ conv: (await call('POST', '/v1/conversations', ta, { participantIds: [b] })).id, token: ta });
  }
  const body = JSON.stringify({
    body: 'Lab results are ready: please review the attached summary before tomorrow. '.repeat(3),
  });

  let k = 0;
  const sendRequest = {
    method: 'POST' as const,
    setupRequest: (req: any) => {
      const p = pairs[k++ % pairs.length];
      return {
        ...req,
        path: `/v1/conversations/${p.conv}/messages`,
        headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
        body,
      };
    },
  };
  const readRequest = {
    method: 'GET' as const,
    setupRequest: (req: any) => {
      const p = pairs[k++ % pairs.length];
      return {
        ...req,
        path: `/v1/conversations/${p.conv}/messages?limit=20`,
        headers: { authorization: `Bearer ${p.token}` },
      };
    },
  };
  // Throughput and percentiles count 2xx responses only (autocannon's own averages include errors, and it has
  // no p95), from every response's own latency.
  interface Phase {
    rate: number;
    p50: number;
    p95: number;
    p99: number;
    ok: number;
    result: autocannon.Result;
  }
  const run = async (requests: object[], seconds: number, extra: object = {}): Promise<Phase> => {
    const latencies: number[] = [];
    // Without a callback autocannon returns its tracker (an event emitter) made thenable.
    const instance = autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: seconds,
      requests,
      ...extra,
    } as autocannon.Options) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
    const result = await instance;
    latencies.sort((a, b) => a - b);
    const q = (p: number) =>
      latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN;
    return { rate: latencies.length / seconds, p50: q(0.5), p95: q(0.95), p99: q(0.99), ok: latencies.length, result };
  };
  const check = (name: string, { result: r }: Phase) => {
    const bad = r.non2xx + r.errors + r.timeouts;
    if (bad > 0)
      log(`  warning: ${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts (not counted)`);
  };
  const ms = (v: number) => `${v.toFixed(1)} ms`;

  // Baseline: plain single-row INSERTs through pg, same Postgres, same pool size, same duration.
  const owner = new pg.Pool({ connectionString: dbUrl, max: POOL });
  await owner.query(
    'CREATE TABLE bench_baseline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  log('phase: baseline INSERTs');
  const cpuBaseline0 = cpuNow(child.pid!);
  let inserted = 0;
  const until = Date.now() + PHASE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        await owner.query('INSERT INTO bench_baseline (body) VALUES ($1)', [body]);
        inserted += 1;
      }
    }),
  );
  const baseline = inserted / PHASE_SECONDS;
  const cpuBaseline = cpuDelta(cpuBaseline0, cpuNow(child.pid!));
  // The latency floor of this machine: one INSERT + commit (WAL fsync) at a time, lightly paced.
  log('phase: baseline INSERT latency (serial)');
  const floor: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = process.hrtime.bigint();
    await owner.query('INSERT INTO bench_baseline (body) VALUES ($1)', [body]);
    floor.push(Number(process.hrtime.bigint() - t) / 1e6);
    await new Promise((r) => setTimeout(r, 10));
  }
  floor.sort((a, b) => a - b);
  const pct = (q: number) => floor[Math.min(floor.length - 1, Math.floor(q * floor.length))].toFixed(1);
  await owner.end();

  log('phase: warm-up');
  await run([sendRequest], 3);
  log('phase: send at full speed');
  const cpuSend0 = cpuNow(child.pid!);
  const send = await run([sendRequest], PHASE_SECONDS);
  const cpuSend = cpuDelta(cpuSend0, cpuNow(child.pid!));
  check('send', send);
  log('phase: read');
  const read = await run([readRequest], PHASE_SECONDS);
  check('read', read);
  const half = Math.max(1, Math.round(send.rate / 2));
  log(`phase: send at half the maximum rate (${half}/s)`);
  const halfRun = await run([sendRequest], PHASE_SECONDS, { overallRate: half });
  check('half-rate send', halfRun);

  const ratio = send.rate / baseline;
  const rows = [
    ['baseline: plain INSERT via pg', `${baseline.toFixed(0)} rows/s`, '', '', ''],
    ['baseline: one INSERT at a time', '~90/s', `${pct(0.5)} ms`, `${pct(0.95)} ms`, `${pct(0.99)} ms`],
    [`send message (c=${CONNECTIONS})`, `${send.rate.toFixed(0)} req/s`, ms(send.p50), ms(send.p95), ms(send.p99)],
    [
      `read messages, limit 20 (c=${CONNECTIONS})`,
      `${read.rate.toFixed(0)} req/s`,
      ms(read.p50),
      ms(read.p95),
      ms(read.p99),
    ],
    [
      `send at half max rate (${half}/s)`,
      `${halfRun.rate.toFixed(0)} req/s`,
      ms(halfRun.p50),
      ms(halfRun.p95),
      ms(halfRun.p99),
    ],
  ];
  const out = [
    '',
    '| phase | throughput (2xx) | p50 | p95 | p99 |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `send / baseline ratio: ${(ratio * 100).toFixed(0)}%  (goal >= 60%: ${ratio >= 0.6 ? 'met' : 'NOT met'})`,
    `p99 at half the max rate: ${ms(halfRun.p99)}  (goal <= 25 ms: ${halfRun.p99 <= 25 ? 'met' : 'NOT met'})`,
    '',
    ...(cpuBaseline && cpuSend
      ? (() => {
          const per = (c: Cpu, n: number) => ({
            client: c.client / n,
            service: c.service / n,
            postgres: c.postgres / n,
          });
          const b = per(cpuBaseline, inserted);
          const sd = per(cpuSend, send.ok);
          const fmt = (x: { client: number; service: number; postgres: number }) =>
            `client ${(x.client * 1000).toFixed(0)} us + service ${(x.service * 1000).toFixed(0)} us + postgres ${(x.postgres * 1000).toFixed(0)} us = ${((x.client + x.service + x.postgres) * 1000).toFixed(0)} us`;
          return [
            'CPU per operation (robust to other load on the machine):',
            `  baseline INSERT: ${fmt(b)}`,
            `  send message:    ${fmt(sd)}`,
            `  Postgres CPU per send is ${(sd.postgres / b.postgres).toFixed(1)}x a baseline INSERT; total CPU ${((sd.client + sd.service + sd.postgres) / (b.client + b.service + b.postgres)).toFixed(1)}x`,
            '',
          ];
        })()
      : []),
  ].join('\n');
  process.stdout.write(out);
} finally {
  await shutdown();
}
