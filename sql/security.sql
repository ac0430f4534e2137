-- security: the extension under a hostile search_path (in the spirit of contrib/seg's security
-- test).  A schema "hostile" is put FIRST on the search_path, ahead of pg_catalog, with
-- always-true operators for text, uscc, date, integers, names and oids, functions named like
-- built-ins that raise "hijacked", and empty tables named like the extension's.  Every entry
-- point — the guard trigger, the sanction trigger, audit(), refresh_findings(), scoring,
-- eligibility, ingestion, guard()/unguard(), the views, timeline_svg() — must give the same
-- results as under a clean search_path.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
DROP SCHEMA IF EXISTS hostile CASCADE;
RESET client_min_messages;
\set ON_ERROR_STOP 0
\i test/data/seed_case.sql

CREATE SCHEMA hostile;
CREATE FUNCTION hostile.yes(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION hostile.yes(credit_audit.uscc, credit_audit.uscc) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION hostile.yes(date, date) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION hostile.yes(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION hostile.yes(integer, integer) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION hostile.yes(smallint, smallint) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION hostile.yes(name, name) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION hostile.yes(oid, oid) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION hostile.yes(numeric, numeric) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR hostile.= (FUNCTION = hostile.yes, LEFTARG = text, RIGHTARG = text);
CREATE OPERATOR hostile.= (FUNCTION = hostile.yes, LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc);
CREATE OPERATOR hostile.= (FUNCTION = hostile.yes, LEFTARG = date, RIGHTARG = date);
CREATE OPERATOR hostile.= (FUNCTION = hostile.yes, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR hostile.= (FUNCTION = hostile.yes, LEFTARG = integer, RIGHTARG = integer);
CREATE OPERATOR hostile.= (FUNCTION = hostile.yes, LEFTARG = smallint, RIGHTARG = smallint);
CREATE OPERATOR hostile.= (FUNCTION = hostile.yes, LEFTARG = name, RIGHTARG = name);
CREATE OPERATOR hostile.= (FUNCTION = hostile.yes, LEFTARG = oid, RIGHTARG = oid);
CREATE OPERATOR hostile.<> (FUNCTION = hostile.yes, LEFTARG = text, RIGHTARG = text);
CREATE OPERATOR hostile.< (FUNCTION = hostile.yes, LEFTARG = date, RIGHTARG = date);
CREATE OPERATOR hostile.<= (FUNCTION = hostile.yes, LEFTARG = date, RIGHTARG = date);
CREATE OPERATOR hostile.> (FUNCTION = hostile.yes, LEFTARG = date, RIGHTARG = date);
CREATE OPERATOR hostile.>= (FUNCTION = hostile.yes, LEFTARG = date, RIGHTARG = date);
CREATE OPERATOR hostile.< (FUNCTION = hostile.yes, LEFTARG = numeric, RIGHTARG = numeric);
CREATE OPERATOR hostile.>= (FUNCTION = hostile.yes, LEFTARG = numeric, RIGHTARG = numeric);
CREATE FUNCTION hostile.hijacked() RETURNS text LANGUAGE plpgsql AS
  $$BEGIN RAISE EXCEPTION 'hijacked'; END$$;
CREATE FUNCTION hostile.lower(text) RETURNS text LANGUAGE sql AS 'SELECT hostile.hijacked()';
CREATE FUNCTION hostile.upper(text) RETURNS text LANGUAGE sql AS 'SELECT hostile.hijacked()';
CREATE FUNCTION hostile.btrim(text) RETURNS text LANGUAGE sql AS 'SELECT hostile.hijacked()';
CREATE FUNCTION hostile.length(text) RETURNS integer LANGUAGE sql AS 'SELECT length(hostile.hijacked())';
CREATE FUNCTION hostile.quote_ident(text) RETURNS text LANGUAGE sql AS 'SELECT hostile.hijacked()';
CREATE FUNCTION hostile.pg_notify(text, text) RETURNS void LANGUAGE sql AS 'SELECT hostile.hijacked()';
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT hostile.hijacked()::timestamptz';
CREATE FUNCTION hostile.split_part(text, text, integer) RETURNS text LANGUAGE sql AS 'SELECT hostile.hijacked()';
CREATE FUNCTION hostile.regexp_replace(text, text, text) RETURNS text LANGUAGE sql AS 'SELECT hostile.hijacked()';
CREATE FUNCTION hostile.to_char(date, text) RETURNS text LANGUAGE sql AS 'SELECT hostile.hijacked()';
CREATE FUNCTION hostile.array_agg(anyelement) RETURNS anyarray LANGUAGE sql AS 'SELECT NULL';
CREATE TABLE hostile.enterprise (uscc text, name text);
CREATE TABLE hostile.sanction (id bigint, uscc text);
CREATE TABLE hostile.finding (id bigint);
CREATE TABLE hostile.guarded_table (tbl regclass);
CREATE TABLE hostile.program (code text);
CREATE TABLE hostile.score_rule (category text);
-- the next grant table to guard, and a staging row, prepared under the clean path
CREATE TABLE public.security_grants (id int PRIMARY KEY, uscc credit_audit.uscc NOT NULL,
                                     paid date NOT NULL, amount numeric NOT NULL);

-- Results under the clean search_path first ...
SET search_path = pg_catalog, public;
SELECT count(*) AS audit_fact, sum(amount) AS audit_fact_amount FROM credit_audit.audit('fact') \gset clean_
SELECT count(*) AS audit_listing FROM credit_audit.audit('listing') \gset clean_
SELECT sum(score) AS scores, count(*) FILTER (WHERE score < 100) AS below FROM credit_audit.credit_scores('2019-06-01') \gset clean_
SELECT count(*) AS risk, string_agg(risk_level, ',' ORDER BY uscc) AS levels FROM credit_audit.enterprise_risk \gset clean_
SELECT count(*) AS flagged, sum(amount) AS flagged_amount FROM credit_audit.flagged_subsidies \gset clean_
SELECT sum(subsidies) AS dept_n, sum(amount) AS dept_amount, sum(flagged_amount) AS dept_flagged FROM credit_audit.department_summary \gset clean_
SELECT count(*) AS repaired FROM credit_audit.repaired_but_flagged \gset clean_
SELECT md5(credit_audit.timeline_svg('91330108MA2B0H7K5E')) AS svg \gset clean_

-- ... then the same under the hostile one.
SET search_path = hostile, pg_catalog, credit_audit, public;
SELECT count(*) AS audit_fact, sum(amount) AS audit_fact_amount FROM credit_audit.audit('fact') \gset hostile_
SELECT count(*) AS audit_listing FROM credit_audit.audit('listing') \gset hostile_
SELECT sum(score) AS scores, count(*) FILTER (WHERE score < 100) AS below FROM credit_audit.credit_scores('2019-06-01') \gset hostile_
SELECT count(*) AS risk, string_agg(risk_level, ',' ORDER BY uscc) AS levels FROM credit_audit.enterprise_risk \gset hostile_
SELECT count(*) AS flagged, sum(amount) AS flagged_amount FROM credit_audit.flagged_subsidies \gset hostile_
SELECT sum(subsidies) AS dept_n, sum(amount) AS dept_amount, sum(flagged_amount) AS dept_flagged FROM credit_audit.department_summary \gset hostile_
SELECT count(*) AS repaired FROM credit_audit.repaired_but_flagged \gset hostile_
SELECT md5(credit_audit.timeline_svg('91330108MA2B0H7K5E')) AS svg \gset hostile_

SELECT :clean_audit_fact AS audit_fact, :clean_audit_fact = :hostile_audit_fact AS same,
       :clean_audit_fact_amount = :hostile_audit_fact_amount AS same_amount,
       :clean_audit_listing = :hostile_audit_listing AS same_listing;
SELECT :clean_scores = :hostile_scores AS same_scores, :clean_below = :hostile_below AS same_below,
       :clean_risk = :hostile_risk AS same_risk_rows,
       :'clean_levels' = :'hostile_levels' AS same_levels;
SELECT :clean_flagged AS flagged, :clean_flagged = :hostile_flagged AS same,
       :clean_flagged_amount = :hostile_flagged_amount AS same_amount,
       :clean_dept_n = :hostile_dept_n AND :clean_dept_amount = :hostile_dept_amount
         AND :clean_dept_flagged = :hostile_dept_flagged AS same_department_summary,
       :clean_repaired = :hostile_repaired AS same_repaired,
       :'clean_svg' = :'hostile_svg' AS same_svg;

-- Single-enterprise functions (hostile path still in force).
SELECT credit_audit.credit_score('91330108MA2B0H7K5E', '2019-06-01') AS score_listing,
       credit_audit.credit_score('91330108MA2B0H7K5E', '2019-06-01', 'fact') AS score_fact;
SELECT eligible, score, min_score, cardinality(blocking_sanctions) AS blocking
  FROM credit_audit.eligibility('91330108MA2B0H7K5E', 'rent_subsidy', '2019-06-01');
SELECT credit_audit.refresh_findings() AS added_by_refresh;

-- The guard trigger: a grant to a listed enterprise is refused, a clean one goes in.
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
VALUES ('91330108MA2B0H7K5E', 'rent_subsidy', '2019-06-01', 1000);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
VALUES ('91330108MA27XB4E79', 'rent_subsidy', '2019-06-01', 1000);

-- guard() and the trigger on a new table, under the hostile path.
SELECT credit_audit.guard('public.security_grants', 'uscc', 'paid', 'amount', program => 'rent_subsidy');
INSERT INTO public.security_grants VALUES (1, '91330108MA27XB4E79', '2021-03-01', 5000);
INSERT INTO public.security_grants VALUES (2, '91330108MA2B0H7K5E', '2019-06-01', 5000);
\echo :LAST_ERROR_SQLSTATE

-- The sanction trigger: a new listing of the clean enterprise finds its two grants.
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91330108MA27XB4E79', 'market', 'security_test', 'general', '2019-01-01', '2021-01-01');

-- Ingestion of a staged row.
INSERT INTO credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity,
                                           fact_date, listed_on, removed_on, removal_reason, source_ref)
VALUES (' 91330108ma27xb4e79 ', '杭州海创智能科技有限公司', '市场监管', 'security_ingest', '一般', '2019年1月2日', '2019/2/1',
        NULL, NULL, 'SEC-1');
SELECT * FROM credit_audit.ingest_sanctions();
SELECT credit_audit.unguard('public.security_grants');

-- Check what happened, under the clean path again.
SET search_path = pg_catalog, public;
SELECT kind, source_table, source_key, program, grant_date, amount, s.category
  FROM credit_audit.finding f JOIN credit_audit.sanction s ON s.id OPERATOR(pg_catalog.=) f.sanction_id
 WHERE s.category IN ('security_test', 'security_ingest')
 ORDER BY s.category, kind, source_table, source_key;
SELECT category, severity, fact_date, listed_on, source_ref FROM credit_audit.sanction
 WHERE category OPERATOR(pg_catalog.=) 'security_ingest';
SELECT reason, message FROM credit_audit.sanction_quarantine;
SELECT count(*) AS guarded_left FROM credit_audit.guarded_table
 WHERE tbl OPERATOR(pg_catalog.=) 'public.security_grants'::regclass;
SELECT count(*) AS subsidy_rows_added FROM credit_audit.subsidy WHERE applied_on OPERATOR(pg_catalog.=) '2019-06-01';

SET client_min_messages = warning;
DROP TABLE public.security_grants;
DROP SCHEMA hostile CASCADE;
