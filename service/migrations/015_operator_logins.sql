-- Bastion operators' own database logins (kit issue 16, pillar P02).
--
-- Each person in the kit's bastion.operators gets a LOGIN role of their own name (the start-up step,
-- src/db/operator-logins.ts, keeps them in step with BASTION_OPERATORS), authenticated on RDS by IAM tokens only
-- (rds_iam), so pgaudit names the person and nobody needs the master secret. This file holds what they share:
--
-- hmk_operator: what an operator may do, deliberately no PHI and no audit rows. Troubleshooting needs the server's
-- own views (sessions, locks, waits, statement statistics, sizes, settings: pg_monitor; the service's statements
-- are parameterised, so their text holds no values) and which migrations ran. It gets no table of the hmk schema:
-- messages, contacts and patients are PHI, and the audit log links people to conversations and source addresses;
-- auditors read it through the service's auditor views, which check the role and are audited themselves. A
-- person who needs more is given a break-glass grant in the service, not a wider database role.
--
-- hmk.operator_logins: every operator login the service created, and when it was disabled. Roles are never
-- dropped: a removed person's role is set NOLOGIN and kept, so pgaudit history and ownership still resolve to a name.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hmk_operator') THEN
    BEGIN
      CREATE ROLE hmk_operator NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created concurrently by a migration of another database on the same server
    END;
  END IF;
  -- Roles are cluster-wide, so it may exist already; refuse one that could log in or escape RLS.
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hmk_operator'
             AND (rolsuper OR rolbypassrls OR rolcanlogin OR rolcreaterole OR rolcreatedb OR rolreplication)) THEN
    RAISE EXCEPTION 'role hmk_operator exists with unsafe attributes; it must be NOLOGIN with no special attributes';
  END IF;
END $$;

GRANT pg_monitor TO hmk_operator;
GRANT USAGE ON SCHEMA hmk TO hmk_operator; -- names and definitions of objects (\d), never their rows
GRANT SELECT ON public.hmk_schema_migrations TO hmk_operator;

CREATE TABLE hmk.operator_logins (
  name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,31}$'),
  added_at   timestamptz NOT NULL DEFAULT now(),
  -- NULL while listed; set when the name left BASTION_OPERATORS (the role is then NOLOGIN).
  removed_at timestamptz
);
-- Only the owner (the start-up step) reads or writes it.
ALTER TABLE hmk.operator_logins ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON hmk.operator_logins FROM PUBLIC;
