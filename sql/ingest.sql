SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;
SET datestyle = 'ISO, YMD';

-- Ingestion from departments: normalizers, staging -> sanction / quarantine, re-delivery,
-- later removal data, conflicts, and the loader role.

-- Markings of the ingestion functions.
SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args,
       p.provolatile, p.proisstrict, p.proparallel, p.prosecdef, p.proconfig
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'credit_audit'::regnamespace
   AND (p.proname LIKE 'normalize\_%' OR p.proname IN ('uscc_problem', 'uscc_suggestion', 'ingest_sanctions'))
 ORDER BY 1, 2;

-- PUBLIC may not run the ingestion; the loader role is granted it (below).
SELECT pg_catalog.has_function_privilege('public', 'credit_audit.ingest_sanctions()', 'EXECUTE') AS public_may_ingest;

-- Both tables keep their rows across pg_dump/restore.
SELECT c.relname FROM pg_catalog.pg_extension x, unnest(x.extconfig) AS t(oid)
  JOIN pg_catalog.pg_class c ON c.oid = t.oid
 WHERE x.extname = 'credit_audit' AND c.relname LIKE 'sanction\_%' ORDER BY 1;

-- ---- normalizers ----

-- dates: every accepted form, full-width digits, spaces; impossible dates and other forms are NULL
SELECT v, credit_audit.normalize_date(v)::text AS d
  FROM (VALUES ('2019-02-01'), ('2019/2/1'), ('20190201'), ('2019.02.01'), ('2019年2月1日'),
               ('2019年2月1'), (' 2019 年 2 月 1 日 '), ('２０１９年２月１日'), ('２０１９－０２－０１'),
               ('2020-02-29'), ('2019-02-29'), ('2019年2月30日'), ('20190231'), ('2019-13-01'),
               ('2019-2/1'), ('Feb 1 2019'), ('19-02-01'), ('201921'), ('1899-12-31'), ('3000-01-01'),
               ('2019-02-01 10:00'), ('')) AS t(v);

-- every day of 1900-2100 in every accepted form parses back to itself
SELECT pg_catalog.count(*) AS days,
       pg_catalog.count(*) FILTER (WHERE
           credit_audit.normalize_date(to_char(d, 'YYYY-MM-DD')) = d AND
           credit_audit.normalize_date(to_char(d, 'YYYY/FMMM/FMDD')) = d AND
           credit_audit.normalize_date(to_char(d, 'YYYYMMDD')) = d AND
           credit_audit.normalize_date(to_char(d, 'YYYY.MM.DD')) = d AND
           credit_audit.normalize_date(to_char(d, 'YYYY"年"FMMM"月"FMDD"日"')) = d AND
           credit_audit.normalize_date(translate(to_char(d, 'YYYY-MM-DD'), '0123456789-', '０１２３４５６７８９－')) = d) AS round_trips
  FROM pg_catalog.generate_series(date '1900-01-01', date '2100-12-31', interval '1 day') AS g(t),
       LATERAL (SELECT t::date AS d) AS x;
-- days 28-32 of every month of 1900-2100: accepted exactly when the day exists (leap years too)
SELECT pg_catalog.count(*) AS tried,
       pg_catalog.count(*) FILTER (WHERE (credit_audit.normalize_date(pg_catalog.format('%s-%s-%s', y, m, dd)) IS NOT NULL)
                                  = (dd <= extract(day FROM (make_date(y, m, 1) + interval '1 month - 1 day')))) AS agree
  FROM pg_catalog.generate_series(1900, 2100) AS y, pg_catalog.generate_series(1, 12) AS m,
       pg_catalog.generate_series(28, 32) AS dd;
-- other strings never raise: 2000 md5 hashes give nothing; of the prefixes of two dates, those
-- ending in a whole day are dates (日 is optional; 2019-12-3 is the 3rd)
SELECT pg_catalog.count(*) FILTER (WHERE credit_audit.normalize_date(pg_catalog.md5(i::text)) IS NOT NULL) AS md5_parsed
  FROM pg_catalog.generate_series(1, 2000) AS i;
SELECT v, credit_audit.normalize_date(v)
  FROM (SELECT pg_catalog.substr('2019年12月31日', 1, i) FROM pg_catalog.generate_series(0, 10) AS i
        UNION ALL SELECT pg_catalog.substr('2019-12-31', 1, i) FROM pg_catalog.generate_series(0, 10) AS i) AS t(v)
 WHERE credit_audit.normalize_date(v) IS NOT NULL;

-- severities and removal reasons, any case, Chinese or English
SELECT v, credit_audit.normalize_severity(v) AS severity, credit_audit.normalize_removal_reason(v) AS removal
  FROM (VALUES ('轻微'), ('一般'), ('严重 '), ('minor'), ('GENERAL'), ('Serious'), ('ｓｅｒｉｏｕｓ'),
               ('high'), ('repaired'), ('信用修复'), ('Expired'), ('期满'), ('撤销'), ('REVOKED'),
               ('paid')) AS t(v);

-- text: full-width forms folded, white space (also U+3000) trimmed and collapsed; blank is NULL
SELECT credit_audit.normalize_text(E'\u3000 ＡＢＣ　 def\t１２３ ') AS text,
       credit_audit.normalize_text(E' \u3000\t') IS NULL AS blank_is_null,
       credit_audit.normalize_code(' Major_Tax_Violation ') AS code,
       credit_audit.normalize_code('市场监管 ') AS dept_name;

-- enterprise names compare equal across full-width/ASCII parentheses and white space
SELECT credit_audit.normalize_name('杭州某某（滨江）有限公司') AS fullwidth,
       credit_audit.normalize_name(' 杭州某某 (滨江) 有限公司') AS ascii,
       credit_audit.normalize_name('杭州某某（滨江）有限公司') = credit_audit.normalize_name(' 杭州某某 (滨江) 有限公司') AS same,
       credit_audit.normalize_name('Hangzhou Foo Co., Ltd.') AS latin;

-- USCC: the uscc parser's normalization (full-width, lower case, white space), the reason a code
-- is invalid, and the look-alike suggestion (only when reading the impossible characters as their
-- look-alikes gives a valid code; never for a mere check mismatch)
SELECT v, credit_audit.normalize_uscc(v)::text AS uscc, credit_audit.uscc_problem(v) AS problem,
       credit_audit.uscc_suggestion(v) AS suggestion
  FROM (VALUES ('９１３３００００７３３７９６１０６Ｐ'), (E'\u3000 9144030071526726xg '),
               ('9144 0300 7152 6726 XG'),
               ('9133O100716105852F'), ('9I33OOOO733796106P'), ('9133010071610585ZF'),
               ('91330000733796106V'), ('914403001922038217'), ('91440300192203821'),
               ('91330X00733796106P'), ('91330000733796106某')) AS t(v);

-- Every code one character away from a valid one (each position replaced by each of 0 O I Z S V
-- D 8 B, in upper and lower case): the normalizers never raise, a code is valid exactly when it
-- has no problem, a suggestion is always a valid code, and there is none for a valid code.
WITH base(code) AS (VALUES ('91330000733796106P'), ('91330100716105852F'), ('9144030071526726XG'),
                           ('91110000710926094P'), ('91330108MA2J7Y5B1L')),
mutant AS (
    SELECT overlay(b.code PLACING c FROM p FOR 1) AS v
      FROM base b, pg_catalog.generate_series(1, 18) AS p,
           pg_catalog.unnest(ARRAY['0', 'O', 'I', 'Z', 'S', 'V', 'D', '8', 'B', 'o', 'i', 'z', 's', 'v']) AS c
), judged AS (
    SELECT v, credit_audit.normalize_uscc(v) AS u, credit_audit.uscc_problem(v) AS problem,
           credit_audit.uscc_suggestion(v) AS suggestion
      FROM mutant
)
SELECT pg_catalog.count(*) AS codes,
       pg_catalog.count(*) FILTER (WHERE u IS NOT NULL) AS valid,
       pg_catalog.count(*) FILTER (WHERE (u IS NULL) = (problem IS NOT NULL)) AS problem_iff_invalid,
       pg_catalog.count(*) FILTER (WHERE suggestion IS NOT NULL) AS suggested,
       pg_catalog.count(*) FILTER (WHERE suggestion IS NOT NULL AND credit_audit.normalize_uscc(suggestion) IS NULL) AS bad_suggestions,
       pg_catalog.count(*) FILTER (WHERE suggestion IS NOT NULL AND u IS NOT NULL) AS suggested_for_valid
  FROM judged;

-- ---- the delivered files ----

-- Grants to enterprises nobody knows yet: the guard trigger lets them in (nothing is listed) and
-- creates placeholder enterprises (name '').  One was applied for in July 2018 by the enterprise
-- the tax department lists in February 2019 for a fact of June 2018 (the seed's case); the other
-- in September 2018 by one the market department listed in August 2018.
INSERT INTO credit_audit.program (code, name, department) VALUES ('ingest_rent', '房租补贴', 'econ');
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, granted_on, amount, ref) VALUES
    ('91330000733796106P', 'ingest_rent', '2018-07-10', '2018-07-20', 120000, 'rent-2018-07'),
    ('91330108MA2H3K4A46', 'ingest_rent', '2018-09-01', '2018-09-15', 30000, 'rent-2018-09');
SELECT e.uscc, e.name = '' AS placeholder FROM credit_audit.enterprise e ORDER BY e.uscc;

-- tax: full-width and lower-case codes, ideographic spaces, Chinese dates and severities
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/tax.csv' (FORMAT csv, HEADER)
SELECT pg_catalog.count(*) AS staged FROM credit_audit.sanction_staging;
-- 9 rows: 4 in (one with a suspicious code: NOTICE), 5 quarantined
SELECT * FROM credit_audit.ingest_sanctions();
SELECT pg_catalog.count(*) AS staging_left FROM credit_audit.sanction_staging;

-- hrss (20190201 dates, English severities, HRSS in upper case) and market (2019/2/1, 2019.02.01,
-- 2019-03-01, Chinese department names) in one batch
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/hrss.csv' (FORMAT csv, HEADER)
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/market.csv' (FORMAT csv, HEADER)
SELECT pg_catalog.count(*) AS staged FROM credit_audit.sanction_staging;
-- 26 rows: hrss 4 in + 2 duplicates + 10 quarantined, market 4 in + 6 quarantined
SELECT * FROM credit_audit.ingest_sanctions();
SELECT pg_catalog.count(*) AS staging_left FROM credit_audit.sanction_staging;

-- What went in, normalized.
SELECT s.id, s.uscc, s.department, s.category, s.severity, s.fact_date::text, s.listed_on::text,
       s.removed_on::text, s.removal_reason, s.source_ref
  FROM credit_audit.sanction s ORDER BY s.id;

-- Enterprises: created once per code, placeholders named, no enterprise for quarantined rows.
SELECT e.uscc, e.name FROM credit_audit.enterprise e ORDER BY e.uscc;

-- What did not, with the raw values, a reason code, the field, a sentence and the suggestion.
SELECT q.id, q.reason, q.field, q.suggestion, q.uscc, q.department, q.severity, q.fact_date,
       q.listed_on, q.removed_on, q.removal_reason
  FROM credit_audit.sanction_quarantine q ORDER BY q.id;
SELECT q.id, q.message FROM credit_audit.sanction_quarantine q ORDER BY q.id;
SELECT pg_catalog.count(*) FILTER (WHERE q.loaded_by = current_user AND q.quarantined_by = session_user
                                   AND q.loaded_at IS NOT NULL AND q.quarantined_at IS NOT NULL) AS attributed,
       pg_catalog.count(*) AS total
  FROM credit_audit.sanction_quarantine q;
SELECT q.reason, pg_catalog.count(*) FROM credit_audit.sanction_quarantine q GROUP BY 1 ORDER BY 1;

-- The suspicious code went in and is shown.
SELECT v.sanction_id, v.uscc, v.enterprise_name, v.org_code, v.department
  FROM credit_audit.suspicious_sanctions v ORDER BY 1;

-- The audit trigger fired for the ingested listings: the July 2018 grant before the late tax
-- listing (retroactive), the September 2018 grant during the market listing (paid_while_listed).
SELECT f.kind, f.uscc, f.program, f.grant_date::text, f.amount, f.status
  FROM credit_audit.finding f ORDER BY f.id;

-- ---- re-delivery: the same files again ----
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/tax.csv' (FORMAT csv, HEADER)
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/hrss.csv' (FORMAT csv, HEADER)
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/market.csv' (FORMAT csv, HEADER)
CREATE TEMP TABLE before_redelivery AS
SELECT s.id, s.severity, s.listed_on, s.removed_on, s.removal_reason, s.recorded_at FROM credit_audit.sanction s;
-- 35 rows: the 14 good ones (2 of them duplicates) unchanged, the 21 bad ones quarantined again
SELECT * FROM credit_audit.ingest_sanctions();
SELECT pg_catalog.count(*) AS staging_left FROM credit_audit.sanction_staging;
-- nothing changed, no new findings
SELECT pg_catalog.count(*) AS sanctions,
       pg_catalog.count(*) FILTER (WHERE (b.severity, b.listed_on, b.removed_on, b.removal_reason, b.recorded_at)
                                         IS NOT DISTINCT FROM (s.severity, s.listed_on, s.removed_on, s.removal_reason, s.recorded_at)) AS same
  FROM credit_audit.sanction s JOIN before_redelivery b USING (id);
SELECT pg_catalog.count(*) AS findings FROM credit_audit.finding;
SELECT q.reason, pg_catalog.count(*) FROM credit_audit.sanction_quarantine q GROUP BY 1 ORDER BY 1;

-- ---- a later delivery: repairs, a changed removal, conflicts, a corrected code ----
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/later.csv' (FORMAT csv, HEADER)
-- 1 inserted (the corrected code), 2 updated (a repair, a changed removal date), 1 unchanged,
-- 3 quarantined (severity differs from the stored listing, and an identical copy of that row in
-- the same batch shares its verdict; a removal taken back); the re-delivery
-- names its enterprise differently (a NOTICE; the stored name is kept)
SELECT * FROM credit_audit.ingest_sanctions();
SELECT s.id, s.uscc, s.department, s.category, s.severity, s.listed_on::text, s.removed_on::text,
       s.removal_reason, s.source_ref
  FROM credit_audit.sanction s
 WHERE s.id IN (SELECT b.id FROM before_redelivery b
                 WHERE (b.removed_on, b.removal_reason) IS DISTINCT FROM (s.removed_on, s.removal_reason))
    OR s.id NOT IN (SELECT b.id FROM before_redelivery b)
 ORDER BY s.id;
SELECT q.reason, q.sanction_id, q.uscc, q.message
  FROM credit_audit.sanction_quarantine q WHERE q.reason = 'stored_conflict' ORDER BY q.id;
SELECT e.name FROM credit_audit.enterprise e WHERE e.uscc::text = '914403001922038216';
-- the repair ends the listing but keeps the finding
SELECT f.kind, f.uscc, f.grant_date::text, f.status FROM credit_audit.finding f ORDER BY f.id;

-- Nothing staged: all zero.
SELECT * FROM credit_audit.ingest_sanctions();

-- A hostile search_path does not reach into the ingestion (SECURITY DEFINER, pinned search_path):
-- an = on text that is always true, and a split_part that would call every row a missing field.
CREATE SCHEMA ingest_hostile;
CREATE FUNCTION ingest_hostile.always(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR ingest_hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = ingest_hostile.always);
CREATE FUNCTION ingest_hostile.split_part(text, text, integer) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$SELECT 'missing_field'$$;
SET search_path = ingest_hostile, pg_catalog, public;
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/market.csv' (FORMAT csv, HEADER)
-- as before: 4 unchanged, 6 quarantined
SELECT * FROM credit_audit.ingest_sanctions();
RESET search_path;
DROP SCHEMA ingest_hostile CASCADE;

-- ---- the loader role (docs/ingestion.md) ----
CREATE ROLE ingest_loader;
GRANT USAGE ON SCHEMA credit_audit TO ingest_loader;
GRANT INSERT (uscc, enterprise_name, department, category, severity, fact_date, listed_on,
              removed_on, removal_reason, source_ref)
    ON credit_audit.sanction_staging TO ingest_loader;
GRANT SELECT ON credit_audit.sanction_quarantine TO ingest_loader;
GRANT EXECUTE ON FUNCTION credit_audit.ingest_sanctions() TO ingest_loader;

SET ROLE ingest_loader;
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91330108MA2GUN3F3F', 'market', 'abnormal_operation', 'general', '2019-02-01', '2019-03-01');
\echo :LAST_ERROR_SQLSTATE
-- the bookkeeping columns are not the loader's to set
INSERT INTO credit_audit.sanction_staging (uscc, loaded_by) VALUES ('x', 'someone_else');
\echo :LAST_ERROR_SQLSTATE
\copy credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on, removal_reason, source_ref) FROM 'test/data/ingest/market.csv' (FORMAT csv, HEADER)
INSERT INTO credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity, fact_date, listed_on)
VALUES ('91330108MA2GUN3F3F', '杭州某某文化有限公司', '市场监管', 'abnormal_operation', '一般', '2019/2/1', '2019/3/1');
SELECT * FROM credit_audit.ingest_sanctions();
SELECT q.reason, q.loaded_by FROM credit_audit.sanction_quarantine q
 WHERE q.loaded_by = 'ingest_loader' ORDER BY q.id;
RESET ROLE;
SELECT s.uscc, s.department, s.category FROM credit_audit.sanction s
 WHERE s.uscc::text = '91330108MA2GUN3F3F';

REVOKE ALL ON credit_audit.sanction_quarantine FROM ingest_loader;
REVOKE ALL ON credit_audit.sanction_staging FROM ingest_loader;
REVOKE ALL ON FUNCTION credit_audit.ingest_sanctions() FROM ingest_loader;
REVOKE ALL ON SCHEMA credit_audit FROM ingest_loader;
DROP ROLE ingest_loader;
