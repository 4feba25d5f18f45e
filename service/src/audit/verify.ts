// Audit chain verification, done in Node from the stored columns (not by trusting a database
// function): recomputes every hash, checks each chain is gap-free and that its head matches.
import { createHash } from 'node:crypto';
import type pg from 'pg';

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
  prev_hash: Buffer;
  hash: Buffer;
}

/**
 * Verifies every chain in one read-only snapshot: without it, rows committed by live traffic between reading the
 * heads and reading the rows would look like tampering. `db` must not be inside a transaction.
 */
export async function verifyAuditChain(db: pg.ClientBase, batch = 5000): Promise<VerifyResult> {
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const result = await verifySnapshot(db, batch);
    await db.query('COMMIT');
    return result;
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

async function verifySnapshot(db: pg.ClientBase, batch: number): Promise<VerifyResult> {
  const heads = (await db.query<{ chain: number; seq: string; hash: Buffer }>(
    'SELECT chain, seq::text, hash FROM hmk.audit_chain_heads ORDER BY chain',
  )).rows;
  const problems: ChainProblem[] = [];
  let rows = 0;
  for (const head of heads) {
    let prev: Buffer = genesisHash(head.chain);
    let expectedSeq = 1n;
    let last: Row | undefined;
    for (;;) {
      const page = (await db.query<Row>(
        `SELECT id::text, chain, seq::text, ((extract(epoch FROM at) * 1000000)::bigint)::text AS at_us,
                actor_id::text, action, array_to_string(target_ids, ',') AS targets, source_ip::text, user_agent,
                outcome, status::text, request_id, prev_hash, hash
           FROM hmk.audit_log a WHERE a.chain = $1 AND a.seq >= $2 ORDER BY a.seq LIMIT $3`,
        [head.chain, expectedSeq.toString(), batch],
      )).rows;
      for (const r of page) {
        rows += 1;
        const at = { chain: r.chain, seq: r.seq, id: r.id };
        if (BigInt(r.seq) !== expectedSeq) problems.push({ ...at, reason: `gap: expected seq ${expectedSeq}` });
        if (!r.prev_hash.equals(prev)) problems.push({ ...at, reason: 'prev_hash does not match the previous row' });
        const canonical = [String(r.chain), r.seq, r.at_us, r.actor_id, r.action, r.targets, r.source_ip, r.user_agent,
          r.outcome, r.status, r.request_id].map(field).join('');
        const hash = createHash('sha256').update(r.prev_hash).update(canonical, 'utf8').digest();
        if (!hash.equals(r.hash)) problems.push({ ...at, reason: 'row content does not match its hash' });
        prev = r.hash;
        expectedSeq = BigInt(r.seq) + 1n;
        last = r;
      }
      if (page.length < batch) break;
    }
    const lastSeq = last ? last.seq : '0';
    if (head.seq !== lastSeq || !head.hash.equals(prev)) {
      problems.push({ chain: head.chain, seq: lastSeq, id: last?.id ?? '-', reason: 'chain head does not match the last row (rows removed at the end?)' });
    }
  }
  // A row forged into a chain that has no head would never be read above.
  const orphans = (await db.query<{ id: string; chain: number; seq: string }>(
    `SELECT id::text, chain, seq::text FROM hmk.audit_log
      WHERE chain NOT IN (SELECT chain FROM hmk.audit_chain_heads) ORDER BY chain, seq`,
  )).rows;
  for (const o of orphans) problems.push({ ...o, reason: 'row belongs to no known chain' });
  return {
    ok: problems.length === 0,
    rows,
    problems,
    heads: heads.map((h) => ({ chain: h.chain, seq: h.seq, hash: h.hash.toString('hex') })),
  };
}
