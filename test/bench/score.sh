#!/usr/bin/env bash
# test/bench/score.sh — benchmark of the credit score (not a CI test).
#
#   1. credit_scores(d) against the best plain-SQL formulation of the same formula (hash
#      aggregates per uscc, rule resolution by LEFT JOINs, clamp), on the same generated data in
#      the same run; both must give identical results (mismatches = 0).  The SQL is timed with the
#      planner's choice (a parallel plan, usually) and serially; the faster counts.
#   2. The cost of one credit_score(u, d) call: CALLS calls in one query, against the same
#      formula as a plain SQL function, minus the cost of the query without the call.
# Each query runs RUNS times, the candidates interleaved (the machine may be shared: they then
# see the same load), each run in a new session; the best wall-clock time counts, and the
# backend's CPU time (log_executor_stats) is reported for the serial queries.
#
#   bash test/bench/score.sh                      # 1M enterprises, 2M sanctions, 2M events
#   ENTERPRISES=100000 SANCTIONS=200000 EVENTS=200000 bash test/bench/score.sh
#
# Environment: ENTERPRISES, SANCTIONS, EVENTS (data size), AS_OF (default 2026-06-30),
# RUNS (timed runs of each query, the best counts; default 3), CALLS (default 100000),
# SANDBOX (default /tmp/credit_audit-bench-score), KEEP=1 (keep the cluster and its data; a later run with the
# same sizes reuses the data).
source "$(dirname "$0")/../lib.sh"

ENTERPRISES=${ENTERPRISES:-1000000}
SANCTIONS=${SANCTIONS:-2000000}
EVENTS=${EVENTS:-2000000}
AS_OF=${AS_OF:-2026-06-30}
RUNS=${RUNS:-3}
CALLS=${CALLS:-100000}

ca_ensure_packages
ca_build
sandbox=${SANDBOX:-/tmp/credit_audit-bench-score}
if [ "${KEEP:-0}" != 1 ]; then
	trap 'ca_sandbox_destroy "$sandbox"' EXIT
fi
ca_sandbox_start "$sandbox"
cd "$CA_ROOT"
export PGOPTIONS="-c search_path=credit_audit,public"	# the uscc operators live in credit_audit

sizes="$ENTERPRISES/$SANCTIONS/$EVENTS"
loaded=$(ca_psql -Atc "SELECT obj_description('credit_audit.enterprise'::regclass, 'pg_class') LIKE '%bench ' || '$sizes'" 2>/dev/null || true)
if [ "$loaded" != t ]; then
	ca_log "generating $ENTERPRISES enterprises, $SANCTIONS sanctions, $EVENTS events"
	ca_psql -c "DROP EXTENSION IF EXISTS credit_audit CASCADE" -c "CREATE EXTENSION credit_audit"
	ca_psql -v enterprises="$ENTERPRISES" -v sanctions="$SANCTIONS" -v events="$EVENTS" -v grants=0 \
		-v progress=1 -f test/data/generate.sql
	ca_log "VACUUM ANALYZE"
	ca_psql -c "VACUUM ANALYZE credit_audit.enterprise, credit_audit.sanction, credit_audit.credit_event"
	ca_psql -c "COMMENT ON TABLE credit_audit.enterprise IS 'enterprises, keyed by Unified Social Credit Code; bench $sizes'"
else
	ca_log "reusing the data in $sandbox ($sizes)"
fi

# The plain-SQL formulation of DESIGN.md's formula for every enterprise on day :'t', listing
# basis.  Rows that cannot contribute are filtered before aggregation (listed after t, revoked;
# events not in force); each sanction's rule is its category's if any, else '*' (two LEFT JOINs
# on the small score_rule); per-uscc sums by hash aggregation; one row per enterprise by LEFT
# JOINs; the same double-precision arithmetic and final rounding as the C code.
cat >/tmp/ca_bench_score_sql.$$ <<'EOF'
WITH sp AS (
    SELECT s.uscc,
           sum(CASE WHEN s.removed_on IS NULL OR DATE :'t' < s.removed_on THEN -r.p
                    WHEN r.rd = 0 THEN 0
                    ELSE -r.p * greatest(0, 1 - (DATE :'t' - s.removed_on)::float8 / r.rd) END) AS pts
      FROM credit_audit.sanction AS s
      LEFT JOIN credit_audit.score_rule AS rc ON rc.category = s.category AND rc.severity = s.severity
      LEFT JOIN credit_audit.score_rule AS rs ON rs.category = '*' AND rs.severity = s.severity
      CROSS JOIN LATERAL (SELECT coalesce(rc.points, rs.points)::float8 AS p,
                                 coalesce(rc.recovery_days, rs.recovery_days) AS rd) AS r
     WHERE s.listed_on <= DATE :'t'
       AND s.removal_reason IS DISTINCT FROM 'revoked'
     GROUP BY s.uscc),
ep AS (
    SELECT e.uscc, sum(e.points::float8) AS pts
      FROM credit_audit.credit_event AS e
     WHERE e.event_date <= DATE :'t' AND (e.valid_days IS NULL OR DATE :'t' < e.event_date + e.valid_days)
     GROUP BY e.uscc)
SELECT en.uscc,
       round(least(100, greatest(0, 100 + coalesce(sp.pts, 0) + coalesce(ep.pts, 0)))::numeric, 2) AS score
  FROM credit_audit.enterprise AS en
  LEFT JOIN sp ON sp.uscc = en.uscc
  LEFT JOIN ep ON ep.uscc = en.uscc
EOF
plain_sql=$(cat /tmp/ca_bench_score_sql.$$)
rm -f /tmp/ca_bench_score_sql.$$

# run_once SETTINGS QUERY: one run of QUERY in a new session after SETTINGS; prints
# "wall_ms cpu_ms" (cpu: the backend's user + system time from log_executor_stats; a parallel
# worker's CPU is not in it).
run_once() {
	local settings=$1 query=$2
	ca_psql -v t="$AS_OF" 2>&1 <<EOF | awk '
		/^Time: / { wall = $2 }
		/s user, .* s system, .* s elapsed/ { cpu = ($2 + $5) * 1000 }
		END { printf "%.1f %.1f\n", wall, cpu }'
$settings
SET log_executor_stats = on;
SET client_min_messages = log;
\timing on
$query;
EOF
}

# best WHICH FILE: the least wall (WHICH=1) or CPU (WHICH=2) time in FILE.
best() { awk -v f="$1" '{ print $f }' "$2" | sort -g | head -1; }

ca_log "data"
ca_psql -c "SELECT (SELECT count(*) FROM credit_audit.enterprise) AS enterprises,
                   (SELECT count(*) FROM credit_audit.sanction) AS sanctions,
                   (SELECT count(*) FROM credit_audit.credit_event) AS events,
                   pg_size_pretty(pg_total_relation_size('credit_audit.sanction')
                                  + pg_total_relation_size('credit_audit.credit_event')
                                  + pg_total_relation_size('credit_audit.enterprise')) AS size,
                   current_setting('work_mem') AS work_mem,
                   current_setting('shared_buffers') AS shared_buffers,
                   current_setting('max_parallel_workers_per_gather') AS parallel_workers"

ca_log "verifying: credit_scores('$AS_OF') vs plain SQL"
ca_psql -v t="$AS_OF" <<EOF
SELECT count(*) AS rows,
       count(*) FILTER (WHERE c.score IS DISTINCT FROM q.score) AS mismatches,
       count(*) FILTER (WHERE c.score < 100) AS below_100,
       round(avg(c.score), 4) AS avg_score
  FROM credit_audit.credit_scores(:'t') AS c
  FULL JOIN ($plain_sql) AS q USING (uscc);
EOF

ca_log "timing credit_scores vs plain SQL ($RUNS rounds, interleaved; the best counts)"
tmp=$(mktemp -d /tmp/ca_bench_score.XXXXXX)
for ((i = 0; i < RUNS; i++)); do
	run_once "" "SELECT count(*), sum(score) FROM credit_audit.credit_scores(:'t')" >>"$tmp/c"
	run_once "" "SELECT count(*), sum(score) FROM ($plain_sql) AS q" >>"$tmp/sp"
	run_once "SET max_parallel_workers_per_gather = 0;" "SELECT count(*), sum(score) FROM ($plain_sql) AS q" >>"$tmp/ss"
done
t_c=$(best 1 "$tmp/c"); c_c=$(best 2 "$tmp/c")
t_sp=$(best 1 "$tmp/sp")
t_ss=$(best 1 "$tmp/ss"); c_ss=$(best 2 "$tmp/ss")
t_s=$(printf '%s\n%s\n' "$t_sp" "$t_ss" | sort -g | head -1)
ca_log "all runs (wall ms, backend cpu ms): credit_scores: $(tr '\n' ';' <"$tmp/c") SQL: $(tr '\n' ';' <"$tmp/sp") SQL serial: $(tr '\n' ';' <"$tmp/ss")"

ca_log "timing $CALLS single credit_score() calls"
ca_psql -c "DROP FUNCTION IF EXISTS public.bench_score_sql(credit_audit.uscc, date)" -c "
CREATE FUNCTION public.bench_score_sql(u credit_audit.uscc, t date) RETURNS numeric
LANGUAGE sql STABLE AS \$\$
SELECT round(least(100, greatest(0, 100
    + coalesce((SELECT sum(CASE WHEN s.removed_on IS NULL OR t < s.removed_on THEN -r.p
                                WHEN r.rd = 0 THEN 0
                                ELSE -r.p * greatest(0, 1 - (t - s.removed_on)::float8 / r.rd) END)
                  FROM credit_audit.sanction AS s
                  LEFT JOIN credit_audit.score_rule AS rc ON rc.category = s.category AND rc.severity = s.severity
                  LEFT JOIN credit_audit.score_rule AS rs ON rs.category = '*' AND rs.severity = s.severity
                  CROSS JOIN LATERAL (SELECT coalesce(rc.points, rs.points)::float8 AS p,
                                             coalesce(rc.recovery_days, rs.recovery_days) AS rd) AS r
                 WHERE s.uscc = u AND s.listed_on <= t AND s.removal_reason IS DISTINCT FROM 'revoked'), 0)
    + coalesce((SELECT sum(e.points::float8) FROM credit_audit.credit_event AS e
                 WHERE e.uscc = u AND e.event_date <= t
                   AND (e.valid_days IS NULL OR t < e.event_date + e.valid_days)), 0)))::numeric, 2)
\$\$"
sample="SELECT uscc FROM credit_audit.enterprise ORDER BY uscc LIMIT $CALLS"
ca_psql -v t="$AS_OF" -c "SELECT count(*) AS calls,
       count(*) FILTER (WHERE credit_audit.credit_score(uscc, DATE '$AS_OF') IS DISTINCT FROM public.bench_score_sql(uscc, DATE '$AS_OF')) AS mismatches,
       (SELECT count(*) FROM credit_audit.sanction s WHERE s.uscc IN ($sample)) AS their_sanctions,
       (SELECT count(*) FROM credit_audit.credit_event e WHERE e.uscc IN ($sample)) AS their_events
  FROM ($sample) AS e"
for ((i = 0; i < RUNS; i++)); do
	run_once "" "SELECT count(uscc) FROM ($sample) AS e" >>"$tmp/base"
	run_once "" "SELECT sum(credit_audit.credit_score(uscc, :'t')) FROM ($sample) AS e" >>"$tmp/one"
	run_once "" "SELECT sum(public.bench_score_sql(uscc, :'t')) FROM ($sample) AS e" >>"$tmp/onesql"
done
t_base=$(best 1 "$tmp/base"); t_one=$(best 1 "$tmp/one"); t_onesql=$(best 1 "$tmp/onesql")
rm -rf "$tmp"
ca_psql -c "DROP FUNCTION public.bench_score_sql(credit_audit.uscc, date)"

awk -v e="$ENTERPRISES" -v s="$SANCTIONS" -v v="$EVENTS" -v c="$t_c" -v sp="$t_sp" -v ss="$t_ss" \
	-v best="$t_s" -v cc="$c_c" -v cs="$c_ss" -v n="$CALLS" -v b="$t_base" -v o="$t_one" -v q="$t_onesql" -v runs="$RUNS" 'BEGIN {
	printf "\n== credit score benchmark: %d enterprises, %d sanctions, %d events (best of %d interleaved runs)\n", e, s, v, runs
	printf "credit_scores(d)                   %10.1f ms\n", c
	printf "plain SQL, planner default         %10.1f ms\n", sp
	printf "plain SQL, serial                  %10.1f ms\n", ss
	printf "ratio (faster plain SQL / ours)    %10.2f x\n", best / c
	printf "CPU time: credit_scores(d)         %10.1f ms\n", cc
	printf "CPU time: plain SQL, serial        %10.1f ms\n", cs
	printf "CPU ratio (serial SQL / ours)      %10.2f x\n", cs / cc
	printf "credit_score(u, d), per call       %10.2f us   (%d calls %.1f ms, query alone %.1f ms)\n", (o - b) * 1000 / n, n, o, b
	printf "plain SQL function, per call       %10.2f us   (%d calls %.1f ms)\n", (q - b) * 1000 / n, n, q
	printf "ratio (SQL function / ours)        %10.2f x\n", (q - b) / (o - b)
}'
