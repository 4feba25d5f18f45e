-- Retention races found in review.
--
-- A. An attachment file could outlive retention with no row pointing at it: the object was deleted as soon as
--    its row went, while the presigned upload URL handed out for it (at most 5 minutes) could still store the
--    file afterwards, for good. Now every deleted attachment row queues its object key (a trigger, whoever
--    deletes it), and a queued object is deleted only once it has been queued longer than the longest upload
--    URL plus a margin (hmk.object_grace()): any upload made on such a URL has landed by then, and is deleted.
--    The service also refuses to start an attachment on a message that retention deletes within that time.
-- B. A legal hold placed while a delete (or shred) batch ran did not stop that batch, whose snapshot predated
--    the hold. Placing a hold now takes an exclusive advisory lock and the batches take it shared as their
--    first statement, so a batch either finishes before the hold commits, or starts after it and sees it.

-- The longest a presigned upload URL lives (5 minutes: MAX_URL_TTL_SECONDS in src/attachments/types.ts, which
-- both stores enforce) plus one minute for clock skew and the upload itself. Fixed here rather than passed by
-- the job, so no caller can choose to delete objects sooner.
CREATE FUNCTION hmk.object_grace() RETURNS interval LANGUAGE sql IMMUTABLE AS $$ SELECT interval '6 minutes' $$;

-- ---------------------------------------------------------------------------------------------
-- A. Every attachment row deleted (retention, or a discarded upload) queues its object key. clock_timestamp(),
-- not now(): a batch may have waited for a lock, and the grace counts from the row's deletion.
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

-- Queued objects old enough that no upload URL for them can still be used.
CREATE OR REPLACE FUNCTION hmk.retention_claim_objects(p_limit int) RETURNS SETOF text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  SELECT q.object_key FROM hmk.pending_object_deletions q
   WHERE q.queued_at < now() - hmk.object_grace()
   ORDER BY q.queued_at, q.object_key
   LIMIT p_limit FOR UPDATE SKIP LOCKED
$$;

-- Whether retention deletes the caller's message within hmk.object_grace() (or it has expired already):
-- a file attached now could then be uploaded after its row is gone. False when the message is kept forever.
-- SECURITY DEFINER because the serving role cannot read the retention settings; it answers only for the
-- caller's own conversations and reveals a yes/no, never the days.
CREATE FUNCTION hmk.message_expires_soon(p_message uuid, p_default_days int) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  SELECT coalesce(bool_or(m.created_at < now() + hmk.object_grace() - make_interval(days => e.days)), false)
    FROM hmk.messages m
    LEFT JOIN hmk.conversation_retention cr ON cr.conversation_id = m.conversation_id
   CROSS JOIN LATERAL (SELECT hmk.retention_effective_days(hmk.retention_org_days(p_default_days), cr.days) AS days) e
   WHERE m.id = p_message AND e.days > 0 AND m.conversation_id IN (SELECT hmk.my_conversation_ids())
$$;

-- ---------------------------------------------------------------------------------------------
-- B. Placing a hold takes this lock exclusively, to commit; the delete and shred batches take it shared.
CREATE FUNCTION hmk.legal_hold_lock() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7314225010);
  RETURN NULL;
END $$;
CREATE TRIGGER legal_holds_lock BEFORE INSERT ON hmk.legal_holds
  FOR EACH STATEMENT EXECUTE FUNCTION hmk.legal_hold_lock();

-- 007's batch, now (1) waiting for any hold being placed, before anything else, and (2) leaving the object
-- keys to the trigger above. VOLATILE plpgsql under READ COMMITTED: each statement after the lock takes a new
-- snapshot, so it sees a hold committed while the batch waited.
CREATE OR REPLACE FUNCTION hmk.retention_delete_batch(p_default_days int, p_from uuid, p_limit int, p_run text)
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
  org := hmk.retention_org_days(p_default_days);
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

  DELETE FROM hmk.push_outbox o WHERE o.message_id = ANY (ids);
  WITH gone AS (DELETE FROM hmk.attachments a WHERE a.message_id = ANY (ids) RETURNING a.conversation_id)
  SELECT coalesce(jsonb_object_agg(n.conversation_id, n.c), '{}') INTO att
    FROM (SELECT g.conversation_id, count(*) AS c FROM gone g GROUP BY g.conversation_id) n;
  WITH gone AS (DELETE FROM hmk.message_bodies b WHERE b.message_id = ANY (ids) RETURNING b.conversation_id, b.key_id)
  INSERT INTO hmk.retention_key_periods (conversation_id, period)
  SELECT DISTINCT g.conversation_id, substr(g.key_id, 4) FROM gone g WHERE g.key_id LIKE 'ks:%'
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

-- 007's shred selection, now waiting for any hold being placed first. The shared lock is held to the end of
-- the job's shred transaction (retention_shreddable, the key-store deletes, retention_record_shred), so a hold
-- placed meanwhile commits only after it. Even a hold that lost that race could not lose a message: a period
-- is shredded only when no body sealed under its key is left, so only copies in backups become unreadable.
CREATE OR REPLACE FUNCTION hmk.retention_shred_due(p_default_days int, p_after uuid, p_limit int)
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
     AND EXISTS (SELECT 1 FROM hmk.retention_shreddable(q.conversation_id, ARRAY[q.period], p_default_days))
   GROUP BY q.conversation_id
   ORDER BY q.conversation_id
   LIMIT p_limit;
END $$;

-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION hmk.object_grace(), hmk.queue_deleted_attachments(), hmk.message_expires_soon(uuid, int),
  hmk.legal_hold_lock() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.message_expires_soon(uuid, int) TO hmk_app;
