-- Roles in the database (P07), and audit rows that carry a severity and a de-identified detail.
--
-- Roles come from the token's cognito:groups. The service hands them to hmk.begin_request (001) with the
-- acting user, per transaction, and policies ask hmk.has_role(). Like hmk.user_id, they are only as
-- trustworthy as the serving login, which is why that login can do nothing else.

CREATE FUNCTION hmk.roles() RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting('hmk.roles', true), ''), ','), '{}') $$;

CREATE FUNCTION hmk.has_role(p_role text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT p_role = ANY (hmk.roles()) $$;

-- hmk.audit with a severity and a de-identified detail (the columns, and their place in the hash, are in 001).
-- SECURITY INVOKER: audit_write still pins the actor.
CREATE FUNCTION hmk.audit_event(p_action text, p_targets text[], p_ip inet, p_user_agent text, p_outcome text,
                                p_status int, p_request_id text, p_severity text, p_detail jsonb) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO hmk.audit_log (chain, seq, at, actor_id, action, target_ids, source_ip, user_agent, outcome, status,
                             request_id, prev_hash, hash, severity, detail)
  VALUES (0, 0, now(), hmk.user_id(), p_action, coalesce(p_targets, '{}'), p_ip, p_user_agent, p_outcome, p_status,
          p_request_id, '', '', p_severity, p_detail)
$$;

REVOKE ALL ON FUNCTION hmk.roles(), hmk.has_role(text),
  hmk.audit_event(text, text[], inet, text, text, int, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.roles(), hmk.has_role(text) TO hmk_app, hmk_push;
GRANT EXECUTE ON FUNCTION hmk.audit_event(text, text[], inet, text, text, int, text, text, jsonb) TO hmk_app;

-- ---------------------------------------------------------------------------------------------
-- Break-glass grants (P04, 164.312(a)(2)(ii)): an admin or auditor may read one conversation they are not
-- part of, for a limited window, after stating a reason. Rows are written by the break-glass route's function;
-- the reason stays here (it may itself hold PHI) and never enters the audit row or a notification.
CREATE TABLE hmk.break_glass_grants (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES hmk.conversations (id),
  user_id         uuid NOT NULL REFERENCES hmk.contacts (id),
  reason          text NOT NULL CHECK (char_length(reason) >= 20),
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  CHECK (expires_at > created_at)
);
CREATE INDEX break_glass_user_idx ON hmk.break_glass_grants (user_id, expires_at);
ALTER TABLE hmk.break_glass_grants ENABLE ROW LEVEL SECURITY;

-- Conversations the acting user may READ: their own, plus any under an unexpired grant while they still hold
-- the admin or auditor role. Writes keep using hmk.my_conversation_ids() (break-glass never sends).
-- On the read path of every policy that uses it: UNION ALL (duplicates do not matter to IN) and no SET search_path
-- (every name is schema-qualified), as for the hot-path functions in 001.
CREATE FUNCTION hmk.readable_conversation_ids() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER AS $$
  SELECT p.conversation_id FROM hmk.participants p WHERE p.user_id = hmk.user_id()
  UNION ALL
  SELECT g.conversation_id FROM hmk.break_glass_grants g
   WHERE g.user_id = hmk.user_id() AND g.expires_at > now() AND (hmk.has_role('admin') OR hmk.has_role('auditor'))
$$;

-- Whether the acting user reads `p_conversation` only through a grant (so the read is audited as break-glass).
CREATE FUNCTION hmk.reads_under_break_glass(p_conversation uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, hmk AS $$
  SELECT NOT EXISTS (SELECT 1 FROM hmk.participants WHERE conversation_id = p_conversation AND user_id = hmk.user_id())
     AND p_conversation IN (SELECT hmk.readable_conversation_ids())
$$;

REVOKE ALL ON FUNCTION hmk.readable_conversation_ids(), hmk.reads_under_break_glass(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hmk.readable_conversation_ids(), hmk.reads_under_break_glass(uuid) TO hmk_app;
