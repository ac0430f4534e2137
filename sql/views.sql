-- views: the analyst/BI views over the seed case (test/data/seed_case.sql).
-- Grants are inserted before the listings are known, the listings arrive later and the sanction
-- trigger writes the findings; the views must then show the audit bureau's two findings.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;
SET DateStyle = 'ISO, YMD';

\set ECHO none
\i test/data/seed_case.sql
\set ECHO all

-- Finding 1: the Zhejiang company, fact 2018-06, application 2018-07, listing 2019-02:
-- exactly one finding, retroactive, for the July 2018 grant (and none for its 2017 grant).
SELECT kind, status, enterprise_name, program, program_name, paying_department,
       source_table, grant_date, amount, sanction_department, category, severity,
       fact_date, listed_on, removed_on, removal_reason
  FROM credit_audit.flagged_subsidies
 WHERE uscc = '91330108594376207B';
SELECT kind, count(*) AS findings FROM credit_audit.flagged_subsidies GROUP BY kind ORDER BY kind;

-- Finding 2: the nine enterprises paid while listed, each grant once.
WITH pwl AS (
    SELECT * FROM credit_audit.flagged_subsidies
     WHERE kind = 'paid_while_listed' AND status <> 'dismissed'
), per_enterprise AS (
    SELECT uscc, enterprise_name,
           bool_or(removed_on IS NULL) AS still_listed,
           bool_and(removal_reason = 'repaired' AND removed_on <= '2020-08-31') AS repaired_by_2020_08
      FROM pwl GROUP BY uscc, enterprise_name
), grants AS (
    SELECT DISTINCT uscc, source_table, source_key, amount FROM pwl
)
SELECT p.uscc, p.enterprise_name, count(*) AS grants, sum(g.amount) AS amount,
       p.still_listed, p.repaired_by_2020_08
  FROM per_enterprise p JOIN grants g USING (uscc)
 GROUP BY p.uscc, p.enterprise_name, p.still_listed, p.repaired_by_2020_08
 ORDER BY p.still_listed DESC, p.uscc;

-- the README's demo query: 9 enterprises, 2,084,400.00, 3 still listed, 6 repaired
WITH pwl AS (SELECT * FROM credit_audit.flagged_subsidies
              WHERE kind = 'paid_while_listed' AND status <> 'dismissed')
SELECT count(DISTINCT uscc) AS enterprises,
       (SELECT sum(amount) FROM (SELECT DISTINCT source_table, source_key, amount FROM pwl) g) AS total,
       count(DISTINCT uscc) FILTER (WHERE removed_on IS NULL) AS still_listed,
       count(DISTINCT uscc) FILTER (WHERE removal_reason = 'repaired') AS repaired
  FROM pwl;

-- The grant flagged by two listings: two findings, one grant in every count and sum.
SELECT finding_id IS NOT NULL AS has_id, kind, sanction_department, category, amount
  FROM credit_audit.flagged_subsidies
 WHERE source_table = 'hrss.employment_subsidy' AND source_key = 'RS2019-0412'
 ORDER BY sanction_department;
SELECT uscc, flagged_subsidies, flagged_amount, open_findings
  FROM credit_audit.enterprise_risk WHERE uscc = '91330108MA2GD13P2G';
SELECT flagged_subsidies, flagged_amount
  FROM credit_audit.repaired_but_flagged WHERE uscc = '91330108MA2GD13P2G';
SELECT paying_department, year, subsidies, amount, flagged_subsidies, flagged_amount
  FROM credit_audit.department_summary WHERE paying_department = 'hrss' AND year = 2019;

-- The revoked listing flags nothing: its finding is shown, dismissed, and counted nowhere.
SELECT kind, status, category, removal_reason, amount
  FROM credit_audit.flagged_subsidies WHERE uscc = '91330108MA2J5R1X59';
SELECT flagged_subsidies, flagged_amount, open_findings, risk_level
  FROM credit_audit.enterprise_risk WHERE uscc = '91330108MA2J5R1X59';

-- The grant paid after repair (2020-10-12) is not flagged; the low_score finding (record mode)
-- has no listing columns.
SELECT (SELECT count(*) FROM credit_audit.subsidy
         WHERE uscc::text = '91330108MA28N4QT71' AND applied_on = '2020-10-12') AS grants_after_repair,
       (SELECT count(*) FROM credit_audit.flagged_subsidies
         WHERE uscc = '91330108MA28N4QT71' AND grant_date >= '2020-07-15') AS findings_after_repair;
SELECT kind, status, program, paying_department, grant_date, amount,
       sanction_id IS NULL AS no_sanction, sanction_department, category, severity,
       fact_date, listed_on, removed_on, removal_reason
  FROM credit_audit.flagged_subsidies WHERE kind = 'low_score';

-- repaired_but_flagged: the six repaired enterprises and what they were paid while listed.
SELECT * FROM credit_audit.repaired_but_flagged ORDER BY uscc;
SELECT count(*) AS enterprises, sum(flagged_amount) AS amount FROM credit_audit.repaired_but_flagged;

-- enterprise_risk today: every listing is either open or was removed before 2022-02-22, so the
-- scores are final from 2024-02-22 on and these rows do not drift with the date.
SELECT uscc, name, score, grade, active_sanctions, flagged_subsidies, flagged_amount,
       open_findings, risk_level
  FROM credit_audit.enterprise_risk ORDER BY risk_level, uscc;

-- department_summary: every row of every guarded table, by paying department and year.
SELECT * FROM credit_audit.department_summary ORDER BY paying_department, year;
SELECT sum(subsidies) AS subsidies, sum(amount) AS amount,
       sum(flagged_subsidies) AS flagged_subsidies, sum(flagged_amount) AS flagged_amount
  FROM credit_audit.department_summary;
-- ... and it agrees with the raw tables, read without the extension's help (expect no rows)
CREATE TEMP TABLE raw_grant AS
    SELECT 'credit_audit.subsidy' AS source_table, id::text AS source_key, program,
           applied_on AS grant_date, amount::numeric AS amount
      FROM credit_audit.subsidy
    UNION ALL
    SELECT 'hrss.employment_subsidy', payment_no, 'employment_subsidy', paid_on, amount
      FROM hrss.employment_subsidy
    UNION ALL
    SELECT 'commerce.trade_grant', format('(%s,%s)', batch, line), program, approved_on, amount
      FROM commerce.trade_grant;
CREATE TEMP VIEW raw_summary AS
    SELECT p.department AS paying_department, extract(year FROM r.grant_date)::integer AS year,
           count(*) AS subsidies, sum(r.amount) AS amount,
           count(*) FILTER (WHERE fl.flagged) AS flagged_subsidies,
           coalesce(sum(r.amount) FILTER (WHERE fl.flagged), 0) AS flagged_amount
      FROM raw_grant r
      JOIN credit_audit.program p ON p.code = r.program
      CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM credit_audit.finding f
                                          WHERE f.source_table = r.source_table
                                            AND f.source_key = r.source_key
                                            AND f.status <> 'dismissed') AS flagged) fl
     GROUP BY 1, 2;
(SELECT paying_department, year, subsidies, amount, flagged_subsidies, flagged_amount
   FROM credit_audit.department_summary
 EXCEPT SELECT * FROM raw_summary)
UNION ALL
(SELECT * FROM raw_summary
 EXCEPT SELECT paying_department, year, subsidies, amount, flagged_subsidies, flagged_amount
   FROM credit_audit.department_summary);
-- every finding that is not dismissed names a row that guarded_grants() returns (same
-- source_table / source_key spelling as the finding writer) (expect no rows)
SELECT f.kind, f.source_table, f.source_key
  FROM credit_audit.finding f
 WHERE f.status <> 'dismissed'
   AND NOT EXISTS (SELECT 1 FROM credit_audit.guarded_grants() g
                    WHERE g.source_table = f.source_table AND g.source_key = f.source_key
                      AND g.uscc OPERATOR(credit_audit.=) f.uscc AND g.grant_date = f.grant_date AND g.amount = f.amount);
SELECT source_table, count(*), sum(amount)
  FROM credit_audit.guarded_grants() GROUP BY source_table ORDER BY source_table;
-- one enterprise's grants, from every table
SELECT source_table, source_key, uscc, program, grant_date, amount
  FROM credit_audit.guarded_grants('91330108MA2GD13P2G') ORDER BY grant_date;
SELECT count(*) AS rows_for_null FROM credit_audit.guarded_grants(NULL);

-- Every view and every view column has a comment; view columns are plain SQL types.
SELECT c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL AS commented
  FROM pg_class c
 WHERE c.relnamespace = 'credit_audit'::regnamespace AND c.relkind = 'v'
 ORDER BY c.relname;
SELECT count(*) AS uncommented_columns
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'credit_audit'::regnamespace AND c.relkind = 'v'
   AND a.attnum > 0 AND NOT a.attisdropped
   AND col_description(c.oid, a.attnum) IS NULL;
SELECT count(*) AS columns_of_extension_types
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
 WHERE c.relnamespace = 'credit_audit'::regnamespace AND c.relkind = 'v'
   AND a.attnum > 0 AND NOT a.attisdropped
   AND t.typnamespace <> 'pg_catalog'::regnamespace;
SELECT DISTINCT format_type(a.atttypid, a.atttypmod) AS column_type
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'credit_audit'::regnamespace AND c.relkind = 'v'
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY 1;

-- guarded_grants(): markings pinned.
SELECT proname, provolatile, proisstrict, proparallel, prosecdef, proconfig,
       obj_description(oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc WHERE oid = 'credit_audit.guarded_grants(credit_audit.uscc)'::regprocedure;

-- A hostile search_path changes nothing: same-named tables, functions and an always-true text
-- equality planted in front of pg_catalog.
CREATE SCHEMA views_hostile;
CREATE TABLE views_hostile.finding (LIKE credit_audit.finding);
CREATE TABLE views_hostile.sanction (LIKE credit_audit.sanction);
CREATE TABLE views_hostile.guarded_table (LIKE credit_audit.guarded_table);
CREATE FUNCTION views_hostile.hostile_eq(text, text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR views_hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = views_hostile.hostile_eq);
CREATE FUNCTION views_hostile.count(anyelement) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS 'SELECT 1000::bigint';
CREATE FUNCTION views_hostile.format(text, VARIADIC text[]) RETURNS text
    LANGUAGE sql IMMUTABLE AS 'SELECT ''views_hostile.finding''';
CREATE TEMP TABLE baseline AS
    SELECT 'flagged' AS v, (SELECT count(*) FROM credit_audit.flagged_subsidies)::text AS r
    UNION ALL SELECT 'risk', (SELECT string_agg(uscc || risk_level || flagged_amount, ',' ORDER BY uscc)
                               FROM credit_audit.enterprise_risk)
    UNION ALL SELECT 'dept', (SELECT string_agg(concat_ws('/', paying_department, year, subsidies, amount,
                                                          flagged_subsidies, flagged_amount), ','
                                                ORDER BY paying_department, year)
                               FROM credit_audit.department_summary)
    UNION ALL SELECT 'repaired', (SELECT string_agg(uscc || flagged_amount, ',' ORDER BY uscc)
                                   FROM credit_audit.repaired_but_flagged);
SET search_path = views_hostile, pg_catalog, pg_temp;
CREATE TEMP TABLE hostile_run AS
    SELECT 'flagged' AS v, (SELECT count(*) FROM credit_audit.flagged_subsidies)::text AS r
    UNION ALL SELECT 'risk', (SELECT string_agg(uscc || risk_level || flagged_amount, ',' ORDER BY uscc)
                               FROM credit_audit.enterprise_risk)
    UNION ALL SELECT 'dept', (SELECT string_agg(concat_ws('/', paying_department, year, subsidies, amount,
                                                          flagged_subsidies, flagged_amount), ','
                                                ORDER BY paying_department, year)
                               FROM credit_audit.department_summary)
    UNION ALL SELECT 'repaired', (SELECT string_agg(uscc || flagged_amount, ',' ORDER BY uscc)
                                   FROM credit_audit.repaired_but_flagged);
RESET search_path;
SELECT b.v, b.r = h.r AS same, length(b.r) > 0 AS nonempty
  FROM baseline b JOIN hostile_run h USING (v) ORDER BY b.v;

-- Dismissing a finding by hand takes its grant out of every count (in a transaction, undone).
BEGIN;
UPDATE credit_audit.finding SET status = 'dismissed'
 WHERE source_table = 'hrss.employment_subsidy' AND source_key = 'RS2019-0412'
   AND sanction_id = (SELECT id FROM credit_audit.sanction
                       WHERE uscc OPERATOR(credit_audit.=) '91330108MA2GD13P2G'
                         AND department = 'finance');
-- still flagged by the other listing: unchanged
SELECT flagged_subsidies, flagged_amount FROM credit_audit.enterprise_risk WHERE uscc = '91330108MA2GD13P2G';
UPDATE credit_audit.finding SET status = 'dismissed'
 WHERE source_table = 'hrss.employment_subsidy' AND source_key = 'RS2019-0412';
SELECT flagged_subsidies, flagged_amount FROM credit_audit.enterprise_risk WHERE uscc = '91330108MA2GD13P2G';
SELECT flagged_subsidies, flagged_amount FROM credit_audit.department_summary
 WHERE paying_department = 'hrss' AND year = 2019;
ROLLBACK;

SET client_min_messages = warning;
DROP SCHEMA views_hostile CASCADE;
DROP SCHEMA hrss CASCADE;
DROP SCHEMA commerce CASCADE;
RESET client_min_messages;
