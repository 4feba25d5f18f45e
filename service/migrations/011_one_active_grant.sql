-- One active break-glass grant per person and conversation: a second request while one is active is a 409
-- naming its expiry, not a second grant, notice and high-severity row. Concurrent requests serialise on a
-- transaction lock for the pair, so two at once cannot both pass the check.
CREATE OR REPLACE FUNCTION hmk.open_break_glass(p_conversation uuid, p_reason text, p_minutes int)
RETURNS TABLE (id uuid, created_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
DECLARE
  me uuid := hmk.user_id();
  active_until timestamptz;
BEGIN
  IF me IS NULL OR NOT (hmk.has_role('admin') OR hmk.has_role('auditor')) THEN
    RAISE EXCEPTION 'break-glass requires the admin or auditor role' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_minutes IS NULL OR p_minutes NOT BETWEEN 1 AND 1440 THEN
    RAISE EXCEPTION 'break-glass window must be 1 to 1440 minutes' USING ERRCODE = 'HM400';
  END IF;
  IF char_length(btrim(coalesce(p_reason, ''))) < 20 THEN
    RAISE EXCEPTION 'body.reason must be at least 20 characters' USING ERRCODE = 'HM400';
  END IF;
  PERFORM 1 FROM hmk.conversations c WHERE c.id = p_conversation;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'HM404';
  END IF;
  IF EXISTS (SELECT 1 FROM hmk.participants p WHERE p.conversation_id = p_conversation AND p.user_id = me) THEN
    RAISE EXCEPTION 'you take part in this conversation; read it directly' USING ERRCODE = 'HM409';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('hmk-break-glass:' || me::text || ':' || p_conversation::text, 0));
  SELECT max(g.expires_at) INTO active_until FROM hmk.break_glass_grants g
   WHERE g.user_id = me AND g.conversation_id = p_conversation AND g.expires_at > now();
  IF active_until IS NOT NULL THEN
    RAISE EXCEPTION 'you already hold a break-glass grant for this conversation until %',
      to_char(active_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') USING ERRCODE = 'HM409';
  END IF;
  RETURN QUERY
  INSERT INTO hmk.break_glass_grants AS g (conversation_id, user_id, reason, expires_at)
  VALUES (p_conversation, me, p_reason, now() + make_interval(mins => p_minutes))
  RETURNING g.id, g.created_at, g.expires_at;
END $$;
