SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

-- A dropped guarded table leaves no registration behind (event trigger on sql_drop), whoever
-- drops it and however; the findings about its rows stay.

SELECT evtname, evtevent, evtfoid::regproc, evtenabled
  FROM pg_catalog.pg_event_trigger WHERE evtname LIKE 'credit_audit%';

INSERT INTO credit_audit.enterprise (uscc, name) VALUES ('91330000733796106P', '浙江某科技有限公司');
INSERT INTO credit_audit.program (code, name) VALUES ('rent_subsidy', '房租补贴');
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on)
VALUES ('91330000733796106P', 'tax', 'tax_arrears', 'general', '2019-01-01', '2019-02-01');

-- a department's table, owned by a role that is not a superuser and has no right on the
-- extension's tables
CREATE ROLE regress_guard_drop_owner;
CREATE SCHEMA drop_dept AUTHORIZATION regress_guard_drop_owner;
GRANT USAGE ON SCHEMA credit_audit TO regress_guard_drop_owner;
SET ROLE regress_guard_drop_owner;
CREATE TABLE drop_dept.grants (id int PRIMARY KEY, uscc credit_audit.uscc, paid_on date, amount numeric);
CREATE TABLE drop_dept.grants2 (id int PRIMARY KEY, uscc credit_audit.uscc, paid_on date, amount numeric);
CREATE TABLE drop_dept.other (id int);
SELECT credit_audit.guard('drop_dept.grants', 'uscc', 'paid_on', 'amount', program => 'rent_subsidy',
                          mode => 'record');
SELECT credit_audit.guard('drop_dept.grants2', 'uscc', 'paid_on', 'amount', program => 'rent_subsidy',
                          mode => 'record');
INSERT INTO drop_dept.grants VALUES (1, '91330000733796106P', '2019-03-01', 1000);
RESET ROLE;
SELECT tbl::text, mode FROM credit_audit.guarded_table ORDER BY 1;
SELECT kind, source_table, source_key FROM credit_audit.finding;

-- dropping another table changes nothing
SET ROLE regress_guard_drop_owner;
DROP TABLE drop_dept.other;
RESET ROLE;
SELECT count(*) AS registrations FROM credit_audit.guarded_table;

-- the owner drops the table: its registration goes, its findings stay
SET ROLE regress_guard_drop_owner;
DROP TABLE drop_dept.grants;
RESET ROLE;
SELECT tbl::text, mode FROM credit_audit.guarded_table ORDER BY 1;
SELECT kind, source_table, source_key FROM credit_audit.finding;
SELECT count(*) AS audited FROM credit_audit.audit();

-- a drop rolled back keeps the registration
BEGIN;
DROP TABLE drop_dept.grants2;
SELECT count(*) AS registrations_in_transaction FROM credit_audit.guarded_table;
ROLLBACK;
SELECT tbl::text FROM credit_audit.guarded_table ORDER BY 1;

-- DROP SCHEMA ... CASCADE drops the table with it
SET client_min_messages = warning;
DROP SCHEMA drop_dept CASCADE;
RESET client_min_messages;
SELECT tbl::text FROM credit_audit.guarded_table ORDER BY 1;

-- a partitioned guarded table: dropping a partition keeps the registration, dropping the
-- table removes it
CREATE TABLE part_grants (id int, uscc credit_audit.uscc, paid_on date, amount numeric)
    PARTITION BY RANGE (paid_on);
CREATE TABLE part_grants_2019 PARTITION OF part_grants FOR VALUES FROM ('2019-01-01') TO ('2020-01-01');
SELECT credit_audit.guard('part_grants', 'uscc', 'paid_on', 'amount', program => 'rent_subsidy',
                          key_column => 'id');
DROP TABLE part_grants_2019;
SELECT tbl::text FROM credit_audit.guarded_table ORDER BY 1;
DROP TABLE part_grants;
SELECT tbl::text FROM credit_audit.guarded_table ORDER BY 1;

-- nobody calls the event trigger's function directly
SET ROLE regress_guard_drop_owner;
SELECT credit_audit.forget_dropped_tables();
RESET ROLE;

REVOKE USAGE ON SCHEMA credit_audit FROM regress_guard_drop_owner;
DROP ROLE regress_guard_drop_owner;

-- dropping the extension drops its event trigger with it
DROP EXTENSION credit_audit CASCADE;
SELECT count(*) AS left_behind FROM pg_catalog.pg_event_trigger WHERE evtname LIKE 'credit_audit%';
CREATE TABLE after_drop (id int);
DROP TABLE after_drop;
CREATE EXTENSION credit_audit;
