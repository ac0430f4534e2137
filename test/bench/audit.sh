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
#   sql     DESIGN.md's rules as one query (hash join on uscc + date conditions), at the planner's
#           default settings (parallel query allowed) and serial (max_parallel_workers_per_gather 0)
#   audit   SELECT ... FROM credit_audit.audit('fact')
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
floor_g=$(run floor_grants "$serial" "SELECT count(*) FROM credit_audit.subsidy")
floor_s=$(run floor_sanctions "$serial" "SELECT count(*) FROM credit_audit.sanction")
agg="count(q.source_key) + count(q.kind) - count(*)"
sql_par=$(run sql "" "SELECT $agg FROM ($sql_query) q")
sql_ser=$(run sql_serial "SET max_parallel_workers_per_gather = 0;" "SELECT $agg FROM ($sql_query) q")
aud=$(run audit "" "SELECT $agg FROM credit_audit.audit('fact') q")
plan=$("${PSQL[@]}" -d "$DB" -Atc "EXPLAIN (COSTS OFF) SELECT $agg FROM ($sql_query) q")
plan_serial=$("${PSQL[@]}" -d "$DB" -At -c "$serial" -c "EXPLAIN (COSTS OFF) SELECT $agg FROM ($sql_query) q")

grants=$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM credit_audit.subsidy")
sanctions=$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM credit_audit.sanction")
enterprises=$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM credit_audit.enterprise")

printf '%s\n%s\n%s\n%s\n%s\n' "$floor_g" "$floor_s" "$sql_par" "$sql_ser" "$aud" | awk \
	-v grants="$grants" -v sanctions="$sanctions" -v enterprises="$enterprises" '
	{ ms[$1] = $2; rows[$1] = $3; rss[$1] = $4; hwm[$1] = $5; cpu[$1] = $6 }
	END {
		floor = ms["floor_grants"] + ms["floor_sanctions"]
		floorcpu = cpu["floor_grants"] + cpu["floor_sanctions"]
		printf "data: %d grants, %d sanctions, %d enterprises; %d findings\n", grants, sanctions, enterprises, rows["audit"]
		printf "%-28s %9s %9s %9s %13s %12s\n", "query", "wall ms", "cpu ms", "rows", "peak RssAnon", "VmHWM"
		printf "%-28s %9d %9d %9s %13s %12s\n", "floor (count both, serial)", floor, floorcpu, "-", rss["floor_grants"] " kB", hwm["floor_grants"] " kB"
		printf "%-28s %9d %9s %9d %13s %12s\n", "plain SQL (parallel ok)", ms["sql"], cpu["sql"] "+wk", rows["sql"], rss["sql"] " kB", hwm["sql"] " kB"
		printf "%-28s %9d %9d %9d %13s %12s\n", "plain SQL (serial)", ms["sql_serial"], cpu["sql_serial"], rows["sql_serial"], rss["sql_serial"] " kB", hwm["sql_serial"] " kB"
		printf "%-28s %9d %9d %9d %13s %12s\n", "audit()", ms["audit"], cpu["audit"], rows["audit"], rss["audit"] " kB", hwm["audit"] " kB"
		printf "wall ratios: sql/audit = %.2fx (parallel ok), %.2fx (serial); audit/floor = %.2fx\n",
			ms["sql"] / ms["audit"], ms["sql_serial"] / ms["audit"], ms["audit"] / floor
		printf "cpu ratios:  sql/audit = %.2fx (serial); audit/floor = %.2fx\n",
			cpu["sql_serial"] / cpu["audit"], cpu["audit"] / floorcpu
		printf "(wall ms and cpu ms are each the best of the runs; +wk: parallel workers not counted)\n"
		if (rows["sql"] != rows["audit"] || rows["sql_serial"] != rows["audit"]) {
			print "ROW COUNTS DIFFER" > "/dev/stderr"; exit 1
		}
	}'
echo "plain SQL plan (parallel ok):"
echo "$plan" | sed 's/^/  /'
echo "plain SQL plan (serial):"
echo "$plan_serial" | sed 's/^/  /'
