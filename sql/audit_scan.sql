SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

-- audit() in FROM as a streaming scan (src/audit_scan.c): when the planner uses it, when it
-- does not, and that every way of running audit() gives the rows the function gives.
-- (audit_generated compares both ways on 100,000 grants.)

\i test/data/seed_case.sql
SET search_path = public;

-- the support function and the planner option
SELECT p.proname, p.prosupport::regproc AS support, p.provolatile, p.proparallel
  FROM pg_catalog.pg_proc p
 WHERE p.oid = 'credit_audit.audit(text)'::regprocedure;
SHOW credit_audit.enable_audit_scan;

-- the reference: audit() called as a function
SET credit_audit.enable_audit_scan = off;
EXPLAIN (COSTS OFF) SELECT * FROM credit_audit.audit('fact');
CREATE TEMP TABLE ref_fact AS SELECT * FROM credit_audit.audit('fact');
CREATE TEMP TABLE ref_listing AS SELECT * FROM credit_audit.audit('listing');
RESET credit_audit.enable_audit_scan;
SELECT (SELECT count(*) FROM ref_fact) AS fact_rows, (SELECT count(*) FROM ref_listing) AS listing_rows;
SELECT count(*) AS nref FROM ref_fact \gset
-- whether the plan of a query runs audit() as the scan
CREATE FUNCTION pg_temp.uses_scan(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text; found boolean := false;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        found := found OR line LIKE '%Custom Scan (credit_audit.audit)%';
    END LOOP;
    RETURN found;
END $$;

-- the scan: same rows (both ways, duplicates included), columns and filters pushed into it
EXPLAIN (VERBOSE, COSTS OFF)
SELECT source_key, amount FROM credit_audit.audit('fact') a WHERE kind = 'retroactive';
SELECT source_table, source_key, uscc::text, program, grant_date, amount, kind
  FROM credit_audit.audit('fact') a WHERE kind = 'retroactive';
SELECT count(*) AS differences FROM (
    (SELECT * FROM credit_audit.audit('fact') EXCEPT ALL SELECT * FROM ref_fact)
    UNION ALL
    (SELECT * FROM ref_fact EXCEPT ALL SELECT * FROM credit_audit.audit('fact'))) d;
SELECT count(*) AS differences FROM (
    (SELECT * FROM credit_audit.audit('listing') EXCEPT ALL SELECT * FROM ref_listing)
    UNION ALL
    (SELECT * FROM ref_listing EXCEPT ALL SELECT * FROM credit_audit.audit('listing'))) d;
-- the default basis is fact
SELECT count(*) = :nref AS default_is_fact FROM credit_audit.audit();
-- the seed's nine enterprises paid while listed
SELECT count(DISTINCT uscc) AS enterprises, sum(amount) AS paid
  FROM (SELECT DISTINCT source_table, source_key, uscc, amount
          FROM credit_audit.audit('listing')) g;

-- streaming: LIMIT stops early, ORDER BY sorts above the scan
EXPLAIN (COSTS OFF) SELECT * FROM credit_audit.audit() LIMIT 1;
SELECT count(*) AS one FROM (SELECT * FROM credit_audit.audit() LIMIT 1) l;
SELECT source_key, sanction_id, kind FROM credit_audit.audit()
 ORDER BY grant_date DESC, source_key, sanction_id LIMIT 3;

-- a NULL basis gives no rows (audit() is STRICT); a bad one the function's error
SELECT count(*) AS null_basis FROM credit_audit.audit(NULL);
SELECT count(*) FROM credit_audit.audit('published');

-- parameters: a generic plan evaluates the basis at execution
PREPARE by_basis(text) AS SELECT count(*) FROM credit_audit.audit($1);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE by_basis('fact');
EXECUTE by_basis('fact');
EXECUTE by_basis('listing');
EXECUTE by_basis(NULL);
RESET plan_cache_mode;
DEALLOCATE by_basis;

-- rescans: per outer row, with a filter that changes, and with a basis that changes
EXPLAIN (COSTS OFF)
SELECT g.n, (SELECT count(a.source_key) FROM credit_audit.audit() a
              WHERE a.grant_date >= DATE '2017-01-01' + 365 * g.n)
  FROM generate_series(1, 3) g(n);
SELECT g.n, (SELECT count(a.source_key) FROM credit_audit.audit() a
              WHERE a.grant_date >= DATE '2017-01-01' + 365 * g.n)
  FROM generate_series(1, 3) g(n);
EXPLAIN (COSTS OFF)
SELECT b, (SELECT count(*) FROM credit_audit.audit(b)) FROM (VALUES ('fact'), ('listing'), (NULL)) v(b);
SELECT b, (SELECT count(*) FROM credit_audit.audit(b)) FROM (VALUES ('fact'), ('listing'), (NULL)) v(b);

-- in parallel: the participants share each guarded table's blocks (the workers and the leader,
-- or the leader alone when no worker starts); the same rows, and aggregates split across them
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT * FROM credit_audit.audit('fact');
EXPLAIN (COSTS OFF) SELECT kind, count(*), sum(amount) FROM credit_audit.audit('fact') GROUP BY kind;
SELECT count(*) AS differences FROM (
    (SELECT * FROM credit_audit.audit('fact') EXCEPT ALL SELECT * FROM ref_fact)
    UNION ALL
    (SELECT * FROM ref_fact EXCEPT ALL SELECT * FROM credit_audit.audit('fact'))) d;
SELECT kind, count(*), sum(amount) FROM credit_audit.audit('fact') GROUP BY kind ORDER BY kind;
SELECT kind, count(*), sum(amount) FROM ref_fact GROUP BY kind ORDER BY kind;
SET max_parallel_workers = 0;
SELECT count(*) AS differences FROM (
    (SELECT * FROM credit_audit.audit('listing') EXCEPT ALL SELECT * FROM ref_listing)
    UNION ALL
    (SELECT * FROM ref_listing EXCEPT ALL SELECT * FROM credit_audit.audit('listing'))) d;
RESET max_parallel_workers;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- a scrollable cursor reads it backwards too (through a Material node)
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT source_key, sanction_id, kind FROM credit_audit.audit();
FETCH LAST FROM c;
FETCH BACKWARD 1 FROM c;
FETCH FIRST FROM c;
MOVE FORWARD ALL IN c;
FETCH BACKWARD 1 FROM c;
COMMIT;
-- a plain cursor streams: its first rows come before the last is produced
BEGIN;
DECLARE c CURSOR FOR SELECT source_key, kind FROM credit_audit.audit() WHERE kind = 'retroactive';
FETCH 1 FROM c;
FETCH 1 FROM c;
CLOSE c;
COMMIT;

-- where the function is called as usual: the row as a value, ORDINALITY, LATERAL, ROWS FROM
EXPLAIN (COSTS OFF) SELECT a FROM credit_audit.audit() a;
SELECT count(a) = :nref AS same FROM credit_audit.audit() a;
EXPLAIN (COSTS OFF) SELECT * FROM credit_audit.audit() WITH ORDINALITY o;
SELECT max(ordinality) = :nref AS same FROM credit_audit.audit() WITH ORDINALITY o;
EXPLAIN (COSTS OFF)
SELECT v.b, count(*) FROM (VALUES ('fact'), ('listing')) v(b), LATERAL credit_audit.audit(v.b) a GROUP BY v.b;
SELECT v.b, count(*) FROM (VALUES ('fact'), ('listing')) v(b), LATERAL credit_audit.audit(v.b) a
 GROUP BY v.b ORDER BY v.b;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ROWS FROM (credit_audit.audit('fact'), generate_series(1, 2)) r;
-- UPDATE ... FROM keeps a copy of each audit() row for rechecks: the function scan
SELECT pg_temp.uses_scan($q$
UPDATE credit_audit.finding f SET note = 'seen' FROM credit_audit.audit() a
 WHERE f.source_key = a.source_key AND f.sanction_id = a.sanction_id AND f.kind = a.kind$q$) AS update_uses_scan,
       pg_temp.uses_scan($q$
SELECT f.id FROM credit_audit.finding f JOIN credit_audit.audit() a
    ON f.source_key = a.source_key AND f.sanction_id = a.sanction_id AND f.kind = a.kind$q$) AS join_uses_scan;

-- privileges: the scan checks what calling the function checks
CREATE ROLE regress_audit_scan_reader;
GRANT USAGE ON SCHEMA credit_audit TO regress_audit_scan_reader;
GRANT SELECT ON credit_audit.guarded_table, credit_audit.sanction, credit_audit.subsidy,
      hrss.employment_subsidy, commerce.trade_grant TO regress_audit_scan_reader;
GRANT USAGE ON SCHEMA hrss, commerce TO regress_audit_scan_reader;
SET ROLE regress_audit_scan_reader;
SELECT count(*) = :nref AS reader_sees_all FROM credit_audit.audit();
RESET ROLE;
-- row-level security: the sweep reads every row and cannot apply a policy, so it refuses a
-- role that a policy restricts (42501), whichever way audit() runs; roles it does not restrict
-- (here the superuser) audit as before
ALTER TABLE commerce.trade_grant ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_2019 ON commerce.trade_grant FOR SELECT USING (batch LIKE '2019%');
SET ROLE regress_audit_scan_reader;
SELECT count(*) AS rows_the_policy_shows FROM commerce.trade_grant;
SELECT count(*) FROM credit_audit.audit();
SET credit_audit.enable_audit_scan = off;
SELECT count(*) FROM credit_audit.audit();
RESET credit_audit.enable_audit_scan;
RESET ROLE;
SELECT count(*) = :nref AS superuser_sees_all FROM credit_audit.audit();
DROP POLICY only_2019 ON commerce.trade_grant;
ALTER TABLE commerce.trade_grant DISABLE ROW LEVEL SECURITY;
REVOKE SELECT ON commerce.trade_grant FROM regress_audit_scan_reader;
SET ROLE regress_audit_scan_reader;
SELECT count(*) FROM credit_audit.audit();   -- 42501 on the guarded table
RESET ROLE;
REVOKE EXECUTE ON FUNCTION credit_audit.audit(text) FROM PUBLIC;
SET ROLE regress_audit_scan_reader;
SELECT count(*) FROM credit_audit.audit();   -- 42501 on the function
SET credit_audit.enable_audit_scan = off;
SELECT count(*) FROM credit_audit.audit();   -- the same error as a function call
RESET credit_audit.enable_audit_scan;
RESET ROLE;
GRANT EXECUTE ON FUNCTION credit_audit.audit(text) TO PUBLIC;

-- SECURITY DEFINER or SET options: fmgr's wrapper must run, so the function is called; a
-- cached plan is made again when the function changes
PREPARE counted AS SELECT count(*) FROM credit_audit.audit();
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE counted;
ALTER FUNCTION credit_audit.audit(text) SET work_mem = '4MB';
EXPLAIN (COSTS OFF) SELECT count(*) FROM credit_audit.audit();
EXPLAIN (COSTS OFF) EXECUTE counted;
ALTER FUNCTION credit_audit.audit(text) RESET work_mem;
EXPLAIN (COSTS OFF) SELECT count(*) FROM credit_audit.audit();
EXPLAIN (COSTS OFF) EXECUTE counted;
EXECUTE counted;
RESET plan_cache_mode;
DEALLOCATE counted;

-- the row estimate is the number of findings once counted
ANALYZE credit_audit.finding;
CREATE FUNCTION pg_temp.plan_rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
    RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SELECT (SELECT count(*) FROM credit_audit.finding) AS findings,
       pg_temp.plan_rows('SELECT * FROM credit_audit.audit()') AS estimated_rows;

DROP OWNED BY regress_audit_scan_reader;
DROP ROLE regress_audit_scan_reader;
