#!/usr/bin/env bash
# test/bench/uscc.sh [ROWS] — the uscc type against the plain-SQL way of keeping a USCC: a text
# column (C collation) whose CHECK validates the code with a SQL function.  Same codes, one run,
# one throw-away cluster.  Prints sizes and timings of both and their ratios (text / uscc).
# Not a test.  ROWS defaults to 1000000.
source "$(dirname "$0")/../lib.sh"
rows=${1:-1000000}
ca_ensure_packages
ca_build
sandbox=$(mktemp -d /tmp/credit_audit-bench-uscc.XXXXXX)
trap 'ca_sandbox_destroy "$sandbox"' EXIT
ca_sandbox_start "$sandbox"
ca_log "uscc benchmark, $rows rows"

"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -v rows="$rows" <<'SQL'
CREATE EXTENSION credit_audit;
SET search_path = credit_audit, public;
SET max_parallel_workers_per_gather = 0;  -- 2 shared cores: compare single-process work
SET work_mem = '256MB';

-- the plain-SQL validation a user would write without the type (canonical input only)
CREATE FUNCTION sql_uscc_ok(c text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT c ~ '^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$'
     AND substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
                (31 - (SELECT sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, i, 1)) - 1)
                                  * (power(3, i - 1)::bigint % 31))
                         FROM generate_series(1, 17) i)::int % 31) % 31 + 1, 1)
         = substr(c, 18, 1)
$$;

-- source codes: district-like (shared 8-character prefix), shuffled
CREATE UNLOGGED TABLE src AS
  SELECT b || uscc_check_char(b) AS code
    FROM (SELECT '91330108' || lpad((g::bigint * 7919 % 1000000000)::text, 9, '0') AS b
            FROM generate_series(1, :rows) g) s;
CREATE UNLOGGED TABLE probe_text AS SELECT code FROM src ORDER BY md5(code) LIMIT 100000;
CREATE UNLOGGED TABLE probe_uscc AS SELECT code::uscc AS code FROM probe_text;
VACUUM ANALYZE src; VACUUM ANALYZE probe_text; VACUUM ANALYZE probe_uscc;

CREATE TABLE t_text (code text COLLATE "C" NOT NULL CHECK (sql_uscc_ok(code)));
CREATE TABLE t_uscc (code uscc NOT NULL);

CREATE TEMP TABLE result (step int, what text, text_ms numeric, uscc_ms numeric);
CREATE FUNCTION timed(step int, what text, q_text text, q_uscc text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; a numeric; b numeric;
BEGIN
    t0 := clock_timestamp(); EXECUTE q_text; a := extract(epoch FROM clock_timestamp() - t0) * 1000;
    t0 := clock_timestamp(); EXECUTE q_uscc; b := extract(epoch FROM clock_timestamp() - t0) * 1000;
    INSERT INTO result VALUES (step, what, round(a), round(b));
END $$;

\o /dev/null
SELECT timed(1, 'load (validate + insert)',
  'INSERT INTO t_text SELECT code FROM src', 'INSERT INTO t_uscc SELECT code FROM src');
VACUUM ANALYZE t_text; VACUUM ANALYZE t_uscc;
SELECT timed(2, 'btree index build',
  'CREATE INDEX t_text_idx ON t_text (code)', 'CREATE INDEX t_uscc_idx ON t_uscc (code)');
SELECT timed(3, 'sort all (ORDER BY, no index)',
  'SELECT count(*) FROM (SELECT code FROM t_text ORDER BY code OFFSET 0) x',
  'SELECT count(*) FROM (SELECT code FROM t_uscc ORDER BY code OFFSET 0) x');
SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off;
SELECT timed(4, 'hash join with itself',
  'SELECT count(*) FROM t_text a JOIN t_text b USING (code)',
  'SELECT count(*) FROM t_uscc a JOIN t_uscc b USING (code)');
SELECT timed(5, 'GROUP BY (hash)',
  'SELECT count(*) FROM (SELECT code FROM t_text GROUP BY code) x',
  'SELECT count(*) FROM (SELECT code FROM t_uscc GROUP BY code) x');
RESET enable_indexscan; RESET enable_indexonlyscan; RESET enable_bitmapscan;
SET enable_hashjoin = off; SET enable_mergejoin = off;
SELECT timed(6, '100k index lookups (nested loop)',
  'SELECT count(*) FROM probe_text s JOIN t_text t ON t.code = s.code',
  'SELECT count(*) FROM probe_uscc s JOIN t_uscc t ON t.code = s.code');
\o

\pset footer off
SELECT what, text_ms, uscc_ms, round(text_ms / nullif(uscc_ms, 0), 2) AS "text/uscc"
  FROM result ORDER BY step;
SELECT 'heap' AS relation, pg_size_pretty(pg_relation_size('t_text')) AS text,
       pg_size_pretty(pg_relation_size('t_uscc')) AS uscc,
       round(pg_relation_size('t_text')::numeric / pg_relation_size('t_uscc'), 2) AS "text/uscc"
UNION ALL
SELECT 'btree index', pg_size_pretty(pg_relation_size('t_text_idx')),
       pg_size_pretty(pg_relation_size('t_uscc_idx')),
       round(pg_relation_size('t_text_idx')::numeric / pg_relation_size('t_uscc_idx'), 2);
SQL
