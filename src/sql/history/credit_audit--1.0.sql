-- credit_audit: the type uscc, Unified Social Credit Code (DESIGN.md "Type credit_audit.uscc").
-- C in src/uscc.c (SQL interface) and src/uscc_core.c (parser).  Fixed length, 12 bytes: the 18
-- symbols packed as 5-bit alphabet indexes, whose byte order is the canonical text order.

CREATE TYPE credit_audit.uscc;

CREATE FUNCTION credit_audit.uscc_in(cstring) RETURNS credit_audit.uscc
    AS 'MODULE_PATHNAME', 'ca_uscc_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_in(cstring) IS
  'input of uscc: trims white space (incl. U+3000), folds lower case and full-width forms, checks length, alphabet, division digits and the check character';

CREATE FUNCTION credit_audit.uscc_out(credit_audit.uscc) RETURNS cstring
    AS 'MODULE_PATHNAME', 'ca_uscc_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_out(credit_audit.uscc) IS
  'output of uscc: the canonical 18 upper-case ASCII characters';

CREATE FUNCTION credit_audit.uscc_recv(internal) RETURNS credit_audit.uscc
    AS 'MODULE_PATHNAME', 'ca_uscc_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_recv(internal) IS
  'binary input of uscc: exactly the 18 canonical characters, validated';

CREATE FUNCTION credit_audit.uscc_send(credit_audit.uscc) RETURNS bytea
    AS 'MODULE_PATHNAME', 'ca_uscc_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_send(credit_audit.uscc) IS
  'binary output of uscc: the 18 canonical characters';

-- 12 bytes by reference (90 bits do not fit a by-value Datum); char alignment: no padding in
-- tuples; plain storage: never compressed or toasted.
CREATE TYPE credit_audit.uscc (
    INPUT = credit_audit.uscc_in,
    OUTPUT = credit_audit.uscc_out,
    RECEIVE = credit_audit.uscc_recv,
    SEND = credit_audit.uscc_send,
    INTERNALLENGTH = 12,
    ALIGNMENT = char,
    STORAGE = plain,
    CATEGORY = 'U'
);
COMMENT ON TYPE credit_audit.uscc IS
  'Unified Social Credit Code (统一社会信用代码, GB 32100-2015), validated, stored in 12 bytes';

-- Casts.  text -> uscc runs the input function; ASSIGNMENT so that INSERT ... SELECT of text
-- columns (staging tables) into uscc columns works without writing a cast, while comparisons of
-- uscc with text still need an explicit one (no silent text comparison either way).  varchar
-- likewise.  uscc -> text is ASSIGNMENT, as every type's I/O conversion to a string type is
-- (the automatic I/O casts also cover uscc -> varchar/bpchar and, explicitly, bpchar -> uscc).
CREATE FUNCTION credit_audit.uscc_from_text(text) RETURNS credit_audit.uscc
    AS 'MODULE_PATHNAME', 'ca_uscc_from_text'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_from_text(text) IS
  'cast text to uscc (same rules and errors as the input function)';

CREATE FUNCTION credit_audit.uscc_to_text(credit_audit.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_to_text'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_to_text(credit_audit.uscc) IS
  'cast uscc to text: the canonical 18 characters';

CREATE CAST (text AS credit_audit.uscc)
    WITH FUNCTION credit_audit.uscc_from_text(text) AS ASSIGNMENT;
CREATE CAST (varchar AS credit_audit.uscc)
    WITH FUNCTION credit_audit.uscc_from_text(text) AS ASSIGNMENT;
CREATE CAST (credit_audit.uscc AS text)
    WITH FUNCTION credit_audit.uscc_to_text(credit_audit.uscc) AS ASSIGNMENT;

-- Comparison: a memcmp of the packed bytes, which is the canonical text order.
CREATE FUNCTION credit_audit.uscc_eq(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_eq(credit_audit.uscc, credit_audit.uscc) IS 'implementation of = for uscc';
CREATE FUNCTION credit_audit.uscc_ne(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_ne(credit_audit.uscc, credit_audit.uscc) IS 'implementation of <> for uscc';
CREATE FUNCTION credit_audit.uscc_lt(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_lt(credit_audit.uscc, credit_audit.uscc) IS 'implementation of < for uscc';
CREATE FUNCTION credit_audit.uscc_le(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_le(credit_audit.uscc, credit_audit.uscc) IS 'implementation of <= for uscc';
CREATE FUNCTION credit_audit.uscc_gt(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_gt(credit_audit.uscc, credit_audit.uscc) IS 'implementation of > for uscc';
CREATE FUNCTION credit_audit.uscc_ge(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_ge(credit_audit.uscc, credit_audit.uscc) IS 'implementation of >= for uscc';
CREATE FUNCTION credit_audit.uscc_cmp(credit_audit.uscc, credit_audit.uscc) RETURNS integer
    AS 'MODULE_PATHNAME', 'ca_uscc_cmp_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_cmp(credit_audit.uscc, credit_audit.uscc) IS
  'btree comparison of uscc: -1, 0 or 1, in canonical text order';
CREATE FUNCTION credit_audit.uscc_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'ca_uscc_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_sortsupport(internal) IS 'btree sort support of uscc';
CREATE FUNCTION credit_audit.uscc_hash(credit_audit.uscc) RETURNS integer
    AS 'MODULE_PATHNAME', 'ca_uscc_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_hash(credit_audit.uscc) IS 'hash of uscc';
CREATE FUNCTION credit_audit.uscc_hash_extended(credit_audit.uscc, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'ca_uscc_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_hash_extended(credit_audit.uscc, bigint) IS 'seeded 64-bit hash of uscc';

CREATE OPERATOR credit_audit.= (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_eq,
    COMMUTATOR = OPERATOR(credit_audit.=), NEGATOR = OPERATOR(credit_audit.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR credit_audit.<> (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_ne,
    COMMUTATOR = OPERATOR(credit_audit.<>), NEGATOR = OPERATOR(credit_audit.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR credit_audit.< (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_lt,
    COMMUTATOR = OPERATOR(credit_audit.>), NEGATOR = OPERATOR(credit_audit.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR credit_audit.<= (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_le,
    COMMUTATOR = OPERATOR(credit_audit.>=), NEGATOR = OPERATOR(credit_audit.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR credit_audit.> (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_gt,
    COMMUTATOR = OPERATOR(credit_audit.<), NEGATOR = OPERATOR(credit_audit.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR credit_audit.>= (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_ge,
    COMMUTATOR = OPERATOR(credit_audit.<=), NEGATOR = OPERATOR(credit_audit.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS credit_audit.uscc_ops
    DEFAULT FOR TYPE credit_audit.uscc USING btree AS
        OPERATOR 1 credit_audit.< ,
        OPERATOR 2 credit_audit.<= ,
        OPERATOR 3 credit_audit.= ,
        OPERATOR 4 credit_audit.>= ,
        OPERATOR 5 credit_audit.> ,
        FUNCTION 1 credit_audit.uscc_cmp(credit_audit.uscc, credit_audit.uscc),
        FUNCTION 2 credit_audit.uscc_sortsupport(internal),
        -- equal means bitwise equal: btree deduplication is safe (PG13+)
        FUNCTION 4 pg_catalog.btequalimage(oid);

CREATE OPERATOR CLASS credit_audit.uscc_hash_ops
    DEFAULT FOR TYPE credit_audit.uscc USING hash AS
        OPERATOR 1 credit_audit.= ,
        FUNCTION 1 credit_audit.uscc_hash(credit_audit.uscc),
        FUNCTION 2 credit_audit.uscc_hash_extended(credit_audit.uscc, bigint);

-- Helper functions.
CREATE FUNCTION credit_audit.uscc_is_valid(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_is_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_is_valid(text) IS
  'whether the text is a valid USCC by the rules of the uscc input (normalization included); never raises';

CREATE FUNCTION credit_audit.uscc_region(credit_audit.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_region'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_region(credit_audit.uscc) IS
  'administrative division code of the registering authority: positions 3-8 (6 digits)';

CREATE FUNCTION credit_audit.uscc_org_code(credit_audit.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_org_code'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_org_code(credit_audit.uscc) IS
  'embedded organization code (GB 11714), positions 9-17, written XXXXXXXX-X';

CREATE FUNCTION credit_audit.uscc_org_code_valid(credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_org_code_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_org_code_valid(credit_audit.uscc) IS
  'whether the embedded organization code passes its own GB 11714 check (not enforced by the type)';

CREATE FUNCTION credit_audit.uscc_check_char(body text) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_check_char'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_check_char(text) IS
  'check character (position 18) for a 17-character body, normalized as uscc input; raises 22P02 for an invalid body';
-- credit_audit: reference and fact tables (DESIGN.md "Reference and fact tables").
-- Every table holding user data is registered with pg_extension_config_dump so that pg_dump
-- keeps its rows.  department and score_rule ship rows, and guarded_table the registration of
-- credit_audit.subsidy: a BEFORE INSERT trigger (enabled ALWAYS) turns a
-- re-insert of an existing key into an update, so a restore (CREATE EXTENSION, then COPY of the
-- dumped rows) keeps edits made to the shipped rows instead of failing on duplicate keys.

CREATE TYPE credit_audit.severity AS ENUM ('minor', 'general', 'serious');
COMMENT ON TYPE credit_audit.severity IS 'severity of a listing: minor (轻微) < general (一般) < serious (严重)';

CREATE FUNCTION credit_audit.config_upsert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'department' THEN
        UPDATE credit_audit.department SET name = NEW.name
         WHERE code OPERATOR(pg_catalog.=) NEW.code;
    ELSIF TG_TABLE_NAME = 'score_rule' THEN
        UPDATE credit_audit.score_rule
           SET points = NEW.points, recovery_days = NEW.recovery_days
         WHERE category OPERATOR(pg_catalog.=) NEW.category
           AND severity OPERATOR(pg_catalog.=) NEW.severity;
    ELSIF TG_TABLE_NAME = 'guarded_table' THEN
        -- the registration of credit_audit.subsidy is made by CREATE EXTENSION; a restore
        -- brings back its dumped state (mode, columns) instead of failing on the key
        UPDATE credit_audit.guarded_table
           SET uscc_column = NEW.uscc_column, uscc_attnum = NEW.uscc_attnum,
               date_column = NEW.date_column, date_attnum = NEW.date_attnum,
               amount_column = NEW.amount_column, amount_attnum = NEW.amount_attnum,
               program = NEW.program, program_column = NEW.program_column,
               program_attnum = NEW.program_attnum, key_columns = NEW.key_columns,
               key_attnums = NEW.key_attnums, mode = NEW.mode, guarded_at = NEW.guarded_at
         WHERE tbl OPERATOR(pg_catalog.=) NEW.tbl;
    ELSE
        RAISE EXCEPTION 'config_upsert() is not defined for table %', TG_TABLE_NAME;
    END IF;
    IF FOUND THEN
        RETURN NULL;            -- the row existed: updated in place, skip the insert
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION credit_audit.config_upsert() IS
  'trigger: a re-inserted shipped key updates the existing row (keeps edits across dump/restore)';

CREATE TABLE credit_audit.department (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name text NOT NULL UNIQUE CHECK (name <> '')
);
COMMENT ON TABLE credit_audit.department IS 'departments that publish credit data or pay subsidies';
CREATE TRIGGER department_upsert BEFORE INSERT ON credit_audit.department
    FOR EACH ROW EXECUTE FUNCTION credit_audit.config_upsert();
-- ALWAYS: also under session_replication_role = replica, the way a dump is restored (the guard
-- and audit triggers must not judge restored history again; this one must still merge the rows)
ALTER TABLE credit_audit.department ENABLE ALWAYS TRIGGER department_upsert;
INSERT INTO credit_audit.department (code, name) VALUES
    ('ndrc', '发展改革'),
    ('econ', '经济和信息化'),
    ('justice', '司法'),
    ('finance', '财政'),
    ('commerce', '商务'),
    ('tax', '税务'),
    ('market', '市场监管'),
    ('hrss', '人力资源和社会保障');
SELECT pg_catalog.pg_extension_config_dump('credit_audit.department', '');

CREATE TABLE credit_audit.enterprise (
    uscc credit_audit.uscc PRIMARY KEY,
    name text NOT NULL
);
COMMENT ON TABLE credit_audit.enterprise IS 'enterprises, keyed by Unified Social Credit Code';
SELECT pg_catalog.pg_extension_config_dump('credit_audit.enterprise', '');

CREATE TABLE credit_audit.sanction (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    uscc credit_audit.uscc NOT NULL REFERENCES credit_audit.enterprise,
    department text NOT NULL REFERENCES credit_audit.department,
    category text NOT NULL CHECK (category <> ''),
    severity credit_audit.severity NOT NULL,
    fact_date date NOT NULL,
    listed_on date NOT NULL,
    removed_on date,
    removal_reason text CHECK (removal_reason IN ('repaired', 'expired', 'revoked')),
    source_ref text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sanction_dates_check
        CHECK (fact_date <= listed_on AND (removed_on IS NULL OR listed_on <= removed_on)),
    CONSTRAINT sanction_removal_check CHECK ((removed_on IS NULL) = (removal_reason IS NULL)),
    -- natural key of a listing; its leading column serves every lookup by enterprise
    CONSTRAINT sanction_natural_key UNIQUE (uscc, department, category, fact_date)
);
COMMENT ON TABLE credit_audit.sanction IS
  'one listing of one enterprise by one department; dishonest period [fact_date, removed_on), listing period [listed_on, removed_on)';
COMMENT ON COLUMN credit_audit.sanction.fact_date IS 'the day the violation was established';
COMMENT ON COLUMN credit_audit.sanction.listed_on IS 'the day the listing was published';
COMMENT ON COLUMN credit_audit.sanction.removed_on IS 'the day the listing ended; NULL while still listed';
COMMENT ON COLUMN credit_audit.sanction.removal_reason IS
  'repaired | expired end the period; revoked means the listing was wrong and counts for nothing';
COMMENT ON COLUMN credit_audit.sanction.recorded_at IS 'when this database learned of the listing';
SELECT pg_catalog.pg_extension_config_dump('credit_audit.sanction', '');
SELECT pg_catalog.pg_extension_config_dump('credit_audit.sanction_id_seq', '');

CREATE TABLE credit_audit.program (
    code text PRIMARY KEY,
    name text NOT NULL,
    department text REFERENCES credit_audit.department,
    min_score numeric NOT NULL DEFAULT 70 CHECK (min_score BETWEEN 0 AND 100),
    blocking_severity credit_audit.severity NOT NULL DEFAULT 'general'
);
COMMENT ON TABLE credit_audit.program IS 'subsidy programs and their credit requirements';
COMMENT ON COLUMN credit_audit.program.min_score IS 'a score below this makes the enterprise ineligible';
COMMENT ON COLUMN credit_audit.program.blocking_severity IS
  'an active listing of at least this severity makes the enterprise ineligible';
SELECT pg_catalog.pg_extension_config_dump('credit_audit.program', '');

CREATE TABLE credit_audit.subsidy (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    uscc credit_audit.uscc NOT NULL REFERENCES credit_audit.enterprise,
    program text NOT NULL REFERENCES credit_audit.program,
    applied_on date NOT NULL,
    granted_on date,
    amount numeric(16,2) NOT NULL CHECK (amount >= 0),
    ref text,
    CONSTRAINT subsidy_dates_check CHECK (granted_on >= applied_on)
);
CREATE INDEX subsidy_uscc_idx ON credit_audit.subsidy (uscc, applied_on);
COMMENT ON TABLE credit_audit.subsidy IS
  'the extension''s own grant table, guarded in block mode on applied_on';
SELECT pg_catalog.pg_extension_config_dump('credit_audit.subsidy', '');
SELECT pg_catalog.pg_extension_config_dump('credit_audit.subsidy_id_seq', '');

CREATE TABLE credit_audit.score_rule (
    category text NOT NULL DEFAULT '*',
    severity credit_audit.severity NOT NULL,
    points numeric NOT NULL CHECK (points >= 0),
    recovery_days integer NOT NULL DEFAULT 0 CHECK (recovery_days >= 0),
    PRIMARY KEY (category, severity)
);
COMMENT ON TABLE credit_audit.score_rule IS
  'points a listing deducts and the days over which they come back after removal; category * applies when no rule of the own category exists';
CREATE TRIGGER score_rule_upsert BEFORE INSERT ON credit_audit.score_rule
    FOR EACH ROW EXECUTE FUNCTION credit_audit.config_upsert();
ALTER TABLE credit_audit.score_rule ENABLE ALWAYS TRIGGER score_rule_upsert;
INSERT INTO credit_audit.score_rule (category, severity, points, recovery_days) VALUES
    ('*', 'minor', 5, 90),
    ('*', 'general', 20, 365),
    ('*', 'serious', 50, 730);
SELECT pg_catalog.pg_extension_config_dump('credit_audit.score_rule', '');

CREATE TABLE credit_audit.credit_event (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    uscc credit_audit.uscc NOT NULL REFERENCES credit_audit.enterprise,
    event_date date NOT NULL,
    points numeric NOT NULL,
    valid_days integer CHECK (valid_days > 0),
    department text REFERENCES credit_audit.department,
    note text
);
CREATE INDEX credit_event_uscc_idx ON credit_audit.credit_event (uscc, event_date);
COMMENT ON TABLE credit_audit.credit_event IS
  'commendations (+points) and penalties not on any list (-points); valid_days NULL = forever';
SELECT pg_catalog.pg_extension_config_dump('credit_audit.credit_event', '');
SELECT pg_catalog.pg_extension_config_dump('credit_audit.credit_event_id_seq', '');

-- A guarded grant table.  Columns are kept by attribute number (a rename does not break the
-- guard) and by name (for display, and to re-resolve after a restore renumbers columns).
CREATE TABLE credit_audit.guarded_table (
    tbl regclass PRIMARY KEY,
    uscc_column name NOT NULL,
    uscc_attnum smallint NOT NULL,
    date_column name NOT NULL,
    date_attnum smallint NOT NULL,
    amount_column name NOT NULL,
    amount_attnum smallint NOT NULL,
    program text REFERENCES credit_audit.program,
    program_column name,
    program_attnum smallint,
    key_columns name[] NOT NULL,
    key_attnums smallint[] NOT NULL,
    mode text NOT NULL DEFAULT 'block' CHECK (mode IN ('block', 'record', 'off')),
    guarded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT guarded_table_program_check
        CHECK ((program IS NULL) <> (program_column IS NULL)
               AND (program_column IS NULL) = (program_attnum IS NULL))
);
COMMENT ON TABLE credit_audit.guarded_table IS 'grant tables whose rows are checked for eligibility and audited';
CREATE TRIGGER guarded_table_upsert BEFORE INSERT ON credit_audit.guarded_table
    FOR EACH ROW EXECUTE FUNCTION credit_audit.config_upsert();
ALTER TABLE credit_audit.guarded_table ENABLE ALWAYS TRIGGER guarded_table_upsert;
SELECT pg_catalog.pg_extension_config_dump('credit_audit.guarded_table', '');

CREATE TABLE credit_audit.finding (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('retroactive', 'paid_while_listed', 'low_score')),
    source_table text NOT NULL,
    source_key text NOT NULL,
    uscc credit_audit.uscc NOT NULL,
    program text,
    grant_date date NOT NULL,
    amount numeric NOT NULL,
    sanction_id bigint REFERENCES credit_audit.sanction,
    detected_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'confirmed', 'recovered', 'dismissed')),
    note text,
    CONSTRAINT finding_unique UNIQUE NULLS NOT DISTINCT (source_table, source_key, kind, sanction_id),
    CONSTRAINT finding_sanction_check CHECK ((kind = 'low_score') = (sanction_id IS NULL))
);
CREATE INDEX finding_uscc_idx ON credit_audit.finding (uscc);
CREATE INDEX finding_sanction_idx ON credit_audit.finding (sanction_id);
COMMENT ON TABLE credit_audit.finding IS
  'a guarded grant paid while its enterprise was listed (paid_while_listed), before a late listing (retroactive), or below the score threshold (low_score)';
SELECT pg_catalog.pg_extension_config_dump('credit_audit.finding', '');
SELECT pg_catalog.pg_extension_config_dump('credit_audit.finding_id_seq', '');
-- credit_audit: the credit score (DESIGN.md "Credit score"), implemented in src/score.c.
-- score(u, t) = clamp(100 + sum of credit events + sum of sanctions, 0, 100), computed in double
-- precision and returned as numeric rounded to 2 decimals.  The functions read sanction,
-- credit_event, score_rule (and enterprise) through their indexes for the caller, who needs
-- SELECT on those tables.

CREATE FUNCTION credit_audit.credit_score(u credit_audit.uscc, as_of date DEFAULT current_date,
                                          basis text DEFAULT 'listing')
RETURNS numeric
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_credit_score';
COMMENT ON FUNCTION credit_audit.credit_score(credit_audit.uscc, date, text) IS
  'credit score of an enterprise on a day: clamp(100 + credit events + sanctions, 0, 100); a non-revoked sanction deducts its score_rule points from listed_on (basis listing) or fact_date (basis fact) until removed_on, then recovers linearly over recovery_days; revoked listings count for nothing; computed in double precision, rounded to 2 decimals';

CREATE FUNCTION credit_audit.credit_scores(as_of date DEFAULT current_date,
                                           basis text DEFAULT 'listing')
RETURNS TABLE (uscc credit_audit.uscc, score numeric)
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_credit_scores';
COMMENT ON FUNCTION credit_audit.credit_scores(date, text) IS
  'credit score of every enterprise on a day (100 without sanctions or events), in one ordered pass over the data; same formula and rounding as credit_score()';

CREATE FUNCTION credit_audit.credit_grade(score numeric)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_credit_grade';
COMMENT ON FUNCTION credit_audit.credit_grade(numeric) IS
  'credit level of a score (the tax credit levels): A >= 90, B >= 70, C >= 40, else D';

CREATE FUNCTION credit_audit.score_history(u credit_audit.uscc, "from" date, "to" date,
                                           basis text DEFAULT 'listing')
RETURNS TABLE (day date, score numeric)
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_score_history';
COMMENT ON FUNCTION credit_audit.score_history(credit_audit.uscc, date, date, text) IS
  'the credit score over [from, to] as a step function: a row for from, for to, and for every day whose score differs from the day before (during a recovery, every day it changes); the score of any day is that of the last row on or before it';
-- credit_audit: eligibility and guarded grant tables (DESIGN.md "Eligibility", "Guarding grant
-- tables"; src/guard.c).

CREATE FUNCTION credit_audit.eligibility(u credit_audit.uscc, program text,
                                         on_date date DEFAULT current_date)
RETURNS TABLE(eligible boolean, score numeric, min_score numeric, blocking_sanctions bigint[])
AS 'MODULE_PATHNAME', 'ca_eligibility'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.eligibility(credit_audit.uscc, text, date) IS
  'whether an enterprise may receive a grant of a program on a date, judged with that day''s knowledge: listing-basis score, the program''s minimum, and the ids of the blocking listings (needs SELECT on program, sanction and credit_event)';

CREATE FUNCTION credit_audit.is_eligible(u credit_audit.uscc, program text,
                                         on_date date DEFAULT current_date)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ca_is_eligible'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.is_eligible(credit_audit.uscc, text, date) IS
  'true unless a listing of at least the program''s blocking severity is active on the date or the listing-basis credit score is below the program''s minimum';

CREATE FUNCTION credit_audit.guard_trigger() RETURNS trigger
AS 'MODULE_PATHNAME', 'ca_guard_trigger'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION credit_audit.guard_trigger() IS
  'BEFORE INSERT OR UPDATE row trigger attached by guard(): refuses (block) or records (record) grants to ineligible enterprises';
-- guard() attaches it as the extension owner; nobody needs to call or attach it directly
REVOKE ALL ON FUNCTION credit_audit.guard_trigger() FROM PUBLIC;

CREATE FUNCTION credit_audit.guard(tbl regclass, uscc_column name, date_column name,
                                   amount_column name, program text DEFAULT NULL,
                                   program_column name DEFAULT NULL, mode text DEFAULT 'block',
                                   key_column name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'ca_guard'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION credit_audit.guard(regclass, name, name, name, text, name, text, name) IS
  'register a grant table (owner or superuser only) and attach the eligibility trigger; mode block | record | off; calling it again changes the registration';

CREATE FUNCTION credit_audit.unguard(tbl regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'ca_unguard'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION credit_audit.unguard(regclass) IS
  'remove a table''s registration and its eligibility trigger (owner or superuser only)';

-- The extension's own grant table is guarded from the start.  Its guarded_table row is made by
-- this script and dumped like the others: on restore, the upsert trigger of guarded_table
-- (10_tables.sql) brings back its dumped mode over the one made here.
SELECT credit_audit.guard('credit_audit.subsidy', 'uscc', 'applied_on', 'amount',
                          program_column => 'program');
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

CREATE FUNCTION credit_audit.audit(basis text DEFAULT 'fact')
RETURNS TABLE (source_table text, source_key text, uscc credit_audit.uscc, program text,
               grant_date date, amount numeric, sanction_id bigint, kind text)
LANGUAGE c STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'ca_audit';
COMMENT ON FUNCTION credit_audit.audit(text) IS
  'read-only sweep of every guarded table (whatever its mode) against every non-revoked sanction: one row per (grant, sanction, kind); basis fact reports retroactive and paid_while_listed, basis listing only paid_while_listed';

CREATE FUNCTION credit_audit.refresh_findings() RETURNS bigint
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'ca_refresh_findings';
COMMENT ON FUNCTION credit_audit.refresh_findings() IS
  'runs the audit sweep (basis fact) and adds the findings that are missing; returns how many were added (0 when run twice)';
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
COMMENT ON COLUMN credit_audit.sanction_quarantine.quarantined_by IS 'role that ran ingest_sanctions()';
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
-- credit_audit: timeline_svg(), one enterprise's credit history as a picture (DESIGN.md
-- "Pictures"; implementation in src/svg.c).

CREATE FUNCTION credit_audit.timeline_svg(u credit_audit.uscc) RETURNS text
LANGUAGE c STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'ca_timeline_svg';
COMMENT ON FUNCTION credit_audit.timeline_svg(credit_audit.uscc) IS
  'self-contained SVG of an enterprise: each listing as a band (fact, listed, removed), each guarded grant as a marker (flagged in red), a year axis';
