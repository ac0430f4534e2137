#!/usr/bin/env bash
# test/bench/audit.sh — audit() against the best plain-SQL query for the same rows, in one run.
#
#   bash test/bench/audit.sh                 # 3M grants x 300k sanctions over 150k enterprises
#   GRANTS=300000 SANCTIONS=30000 ENTERPRISES=15000 bash test/bench/audit.sh   # quick
#   RUNS=5 bash test/bench/audit.sh           # repetitions per query (best is reported)
#
# Data: the shared generator (test/data/generate.sql), loaded with triggers off into a throw-away
# sandbox cluster.  Three measurements on the same data, each RUNS times, best time kept:
#   floor   sequential scan of both tables, serial: count(*) of subsidy + count(*) of sanction
#   sql     DESIGN.md's rules as one query, planned four ways: the planner's choice (parallel
#           allowed, and serial), and a hash join on uscc with the date conditions as join filter
#           (nested loop and merge join off; parallel allowed, and serial).  The fastest is the
#           reference.
#   audit   SELECT ... FROM credit_audit.audit('fact'): the streaming scan (src/audit_scan.c),
#           as planned (parallel allowed: a parallel scan under Gather) and serial
#   audit_fn  the same with credit_audit.enable_audit_scan = off: audit() called as a
#           set-returning function, its rows materialized in a tuplestore first
# Both sides must compute the columns that cost something to produce: the query counts
# source_key (the key as text) and kind, so the planner cannot drop them from the SQL query
# (the other columns are plain column values on both sides).  The row counts of sql and audit
# are compared and must be equal.
# Peak private memory of the backend during each query: the highest RssAnon of
# /proc/<backend pid>/status, sampled every 20 ms (shared buffers are not counted), and the
# backend's VmHWM (which does include the shared buffers it touched).
source "$(dirname "$0")/../lib.sh"
ca_ensure_packages
cd "$CA_ROOT"

GRANTS=${GRANTS:-3000000}
SANCTIONS=${SANCTIONS:-300000}
ENTERPRISES=${ENTERPRISES:-150000}
EVENTS=${EVENTS:-0}
RUNS=${RUNS:-3}
DB=bench_audit

ca_build
sandbox=${CA_BENCH_SANDBOX:-/tmp/credit_audit-bench-audit}
ca_sandbox_start "$sandbox"
PSQL=("$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1)

want="$GRANTS/$SANCTIONS/$ENTERPRISES"
have=$("${PSQL[@]}" -d "$DB" -Atc "SELECT obj_description('credit_audit.subsidy'::regclass, 'pg_class') || ''" \
	2>/dev/null | sed -n 's/.*bench:\(.*\)$/\1/p' || true)
if [ "$have" != "$want" ]; then
	ca_log "generating $GRANTS grants, $SANCTIONS sanctions, $ENTERPRISES enterprises"
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
	"${PSQL[@]}" -d "$DB" <<-EOF
		CREATE EXTENSION credit_audit;
		\set enterprises $ENTERPRISES
		\set sanctions $SANCTIONS
		\set events $EVENTS
		\set grants $GRANTS
		\set progress 1
		\i test/data/generate.sql
		VACUUM ANALYZE;
		COMMENT ON TABLE credit_audit.subsidy IS 'bench:$want';
	EOF
else
	ca_log "reusing the data set in database $DB ($want)"
fi

sql_query="
SELECT 'credit_audit.subsidy'::text AS source_table, g.id::text AS source_key, g.uscc,
       g.program, g.applied_on AS grant_date, g.amount::numeric AS amount, s.id AS sanction_id,
       CASE WHEN s.listed_on <= g.applied_on THEN 'paid_while_listed' ELSE 'retroactive' END AS kind
  FROM credit_audit.subsidy g
  JOIN credit_audit.sanction s
    ON s.uscc OPERATOR(credit_audit.=) g.uscc
   AND s.removal_reason IS DISTINCT FROM 'revoked'
   AND s.fact_date <= g.applied_on
   AND g.applied_on < coalesce(s.removed_on, 'infinity')"

# run NAME SETTINGS QUERY: best of RUNS, each in a fresh backend;
# prints "NAME wall_ms rows rss_kb hwm_kb cpu_ms" (cpu: the backend's own on-CPU time from
# /proc/<pid>/schedstat; parallel workers' time is not included)
run() {
	local name=$1 settings=$2 query=$3 best= bestcpu= rows= peak=0 hwm=0 i out ms n pid cpu
	for ((i = 0; i < RUNS; i++)); do
		out=$(mktemp)
		"${PSQL[@]}" -d "$DB" -At >"$out" <<-EOF
			$settings
			SELECT pg_backend_pid() AS pid \gset
			\setenv CA_BENCH_PID :pid
			\! (while kill -0 \$CA_BENCH_PID 2>/dev/null; do grep -E '^(RssAnon|VmHWM)' /proc/\$CA_BENCH_PID/status | tr -s ' ' | tr '\n' ' '; echo; sleep 0.02; done) > $out.mem 2>/dev/null &
			\! awk '{print \$1}' /proc/\$CA_BENCH_PID/schedstat > $out.cpu0
			SELECT clock_timestamp() AS t0 \gset
			$query;
			SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000);
			\! awk '{print \$1}' /proc/\$CA_BENCH_PID/schedstat > $out.cpu1
		EOF
		n=$(sed -n 1p "$out"); ms=$(sed -n 2p "$out")
		cpu=$(( ($(cat "$out.cpu1") - $(cat "$out.cpu0")) / 1000000 ))
		rm -f "$out.cpu0" "$out.cpu1"
		local r h
		r=$(awk '{for (i = 1; i < NF; i++) if ($i == "RssAnon:") print $(i + 1)}' "$out.mem" | sort -n | tail -1)
		h=$(awk '{for (i = 1; i < NF; i++) if ($i == "VmHWM:") print $(i + 1)}' "$out.mem" | sort -n | tail -1)
		rm -f "$out" "$out.mem"
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
		if [ -z "$bestcpu" ] || [ "$cpu" -lt "$bestcpu" ]; then bestcpu=$cpu; fi
		[ "${r:-0}" -gt "$peak" ] && peak=$r
		[ "${h:-0}" -gt "$hwm" ] && hwm=$h
		rows=$n
	done
	echo "$name $best $rows $peak $hwm $bestcpu"
}

ca_log "measuring (best of $RUNS runs each)"
serial="SET max_parallel_workers_per_gather = 0;"
hash="SET enable_nestloop = off; SET enable_mergejoin = off;"
agg="count(q.source_key) + count(q.kind) - count(*)"
floor_g=$(run floor_grants "$serial" "SELECT count(*) FROM credit_audit.subsidy")
floor_s=$(run floor_sanctions "$serial" "SELECT count(*) FROM credit_audit.sanction")
sql_par=$(run sql "" "SELECT $agg FROM ($sql_query) q")
sql_ser=$(run sql_serial "$serial" "SELECT $agg FROM ($sql_query) q")
sql_hpar=$(run sql_hash "$hash" "SELECT $agg FROM ($sql_query) q")
sql_hser=$(run sql_hash_serial "$serial $hash" "SELECT $agg FROM ($sql_query) q")
aud=$(run audit "" "SELECT $agg FROM credit_audit.audit('fact') q")
aud_ser=$(run audit_serial "$serial" "SELECT $agg FROM credit_audit.audit('fact') q")
aud_fn=$(run audit_fn "$serial SET credit_audit.enable_audit_scan = off;" "SELECT $agg FROM credit_audit.audit('fact') q")
plan_audit=$("${PSQL[@]}" -d "$DB" -Atc "EXPLAIN (COSTS OFF) SELECT $agg FROM credit_audit.audit('fact') q")
plan=$("${PSQL[@]}" -d "$DB" -Atc "EXPLAIN (COSTS OFF) SELECT $agg FROM ($sql_query) q")
plan_hash=$("${PSQL[@]}" -d "$DB" -At -c "$serial $hash" -c "EXPLAIN (COSTS OFF) SELECT $agg FROM ($sql_query) q")

grants=$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM credit_audit.subsidy")
sanctions=$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM credit_audit.sanction")
enterprises=$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM credit_audit.enterprise")

printf '%s\n' "$floor_g" "$floor_s" "$sql_par" "$sql_ser" "$sql_hpar" "$sql_hser" "$aud" "$aud_ser" "$aud_fn" | awk \
	-v grants="$grants" -v sanctions="$sanctions" -v enterprises="$enterprises" '
	{ ms[$1] = $2; rows[$1] = $3; rss[$1] = $4; hwm[$1] = $5; cpu[$1] = $6 }
	function line(label, k, wk) {
		printf "%-34s %8d %9s %9d %12s %11s\n", label, ms[k], cpu[k] (wk ? "+wk" : ""), rows[k], rss[k] " kB", hwm[k] " kB"
	}
	END {
		floor = ms["floor_grants"] + ms["floor_sanctions"]
		floorcpu = cpu["floor_grants"] + cpu["floor_sanctions"]
		printf "data: %d grants, %d sanctions, %d enterprises; %d findings\n", grants, sanctions, enterprises, rows["audit"]
		printf "%-34s %8s %9s %9s %12s %11s\n", "query", "wall ms", "cpu ms", "rows", "peak RssAnon", "VmHWM"
		printf "%-34s %8d %9d %9s %12s %11s\n", "floor: count(*) of both, serial", floor, floorcpu, "-", rss["floor_grants"] " kB", hwm["floor_grants"] " kB"
		line("SQL, as planned", "sql", 1)
		line("SQL, as planned, serial", "sql_serial", 0)
		line("SQL, hash join", "sql_hash", 1)
		line("SQL, hash join, serial", "sql_hash_serial", 0)
		line("audit(), as planned", "audit", 1)
		line("audit(), serial", "audit_serial", 0)
		line("audit() as a function, serial", "audit_fn", 0)
		best = "sql"
		for (k in ms) if (k ~ /^sql/ && ms[k] < ms[best]) best = k
		bestcpu = "sql_serial"
		if (cpu["sql_hash_serial"] < cpu[bestcpu]) bestcpu = "sql_hash_serial"
		printf "wall: fastest SQL (%s) / audit() as planned = %.2fx; audit() / floor = %.2fx\n", best, ms[best] / ms["audit"], ms["audit"] / floor
		printf "serial, one process each: SQL hash join / audit() = %.2fx wall, %.2fx cpu; cheapest serial SQL (%s) / audit() = %.2fx cpu\n", ms["sql_hash_serial"] / ms["audit_serial"], cpu["sql_hash_serial"] / cpu["audit_serial"], bestcpu, cpu[bestcpu] / cpu["audit_serial"]
		printf "audit() as a function (tuplestore), serial: SQL hash join serial / it = %.2fx wall\n", ms["sql_hash_serial"] / ms["audit_fn"]
		printf "(each figure is the best of the runs; cpu = on-CPU time of the backend, +wk: parallel workers not counted)\n"
		for (k in rows) if (k !~ /^floor/ && rows[k] != rows["audit"]) { print "ROW COUNTS DIFFER: " k > "/dev/stderr"; exit 1 }
	}'
echo "audit() plan:"
echo "$plan_audit" | sed 's/^/  /'
echo "SQL plan, planner's choice:"
echo "$plan" | sed 's/^/  /'
echo "SQL plan, hash join, serial:"
echo "$plan_hash" | sed 's/^/  /'
