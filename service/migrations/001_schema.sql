-- Schema, roles and row-level security for the messaging service.
-- Runs as the table owner (the migrating login). The service itself serves as hmk_app, which owns
-- nothing and has no BYPASSRLS, so every policy below applies to it.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hmk_app') THEN
    CREATE ROLE hmk_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hmk_push') THEN
    CREATE ROLE hmk_push NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
END $$;

-- The migrating login must be able to SET ROLE to the serving roles.
GRANT hmk_app TO CURRENT_USER;
GRANT hmk_push TO CURRENT_USER;

CREATE SCHEMA hmk;
REVOKE ALL ON SCHEMA hmk FROM PUBLIC;
GRANT USAGE ON SCHEMA hmk TO hmk_app, hmk_push;

-- The acting user, set per transaction by the service with set_config('hmk.user_id', ..., true).
CREATE FUNCTION hmk.user_id() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('hmk.user_id', true), '')::uuid $$;

-- De-identified directory (P06): no PHI here.
CREATE TABLE hmk.contacts (
  id           uuid PRIMARY KEY,
  username     text NOT NULL UNIQUE,
  display_name text,
  role         text NOT NULL CHECK (role IN ('member', 'clinician', 'admin', 'auditor')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  -- Account closure (008): the entry is de-identified in place and the user's later tokens are refused.
  closed_at    timestamptz
);

CREATE TABLE hmk.conversations (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind             text NOT NULL CHECK (kind IN ('direct', 'group')),
  end_to_end       boolean NOT NULL DEFAULT false,
  created_by       uuid NOT NULL REFERENCES hmk.contacts (id),
  -- Sorted pair plus mode, so a 1:1 conversation is created once per pair.
  pair_key         text UNIQUE,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hmk.participants (
  conversation_id uuid NOT NULL REFERENCES hmk.conversations (id),
  user_id         uuid NOT NULL REFERENCES hmk.contacts (id),
  joined_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX participants_user_idx ON hmk.participants (user_id, conversation_id);

-- Message metadata; the body lives apart (P06) and is sealed (P05).
CREATE TABLE hmk.messages (
  seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  -- No foreign keys on the hot insert path: the messages_write policy already proves the sender is a
  -- participant of the conversation (and participants has the foreign keys).
  conversation_id uuid NOT NULL,
  sender_id       uuid NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation_idx ON hmk.messages (conversation_id, seq DESC);

CREATE TABLE hmk.message_bodies (
  message_id      uuid PRIMARY KEY REFERENCES hmk.messages (id),
  conversation_id uuid NOT NULL,
  -- 'kms-envelope' (sealed by the server) or 'e2e' (client ciphertext, stored opaque).
  scheme          text NOT NULL CHECK (scheme IN ('kms-envelope', 'e2e')),
  key_id          text,
  encrypted_key   bytea,
  iv              bytea,
  ciphertext      bytea NOT NULL
);

CREATE TABLE hmk.public_keys (
  user_id    uuid PRIMARY KEY REFERENCES hmk.contacts (id),
  public_key text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Push endpoints: ARNs stay server side.
CREATE TABLE hmk.devices (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES hmk.contacts (id),
  platform     text NOT NULL CHECK (platform IN ('apns', 'fcm')),
  token_hash   bytea NOT NULL UNIQUE,
  endpoint_arn text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_user_idx ON hmk.devices (user_id);

-- Transactional outbox: written with the message, delivered by the dispatcher.
CREATE TABLE hmk.push_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Written only by hmk.send_message, with the message, from the conversation's participants.
  message_id      uuid NOT NULL,
  conversation_id uuid NOT NULL,
  recipient_id    uuid NOT NULL,
  attempts        int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  failed_at       timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_outbox_pending_idx ON hmk.push_outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Idle-logoff bookkeeping (P14), one row per token session (origin_jti or jti).
CREATE TABLE hmk.sessions (
  session_id   text PRIMARY KEY,
  user_id      uuid NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  last_seen    timestamptz NOT NULL DEFAULT now(),
  -- The idle timeout in force when the session was last active: the session expires at last_seen + this, on every
  -- instance, whatever each instance's own IDLE_TIMEOUT_SECONDS (so one expired on one is expired on all).
  idle_seconds int NOT NULL CHECK (idle_seconds > 0)
);

-- ---------------------------------------------------------------------------------------------
-- Audit trail (P03): append-only, hash-chained.
-- Rows are spread over 16 independent chains (by backend pid) so concurrent transactions do not
-- all queue on one chain head; each chain is a strict hash chain and the verifier checks all.
CREATE TABLE hmk.audit_chain_heads (
  chain smallint PRIMARY KEY,
  seq   bigint NOT NULL,
  hash  bytea NOT NULL
);
INSERT INTO hmk.audit_chain_heads (chain, seq, hash)
SELECT c, 0, sha256(convert_to('hmk-audit-genesis:' || c, 'UTF8')) FROM generate_series(0, 15) AS c;

CREATE TABLE hmk.audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chain      smallint NOT NULL,
  seq        bigint NOT NULL,
  at         timestamptz NOT NULL,
  actor_id   uuid,
  action     text NOT NULL,
  target_ids text[] NOT NULL DEFAULT '{}',
  source_ip  inet,
  user_agent text,
  outcome    text NOT NULL,
  status     int NOT NULL,
  request_id text,
  prev_hash  bytea NOT NULL,
  hash       bytea NOT NULL,
  -- 'high' for break-glass, reveals, shredding and holds; a detail object of ids and counts, never contents.
  severity   text CHECK (severity IN ('high')),
  detail     jsonb CHECK (detail IS NULL OR jsonb_typeof(detail) = 'object'),
  UNIQUE (chain, seq)
);

-- Canonical form: each field length-prefixed so no two rows share an encoding.
-- The verifier (src/audit/verify.ts) rebuilds it independently in Node.
CREATE FUNCTION hmk.audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(v)::text || ':' || v END $$;

-- Hot-path SECURITY DEFINER functions below use only schema-qualified names (pg_catalog is always
-- searched first), so they skip SET search_path and its per-call GUC save/restore.
CREATE FUNCTION hmk.audit_chain_append() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  NEW.chain := pg_backend_pid() % 16;
  NEW.at := clock_timestamp();
  -- One statement locks the chain head, advances it and hands back the previous hash (RETURNING OLD
  -- needs PostgreSQL 18). The head lock is held to commit, so each chain stays strictly ordered.
  UPDATE hmk.audit_chain_heads h
     SET seq = h.seq + 1,
         hash = sha256(h.hash || convert_to(
              hmk.audit_field(NEW.chain::text)
           || hmk.audit_field((h.seq + 1)::text)
           || hmk.audit_field((extract(epoch FROM NEW.at) * 1000000)::bigint::text)
           || hmk.audit_field(NEW.actor_id::text)
           || hmk.audit_field(NEW.action)
           || hmk.audit_field(array_to_string(NEW.target_ids, ','))
           || hmk.audit_field(NEW.source_ip::text)
           || hmk.audit_field(NEW.user_agent)
           || hmk.audit_field(NEW.outcome)
           || hmk.audit_field(NEW.status::text)
           || hmk.audit_field(NEW.request_id)
           -- Severity and detail join the hash only when set, so a row without them hashes as the first eleven
           -- fields alone (the verifier rebuilds the same rule).
           || CASE WHEN NEW.severity IS NULL AND NEW.detail IS NULL THEN ''
                   ELSE hmk.audit_field(NEW.severity) || hmk.audit_field(NEW.detail::text) END, 'UTF8'))
   WHERE h.chain = NEW.chain
  RETURNING WITH (OLD AS before, NEW AS after) before.hash, after.seq, after.hash INTO NEW.prev_hash, NEW.seq, NEW.hash;
  RETURN NEW;
END $$;

CREATE TRIGGER audit_chain_append BEFORE INSERT ON hmk.audit_log
FOR EACH ROW EXECUTE FUNCTION hmk.audit_chain_append();

CREATE FUNCTION hmk.audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON hmk.audit_log
FOR EACH ROW EXECUTE FUNCTION hmk.audit_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON hmk.audit_log
FOR EACH STATEMENT EXECUTE FUNCTION hmk.audit_refuse_change();
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE OR TRUNCATE ON hmk.audit_chain_heads
FOR EACH STATEMENT EXECUTE FUNCTION hmk.audit_refuse_change();

-- ---------------------------------------------------------------------------------------------
-- Row-level security.
-- Conversation ids of the acting user. SECURITY DEFINER so the participants policy can use it
-- without recursing into itself. Every name in it is schema-qualified, so it needs no SET search_path
-- (which would cost a GUC save/restore on each of the several calls per statement).
CREATE FUNCTION hmk.my_conversation_ids() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER AS
$$ SELECT conversation_id FROM hmk.participants WHERE user_id = hmk.user_id() $$;

ALTER TABLE hmk.contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.message_bodies ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.public_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.push_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.audit_chain_heads ENABLE ROW LEVEL SECURITY;

-- The directory is readable by every signed-in user; each user writes only their own entry.
CREATE POLICY contacts_read ON hmk.contacts FOR SELECT TO hmk_app USING (hmk.user_id() IS NOT NULL);
CREATE POLICY contacts_insert ON hmk.contacts FOR INSERT TO hmk_app WITH CHECK (id = hmk.user_id());
CREATE POLICY contacts_update ON hmk.contacts FOR UPDATE TO hmk_app
  USING (id = hmk.user_id()) WITH CHECK (id = hmk.user_id());

CREATE POLICY conversations_read ON hmk.conversations FOR SELECT TO hmk_app
  USING (id IN (SELECT hmk.my_conversation_ids()));
CREATE POLICY participants_read ON hmk.participants FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.my_conversation_ids()));

CREATE POLICY messages_read ON hmk.messages FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.my_conversation_ids()));
CREATE POLICY messages_write ON hmk.messages FOR INSERT TO hmk_app
  WITH CHECK (sender_id = hmk.user_id() AND conversation_id IN (SELECT hmk.my_conversation_ids()));
CREATE POLICY bodies_read ON hmk.message_bodies FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.my_conversation_ids()));
CREATE POLICY bodies_write ON hmk.message_bodies FOR INSERT TO hmk_app
  WITH CHECK (conversation_id IN (SELECT hmk.my_conversation_ids()));

CREATE POLICY keys_read ON hmk.public_keys FOR SELECT TO hmk_app USING (hmk.user_id() IS NOT NULL);
CREATE POLICY keys_insert ON hmk.public_keys FOR INSERT TO hmk_app WITH CHECK (user_id = hmk.user_id());
CREATE POLICY keys_update ON hmk.public_keys FOR UPDATE TO hmk_app
  USING (user_id = hmk.user_id()) WITH CHECK (user_id = hmk.user_id());

CREATE POLICY devices_read ON hmk.devices FOR SELECT TO hmk_app USING (user_id = hmk.user_id());
CREATE POLICY outbox_write ON hmk.push_outbox FOR INSERT TO hmk_app
  WITH CHECK (conversation_id IN (SELECT hmk.my_conversation_ids()));

-- An audit row always names the acting user (or nobody, for refused sign-ins).
CREATE POLICY audit_write ON hmk.audit_log FOR INSERT TO hmk_app
  WITH CHECK (actor_id IS NOT DISTINCT FROM hmk.user_id());

-- The push dispatcher is a system worker: it sees the outbox and devices, nothing else.
CREATE POLICY outbox_dispatch ON hmk.push_outbox FOR ALL TO hmk_push USING (true) WITH CHECK (true);
CREATE POLICY devices_dispatch ON hmk.devices FOR ALL TO hmk_push USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE ON hmk.contacts TO hmk_app;
GRANT SELECT ON hmk.conversations, hmk.participants TO hmk_app;
GRANT SELECT, INSERT ON hmk.messages, hmk.message_bodies TO hmk_app;
GRANT SELECT, INSERT, UPDATE ON hmk.public_keys TO hmk_app;
GRANT SELECT ON hmk.devices TO hmk_app;
GRANT INSERT ON hmk.push_outbox TO hmk_app;
GRANT INSERT ON hmk.audit_log TO hmk_app;
GRANT SELECT, UPDATE, DELETE ON hmk.devices TO hmk_push;
GRANT SELECT, UPDATE ON hmk.push_outbox TO hmk_push;

-- ---------------------------------------------------------------------------------------------
-- Operations that need to see rows the caller cannot see yet. Each one acts only for hmk.user_id().

-- Opens a request: the acting user and roles for this transaction, and the checks every request passes.
--  * Roles (P07, from the token's cognito:groups), which hmk.roles() and hmk.has_role() (004) read.
--  * A closed account is refused (one primary-key probe per request); so is a user not in the directory, except on
--    the requests that register or read the session (p_unregistered_ok).
--  * Idle logoff (P14): a session idle for longer than the timeout stored with it is refused. The stored timeout is
--    the one in force at its last activity, so instances with different settings agree on when it expired, and an
--    expired session is never touched again. last_seen is touched at most every few seconds so concurrent requests
--    of one session do not serialise on its row.
CREATE FUNCTION hmk.begin_request(p_user uuid, p_session text, p_idle_seconds int, p_roles text[],
                                  p_unregistered_ok boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  registered boolean;
  closed timestamptz;
  seen timestamptz;
  timeout int;
  touch_after interval := least(interval '5 seconds', make_interval(secs => p_idle_seconds) / 10);
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(p_roles) r WHERE r NOT IN ('member', 'clinician', 'admin', 'auditor')) THEN
    RAISE EXCEPTION 'unknown role' USING ERRCODE = 'HM400';
  END IF;
  PERFORM set_config('hmk.user_id', p_user::text, true);
  PERFORM set_config('hmk.roles', array_to_string(p_roles, ','), true);
  SELECT true, c.closed_at INTO registered, closed FROM hmk.contacts c WHERE c.id = p_user;
  IF closed IS NOT NULL THEN
    RAISE EXCEPTION 'account closed' USING ERRCODE = 'HM401';
  END IF;
  SELECT s.last_seen, s.idle_seconds INTO seen, timeout FROM hmk.sessions s WHERE s.session_id = p_session;
  IF NOT FOUND THEN
    INSERT INTO hmk.sessions (session_id, user_id, idle_seconds) VALUES (p_session, p_user, p_idle_seconds)
    ON CONFLICT DO NOTHING;
  ELSIF seen < now() - make_interval(secs => timeout) THEN
    RAISE EXCEPTION 'session expired due to inactivity' USING ERRCODE = 'HM401';
  ELSIF seen < now() - touch_after THEN
    -- SKIP LOCKED: when a concurrent transaction of the same session is already touching it, that touch will do, and
    -- this one never waits on (or holds up) another transaction for the session row: no lock cycle can run through it.
    UPDATE hmk.sessions SET last_seen = now(), idle_seconds = p_idle_seconds
     WHERE session_id = (SELECT s.session_id FROM hmk.sessions s
                          WHERE s.session_id = p_session AND s.last_seen < now() - touch_after
                          FOR UPDATE SKIP LOCKED);
  END IF;
  -- Authorisation after authentication: an idle or closed session is a 401 whether registered or not.
  IF registered IS NULL AND NOT p_unregistered_ok THEN
    RAISE EXCEPTION 'you are not in the directory yet: register first with PUT /v1/contacts/me' USING ERRCODE = 'HM403';
  END IF;
END $$;

-- The same for a registered user (every request but registration and the session read).
CREATE FUNCTION hmk.begin_request(p_user uuid, p_session text, p_idle_seconds int, p_roles text[]) RETURNS void
LANGUAGE sql SECURITY DEFINER AS $$
  SELECT hmk.begin_request(p_user, p_session, p_idle_seconds, p_roles, false)
$$;

-- The same without roles (hmk.send_message, on the group-commit send path).
CREATE FUNCTION hmk.begin_request(p_user uuid, p_session text, p_idle_seconds int) RETURNS void
LANGUAGE sql SECURITY DEFINER AS $$
  SELECT hmk.begin_request(p_user, p_session, p_idle_seconds, '{}'::text[], false)
$$;

-- Registers a device for the acting user; a token moving to a new user leaves the old user.
CREATE FUNCTION hmk.register_device(p_platform text, p_token_hash bytea, p_endpoint_arn text)
RETURNS uuid LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  INSERT INTO hmk.devices (user_id, platform, token_hash, endpoint_arn)
  VALUES (hmk.user_id(), p_platform, p_token_hash, p_endpoint_arn)
  ON CONFLICT (token_hash) DO UPDATE
    SET user_id = excluded.user_id, platform = excluded.platform,
        endpoint_arn = excluded.endpoint_arn, updated_at = now()
  RETURNING id
$$;

-- Appends one audit row for the acting user (NULL actor for refused sign-ins). SECURITY INVOKER:
-- the audit_write policy stops a caller from writing rows in someone else's name.
CREATE FUNCTION hmk.audit(p_action text, p_targets text[], p_ip inet, p_user_agent text, p_outcome text,
                          p_status int, p_request_id text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO hmk.audit_log (chain, seq, at, actor_id, action, target_ids, source_ip, user_agent, outcome, status,
                             request_id, prev_hash, hash)
  VALUES (0, 0, now(), hmk.user_id(), p_action, coalesce(p_targets, '{}'), p_ip, p_user_agent, p_outcome, p_status,
          p_request_id, '', '')
$$;

-- The whole send in one statement (one round trip, one implicit transaction): session check, metadata,
-- sealed body, outbox rows and the audit row. SECURITY INVOKER, so every insert passes the caller's RLS.
CREATE FUNCTION hmk.send_message(p_user uuid, p_session text, p_idle_seconds int, p_conversation uuid,
                                 p_scheme text, p_key_id text, p_encrypted_key bytea, p_iv bytea, p_ciphertext bytea,
                                 p_ip inet, p_user_agent text, p_request_id text,
                                 p_idempotency_key text, p_request_hash bytea)
RETURNS TABLE (id uuid, created_at timestamptz, replayed boolean) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  e2e boolean;
  msg_id uuid := gen_random_uuid();
  msg_at timestamptz := clock_timestamp();
  earlier record;
BEGIN
  PERFORM hmk.begin_request(p_user, p_session, p_idle_seconds);
  SELECT c.end_to_end INTO e2e FROM hmk.conversations c WHERE c.id = p_conversation;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'HM404';
  END IF;
  IF (p_scheme = 'e2e') <> e2e THEN
    RAISE EXCEPTION 'body scheme does not match the conversation' USING ERRCODE = 'HM409';
  END IF;
  -- Idempotency-Key (013): a live key answers with its message, unchanged; the same key for another request is a 422.
  IF p_idempotency_key IS NOT NULL THEN
    SELECT k.request_hash, m.id, m.created_at INTO earlier
      FROM hmk.idempotency_keys k JOIN hmk.messages m ON m.id = k.message_id
     WHERE k.user_id = p_user AND k.key = p_idempotency_key AND k.created_at > now() - interval '24 hours';
    IF FOUND THEN
      IF earlier.request_hash <> p_request_hash THEN
        RAISE EXCEPTION 'Idempotency-Key was already used for a different request' USING ERRCODE = 'HM422';
      END IF;
      PERFORM hmk.audit('message.send.replayed', ARRAY[p_conversation::text, earlier.id::text], p_ip, p_user_agent,
                        'ok', 201, p_request_id);
      RETURN QUERY SELECT earlier.id, earlier.created_at, true;
      RETURN;
    END IF;
  END IF;
  INSERT INTO hmk.messages (id, conversation_id, sender_id, created_at) VALUES (msg_id, p_conversation, p_user, msg_at);
  INSERT INTO hmk.message_bodies (message_id, conversation_id, scheme, key_id, encrypted_key, iv, ciphertext)
  VALUES (msg_id, p_conversation, p_scheme, p_key_id, p_encrypted_key, p_iv, p_ciphertext);
  INSERT INTO hmk.push_outbox (message_id, conversation_id, recipient_id)
  SELECT msg_id, p_conversation, p.user_id FROM hmk.participants p
  WHERE p.conversation_id = p_conversation AND p.user_id <> p_user;
  PERFORM hmk.audit('message.send', ARRAY[p_conversation::text, msg_id::text], p_ip, p_user_agent, 'ok', 201,
                    p_request_id);
  IF p_idempotency_key IS NOT NULL THEN
    -- A key that expired is taken over; one a concurrent send just recorded is a 409 (the draft's "in progress").
    INSERT INTO hmk.idempotency_keys AS k (user_id, key, request_hash, message_id)
    VALUES (p_user, p_idempotency_key, p_request_hash, msg_id)
    ON CONFLICT (user_id, key) DO UPDATE
      SET request_hash = excluded.request_hash, message_id = excluded.message_id, created_at = now()
      WHERE k.created_at <= now() - interval '24 hours';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'a request with this Idempotency-Key is still in progress: retry it' USING ERRCODE = 'HM409';
    END IF;
  END IF;
  RETURN QUERY SELECT msg_id, msg_at, false;
END $$;

-- Group commit: many sends (possibly from different users) in one statement and one transaction.
-- Each message runs in its own subtransaction, so one refused message does not affect the others;
-- each is still all-or-nothing together with its audit and outbox rows.
CREATE FUNCTION hmk.send_messages(p_idle_seconds int, p_users uuid[], p_sessions text[], p_conversations uuid[],
                                  p_schemes text[], p_key_ids text[], p_encrypted_keys bytea[], p_ivs bytea[],
                                  p_ciphertexts bytea[], p_ips inet[], p_user_agents text[], p_request_ids text[],
                                  p_events boolean, p_idempotency_keys text[], p_request_hashes bytea[])
RETURNS TABLE (ord int, id uuid, created_at timestamptz, replayed boolean, error_code text, error_message text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  i int;
  r record;
  sent uuid[] := '{}';
BEGIN
  FOR i IN 1 .. coalesce(cardinality(p_users), 0) LOOP
    BEGIN
      SELECT * INTO r FROM hmk.send_message(p_users[i], p_sessions[i], p_idle_seconds, p_conversations[i], p_schemes[i],
        p_key_ids[i], p_encrypted_keys[i], p_ivs[i], p_ciphertexts[i], p_ips[i], p_user_agents[i], p_request_ids[i],
        p_idempotency_keys[i], p_request_hashes[i]);
      ord := i; id := r.id; created_at := r.created_at; replayed := r.replayed; error_code := NULL; error_message := NULL;
      IF NOT r.replayed THEN
        sent := sent || r.id;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      ord := i; id := NULL; created_at := NULL; replayed := NULL; error_code := SQLSTATE; error_message := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;
  -- message.created for every participant of every message sent (the sender's other devices included), numbered
  -- last, so the recipients' event cursors are locked only from here to the commit (hmk.emit_message_events, 010).
  IF p_events AND cardinality(sent) > 0 THEN
    PERFORM hmk.emit_message_events(sent);
  END IF;
END $$;

-- Functions are executable by PUBLIC by default; only the serving role may call these.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA hmk FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.user_id(), hmk.my_conversation_ids(), hmk.audit_field(text) TO hmk_app, hmk_push;
GRANT EXECUTE ON FUNCTION hmk.begin_request(uuid, text, int), hmk.begin_request(uuid, text, int, text[]),
  hmk.begin_request(uuid, text, int, text[], boolean),
  hmk.register_device(text, bytea, text), hmk.audit(text, text[], inet, text, text, int, text),
  hmk.send_message(uuid, text, int, uuid, text, text, bytea, bytea, bytea, inet, text, text, text, bytea),
  hmk.send_messages(int, uuid[], text[], uuid[], text[], text[], bytea[], bytea[], bytea[], inet[], text[], text[],
                    boolean, text[], bytea[])
  TO hmk_app;
-- hmk.create_conversation and hmk.read_messages, which need the roles and break-glass, are defined in 008.
