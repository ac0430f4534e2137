SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

-- The guard trigger keeps what it derives from guarded_table, program and score_rule across
-- statements (src/guard.c, docs/internals.md "The guard's configuration cache").  Every change of
-- those tables, of the guarded table's definition, guard() and unguard() must be seen by the very
-- next statement; a change rolled back must not be kept.  (Other sessions and REPEATABLE READ:
-- test/specs/guard_config_cache.spec.)

-- the statement trigger that reports changes, and its markings
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel, p.prosecdef,
       pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'credit_audit'::pg_catalog.regnamespace
   AND p.proname = 'guard_config_changed';
SELECT tgrelid::pg_catalog.regclass AS tbl, tgenabled, tgtype
  FROM pg_catalog.pg_trigger
 WHERE tgname = 'credit_audit_guard_config_changed' ORDER BY 1;
SELECT credit_audit.guard_config_changed();
\echo :LAST_ERROR_SQLSTATE

INSERT INTO credit_audit.program (code, name, min_score, blocking_severity) VALUES
    ('rent', 'rent subsidy', 70, 'general'),
    ('elite', 'elite grant', 90, 'general');
INSERT INTO credit_audit.enterprise (uscc, name) VALUES
    ('914403001922038216', 'E: score 60'),
    ('91330000733796106P', 'F: score 80'),
    ('91330100716105852F', 'G: open minor listing, score 95');
INSERT INTO credit_audit.credit_event (uscc, event_date, points) VALUES
    ('914403001922038216', '2020-01-01', -40),
    ('91330000733796106P', '2020-01-01', -20);
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91330100716105852F', 'market', 'late_annual_report', 'minor', '2024-01-01', '2024-01-01');

CREATE SCHEMA dept;
CREATE TABLE dept.g (
    id serial PRIMARY KEY,
    uscc credit_audit.uscc NOT NULL,
    program text NOT NULL,
    paid_on date NOT NULL,
    amount numeric NOT NULL
);
SELECT credit_audit.guard('dept.g', 'uscc', 'paid_on', 'amount', program_column => 'program');

\set VERBOSITY sqlstate
-- F (80) passes rent (70): the configuration is now cached
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 1);
-- a program's min_score, changed between statements
UPDATE credit_audit.program SET min_score = 90 WHERE code = 'rent';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 2);
UPDATE credit_audit.program SET min_score = 70 WHERE code = 'rent';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 3);
-- a program's blocking severity: G's minor listing blocks once minor is enough
UPDATE credit_audit.program SET blocking_severity = 'minor' WHERE code = 'rent';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'rent', '2024-06-01', 4);
UPDATE credit_audit.program SET blocking_severity = 'general' WHERE code = 'rent';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'rent', '2024-06-01', 5);
-- a program added after the cache was built is known at once
INSERT INTO credit_audit.program (code, name, min_score) VALUES ('fresh', 'new program', 50);
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'fresh', '2024-06-01', 6);
-- and one deleted is unknown at once (23503: program does not exist)
DELETE FROM credit_audit.program WHERE code = 'fresh';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'fresh', '2024-06-01', 7);

-- a score rule's points: G (95 with a minor listing of 5 points) passes elite (90) ...
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 8);
-- ... not when a minor listing costs 15, nor when a category rule of its own costs 11
UPDATE credit_audit.score_rule SET points = 15 WHERE category = '*' AND severity = 'minor';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 9);
UPDATE credit_audit.score_rule SET points = 5 WHERE category = '*' AND severity = 'minor';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 10);
INSERT INTO credit_audit.score_rule (category, severity, points) VALUES ('late_annual_report', 'minor', 11);
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 11);
DELETE FROM credit_audit.score_rule WHERE category = 'late_annual_report';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 12);

-- the guard mode: guard() again, unguard(), guard() again
SELECT credit_audit.guard('dept.g', 'uscc', 'paid_on', 'amount', program_column => 'program', mode => 'record');
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 13);
SELECT kind, source_key, amount FROM credit_audit.finding ORDER BY id;
SELECT credit_audit.guard('dept.g', 'uscc', 'paid_on', 'amount', program_column => 'program', mode => 'off');
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 14);
SELECT credit_audit.unguard('dept.g');
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 15);
SELECT credit_audit.guard('dept.g', 'uscc', 'paid_on', 'amount', program_column => 'program');
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 16);
SELECT count(*) AS findings FROM credit_audit.finding;

-- a change in an open transaction is seen by its next statement; rolled back, it is not kept
-- (E, score 60, passes rent only while its minimum is 50)
BEGIN;
UPDATE credit_audit.program SET min_score = 50 WHERE code = 'rent';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 17);
ROLLBACK;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 18);
-- the same with savepoints: rolled back to, the change is gone; released, it stays
BEGIN;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 19);
SAVEPOINT s1;
UPDATE credit_audit.program SET min_score = 50 WHERE code = 'rent';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 20);
ROLLBACK TO SAVEPOINT s1;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 21);
ROLLBACK TO SAVEPOINT s1;
SAVEPOINT s2;
UPDATE credit_audit.score_rule SET points = 15 WHERE category = '*' AND severity = 'minor';
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 22);
ROLLBACK TO SAVEPOINT s2;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 23);
SAVEPOINT s3;
UPDATE credit_audit.program SET min_score = 50 WHERE code = 'rent';
RELEASE SAVEPOINT s3;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 24);
COMMIT;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 25);
UPDATE credit_audit.program SET min_score = 70 WHERE code = 'rent';
-- a guard() rolled back leaves the table guarded as before
BEGIN;
SELECT credit_audit.unguard('dept.g');
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 26);
ROLLBACK;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 27);
-- inside one statement (a function changing the program, then inserting)
\set VERBOSITY terse
DO $$
BEGIN
    UPDATE credit_audit.program SET min_score = 50 WHERE code = 'rent';
    INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 28);
    RAISE NOTICE 'row 28 passed';
    UPDATE credit_audit.program SET min_score = 70 WHERE code = 'rent';
    BEGIN
        INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 29);
        RAISE NOTICE 'row 29 passed';
    EXCEPTION WHEN check_violation THEN
        RAISE NOTICE 'row 29 refused';
    END;
END
$$;
\set VERBOSITY sqlstate
SELECT amount FROM dept.g ORDER BY id;

-- the guarded table's own definition: a trigger that would fire after the guard is refused at
-- once (55000), and forgotten once dropped; a renamed column keeps working
CREATE FUNCTION dept.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 30);
CREATE TRIGGER zzz_late BEFORE INSERT ON dept.g FOR EACH ROW EXECUTE FUNCTION dept.noop();
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 31);
ALTER TABLE dept.g DISABLE TRIGGER zzz_late;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 32);
ALTER TABLE dept.g ENABLE TRIGGER zzz_late;
INSERT INTO dept.g (uscc, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 33);
DROP TRIGGER zzz_late ON dept.g;
ALTER TABLE dept.g RENAME COLUMN uscc TO enterprise;
INSERT INTO dept.g (enterprise, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 34);
ALTER TABLE dept.g DROP COLUMN program;
INSERT INTO dept.g (enterprise, paid_on, amount) VALUES ('914403001922038216', '2024-06-01', 35);
ALTER TABLE dept.g ADD COLUMN program text NOT NULL DEFAULT 'rent';
SELECT credit_audit.guard('dept.g', 'enterprise', 'paid_on', 'amount', program_column => 'program');
INSERT INTO dept.g (enterprise, program, paid_on, amount) VALUES ('914403001922038216', 'rent', '2024-06-01', 36);
INSERT INTO dept.g (enterprise, program, paid_on, amount) VALUES ('91330000733796106P', 'rent', '2024-06-01', 37);

-- a partitioned table: the partition's entry follows the parent's registration
CREATE TABLE dept.p (
    id integer,
    uscc credit_audit.uscc NOT NULL,
    paid_on date NOT NULL,
    amount numeric NOT NULL,
    PRIMARY KEY (id, paid_on)
) PARTITION BY RANGE (paid_on);
CREATE TABLE dept.p2024 PARTITION OF dept.p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
SELECT credit_audit.guard('dept.p', 'uscc', 'paid_on', 'amount', program => 'rent');
INSERT INTO dept.p VALUES (1, '91330000733796106P', '2024-06-01', 1);
INSERT INTO dept.p VALUES (2, '914403001922038216', '2024-06-01', 2);
SELECT credit_audit.guard('dept.p', 'uscc', 'paid_on', 'amount', program => 'rent', mode => 'off');
INSERT INTO dept.p VALUES (3, '914403001922038216', '2024-06-01', 3);
SELECT credit_audit.guard('dept.p', 'uscc', 'paid_on', 'amount', program => 'elite');
INSERT INTO dept.p VALUES (4, '91330000733796106P', '2024-06-01', 4);
UPDATE credit_audit.program SET min_score = 80 WHERE code = 'elite';
INSERT INTO dept.p VALUES (5, '91330000733796106P', '2024-06-01', 5);
SELECT id FROM dept.p ORDER BY id;

-- without its invalidation trigger (a database still at 1.0, or the trigger disabled) the cache
-- is not kept: every statement reads the configuration again
ALTER TABLE credit_audit.program DISABLE TRIGGER credit_audit_guard_config_changed;
INSERT INTO dept.p VALUES (6, '91330000733796106P', '2024-06-01', 6);
UPDATE credit_audit.program SET min_score = 90 WHERE code = 'elite';
INSERT INTO dept.p VALUES (7, '91330000733796106P', '2024-06-01', 7);
UPDATE credit_audit.program SET min_score = 80 WHERE code = 'elite';
INSERT INTO dept.p VALUES (8, '91330000733796106P', '2024-06-01', 8);
ALTER TABLE credit_audit.program ENABLE ALWAYS TRIGGER credit_audit_guard_config_changed;
SELECT id FROM dept.p ORDER BY id;
\set VERBOSITY default

-- what is read when (DEBUG1): once, then nothing until a change; a change of another table's
-- definition drops only that table's entry
\set VERBOSITY terse
SET client_min_messages = debug1;
INSERT INTO dept.p VALUES (9, '91330000733796106P', '2024-06-01', 9);
INSERT INTO dept.p VALUES (10, '91330000733796106P', '2024-06-01', 10);
INSERT INTO dept.g (enterprise, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 38);
INSERT INTO dept.g (enterprise, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 39);
INSERT INTO dept.p VALUES (11, '91330000733796106P', '2024-06-01', 11);
ALTER TABLE dept.g ADD COLUMN note text;
INSERT INTO dept.p VALUES (12, '91330000733796106P', '2024-06-01', 12);
INSERT INTO dept.g (enterprise, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 40);
UPDATE credit_audit.score_rule SET points = 5 WHERE category = '*' AND severity = 'minor';
INSERT INTO dept.g (enterprise, program, paid_on, amount) VALUES ('91330100716105852F', 'elite', '2024-06-01', 41);
INSERT INTO dept.p VALUES (13, '91330000733796106P', '2024-06-01', 13);
RESET client_min_messages;
\set VERBOSITY default
