-- Recall: the sender takes a message back. Its body is destroyed and its attachments deleted (their objects queued
-- for deletion like any deleted attachment); under a legal hold the body is instead sealed away from participants
-- (hmk.recalled_bodies, which the serving role cannot read) and the attachments kept but hidden, until the hold's
-- conversation is deleted by retention. Later reads show {id, recalled: true, body: null}; a message.recalled event
-- goes to every participant; pushes not yet delivered for it are dropped.

CREATE TABLE hmk.recalls (
  message_id      uuid PRIMARY KEY REFERENCES hmk.messages (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL,
  recalled_by     uuid NOT NULL,
  recalled_at     timestamptz NOT NULL DEFAULT now(),
  -- True when a legal hold kept the body and attachments (sealed away) rather than destroying them.
  held            boolean NOT NULL
);

-- Bodies of recalled messages kept for a legal hold: same columns as message_bodies, no grant to the serving role.
CREATE TABLE hmk.recalled_bodies (
  message_id      uuid PRIMARY KEY REFERENCES hmk.messages (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL,
  scheme          text NOT NULL,
  key_id          text,
  encrypted_key   bytea,
  iv              bytea,
  ciphertext      bytea NOT NULL
);

ALTER TABLE hmk.recalls ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.recalled_bodies ENABLE ROW LEVEL SECURITY;
CREATE POLICY recalls_read ON hmk.recalls FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.readable_conversation_ids()));
GRANT SELECT ON hmk.recalls TO hmk_app;

-- A recalled message's attachments kept for a hold are hidden from every reader.
DROP POLICY attachments_read ON hmk.attachments;
CREATE POLICY attachments_read ON hmk.attachments FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.readable_conversation_ids())
         AND NOT EXISTS (SELECT 1 FROM hmk.recalls r WHERE r.message_id = attachments.message_id));

-- Recalls the acting user's own message. Lock order as in 010: the participants' event cursors first (by user_id),
-- then the message row, its outbox rows (by id) and its body.
CREATE FUNCTION hmk.recall_message(p_conversation uuid, p_message uuid)
RETURNS TABLE (held boolean, attachments int, pushes_dropped int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
DECLARE
  me uuid := hmk.user_id();
  sender uuid;
  is_held boolean;
  n_attachments int;
  n_pushes int;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM hmk.participants p WHERE p.conversation_id = p_conversation AND p.user_id = me) THEN
    RAISE EXCEPTION 'message not found' USING ERRCODE = 'HM404';
  END IF;
  PERFORM 1 FROM hmk.event_cursors c
   WHERE c.user_id IN (SELECT p.user_id FROM hmk.participants p WHERE p.conversation_id = p_conversation)
   ORDER BY c.user_id FOR UPDATE;
  SELECT m.sender_id INTO sender FROM hmk.messages m
   WHERE m.id = p_message AND m.conversation_id = p_conversation FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'message not found' USING ERRCODE = 'HM404';
  END IF;
  IF sender <> me THEN
    RAISE EXCEPTION 'only the sender may recall a message' USING ERRCODE = 'HM403';
  END IF;
  IF EXISTS (SELECT 1 FROM hmk.recalls r WHERE r.message_id = p_message) THEN
    RAISE EXCEPTION 'message already recalled' USING ERRCODE = 'HM409';
  END IF;
  is_held := p_conversation IN (SELECT hmk.held_conversation_ids());
  WITH gone AS (
    DELETE FROM hmk.push_outbox o WHERE o.id IN (
      SELECT x.id FROM hmk.push_outbox x
       WHERE x.message_id = p_message AND x.delivered_at IS NULL AND x.failed_at IS NULL
       ORDER BY x.id FOR UPDATE)
    RETURNING 1)
  SELECT count(*) INTO n_pushes FROM gone;
  IF is_held THEN
    INSERT INTO hmk.recalled_bodies (message_id, conversation_id, scheme, key_id, encrypted_key, iv, ciphertext)
    SELECT b.message_id, b.conversation_id, b.scheme, b.key_id, b.encrypted_key, b.iv, b.ciphertext
      FROM hmk.message_bodies b WHERE b.message_id = p_message;
    SELECT count(*) INTO n_attachments FROM hmk.attachments a WHERE a.message_id = p_message;
  ELSE
    WITH gone AS (DELETE FROM hmk.attachments a WHERE a.message_id = p_message RETURNING 1)
    SELECT count(*) INTO n_attachments FROM gone;
  END IF;
  DELETE FROM hmk.message_bodies b WHERE b.message_id = p_message;
  INSERT INTO hmk.recalls (message_id, conversation_id, recalled_by, held) VALUES (p_message, p_conversation, me, is_held);
  PERFORM hmk.emit_events(ARRAY(SELECT p.user_id FROM hmk.participants p WHERE p.conversation_id = p_conversation),
                          'message.recalled', p_conversation, p_message, me);
  RETURN QUERY SELECT is_held, n_attachments, n_pushes;
END $$;

REVOKE ALL ON FUNCTION hmk.recall_message(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.recall_message(uuid, uuid) TO hmk_app;
