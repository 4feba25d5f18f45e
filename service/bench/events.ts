// `npm run bench` (second phase) or `npm run bench:events`: the event stream's figures, not a test. Starts embedded
// Postgres and the service as a child process, and measures over loopback:
//   - send-to-recipient-socket latency at a fixed rate (POST .../messages until the recipient's WebSocket has the
//     message.created frame with its body), p50/p99;
//   - idle sockets one instance holds, and the service's memory per socket (RSS growth / sockets);
//   - send throughput with the event stream on, then with EVENTS_ENABLED=false, same load.
// Goals (issue 11): p99 <= 50 ms at 200 sends/s; 10,000 idle sockets under 300 MB; throughput on >= 85% of off.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { freePort, startEmbeddedPostgres } from '../src/dev/embedded-pg.js';
import { startLocalIssuer } from '../src/dev/local-issuer.js';
import { postgresCpuMs, procStat } from './proc-cpu.js';

const RATE = Number(process.env.BENCH_EVENTS_RATE ?? 200);
const LATENCY_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const IDLE_SOCKETS = Number(process.env.BENCH_IDLE_SOCKETS ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PAIRS = 50;
const SOCKETS_PER_USER = 100;

const log = (m: string) => process.stderr.write(`${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

log(`bench events: ${cpus().length} CPUs, node ${process.version}`);
const pgServer = await startEmbeddedPostgres();
const issuer = await startLocalIssuer();
const masterKey = randomBytes(32).toString('base64');
const servicePassword = randomBytes(24).toString('base64url');

interface Running {
  base: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const running: Running[] = [];

async function startService(dbUrl: string, env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: dbUrl,
      AUTH_ISSUER: issuer.issuer,
      AUTH_JWKS_URI: issuer.jwksUri,
      AUTH_AUDIENCE: issuer.audience,
      LOCAL_MASTER_KEY: masterKey,
      PUSH_MODE: 'sink',
      DB_SERVICE_PASSWORD: servicePassword,
      RATE_LIMIT_PER_MINUTE: '10000000',
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '10000000',
      LOG_LEVEL: 'warn',
      EVENTS_MAX_SOCKETS_PER_USER: String(SOCKETS_PER_USER),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 300) throw new Error('service did not start');
    await sleep(100);
  }
  return track({
    base,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  });
}

function track(r: Running): Running {
  running.push(r);
  return r;
}

// CPU ms of the service and of Postgres, from /proc (bench/proc-cpu.ts): a cost per send that holds up when other
// work shares the machine.
function serverCpuMs(servicePid: number): number {
  return (procStat(servicePid)?.cpu ?? 0) + postgresCpuMs(servicePid);
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
}

function openSocket(base: string, ticket: string): Promise<WebSocket> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/events?ticket=${ticket}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

interface Pair {
  conv: string;
  sender: string;
  recipient: string;
}

async function makePairs(base: string): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const [a, b] = [randomUUID(), randomUUID()];
    const ta = issuer.mint({ sub: a, username: `ea${i}-${a.slice(0, 6)}`, expiresInSeconds: 7200 });
    const tb = issuer.mint({ sub: b, username: `eb${i}-${b.slice(0, 6)}`, expiresInSeconds: 7200 });
    await call(base, 'PUT', '/v1/contacts/me', ta, {});
    await call(base, 'PUT', '/v1/contacts/me', tb, {});
    const conv = (await call(base, 'POST', '/v1/conversations', ta, { participantIds: [b] })).id;
    pairs.push({ conv, sender: ta, recipient: tb });
  }
  return pairs;
}

const quantile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;

/** Sends per second at full speed, and the service + Postgres CPU per send (µs) when `pid` is given. */
async function sendThroughput(
  base: string,
  pairs: Pair[],
  seconds = LATENCY_SECONDS,
  pid?: number,
): Promise<{ rate: number; cpuPerSendUs: number }> {
  const cpu0 = pid ? serverCpuMs(pid) : 0;
  const body = JSON.stringify({ body: 'Lab results are ready: please review the summary before tomorrow. '.repeat(3) });
  let k = 0;
  let ok = 0;
  const instance = autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: any) => {
          const p = pairs[k++ % pairs.length];
          return {
            ...req,
            path: `/v1/conversations/${p.conv}/messages`,
            headers: { authorization: `Bearer ${p.sender}`, 'content-type': 'application/json' },
            body,
          };
        },
      },
    ],
  } as autocannon.Options) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  instance.on('response', (_c: unknown, status: number) => {
    if (status >= 200 && status < 300) ok += 1;
  });
  await instance;
  return { rate: ok / seconds, cpuPerSendUs: pid ? ((serverCpuMs(pid) - cpu0) * 1000) / Math.max(1, ok) : NaN };
}

const out: string[] = [];
try {
  // 1. Send-to-socket latency at a fixed rate, every recipient holding a socket.
  const onDb = await pgServer.createDatabase('hmk_bench_events');
  const on = await startService(onDb, {});
  const pairs = await makePairs(on.base);
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  const responses: number[] = [];
  const sockets: WebSocket[] = [];
  for (const p of pairs) {
    const { ticket } = await call(on.base, 'POST', '/v1/events/ticket', p.recipient);
    const ws = await openSocket(on.base, ticket);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type !== 'message.created') return;
      const started = pending.get(f.body);
      if (started !== undefined) {
        latencies.push(performance.now() - started);
        pending.delete(f.body);
      }
    });
    sockets.push(ws);
  }
  // Warm-up: one message per pair (each conversation's data key), then a few seconds at the rate, not counted.
  for (const p of pairs)
    await call(on.base, 'POST', `/v1/conversations/${p.conv}/messages`, p.sender, { body: 'warm' });
  await sendThroughput(on.base, pairs, 3);
  await sleep(1000);
  log(`phase: send-to-socket latency at ${RATE}/s for ${LATENCY_SECONDS}s`);
  const total = RATE * LATENCY_SECONDS;
  const t0 = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const p = pairs[i % pairs.length];
    const text = `bench event ${i} ${randomUUID()}`;
    const sentAt = performance.now();
    pending.set(text, sentAt);
    inFlight.push(
      call(on.base, 'POST', `/v1/conversations/${p.conv}/messages`, p.sender, { body: text }).then(() =>
        responses.push(performance.now() - sentAt),
      ),
    );
  }
  await Promise.all(inFlight);
  for (let i = 0; i < 50 && pending.size > 0; i++) await sleep(100);
  const lost = pending.size;
  latencies.sort((a, b) => a - b);
  responses.sort((a, b) => a - b);
  log(`  send response p50 ${quantile(responses, 0.5).toFixed(1)} ms, p99 ${quantile(responses, 0.99).toFixed(1)} ms`);
  const achieved = total / ((performance.now() - t0) / 1000);
  for (const ws of sockets) ws.close();

  // 2. Idle sockets on one instance, and memory per socket.
  log(`phase: ${IDLE_SOCKETS} idle sockets`);
  await sleep(500);
  const rssBefore = rssMb(on.child.pid!);
  const idleUsers: string[] = [];
  for (let i = 0; i < Math.ceil(IDLE_SOCKETS / SOCKETS_PER_USER); i++) {
    const id = randomUUID();
    const t = issuer.mint({ sub: id, username: `idle${i}-${id.slice(0, 6)}`, expiresInSeconds: 7200 });
    await call(on.base, 'PUT', '/v1/contacts/me', t, {});
    idleUsers.push(t);
  }
  const idle: WebSocket[] = [];
  let refused = 0;
  for (let i = 0; i < IDLE_SOCKETS; i += 100) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(100, IDLE_SOCKETS - i) }, async (_, j) => {
        const { ticket } = await call(
          on.base,
          'POST',
          '/v1/events/ticket',
          idleUsers[Math.floor((i + j) / SOCKETS_PER_USER)],
        );
        return openSocket(on.base, ticket);
      }),
    );
    for (const r of batch) {
      if (r.status === 'fulfilled') idle.push(r.value);
      else refused += 1;
    }
  }
  await sleep(3000); // a few sweeps and pings with every socket open
  const rssAfter = rssMb(on.child.pid!);
  const perSocketKb = ((rssAfter - rssBefore) * 1024) / Math.max(1, idle.length);
  for (const ws of idle) ws.terminate();
  // Let the service finish the 10,000 close audit rows before throughput is measured.
  await sleep(10_000);

  // 3. Throughput with the stream on, then off (same data, same load).
  log('phase: send throughput, events on');
  await sendThroughput(on.base, pairs); // warm-up
  const on1 = await sendThroughput(on.base, pairs, LATENCY_SECONDS, on.child.pid);
  await on.stop();
  const off = await startService(onDb, { EVENTS_ENABLED: 'false', MIGRATE_ON_START: 'false' });
  log('phase: send throughput, events off');
  await sendThroughput(off.base, pairs); // warm-up
  const offRun = await sendThroughput(off.base, pairs, LATENCY_SECONDS, off.child.pid);
  await off.stop();
  // On again, so a change in the machine's other load between the runs shows (on = the mean of the two runs).
  const again = await startService(onDb, { MIGRATE_ON_START: 'false' });
  log('phase: send throughput, events on again');
  await sendThroughput(again.base, pairs); // warm-up
  const on2 = await sendThroughput(again.base, pairs, LATENCY_SECONDS, again.child.pid);
  await again.stop();
  const [rateOn1, rateOn2, rateOff] = [on1.rate, on2.rate, offRun.rate];
  const rateOn = (rateOn1 + rateOn2) / 2;
  const cpuOn = (on1.cpuPerSendUs + on2.cpuPerSendUs) / 2;
  const cpuOff = offRun.cpuPerSendUs;

  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  const ratio = rateOn / rateOff;
  out.push(
    '',
    '| event stream | figure | goal |',
    '|---|---|---|',
    `| send-to-socket latency at ${achieved.toFixed(0)} sends/s (${latencies.length} delivered, ${lost} not) | p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (the send's own 201: p50 ${quantile(responses, 0.5).toFixed(1)} ms, p99 ${quantile(responses, 0.99).toFixed(1)} ms) | p99 <= 50 ms at 200/s: ${p99 <= 50 && lost === 0 ? 'met' : 'NOT met'} |`,
    `| idle sockets held by one instance | ${idle.length} open (${refused} refused); RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MB, ${perSocketKb.toFixed(1)} KB per socket | 10,000 under 300 MB: ${idle.length >= 10_000 && rssAfter < 300 ? 'met' : 'NOT met'} |`,
    `| send throughput (c=${CONNECTIONS}), events on / off | ${rateOn.toFixed(0)} (runs ${rateOn1.toFixed(0)}, ${rateOn2.toFixed(0)}) / ${rateOff.toFixed(0)} req/s = ${(ratio * 100).toFixed(0)}% | >= 85%: ${ratio >= 0.85 ? 'met' : 'NOT met'} |`,
    `| service + Postgres CPU per send, events on / off | ${cpuOn.toFixed(0)} / ${cpuOff.toFixed(0)} µs: off is ${((cpuOff / cpuOn) * 100).toFixed(0)}% of on (the throughput ratio on an idle machine of this kind) | >= 85% |`,
    '',
  );
  process.stdout.write(out.join('\n'));
} finally {
  await Promise.all(running.map((r) => r.stop()));
  await issuer.close();
  await pgServer.stop();
}
