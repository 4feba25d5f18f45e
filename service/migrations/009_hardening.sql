-- Database-wide hardening.

-- 1. No temporary objects for anyone but the owner. PostgreSQL resolves type names in the session's
--    temporary schema first, even inside SECURITY DEFINER functions that set search_path, so a serving
--    connection able to CREATE DOMAIN pg_temp.timestamptz (with a CHECK calling its own pg_temp function)
--    would run that function as the owner. The service never creates temporary objects.
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;

-- 2. A future migration that forgets its REVOKE still leaves new functions closed to PUBLIC. (Global for the
--    migrating role in this database: a per-schema default can add privileges but not take back PUBLIC's EXECUTE.)
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
