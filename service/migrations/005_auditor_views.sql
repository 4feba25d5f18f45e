-- Auditor views (P09; 164.312(b) audit review, 164.308(a)(1)(ii)(D) activity review).
--
-- The serving role may read the audit trail and the chain heads only while the acting user holds the auditor
-- role. The service checks the role too (requireRole); this is the second, independent check, so a route that
-- forgot it still returns no rows. Rows stay append-only: hmk_app gets SELECT, never UPDATE or DELETE.

-- The role test is wrapped in a sub-select so it runs once per statement (an InitPlan) instead of as a per-row
-- filter whose default selectivity (0.5%) turned keyset pages into a sequential scan and sort (measured: 50 ms
-- -> 2 ms for a 1000-row page of 20k rows).
CREATE POLICY audit_read ON hmk.audit_log FOR SELECT TO hmk_app USING ((SELECT hmk.has_role('auditor')));
CREATE POLICY audit_heads_read ON hmk.audit_chain_heads FOR SELECT TO hmk_app USING ((SELECT hmk.has_role('auditor')));
GRANT SELECT ON hmk.audit_log, hmk.audit_chain_heads TO hmk_app;

-- Reads by time (listing, export, verify by range; keyset on (at, id)), by actor (activity review) and by
-- target id (the access report: "who touched this conversation"). Each costs a little on every audited
-- request; the GIN index batches its writes in its pending list.
-- Built without CONCURRENTLY (migrations run in a transaction): on a large existing audit_log the build
-- blocks audit inserts, i.e. all traffic, for its duration. Apply in a maintenance window there.
CREATE INDEX audit_log_at_idx ON hmk.audit_log (at, id);
CREATE INDEX audit_log_actor_idx ON hmk.audit_log (actor_id, at, id);
CREATE INDEX audit_log_targets_idx ON hmk.audit_log USING gin (target_ids);
