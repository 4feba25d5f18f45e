-- Retention with crypto-shredding, and legal hold.
--
-- The organisation keeps messages for N days (an admin's setting here, else the service's RETENTION_DAYS;
-- 0 = forever), a conversation may keep them for fewer. The retention job deletes expired messages (metadata,
-- body, push outbox rows, attachments) and, later, destroys the conversation's data key of each fully expired
-- key period in the key store, so copies of those bodies in database backups can never be opened again.
-- A legal hold (on a conversation, or on a user: all conversations they are in) pauses both.
--
-- The job runs as hmk_retention, which holds no table privilege at all: it can only call the SECURITY DEFINER
-- functions below, which decide what has expired. They write their own audit rows, actor NULL (the system).
--
-- Two races are closed here. An upload URL (at most 5 minutes) can still store a file after its row is gone, so a
-- deleted attachment's object is queued and deleted only once no such URL can be used (hmk.object_grace()). And a
-- legal hold placed while a batch runs must stop it, so placing a hold and the batches share an advisory lock.

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['hmk_retention', 'hmk_keys'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created concurrently by a migration of another database on the same server
      END;
    END IF;
    -- Roles are cluster-wide, so it may exist already; refuse one that could log in or escape RLS.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r AND (rolsuper OR rolbypassrls OR rolcanlogin OR rolcreaterole)) THEN
      RAISE EXCEPTION 'role % exists with unsafe attributes; it must be NOLOGIN NOSUPERUSER NOBYPASSRLS', r;
    END IF;
  END LOOP;
END $$;

-- The migrating login and the serving login may SET ROLE to them (as for hmk_app and hmk_push).
GRANT hmk_retention TO CURRENT_USER;
GRANT hmk_keys TO CURRENT_USER;
GRANT hmk_retention TO hmk_service;
GRANT hmk_keys TO hmk_service;
GRANT USAGE ON SCHEMA hmk TO hmk_retention, hmk_keys;

-- ---------------------------------------------------------------------------------------------
-- Settings and holds. Admin only (hmk.has_role('admin')); the service checks first and answers 403.

-- The organisation's retention (one deployment = one organisation): at most one row.
CREATE TABLE hmk.retention_policy (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  days       int NOT NULL CHECK (days BETWEEN 0 AND 36500),
  updated_by uuid NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A shorter retention for one conversation.
CREATE TABLE hmk.conversation_retention (
  conversation_id uuid PRIMARY KEY REFERENCES hmk.conversations (id),
  days            int NOT NULL CHECK (days BETWEEN 1 AND 36500),
  updated_by      uuid NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Reasons may themselves hold PHI, so they stay here and never enter an audit row, a log or a notification.
CREATE TABLE hmk.legal_holds (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid REFERENCES hmk.conversations (id),
  user_id         uuid REFERENCES hmk.contacts (id),
  reason          text NOT NULL CHECK (char_length(btrim(reason)) >= 10),
  placed_by       uuid NOT NULL,
  placed_at       timestamptz NOT NULL DEFAULT now(),
  released_by     uuid,
  released_at     timestamptz,
  release_reason  text CHECK (char_length(btrim(release_reason)) >= 10),
  CHECK (num_nonnulls(conversation_id, user_id) = 1),
  CHECK (num_nonnulls(released_by, released_at, release_reason) IN (0, 3))
);
CREATE INDEX legal_holds_active_idx ON hmk.legal_holds (placed_at) WHERE released_at IS NULL;

ALTER TABLE hmk.retention_policy ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.conversation_retention ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.legal_holds ENABLE ROW LEVEL SECURITY;

CREATE POLICY retention_policy_admin ON hmk.retention_policy FOR ALL TO hmk_app
  USING (hmk.has_role('admin')) WITH CHECK (hmk.has_role('admin') AND updated_by = hmk.user_id());
CREATE POLICY legal_holds_read ON hmk.legal_holds FOR SELECT TO hmk_app USING (hmk.has_role('admin'));
CREATE POLICY legal_holds_place ON hmk.legal_holds FOR INSERT TO hmk_app
  WITH CHECK (hmk.has_role('admin') AND placed_by = hmk.user_id() AND released_at IS NULL);
-- The one change to a hold: an active hold is released, once.
CREATE POLICY legal_holds_release ON hmk.legal_holds FOR UPDATE TO hmk_app
  USING (hmk.has_role('admin') AND released_at IS NULL)
  WITH CHECK (hmk.has_role('admin') AND released_by = hmk.user_id() AND released_at IS NOT NULL);

GRANT SELECT, INSERT, UPDATE ON hmk.retention_policy TO hmk_app;
GRANT SELECT, INSERT ON hmk.legal_holds TO hmk_app;
GRANT UPDATE (released_by, released_at, release_reason) ON hmk.legal_holds TO hmk_app;

-- Placing a hold takes this lock exclusively, to commit; the delete and shred batches take it shared as their
-- first statement, so a batch either finishes before the hold commits, or starts after it and sees it.
CREATE FUNCTION hmk.legal_hold_lock() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7314225010);
  RETURN NULL;
END $$;

CREATE TRIGGER legal_holds_lock BEFORE INSERT ON hmk.legal_holds
  FOR EACH STATEMENT EXECUTE FUNCTION hmk.legal_hold_lock();

-- The organisation's default (RETENTION_DAYS), recorded by the owner at start, so no serving connection can
-- choose the days the retention functions delete by.
CREATE TABLE hmk.retention_default (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  days        int NOT NULL CHECK (days BETWEEN 0 AND 36500),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE hmk.retention_default ENABLE ROW LEVEL SECURITY;
CREATE POLICY retention_default_read ON hmk.retention_default FOR SELECT TO hmk_app USING (true);
GRANT SELECT ON hmk.retention_default TO hmk_app;

-- The organisation's days: the admin's setting, else the recorded default, else keep forever (never delete on a
-- missing setting).
CREATE FUNCTION hmk.retention_org_days() RETURNS int LANGUAGE sql STABLE AS
$$ SELECT coalesce((SELECT r.days FROM hmk.retention_policy r), (SELECT d.days FROM hmk.retention_default d), 0) $$;

-- Days a conversation's messages are kept (0 = forever): the shorter of the organisation's and its own.
CREATE FUNCTION hmk.retention_effective_days(p_org_days int, p_conversation_days int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_conversation_days IS NULL THEN p_org_days
              WHEN p_org_days = 0 THEN p_conversation_days
              ELSE least(p_org_days, p_conversation_days) END
$$;

-- Sets (or with NULL clears) a conversation's retention. SECURITY DEFINER because the admin usually does not
-- take part in the conversation; it reveals nothing but whether the conversation exists.
CREATE FUNCTION hmk.set_conversation_retention(p_conversation uuid, p_days int)
RETURNS TABLE (days int, org_days int) LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
DECLARE
  org int := hmk.retention_org_days();
BEGIN
  IF hmk.user_id() IS NULL OR NOT hmk.has_role('admin') THEN
    RAISE EXCEPTION 'setting retention requires the admin role' USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM 1 FROM hmk.conversations c WHERE c.id = p_conversation;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'HM404';
  END IF;
  IF p_days IS NULL THEN
    DELETE FROM hmk.conversation_retention r WHERE r.conversation_id = p_conversation;
  ELSIF p_days < 1 OR (org > 0 AND p_days >= org) THEN
    RAISE EXCEPTION 'body.days must be shorter than the organisation retention of % days (or null to clear it)', org
      USING ERRCODE = 'HM400';
  ELSE
    INSERT INTO hmk.conversation_retention AS r (conversation_id, days, updated_by)
    VALUES (p_conversation, p_days, hmk.user_id())
    ON CONFLICT (conversation_id) DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = now();
  END IF;
  RETURN QUERY SELECT p_days, org;
END $$;

-- ---------------------------------------------------------------------------------------------
-- The retention job's bookkeeping. Nothing here is readable by the serving role.

-- Object keys of deleted attachments, queued by a trigger in the transaction that deletes their rows (whoever
-- deletes them: retention, or a discarded upload) and removed once the objects are gone: a crash between the two
-- leaves the keys here for the next run.
CREATE TABLE hmk.pending_object_deletions (
  object_key text PRIMARY KEY,
  queued_at  timestamptz NOT NULL DEFAULT now()
);

-- The longest a presigned upload URL lives (5 minutes: MAX_URL_TTL_SECONDS in src/attachments/types.ts, which
-- both stores enforce) plus one minute for clock skew and the upload itself. Fixed here rather than passed by
-- the job, so no caller can choose to delete objects sooner.
CREATE FUNCTION hmk.object_grace() RETURNS interval LANGUAGE sql IMMUTABLE AS $$ SELECT interval '6 minutes' $$;

-- clock_timestamp(), not now(): a batch may have waited for a lock, and the grace counts from the row's deletion.
CREATE FUNCTION hmk.queue_deleted_attachments() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
BEGIN
  INSERT INTO hmk.pending_object_deletions AS q (object_key, queued_at)
  SELECT g.object_key, clock_timestamp() FROM gone g
  ON CONFLICT (object_key) DO UPDATE SET queued_at = greatest(q.queued_at, excluded.queued_at);
  RETURN NULL;
END $$;

CREATE TRIGGER attachments_queue_objects AFTER DELETE ON hmk.attachments
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION hmk.queue_deleted_attachments();

-- Key periods whose messages have been deleted: candidates for shredding once fully expired.
CREATE TABLE hmk.retention_key_periods (
  conversation_id uuid NOT NULL,
  period          text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  PRIMARY KEY (conversation_id, period)
);
ALTER TABLE hmk.pending_object_deletions ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.retention_key_periods ENABLE ROW LEVEL SECURITY;

-- The job finds each conversation's expired messages by age, and their outbox rows by message.
CREATE INDEX messages_expiry_idx ON hmk.messages (conversation_id, created_at);
CREATE INDEX push_outbox_message_idx ON hmk.push_outbox (message_id);

-- Conversations under an active legal hold, directly or through a participant.
CREATE FUNCTION hmk.held_conversation_ids() RETURNS SETOF uuid LANGUAGE sql STABLE AS $$
  SELECT h.conversation_id FROM hmk.legal_holds h WHERE h.released_at IS NULL AND h.conversation_id IS NOT NULL
  UNION
  SELECT p.conversation_id FROM hmk.legal_holds h JOIN hmk.participants p ON p.user_id = h.user_id
   WHERE h.released_at IS NULL AND h.user_id IS NOT NULL
$$;

-- The first instant after a key period ('2026-11' -> 2026-12-01T00:00Z).
CREATE FUNCTION hmk.key_period_end(p_period text) RETURNS timestamptz LANGUAGE sql STABLE AS
$$ SELECT ((to_date(p_period, 'YYYY-MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC') $$;

-- A count-only audit row written by the system (actor NULL); never contents.
CREATE FUNCTION hmk.retention_audit(p_action text, p_conversation uuid, p_run text, p_severity text, p_detail jsonb)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO hmk.audit_log (chain, seq, at, actor_id, action, target_ids, source_ip, user_agent, outcome, status,
                             request_id, prev_hash, hash, severity, detail)
  VALUES (0, 0, now(), NULL, p_action, ARRAY[p_conversation::text], NULL, NULL, 'ok', 200, p_run, '', '',
          p_severity, p_detail)
$$;

-- Deletes up to p_limit expired messages that no hold protects, with their bodies, outbox rows and attachment
-- rows (the trigger above queues their objects), and writes one audit row per conversation. It first waits for
-- any hold being placed; as VOLATILE plpgsql under READ COMMITTED, each later statement sees a hold committed
-- meanwhile.
-- Conversations are walked in id order from p_from (inclusive: the caller passes the last conversation of a full
-- batch, which may have more), each one's expired messages oldest first, so a run usually writes one audit row
-- per conversation. Rows are claimed with FOR UPDATE SKIP LOCKED, so several jobs running at once share the
-- work and never delete a message twice.
CREATE FUNCTION hmk.retention_delete_batch(p_from uuid, p_limit int, p_run text)
RETURNS TABLE (conversation_id uuid, messages int, attachments int)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
DECLARE
  org int;
  ids uuid[] := '{}';
  att jsonb;
  convs uuid[];
  counts int[];
  c record;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7314225010);
  org := hmk.retention_org_days();
  FOR c IN
    SELECT v.id, now() - make_interval(days => e.days) AS cutoff
      FROM hmk.conversations v
      LEFT JOIN hmk.conversation_retention cr ON cr.conversation_id = v.id
     CROSS JOIN LATERAL (SELECT hmk.retention_effective_days(org, cr.days) AS days) e
     WHERE v.id >= coalesce(p_from, '00000000-0000-0000-0000-000000000000') AND e.days > 0
       AND v.id NOT IN (SELECT hmk.held_conversation_ids())
       AND EXISTS (SELECT 1 FROM hmk.messages m WHERE m.conversation_id = v.id AND m.created_at < now() - make_interval(days => e.days))
     ORDER BY v.id
  LOOP
    ids := ids || ARRAY(SELECT m.id FROM hmk.messages m
                         WHERE m.conversation_id = c.id AND m.created_at < c.cutoff
                         ORDER BY m.created_at LIMIT p_limit - cardinality(ids) FOR UPDATE SKIP LOCKED);
    EXIT WHEN cardinality(ids) >= p_limit;
  END LOOP;
  IF cardinality(ids) = 0 THEN
    RETURN;
  END IF;

  -- Outbox rows are locked in id order before they go, the order the push dispatcher marks them in, so the two
  -- never wait on each other in a cycle (deleting in scan order deadlocked with a dispatcher's batch update).
  PERFORM 1 FROM hmk.push_outbox o WHERE o.message_id = ANY (ids) ORDER BY o.id FOR UPDATE;
  DELETE FROM hmk.push_outbox o WHERE o.message_id = ANY (ids);
  WITH gone AS (DELETE FROM hmk.attachments a WHERE a.message_id = ANY (ids) RETURNING a.conversation_id)
  SELECT coalesce(jsonb_object_agg(n.conversation_id, n.c), '{}') INTO att
    FROM (SELECT g.conversation_id, count(*) AS c FROM gone g GROUP BY g.conversation_id) n;
  WITH gone AS (DELETE FROM hmk.message_bodies b WHERE b.message_id = ANY (ids) RETURNING b.conversation_id, b.key_id)
  INSERT INTO hmk.retention_key_periods (conversation_id, period)
  SELECT DISTINCT g.conversation_id, substr(g.key_id, 4) FROM gone g WHERE g.key_id LIKE 'ks:%'
   ORDER BY 1, 2  -- concurrent batches meet on the same periods in one order, never a cycle
  ON CONFLICT DO NOTHING;
  WITH gone AS (DELETE FROM hmk.messages m WHERE m.id = ANY (ids) RETURNING m.conversation_id)
  SELECT array_agg(n.conversation_id ORDER BY n.conversation_id), array_agg(n.c ORDER BY n.conversation_id)
    INTO convs, counts
    FROM (SELECT g.conversation_id, count(*)::int AS c FROM gone g GROUP BY g.conversation_id) n;
  FOR i IN 1 .. coalesce(cardinality(convs), 0) LOOP
    conversation_id := convs[i];
    messages := counts[i];
    attachments := coalesce((att ->> convs[i]::text)::int, 0);
    PERFORM hmk.retention_audit('retention.delete', convs[i], p_run, NULL,
      jsonb_build_object('messages', messages, 'attachments', attachments, 'keysDestroyed', 0));
    RETURN NEXT;
  END LOOP;
END $$;

-- Queued objects old enough that no upload URL for them can still be used; the rows stay locked (FOR UPDATE SKIP
-- LOCKED) until the caller's transaction removes them with hmk.retention_objects_deleted, after the objects are gone.
CREATE FUNCTION hmk.retention_claim_objects(p_limit int) RETURNS SETOF text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  SELECT q.object_key FROM hmk.pending_object_deletions q
   WHERE q.queued_at < now() - hmk.object_grace()
   ORDER BY q.queued_at, q.object_key
   LIMIT p_limit FOR UPDATE SKIP LOCKED
$$;

CREATE FUNCTION hmk.retention_objects_deleted(p_keys text[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  DELETE FROM hmk.pending_object_deletions q WHERE q.object_key = ANY (p_keys)
$$;

-- Whether retention deletes the caller's message within hmk.object_grace() (or it has expired already):
-- a file attached now could then be uploaded after its row is gone. False when the message is kept forever.
-- SECURITY DEFINER because the serving role cannot read the retention settings; it answers only for the
-- caller's own conversations and reveals a yes/no, never the days.
CREATE FUNCTION hmk.message_expires_soon(p_message uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  SELECT coalesce(bool_or(m.created_at < now() + hmk.object_grace() - make_interval(days => e.days)), false)
    FROM hmk.messages m
    LEFT JOIN hmk.conversation_retention cr ON cr.conversation_id = m.conversation_id
   CROSS JOIN LATERAL (SELECT hmk.retention_effective_days(hmk.retention_org_days(), cr.days) AS days) e
   WHERE m.id = p_message AND e.days > 0 AND m.conversation_id IN (SELECT hmk.my_conversation_ids())
$$;

-- Whether period p of a conversation may be shredded: (end of p + its retention + 1 day of clock-skew margin)
-- has passed, no hold applies, and no body sealed under that period's key remains.
CREATE FUNCTION hmk.retention_shreddable(p_conversation uuid, p_periods text[])
RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  WITH eff AS (
    SELECT hmk.retention_effective_days(hmk.retention_org_days(),
             (SELECT cr.days FROM hmk.conversation_retention cr WHERE cr.conversation_id = p_conversation)) AS days)
  SELECT p FROM unnest(p_periods) AS p, eff
   WHERE p ~ '^\d{4}-(0[1-9]|1[0-2])$'
     AND eff.days > 0
     AND hmk.key_period_end(p) + make_interval(days => eff.days + 1) < now()
     AND p_conversation NOT IN (SELECT hmk.held_conversation_ids())
     AND NOT EXISTS (SELECT 1 FROM hmk.messages m JOIN hmk.message_bodies b ON b.message_id = m.id
                      WHERE m.conversation_id = p_conversation AND b.key_id = 'ks:' || p)
   ORDER BY p
$$;

-- Conversations (after p_after, in id order) with a queued period that may be shredded, with their queued
-- periods. Returns nothing while another job is shredding (one at a time; the volume is small).
-- It waits for any hold being placed, and keeps that lock shared to the end of the job's shred transaction (the
-- key-store deletes included). Even a hold that lost that race could not lose a message: a period is shredded
-- only when no body sealed under its key is left, so only copies in backups become unreadable.
CREATE FUNCTION hmk.retention_shred_due(p_after uuid, p_limit int)
RETURNS TABLE (conversation_id uuid, periods text[])
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7314225010);
  IF NOT pg_try_advisory_xact_lock(7314225007) THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT q.conversation_id, array_agg(q.period ORDER BY q.period)
    FROM hmk.retention_key_periods q
   WHERE q.conversation_id > coalesce(p_after, '00000000-0000-0000-0000-000000000000')
     AND EXISTS (SELECT 1 FROM hmk.retention_shreddable(q.conversation_id, ARRAY[q.period]))
   GROUP BY q.conversation_id
   ORDER BY q.conversation_id
   LIMIT p_limit;
END $$;

-- Records destroyed keys: the periods leave the queue and one high-severity audit row names the count.
CREATE FUNCTION hmk.retention_record_shred(p_conversation uuid, p_periods text[], p_run text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
BEGIN
  IF coalesce(cardinality(p_periods), 0) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM hmk.retention_key_periods q WHERE q.conversation_id = p_conversation AND q.period = ANY (p_periods);
  PERFORM hmk.retention_audit('retention.shred', p_conversation, p_run, 'high',
    jsonb_build_object('messages', 0, 'attachments', 0, 'keysDestroyed', cardinality(p_periods), 'periods', to_jsonb(p_periods)));
END $$;

-- ---------------------------------------------------------------------------------------------
-- The local key store (KEY_STORE=postgres; production uses DynamoDB, outside every backup). Only hmk_keys,
-- the key store's own role, reaches it: neither the serving role nor the retention job can read a key.
CREATE TABLE hmk.conversation_keys (
  conversation_id uuid NOT NULL,
  period          text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  kms_key_id      text NOT NULL,
  wrapped_key     bytea NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, period)
);
ALTER TABLE hmk.conversation_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY conversation_keys_store ON hmk.conversation_keys FOR ALL TO hmk_keys USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON hmk.conversation_keys TO hmk_keys;

-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION hmk.retention_org_days(), hmk.retention_effective_days(int, int),
  hmk.set_conversation_retention(uuid, int), hmk.held_conversation_ids(), hmk.key_period_end(text),
  hmk.retention_audit(text, uuid, text, text, jsonb), hmk.retention_delete_batch(uuid, int, text),
  hmk.retention_claim_objects(int), hmk.retention_objects_deleted(text[]),
  hmk.retention_shreddable(uuid, text[]), hmk.retention_shred_due(uuid, int),
  hmk.retention_record_shred(uuid, text[], text), hmk.object_grace(), hmk.queue_deleted_attachments(),
  hmk.message_expires_soon(uuid), hmk.legal_hold_lock() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.set_conversation_retention(uuid, int), hmk.message_expires_soon(uuid) TO hmk_app;
GRANT EXECUTE ON FUNCTION hmk.retention_delete_batch(uuid, int, text), hmk.retention_claim_objects(int),
  hmk.retention_objects_deleted(text[]), hmk.retention_shreddable(uuid, text[]),
  hmk.retention_shred_due(uuid, int), hmk.retention_record_shred(uuid, text[], text) TO hmk_retention;
