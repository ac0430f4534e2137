-- credit_audit 1.0 -> 1.1 (ALTER EXTENSION credit_audit UPDATE TO '1.1')
\echo Use "ALTER EXTENSION credit_audit UPDATE TO '1.1'" to load this file. \quit

-- audit: audit() in FROM runs as a streaming scan (src/audit_scan.c); its planner support
-- function gives a row estimate and loads the library at planning time.
CREATE FUNCTION credit_audit.audit_support(internal) RETURNS internal
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_audit_support';
COMMENT ON FUNCTION credit_audit.audit_support(internal) IS
  'planner support of audit(): row estimate (the size of credit_audit.finding); loading it lets the planner run audit() in FROM as a streaming scan';
ALTER FUNCTION credit_audit.audit(text) SUPPORT credit_audit.audit_support;
-- the scan can run in parallel workers, each reading its share of the guarded tables' blocks
ALTER FUNCTION credit_audit.audit(text) PARALLEL SAFE;
