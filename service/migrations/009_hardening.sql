-- Hardening after the part 2 review.

-- 1. No temporary objects for anyone but the owner. PostgreSQL resolves type names in the session's
--    temporary schema first, even inside SECURITY DEFINER functions that set search_path, so a serving
--    connection able to CREATE DOMAIN pg_temp.timestamptz (with a CHECK calling its own pg_temp function)
--    would run that function as the owner. The service never creates temporary objects.
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;

-- A future migration that forgets its REVOKE still leaves new functions closed to PUBLIC. (Global for the
-- migrating role in this database: a per-schema default can add privileges but not take back PUBLIC's EXECUTE.)
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- 2. A care relationship is something the member takes part in: a conversation the member created or has
--    written in. A clinician starting a conversation with a member no longer opens the member's profile.
CREATE OR REPLACE FUNCTION hmk.can_access_patient(p_member uuid) RETURNS boolean
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

-- 3. The organisation's default retention is recorded by the owner at start (from RETENTION_DAYS), so no
--    serving connection can choose the days the retention functions delete by. The functions keep their
--    p_default_days parameter for their callers but no longer use it.
CREATE TABLE hmk.retention_default (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  days        int NOT NULL CHECK (days BETWEEN 0 AND 36500),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE hmk.retention_default ENABLE ROW LEVEL SECURITY;
CREATE POLICY retention_default_read ON hmk.retention_default FOR SELECT TO hmk_app USING (true);
GRANT SELECT ON hmk.retention_default TO hmk_app;

-- The admin's setting, else the recorded default, else keep forever (never delete on a missing setting).
CREATE OR REPLACE FUNCTION hmk.retention_org_days(p_default_days int) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT coalesce((SELECT r.days FROM hmk.retention_policy r), (SELECT d.days FROM hmk.retention_default d), 0) $$;
