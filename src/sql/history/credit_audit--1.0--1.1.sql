-- credit_audit 1.0 -> 1.1 (ALTER EXTENSION credit_audit UPDATE TO '1.1')
\echo Use "ALTER EXTENSION credit_audit UPDATE TO '1.1'" to load this file. \quit

-- audit: audit() in FROM runs as a streaming scan (src/audit_scan.c); its planner support
-- function gives a row estimate and loads the library at planning time.
CREATE FUNCTION credit_audit.audit_support(internal) RETURNS internal
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_audit_support';
COMMENT ON FUNCTION credit_audit.audit_support(internal) IS
  'planner support of audit(): row estimate (the size of credit_audit.finding, or while it is empty the guarded rows times the share of enterprises with a listing); loading it lets the planner run audit() in FROM as a streaming scan';
ALTER FUNCTION credit_audit.audit(text) SUPPORT credit_audit.audit_support;
-- the scan can run in parallel workers, each reading its share of the guarded tables' blocks
ALTER FUNCTION credit_audit.audit(text) PARALLEL SAFE;

-- guard: a dropped guarded table leaves no registration behind (event trigger)
CREATE FUNCTION credit_audit.forget_dropped_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM credit_audit.guarded_table g
     USING pg_catalog.pg_event_trigger_dropped_objects() d
     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.objsubid OPERATOR(pg_catalog.=) 0
       AND g.tbl::pg_catalog.oid OPERATOR(pg_catalog.=) d.objid;
END
$$;
COMMENT ON FUNCTION credit_audit.forget_dropped_tables() IS
  'event trigger (sql_drop): removes the guarded_table registration of a dropped table, whoever drops it';
REVOKE ALL ON FUNCTION credit_audit.forget_dropped_tables() FROM PUBLIC;

CREATE EVENT TRIGGER credit_audit_forget_dropped_tables ON sql_drop
    EXECUTE FUNCTION credit_audit.forget_dropped_tables();

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

-- 1.0 left the registration of a dropped guarded table behind, naming an OID that another table
-- may take later: forget those whose table is gone (1.1's event trigger does it from now on).
DELETE FROM credit_audit.guarded_table g
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c
                    WHERE c.oid OPERATOR(pg_catalog.=) g.tbl::pg_catalog.oid);

-- comments made exact
COMMENT ON FUNCTION credit_audit.guard_trigger() IS
  'BEFORE INSERT OR UPDATE row trigger attached by guard(): refuses (block) or lets in and records (record) grants to ineligible enterprises; in both modes writes the findings a row it lets in already reveals (paid_while_listed under a non-blocking listing, retroactive)';
COMMENT ON COLUMN credit_audit.sanction_quarantine.quarantined_by IS 'session user (the login role, not a role taken with SET ROLE) that ran ingest_sanctions()';
