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
  'BEFORE INSERT OR UPDATE row trigger attached by guard(): refuses (block) or lets in and records (record) grants to ineligible enterprises; in both modes writes the findings a row it lets in already reveals (paid_while_listed under a non-blocking listing, retroactive)';
-- guard() attaches it as the extension owner; nobody needs to call or attach it directly
REVOKE ALL ON FUNCTION credit_audit.guard_trigger() FROM PUBLIC;

-- The trigger keeps what it derives from guarded_table, program and score_rule across
-- statements (src/guard.c); a change of their rows must tell it.
CREATE FUNCTION credit_audit.guard_config_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'ca_guard_config_changed'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION credit_audit.guard_config_changed() IS
  'AFTER STATEMENT trigger on guarded_table, program and score_rule: tells every session''s guard trigger that its cached configuration is stale (a relcache invalidation, sent at commit)';
REVOKE ALL ON FUNCTION credit_audit.guard_config_changed() FROM PUBLIC;
-- ALWAYS: a restore under session_replication_role = replica changes the configuration too
CREATE TRIGGER credit_audit_guard_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credit_audit.guarded_table
    FOR EACH STATEMENT EXECUTE FUNCTION credit_audit.guard_config_changed();
ALTER TABLE credit_audit.guarded_table ENABLE ALWAYS TRIGGER credit_audit_guard_config_changed;
CREATE TRIGGER credit_audit_guard_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credit_audit.program
    FOR EACH STATEMENT EXECUTE FUNCTION credit_audit.guard_config_changed();
ALTER TABLE credit_audit.program ENABLE ALWAYS TRIGGER credit_audit_guard_config_changed;
CREATE TRIGGER credit_audit_guard_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credit_audit.score_rule
    FOR EACH STATEMENT EXECUTE FUNCTION credit_audit.guard_config_changed();
ALTER TABLE credit_audit.score_rule ENABLE ALWAYS TRIGGER credit_audit_guard_config_changed;

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
