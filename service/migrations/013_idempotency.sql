-- Idempotent sends (the IETF httpapi Idempotency-Key draft): a retry of POST .../messages with the same key and the
-- same request returns the original message; the same key with a different request is refused (422). Keys are per
-- user and live 24 h; hmk.send_message (001) checks and records them in the send's own transaction, so a key and its
-- message commit together or not at all.

CREATE TABLE hmk.idempotency_keys (
  user_id      uuid NOT NULL,
  key          text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  -- SHA-256 of the conversation id and the body: a different request under the same key is told apart, and the
  -- body itself (PHI) is never kept here.
  request_hash bytea NOT NULL,
  message_id   uuid NOT NULL REFERENCES hmk.messages (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON hmk.idempotency_keys (created_at);

ALTER TABLE hmk.idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY idempotency_own ON hmk.idempotency_keys FOR ALL TO hmk_app
  USING (user_id = hmk.user_id()) WITH CHECK (user_id = hmk.user_id());
GRANT SELECT, INSERT, UPDATE ON hmk.idempotency_keys TO hmk_app;

-- Housekeeping run hourly by every instance: idempotency keys past 24 h and events past the replay window.
CREATE FUNCTION hmk.prune_idempotency_keys() RETURNS int
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  WITH gone AS (DELETE FROM hmk.idempotency_keys k WHERE k.created_at < now() - interval '24 hours' RETURNING 1)
  SELECT count(*)::int FROM gone
$$;
REVOKE ALL ON FUNCTION hmk.prune_idempotency_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.prune_idempotency_keys() TO hmk_app;
