-- The serving login. The service used to log in as the owner (the RDS master user) and only start
-- each connection with `-c role=hmk_app`, so a `SET ROLE NONE` returned to the owner and bypassed
-- RLS. From here on it logs in as hmk_service: LOGIN, NOINHERIT, no attributes, owning nothing and
-- holding no privilege of its own, a member of hmk_app and hmk_push only (so it can SET ROLE to
-- them). A `SET ROLE NONE` on a serving connection leaves it unable to read anything.
-- On RDS it logs in with IAM database authentication tokens (membership in rds_iam); locally the
-- service sets a password on it from DB_SERVICE_PASSWORD after migrating.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hmk_service') THEN
    BEGIN
      CREATE ROLE hmk_service LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created concurrently by a migration of another database on the same server
    END;
  END IF;
END $$;

-- Roles are cluster-wide, so it may exist already; refuse one that could escape RLS. (Checked rather
-- than ALTERed: on RDS the migrating master user is not a superuser and may not touch SUPERUSER or
-- BYPASSRLS.)
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hmk_service'
             AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb OR rolreplication OR rolinherit OR NOT rolcanlogin)) THEN
    RAISE EXCEPTION 'role hmk_service exists with unsafe attributes; it must be LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION';
  END IF;
END $$;

GRANT hmk_app TO hmk_service;
GRANT hmk_push TO hmk_service;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO hmk_service;
  END IF;
END $$;

-- Nothing else: hmk_service gets no grant on the hmk schema, its tables or functions.
REVOKE ALL ON SCHEMA hmk FROM hmk_service;
