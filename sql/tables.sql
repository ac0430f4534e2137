SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;
-- tables: the data model (DESIGN.md "Reference and fact tables") -- shipped rows, every
-- constraint with its SQLSTATE, constraint name and message, the re-insert of shipped keys
-- (config_upsert), and the pg_extension_config_dump registrations that make pg_dump keep rows.

-- ---- shipped rows ----
SELECT code, name FROM credit_audit.department ORDER BY code;
SELECT category, severity, points, recovery_days FROM credit_audit.score_rule ORDER BY category, severity;
SELECT enumlabel FROM pg_enum WHERE enumtypid = 'credit_audit.severity'::regtype ORDER BY enumsortorder;
SELECT 'minor'::credit_audit.severity < 'general' AS minor_lt_general,
       'general'::credit_audit.severity < 'serious' AS general_lt_serious;

-- ---- structure: keys, foreign keys and checks of the data model ----
SELECT conrelid::regclass AS tbl, conname, contype, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint
 WHERE conrelid IN ('credit_audit.department'::regclass, 'credit_audit.enterprise'::regclass,
                    'credit_audit.sanction'::regclass, 'credit_audit.program'::regclass,
                    'credit_audit.subsidy'::regclass, 'credit_audit.score_rule'::regclass,
                    'credit_audit.credit_event'::regclass, 'credit_audit.finding'::regclass)
 ORDER BY conrelid::regclass::text, conname;
-- the lookups by enterprise (and date) are served by an index whose leading column is uscc
SELECT tablename, indexdef FROM pg_indexes
 WHERE schemaname = 'credit_audit'
   AND tablename IN ('enterprise', 'sanction', 'subsidy', 'credit_event', 'finding')
 ORDER BY tablename, indexname;

-- ---- pg_dump keeps the rows of every table and the position of every sequence ----
SELECT x.reloid::regclass AS registered, x.condition
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(reloid, condition)
 WHERE e.extname = 'credit_audit'
 ORDER BY x.reloid::regclass::text;
-- every table and sequence the extension owns is registered (expected: no rows)
SELECT c.oid::regclass AS not_registered
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'credit_audit')
   AND d.deptype = 'e'
   AND c.relkind IN ('r', 'p', 'S')
   AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'credit_audit')::oid[])
 ORDER BY c.oid::regclass::text;

-- ---- config_upsert: re-inserting a shipped key updates it (this is what a restore does) ----
INSERT INTO credit_audit.department (code, name) VALUES ('tax', '国家税务总局杭州市滨江区税务局');
INSERT INTO credit_audit.department (code, name) VALUES ('audit', '审计');
INSERT INTO credit_audit.score_rule (category, severity, points, recovery_days) VALUES ('*', 'minor', 8, 120);
INSERT INTO credit_audit.score_rule (category, severity, points, recovery_days)
VALUES ('major_tax_violation', 'serious', 60, 1095);
-- the default category is '*'
INSERT INTO credit_audit.score_rule (severity, points, recovery_days) VALUES ('general', 25, 400);
-- COPY, as pg_restore loads the dumped rows after CREATE EXTENSION shipped its own
COPY credit_audit.department (code, name) FROM stdin;
market	市场监督管理
commerce	商务
\.
COPY credit_audit.score_rule (category, severity, points, recovery_days) FROM stdin;
*	serious	45	700
\.
SELECT code, name FROM credit_audit.department ORDER BY code;
SELECT category, severity, points, recovery_days FROM credit_audit.score_rule ORDER BY category, severity;
-- also under session_replication_role = replica, the way a dump is restored (enabled ALWAYS)
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO credit_audit.department (code, name) VALUES ('hrss', '人社');
SELECT code, name FROM credit_audit.department WHERE code = 'hrss';
ROLLBACK;
-- the trigger exists for these two tables only
SELECT tgrelid::regclass, tgname, tgenabled FROM pg_trigger
 WHERE tgfoid = 'credit_audit.config_upsert()'::regprocedure ORDER BY tgrelid::regclass::text;

-- ---- constraint violations ----
-- try(statement): runs it and reports SQLSTATE, constraint name and message of its error.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; cn text; msg text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, msg = MESSAGE_TEXT;
    RETURN st || ' ' || coalesce(nullif(cn, ''), '-') || ': ' || msg;
END
$$;

INSERT INTO credit_audit.enterprise (uscc, name) VALUES
    ('91330000733796106P', '浙江某科技有限公司'),
    ('91330100716105852F', '杭州某网络有限公司');
INSERT INTO credit_audit.program (code, name, department) VALUES ('rent_subsidy', '房租补贴', 'econ');
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91330000733796106P', 'tax', 'major_tax_violation', 'serious', '2018-06-15', '2019-02-20');

SELECT t.what, pg_temp.try(t.stmt) AS result
  FROM (VALUES
    -- department
    (1, 'department: code not lower-case identifier',
        $$INSERT INTO credit_audit.department VALUES ('Tax Bureau', '税务局')$$),
    (2, 'department: empty name',
        $$INSERT INTO credit_audit.department VALUES ('civil', '')$$),
    (3, 'department: name without code',
        $$INSERT INTO credit_audit.department (name) VALUES ('民政')$$),
    (4, 'department: name already used by another code',
        $$INSERT INTO credit_audit.department VALUES ('civil', '财政')$$),
    -- enterprise
    (10, 'enterprise: duplicate uscc',
        $$INSERT INTO credit_audit.enterprise VALUES ('91330000733796106P', '重复')$$),
    (11, 'enterprise: duplicate uscc, other spelling',
        $$INSERT INTO credit_audit.enterprise VALUES (' 91330000733796106p ', '重复')$$),
    (12, 'enterprise: invalid uscc',
        $$INSERT INTO credit_audit.enterprise VALUES ('91330000733796106Q', '无效')$$),
    (13, 'enterprise: no name',
        $$INSERT INTO credit_audit.enterprise VALUES ('914403001922038216', NULL)$$),
    -- sanction
    (20, 'sanction: listed before the fact',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
          VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'general', '2019-03-01', '2019-02-01')$$),
    (21, 'sanction: removed before listed',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
          VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'general', '2019-01-01', '2019-02-01', '2019-01-31', 'repaired')$$),
    (22, 'sanction: removal_reason without removed_on',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on, removal_reason)
          VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'general', '2019-01-01', '2019-02-01', 'repaired')$$),
    (23, 'sanction: removed_on without removal_reason',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on, removed_on)
          VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'general', '2019-01-01', '2019-02-01', '2020-02-01')$$),
    (24, 'sanction: unknown removal_reason',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
          VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'general', '2019-01-01', '2019-02-01', '2020-02-01', 'pardoned')$$),
    (25, 'sanction: unknown department',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
          VALUES ('91330100716105852F', 'police', 'wage_arrears', 'general', '2019-01-01', '2019-02-01')$$),
    (26, 'sanction: unknown enterprise',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
          VALUES ('914403001922038216', 'hrss', 'wage_arrears', 'general', '2019-01-01', '2019-02-01')$$),
    (27, 'sanction: unknown severity',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
          VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'fatal', '2019-01-01', '2019-02-01')$$),
    (28, 'sanction: empty category',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
          VALUES ('91330100716105852F', 'hrss', '', 'general', '2019-01-01', '2019-02-01')$$),
    (29, 'sanction: no fact_date',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, listed_on)
          VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'general', '2019-02-01')$$),
    (30, 'sanction: duplicate natural key (uscc, department, category, fact_date)',
        $$INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
          VALUES ('91330000733796106P', 'tax', 'major_tax_violation', 'general', '2018-06-15', '2019-03-01')$$),
    -- program
    (40, 'program: min_score above 100',
        $$INSERT INTO credit_audit.program (code, name, min_score) VALUES ('p1', '奖励', 100.5)$$),
    (41, 'program: min_score below 0',
        $$INSERT INTO credit_audit.program (code, name, min_score) VALUES ('p1', '奖励', -1)$$),
    (42, 'program: unknown department',
        $$INSERT INTO credit_audit.program (code, name, department) VALUES ('p1', '奖励', 'police')$$),
    (43, 'program: no name',
        $$INSERT INTO credit_audit.program (code, name) VALUES ('p1', NULL)$$),
    (44, 'program: duplicate code',
        $$INSERT INTO credit_audit.program (code, name) VALUES ('rent_subsidy', '房租补贴二')$$),
    -- subsidy
    (50, 'subsidy: negative amount',
        $$INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
          VALUES ('91330100716105852F', 'rent_subsidy', '2020-01-01', -0.01)$$),
    (51, 'subsidy: granted before applied',
        $$INSERT INTO credit_audit.subsidy (uscc, program, applied_on, granted_on, amount)
          VALUES ('91330100716105852F', 'rent_subsidy', '2020-01-01', '2019-12-31', 1000)$$),
    (52, 'subsidy: no applied_on',
        $$INSERT INTO credit_audit.subsidy (uscc, program, amount)
          VALUES ('91330100716105852F', 'rent_subsidy', 1000)$$),
    (53, 'subsidy: amount with more than 14 integer digits',
        $$INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
          VALUES ('91330100716105852F', 'rent_subsidy', '2020-01-01', 1e14)$$),
    -- score_rule
    (60, 'score_rule: negative points',
        $$INSERT INTO credit_audit.score_rule VALUES ('wage_arrears', 'minor', -1, 0)$$),
    (61, 'score_rule: negative recovery_days',
        $$INSERT INTO credit_audit.score_rule VALUES ('wage_arrears', 'minor', 1, -1)$$),
    (62, 'score_rule: no severity',
        $$INSERT INTO credit_audit.score_rule (category, points) VALUES ('wage_arrears', 1)$$),
    -- credit_event
    (70, 'credit_event: valid_days 0',
        $$INSERT INTO credit_audit.credit_event (uscc, event_date, points, valid_days)
          VALUES ('91330100716105852F', '2020-01-01', 5, 0)$$),
    (71, 'credit_event: valid_days negative',
        $$INSERT INTO credit_audit.credit_event (uscc, event_date, points, valid_days)
          VALUES ('91330100716105852F', '2020-01-01', 5, -30)$$),
    (72, 'credit_event: unknown department',
        $$INSERT INTO credit_audit.credit_event (uscc, event_date, points, department)
          VALUES ('91330100716105852F', '2020-01-01', 5, 'police')$$),
    (73, 'credit_event: unknown enterprise',
        $$INSERT INTO credit_audit.credit_event (uscc, event_date, points)
          VALUES ('914403001922038216', '2020-01-01', 5)$$),
    -- finding
    (80, 'finding: unknown kind',
        $$INSERT INTO credit_audit.finding (kind, source_table, source_key, uscc, grant_date, amount)
          VALUES ('late', 'public.grants', '1', '91330100716105852F', '2020-01-01', 1)$$),
    (81, 'finding: unknown status',
        $$INSERT INTO credit_audit.finding (kind, source_table, source_key, uscc, grant_date, amount, status)
          VALUES ('low_score', 'public.grants', '1', '91330100716105852F', '2020-01-01', 1, 'closed')$$),
    (82, 'finding: low_score with a sanction',
        $$INSERT INTO credit_audit.finding (kind, source_table, source_key, uscc, grant_date, amount, sanction_id)
          VALUES ('low_score', 'public.grants', '1', '91330100716105852F', '2020-01-01', 1,
                  (SELECT min(id) FROM credit_audit.sanction))$$),
    (83, 'finding: paid_while_listed without a sanction',
        $$INSERT INTO credit_audit.finding (kind, source_table, source_key, uscc, grant_date, amount)
          VALUES ('paid_while_listed', 'public.grants', '1', '91330100716105852F', '2020-01-01', 1)$$),
    (84, 'finding: unknown sanction',
        $$INSERT INTO credit_audit.finding (kind, source_table, source_key, uscc, grant_date, amount, sanction_id)
          VALUES ('retroactive', 'public.grants', '1', '91330100716105852F', '2020-01-01', 1, -1)$$),
    -- guarded_table (written by guard(); its checks hold for direct writes too)
    (90, 'guarded_table: unknown mode',
        $$INSERT INTO credit_audit.guarded_table (tbl, uscc_column, uscc_attnum, date_column, date_attnum,
              amount_column, amount_attnum, program, key_columns, key_attnums, mode)
          VALUES ('credit_audit.enterprise', 'uscc', 1, 'name', 2, 'name', 2, 'rent_subsidy', '{uscc}', '{1}', 'warn')$$),
    (91, 'guarded_table: both program and program_column',
        $$INSERT INTO credit_audit.guarded_table (tbl, uscc_column, uscc_attnum, date_column, date_attnum,
              amount_column, amount_attnum, program, program_column, program_attnum, key_columns, key_attnums)
          VALUES ('credit_audit.enterprise', 'uscc', 1, 'name', 2, 'name', 2, 'rent_subsidy', 'name', 2, '{uscc}', '{1}')$$),
    (92, 'guarded_table: neither program nor program_column',
        $$INSERT INTO credit_audit.guarded_table (tbl, uscc_column, uscc_attnum, date_column, date_attnum,
              amount_column, amount_attnum, key_columns, key_attnums)
          VALUES ('credit_audit.enterprise', 'uscc', 1, 'name', 2, 'name', 2, '{uscc}', '{1}')$$),
    (93, 'guarded_table: unknown program',
        $$INSERT INTO credit_audit.guarded_table (tbl, uscc_column, uscc_attnum, date_column, date_attnum,
              amount_column, amount_attnum, program, key_columns, key_attnums)
          VALUES ('credit_audit.enterprise', 'uscc', 1, 'name', 2, 'name', 2, 'nosuch', '{uscc}', '{1}')$$),
    -- sanction_quarantine
    (100, 'sanction_quarantine: unknown reason',
        $$INSERT INTO credit_audit.sanction_quarantine (reason, message, loaded_by, loaded_at, quarantined_by)
          VALUES ('looks_odd', 'x', 'loader', '2020-01-01', 'loader')$$),
    (101, 'sanction_quarantine: no message',
        $$INSERT INTO credit_audit.sanction_quarantine (reason, loaded_by, loaded_at, quarantined_by)
          VALUES ('invalid_uscc', 'loader', '2020-01-01', 'loader')$$)
  ) AS t(n, what, stmt)
 ORDER BY t.n;

-- what the user sees for two common mistakes (the second is caught by the guard trigger of
-- credit_audit.subsidy before the foreign key)
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on, recorded_at)
VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'general', '2019-03-01', '2019-02-01', '2019-02-01 09:00+08');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
VALUES ('91330100716105852F', 'nosuch', '2020-01-01', 1000);
\echo :LAST_ERROR_SQLSTATE

-- finding: a low_score finding has no sanction, and NULLS NOT DISTINCT makes it unique all the same
INSERT INTO credit_audit.finding (kind, source_table, source_key, uscc, grant_date, amount)
VALUES ('low_score', 'public.grants', '1', '91330100716105852F', '2020-01-01', 1);
SELECT pg_temp.try($$INSERT INTO credit_audit.finding (kind, source_table, source_key, uscc, grant_date, amount)
                     VALUES ('low_score', 'public.grants', '1', '91330100716105852F', '2020-02-01', 2)$$) AS duplicate_low_score;
SELECT kind, source_table, source_key, uscc, program, grant_date, amount, sanction_id, status
  FROM credit_audit.finding WHERE source_table = 'public.grants';

-- nothing above got in
SELECT (SELECT count(*) FROM credit_audit.enterprise) AS enterprises,
       (SELECT count(*) FROM credit_audit.sanction) AS sanctions,
       (SELECT count(*) FROM credit_audit.subsidy) AS subsidies,
       (SELECT count(*) FROM credit_audit.credit_event) AS events,
       (SELECT count(*) FROM credit_audit.program) AS programs,
       (SELECT count(*) FROM credit_audit.guarded_table) AS guarded_tables,
       (SELECT count(*) FROM credit_audit.sanction_quarantine) AS quarantined;

-- ---- the generator respects every constraint (triggers and FK checks are off while it loads) ----
-- (it adds to the two enterprises, one sanction and one program above)
\set scale small
\set enterprises 300
\set sanctions 120
\set events 200
\set grants 1500
\i test/data/generate.sql
SELECT (SELECT count(*) FROM credit_audit.enterprise) AS enterprises,
       (SELECT count(*) FROM credit_audit.sanction) AS sanctions,
       (SELECT count(*) FROM credit_audit.subsidy) AS subsidies,
       (SELECT count(*) FROM credit_audit.credit_event) AS events,
       (SELECT count(*) FROM credit_audit.program) AS programs;
SHOW session_replication_role;
-- foreign keys hold although they were not checked while loading (uscc's = lives in credit_audit)
SET search_path = public, credit_audit;
SELECT (SELECT count(*) FROM credit_audit.sanction s
         WHERE NOT EXISTS (SELECT FROM credit_audit.enterprise e WHERE e.uscc = s.uscc)) AS sanction_orphans,
       (SELECT count(*) FROM credit_audit.subsidy s
         WHERE NOT EXISTS (SELECT FROM credit_audit.enterprise e WHERE e.uscc = s.uscc)
            OR NOT EXISTS (SELECT FROM credit_audit.program p WHERE p.code = s.program)) AS subsidy_orphans,
       (SELECT count(*) FROM credit_audit.credit_event v
         WHERE NOT EXISTS (SELECT FROM credit_audit.enterprise e WHERE e.uscc = v.uscc)) AS event_orphans;
RESET search_path;
-- the generated programs and what the data looks like
SELECT code, name, department, min_score, blocking_severity FROM credit_audit.program ORDER BY code;
SELECT department, count(*) AS sanctions, count(DISTINCT category) AS categories,
       count(*) FILTER (WHERE removal_reason = 'repaired') AS repaired,
       count(*) FILTER (WHERE removal_reason = 'expired') AS expired,
       count(*) FILTER (WHERE removal_reason = 'revoked') AS revoked,
       count(*) FILTER (WHERE removed_on IS NULL) AS listed
  FROM credit_audit.sanction GROUP BY department ORDER BY department;
SELECT count(*) FILTER (WHERE NOT credit_audit.uscc_is_valid(uscc::text)) AS invalid_uscc,
       count(*) FILTER (WHERE credit_audit.uscc_region(uscc) <> '330108') AS outside_binjiang,
       count(*) FILTER (WHERE NOT credit_audit.uscc_org_code_valid(uscc)) AS bad_org_code
  FROM credit_audit.enterprise;

-- ---- the generator is deterministic: the same rows whatever the plan ----
CREATE TEMP VIEW gen_digest AS
SELECT 'credit_event' AS tbl, count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t.id)) AS digest
  FROM credit_audit.credit_event t
UNION ALL
SELECT 'enterprise', count(*), md5(string_agg(t::text, '|' ORDER BY t.uscc::text)) FROM credit_audit.enterprise t
UNION ALL
SELECT 'sanction', count(*), md5(string_agg(t::text, '|' ORDER BY t.id)) FROM credit_audit.sanction t
UNION ALL
SELECT 'subsidy', count(*), md5(string_agg(t::text, '|' ORDER BY t.id)) FROM credit_audit.subsidy t;
SET client_min_messages = warning;
TRUNCATE credit_audit.enterprise CASCADE;
RESET client_min_messages;
\i test/data/generate.sql
CREATE TEMP TABLE digest_hash AS SELECT * FROM gen_digest;
SET client_min_messages = warning;
TRUNCATE credit_audit.enterprise CASCADE;
RESET client_min_messages;
-- nested loops only, this time
SET enable_hashjoin = off;
SET enable_mergejoin = off;
\i test/data/generate.sql
RESET enable_hashjoin;
RESET enable_mergejoin;
-- same rows; the digests pin the generated data (tests and benchmarks rely on its values)
SELECT a.tbl, a.n, a.digest = b.digest AS same_rows, a.digest
  FROM digest_hash a JOIN gen_digest b USING (tbl) ORDER BY a.tbl;

DROP FUNCTION pg_temp.try(text);
