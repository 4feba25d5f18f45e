-- Delivery and read receipts: per message and recipient, ids and times only (no PHI). Delivered when an event or a
-- read hands the message to the recipient's client; read when the recipient says so (POST .../read {upTo}). Each
-- new receipt reaches the sender as an event (message.delivered, message.read). Lock order as in 010: event cursors
-- (by user_id) before receipts (by message id) and the read mark.

CREATE TABLE hmk.receipts (
  message_id      uuid NOT NULL REFERENCES hmk.messages (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL,
  conversation_id uuid NOT NULL,
  delivered_at    timestamptz NOT NULL,
  read_at         timestamptz,
  PRIMARY KEY (message_id, user_id)
);

-- How far each participant has read each conversation (by message seq), so a read marks only what is new.
CREATE TABLE hmk.read_marks (
  conversation_id uuid NOT NULL,
  user_id         uuid NOT NULL,
  up_to_seq       bigint NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);

ALTER TABLE hmk.receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.read_marks ENABLE ROW LEVEL SECURITY;
-- No policy and no grant for the serving role: receipts are written and read only through the functions below.

-- Records delivery to `p_user` of the messages handed to their client (the event stream, a read). Only messages of
-- conversations they take part in and sent by someone else count; a message.delivered event goes to each sender
-- for each first delivery.
CREATE FUNCTION hmk.mark_delivered(p_user uuid, p_messages uuid[]) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  senders uuid[];
  r record;
  n int := 0;
BEGIN
  PERFORM set_config('hmk.user_id', p_user::text, true);
  SELECT array_agg(DISTINCT m.sender_id) INTO senders
    FROM hmk.messages m
   WHERE m.id = ANY (p_messages) AND m.sender_id <> p_user
     AND m.conversation_id IN (SELECT hmk.my_conversation_ids())
     AND NOT EXISTS (SELECT 1 FROM hmk.receipts x WHERE x.message_id = m.id AND x.user_id = p_user);
  IF senders IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM 1 FROM hmk.event_cursors c WHERE c.user_id = ANY (senders) ORDER BY c.user_id FOR UPDATE;
  FOR r IN
    INSERT INTO hmk.receipts AS x (message_id, user_id, conversation_id, delivered_at)
    SELECT m.id, p_user, m.conversation_id, clock_timestamp()
      FROM hmk.messages m
     WHERE m.id = ANY (p_messages) AND m.sender_id <> p_user
       AND m.conversation_id IN (SELECT hmk.my_conversation_ids())
     ORDER BY m.id
    ON CONFLICT (message_id, user_id) DO NOTHING
    RETURNING x.message_id, x.conversation_id
  LOOP
    PERFORM hmk.emit_events(ARRAY(SELECT m.sender_id FROM hmk.messages m WHERE m.id = r.message_id),
                            'message.delivered', r.conversation_id, r.message_id, p_user);
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;

-- Marks the acting user's conversation read up to `p_up_to` (that message and every earlier one from others), once
-- each. One message.read event per sender, naming the newest of their messages now read (it covers the earlier
-- ones). Returns how many messages became read.
CREATE FUNCTION hmk.mark_read(p_conversation uuid, p_up_to uuid) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  me uuid := hmk.user_id();
  upto_seq bigint;
  from_seq bigint;
  senders uuid[];
  r record;
  n int;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM hmk.participants p WHERE p.conversation_id = p_conversation AND p.user_id = me) THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'HM404';
  END IF;
  SELECT m.seq INTO upto_seq FROM hmk.messages m WHERE m.id = p_up_to AND m.conversation_id = p_conversation;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'message not found' USING ERRCODE = 'HM404';
  END IF;
  SELECT coalesce((SELECT k.up_to_seq FROM hmk.read_marks k WHERE k.conversation_id = p_conversation AND k.user_id = me),
                  0) INTO from_seq;
  IF upto_seq <= from_seq THEN
    RETURN 0;
  END IF;
  SELECT array_agg(DISTINCT m.sender_id) INTO senders FROM hmk.messages m
   WHERE m.conversation_id = p_conversation AND m.seq > from_seq AND m.seq <= upto_seq AND m.sender_id <> me;
  PERFORM 1 FROM hmk.event_cursors c WHERE c.user_id = ANY (coalesce(senders, '{}')) ORDER BY c.user_id FOR UPDATE;
  INSERT INTO hmk.receipts AS x (message_id, user_id, conversation_id, delivered_at, read_at)
  SELECT m.id, me, p_conversation, clock_timestamp(), clock_timestamp() FROM hmk.messages m
   WHERE m.conversation_id = p_conversation AND m.seq > from_seq AND m.seq <= upto_seq AND m.sender_id <> me
   ORDER BY m.id
  ON CONFLICT (message_id, user_id) DO UPDATE SET read_at = excluded.read_at WHERE x.read_at IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  INSERT INTO hmk.read_marks AS k (conversation_id, user_id, up_to_seq) VALUES (p_conversation, me, upto_seq)
  ON CONFLICT (conversation_id, user_id) DO UPDATE SET up_to_seq = greatest(k.up_to_seq, excluded.up_to_seq);
  FOR r IN
    SELECT DISTINCT ON (m.sender_id) m.sender_id, m.id FROM hmk.messages m
     WHERE m.conversation_id = p_conversation AND m.seq > from_seq AND m.seq <= upto_seq AND m.sender_id <> me
     ORDER BY m.sender_id, m.seq DESC
  LOOP
    PERFORM hmk.emit_events(ARRAY[r.sender_id], 'message.read', p_conversation, r.id, me);
  END LOOP;
  RETURN n;
END $$;

-- Receipts of one message: for its sender, or an admin/auditor under a break-glass grant. Every other participant,
-- with their delivery and read times (null until then). Not found is the same for "no such message" and "not yours".
CREATE FUNCTION hmk.message_receipts(p_conversation uuid, p_message uuid)
RETURNS TABLE (user_id uuid, delivered_at timestamptz, read_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
DECLARE
  sender uuid;
BEGIN
  SELECT m.sender_id INTO sender FROM hmk.messages m WHERE m.id = p_message AND m.conversation_id = p_conversation;
  IF NOT FOUND OR (sender IS DISTINCT FROM hmk.user_id() AND hmk.break_glass_grant_for(p_conversation) IS NULL) THEN
    RAISE EXCEPTION 'message not found' USING ERRCODE = 'HM404';
  END IF;
  RETURN QUERY
  SELECT p.user_id, x.delivered_at, x.read_at FROM hmk.participants p
    LEFT JOIN hmk.receipts x ON x.message_id = p_message AND x.user_id = p.user_id
   WHERE p.conversation_id = p_conversation AND p.user_id <> sender
   ORDER BY p.user_id;
END $$;

REVOKE ALL ON FUNCTION hmk.mark_delivered(uuid, uuid[]), hmk.mark_read(uuid, uuid), hmk.message_receipts(uuid, uuid)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.mark_delivered(uuid, uuid[]), hmk.mark_read(uuid, uuid),
  hmk.message_receipts(uuid, uuid) TO hmk_app;
