SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

-- eligibility(), is_eligible(), guard(), unguard() and the grant-table trigger (src/guard.c)

-- markings are part of the contract
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel, p.prosecdef,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'credit_audit'::pg_catalog.regnamespace
   AND p.proname IN ('eligibility', 'is_eligible', 'guard', 'unguard', 'guard_trigger')
 ORDER BY p.proname;
-- nobody but the owner may call or attach the trigger function directly
SELECT pg_catalog.has_function_privilege('public', 'credit_audit.guard_trigger()', 'EXECUTE');

-- the extension's own grant table is guarded in block mode from the start
SELECT tbl, uscc_column, date_column, amount_column, program, program_column, key_columns, mode
  FROM credit_audit.guarded_table;
SELECT tgname, tgenabled FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'credit_audit.subsidy'::pg_catalog.regclass AND tgname = 'zz_credit_audit_guard';

-- programs: rent blocks general listings and needs 70; talent blocks serious ones and needs 80
INSERT INTO credit_audit.program (code, name, department, min_score, blocking_severity) VALUES
    ('rent', 'rent subsidy', 'commerce', 70, 'general'),
    ('talent', 'talent grant', 'hrss', 80, 'serious');
INSERT INTO credit_audit.enterprise (uscc, name) VALUES
    ('914403001922038216', 'A: general listing 2019-03-01 .. 2019-09-01'),
    ('91330000733796106P', 'B: open serious listing since 2020-01-01'),
    ('91330100716105852F', 'C: serious listing, revoked'),
    ('9144030071526726XG', 'D: open minor listing'),
    ('91110000710926094P', 'E: score 70, then 69.99');
INSERT INTO credit_audit.sanction
    (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason) VALUES
    ('914403001922038216', 'market', 'abnormal_operation', 'general', '2019-01-15', '2019-03-01', '2019-09-01', 'repaired'),
    ('91330000733796106P', 'tax', 'major_tax_violation', 'serious', '2019-12-01', '2020-01-01', NULL, NULL),
    ('91330000733796106P', 'hrss', 'wage_arrears', 'general', '2019-11-01', '2019-11-15', NULL, NULL),
    ('91330100716105852F', 'tax', 'major_tax_violation', 'serious', '2019-01-01', '2019-01-01', '2019-06-01', 'revoked'),
    ('9144030071526726XG', 'market', 'late_annual_report', 'minor', '2019-01-01', '2019-01-01', NULL, NULL);
INSERT INTO credit_audit.credit_event (uscc, event_date, points, note) VALUES
    ('91110000710926094P', '2019-01-01', -30, 'penalty'),
    ('91110000710926094P', '2019-06-01', -0.01, 'another penalty');
SELECT id, uscc, department, category, severity, listed_on, removed_on, removal_reason
  FROM credit_audit.sanction ORDER BY id;

-- eligibility() at every boundary (hand-computed: a general listing costs 20 points, recovered
-- over 365 days after removal; serious 50)
SELECT u, prog, d, e.*
  FROM (VALUES
    ('914403001922038216', 'rent', '2019-02-28'),   -- fact known, not yet listed: eligible, 100
    ('914403001922038216', 'rent', '2019-03-01'),   -- listed_on day itself: blocked, 80
    ('914403001922038216', 'rent', '2019-08-31'),   -- last listed day: blocked
    ('914403001922038216', 'rent', '2019-09-01'),   -- removed_on day itself: eligible, 80
    ('914403001922038216', 'talent', '2019-03-01'), -- general < serious, score 80 = min 80: eligible
    ('91330000733796106P', 'rent', '2019-11-14'),   -- before both listings: eligible
    ('91330000733796106P', 'rent', '2019-11-15'),   -- general listing: blocked, 80
    ('91330000733796106P', 'rent', '2030-01-01'),   -- open listings: both block, score 30
    ('91330000733796106P', 'talent', '2019-12-01'), -- general does not block talent, 80 = 80
    ('91330100716105852F', 'rent', '2019-03-01'),   -- revoked listing counts for nothing
    ('9144030071526726XG', 'rent', '2019-03-01'),   -- minor < general: eligible, 95
    ('91110000710926094P', 'rent', '2019-05-31'),   -- score exactly 70: eligible
    ('91110000710926094P', 'rent', '2019-06-01'),   -- score 69.99: refused
    ('91310000631696382C', 'rent', '2019-06-01')    -- unknown enterprise: 100
  ) AS t(u, prog, d),
  LATERAL credit_audit.eligibility(u::credit_audit.uscc, prog, d::date) AS e
 ORDER BY u, prog, d;
SELECT credit_audit.is_eligible('914403001922038216', 'rent', '2019-03-01'),
       credit_audit.is_eligible('914403001922038216', 'rent', '2019-09-01');
SELECT credit_audit.is_eligible('914403001922038216', 'rent', NULL) IS NULL AS strict;
-- unknown program
SELECT * FROM credit_audit.eligibility('914403001922038216', 'nope', '2019-03-01');
\echo :LAST_ERROR_SQLSTATE

-- a department's grant table, guarded with the program in each row
CREATE SCHEMA dept;
CREATE TABLE dept.grants (
    id integer PRIMARY KEY,
    uscc credit_audit.uscc NOT NULL,
    program text NOT NULL,
    paid_on date NOT NULL,
    amount numeric(12,2) NOT NULL,
    note text
);
SELECT credit_audit.guard('dept.grants', 'uscc', 'paid_on', 'amount', program_column => 'program');
SELECT tbl, uscc_column, uscc_attnum, date_column, date_attnum, amount_column, amount_attnum,
       program, program_column, program_attnum, key_columns, key_attnums, mode
  FROM credit_audit.guarded_table WHERE tbl = 'dept.grants'::regclass;

-- block mode
INSERT INTO dept.grants VALUES (1, '914403001922038216', 'rent', '2019-03-01', 100);  -- listed_on day
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dept.grants VALUES (1, '914403001922038216', 'rent', '2019-08-31', 100);  -- last listed day
INSERT INTO dept.grants VALUES (1, '914403001922038216', 'rent', '2019-09-01', 100);  -- removed_on day: in
INSERT INTO dept.grants VALUES (2, '914403001922038216', 'rent', '2019-02-28', 200);  -- retroactive: in
INSERT INTO dept.grants VALUES (3, '914403001922038216', 'talent', '2019-03-01', 300); -- 80 = 80: in
INSERT INTO dept.grants VALUES (4, '91330000733796106P', 'rent', '2030-01-01', 400);  -- open listings
INSERT INTO dept.grants VALUES (4, '91330100716105852F', 'rent', '2019-03-01', 400);  -- revoked: in
INSERT INTO dept.grants VALUES (5, '9144030071526726XG', 'rent', '2019-03-01', 500);  -- minor: in
INSERT INTO dept.grants VALUES (6, '91110000710926094P', 'rent', '2019-05-31', 600);  -- 70: in
INSERT INTO dept.grants VALUES (7, '91110000710926094P', 'rent', '2019-06-01', 700);  -- 69.99: out
INSERT INTO dept.grants VALUES (7, '91110000710926094P', 'nope', '2019-06-01', 700);  -- unknown program
\echo :LAST_ERROR_SQLSTATE
SELECT id, uscc, program, paid_on, amount FROM dept.grants ORDER BY id;

-- the exact error: SQLSTATE, constraint, table, message, detail, hint
DO $$
DECLARE
    st text; cn text; sn text; tn text; msg text; det text; hnt text;
BEGIN
    INSERT INTO dept.grants VALUES (10, '91330000733796106P', 'rent', '2020-02-01', 1);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, sn = SCHEMA_NAME,
        tn = TABLE_NAME, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RAISE NOTICE 'sqlstate % constraint % table %.%', st, cn, sn, tn;
    RAISE NOTICE 'message: %', msg;
    RAISE NOTICE 'detail: %', det;
    RAISE NOTICE 'hint: %', hnt;
END
$$;

-- findings the allowed rows revealed in block mode: the retroactive grant 2 and the grants paid
-- under non-blocking listings (3: general listing, talent; 5: minor listing)
SELECT kind, source_table, source_key, uscc, program, grant_date, amount, sanction_id, status
  FROM credit_audit.finding ORDER BY source_key, kind, sanction_id;

-- UPDATE: moving a grant into a listed period is refused; other changes pass
UPDATE dept.grants SET paid_on = '2019-04-01' WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
UPDATE dept.grants SET uscc = '91330000733796106P', paid_on = '2019-11-20' WHERE id = 6;
UPDATE dept.grants SET note = 'checked' WHERE id = 2;           -- no guarded column: no check
UPDATE dept.grants SET paid_on = '2019-09-02' WHERE id = 2;     -- after removal, score 80.05
SELECT id, paid_on, note FROM dept.grants WHERE id IN (2, 6) ORDER BY id;

-- a multi-row INSERT ... SELECT with one bad row refuses the statement: no row goes in
INSERT INTO dept.grants
SELECT 100 + g, '9144030071526726XG', 'rent', DATE '2019-01-01' + g, 10 FROM generate_series(1, 5) g
UNION ALL
SELECT 200, '914403001922038216', 'rent', '2019-05-05', 10;
SELECT count(*) FROM dept.grants WHERE id >= 100;
-- the same without the bad row: all in
INSERT INTO dept.grants
SELECT 100 + g, '9144030071526726XG', 'rent', DATE '2019-01-01' + g, 10 FROM generate_series(1, 5) g;
SELECT count(*) FROM dept.grants WHERE id >= 100;

-- later rows of an enterprise reuse its record within the statement: still judged per row/date
INSERT INTO dept.grants VALUES
    (80, '91110000710926094P', 'rent', '2019-05-30', 1),
    (81, '91110000710926094P', 'rent', '2019-05-31', 1),
    (82, '91110000710926094P', 'rent', '2019-06-01', 1);
SELECT count(*) FROM dept.grants WHERE id BETWEEN 80 AND 82;

-- NULLs are left to the table's constraints
INSERT INTO dept.grants VALUES (20, NULL, 'rent', '2019-03-01', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dept.grants VALUES (20, '914403001922038216', 'rent', NULL, 1);
\echo :LAST_ERROR_SQLSTATE

-- an enterprise not yet known gets a placeholder row (the lock the protocol needs)
INSERT INTO dept.grants VALUES (21, '91310000631696382C', 'rent', '2019-03-01', 1);
SELECT uscc, name = '' AS placeholder FROM credit_audit.enterprise WHERE uscc::text = '91310000631696382C';

-- the extension's own subsidy table is guarded too
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
VALUES ('91330000733796106P', 'rent', '2020-06-01', 1000);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
VALUES ('91330000733796106P', 'rent', '2019-06-01', 1000);
SELECT uscc, program, applied_on, amount FROM credit_audit.subsidy;

-- refusals inside subtransactions; the transaction goes on, COPY is checked too
BEGIN;
DO $$
BEGIN
    INSERT INTO dept.grants VALUES (60, '91330000733796106P', 'rent', '2030-01-01', 1);
EXCEPTION WHEN check_violation THEN
    RAISE NOTICE 'refused in a subtransaction';
END
$$;
SAVEPOINT s1;
INSERT INTO dept.grants VALUES (61, '91330000733796106P', 'rent', '2030-01-01', 1);
ROLLBACK TO SAVEPOINT s1;
INSERT INTO dept.grants VALUES (62, '91330000733796106P', 'rent', '2019-01-01', 1);
COPY dept.grants (id, uscc, program, paid_on, amount) FROM STDIN;
63	9144030071526726XG	rent	2018-12-31	1
\.
COMMIT;
COPY dept.grants (id, uscc, program, paid_on, amount) FROM STDIN;
64	91330000733796106P	rent	2030-01-01	1
\.
SELECT id FROM dept.grants WHERE id BETWEEN 60 AND 69 ORDER BY id;

-- record mode: the row goes in, findings are written (paid_while_listed per listing, low_score)
SELECT credit_audit.guard('dept.grants', 'uscc', 'paid_on', 'amount', program_column => 'program',
                          mode => 'record');
INSERT INTO dept.grants VALUES (30, '91330000733796106P', 'rent', '2030-01-01', 3000);
INSERT INTO dept.grants VALUES (31, '91110000710926094P', 'rent', '2019-07-01', 3100);
SELECT kind, source_key, uscc, program, grant_date, amount, sanction_id
  FROM credit_audit.finding WHERE source_key IN ('30', '31') ORDER BY source_key, kind, sanction_id;

-- off mode: nothing checked, nothing written
SELECT credit_audit.guard('dept.grants', 'uscc', 'paid_on', 'amount', program_column => 'program',
                          mode => 'off');
INSERT INTO dept.grants VALUES (40, '91330000733796106P', 'rent', '2030-01-01', 4000);
SELECT count(*) FROM credit_audit.finding WHERE source_key = '40';

-- back to block; a column rename after guard() keeps working (columns are kept by number)
SELECT credit_audit.guard('dept.grants', 'uscc', 'paid_on', 'amount', program_column => 'program');
ALTER TABLE dept.grants RENAME COLUMN paid_on TO "Paid On";
INSERT INTO dept.grants VALUES (41, '91330000733796106P', 'rent', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dept.grants VALUES (41, '91330000733796106P', 'rent', '2019-01-01', 1);

-- a stale registration (as after a restore that renumbered columns): re-resolved by name when
-- the stored number is no longer a column of the right type, else a clear error
UPDATE credit_audit.guarded_table SET date_attnum = 99, date_column = 'Paid On'
 WHERE tbl = 'dept.grants'::regclass;
INSERT INTO dept.grants VALUES (42, '91330000733796106P', 'rent', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE
UPDATE credit_audit.guarded_table SET date_attnum = 99, date_column = 'gone'
 WHERE tbl = 'dept.grants'::regclass;
INSERT INTO dept.grants VALUES (42, '91330000733796106P', 'rent', '2019-01-02', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount', program_column => 'program');
INSERT INTO dept.grants VALUES (42, '91330000733796106P', 'rent', '2019-01-02', 1);
-- every stored number off by one (a restore of a table that had a dropped column): resolved by
-- the stored names, all of them
UPDATE credit_audit.guarded_table
   SET uscc_attnum = uscc_attnum + 1, date_attnum = date_attnum + 1,
       amount_attnum = amount_attnum + 1, program_attnum = program_attnum + 1,
       key_attnums = ARRAY[key_attnums[1] + 1]::smallint[]
 WHERE tbl = 'dept.grants'::regclass;
INSERT INTO dept.grants VALUES (43, '91330000733796106P', 'rent', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dept.grants VALUES (43, '9144030071526726XG', 'rent', '2019-01-02', 1);
SELECT source_key, kind, sanction_id FROM credit_audit.finding WHERE source_key = '43';
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount', program_column => 'program');

-- a partitioned table with odd names in an odd schema; a partition with a dropped column has
-- other column numbers than its parent; composite primary key -> row literal source_key
CREATE SCHEMA "Dept ""Odd""";
CREATE TABLE "Dept ""Odd"""."Grant Table" (
    "No." integer NOT NULL,
    "Enterprise Code" credit_audit.uscc NOT NULL,
    "Paid, On" date NOT NULL,
    "Sum" bigint NOT NULL,
    PRIMARY KEY ("Paid, On", "No.")
) PARTITION BY RANGE ("Paid, On");
CREATE TABLE "Dept ""Odd"""."Grants 2019" PARTITION OF "Dept ""Odd"""."Grant Table"
    FOR VALUES FROM ('2019-01-01') TO ('2020-01-01');
CREATE TABLE "Dept ""Odd"""."Grants later" (junk text, "No." integer NOT NULL,
    "Enterprise Code" credit_audit.uscc NOT NULL, "Paid, On" date NOT NULL, "Sum" bigint NOT NULL);
ALTER TABLE "Dept ""Odd"""."Grants later" DROP COLUMN junk;
ALTER TABLE "Dept ""Odd"""."Grant Table" ATTACH PARTITION "Dept ""Odd"""."Grants later"
    FOR VALUES FROM ('2020-01-01') TO (MAXVALUE);
SELECT credit_audit.guard('"Dept ""Odd"""."Grant Table"', 'Enterprise Code', 'Paid, On', 'Sum',
                          program => 'rent', mode => 'record');
-- the trigger is cloned to the partitions
SELECT c.relname, t.tgname FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = '"Dept ""Odd"""'::pg_catalog.regnamespace ORDER BY 1;
INSERT INTO "Dept ""Odd"""."Grant Table" VALUES (1, '91330000733796106P', '2020-03-01', 5000);
INSERT INTO "Dept ""Odd"""."Grant Table" VALUES (2, '914403001922038216', '2019-05-01', 6000);
SELECT tableoid::regclass, * FROM "Dept ""Odd"""."Grant Table" ORDER BY "No.";
SELECT kind, source_table, source_key, grant_date, amount, sanction_id
  FROM credit_audit.finding WHERE source_table LIKE '"Dept%' ORDER BY source_key, kind, sanction_id;
-- block mode: the row that would land in a partition is refused
SELECT credit_audit.guard('"Dept ""Odd"""."Grant Table"', 'Enterprise Code', 'Paid, On', 'Sum',
                          program => 'rent');
INSERT INTO "Dept ""Odd"""."Grant Table" VALUES (3, '91330000733796106P', '2021-03-01', 5000);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO "Dept ""Odd"""."Grants later" VALUES (3, '91330000733796106P', '2021-03-01', 5000);
\echo :LAST_ERROR_SQLSTATE
-- a partition of a guarded table cannot be guarded on its own
SELECT credit_audit.guard('"Dept ""Odd"""."Grants 2019"', 'Enterprise Code', 'Paid, On', 'Sum',
                          program => 'rent');
\echo :LAST_ERROR_SQLSTATE

-- bad guard() calls
SELECT credit_audit.guard('dept.grants', 'nope', 'Paid On', 'amount', program_column => 'program');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'program', 'Paid On', 'amount', program_column => 'program');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'amount', 'amount', program_column => 'program');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'note', program_column => 'program');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount', program_column => 'id');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount', 'rent', 'program');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount', 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount', 'rent', mode => 'strict');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount', 'rent', key_column => 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', NULL, 'Paid On', 'amount', 'rent');
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW dept.grants_view AS SELECT * FROM dept.grants;
SELECT credit_audit.guard('dept.grants_view', 'uscc', 'Paid On', 'amount', 'rent');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE dept.nokey (uscc credit_audit.uscc, d date, a numeric);
SELECT credit_audit.guard('dept.nokey', 'uscc', 'd', 'a', 'rent');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.nokey', 'uscc', 'd', 'a', 'rent', key_column => 'd');
SELECT key_columns, key_attnums FROM credit_audit.guarded_table WHERE tbl = 'dept.nokey'::regclass;

-- privileges: a clerk who may only INSERT is checked all the same, as the extension owner
CREATE ROLE guard_clerk;
CREATE ROLE guard_owner;
GRANT USAGE ON SCHEMA dept TO guard_clerk;
GRANT INSERT ON dept.grants TO guard_clerk;
SET ROLE guard_clerk;
INSERT INTO dept.grants (id, uscc, program, "Paid On", amount)
VALUES (50, '91330000733796106P', 'rent', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dept.grants (id, uscc, program, "Paid On", amount)
VALUES (50, '91330000733796106P', 'rent', '2019-01-01', 1);
-- no way around it: guard()/unguard() need the credit_audit schema and table ownership
SELECT credit_audit.unguard('dept.grants');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT USAGE ON SCHEMA credit_audit TO guard_clerk;
SET ROLE guard_clerk;
SELECT credit_audit.unguard('dept.grants');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_audit.guard('dept.grants', 'uscc', 'Paid On', 'amount', program_column => 'program',
                          mode => 'off');
\echo :LAST_ERROR_SQLSTATE
-- eligibility() reads as the caller, who needs SELECT on the credit tables
SELECT credit_audit.is_eligible('91330000733796106P', 'rent', '2030-01-01');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT mode FROM credit_audit.guarded_table WHERE tbl = 'dept.grants'::regclass;
-- a table owner who is not a superuser guards and unguards their own table
GRANT USAGE ON SCHEMA credit_audit TO guard_owner;
GRANT USAGE, CREATE ON SCHEMA dept TO guard_owner;
SET ROLE guard_owner;
CREATE TABLE dept.own (id bigint PRIMARY KEY, uscc credit_audit.uscc, d date, a integer);
SELECT credit_audit.guard('dept.own', 'uscc', 'd', 'a', 'rent');
INSERT INTO dept.own VALUES (1, '91330000733796106P', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dept.own VALUES (1, '91330000733796106P', '2019-01-01', 1);
SELECT credit_audit.unguard('dept.own');
INSERT INTO dept.own VALUES (2, '91330000733796106P', '2030-01-01', 1);
SELECT credit_audit.unguard('dept.own');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgrelid = 'dept.own'::regclass;
SELECT count(*) FROM credit_audit.guarded_table WHERE tbl = 'dept.own'::regclass;

-- A BEFORE trigger firing after the guard (triggers fire in name order) could change the row
-- after it was judged -- here one that fills in the enterprise code.  The guard refuses to judge
-- (55000, naming it); renamed to sort first, it runs before the guard and its row is judged.
CREATE TABLE dept.late (id integer PRIMARY KEY, uscc credit_audit.uscc, code text,
                        d date NOT NULL, a numeric NOT NULL);
CREATE FUNCTION dept.fill_uscc() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN NEW.uscc := NEW.code::credit_audit.uscc; RETURN NEW; END$$;
SELECT credit_audit.guard('dept.late', 'uscc', 'd', 'a', 'rent');
CREATE TRIGGER zzz_fill BEFORE INSERT ON dept.late FOR EACH ROW EXECUTE FUNCTION dept.fill_uscc();
INSERT INTO dept.late (id, code, d, a) VALUES (1, '91330000733796106P', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE
-- a disabled one does not matter (this row's code then stays NULL: nothing to judge, and this
-- table has no NOT NULL constraint to speak)
ALTER TABLE dept.late DISABLE TRIGGER zzz_fill;
INSERT INTO dept.late (id, code, d, a) VALUES (9, '91330000733796106P', '2030-01-01', 1);
ALTER TABLE dept.late ENABLE TRIGGER zzz_fill;
ALTER TRIGGER zzz_fill ON dept.late RENAME TO fill;
INSERT INTO dept.late (id, code, d, a) VALUES (1, '91330000733796106P', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dept.late (id, code, d, a) VALUES (2, '91330000733796106P', '2019-01-01', 1);
SELECT id, uscc, d FROM dept.late ORDER BY id;

-- the trigger function refuses to be called any other way
CREATE TABLE dept.misuse (id integer PRIMARY KEY, uscc credit_audit.uscc, d date, a numeric);
CREATE TRIGGER x AFTER INSERT ON dept.misuse FOR EACH ROW EXECUTE FUNCTION credit_audit.guard_trigger();
INSERT INTO dept.misuse VALUES (1, '91330000733796106P', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER x ON dept.misuse;
CREATE TRIGGER zz_credit_audit_guard BEFORE INSERT ON dept.misuse FOR EACH ROW EXECUTE FUNCTION credit_audit.guard_trigger();
INSERT INTO dept.misuse VALUES (1, '91330000733796106P', '2030-01-01', 1);
\echo :LAST_ERROR_SQLSTATE

-- the guarded_table row of subsidy is made by the install script and dumped all the same (no
-- filter): its upsert trigger, enabled ALWAYS, merges the dumped registration on restore
SELECT c.condition
  FROM pg_catalog.pg_extension e,
       LATERAL unnest(e.extconfig, e.extcondition) AS c(tbl, condition)
 WHERE e.extname = 'credit_audit' AND c.tbl = 'credit_audit.guarded_table'::regclass;

SET client_min_messages = warning;
DROP SCHEMA dept CASCADE;
DROP SCHEMA "Dept ""Odd""" CASCADE;
RESET client_min_messages;
DROP OWNED BY guard_clerk, guard_owner;
DROP ROLE guard_clerk;
DROP ROLE guard_owner;
