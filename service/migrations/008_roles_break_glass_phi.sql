-- Roles and least privilege (P07), break-glass emergency access (P04, 164.312(a)(2)(ii)), patient PHI kept
-- apart from the directory (P06), and account closure.
--
-- Role checks here are the second line: the service checks first and answers 403/409 with a message naming
-- the field. A refusal raised here (insufficient_privilege) reaches a client only if the service's own check
-- was bypassed, and then reads as 404 like every other RLS refusal.

-- ---------------------------------------------------------------------------------------------
-- Account closure: the directory entry is de-identified in place (the id stays, so conversations,
-- messages and audit rows keep their references), and the user's later tokens are refused (the closed_at column
-- and hmk.begin_request's check on it are in 001).
-- Admin only: de-identify the entry (placeholder username, no display name, no public key, no devices).
-- Messages stay; the retention policy decides when they go.
CREATE FUNCTION hmk.close_account(p_contact uuid)
RETURNS TABLE (username text, closed_at timestamptz, devices_removed int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
DECLARE
  was_closed timestamptz;
  removed int;
  placeholder text := 'closed-' || replace(gen_random_uuid()::text, '-', '');
BEGIN
  IF hmk.user_id() IS NULL OR NOT hmk.has_role('admin') THEN
    RAISE EXCEPTION 'closing an account requires the admin role' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT c.closed_at INTO was_closed FROM hmk.contacts c WHERE c.id = p_contact FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'contact not found' USING ERRCODE = 'HM404';
  END IF;
  IF was_closed IS NOT NULL THEN
    RAISE EXCEPTION 'account already closed' USING ERRCODE = 'HM409';
  END IF;
  DELETE FROM hmk.devices d WHERE d.user_id = p_contact;
  GET DIAGNOSTICS removed = ROW_COUNT;
  DELETE FROM hmk.public_keys k WHERE k.user_id = p_contact;
  UPDATE hmk.contacts c SET username = placeholder, display_name = NULL, closed_at = now(), updated_at = now()
   WHERE c.id = p_contact;
  RETURN QUERY SELECT placeholder, now(), removed;
END $$;

-- Admin only: correct a directory display name (enterprise mode; the service refuses it in public mode).
CREATE FUNCTION hmk.admin_set_display_name(p_contact uuid, p_display_name text)
RETURNS TABLE (id uuid, username text, display_name text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
BEGIN
  IF hmk.user_id() IS NULL OR NOT hmk.has_role('admin') THEN
    RAISE EXCEPTION 'editing the directory requires the admin role' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF EXISTS (SELECT 1 FROM hmk.contacts c WHERE c.id = p_contact AND c.closed_at IS NOT NULL) THEN
    RAISE EXCEPTION 'account closed' USING ERRCODE = 'HM409';
  END IF;
  RETURN QUERY UPDATE hmk.contacts c SET display_name = p_display_name, updated_at = now()
                WHERE c.id = p_contact RETURNING c.id, c.username, c.display_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'contact not found' USING ERRCODE = 'HM404';
  END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Members (patients) may be limited to conversations with clinicians. The switch is the service's
-- configuration (MEMBERS_CLINICIANS_ONLY), passed in; the roles are the token's, set by begin_request.
-- A caller holding only the member role (or no role at all) is limited; the others' roles are their
-- directory roles. Closed accounts cannot be added.
CREATE FUNCTION hmk.create_conversation(p_others uuid[], p_end_to_end boolean, p_max_size int,
                                        p_members_clinicians_only boolean)
RETURNS TABLE (id uuid, created boolean) LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
#variable_conflict use_column
DECLARE
  me uuid := hmk.user_id();
  members uuid[];
  key text;
  conv uuid;
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'no acting user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT array_agg(DISTINCT u ORDER BY u) INTO members FROM unnest(p_others || me) AS u;
  IF cardinality(members) < 2 THEN
    RAISE EXCEPTION 'participantIds must name another user' USING ERRCODE = 'HM400';
  END IF;
  IF cardinality(members) > p_max_size THEN
    RAISE EXCEPTION 'participantIds exceeds the maximum group size of %', p_max_size USING ERRCODE = 'HM400';
  END IF;
  IF (SELECT count(*) FROM hmk.contacts c WHERE c.id = ANY (members) AND c.closed_at IS NULL) <> cardinality(members) THEN
    RAISE EXCEPTION 'participant not found' USING ERRCODE = 'HM404';
  END IF;
  IF p_members_clinicians_only
     AND NOT (hmk.has_role('clinician') OR hmk.has_role('admin') OR hmk.has_role('auditor'))
     AND EXISTS (SELECT 1 FROM hmk.contacts c WHERE c.id = ANY (members) AND c.id <> me AND c.role <> 'clinician') THEN
    RAISE EXCEPTION 'members may start conversations only with clinicians' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF cardinality(members) = 2 THEN
    key := array_to_string(members, ':') || CASE WHEN p_end_to_end THEN ':e2e' ELSE ':kms' END;
    SELECT c.id INTO conv FROM hmk.conversations c WHERE c.pair_key = key;
    IF FOUND THEN
      RETURN QUERY SELECT conv, false;
      RETURN;
    END IF;
  END IF;
  INSERT INTO hmk.conversations (kind, end_to_end, created_by, pair_key)
  VALUES (CASE WHEN cardinality(members) = 2 THEN 'direct' ELSE 'group' END, p_end_to_end, me, key)
  ON CONFLICT (pair_key) DO NOTHING
  RETURNING conversations.id INTO conv;
  IF conv IS NULL THEN -- a concurrent request created the same pair
    SELECT c.id INTO conv FROM hmk.conversations c WHERE c.pair_key = key;
    RETURN QUERY SELECT conv, false;
    RETURN;
  END IF;
  INSERT INTO hmk.participants (conversation_id, user_id) SELECT conv, u FROM unnest(members) AS u;
  RETURN QUERY SELECT conv, true;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Break-glass. Reads go through hmk.readable_conversation_ids() (004): own conversations plus any under
-- an unexpired grant while the grantee still holds admin or auditor. Writes keep hmk.my_conversation_ids().
DROP POLICY conversations_read ON hmk.conversations;
DROP POLICY participants_read ON hmk.participants;
DROP POLICY messages_read ON hmk.messages;
DROP POLICY bodies_read ON hmk.message_bodies;
CREATE POLICY conversations_read ON hmk.conversations FOR SELECT TO hmk_app
  USING (id IN (SELECT hmk.readable_conversation_ids()));
CREATE POLICY participants_read ON hmk.participants FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.readable_conversation_ids()));
CREATE POLICY messages_read ON hmk.messages FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.readable_conversation_ids()));
CREATE POLICY bodies_read ON hmk.message_bodies FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.readable_conversation_ids()));

-- Grants are reviewed (with their reasons) by admins and auditors; nobody changes or deletes one.
CREATE POLICY break_glass_review ON hmk.break_glass_grants FOR SELECT TO hmk_app
  USING (hmk.has_role('admin') OR hmk.has_role('auditor'));
GRANT SELECT ON hmk.break_glass_grants TO hmk_app;

-- Opens a grant. SECURITY DEFINER because the caller cannot see the conversation yet; it checks the role,
-- that the conversation exists, and that the caller is not already a participant. One active grant per person
-- and conversation: a second request while one is active is a 409 naming its expiry, not a second grant, notice
-- and high-severity row; concurrent requests serialise on a transaction lock for the pair.
CREATE FUNCTION hmk.open_break_glass(p_conversation uuid, p_reason text, p_minutes int)
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

-- The grant a read of `p_conversation` is made under: NULL when the acting user takes part in it (or has
-- no grant). On the read path, so every name is schema-qualified and there is no SET search_path.
CREATE FUNCTION hmk.break_glass_grant_for(p_conversation uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER AS $$
  SELECT g.id FROM hmk.break_glass_grants g
   WHERE g.user_id = hmk.user_id() AND g.conversation_id = p_conversation AND g.expires_at > now()
     AND (hmk.has_role('admin') OR hmk.has_role('auditor'))
     AND NOT EXISTS (SELECT 1 FROM hmk.participants p WHERE p.conversation_id = p_conversation AND p.user_id = hmk.user_id())
   ORDER BY g.expires_at DESC
   LIMIT 1
$$;

-- A page of messages, newest first, with the session check and the audit row (naming every message returned) in the
-- same statement. SECURITY INVOKER: the reads pass the caller's RLS. The caller's roles make a grant count, and a
-- read made under break-glass gets a distinct, high-severity audit row.
CREATE FUNCTION hmk.read_messages(p_user uuid, p_session text, p_idle_seconds int, p_roles text[], p_conversation uuid,
                                  p_before uuid, p_limit int, p_ip inet, p_user_agent text, p_request_id text)
RETURNS TABLE (id uuid, sender_id uuid, created_at timestamptz, scheme text, key_id text, encrypted_key bytea,
               iv bytea, ciphertext bytea, recalled boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  before_seq bigint := 9223372036854775807;
  ids text[] := '{}';
  grant_id uuid;
  r record;
BEGIN
  PERFORM hmk.begin_request(p_user, p_session, p_idle_seconds, p_roles);
  PERFORM 1 FROM hmk.conversations c WHERE c.id = p_conversation;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'HM404';
  END IF;
  IF 'admin' = ANY (p_roles) OR 'auditor' = ANY (p_roles) THEN
    grant_id := hmk.break_glass_grant_for(p_conversation);
  END IF;
  IF p_before IS NOT NULL THEN
    SELECT m.seq INTO before_seq FROM hmk.messages m WHERE m.id = p_before AND m.conversation_id = p_conversation;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'cursor not found' USING ERRCODE = 'HM404';
    END IF;
  END IF;
  FOR r IN
    -- A recalled message (012) keeps its place with no body.
    SELECT m.id, m.sender_id, m.created_at, b.scheme, b.key_id, b.encrypted_key, b.iv, b.ciphertext,
           EXISTS (SELECT 1 FROM hmk.recalls x WHERE x.message_id = m.id) AS recalled
      FROM hmk.messages m LEFT JOIN hmk.message_bodies b ON b.message_id = m.id
     WHERE m.conversation_id = p_conversation AND m.seq < before_seq
     ORDER BY m.seq DESC LIMIT p_limit
  LOOP
    ids := ids || r.id::text;
    id := r.id; sender_id := r.sender_id; created_at := r.created_at; scheme := r.scheme; key_id := r.key_id;
    encrypted_key := r.encrypted_key; iv := r.iv; ciphertext := r.ciphertext; recalled := r.recalled;
    RETURN NEXT;
  END LOOP;
  IF grant_id IS NULL THEN
    PERFORM hmk.audit('message.read', p_conversation::text || ids, p_ip, p_user_agent, 'ok', 200, p_request_id);
  ELSE
    PERFORM hmk.audit_event('message.read.break_glass', p_conversation::text || ids, p_ip, p_user_agent, 'ok', 200,
                            p_request_id, 'high', jsonb_build_object('grantId', grant_id));
  END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Patient profiles: PHI about a member (MRN, date of birth), one row per field, each sealed separately
-- with envelope encryption under the context `patient:<memberId>`. Nothing here is in the directory.
CREATE TABLE hmk.patient_profiles (
  member_id     uuid NOT NULL REFERENCES hmk.contacts (id),
  field         text NOT NULL CHECK (field IN ('mrn', 'dateOfBirth')),
  key_id        text NOT NULL,
  encrypted_key bytea NOT NULL,
  iv            bytea NOT NULL,
  ciphertext    bytea NOT NULL,
  updated_by    uuid NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (member_id, field)
);

-- Why each reveal happened. The reason may itself hold PHI, so it lives here, never in the audit row;
-- the audit row and this one share the request id.
CREATE TABLE hmk.patient_reveals (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  member_id  uuid NOT NULL REFERENCES hmk.contacts (id),
  user_id    uuid NOT NULL REFERENCES hmk.contacts (id),
  fields     text[] NOT NULL,
  reason     text NOT NULL CHECK (char_length(btrim(reason)) >= 10),
  request_id text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patient_reveals_member_idx ON hmk.patient_reveals (member_id, at);

-- The care relationship: the member themselves, or a clinician who shares a conversation with them that the
-- member started or has written in (a clinician starting a conversation with a member does not open the
-- member's profile). A break-glass grant is not a care relationship.
CREATE FUNCTION hmk.can_access_patient(p_member uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmk AS $$
  SELECT EXISTS (SELECT 1 FROM hmk.contacts c WHERE c.id = p_member AND c.role = 'member')
     AND (p_member = hmk.user_id()
          OR (hmk.has_role('clinician')
              AND EXISTS (SELECT 1 FROM hmk.participants mine
                            JOIN hmk.participants theirs USING (conversation_id)
                            JOIN hmk.conversations conv ON conv.id = mine.conversation_id
                           WHERE mine.user_id = hmk.user_id() AND theirs.user_id = p_member
                             AND (conv.created_by = p_member
                                  OR EXISTS (SELECT 1 FROM hmk.messages m
                                              WHERE m.conversation_id = conv.id AND m.sender_id = p_member)))))
$$;

ALTER TABLE hmk.patient_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE hmk.patient_reveals ENABLE ROW LEVEL SECURITY;
CREATE POLICY patient_profiles_care ON hmk.patient_profiles FOR ALL TO hmk_app
  USING (hmk.can_access_patient(member_id))
  WITH CHECK (hmk.can_access_patient(member_id) AND updated_by = hmk.user_id());
CREATE POLICY patient_reveals_write ON hmk.patient_reveals FOR INSERT TO hmk_app
  WITH CHECK (user_id = hmk.user_id() AND hmk.can_access_patient(member_id));
CREATE POLICY patient_reveals_review ON hmk.patient_reveals FOR SELECT TO hmk_app USING (hmk.has_role('auditor'));
GRANT SELECT, INSERT, UPDATE ON hmk.patient_profiles TO hmk_app;
GRANT SELECT, INSERT ON hmk.patient_reveals TO hmk_app;

-- ---------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION hmk.close_account(uuid), hmk.admin_set_display_name(uuid, text),
  hmk.create_conversation(uuid[], boolean, int, boolean), hmk.open_break_glass(uuid, text, int),
  hmk.break_glass_grant_for(uuid),
  hmk.read_messages(uuid, text, int, text[], uuid, uuid, int, inet, text, text),
  hmk.can_access_patient(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.close_account(uuid), hmk.admin_set_display_name(uuid, text),
  hmk.create_conversation(uuid[], boolean, int, boolean), hmk.open_break_glass(uuid, text, int),
  hmk.break_glass_grant_for(uuid),
  hmk.read_messages(uuid, text, int, text[], uuid, uuid, int, inet, text, text),
  hmk.can_access_patient(uuid) TO hmk_app;
