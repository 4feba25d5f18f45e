// Which rows of each audit chain a time-range verification reads (verifyAuditChain with from/to).
//
// A row's time is taken before its chain head is locked, so within a chain `at` follows `seq` only roughly:
// the range is therefore turned into seq spans. Each chain is read from the row just before its first row in
// range (the anchor, whose stored hash is the trusted starting point; from genesis when there is none) to its
// last row in range, and that last row must then be linked to the next row in the chain, or be the head.
// So every row in range is re-hashed and linked to its neighbours, and rows removed from the range (even all
// of a chain's rows in it) show up as a gap. Tampering before the anchor is out of scope: verify without a
// range (the CLI does) to prove the chains from genesis.
import type pg from 'pg';

export interface VerifyRange {
  /** Inclusive start (ISO 8601). */
  from?: string;
  /** Exclusive end (ISO 8601). */
  to?: string;
}

/** Rows `first`..`last` of one chain (first 1 = from genesis; last null = through the chain head). */
export interface ChainSpan {
  first: bigint;
  last: bigint | null;
}

export async function chainSpans(
  db: pg.ClientBase,
  heads: { chain: number; seq: string }[],
  range: VerifyRange,
): Promise<Map<number, ChainSpan>> {
  const from = range.from ?? null;
  const to = range.to ?? null;
  const inRange = new Map(
    (
      await db.query<{ chain: number; lo: string; hi: string }>(
        `SELECT chain, min(seq)::text AS lo, max(seq)::text AS hi FROM hmk.audit_log
      WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2) GROUP BY chain`,
        [from, to],
      )
    ).rows.map((r) => [r.chain, r]),
  );
  const spans = new Map<number, ChainSpan>();
  for (const head of heads) {
    const found = inRange.get(head.chain);
    let first = 1n;
    let last: bigint | null = to === null ? null : found ? BigInt(found.hi) : 0n;
    if (from !== null && found) {
      first = BigInt(found.lo) > 1n ? BigInt(found.lo) - 1n : 1n;
    } else if (from !== null && to === null) {
      // Nothing since `from`: the chain must end where it stood before it.
      first = BigInt(head.seq) > 1n ? BigInt(head.seq) : 1n;
    } else if (from !== null) {
      // Nothing in range: the chain's last row before it must be linked straight to the next one.
      const anchor = (
        await db.query<{ seq: string }>(
          `SELECT seq::text FROM hmk.audit_log WHERE chain = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT 1`,
          [head.chain, from],
        )
      ).rows[0];
      if (anchor) first = last = BigInt(anchor.seq);
    }
    spans.set(head.chain, { first, last });
  }
  return spans;
}
