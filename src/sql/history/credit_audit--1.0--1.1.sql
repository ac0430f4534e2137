-- credit_audit 1.0 -> 1.1 (ALTER EXTENSION credit_audit UPDATE TO '1.1')
\echo Use "ALTER EXTENSION credit_audit UPDATE TO '1.1'" to load this file. \quit


-- guard: cross-statement cache invalidation
CREATE FUNCTION credit_audit.guard_config_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'ca_guard_config_changed'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION credit_audit.guard_config_changed() IS
  'AFTER STATEMENT trigger on guarded_table, program and score_rule: tells every session''s guard trigger that its cached configuration is stale (a relcache invalidation, sent at commit)';
REVOKE ALL ON FUNCTION credit_audit.guard_config_changed() FROM PUBLIC;
-- ALWAYS: a restore under session_replication_role = replica changes the configuration too
CREATE TRIGGER credit_audit_guard_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credit_audit.guarded_table
    FOR EACH STATEMENT EXECUTE FUNCTION credit_audit.guard_config_changed();
ALTER TABLE credit_audit.guarded_table ENABLE ALWAYS TRIGGER credit_audit_guard_config_changed;
CREATE TRIGGER credit_audit_guard_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credit_audit.program
    FOR EACH STATEMENT EXECUTE FUNCTION credit_audit.guard_config_changed();
ALTER TABLE credit_audit.program ENABLE ALWAYS TRIGGER credit_audit_guard_config_changed;
CREATE TRIGGER credit_audit_guard_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credit_audit.score_rule
    FOR EACH STATEMENT EXECUTE FUNCTION credit_audit.guard_config_changed();
ALTER TABLE credit_audit.score_rule ENABLE ALWAYS TRIGGER credit_audit_guard_config_changed;
