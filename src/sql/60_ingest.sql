-- credit_audit: ingestion of department deliveries (DESIGN.md "Ingestion from departments";
-- docs/ingestion.md for loaders).  Departments COPY their lists as text into sanction_staging;
-- ingest_sanctions() normalizes the whole batch with the C normalizers of src/ingest.c in a few
-- set-based statements, and every staging row ends in exactly one place: inserted into sanction,
-- applied as an update of removal data, counted unchanged, or kept in sanction_quarantine with
-- the raw values and a reason.

-- ---- normalizers (src/ingest.c): never raise, NULL when the value does not normalize ----

CREATE FUNCTION credit_audit.normalize_text(text) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_normalize_text'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.normalize_text(text) IS
  'full-width forms to ASCII, white space trimmed and collapsed to one space; NULL if nothing but white space';

CREATE FUNCTION credit_audit.normalize_name(text) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_normalize_name'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.normalize_name(text) IS
  'comparison key of an enterprise name: full-width forms (（）) to ASCII, all white space removed, ASCII upper case';

CREATE FUNCTION credit_audit.normalize_code(text) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_normalize_code'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.normalize_code(text) IS
  'normalize_text() with ASCII letters lower-cased: department codes, categories';

CREATE FUNCTION credit_audit.normalize_date(text) RETURNS date
    AS 'MODULE_PATHNAME', 'ca_normalize_date'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.normalize_date(text) IS
  'date from 2019-02-01, 2019/2/1, 20190201, 2019.02.01 or 2019年2月1日 (full-width digits too); NULL unless a real calendar date in 1900-2999';

CREATE FUNCTION credit_audit.normalize_severity(text) RETURNS credit_audit.severity
    AS 'MODULE_PATHNAME', 'ca_normalize_severity'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.normalize_severity(text) IS
  'severity from minor/general/serious (any case) or 轻微/一般/严重; NULL otherwise';

CREATE FUNCTION credit_audit.normalize_removal_reason(text) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_normalize_removal_reason'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.normalize_removal_reason(text) IS
  'repaired | expired | revoked from those words (any case) or 修复/信用修复/已修复, 到期/期满/届满, 撤销/撤回; NULL otherwise';

CREATE FUNCTION credit_audit.normalize_uscc(text) RETURNS credit_audit.uscc
    AS 'MODULE_PATHNAME', 'ca_normalize_uscc'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.normalize_uscc(text) IS
  'the code with all white space removed, full-width and lower case accepted; NULL if it is not a valid USCC';

CREATE FUNCTION credit_audit.uscc_problem(text) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_problem'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_problem(text) IS
  'why a delivered code is not a valid USCC, as a sentence; NULL if it is valid';

CREATE FUNCTION credit_audit.uscc_suggestion(text) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_suggestion'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_suggestion(text) IS
  'the valid code an invalid one becomes when its impossible characters are read as their look-alikes (O→0, I→1, Z→2, S→5, V→U; D/Q/L/G/T/B in the division digits); NULL if none';

-- ---- staging and quarantine ----

CREATE TABLE credit_audit.sanction_staging (
    uscc text,
    enterprise_name text,
    department text,
    category text,
    severity text,
    fact_date text,
    listed_on text,
    removed_on text,
    removal_reason text,
    source_ref text,
    loaded_by text NOT NULL DEFAULT current_user,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE credit_audit.sanction_staging IS
  'department deliveries as text; COPY with the column list of the first ten columns, then run ingest_sanctions()';
COMMENT ON COLUMN credit_audit.sanction_staging.uscc IS 'Unified Social Credit Code as delivered';
COMMENT ON COLUMN credit_audit.sanction_staging.enterprise_name IS 'enterprise name as delivered';
COMMENT ON COLUMN credit_audit.sanction_staging.department IS 'department code (tax) or name (税务)';
COMMENT ON COLUMN credit_audit.sanction_staging.category IS 'listing category, e.g. major_tax_violation';
COMMENT ON COLUMN credit_audit.sanction_staging.severity IS 'minor/general/serious or 轻微/一般/严重';
COMMENT ON COLUMN credit_audit.sanction_staging.fact_date IS 'day the violation was established, any accepted date form';
COMMENT ON COLUMN credit_audit.sanction_staging.listed_on IS 'day the listing was published, any accepted date form';
COMMENT ON COLUMN credit_audit.sanction_staging.removed_on IS 'day the listing ended; empty while listed';
COMMENT ON COLUMN credit_audit.sanction_staging.removal_reason IS 'repaired | expired | revoked; empty while listed';
COMMENT ON COLUMN credit_audit.sanction_staging.source_ref IS 'reference of the source document';
COMMENT ON COLUMN credit_audit.sanction_staging.loaded_by IS 'role that loaded the row (set by default; loaders are granted INSERT on the first ten columns only)';
COMMENT ON COLUMN credit_audit.sanction_staging.loaded_at IS 'when the row was loaded (start of the loading transaction)';
SELECT pg_catalog.pg_extension_config_dump('credit_audit.sanction_staging', '');

CREATE TABLE credit_audit.sanction_quarantine (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    uscc text,
    enterprise_name text,
    department text,
    category text,
    severity text,
    fact_date text,
    listed_on text,
    removed_on text,
    removal_reason text,
    source_ref text,
    reason text NOT NULL CHECK (reason IN (
        'missing_field', 'invalid_uscc', 'unknown_department', 'invalid_severity',
        'invalid_date', 'invalid_removal_reason', 'fact_after_listing',
        'removal_before_listing', 'batch_conflict', 'stored_conflict')),
    field text,
    message text NOT NULL,
    suggestion text,
    sanction_id bigint REFERENCES credit_audit.sanction,
    loaded_by text NOT NULL,
    loaded_at timestamptz NOT NULL,
    quarantined_by text NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sanction_quarantine_reason_idx ON credit_audit.sanction_quarantine (reason, quarantined_at);
COMMENT ON TABLE credit_audit.sanction_quarantine IS
  'staging rows ingest_sanctions() did not take, with their raw values and why';
COMMENT ON COLUMN credit_audit.sanction_quarantine.id IS 'order of quarantining';
COMMENT ON COLUMN credit_audit.sanction_quarantine.uscc IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.enterprise_name IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.department IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.category IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.severity IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.fact_date IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.listed_on IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.removed_on IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.removal_reason IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.source_ref IS 'raw value as delivered';
COMMENT ON COLUMN credit_audit.sanction_quarantine.reason IS
  'machine-readable reason: missing_field, invalid_uscc, unknown_department, invalid_severity, invalid_date, invalid_removal_reason, fact_after_listing, removal_before_listing, batch_conflict, stored_conflict';
COMMENT ON COLUMN credit_audit.sanction_quarantine.field IS 'the staging column the reason is about, where there is one';
COMMENT ON COLUMN credit_audit.sanction_quarantine.message IS 'the reason as a sentence';
COMMENT ON COLUMN credit_audit.sanction_quarantine.suggestion IS
  'suggested correction of the field (never applied): for invalid_uscc the one valid code a look-alike substitution gives';
COMMENT ON COLUMN credit_audit.sanction_quarantine.sanction_id IS 'stored_conflict: the stored listing the delivery contradicts';
COMMENT ON COLUMN credit_audit.sanction_quarantine.loaded_by IS 'role that loaded the staging row';
COMMENT ON COLUMN credit_audit.sanction_quarantine.loaded_at IS 'when the staging row was loaded';
COMMENT ON COLUMN credit_audit.sanction_quarantine.quarantined_by IS 'session user (the login role, not a role taken with SET ROLE) that ran ingest_sanctions()';
COMMENT ON COLUMN credit_audit.sanction_quarantine.quarantined_at IS 'when ingest_sanctions() quarantined the row';
SELECT pg_catalog.pg_extension_config_dump('credit_audit.sanction_quarantine', '');
SELECT pg_catalog.pg_extension_config_dump('credit_audit.sanction_quarantine_id_seq', '');

-- ---- suspicious codes ----

CREATE VIEW credit_audit.suspicious_sanctions AS
SELECT s.id AS sanction_id,
       s.uscc::text AS uscc,
       e.name AS enterprise_name,
       credit_audit.uscc_org_code(s.uscc) AS org_code,
       s.department,
       s.category,
       s.severity::text AS severity,
       s.fact_date,
       s.listed_on,
       s.removed_on,
       s.removal_reason,
       s.source_ref,
       s.recorded_at
  FROM credit_audit.sanction s
  JOIN credit_audit.enterprise e ON e.uscc OPERATOR(credit_audit.=) s.uscc
 WHERE NOT credit_audit.uscc_org_code_valid(s.uscc);
COMMENT ON VIEW credit_audit.suspicious_sanctions IS
  'sanctions whose USCC passes its own check but whose embedded GB 11714 organization code fails its check: taken in, to be verified';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.sanction_id IS 'credit_audit.sanction.id';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.uscc IS 'the Unified Social Credit Code';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.enterprise_name IS 'enterprise name as stored';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.org_code IS 'the embedded organization code (XXXXXXXX-X) that fails its check';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.department IS 'listing department code';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.category IS 'listing category';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.severity IS 'minor, general or serious';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.fact_date IS 'day the violation was established';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.listed_on IS 'day the listing was published';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.removed_on IS 'day the listing ended; NULL while listed';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.removal_reason IS 'repaired, expired or revoked';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.source_ref IS 'reference of the source document';
COMMENT ON COLUMN credit_audit.suspicious_sanctions.recorded_at IS 'when this database learned of the listing';

-- ---- ingestion ----

CREATE FUNCTION credit_audit.ingest_sanctions()
RETURNS TABLE (inserted bigint, updated bigint, unchanged bigint, quarantined bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n_inserted bigint := 0;
    n_updated bigint := 0;
    n_unchanged bigint := 0;
    n_quarantined bigint := 0;
    n_consumed bigint := 0;
    n_suspicious bigint := 0;
    n_renamed bigint := 0;
    renamed_example text;
BEGIN
    -- One ingestion at a time (transaction-level): a second caller waits here, then sees the
    -- first one's sanctions, so two batches delivering the same listing cannot race.
    PERFORM pg_catalog.pg_advisory_xact_lock(1667330417, 6);

    -- The batch: raw values (kept for the quarantine), normalized values, and the verdict.
    -- Written once; later steps update only the rows of same-key groups (normally few).
    CREATE TEMP TABLE ca_ingest_batch (
        rid bigint GENERATED ALWAYS AS IDENTITY,
        uscc text, enterprise_name text, department text, category text, severity text,
        fact_date text, listed_on text, removed_on text, removal_reason text, source_ref text,
        loaded_by text, loaded_at timestamptz,
        n_uscc credit_audit.uscc,
        n_name text,
        n_department text,
        n_category text,
        n_severity credit_audit.severity,
        n_fact date,
        n_listed date,
        n_removed date,
        n_removal text,
        n_source text,
        needs_enterprise boolean,   -- no enterprise row, or a placeholder (name '')
        renamed text,               -- the stored enterprise name differs from the delivered one
        reason text,                -- NULL while the row is good
        field text,
        message text,
        sanction_id bigint,         -- the stored listing with the same natural key
        rep_rid bigint,             -- duplicates within the batch: the row that stands for them
        outcome text                -- NULL = to insert; updated | unchanged | duplicate
    ) ON COMMIT DROP;

    -- 1. Consume exactly the staging rows this snapshot sees (rows loaded concurrently stay for
    --    the next call), normalize them, and judge each against the stored listing with the same
    --    natural key, all in one pass.  Only removal data may change: a delivery that adds or
    --    changes it updates the listing; one that drops it, or differs in severity or listed_on,
    --    contradicts the stored listing (stored_conflict).
    WITH consumed AS (
        DELETE FROM credit_audit.sanction_staging RETURNING *
    ), dept AS (
        SELECT DISTINCT ON (k) k, code
          FROM (SELECT d.code AS k, d.code, 0 AS pref FROM credit_audit.department d
                UNION ALL
                SELECT credit_audit.normalize_code(d.name), d.code, 1 FROM credit_audit.department d) m
         ORDER BY k, pref
    ), norm AS (
        SELECT c.*,
               credit_audit.normalize_uscc(c.uscc) AS x_uscc,
               credit_audit.normalize_text(c.enterprise_name) AS x_name,
               credit_audit.normalize_code(c.department) AS x_dept_key,
               credit_audit.normalize_code(c.category) AS x_category,
               credit_audit.normalize_severity(c.severity) AS x_severity,
               credit_audit.normalize_date(c.fact_date) AS x_fact,
               credit_audit.normalize_date(c.listed_on) AS x_listed,
               credit_audit.normalize_date(c.removed_on) AS x_removed,
               credit_audit.normalize_removal_reason(c.removal_reason) AS x_removal
          FROM consumed c
        OFFSET 0
    ), judged AS (
        SELECT n.*, d.code AS x_department,
               CASE
                 WHEN n.x_uscc IS NULL AND credit_audit.normalize_text(n.uscc) IS NULL THEN 'missing_field:uscc'
                 WHEN n.x_name IS NULL THEN 'missing_field:enterprise_name'
                 WHEN n.x_dept_key IS NULL THEN 'missing_field:department'
                 WHEN n.x_category IS NULL THEN 'missing_field:category'
                 WHEN n.x_severity IS NULL AND credit_audit.normalize_text(n.severity) IS NULL THEN 'missing_field:severity'
                 WHEN n.x_fact IS NULL AND credit_audit.normalize_text(n.fact_date) IS NULL THEN 'missing_field:fact_date'
                 WHEN n.x_listed IS NULL AND credit_audit.normalize_text(n.listed_on) IS NULL THEN 'missing_field:listed_on'
                 WHEN n.x_uscc IS NULL THEN 'invalid_uscc:uscc'
                 WHEN d.code IS NULL THEN 'unknown_department:department'
                 WHEN n.x_severity IS NULL THEN 'invalid_severity:severity'
                 WHEN n.x_fact IS NULL THEN 'invalid_date:fact_date'
                 WHEN n.x_listed IS NULL THEN 'invalid_date:listed_on'
                 WHEN n.x_removed IS NULL AND credit_audit.normalize_text(n.removed_on) IS NOT NULL THEN 'invalid_date:removed_on'
                 WHEN n.x_removal IS NULL AND credit_audit.normalize_text(n.removal_reason) IS NOT NULL THEN 'invalid_removal_reason:removal_reason'
                 WHEN n.x_removed IS NULL AND n.x_removal IS NOT NULL THEN 'missing_field:removed_on'
                 WHEN n.x_removed IS NOT NULL AND n.x_removal IS NULL THEN 'missing_field:removal_reason'
                 WHEN n.x_fact > n.x_listed THEN 'fact_after_listing:fact_date'
                 WHEN n.x_removed < n.x_listed THEN 'removal_before_listing:removed_on'
               END AS problem
          FROM norm n
          LEFT JOIN dept d ON d.k = n.x_dept_key
        OFFSET 0
    ), matched AS (
        SELECT j.*,
               s.id AS s_id,
               s.severity AS s_severity, s.listed_on AS s_listed,
               s.removed_on AS s_removed, s.removal_reason AS s_removal,
               (s.severity OPERATOR(pg_catalog.=) j.x_severity
                AND s.listed_on OPERATOR(pg_catalog.=) j.x_listed
                AND (j.x_removed IS NOT NULL OR s.removed_on IS NULL)) AS s_agrees,
               e.name AS e_name,
               -- names are compared by normalize_name() (full-width forms such as （）, white
               -- space, ASCII case): a delivered name that differs from the stored one is
               -- reported, never written
               CASE WHEN e.name OPERATOR(pg_catalog.<>) ''
                     AND credit_audit.normalize_name(e.name) OPERATOR(pg_catalog.<>)
                         credit_audit.normalize_name(j.x_name)
                    THEN pg_catalog.format('%s is stored as "%s" and was delivered as "%s".',
                                           j.x_uscc, e.name, j.x_name) END AS renamed
          FROM judged j
          LEFT JOIN credit_audit.sanction s
                 ON j.problem IS NULL
                AND s.uscc OPERATOR(credit_audit.=) j.x_uscc
                AND s.department OPERATOR(pg_catalog.=) j.x_department
                AND s.category OPERATOR(pg_catalog.=) j.x_category
                AND s.fact_date OPERATOR(pg_catalog.=) j.x_fact
          LEFT JOIN credit_audit.enterprise e
                 ON j.problem IS NULL
                AND e.uscc OPERATOR(credit_audit.=) j.x_uscc
    ), ins AS (
        INSERT INTO pg_temp.ca_ingest_batch
            (uscc, enterprise_name, department, category, severity, fact_date, listed_on,
             removed_on, removal_reason, source_ref, loaded_by, loaded_at,
             n_uscc, n_name, n_department, n_category, n_severity, n_fact, n_listed,
             n_removed, n_removal, n_source, needs_enterprise, renamed, reason, field, message,
             sanction_id, outcome)
        SELECT m.uscc, m.enterprise_name, m.department, m.category, m.severity, m.fact_date,
               m.listed_on, m.removed_on, m.removal_reason, m.source_ref, m.loaded_by, m.loaded_at,
               m.x_uscc, m.x_name, m.x_department, m.x_category, m.x_severity, m.x_fact,
               m.x_listed, m.x_removed, m.x_removal, credit_audit.normalize_text(m.source_ref),
               m.problem IS NULL AND (m.e_name IS NULL OR m.e_name OPERATOR(pg_catalog.=) ''),
               CASE WHEN m.s_id IS NULL OR m.s_agrees THEN m.renamed END,
               CASE WHEN m.problem IS NOT NULL THEN pg_catalog.split_part(m.problem, ':', 1)
                    WHEN m.s_id IS NOT NULL AND NOT m.s_agrees THEN 'stored_conflict' END,
               CASE WHEN m.problem IS NOT NULL THEN pg_catalog.split_part(m.problem, ':', 2) END,
               CASE WHEN m.problem IS NULL AND m.s_id IS NOT NULL AND NOT m.s_agrees THEN
                   pg_catalog.format(
                       'The stored listing %s has %s; this delivery has %s. Only removal data may change; a removal cannot be taken back.',
                       m.s_id,
                       pg_catalog.concat_ws(', ', 'severity ' OPERATOR(pg_catalog.||) m.s_severity::text,
                           'listed_on ' OPERATOR(pg_catalog.||) pg_catalog.to_char(m.s_listed, 'YYYY-MM-DD'),
                           'removed_on ' OPERATOR(pg_catalog.||) pg_catalog.to_char(m.s_removed, 'YYYY-MM-DD'),
                           'removal_reason ' OPERATOR(pg_catalog.||) m.s_removal),
                       pg_catalog.concat_ws(', ', 'severity ' OPERATOR(pg_catalog.||) m.x_severity::text,
                           'listed_on ' OPERATOR(pg_catalog.||) pg_catalog.to_char(m.x_listed, 'YYYY-MM-DD'),
                           'removed_on ' OPERATOR(pg_catalog.||) pg_catalog.to_char(m.x_removed, 'YYYY-MM-DD'),
                           'removal_reason ' OPERATOR(pg_catalog.||) m.x_removal)) END,
               CASE WHEN m.problem IS NULL THEN m.s_id END,
               CASE WHEN m.problem IS NULL AND m.s_id IS NOT NULL AND m.s_agrees THEN
                   CASE WHEN m.s_removed IS NOT DISTINCT FROM m.x_removed
                         AND m.s_removal IS NOT DISTINCT FROM m.x_removal THEN 'unchanged'
                        ELSE 'updated' END END
          FROM matched m
        RETURNING renamed
    )
    SELECT pg_catalog.count(*), pg_catalog.count(i.renamed), pg_catalog.min(i.renamed)
      INTO n_consumed, n_renamed, renamed_example
      FROM ins i;
    IF n_consumed = 0 THEN
        DROP TABLE pg_temp.ca_ingest_batch;
        RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint;
        RETURN;
    END IF;
    ANALYZE pg_temp.ca_ingest_batch (reason, outcome, needs_enterprise, n_uscc, n_department, n_category, n_fact);

    -- 2. Rows of this batch sharing a natural key.  They agree when they differ at most in
    --    removal data and carry at most one distinct removal: then one row stands for the group
    --    (the one with the removal) and keeps its verdict; the others are duplicates (counted
    --    unchanged), or share the verdict of the standing row when it is quarantined.  Rows that
    --    disagree are all quarantined: a batch has no order that could say which one is right.
    CREATE TEMP TABLE ca_ingest_group ON COMMIT DROP AS
    SELECT b.n_uscc, b.n_department, b.n_category, b.n_fact,
           pg_catalog.count(*) AS n,
           pg_catalog.concat_ws(', ',
               CASE WHEN pg_catalog.min(b.n_severity) OPERATOR(pg_catalog.<>) pg_catalog.max(b.n_severity) THEN 'severity' END,
               CASE WHEN pg_catalog.min(b.n_listed) OPERATOR(pg_catalog.<>) pg_catalog.max(b.n_listed) THEN 'listed_on' END,
               CASE WHEN pg_catalog.min(b.n_removed) OPERATOR(pg_catalog.<>) pg_catalog.max(b.n_removed) THEN 'removed_on' END,
               CASE WHEN pg_catalog.min(b.n_removal) OPERATOR(pg_catalog.<>) pg_catalog.max(b.n_removal) THEN 'removal_reason' END
           ) AS differs
      FROM pg_temp.ca_ingest_batch b
     WHERE b.reason IS NULL OR b.reason OPERATOR(pg_catalog.=) 'stored_conflict'
     GROUP BY b.n_uscc, b.n_department, b.n_category, b.n_fact
    HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1;

    IF EXISTS (SELECT FROM pg_temp.ca_ingest_group) THEN
        ANALYZE pg_temp.ca_ingest_group;

        UPDATE pg_temp.ca_ingest_batch b
           SET reason = 'batch_conflict', field = NULL, sanction_id = NULL, outcome = NULL,
               message = pg_catalog.format(
                   '%s rows of this batch have the natural key (%s, %s, %s, %s) but differ in %s.',
                   g.n, b.n_uscc, b.n_department, b.n_category,
                   pg_catalog.to_char(b.n_fact, 'YYYY-MM-DD'), g.differs)
          FROM pg_temp.ca_ingest_group g
         WHERE g.differs OPERATOR(pg_catalog.<>) ''
           AND (b.reason IS NULL OR b.reason OPERATOR(pg_catalog.=) 'stored_conflict')
           AND b.n_uscc OPERATOR(credit_audit.=) g.n_uscc
           AND b.n_department OPERATOR(pg_catalog.=) g.n_department
           AND b.n_category OPERATOR(pg_catalog.=) g.n_category
           AND b.n_fact OPERATOR(pg_catalog.=) g.n_fact;

        WITH members AS (
            SELECT b.rid,
                   pg_catalog.first_value(b.rid) OVER w AS rep,
                   pg_catalog.first_value(b.reason) OVER w AS rep_reason,
                   pg_catalog.first_value(b.message) OVER w AS rep_message,
                   pg_catalog.first_value(b.sanction_id) OVER w AS rep_sanction
              FROM pg_temp.ca_ingest_batch b
              JOIN pg_temp.ca_ingest_group g
                ON b.n_uscc OPERATOR(credit_audit.=) g.n_uscc
               AND b.n_department OPERATOR(pg_catalog.=) g.n_department
               AND b.n_category OPERATOR(pg_catalog.=) g.n_category
               AND b.n_fact OPERATOR(pg_catalog.=) g.n_fact
             WHERE g.differs OPERATOR(pg_catalog.=) ''
               AND (b.reason IS NULL OR b.reason OPERATOR(pg_catalog.=) 'stored_conflict')
            WINDOW w AS (PARTITION BY b.n_uscc, b.n_department, b.n_category, b.n_fact
                         ORDER BY b.n_removed IS NULL, b.rid)
        )
        UPDATE pg_temp.ca_ingest_batch b
           SET rep_rid = m.rep,
               outcome = CASE WHEN m.rep_reason IS NULL THEN 'duplicate' END,
               reason = m.rep_reason, message = m.rep_message, sanction_id = m.rep_sanction
          FROM members m
         WHERE b.rid OPERATOR(pg_catalog.=) m.rid AND m.rep OPERATOR(pg_catalog.<>) m.rid;
    END IF;

    -- 3. Enterprises: create the missing ones and name placeholders (name '', created by the
    --    guard trigger for grants to unknown enterprises).  Among several spellings in the batch
    --    the smallest (C collation) wins; an existing name is never overwritten.
    INSERT INTO credit_audit.enterprise AS e (uscc, name)
    SELECT b.n_uscc, pg_catalog.min(b.n_name COLLATE "C")
      FROM pg_temp.ca_ingest_batch b
     WHERE b.needs_enterprise AND b.reason IS NULL
     GROUP BY b.n_uscc
    ON CONFLICT (uscc) DO UPDATE SET name = excluded.name
     WHERE e.name OPERATOR(pg_catalog.=) '';

    -- 4. Write through the sanction table itself, so its triggers (findings, NOTIFY) fire.
    UPDATE credit_audit.sanction s
       SET removed_on = b.n_removed, removal_reason = b.n_removal
      FROM pg_temp.ca_ingest_batch b
     WHERE b.outcome OPERATOR(pg_catalog.=) 'updated' AND b.reason IS NULL
       AND s.id OPERATOR(pg_catalog.=) b.sanction_id;
    GET DIAGNOSTICS n_updated = ROW_COUNT;

    WITH ins AS (
        INSERT INTO credit_audit.sanction
            (uscc, department, category, severity, fact_date, listed_on, removed_on,
             removal_reason, source_ref)
        SELECT b.n_uscc, b.n_department, b.n_category, b.n_severity, b.n_fact, b.n_listed,
               b.n_removed, b.n_removal, b.n_source
          FROM pg_temp.ca_ingest_batch b
         WHERE b.reason IS NULL AND b.outcome IS NULL
        RETURNING NOT credit_audit.uscc_org_code_valid(uscc) AS suspicious
    )
    SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE i.suspicious)
      INTO n_inserted, n_suspicious
      FROM ins i;

    -- 5. Quarantine the rest with their raw values.
    INSERT INTO credit_audit.sanction_quarantine
        (uscc, enterprise_name, department, category, severity, fact_date, listed_on, removed_on,
         removal_reason, source_ref, reason, field, message, suggestion, sanction_id,
         loaded_by, loaded_at, quarantined_by)
    SELECT b.uscc, b.enterprise_name, b.department, b.category, b.severity, b.fact_date,
           b.listed_on, b.removed_on, b.removal_reason, b.source_ref,
           b.reason, b.field,
           CASE b.reason
             WHEN 'missing_field' THEN
               CASE WHEN b.field IN ('removed_on', 'removal_reason')
                    THEN pg_catalog.format('%s is empty; removed_on and removal_reason must be given together.', b.field)
                    ELSE pg_catalog.format('The required field %s is empty.', b.field) END
             WHEN 'invalid_uscc' THEN
               credit_audit.uscc_problem(b.uscc) OPERATOR(pg_catalog.||)
               COALESCE(' Did you mean "' OPERATOR(pg_catalog.||) credit_audit.uscc_suggestion(b.uscc)
                        OPERATOR(pg_catalog.||) '"?', '')
             WHEN 'unknown_department' THEN
               pg_catalog.format('Department "%s" is neither the code nor the name of a department in credit_audit.department.', b.department)
             WHEN 'invalid_severity' THEN
               pg_catalog.format('Severity "%s" is not one of minor, general, serious (轻微, 一般, 严重).', b.severity)
             WHEN 'invalid_date' THEN
               pg_catalog.format('%s "%s" is not a real calendar date in a recognized form (2019-02-01, 2019/2/1, 20190201, 2019.02.01, 2019年2月1日).',
                   b.field, CASE b.field WHEN 'fact_date' THEN b.fact_date
                                         WHEN 'listed_on' THEN b.listed_on ELSE b.removed_on END)
             WHEN 'invalid_removal_reason' THEN
               pg_catalog.format('Removal reason "%s" is not one of repaired, expired, revoked.', b.removal_reason)
             WHEN 'fact_after_listing' THEN
               pg_catalog.format('fact_date %s is after listed_on %s.',
                   pg_catalog.to_char(b.n_fact, 'YYYY-MM-DD'), pg_catalog.to_char(b.n_listed, 'YYYY-MM-DD'))
             WHEN 'removal_before_listing' THEN
               pg_catalog.format('removed_on %s is before listed_on %s.',
                   pg_catalog.to_char(b.n_removed, 'YYYY-MM-DD'), pg_catalog.to_char(b.n_listed, 'YYYY-MM-DD'))
             ELSE b.message
           END,
           CASE WHEN b.reason OPERATOR(pg_catalog.=) 'invalid_uscc'
                THEN credit_audit.uscc_suggestion(b.uscc) END,
           b.sanction_id, b.loaded_by, b.loaded_at, session_user::text
      FROM pg_temp.ca_ingest_batch b
     WHERE b.reason IS NOT NULL
     ORDER BY b.rid;
    GET DIAGNOSTICS n_quarantined = ROW_COUNT;

    -- Every consumed row is inserted, updated, quarantined, or else (re-delivery, duplicate)
    -- unchanged.
    n_unchanged := n_consumed - n_inserted - n_updated - n_quarantined;

    IF n_suspicious OPERATOR(pg_catalog.>) 0 THEN
        RAISE NOTICE '% ingested rows have a USCC whose embedded organization code fails its check', n_suspicious
            USING HINT = 'They are taken in; see credit_audit.suspicious_sanctions.';
    END IF;
    IF n_renamed OPERATOR(pg_catalog.>) 0 THEN
        RAISE NOTICE '% ingested rows name their enterprise differently from its stored name', n_renamed
            USING DETAIL = renamed_example,
                  HINT = 'The stored names are kept; update credit_audit.enterprise if the enterprise was renamed.';
    END IF;

    DROP TABLE pg_temp.ca_ingest_group;
    DROP TABLE pg_temp.ca_ingest_batch;
    RETURN QUERY SELECT n_inserted, n_updated, n_unchanged, n_quarantined;
END
$fn$;
COMMENT ON FUNCTION credit_audit.ingest_sanctions() IS
  'consume every staging row: insert new listings, apply later removal data, count re-deliveries unchanged, quarantine the rest with a reason';
REVOKE EXECUTE ON FUNCTION credit_audit.ingest_sanctions() FROM PUBLIC;
