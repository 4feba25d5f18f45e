-- The event stream (real-time messaging): per-user events kept in Postgres, one-time WebSocket tickets, and the
-- wake-up of the instances holding sockets through LISTEN/NOTIFY (channel hmk_events, payload the recipient's id).
--
-- Event ids are per user, dense and in commit order: an event is numbered under a lock on the recipient's cursor
-- row, held to commit, so a client that saw id n and reconnects with after=n can never miss an event numbered
-- below n that committed later.
--
-- Lock order, kept by every writer so concurrent transactions never deadlock: event cursors (by user_id, all in one
-- statement), then messages, outbox rows and receipts (by id, as the retention job and the push dispatcher already
-- do). Session rows never wait: begin_request touches last_seen with SKIP LOCKED. A send batch numbers its events
-- last (hmk.emit_message_events), so it holds the cursors only for its commit.

CREATE TABLE hmk.event_cursors (
  user_id uuid PRIMARY KEY REFERENCES hmk.contacts (id),
  last_id bigint NOT NULL DEFAULT 0
);

CREATE TABLE hmk.events (
  user_id         uuid NOT NULL,
  id              bigint NOT NULL,
  type            text NOT NULL CHECK (type IN ('message.created', 'message.delivered', 'message.read',
                                                'message.recalled', 'conversation.created')),
  conversation_id uuid NOT NULL,
  -- The message concerned (none for conversation.created) and who caused the event (sender, reader, recaller).
  message_id      uuid,
  actor_id        uuid NOT NULL,
  at              timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (user_id, id)
);
CREATE INDEX events_at_idx ON hmk.events (at);

-- One-time tickets for the WebSocket upgrade (a bearer token must never travel in a URL). Only a hash is stored.
CREATE TABLE hmk.event_tickets (
  ticket_hash bytea PRIMARY KEY,
  user_id     uuid NOT NULL,
  session_id  text NOT NULL,
  roles       text[] NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX event_tickets_expiry_idx ON hmk.event_tickets (expires_at);

-- Every directory entry gets its cursor when it is created.
CREATE FUNCTION hmk.create_event_cursor() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, hmk AS $$
BEGIN
  INSERT INTO hmk.event_cursors (user_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER contacts_event_cursor AFTER INSERT ON hmk.contacts
FOR EACH ROW EXECUTE FUNCTION hmk.create_event_cursor();
INSERT INTO hmk.event_cursors (user_id) SELECT id FROM hmk.contacts ON CONFLICT DO NOTHING;

ALTER TABLE hmk.event_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.event_tickets ENABLE ROW LEVEL SECURITY;
-- The serving role reads only the acting user's events; everything else goes through the functions below.
CREATE POLICY events_own ON hmk.events FOR SELECT TO hmk_app USING (user_id = hmk.user_id());
GRANT SELECT ON hmk.events TO hmk_app;

-- Appends one event of `p_type` for each of `p_users` who takes part in the conversation, numbered per user, and
-- wakes the instances holding their sockets. The acting user must be `p_actor` and take part too. Cursor rows are
-- locked in user_id order (see the lock order above).
CREATE FUNCTION hmk.emit_events(p_users uuid[], p_type text, p_conversation uuid, p_message uuid, p_actor uuid)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  r record;
BEGIN
  IF p_actor IS DISTINCT FROM hmk.user_id()
     OR NOT EXISTS (SELECT 1 FROM hmk.participants p WHERE p.conversation_id = p_conversation AND p.user_id = p_actor) THEN
    RAISE EXCEPTION 'events are emitted by a participant for themselves' USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR r IN
    WITH locked AS (
      SELECT c.user_id FROM hmk.event_cursors c
       WHERE c.user_id = ANY (p_users)
         AND c.user_id IN (SELECT p.user_id FROM hmk.participants p WHERE p.conversation_id = p_conversation)
       ORDER BY c.user_id FOR UPDATE)
    UPDATE hmk.event_cursors c SET last_id = c.last_id + 1 FROM locked WHERE c.user_id = locked.user_id
    RETURNING c.user_id, c.last_id
  LOOP
    INSERT INTO hmk.events (user_id, id, type, conversation_id, message_id, actor_id)
    VALUES (r.user_id, r.last_id, p_type, p_conversation, p_message, p_actor);
    PERFORM pg_notify('hmk_events', r.user_id::text);
  END LOOP;
END $$;

-- message.created for every participant of each of `p_messages` (just inserted by hmk.send_messages, which calls this
-- once, after its last message). All the cursors are locked at once, in user_id order, and stay locked only until
-- the batch commits a moment later; each recipient's new events are numbered in message order.
CREATE FUNCTION hmk.emit_message_events(p_messages uuid[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  r record;
BEGIN
  PERFORM 1 FROM hmk.event_cursors c
   WHERE c.user_id IN (SELECT p.user_id FROM hmk.messages m JOIN hmk.participants p ON p.conversation_id = m.conversation_id
                        WHERE m.id = ANY (p_messages))
   ORDER BY c.user_id FOR UPDATE;
  INSERT INTO hmk.events (user_id, id, type, conversation_id, message_id, actor_id)
  SELECT p.user_id, c.last_id + row_number() OVER (PARTITION BY p.user_id ORDER BY m.seq), 'message.created',
         m.conversation_id, m.id, m.sender_id
    FROM hmk.messages m
    JOIN hmk.participants p ON p.conversation_id = m.conversation_id
    JOIN hmk.event_cursors c ON c.user_id = p.user_id
   WHERE m.id = ANY (p_messages);
  FOR r IN
    UPDATE hmk.event_cursors c SET last_id = c.last_id + n.n
      FROM (SELECT p.user_id, count(*) AS n FROM hmk.messages m
              JOIN hmk.participants p ON p.conversation_id = m.conversation_id
             WHERE m.id = ANY (p_messages) GROUP BY p.user_id) AS n
     WHERE c.user_id = n.user_id
    RETURNING c.user_id
  LOOP
    PERFORM pg_notify('hmk_events', r.user_id::text);
  END LOOP;
END $$;

-- Issues a ticket for the acting user's session (the service hashes the random ticket; it is never stored).
CREATE FUNCTION hmk.issue_event_ticket(p_hash bytea, p_session text, p_seconds int) RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
DECLARE
  expires timestamptz := now() + make_interval(secs => least(p_seconds, 60));
BEGIN
  IF hmk.user_id() IS NULL THEN
    RAISE EXCEPTION 'no acting user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- Old tickets go as new ones are issued, so the table stays small without a job of its own.
  DELETE FROM hmk.event_tickets t WHERE t.expires_at < now() - interval '1 hour';
  INSERT INTO hmk.event_tickets (ticket_hash, user_id, session_id, roles, expires_at)
  VALUES (p_hash, hmk.user_id(), p_session, hmk.roles(), expires);
  RETURN expires;
END $$;

-- Uses a ticket: once, before it expires. Returns nothing for an unknown, used or expired ticket.
CREATE FUNCTION hmk.use_event_ticket(p_hash bytea)
RETURNS TABLE (user_id uuid, session_id text, roles text[])
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  UPDATE hmk.event_tickets t SET used_at = now()
   WHERE t.ticket_hash = p_hash AND t.used_at IS NULL AND t.expires_at > now()
  RETURNING t.user_id, t.session_id, t.roles
$$;

-- Opens a stream read: the acting user and roles for this transaction, refusing a closed account or an idle
-- session like begin_request, but without touching last_seen: receiving events is not activity (P14).
CREATE FUNCTION hmk.begin_stream(p_user uuid, p_session text, p_roles text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  closed timestamptz;
  seen timestamptz;
  timeout int;
BEGIN
  PERFORM set_config('hmk.user_id', p_user::text, true);
  PERFORM set_config('hmk.roles', array_to_string(p_roles, ','), true);
  SELECT c.closed_at INTO closed FROM hmk.contacts c WHERE c.id = p_user;
  IF NOT FOUND OR closed IS NOT NULL THEN
    RAISE EXCEPTION 'account closed' USING ERRCODE = 'HM401';
  END IF;
  SELECT s.last_seen, s.idle_seconds INTO seen, timeout FROM hmk.sessions s WHERE s.session_id = p_session;
  IF NOT FOUND OR seen < now() - make_interval(secs => timeout) THEN
    RAISE EXCEPTION 'session expired due to inactivity' USING ERRCODE = 'HM401';
  END IF;
END $$;

-- Which of the given streams must stop now, and why: the session went idle (or is gone), or the account was
-- closed. Run by each instance every second over the sockets it holds; no last_seen is touched.
CREATE FUNCTION hmk.stale_streams(p_users uuid[], p_sessions text[])
RETURNS TABLE (session_id text, reason text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  SELECT x.session_id,
         CASE WHEN c.closed_at IS NOT NULL OR c.id IS NULL THEN 'account closed'
              ELSE 'session expired due to inactivity' END
    FROM unnest(p_users, p_sessions) AS x (user_id, session_id)
    LEFT JOIN hmk.contacts c ON c.id = x.user_id
    LEFT JOIN hmk.sessions s ON s.session_id = x.session_id
   WHERE c.id IS NULL OR c.closed_at IS NOT NULL OR s.session_id IS NULL
      OR s.last_seen < now() - make_interval(secs => s.idle_seconds)
$$;

-- The acting user's events after `p_after`, oldest first, with access re-checked now: only conversations the user
-- takes part in today, and a message.created only while its message exists and is not recalled (hmk.recalls, 012).
-- The body comes through the same RLS as
-- GET .../messages (bodies_read), so it is there exactly when that read would return it. One statement, so the
-- session check and the read share a snapshot.
CREATE FUNCTION hmk.stream_events(p_user uuid, p_session text, p_roles text[], p_after bigint, p_limit int)
RETURNS TABLE (id bigint, type text, conversation_id uuid, message_id uuid, actor_id uuid, at timestamptz,
               scheme text, key_id text, encrypted_key bytea, iv bytea, ciphertext bytea)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM hmk.begin_stream(p_user, p_session, p_roles);
  RETURN QUERY
  SELECT e.id, e.type, e.conversation_id, e.message_id, e.actor_id, e.at,
         b.scheme, b.key_id, b.encrypted_key, b.iv, b.ciphertext
    FROM hmk.events e
    LEFT JOIN hmk.message_bodies b ON e.type = 'message.created' AND b.message_id = e.message_id
   WHERE e.user_id = p_user AND e.id > p_after
     AND e.conversation_id IN (SELECT hmk.my_conversation_ids())
     AND (e.type <> 'message.created'
          OR (EXISTS (SELECT 1 FROM hmk.messages m WHERE m.id = e.message_id)
              AND NOT EXISTS (SELECT 1 FROM hmk.recalls x WHERE x.message_id = e.message_id)))
   ORDER BY e.id
   LIMIT p_limit;
END $$;

-- The newest event id of the acting user (a client connecting without after= starts from here).
CREATE FUNCTION hmk.last_event_id(p_user uuid) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  SELECT coalesce((SELECT c.last_id FROM hmk.event_cursors c WHERE c.user_id = p_user), 0)
$$;

-- Events older than the replay window go (the service runs this with its sweep; at least 24 h are kept).
CREATE FUNCTION hmk.prune_events(p_keep_hours int) RETURNS int
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  WITH gone AS (DELETE FROM hmk.events e WHERE e.at < now() - make_interval(hours => greatest(p_keep_hours, 24))
                RETURNING 1)
  SELECT count(*)::int FROM gone
$$;

REVOKE ALL ON FUNCTION hmk.create_event_cursor(), hmk.emit_events(uuid[], text, uuid, uuid, uuid),
  hmk.emit_message_events(uuid[]), hmk.issue_event_ticket(bytea, text, int), hmk.use_event_ticket(bytea),
  hmk.begin_stream(uuid, text, text[]), hmk.stale_streams(uuid[], text[]),
  hmk.stream_events(uuid, text, text[], bigint, int), hmk.last_event_id(uuid), hmk.prune_events(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.emit_events(uuid[], text, uuid, uuid, uuid), hmk.emit_message_events(uuid[]),
  hmk.issue_event_ticket(bytea, text, int), hmk.use_event_ticket(bytea), hmk.begin_stream(uuid, text, text[]),
  hmk.stale_streams(uuid[], text[]), hmk.stream_events(uuid, text, text[], bigint, int), hmk.last_event_id(uuid),
  hmk.prune_events(int) TO hmk_app;
