SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

-- The credit score (DESIGN.md "Credit score"):
--   score(u, t) = clamp(100 + sum(events) + sum(sanctions), 0, 100), rounded to 2 decimals.
-- Shipped rules: (*, minor, 5, 90), (*, general, 20, 365), (*, serious, 50, 730).
SET search_path = credit_audit, public;
SET datestyle = ISO, YMD;

-- pinned markings of the functions
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
       p.proretset, p.prorettype::regtype
  FROM pg_proc p
 WHERE p.pronamespace = 'credit_audit'::regnamespace
   AND p.proname IN ('credit_score', 'credit_scores', 'credit_grade', 'score_history')
 ORDER BY p.oid::regprocedure::text;
SELECT p.oid::regprocedure AS function, p.proargnames, pg_get_expr(p.proargdefaults, 0) AS defaults
  FROM pg_proc p
 WHERE p.pronamespace = 'credit_audit'::regnamespace
   AND p.proname IN ('credit_score', 'credit_scores', 'credit_grade', 'score_history')
 ORDER BY p.oid::regprocedure::text;
SELECT p.oid::regprocedure AS function, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p
 WHERE p.pronamespace = 'credit_audit'::regnamespace
   AND p.proname IN ('credit_score', 'credit_scores', 'credit_grade', 'score_history')
 ORDER BY p.oid::regprocedure::text;

INSERT INTO enterprise (uscc, name) VALUES
    ('914403001922038216', 'E1 serious listing, active'),
    ('91330000733796106P', 'E2 serious listing, repaired'),
    ('91330100716105852F', 'E3 two departments'),
    ('9144030071526726XG', 'E4 events'),
    ('91110000710926094P', 'E5 clamped at 0'),
    ('91310000631696382C', 'E6 category rules'),
    ('91100000100003962T', 'E7 the seed case'),
    ('91330108MA2AAAAA12', 'E8 history'),
    ('91330108MA2AAAAA25', 'E9 nothing');

-- E1: a serious listing, still active.
INSERT INTO sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('914403001922038216', 'tax', 'major_tax_violation', 'serious', '2019-12-01', '2020-01-01');
-- 2019-12-31: before the listing: 100
-- 2020-01-01: listed: 100 - 50 = 50
-- 2030-01-01: still listed, no recovery before removal: 100 - 50 = 50
SELECT d, credit_score('914403001922038216', d) AS score
  FROM unnest('{2019-12-31,2020-01-01,2030-01-01}'::date[]) AS d ORDER BY d;

-- E2: a serious listing (rule *: 50 points, 730 days) repaired on 2020-01-01.
INSERT INTO sanction (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
VALUES ('91330000733796106P', 'hrss', 'wage_arrears', 'serious', '2018-12-01', '2019-01-01', '2020-01-01', 'repaired');
-- day -1 (2019-12-31): still listed: 100 - 50 = 50
-- day 0 (2020-01-01): 100 - 50 * (1 - 0/730) = 100 - 50 = 50
-- day 14 (2020-01-15): 100 - 50 * (1 - 14/730) = 100 - 49.0411 = 50.9589 -> 50.96
-- day 365 (2020-12-31; 2020 has 366 days): 100 - 50 * (1 - 365/730) = 100 - 25 = 75
-- day 729 (2021-12-30): 100 - 50 * (1/730) = 100 - 0.0685 = 99.9315 -> 99.93
-- day 730 (2021-12-31): 100 - 50 * max(0, 1 - 730/730) = 100
-- day 1000 (2022-09-27): 100 - 50 * max(0, 1 - 1000/730) = 100
SELECT d - date '2020-01-01' AS day, d, credit_score('91330000733796106P', d) AS score
  FROM unnest('{2019-12-31,2020-01-01,2020-01-15,2020-12-31,2021-12-30,2021-12-31,2022-09-27}'::date[]) AS d
 ORDER BY d;
-- before the listing: 100
SELECT credit_score('91330000733796106P', '2018-12-31');

-- E3: overlapping sanctions of two departments:
--   hrss: wage_arrears, general (20 points, 365 days), listed 2021-03-01, still listed;
--   market: false_advertising, minor (5 points, 90 days), listed 2021-05-01, expired 2021-06-01.
INSERT INTO sanction (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
VALUES ('91330100716105852F', 'hrss', 'wage_arrears', 'general', '2021-02-15', '2021-03-01', NULL, NULL),
       ('91330100716105852F', 'market', 'false_advertising', 'minor', '2021-04-20', '2021-05-01', '2021-06-01', 'expired');
-- 2021-04-30: 100 - 20 = 80
-- 2021-05-15: 100 - 20 - 5 = 75
-- 2021-07-16 (45 days after 2021-06-01): 100 - 20 - 5 * (1 - 45/90) = 100 - 20 - 2.5 = 77.5
-- 2021-08-30 (90 days after): 100 - 20 - 0 = 80
SELECT d, credit_score('91330100716105852F', d) AS score
  FROM unnest('{2021-04-30,2021-05-15,2021-07-16,2021-08-30}'::date[]) AS d ORDER BY d;

-- E4: credit events: +2 on 2021-01-01 forever (valid_days NULL); -10 on 2021-02-01 valid 30 days
-- (counts 2021-02-01 <= t < 2021-03-03); -3 on 2021-04-01 forever.
INSERT INTO credit_event (uscc, event_date, points, valid_days, department, note)
VALUES ('9144030071526726XG', '2021-01-01', 2, NULL, 'commerce', 'commendation'),
       ('9144030071526726XG', '2021-02-01', -10, 30, 'tax', 'late filing'),
       ('9144030071526726XG', '2021-04-01', -3, NULL, 'market', 'complaint upheld');
-- 2020-12-31: 100
-- 2021-01-15: clamp(100 + 2) = 100 (clamped at 100)
-- 2021-02-01: 100 + 2 - 10 = 92
-- 2021-03-02: last day of the 30: 92
-- 2021-03-03: expired: clamp(100 + 2) = 100
-- 2021-04-01: 100 + 2 - 3 = 99
-- 2031-01-01: forever: 99
SELECT d, credit_score('9144030071526726XG', d) AS score
  FROM unnest('{2020-12-31,2021-01-15,2021-02-01,2021-03-02,2021-03-03,2021-04-01,2031-01-01}'::date[]) AS d
 ORDER BY d;

-- E5: three serious listings (3 * 50) clamp at 0; the clamp applies to the total only.
INSERT INTO sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91110000710926094P', 'tax', 'major_tax_violation', 'serious', '2022-01-01', '2022-01-01'),
       ('91110000710926094P', 'market', 'false_advertising', 'serious', '2022-01-01', '2022-01-01'),
       ('91110000710926094P', 'hrss', 'wage_arrears', 'serious', '2022-01-01', '2022-01-01');
INSERT INTO credit_event (uscc, event_date, points)
VALUES ('91110000710926094P', '2022-02-01', 20),
       ('91110000710926094P', '2022-03-01', 60);
-- 2022-01-15: clamp(100 - 150) = clamp(-50) = 0
-- 2022-02-01: clamp(100 - 150 + 20) = clamp(-30) = 0
-- 2022-03-01: clamp(100 - 150 + 20 + 60) = 30
SELECT d, credit_score('91110000710926094P', d) AS score
  FROM unnest('{2022-01-15,2022-02-01,2022-03-01}'::date[]) AS d ORDER BY d;

-- E6: a category-specific rule beats '*' of the same severity; other severities fall back to '*'.
INSERT INTO score_rule (category, severity, points, recovery_days)
VALUES ('disability_fund_arrears', 'general', 30, 100);
INSERT INTO sanction (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
VALUES ('91310000631696382C', 'hrss', 'disability_fund_arrears', 'general', '2022-01-01', '2022-01-01', '2022-06-01', 'repaired'),
       ('91310000631696382C', 'finance', 'disability_fund_arrears', 'minor', '2022-01-01', '2022-01-01', NULL, NULL),
       ('91310000631696382C', 'justice', 'wage_arrears', 'general', '2022-01-01', '2022-01-01', NULL, NULL);
-- 2022-05-31: own rule (30) + '*' minor (5) + '*' general (20): 100 - 30 - 5 - 20 = 45
-- 2022-07-21 (50 days after 2022-06-01): the own rule's 100-day recovery:
--             100 - 30 * (1 - 50/100) - 5 - 20 = 100 - 15 - 25 = 60
--             ('*' general would have given 100 - 20 * (1 - 50/365) - 25 = 57.74)
-- 2022-09-09 (100 days after): 100 - 0 - 5 - 20 = 75
SELECT d, credit_score('91310000631696382C', d) AS score
  FROM unnest('{2022-05-31,2022-07-21,2022-09-09}'::date[]) AS d ORDER BY d;
-- A rule edited later applies at once (rules are read per query): 30 -> 40 points.
UPDATE score_rule SET points = 40 WHERE category = 'disability_fund_arrears' AND severity = 'general';
-- 2022-05-31: 100 - 40 - 5 - 20 = 35
SELECT credit_score('91310000631696382C', '2022-05-31');
-- Without the own rule, '*' general applies: 100 - 20 - 5 - 20 = 55
DELETE FROM score_rule WHERE category = 'disability_fund_arrears';
SELECT credit_score('91310000631696382C', '2022-05-31');
-- Without any rule for a severity, a sanction of that severity deducts nothing:
-- 100 - 0 (general: no rule) - 5 - 0 = 95; then the shipped rule is put back.
DELETE FROM score_rule WHERE category = '*' AND severity = 'general';
SELECT credit_score('91310000631696382C', '2022-05-31');
INSERT INTO score_rule (category, severity, points, recovery_days) VALUES ('*', 'general', 20, 365);
SELECT credit_score('91310000631696382C', '2022-05-31');

-- E7: the seed's case: the violation was established in June 2018, the enterprise applied in
-- July 2018, it was listed in February 2019.  Plus a listing that was revoked (it was wrong).
INSERT INTO sanction (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
VALUES ('91100000100003962T', 'tax', 'major_tax_violation', 'serious', '2018-06-01', '2019-02-01', NULL, NULL),
       ('91100000100003962T', 'market', 'false_advertising', 'serious', '2018-01-01', '2018-01-10', '2018-03-01', 'revoked');
-- 2018-07-15, listing basis: nothing published yet: 100
-- 2018-07-15, fact basis: the fact of 2018-06-01 counts: 100 - 50 = 50
-- 2018-02-01: the revoked listing counts for nothing on either basis: 100 (else 50)
-- 2019-03-01: listed: 50 on both bases
SELECT d, credit_score('91100000100003962T', d, 'listing') AS listing,
       credit_score('91100000100003962T', d, 'fact') AS fact
  FROM unnest('{2018-02-01,2018-07-15,2019-03-01}'::date[]) AS d ORDER BY d;
-- the default basis is listing
SELECT credit_score('91100000100003962T', '2018-07-15');

-- E9: no sanctions, no events: 100.  An enterprise unknown to the table has no record either.
SELECT credit_score('91330108MA2AAAAA25', '2024-01-01'), credit_score('91330108MA2AAAAA38', '2024-01-01');
-- the default day is today
SELECT credit_score('914403001922038216') = credit_score('914403001922038216', current_date);

-- credit_scores: every enterprise, the same values as credit_score
SELECT s.uscc, s.score, e.name
  FROM credit_scores('2022-07-21') AS s JOIN enterprise AS e USING (uscc)
 ORDER BY s.uscc;
SELECT count(*) AS mismatches
  FROM enterprise AS e, unnest('{2018-07-15,2020-01-15,2021-07-16,2022-03-01,2022-07-21}'::date[]) AS d,
       unnest('{listing,fact}'::text[]) AS b
 WHERE credit_score(e.uscc, d, b) IS DISTINCT FROM
       (SELECT s.score FROM credit_scores(d, b) AS s WHERE s.uscc = e.uscc);
SELECT count(*) FROM credit_scores('2018-07-15', 'fact') WHERE score = 50;

-- score_history.  E8: a category rule deducting 2 points recovered over 4 days, and an event
-- of -1 for 5 days.
INSERT INTO score_rule (category, severity, points, recovery_days) VALUES ('late_filing', 'minor', 2, 4);
INSERT INTO sanction (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
VALUES ('91330108MA2AAAAA12', 'tax', 'late_filing', 'minor', '2023-05-01', '2023-05-10', '2023-06-01', 'repaired');
INSERT INTO credit_event (uscc, event_date, points, valid_days)
VALUES ('91330108MA2AAAAA12', '2023-06-03', -1, 5);
-- 2023-05-01: from: 100
-- 2023-05-10: listed: 100 - 2 = 98
-- 2023-06-01: removed: 100 - 2 * (1 - 0/4) = 98, unchanged: no row
-- 2023-06-02: 100 - 2 * (1 - 1/4) = 98.5
-- 2023-06-03: 100 - 2 * (1 - 2/4) - 1 = 98
-- 2023-06-04: 100 - 2 * (1 - 3/4) - 1 = 98.5
-- 2023-06-05: 100 - 0 - 1 = 99
-- 2023-06-06, 2023-06-07: 99, unchanged: no rows
-- 2023-06-08: the event has expired (2023-06-03 + 5): 100
-- 2023-06-30: to: 100
SELECT * FROM score_history('91330108MA2AAAAA12', '2023-05-01', '2023-06-30');
-- fact basis: the fact of 2023-05-01 counts from that day: 98
SELECT * FROM score_history('91330108MA2AAAAA12', '2023-04-28', '2023-05-12', 'fact');
-- one day
SELECT * FROM score_history('91330108MA2AAAAA12', '2023-06-02', '2023-06-02');
-- a range inside a constant stretch: both endpoints only
SELECT * FROM score_history('91330108MA2AAAAA12', '2023-05-11', '2023-05-20');
-- The step function is exact on every day: the score of each day equals the last row on or
-- before it (E2's 730-day recovery, E3, E4, E6, E7 and E8 over several years, both bases).
SELECT count(*) AS days, count(*) FILTER (WHERE h.score IS DISTINCT FROM credit_score(e.uscc, d::date, b)) AS mismatches
  FROM enterprise AS e, unnest('{listing,fact}'::text[]) AS b,
       generate_series(date '2017-12-01', date '2024-01-31', interval '1 day') AS d,
       LATERAL (SELECT h.score FROM score_history(e.uscc, '2017-12-01', '2024-01-31', b) AS h
                 WHERE h.day <= d ORDER BY h.day DESC LIMIT 1) AS h;
-- and it only has rows where the score changes (besides the endpoints)
SELECT count(*) AS rows_without_change
  FROM enterprise AS e,
       LATERAL (SELECT h.day, h.score, lag(h.score) OVER (ORDER BY h.day) AS prev
                  FROM score_history(e.uscc, '2017-12-01', '2024-01-31') AS h) AS h
 WHERE h.score = h.prev AND h.day <> '2024-01-31';
-- E2's 730-day recovery: a row on each of days 1..730 after the removal (the score changes daily)
SELECT count(*), min(day), max(day)
  FROM score_history('91330000733796106P', '2020-01-01', '2022-01-31')
 WHERE day > '2020-01-01' AND day < '2022-01-31';

-- errors
SELECT credit_score('914403001922038216', '2020-01-01', 'published');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM credit_scores('2020-01-01', 'Listing');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM score_history('91330108MA2AAAAA12', '2023-06-30', '2023-05-01');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM score_history('91330108MA2AAAAA12', '2023-06-30', 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM score_history('91330108MA2AAAAA12', '2023-06-30', '2023-07-01', 'bogus');
\echo :LAST_ERROR_SQLSTATE
-- an error inside a query after the reader was opened, and a caught one: no leaks, reusable
SELECT credit_score(uscc, '2022-01-01', CASE WHEN name LIKE 'E9%' THEN 'oops' ELSE 'fact' END)
  FROM enterprise ORDER BY uscc;
DO $$
DECLARE
    s numeric;
BEGIN
    FOR i IN 1..3 LOOP
        BEGIN
            s := credit_audit.credit_score('914403001922038216', '2020-06-01', CASE i WHEN 2 THEN 'x' ELSE 'listing' END);
            RAISE NOTICE 'call %: %', i, s;
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE NOTICE 'call %: %', i, SQLERRM;
        END;
    END LOOP;
END
$$;

-- NULL arguments give NULL (no rows for the set-returning functions)
SELECT credit_score(NULL, '2020-01-01') IS NULL AS a, credit_score('914403001922038216', NULL) IS NULL AS b,
       credit_score('914403001922038216', '2020-01-01', NULL) IS NULL AS c, credit_grade(NULL) IS NULL AS d;
SELECT count(*) FROM credit_scores(NULL);
SELECT count(*) FROM credit_scores('2020-01-01', NULL);
SELECT count(*) FROM score_history(NULL, '2020-01-01', '2020-02-01');
SELECT count(*) FROM score_history('914403001922038216', '2020-01-01', NULL);

-- credit_grade: A >= 90, B >= 70, C >= 40, else D
SELECT s, credit_grade(s)
  FROM unnest('{100,90,89.99,70,69.999,40,39.99,0,-1,150}'::numeric[]) AS s ORDER BY s DESC;
SELECT credit_grade('NaN');
\echo :LAST_ERROR_SQLSTATE

-- The SQL functions read the tables for the caller, so the caller needs SELECT on them.
CREATE ROLE score_analyst;
GRANT USAGE ON SCHEMA credit_audit TO score_analyst;
SET ROLE score_analyst;
SELECT credit_score('914403001922038216', '2020-06-01');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM credit_scores('2020-06-01');
RESET ROLE;
GRANT SELECT ON enterprise, sanction, credit_event, score_rule TO score_analyst;
SET ROLE score_analyst;
SELECT credit_score('914403001922038216', '2020-06-01');
SELECT count(*) FROM credit_scores('2020-06-01');
RESET ROLE;
DROP OWNED BY score_analyst;
DROP ROLE score_analyst;

-- credit_scores agrees with credit_score on generated data (test/data/generate.sql)
DELETE FROM sanction;
DELETE FROM credit_event;
DELETE FROM enterprise;
DELETE FROM score_rule WHERE category <> '*';
\set enterprises 10000
\set sanctions 20000
\set events 20000
\set grants 0
\i test/data/generate.sql
SET search_path = credit_audit, public;
SET datestyle = ISO, YMD;
-- a category rule, so that rule resolution matters on these data too
INSERT INTO score_rule (category, severity, points, recovery_days) VALUES ('wage_arrears', 'general', 25, 500);
-- small batches: the streams of credit_scores() refill several times (16384 rows per batch)
SET work_mem = '64kB';
SELECT (SELECT count(*) FROM enterprise) >= 10000 AS enough_enterprises,
       (SELECT count(*) FROM sanction) > 16384 AS sanctions_span_batches,
       (SELECT count(*) FROM credit_event) > 16384 AS events_span_batches;
-- The formula once more, in plain SQL, as an independent check of both C paths.
CREATE FUNCTION pg_temp.scores_sql(t date, basis text) RETURNS TABLE (uscc credit_audit.uscc, score numeric)
LANGUAGE sql STABLE AS $$
    WITH sp AS (
        SELECT s.uscc,
               sum(CASE WHEN s.removed_on IS NULL OR t < s.removed_on THEN -r.p
                        WHEN r.rd = 0 THEN 0
                        ELSE -r.p * greatest(0, 1 - (t - s.removed_on)::float8 / r.rd) END) AS pts
          FROM credit_audit.sanction AS s
          LEFT JOIN credit_audit.score_rule AS rc ON rc.category = s.category AND rc.severity = s.severity
          LEFT JOIN credit_audit.score_rule AS rs ON rs.category = '*' AND rs.severity = s.severity
          CROSS JOIN LATERAL (SELECT coalesce(rc.points, rs.points)::float8 AS p,
                                     coalesce(rc.recovery_days, rs.recovery_days) AS rd) AS r
         WHERE CASE basis WHEN 'fact' THEN s.fact_date ELSE s.listed_on END <= t
           AND s.removal_reason IS DISTINCT FROM 'revoked'
         GROUP BY s.uscc),
    ep AS (
        SELECT e.uscc, sum(e.points::float8) AS pts
          FROM credit_audit.credit_event AS e
         WHERE e.event_date <= t AND (e.valid_days IS NULL OR t < e.event_date + e.valid_days)
         GROUP BY e.uscc)
    SELECT en.uscc, round(least(100, greatest(0, 100 + coalesce(sp.pts, 0) + coalesce(ep.pts, 0)))::numeric, 2)
      FROM credit_audit.enterprise AS en
      LEFT JOIN sp ON sp.uscc = en.uscc
      LEFT JOIN ep ON ep.uscc = en.uscc
$$;
-- (1) as loaded (no page all-visible yet: every row's visibility is checked)
SELECT d, b, count(*) = (SELECT count(*) FROM enterprise) AS every_enterprise,
       count(*) FILTER (WHERE s.score IS DISTINCT FROM credit_score(s.uscc, d, b)) AS mismatches,
       count(*) FILTER (WHERE s.score < 100) > 1000 AS many_below_100,
       count(DISTINCT s.score) > 100 AS many_values
  FROM unnest('{2017-06-30,2021-03-15,2026-12-01}'::date[]) AS d, unnest('{listing,fact}'::text[]) AS b,
       LATERAL credit_scores(d, b) AS s
 GROUP BY d, b ORDER BY d, b;
SELECT d, b, count(*) AS mismatches
  FROM unnest('{2017-06-30,2021-03-15,2026-12-01}'::date[]) AS d, unnest('{listing,fact}'::text[]) AS b,
       LATERAL (SELECT * FROM credit_scores(d, b) FULL JOIN pg_temp.scores_sql(d, b) AS q USING (uscc)
                 WHERE credit_scores.score IS DISTINCT FROM q.score) AS x
 GROUP BY d, b ORDER BY d, b;
-- (2) after VACUUM: all-visible pages
VACUUM (FREEZE) enterprise, sanction, credit_event;
SELECT d, count(*) FILTER (WHERE s.score IS DISTINCT FROM credit_score(s.uscc, d)) AS mismatches,
       count(*) FILTER (WHERE s.score IS DISTINCT FROM q.score) AS sql_mismatches
  FROM unnest('{2017-06-30,2021-03-15,2026-12-01}'::date[]) AS d,
       LATERAL credit_scores(d) AS s JOIN LATERAL pg_temp.scores_sql(d, 'listing') AS q USING (uscc)
 GROUP BY d ORDER BY d;
-- (3) with changes in progress: updated rows (HOT chains and new versions), a deleted event
-- and new rows, seen by this transaction only
BEGIN;
UPDATE sanction SET removed_on = listed_on + 30, removal_reason = 'repaired'
 WHERE removed_on IS NULL AND id % 3 = 0;
UPDATE sanction SET removal_reason = 'revoked' WHERE removal_reason = 'repaired' AND id % 7 = 0;
DELETE FROM credit_event WHERE id % 5 = 0;
INSERT INTO enterprise (uscc, name) VALUES ('91330108MA2AAAAA4B', 'new');
INSERT INTO sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91330108MA2AAAAA4B', 'tax', 'tax_arrears', 'serious', '2020-01-01', '2020-02-01');
SELECT count(*) AS scores, count(*) FILTER (WHERE s.score IS DISTINCT FROM credit_score(s.uscc, '2021-03-15')) AS mismatches,
       count(*) FILTER (WHERE s.score IS DISTINCT FROM q.score) AS sql_mismatches,
       max(s.score) FILTER (WHERE s.uscc = '91330108MA2AAAAA4B') AS new_one
  FROM credit_scores('2021-03-15') AS s JOIN pg_temp.scores_sql('2021-03-15', 'listing') AS q USING (uscc);
ROLLBACK;
RESET work_mem;
