SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

-- audit() against a plain-SQL formulation of the same rules on the shared generated data set
-- (district scale: 20,000 enterprises, 5,000 sanctions, 100,000 grants in credit_audit.subsidy,
-- loaded with triggers off, so no finding exists until the sweep writes them).

\set grants 100000
\i test/data/generate.sql

SELECT count(*) AS grants FROM credit_audit.subsidy;
SELECT count(*) AS sanctions, count(*) FILTER (WHERE removal_reason = 'revoked') AS revoked
  FROM credit_audit.sanction;
SELECT count(*) AS findings_before FROM credit_audit.finding;
SELECT tbl, date_column, mode FROM credit_audit.guarded_table ORDER BY tbl::text;

-- DESIGN.md "Findings and audit", in plain SQL over the one guarded table
CREATE TEMP VIEW audit_sql AS
SELECT 'credit_audit.subsidy'::text AS source_table, g.id::text AS source_key, g.uscc,
       g.program, g.applied_on AS grant_date, g.amount::numeric AS amount,
       s.id AS sanction_id,
       CASE WHEN s.listed_on <= g.applied_on THEN 'paid_while_listed' ELSE 'retroactive' END AS kind
  FROM credit_audit.subsidy g
  JOIN credit_audit.sanction s
    ON s.uscc OPERATOR(credit_audit.=) g.uscc
   AND s.removal_reason IS DISTINCT FROM 'revoked'
   AND s.fact_date <= g.applied_on
   AND g.applied_on < coalesce(s.removed_on, 'infinity');

-- the data set has findings of both kinds (values fixed by the generator)
SELECT kind, count(*), sum(amount) FROM audit_sql GROUP BY kind ORDER BY kind;
SELECT kind, count(*), sum(amount) FROM credit_audit.audit() GROUP BY kind ORDER BY kind;

-- row for row, both ways, duplicates included: 0 differences
SELECT count(*) AS only_in_audit FROM (
    SELECT source_table, source_key, uscc::text, program, grant_date, amount, sanction_id, kind
      FROM credit_audit.audit('fact')
    EXCEPT ALL
    SELECT source_table, source_key, uscc::text, program, grant_date, amount, sanction_id, kind
      FROM audit_sql) d;
SELECT count(*) AS only_in_sql FROM (
    SELECT source_table, source_key, uscc::text, program, grant_date, amount, sanction_id, kind
      FROM audit_sql
    EXCEPT ALL
    SELECT source_table, source_key, uscc::text, program, grant_date, amount, sanction_id, kind
      FROM credit_audit.audit('fact')) d;
-- audit() in FROM runs as the streaming scan (src/audit_scan.c); called as a function (the
-- scan off) it returns the same rows in the same order (one process: parallel plans return
-- them in another order)
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT count(*) FROM credit_audit.audit('fact');
SET credit_audit.enable_audit_scan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM credit_audit.audit('fact');
CREATE TEMP TABLE audit_called AS
SELECT row_number() OVER () AS n, a.* FROM credit_audit.audit('fact') a;
RESET credit_audit.enable_audit_scan;
CREATE TEMP TABLE audit_scanned AS
SELECT row_number() OVER () AS n, a.* FROM credit_audit.audit('fact') a;
SELECT (SELECT count(*) FROM audit_called) AS called,
       (SELECT count(*) FROM audit_scanned) AS scanned,
       (SELECT count(*) FROM audit_called c FULL JOIN audit_scanned s USING (n)
         WHERE (c.*)::text IS DISTINCT FROM (s.*)::text) AS differing_rows;
-- the parallel scan: the same rows (participants share the table's blocks, each with all the
-- sanctions), in any order
RESET max_parallel_workers_per_gather;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT * FROM credit_audit.audit('fact');
SELECT count(*) AS differences FROM (
    (SELECT * FROM credit_audit.audit('fact') EXCEPT ALL SELECT source_table, source_key, uscc,
        program, grant_date, amount, sanction_id, kind FROM audit_called)
    UNION ALL
    (SELECT source_table, source_key, uscc, program, grant_date, amount, sanction_id, kind
       FROM audit_called EXCEPT ALL SELECT * FROM credit_audit.audit('fact'))) d;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- basis listing: exactly the paid_while_listed rows
SELECT count(*) AS listing_diff FROM (
    (SELECT source_key, sanction_id, kind FROM credit_audit.audit('listing')
     EXCEPT ALL
     SELECT source_key, sanction_id, kind FROM audit_sql WHERE kind = 'paid_while_listed')
    UNION ALL
    (SELECT source_key, sanction_id, kind FROM audit_sql WHERE kind = 'paid_while_listed'
     EXCEPT ALL
     SELECT source_key, sanction_id, kind FROM credit_audit.audit('listing'))) d;

-- refresh_findings() writes them all, then nothing
SELECT credit_audit.refresh_findings() = (SELECT count(*) FROM audit_sql) AS refreshed_all;
SELECT credit_audit.refresh_findings() AS second_refresh;
SELECT count(*) AS finding_diff FROM (
    (SELECT source_table, source_key, sanction_id, kind FROM credit_audit.finding
     EXCEPT ALL
     SELECT source_table, source_key, sanction_id, kind FROM audit_sql)
    UNION ALL
    (SELECT source_table, source_key, sanction_id, kind FROM audit_sql
     EXCEPT ALL
     SELECT source_table, source_key, sanction_id, kind FROM credit_audit.finding)) d;

-- the trigger, bulk: one statement lists 2,000 more enterprises (the subsidy table is read once,
-- sequentially); the findings it writes are exactly the sweep's rows for those sanctions
SELECT max(id) AS last_sanction FROM credit_audit.sanction \gset
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
SELECT e.uscc, 'market', 'audit_test_bulk', 'general', DATE '2017-01-01', DATE '2018-06-01'
  FROM (SELECT uscc FROM credit_audit.enterprise ORDER BY uscc LIMIT 2000) e;
SELECT count(*) > 0 AS bulk_found_some FROM credit_audit.finding WHERE sanction_id > :last_sanction;
SELECT count(*) AS bulk_diff FROM (
    (SELECT source_key, sanction_id, kind FROM credit_audit.finding WHERE sanction_id > :last_sanction
     EXCEPT ALL
     SELECT source_key, sanction_id, kind FROM audit_sql WHERE sanction_id > :last_sanction)
    UNION ALL
    (SELECT source_key, sanction_id, kind FROM audit_sql WHERE sanction_id > :last_sanction
     EXCEPT ALL
     SELECT source_key, sanction_id, kind FROM credit_audit.finding WHERE sanction_id > :last_sanction)) d;

-- the trigger, one enterprise: probes subsidy_uscc_idx instead of reading the table
SELECT max(id) AS last_sanction FROM credit_audit.sanction \gset
SELECT uscc AS busy FROM credit_audit.subsidy GROUP BY uscc ORDER BY count(*) DESC, uscc LIMIT 1 \gset
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES (:'busy', 'tax', 'audit_test_one', 'serious', DATE '2016-01-01', DATE '2020-01-01');
SELECT count(*) > 0 AS one_found_some FROM credit_audit.finding WHERE sanction_id > :last_sanction;
SELECT count(*) AS one_diff FROM (
    (SELECT source_key, sanction_id, kind FROM credit_audit.finding WHERE sanction_id > :last_sanction
     EXCEPT ALL
     SELECT source_key, sanction_id, kind FROM audit_sql WHERE sanction_id > :last_sanction)
    UNION ALL
    (SELECT source_key, sanction_id, kind FROM audit_sql WHERE sanction_id > :last_sanction
     EXCEPT ALL
     SELECT source_key, sanction_id, kind FROM credit_audit.finding WHERE sanction_id > :last_sanction)) d;

-- and the sweep still adds nothing: trigger and sweep agree
SELECT credit_audit.refresh_findings() AS after_triggers;
