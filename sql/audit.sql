SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

-- Findings when listings arrive late (the sanction trigger), audit(), refresh_findings().
-- NOTIFY payloads are checked by the isolation spec audit_notify (psql prints the server's
-- PID with each notification, which is not deterministic).

SET search_path = public, credit_audit;

-- markings are part of the contract
SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args,
       p.provolatile, p.proisstrict, p.proparallel, p.prosecdef, p.proretset
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'credit_audit'::regnamespace
   AND p.proname IN ('audit', 'refresh_findings', 'sanction_audit', 'sanction_lock')
 ORDER BY 1;
SELECT t.tgname, t.tgtype, t.tgnewtable, t.tgoldtable
  FROM pg_catalog.pg_trigger t
 WHERE t.tgrelid = 'credit_audit.sanction'::regclass AND NOT t.tgisinternal
 ORDER BY 1;

-- enterprises
INSERT INTO credit_audit.enterprise (uscc, name) VALUES
    ('91330000733796106P', '浙江某科技有限公司'),   -- the retroactive case
    ('914403001922038216', '深圳某工程有限公司'),    -- two listings, one repaired
    ('91330100716105852F', '杭州某贸易有限公司'),    -- a listing later revoked
    ('9144030071526726XG', '深圳某电子有限公司'),    -- never listed
    ('91110000710926094P', '北京某服务有限公司');    -- grants in a partitioned table
INSERT INTO credit_audit.program (code, name, department) VALUES
    ('rent', '房租补贴', 'econ'),
    ('incubation', '培育资助', 'ndrc'),
    ('jobs', '稳岗补贴', 'hrss');

-- 1. a guarded table in another schema, with a fixed program
CREATE SCHEMA econ;
CREATE TABLE econ.rent_subsidy (
    id integer PRIMARY KEY,
    enterprise credit_audit.uscc NOT NULL,
    applied_on date NOT NULL,
    amount numeric(12,2) NOT NULL
);
SELECT credit_audit.guard('econ.rent_subsidy', 'enterprise', 'applied_on', 'amount', program => 'rent');

-- 2. a partitioned guarded table with a composite key; one partition has its columns in
--    another order and a dropped column, so its attribute numbers differ from the parent's
CREATE SCHEMA "hrss dept";
CREATE TABLE "hrss dept"."Grants" (
    paid_on date NOT NULL,
    no integer NOT NULL,
    uscc credit_audit.uscc NOT NULL,
    program text NOT NULL,
    amount numeric NOT NULL,
    PRIMARY KEY (paid_on, no)
) PARTITION BY RANGE (paid_on);
CREATE TABLE "hrss dept".grants_2018 PARTITION OF "hrss dept"."Grants"
    FOR VALUES FROM ('2018-01-01') TO ('2019-01-01');
CREATE TABLE "hrss dept".grants_later (
    junk integer,
    amount numeric NOT NULL,
    program text NOT NULL,
    uscc credit_audit.uscc NOT NULL,
    no integer NOT NULL,
    paid_on date NOT NULL
);
ALTER TABLE "hrss dept".grants_later DROP COLUMN junk;
ALTER TABLE "hrss dept"."Grants" ATTACH PARTITION "hrss dept".grants_later
    FOR VALUES FROM ('2019-01-01') TO (MAXVALUE);
SELECT credit_audit.guard('"hrss dept"."Grants"', 'uscc', 'paid_on', 'amount',
                          program_column => 'program');

-- 3. a table guarded with mode off: not checked at insert time, audited all the same
CREATE TABLE public.ndrc_grants (
    ref text PRIMARY KEY,
    uscc credit_audit.uscc NOT NULL,
    granted date NOT NULL,
    amount numeric NOT NULL
);
SELECT credit_audit.guard('public.ndrc_grants', 'uscc', 'granted', 'amount',
                          program => 'incubation', mode => 'off');

SELECT tbl, mode FROM credit_audit.guarded_table ORDER BY tbl::text;

-- grants paid before any listing is known: all allowed
INSERT INTO econ.rent_subsidy VALUES
    (1, '91330000733796106P', '2018-05-01', 1000),      -- before the violation: clean
    (2, '91330000733796106P', '2018-07-10', 120000),    -- after the fact, before the listing
    (3, '91330000733796106P', '2019-03-01', 30000),     -- while listed
    (4, '91330000733796106P', '2019-05-01', 5000),      -- while listed
    (5, '9144030071526726XG', '2019-03-01', 7000),      -- never listed
    (6, '914403001922038216', '2019-02-01', 8000),      -- hrss fact, before its listing
    (7, '914403001922038216', '2019-07-01', 9000),      -- under both listings
    (8, '914403001922038216', '2020-03-01', 10000),     -- hrss removed that day; market still on
    (9, '91330100716105852F', '2019-08-01', 11000);     -- listing later revoked
INSERT INTO "hrss dept"."Grants" (paid_on, no, uscc, program, amount) VALUES
    ('2018-08-01', 1, '91110000710926094P', 'jobs', 500),     -- before the fact
    ('2018-12-31', 2, '91110000710926094P', 'jobs', 600),     -- retroactive
    ('2019-02-01', 1, '91110000710926094P', 'jobs', 700),     -- listed (partition grants_later)
    ('2019-09-30', 7, '91110000710926094P', 'jobs', 800),     -- listed
    ('2019-10-01', 8, '91110000710926094P', 'jobs', 900);     -- on the removal day: clean
INSERT INTO public.ndrc_grants VALUES
    ('N-1', '914403001922038216', '2019-06-15', 2500);

-- no sanction yet: no finding, and the sweep is empty
SELECT count(*) AS findings FROM credit_audit.finding;
SELECT count(*) AS audit_rows FROM credit_audit.audit();

-- the listings arrive (one statement, several enterprises)
INSERT INTO credit_audit.sanction
    (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
VALUES
    ('91330000733796106P', 'tax', 'major_tax_violation', 'serious', '2018-06-15', '2019-02-01', NULL, NULL),
    ('914403001922038216', 'hrss', 'wage_arrears', 'general', '2019-01-10', '2019-03-01', '2020-03-01', 'repaired'),
    ('914403001922038216', 'market', 'abnormal_operation', 'general', '2019-05-01', '2019-06-01', NULL, NULL),
    ('91330100716105852F', 'commerce', 'contract_fraud', 'serious', '2019-06-01', '2019-07-01', NULL, NULL),
    ('91110000710926094P', 'finance', 'disability_fund_arrears', 'general', '2018-12-01', '2019-01-15', '2019-10-01', 'repaired');

SELECT s.id, s.uscc, s.department, s.fact_date, s.listed_on, s.removed_on FROM credit_audit.sanction s ORDER BY s.id;

-- every affected row of every guarded table, with its kind
SELECT f.source_table, f.source_key, f.kind, f.sanction_id, f.uscc, f.program, f.grant_date,
       f.amount, f.status
  FROM credit_audit.finding f
 ORDER BY f.source_table, f.source_key, f.sanction_id, f.kind;

-- a grant flagged by two sanctions has two findings (econ.rent_subsidy 7: sanctions 2 and 3)
SELECT f.source_key, pg_catalog.array_agg(f.sanction_id ORDER BY f.sanction_id) AS sanctions
  FROM credit_audit.finding f
 GROUP BY f.source_table, f.source_key
HAVING pg_catalog.count(*) > 1;

-- the sweep reports exactly the findings written by the trigger
SELECT count(*) AS audit_rows FROM credit_audit.audit();
SELECT a.source_table, a.source_key, a.sanction_id, a.kind FROM credit_audit.audit() a
EXCEPT
SELECT f.source_table, f.source_key, f.sanction_id, f.kind FROM credit_audit.finding f;
SELECT f.source_table, f.source_key, f.sanction_id, f.kind FROM credit_audit.finding f
EXCEPT
SELECT a.source_table, a.source_key, a.sanction_id, a.kind FROM credit_audit.audit() a;

-- basis: 'fact' (default) reports both kinds, 'listing' only paid_while_listed
SELECT a.kind, count(*), sum(a.amount) FROM credit_audit.audit() a GROUP BY a.kind ORDER BY 1;
SELECT a.kind, count(*), sum(a.amount) FROM credit_audit.audit('fact') a GROUP BY a.kind ORDER BY 1;
SELECT a.kind, count(*), sum(a.amount) FROM credit_audit.audit('listing') a GROUP BY a.kind ORDER BY 1;
SELECT * FROM credit_audit.audit('listing') ORDER BY source_table, source_key, sanction_id;

-- an update that changes nothing that matters adds nothing (idempotent)
SELECT count(*) FROM credit_audit.finding \gset before_
UPDATE credit_audit.sanction SET source_ref = 'bulletin 2019-7' WHERE uscc = '91330000733796106P';
UPDATE credit_audit.sanction SET source_ref = 'again';
SELECT count(*) = :before_count AS same_count FROM credit_audit.finding;

-- repair keeps the findings, even when the removal date cuts a flagged grant off
UPDATE credit_audit.sanction SET removed_on = '2019-04-01', removal_reason = 'repaired'
 WHERE uscc = '91330000733796106P';
SELECT f.source_key, f.kind, f.grant_date, f.status
  FROM credit_audit.finding f
 WHERE f.uscc = '91330000733796106P' ORDER BY f.source_key;
-- (the sweep follows the corrected dates: econ 4 of 2019-05-01 is no longer reported)
SELECT a.source_key, a.kind FROM credit_audit.audit() a
 WHERE a.uscc = '91330000733796106P' ORDER BY a.source_key;

-- revoking a listing dismisses its open findings (a confirmed one stays as the analyst left it)
UPDATE credit_audit.finding SET status = 'confirmed'
 WHERE source_table = '"hrss dept"."Grants"' AND source_key = '(2019-02-01,1)';
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91110000710926094P', 'market', 'false_advertising', 'minor', '2019-09-01', '2019-09-15');
SELECT f.source_key, f.sanction_id, f.kind, f.status FROM credit_audit.finding f
 WHERE f.uscc IN ('91330100716105852F', '91110000710926094P') ORDER BY f.source_key, f.sanction_id;
UPDATE credit_audit.sanction SET removed_on = '2019-10-01', removal_reason = 'revoked'
 WHERE id IN (4, 5);
SELECT f.source_key, f.sanction_id, f.kind, f.status FROM credit_audit.finding f
 WHERE f.uscc IN ('91330100716105852F', '91110000710926094P') ORDER BY f.source_key, f.sanction_id;
-- a revoked listing counts for nothing in the sweep
SELECT count(*) AS revoked_in_audit FROM credit_audit.audit() WHERE sanction_id IN (4, 5);
-- a listing inserted already revoked writes no findings
INSERT INTO credit_audit.sanction
    (uscc, department, category, severity, fact_date, listed_on, removed_on, removal_reason)
VALUES ('9144030071526726XG', 'tax', 'late_filing', 'general', '2019-01-01', '2019-02-01', '2019-12-01', 'revoked');
SELECT count(*) AS findings_of_never_listed FROM credit_audit.finding WHERE uscc = '9144030071526726XG';

-- refresh_findings(): nothing missing, so 0; twice in a row 0
SELECT credit_audit.refresh_findings();
SELECT credit_audit.refresh_findings();
-- findings deleted by hand come back, once (not the one of the revoked listing 5)
DELETE FROM credit_audit.finding WHERE source_key IN ('2', '(2018-12-31,2)');
SELECT credit_audit.refresh_findings();
SELECT credit_audit.refresh_findings();
SELECT f.source_table, f.source_key, f.kind, f.sanction_id, f.status FROM credit_audit.finding f
 WHERE f.source_key IN ('2', '(2018-12-31,2)') ORDER BY 1, 2;
-- a grant written into an unchecked (mode off) table during a listing is found by the sweep
INSERT INTO public.ndrc_grants VALUES ('N-2', '914403001922038216', '2021-01-05', 4000);
SELECT count(*) AS findings_of_n2 FROM credit_audit.finding WHERE source_key = 'N-2';
SELECT credit_audit.refresh_findings();
SELECT f.source_table, f.source_key, f.kind, f.sanction_id, f.program, f.amount
  FROM credit_audit.finding f WHERE f.source_key = 'N-2';

-- a later sanction of an enterprise finds grants of every guarded table at once, and a
-- sanction covering nothing writes nothing
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('9144030071526726XG', 'market', 'abnormal_operation', 'minor', '2019-02-15', '2019-04-01'),
       ('91330000733796106P', 'justice', 'court_order_evaded', 'general', '2025-01-01', '2025-02-01');
SELECT f.source_table, f.source_key, f.kind, f.sanction_id FROM credit_audit.finding f
 WHERE f.sanction_id > 6 ORDER BY 1, 2;

-- bad basis
SELECT * FROM credit_audit.audit('published');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM credit_audit.audit(NULL);

-- a clerk who may only insert sanctions still gets findings written (the trigger runs as the
-- extension owner); a user who cannot read a guarded table cannot sweep it
CREATE ROLE audit_clerk;
GRANT USAGE ON SCHEMA credit_audit TO audit_clerk;
GRANT INSERT ON credit_audit.sanction TO audit_clerk;
GRANT SELECT ON credit_audit.sanction, credit_audit.guarded_table TO audit_clerk;
SET ROLE audit_clerk;
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91110000710926094P', 'tax', 'major_tax_violation', 'serious', '2018-01-01', '2018-09-01');
SELECT count(*) FROM credit_audit.audit();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT f.source_key, f.kind FROM credit_audit.finding f
 WHERE f.sanction_id = (SELECT max(id) FROM credit_audit.sanction) ORDER BY 1;
REVOKE ALL ON credit_audit.sanction, credit_audit.guarded_table FROM audit_clerk;
REVOKE ALL ON SCHEMA credit_audit FROM audit_clerk;
DROP ROLE audit_clerk;

-- a search_path without the extension's schema changes nothing for the trigger and the sweep
SET search_path = public, pg_temp;
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('9144030071526726XG', 'hrss', 'wage_arrears', 'general', '2019-02-20', '2019-02-25');
SELECT count(*) AS findings_of_last FROM credit_audit.finding
 WHERE sanction_id = (SELECT max(id) FROM credit_audit.sanction);
SELECT count(*) FROM credit_audit.audit();

-- columns of domain types over uscc, date and numeric are read as their base types
CREATE DOMAIN public.audit_code AS credit_audit.uscc;
CREATE DOMAIN public.audit_day AS date CHECK (VALUE > '2000-01-01');
CREATE DOMAIN public.audit_money AS numeric(12,2) CHECK (VALUE >= 0);
CREATE TABLE public.audit_domain_grants (
    id bigint PRIMARY KEY,
    who public.audit_code NOT NULL,
    day public.audit_day NOT NULL,
    amt public.audit_money NOT NULL
);
SELECT credit_audit.guard('public.audit_domain_grants', 'who', 'day', 'amt',
                          program => 'rent', mode => 'off');
INSERT INTO public.audit_domain_grants VALUES (1, '9144030071526726XG', '2019-03-10', 321.5);
SELECT credit_audit.refresh_findings();
SELECT source_table, source_key, kind, sanction_id, grant_date::text, amount
  FROM credit_audit.audit() WHERE source_table = 'public.audit_domain_grants' ORDER BY sanction_id;

-- keys do not depend on the session's DateStyle: a sweep under another style adds nothing
SET datestyle = 'German, DMY';
SELECT credit_audit.refresh_findings();
SELECT DISTINCT source_key FROM credit_audit.audit() WHERE source_table LIKE '"hrss%' ORDER BY 1;
RESET datestyle;
RESET search_path;
