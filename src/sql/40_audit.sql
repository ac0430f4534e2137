-- credit_audit: findings when listings arrive (the sanction trigger) and the audit sweep
-- (DESIGN.md "Findings and audit"; implementation in src/audit.c and src/finding.c).

CREATE FUNCTION credit_audit.sanction_audit() RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'ca_sanction_audit_trigger';
COMMENT ON FUNCTION credit_audit.sanction_audit() IS
  'trigger: writes the findings of new or changed sanctions over every guarded table, dismisses those of revoked ones, and notifies credit_audit_findings';

CREATE FUNCTION credit_audit.sanction_lock() RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'ca_sanction_lock_trigger';
COMMENT ON FUNCTION credit_audit.sanction_lock() IS
  'trigger: locks the enterprise row FOR UPDATE before a sanction of it is written, so concurrent grant writers are seen or see the sanction';

CREATE TRIGGER sanction_lock
    BEFORE INSERT OR UPDATE ON credit_audit.sanction
    FOR EACH ROW EXECUTE FUNCTION credit_audit.sanction_lock();

-- Statement level with a transition table: a statement inserting 500k sanctions scans each
-- guarded table once.  (A trigger with a transition table may have only one event, hence two.)
CREATE TRIGGER sanction_audit_insert
    AFTER INSERT ON credit_audit.sanction
    REFERENCING NEW TABLE AS ca_new
    FOR EACH STATEMENT EXECUTE FUNCTION credit_audit.sanction_audit();
CREATE TRIGGER sanction_audit_update
    AFTER UPDATE ON credit_audit.sanction
    REFERENCING NEW TABLE AS ca_new
    FOR EACH STATEMENT EXECUTE FUNCTION credit_audit.sanction_audit();

CREATE FUNCTION credit_audit.audit_support(internal) RETURNS internal
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_audit_support';
COMMENT ON FUNCTION credit_audit.audit_support(internal) IS
  'planner support of audit(): row estimate (the size of credit_audit.finding, or while it is empty the guarded rows times the share of enterprises with a listing); loading it lets the planner run audit() in FROM as a streaming scan';

CREATE FUNCTION credit_audit.audit(basis text DEFAULT 'fact')
RETURNS TABLE (source_table text, source_key text, uscc credit_audit.uscc, program text,
               grant_date date, amount numeric, sanction_id bigint, kind text)
LANGUAGE c STABLE STRICT PARALLEL SAFE
SUPPORT credit_audit.audit_support
AS 'MODULE_PATHNAME', 'ca_audit';
COMMENT ON FUNCTION credit_audit.audit(text) IS
  'read-only sweep of every guarded table (whatever its mode) against every non-revoked sanction: one row per (grant, sanction, kind); basis fact reports retroactive and paid_while_listed, basis listing only paid_while_listed';

CREATE FUNCTION credit_audit.refresh_findings() RETURNS bigint
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'ca_refresh_findings';
COMMENT ON FUNCTION credit_audit.refresh_findings() IS
  'runs the audit sweep (basis fact) and adds the findings that are missing; returns how many were added (0 when run twice)';
