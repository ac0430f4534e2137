-- credit_audit: views for analysts and BI tools (DESIGN.md "Views for analysts and BI tools").
--
-- Every view exposes plain SQL types only (uscc as text, severity as text) so that BI tools that
-- know nothing of the extension's types can read them, and every view and column carries a
-- COMMENT that such tools show as documentation.
--
-- Counting rule shared by all views: a grant is identified by (source_table, source_key); a grant
-- flagged by several sanctions (or several kinds) is ONE flagged grant and its amount is counted
-- once.  Findings with status 'dismissed' (a revoked listing, or an analyst's decision) flag
-- nothing.  "Open" findings are those still to be dealt with: status 'open' or 'confirmed'
-- ('recovered' means the money came back).
--
-- Names are schema-qualified throughout; operators inside views are bound when the view is created
-- (under CREATE EXTENSION's search_path), so a hostile search_path at query time changes nothing.

-- Every row of every guarded table (or only enterprise u's), read through the columns registered
-- in guarded_table (by attribute number, so renamed columns keep working).  department_summary
-- needs the unflagged grants too, which only the departments' own tables know; timeline_svg()
-- draws one enterprise's.
CREATE FUNCTION credit_audit.guarded_grants(u credit_audit.uscc DEFAULT NULL)
RETURNS TABLE (source_table text, source_key text, uscc credit_audit.uscc, program text,
               grant_date date, amount numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
-- the settings ca_source_key() fixes while it formats keys, so that keys match the findings'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET TimeZone = 'UTC'
SET extra_float_digits = 1
AS $$
DECLARE
    g record;
    key_expr text;
    filter text := '';
BEGIN
    FOR g IN
        SELECT t.tbl,
               pg_catalog.format('%I.%I', n.nspname, c.relname) AS qualified,
               (SELECT a.attname FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid OPERATOR(pg_catalog.=) t.tbl
                   AND a.attnum OPERATOR(pg_catalog.=) t.uscc_attnum) AS uscc_col,
               (SELECT a.attname FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid OPERATOR(pg_catalog.=) t.tbl
                   AND a.attnum OPERATOR(pg_catalog.=) t.date_attnum) AS date_col,
               (SELECT a.attname FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid OPERATOR(pg_catalog.=) t.tbl
                   AND a.attnum OPERATOR(pg_catalog.=) t.amount_attnum) AS amount_col,
               (SELECT a.attname FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid OPERATOR(pg_catalog.=) t.tbl
                   AND a.attnum OPERATOR(pg_catalog.=) t.program_attnum) AS program_col,
               t.program,
               (SELECT pg_catalog.array_agg(a.attname ORDER BY k.ord)
                  FROM pg_catalog.unnest(t.key_attnums) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_catalog.pg_attribute a
                    ON a.attrelid OPERATOR(pg_catalog.=) t.tbl
                   AND a.attnum OPERATOR(pg_catalog.=) k.attnum) AS key_cols,
               (SELECT a.atttypid FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid OPERATOR(pg_catalog.=) t.tbl
                   AND a.attnum OPERATOR(pg_catalog.=) t.uscc_attnum) AS uscc_type
          FROM credit_audit.guarded_table t
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tbl
          JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
         ORDER BY 2
    LOOP
        -- source_key as the finding writer (ca_source_key) spells it: the key column's output
        -- text ('' for NULL; format's %s calls the output function, where a cast to text might
        -- not), or for a key of several columns the row literal of those columns (record_out).
        IF pg_catalog.array_length(g.key_cols, 1) OPERATOR(pg_catalog.=) 1 THEN
            key_expr := pg_catalog.format('pg_catalog.format(%L, %I)', '%s', g.key_cols[1]);
        ELSE
            SELECT pg_catalog.format('ROW(%s)::pg_catalog.text',
                                     pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ' ORDER BY o))
              INTO key_expr
              FROM pg_catalog.unnest(g.key_cols) WITH ORDINALITY AS u(k, o);
        END IF;
        IF u IS NOT NULL THEN
            -- compare in the column's own type when it is uscc, so that its index can serve
            filter := pg_catalog.format(
                CASE WHEN g.uscc_type OPERATOR(pg_catalog.=) 'credit_audit.uscc'::pg_catalog.regtype
                     THEN ' WHERE %I OPERATOR(credit_audit.=) $1'
                     ELSE ' WHERE %I::credit_audit.uscc OPERATOR(credit_audit.=) $1' END,
                g.uscc_col);
        END IF;
        RETURN QUERY EXECUTE pg_catalog.format(
            'SELECT %L::pg_catalog.text, %s, %I::credit_audit.uscc, %s, %I::pg_catalog.date, %I::pg_catalog.numeric FROM %s%s',
            g.qualified, key_expr, g.uscc_col,
            CASE WHEN g.program_col IS NULL THEN pg_catalog.format('%L::pg_catalog.text', g.program)
                 ELSE pg_catalog.format('%I::pg_catalog.text', g.program_col) END,
            g.date_col, g.amount_col, g.qualified, filter)
            USING u;
    END LOOP;
END
$$;
COMMENT ON FUNCTION credit_audit.guarded_grants(credit_audit.uscc) IS
  'every row of every guarded grant table (source_table, source_key, uscc, program, grant_date, amount), or only enterprise u''s; read with the caller''s privileges';

CREATE VIEW credit_audit.flagged_subsidies AS
SELECT f.id AS finding_id,
       f.kind,
       f.status,
       f.uscc::text AS uscc,
       e.name AS enterprise_name,
       f.program,
       p.name AS program_name,
       p.department AS paying_department,
       pd.name AS paying_department_name,
       f.source_table,
       f.source_key,
       f.grant_date,
       f.amount,
       f.sanction_id,
       s.department AS sanction_department,
       sd.name AS sanction_department_name,
       s.category,
       s.severity::text AS severity,
       s.fact_date,
       s.listed_on,
       s.removed_on,
       s.removal_reason,
       f.detected_at,
       f.note
  FROM credit_audit.finding f
  LEFT JOIN credit_audit.enterprise e ON e.uscc = f.uscc
  LEFT JOIN credit_audit.program p ON p.code = f.program
  LEFT JOIN credit_audit.department pd ON pd.code = p.department
  LEFT JOIN credit_audit.sanction s ON s.id = f.sanction_id
  LEFT JOIN credit_audit.department sd ON sd.code = s.department;
COMMENT ON VIEW credit_audit.flagged_subsidies IS
  'one row per finding: the grant, the enterprise, the paying department and the listing that flags it (NULL listing columns for low_score findings)';
COMMENT ON COLUMN credit_audit.flagged_subsidies.finding_id IS 'id of the finding (credit_audit.finding.id)';
COMMENT ON COLUMN credit_audit.flagged_subsidies.kind IS
  'retroactive (paid after the violation was established, before it was listed), paid_while_listed, or low_score (paid below the program''s minimum score)';
COMMENT ON COLUMN credit_audit.flagged_subsidies.status IS 'open | confirmed | recovered | dismissed';
COMMENT ON COLUMN credit_audit.flagged_subsidies.uscc IS 'Unified Social Credit Code of the enterprise (18 characters)';
COMMENT ON COLUMN credit_audit.flagged_subsidies.enterprise_name IS 'name of the enterprise';
COMMENT ON COLUMN credit_audit.flagged_subsidies.program IS 'code of the subsidy program';
COMMENT ON COLUMN credit_audit.flagged_subsidies.program_name IS 'name of the subsidy program';
COMMENT ON COLUMN credit_audit.flagged_subsidies.paying_department IS 'code of the department that pays the program';
COMMENT ON COLUMN credit_audit.flagged_subsidies.paying_department_name IS 'name of the department that pays the program';
COMMENT ON COLUMN credit_audit.flagged_subsidies.source_table IS 'schema-qualified name of the guarded table holding the grant';
COMMENT ON COLUMN credit_audit.flagged_subsidies.source_key IS 'key of the grant''s row in source_table';
COMMENT ON COLUMN credit_audit.flagged_subsidies.grant_date IS 'date of the grant (the guarded date column)';
COMMENT ON COLUMN credit_audit.flagged_subsidies.amount IS 'amount of the grant in yuan';
COMMENT ON COLUMN credit_audit.flagged_subsidies.sanction_id IS 'id of the listing that flags the grant; NULL for low_score';
COMMENT ON COLUMN credit_audit.flagged_subsidies.sanction_department IS 'code of the department that published the listing';
COMMENT ON COLUMN credit_audit.flagged_subsidies.sanction_department_name IS 'name of the department that published the listing';
COMMENT ON COLUMN credit_audit.flagged_subsidies.category IS 'category of the listing, e.g. major_tax_violation, wage_arrears';
COMMENT ON COLUMN credit_audit.flagged_subsidies.severity IS 'severity of the listing: minor, general or serious';
COMMENT ON COLUMN credit_audit.flagged_subsidies.fact_date IS 'the day the violation was established';
COMMENT ON COLUMN credit_audit.flagged_subsidies.listed_on IS 'the day the listing was published';
COMMENT ON COLUMN credit_audit.flagged_subsidies.removed_on IS 'the day the listing ended; NULL while still listed';
COMMENT ON COLUMN credit_audit.flagged_subsidies.removal_reason IS 'repaired, expired or revoked; NULL while still listed';
COMMENT ON COLUMN credit_audit.flagged_subsidies.detected_at IS 'when the finding was written';
COMMENT ON COLUMN credit_audit.flagged_subsidies.note IS 'the analyst''s note on the finding';

CREATE VIEW credit_audit.enterprise_risk AS
WITH active AS (
    SELECT s.uscc,
           pg_catalog.count(*) AS active_sanctions,
           pg_catalog.bool_or(s.severity >= 'general'::credit_audit.severity) AS blocking
      FROM credit_audit.sanction s
     WHERE s.removal_reason IS DISTINCT FROM 'revoked'
       AND s.listed_on <= CURRENT_DATE
       AND (s.removed_on IS NULL OR CURRENT_DATE < s.removed_on)
     GROUP BY s.uscc
), flagged_grant AS (
    -- one row per flagged grant; the latest finding's amount
    SELECT DISTINCT ON (f.uscc, f.source_table, f.source_key) f.uscc, f.amount
      FROM credit_audit.finding f
     WHERE f.status <> 'dismissed'
     ORDER BY f.uscc, f.source_table, f.source_key, f.id DESC
), flagged AS (
    SELECT g.uscc, pg_catalog.count(*) AS flagged_subsidies, pg_catalog.sum(g.amount) AS flagged_amount
      FROM flagged_grant g
     GROUP BY g.uscc
), open_finding AS (
    SELECT f.uscc, pg_catalog.count(*) AS open_findings
      FROM credit_audit.finding f
     WHERE f.status IN ('open', 'confirmed')
     GROUP BY f.uscc
)
SELECT e.uscc::text AS uscc,
       NULLIF(e.name, '') AS name,
       sc.score,
       credit_audit.credit_grade(sc.score) AS grade,
       COALESCE(a.active_sanctions, 0) AS active_sanctions,
       COALESCE(fl.flagged_subsidies, 0) AS flagged_subsidies,
       COALESCE(fl.flagged_amount, 0) AS flagged_amount,
       COALESCE(o.open_findings, 0) AS open_findings,
       CASE WHEN COALESCE(a.blocking, false) OR sc.score < 70 THEN 'high'
            WHEN o.open_findings > 0 OR sc.score < 90 THEN 'medium'
            ELSE 'low' END AS risk_level
  FROM credit_audit.enterprise e
  LEFT JOIN credit_audit.credit_scores(CURRENT_DATE, 'listing') sc ON sc.uscc = e.uscc
  LEFT JOIN active a ON a.uscc = e.uscc
  LEFT JOIN flagged fl ON fl.uscc = e.uscc
  LEFT JOIN open_finding o ON o.uscc = e.uscc;
COMMENT ON VIEW credit_audit.enterprise_risk IS
  'credit risk of every enterprise today: score, grade, active listings, flagged grants and a risk level for the warning dashboard';
COMMENT ON COLUMN credit_audit.enterprise_risk.uscc IS 'Unified Social Credit Code of the enterprise (18 characters)';
COMMENT ON COLUMN credit_audit.enterprise_risk.name IS 'name of the enterprise; NULL if only its code is known';
COMMENT ON COLUMN credit_audit.enterprise_risk.score IS 'credit score today (0-100, listing basis)';
COMMENT ON COLUMN credit_audit.enterprise_risk.grade IS 'grade of the score: A >= 90, B >= 70, C >= 40, else D';
COMMENT ON COLUMN credit_audit.enterprise_risk.active_sanctions IS 'listings in force today (published, not removed, not revoked)';
COMMENT ON COLUMN credit_audit.enterprise_risk.flagged_subsidies IS 'grants flagged by at least one finding that is not dismissed (each grant once)';
COMMENT ON COLUMN credit_audit.enterprise_risk.flagged_amount IS 'total amount of the flagged grants in yuan (each grant once)';
COMMENT ON COLUMN credit_audit.enterprise_risk.open_findings IS 'findings still to be dealt with (status open or confirmed)';
COMMENT ON COLUMN credit_audit.enterprise_risk.risk_level IS
  'high: blocked from subsidies today (a listing in force of severity general or serious, or score below 70); medium: open findings or score below 90; low: otherwise';

CREATE VIEW credit_audit.department_summary AS
WITH flagged AS (
    SELECT DISTINCT f.source_table, f.source_key
      FROM credit_audit.finding f
     WHERE f.status <> 'dismissed'
)
SELECT p.department AS paying_department,
       d.name AS department_name,
       EXTRACT(year FROM g.grant_date)::integer AS year,
       pg_catalog.count(*) AS subsidies,
       pg_catalog.sum(g.amount) AS amount,
       pg_catalog.count(fl.source_key) AS flagged_subsidies,
       COALESCE(pg_catalog.sum(g.amount) FILTER (WHERE fl.source_key IS NOT NULL), 0) AS flagged_amount
  FROM credit_audit.guarded_grants() g
  LEFT JOIN credit_audit.program p ON p.code = g.program
  LEFT JOIN credit_audit.department d ON d.code = p.department
  LEFT JOIN flagged fl ON fl.source_table = g.source_table AND fl.source_key = g.source_key
 GROUP BY p.department, d.name, EXTRACT(year FROM g.grant_date)::integer;
COMMENT ON VIEW credit_audit.department_summary IS
  'grants of every guarded table per paying department and year, and how many of them are flagged (each grant once)';
COMMENT ON COLUMN credit_audit.department_summary.paying_department IS
  'code of the department that pays the program; NULL for programs without a department';
COMMENT ON COLUMN credit_audit.department_summary.department_name IS 'name of the paying department';
COMMENT ON COLUMN credit_audit.department_summary.year IS 'calendar year of the grant date';
COMMENT ON COLUMN credit_audit.department_summary.subsidies IS 'number of grants';
COMMENT ON COLUMN credit_audit.department_summary.amount IS 'total amount of the grants in yuan';
COMMENT ON COLUMN credit_audit.department_summary.flagged_subsidies IS
  'grants flagged by at least one finding that is not dismissed (each grant once)';
COMMENT ON COLUMN credit_audit.department_summary.flagged_amount IS 'total amount of the flagged grants in yuan (each grant once)';

CREATE VIEW credit_audit.repaired_but_flagged AS
WITH covered AS (
    -- findings of repaired listings: the grant was paid in the dishonest period, which repair
    -- does not undo
    SELECT f.uscc, f.source_table, f.source_key, f.id, f.amount, s.id AS sanction_id,
           s.listed_on, s.removed_on
      FROM credit_audit.finding f
      JOIN credit_audit.sanction s ON s.id = f.sanction_id
     WHERE s.removal_reason = 'repaired'
       AND f.status <> 'dismissed'
), grant_once AS (
    SELECT DISTINCT ON (c.uscc, c.source_table, c.source_key) c.uscc, c.amount
      FROM covered c
     ORDER BY c.uscc, c.source_table, c.source_key, c.id DESC
), per_grant AS (
    SELECT g.uscc, pg_catalog.count(*) AS flagged_subsidies, pg_catalog.sum(g.amount) AS flagged_amount
      FROM grant_once g
     GROUP BY g.uscc
), per_sanction AS (
    SELECT c.uscc,
           pg_catalog.count(DISTINCT c.sanction_id) AS repaired_sanctions,
           pg_catalog.min(c.listed_on) AS first_listed_on,
           pg_catalog.max(c.removed_on) AS repaired_on
      FROM covered c
     GROUP BY c.uscc
)
SELECT ps.uscc::text AS uscc,
       NULLIF(e.name, '') AS name,
       ps.repaired_sanctions,
       ps.first_listed_on,
       ps.repaired_on,
       pg.flagged_subsidies,
       pg.flagged_amount,
       EXISTS (SELECT 1
                 FROM credit_audit.sanction s
                WHERE s.uscc = ps.uscc
                  AND s.removal_reason IS DISTINCT FROM 'revoked'
                  AND (s.removed_on IS NULL OR s.removed_on > CURRENT_DATE)) AS still_listed
  FROM per_sanction ps
  JOIN per_grant pg ON pg.uscc = ps.uscc
  LEFT JOIN credit_audit.enterprise e ON e.uscc = ps.uscc;
COMMENT ON VIEW credit_audit.repaired_but_flagged IS
  'enterprises that repaired their credit after grants were paid in their dishonest period: repair does not change what was paid';
COMMENT ON COLUMN credit_audit.repaired_but_flagged.uscc IS 'Unified Social Credit Code of the enterprise (18 characters)';
COMMENT ON COLUMN credit_audit.repaired_but_flagged.name IS 'name of the enterprise; NULL if only its code is known';
COMMENT ON COLUMN credit_audit.repaired_but_flagged.repaired_sanctions IS 'repaired listings that flag at least one grant';
COMMENT ON COLUMN credit_audit.repaired_but_flagged.first_listed_on IS 'publication date of the earliest of those listings';
COMMENT ON COLUMN credit_audit.repaired_but_flagged.repaired_on IS 'the day the last of those listings was removed as repaired';
COMMENT ON COLUMN credit_audit.repaired_but_flagged.flagged_subsidies IS
  'grants paid in the dishonest period of those listings (each grant once; dismissed findings excluded)';
COMMENT ON COLUMN credit_audit.repaired_but_flagged.flagged_amount IS 'total amount of those grants in yuan (each grant once)';
COMMENT ON COLUMN credit_audit.repaired_but_flagged.still_listed IS
  'true if the enterprise has another listing that is not removed (or removed only in the future)';
