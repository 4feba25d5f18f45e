-- Repeat push until read (opt-in, like clinical messengers' escalation): a message still unread by a recipient N
-- minutes after its last push gets one more PHI-free push (ids only, like every push), at most K times. Counted
-- per message and recipient here; the pushes themselves are ordinary outbox rows, so delivery, retries and recall
-- (which drops undelivered rows) work as for the first push.

CREATE TABLE hmk.push_repeats (
  message_id   uuid NOT NULL REFERENCES hmk.messages (id) ON DELETE CASCADE,
  recipient_id uuid NOT NULL,
  repeats      int NOT NULL,
  last_at      timestamptz NOT NULL,
  PRIMARY KEY (message_id, recipient_id)
);
ALTER TABLE hmk.push_repeats ENABLE ROW LEVEL SECURITY;
-- Only hmk.queue_repeat_pushes touches it. The index serves its look-back over recently delivered pushes.
CREATE INDEX push_outbox_delivered_idx ON hmk.push_outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- Queues the repeats that are due, at most p_limit, and returns how many. Run by the push dispatcher (hmk_push) on
-- every instance: the conditional upsert on push_repeats makes two instances queue one repeat, not two. Rows are
-- taken in outbox id order and push_repeats rows locked in that order (the lock order of 010).
CREATE FUNCTION hmk.queue_repeat_pushes(p_after_minutes int, p_max int, p_limit int) RETURNS int
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  WITH firsts AS (
    SELECT DISTINCT ON (o.message_id, o.recipient_id) o.id, o.message_id, o.conversation_id, o.recipient_id,
           o.delivered_at
      FROM hmk.push_outbox o
     WHERE o.delivered_at IS NOT NULL
       AND o.delivered_at > now() - make_interval(mins => p_after_minutes * (p_max + 1) + 60)
     ORDER BY o.message_id, o.recipient_id, o.id
  ), due AS (
    SELECT f.id, f.message_id, f.conversation_id, f.recipient_id FROM firsts f
      LEFT JOIN hmk.push_repeats r ON r.message_id = f.message_id AND r.recipient_id = f.recipient_id
     WHERE coalesce(r.repeats, 0) < p_max
       AND coalesce(r.last_at, f.delivered_at) <= now() - make_interval(mins => p_after_minutes)
       AND NOT EXISTS (SELECT 1 FROM hmk.receipts x
                        WHERE x.message_id = f.message_id AND x.user_id = f.recipient_id AND x.read_at IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM hmk.recalls x WHERE x.message_id = f.message_id)
       -- Still a participant (and the account open): a removed or closed recipient is not chased.
       AND EXISTS (SELECT 1 FROM hmk.participants p JOIN hmk.contacts c ON c.id = p.user_id
                    WHERE p.conversation_id = f.conversation_id AND p.user_id = f.recipient_id AND c.closed_at IS NULL)
     ORDER BY f.id
     LIMIT p_limit
  ), counted AS (
    INSERT INTO hmk.push_repeats AS r (message_id, recipient_id, repeats, last_at)
    SELECT d.message_id, d.recipient_id, 1, now() FROM due d ORDER BY d.id
    ON CONFLICT (message_id, recipient_id) DO UPDATE SET repeats = r.repeats + 1, last_at = now()
      WHERE r.repeats < p_max AND r.last_at <= now() - make_interval(mins => p_after_minutes)
    RETURNING r.message_id, r.recipient_id
  ), queued AS (
    INSERT INTO hmk.push_outbox (message_id, conversation_id, recipient_id)
    SELECT d.message_id, d.conversation_id, d.recipient_id FROM due d
      JOIN counted c ON c.message_id = d.message_id AND c.recipient_id = d.recipient_id
    RETURNING 1
  )
  SELECT count(*)::int FROM queued
$$;
REVOKE ALL ON FUNCTION hmk.queue_repeat_pushes(int, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.queue_repeat_pushes(int, int, int) TO hmk_push;
