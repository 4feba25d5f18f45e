// Audit chain verification, done in Node from the stored columns (not by trusting a database
// function): recomputes every hash, checks each chain is gap-free and that its head matches.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { chainSpans, type VerifyRange } from './verify-range.js';

export interface ChainProblem {
  chain: number;
  seq: string;
  id: string;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  problems: ChainProblem[];
  heads: { chain: number; seq: string; hash: string }[];
}

const field = (v: string | null) => (v === null ? '-' : `${Buffer.byteLength(v, 'utf8')}:${v}`);
export const genesisHash = (chain: number) => createHash('sha256').update(`hmk-audit-genesis:${chain}`).digest();

interface Row {
  id: string;
  chain: number;
  seq: string;
  at_us: string;
  actor_id: string | null;
  action: string;
  targets: string;
  source_ip: string | null;
  user_agent: string | null;
  outcome: string;
  status: string;
  request_id: string | null;
  severity: string | null;
  detail: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

export interface VerifyOptions extends VerifyRange {
  batch?: number;
  /** Runs first inside the snapshot, e.g. to set the acting user and roles that RLS asks for. */
  setup?: (db: pg.ClientBase) => Promise<void>;
}

/**
 * Verifies every chain in one read-only snapshot: without it, rows committed by live traffic between reading the
 * heads and reading the rows would look like tampering. `db` must not be inside a transaction.
 * With `from`/`to`, only the rows in that range (and their links to the rows around it) are read: see
 * verify-range.ts.
 */
export async function verifyAuditChain(db: pg.ClientBase, options: VerifyOptions = {}): Promise<VerifyResult> {
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await options.setup?.(db);
    const range = options.from !== undefined || options.to !== undefined ? options : undefined;
    const result = await verifySnapshot(db, options.batch ?? 5000, range);
    await db.query('COMMIT');
    return result;
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

async function verifySnapshot(db: pg.ClientBase, batch: number, range?: VerifyRange): Promise<VerifyResult> {
  const heads = (
    await db.query<{ chain: number; seq: string; hash: Buffer }>(
      'SELECT chain, seq::text, hash FROM hmk.audit_chain_heads ORDER BY chain',
    )
  ).rows;
  const spans = range ? await chainSpans(db, heads, range) : undefined;
  const problems: ChainProblem[] = [];
  let rows = 0;
  for (const head of heads) {
    const span = spans?.get(head.chain) ?? { first: 1n, last: null };
    // From genesis, or (range) from the anchor row, whose own prev_hash is taken as the starting point.
    let prev: Buffer | null = span.first === 1n ? genesisHash(head.chain) : null;
    let expectedSeq = span.first;
    let last: Row | undefined;
    for (;;) {
      const page = (
        await db.query<Row>(
          `SELECT id::text, chain, seq::text, ((extract(epoch FROM at) * 1000000)::bigint)::text AS at_us,
                actor_id::text, action, array_to_string(target_ids, ',') AS targets, source_ip::text, user_agent,
                outcome, status::text, request_id, severity, detail::text, prev_hash, hash
           FROM hmk.audit_log a WHERE a.chain = $1 AND a.seq >= $2 AND ($4::bigint IS NULL OR a.seq <= $4)
          ORDER BY a.seq LIMIT $3`,
          [head.chain, expectedSeq.toString(), batch, span.last?.toString() ?? null],
        )
      ).rows;
      for (const r of page) {
        rows += 1;
        const at = { chain: r.chain, seq: r.seq, id: r.id };
        if (BigInt(r.seq) !== expectedSeq) problems.push({ ...at, reason: `gap: expected seq ${expectedSeq}` });
        if (prev !== null && !r.prev_hash.equals(prev))
          problems.push({ ...at, reason: 'prev_hash does not match the previous row' });
        const canonical =
          [
            String(r.chain),
            r.seq,
            r.at_us,
            r.actor_id,
            r.action,
            r.targets,
            r.source_ip,
            r.user_agent,
            r.outcome,
            r.status,
            r.request_id,
          ]
            .map(field)
            .join('') +
          // Severity and detail (migration 004) join the hash only when set, so older rows keep theirs.
          (r.severity === null && r.detail === null ? '' : field(r.severity) + field(r.detail));
        const hash = createHash('sha256').update(r.prev_hash).update(canonical, 'utf8').digest();
        if (!hash.equals(r.hash)) problems.push({ ...at, reason: 'row content does not match its hash' });
        prev = r.hash;
        expectedSeq = BigInt(r.seq) + 1n;
        last = r;
      }
      if (page.length < batch) break;
    }
    if (span.last !== null) {
      // The range ends inside the chain: its last row must be linked to the next one (without one, to the head).
      const next = (
        await db.query<{ id: string; seq: string; prev_hash: Buffer }>(
          'SELECT a.id::text, a.seq::text, a.prev_hash FROM hmk.audit_log a WHERE a.chain = $1 AND a.seq >= $2 ORDER BY a.seq LIMIT 1',
          [head.chain, expectedSeq.toString()],
        )
      ).rows[0];
      if (next) {
        const at = { chain: head.chain, seq: next.seq, id: next.id };
        if (BigInt(next.seq) !== expectedSeq) problems.push({ ...at, reason: `gap: expected seq ${expectedSeq}` });
        else if (prev === null || !next.prev_hash.equals(prev))
          problems.push({ ...at, reason: 'prev_hash does not match the previous row' });
        continue;
      }
    }
    const lastSeq = last ? last.seq : '0';
    if (head.seq !== lastSeq || prev === null || !head.hash.equals(prev)) {
      problems.push({
        chain: head.chain,
        seq: lastSeq,
        id: last?.id ?? '-',
        reason: 'chain head does not match the last row (rows removed at the end?)',
      });
    }
  }
  // A row forged into a chain that has no head would never be read above.
  const orphans = (
    await db.query<{ id: string; chain: number; seq: string }>(
      `SELECT id::text, chain, seq::text FROM hmk.audit_log
      WHERE chain NOT IN (SELECT chain FROM hmk.audit_chain_heads)
        AND ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2) ORDER BY chain, seq`,
      [range?.from ?? null, range?.to ?? null],
    )
  ).rows;
  for (const o of orphans) problems.push({ ...o, reason: 'row belongs to no known chain' });
  return {
    ok: problems.length === 0,
    rows,
    problems,
    heads: heads.map((h) => ({ chain: h.chain, seq: h.seq, hash: h.hash.toString('hex') })),
  };
}
