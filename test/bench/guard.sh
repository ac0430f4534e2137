#!/usr/bin/env bash
# test/bench/guard.sh — cost of the eligibility trigger (src/guard.c) per inserted grant.
#
# One run, one throw-away cluster, the same data for every variant:
#   1. ROWS-row INSERT ... SELECT (default 1,000,000; every row passes) into the same table shape
#      with (a) no trigger, (b) only a foreign key to credit_audit.enterprise, (c) a PL/pgSQL
#      trigger doing the same checks in plain SQL (KEY SHARE lock, blocking listings, score
#      formula), (d) credit_audit.guard() in block mode.  Each variant REPEAT times (default 3),
#      the best time counts.  Prints overheads over (a) and the ratios the issue asks for:
#      guard overhead / FK overhead (target <= 1) and guard overhead / PL/pgSQL overhead
#      (target <= 0.25).
#      Then the same with one row per enterprise (~20,000 rows, no enterprise twice): the guard
#      reuses an enterprise's record within a statement, so this is its worst case.
#   2. pgbench, single-row INSERTs, CLIENTS clients (default 2) for PGBENCH_SECONDS (default 20):
#      no trigger vs guarded (target >= 0.8x); the foreign-key variant for comparison.  In
#      PGBENCH_ROUNDS rounds (default 3), the variants interleaved, the order rotating, a
#      CHECKPOINT before each run; the median of the rounds' ratios is reported.
#      BULK=0 skips part 1 (the data is built all the same).  KEEP=1 leaves the cluster running
#      at the end (for perf); the last line says how to stop it.
# Data: test/data/generate.sql at SCALE (default district: 20,000 enterprises, 5,000 sanctions,
# 20,000 credit events).  Grants: enterprise/date pairs that are eligible and reveal no finding.
#
#   bash test/bench/guard.sh                 # full size
#   ROWS=100000 REPEAT=1 PGBENCH_SECONDS=5 bash test/bench/guard.sh   # quick
source "$(dirname "$0")/../lib.sh"
ROWS=${ROWS:-1000000}
REPEAT=${REPEAT:-3}
SCALE=${SCALE:-district}
CLIENTS=${CLIENTS:-2}
DURATION=${PGBENCH_SECONDS:-20}
ROUNDS=${PGBENCH_ROUNDS:-3}
BULK=${BULK:-1}

ca_ensure_packages
ca_build
sandbox=/tmp/credit_audit-bench-guard
ca_sandbox_destroy "$sandbox" 2>/dev/null || true
ca_sandbox_start "$sandbox"
if [ "${KEEP:-0}" = 1 ]; then
	trap 'echo "cluster left running: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER; stop it with:" \
		"bash -c \"source test/lib.sh; ca_ensure_packages; ca_sandbox_destroy $sandbox\"" >&2' EXIT
else
	trap 'ca_sandbox_destroy "$sandbox"' EXIT
fi
cd "$CA_ROOT"

ca_log "generating data (scale $SCALE)"
ca_psql -v scale="$SCALE" -v grants=0 -c 'CREATE EXTENSION credit_audit' -f test/data/generate.sql >/dev/null

ca_log "building $ROWS passing grants"
ca_psql -v rows="$ROWS" <<'SQL'
SET search_path = credit_audit, public, pg_catalog;
CREATE SCHEMA bench;
-- candidate (enterprise, program, date) triples, deterministic; keep those that are eligible and
-- reveal no finding (no non-revoked listing with fact_date <= d < removed_on), then the first rows
CREATE TABLE bench.ent AS
SELECT row_number() OVER (ORDER BY uscc) - 1 AS n, uscc FROM credit_audit.enterprise;
CREATE TABLE bench.prog AS
SELECT row_number() OVER (ORDER BY code) - 1 AS n, code FROM credit_audit.program;
CREATE TABLE bench.cand AS
SELECT g AS id, e.uscc, p.code AS program,
       DATE '2016-01-01' + (g * 37 % 3650)::integer AS paid_on,
       (1000 + g % 9000)::numeric(12,2) AS amount
  FROM generate_series(1, (:rows * 1.3)::bigint) g
  JOIN bench.ent e ON e.n = g * 7919 % (SELECT count(*) FROM bench.ent)
  JOIN bench.prog p ON p.n = g % (SELECT count(*) FROM bench.prog);
CREATE TABLE bench.src AS
SELECT row_number() OVER (ORDER BY c.id) AS id, c.uscc, c.program, c.paid_on, c.amount
  FROM bench.cand c
 WHERE credit_audit.is_eligible(c.uscc, c.program, c.paid_on)
   AND NOT EXISTS (SELECT 1 FROM credit_audit.sanction s
                    WHERE s.uscc = c.uscc AND s.removal_reason IS DISTINCT FROM 'revoked'
                      AND s.fact_date <= c.paid_on
                      AND (s.removed_on IS NULL OR c.paid_on < s.removed_on))
 ORDER BY c.id LIMIT :rows;
ALTER TABLE bench.src ADD PRIMARY KEY (id);
-- the worst case for the guard's per-statement record reuse: every row another enterprise
CREATE TABLE bench.src_distinct AS
SELECT DISTINCT ON (uscc) * FROM bench.src ORDER BY uscc, id;
DROP TABLE bench.cand;
ANALYZE bench.src;
SELECT count(*) AS rows, count(DISTINCT uscc) AS enterprises,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM credit_audit.sanction s WHERE s.uscc = src.uscc))
         AS rows_of_enterprises_with_sanctions
  FROM bench.src;

-- the four tables
CREATE TABLE bench.t_plain (id bigint PRIMARY KEY, uscc credit_audit.uscc NOT NULL,
    program text NOT NULL, paid_on date NOT NULL, amount numeric(12,2) NOT NULL);
CREATE TABLE bench.t_fk (LIKE bench.t_plain INCLUDING ALL,
    FOREIGN KEY (uscc) REFERENCES credit_audit.enterprise);
CREATE TABLE bench.t_plpgsql (LIKE bench.t_plain INCLUDING ALL);
CREATE TABLE bench.t_guard (LIKE bench.t_plain INCLUDING ALL);

-- (c) the same checks in plain SQL
CREATE FUNCTION bench.plpgsql_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = credit_audit, pg_catalog AS $$
DECLARE
    p credit_audit.program;
    sc numeric;
BEGIN
    SELECT * INTO p FROM credit_audit.program WHERE code = NEW.program;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'program "%" does not exist', NEW.program USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM credit_audit.enterprise WHERE uscc = NEW.uscc FOR KEY SHARE;
    IF NOT FOUND THEN
        INSERT INTO credit_audit.enterprise (uscc, name) VALUES (NEW.uscc, '') ON CONFLICT DO NOTHING;
    END IF;
    IF EXISTS (SELECT 1 FROM credit_audit.sanction s
                WHERE s.uscc = NEW.uscc AND s.removal_reason IS DISTINCT FROM 'revoked'
                  AND s.severity >= p.blocking_severity AND s.listed_on <= NEW.paid_on
                  AND (s.removed_on IS NULL OR NEW.paid_on < s.removed_on)) THEN
        RAISE EXCEPTION 'not eligible' USING ERRCODE = 'check_violation';
    END IF;
    SELECT 100
         + coalesce((SELECT sum(e.points) FROM credit_audit.credit_event e
                      WHERE e.uscc = NEW.uscc AND e.event_date <= NEW.paid_on
                        AND (e.valid_days IS NULL OR NEW.paid_on < e.event_date + e.valid_days)), 0)
         - coalesce((SELECT sum(CASE WHEN s.removed_on IS NULL OR NEW.paid_on < s.removed_on THEN r.points
                                     WHEN r.recovery_days = 0 THEN 0
                                     ELSE r.points * greatest(0, 1 - (NEW.paid_on - s.removed_on)::numeric
                                                                     / r.recovery_days) END)
                       FROM credit_audit.sanction s
                       CROSS JOIN LATERAL (SELECT sr.points, sr.recovery_days FROM credit_audit.score_rule sr
                                            WHERE sr.severity = s.severity AND sr.category IN (s.category, '*')
                                            ORDER BY sr.category = '*' LIMIT 1) r
                      WHERE s.uscc = NEW.uscc AND s.removal_reason IS DISTINCT FROM 'revoked'
                        AND s.listed_on <= NEW.paid_on), 0)
      INTO sc;
    IF round(least(100, greatest(0, sc)), 2) < p.min_score THEN
        RAISE EXCEPTION 'not eligible' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER plpgsql_guard BEFORE INSERT OR UPDATE ON bench.t_plpgsql
    FOR EACH ROW EXECUTE FUNCTION bench.plpgsql_guard();
-- (d) ours
SELECT credit_audit.guard('bench.t_guard', 'uscc', 'paid_on', 'amount', program_column => 'program');
CHECKPOINT;
SQL

if [ "$BULK" != 0 ]; then
ca_log "INSERT ... SELECT of $ROWS rows, best of $REPEAT"
declare -A best
for variant in plain fk plpgsql guard; do
	for ((r = 1; r <= REPEAT; r++)); do
		ms=$(ca_psql -At <<-SQL
			TRUNCATE bench.t_$variant;
			VACUUM bench.t_$variant;
			SELECT pg_catalog.clock_timestamp() AS t0 \gset
			INSERT INTO bench.t_$variant SELECT * FROM bench.src;
			SELECT round(extract(epoch FROM pg_catalog.clock_timestamp() - :'t0'::timestamptz) * 1000);
		SQL
		)
		printf '  %-8s run %d: %8d ms\n' "$variant" "$r" "$ms"
		if [ -z "${best[$variant]:-}" ] || [ "$ms" -lt "${best[$variant]}" ]; then best[$variant]=$ms; fi
	done
done
# the guarded table holds the rows: check that every row passed and nothing was written
ca_psql -At -c "SELECT 'rows in t_guard: ' || count(*) FROM bench.t_guard" \
	-c "SELECT 'findings: ' || count(*) FROM credit_audit.finding"

plain=${best[plain]}; fk=${best[fk]}; pl=${best[plpgsql]}; gd=${best[guard]}
awk -v rows="$ROWS" -v plain="$plain" -v fk="$fk" -v pl="$pl" -v gd="$gd" 'BEGIN {
	printf "\nINSERT ... SELECT, %d rows (best of runs)\n", rows;
	printf "  %-28s %8d ms\n", "(a) no trigger", plain;
	printf "  %-28s %8d ms   overhead %7d ms = %6.2f us/row\n", "(b) foreign key", fk, fk - plain, (fk - plain) * 1000 / rows;
	printf "  %-28s %8d ms   overhead %7d ms = %6.2f us/row\n", "(c) PL/pgSQL trigger", pl, pl - plain, (pl - plain) * 1000 / rows;
	printf "  %-28s %8d ms   overhead %7d ms = %6.2f us/row\n", "(d) credit_audit guard", gd, gd - plain, (gd - plain) * 1000 / rows;
	printf "  guard overhead / FK overhead       = %.2f (target <= 1)\n", (gd - plain) / (fk - plain);
	printf "  guard overhead / PL/pgSQL overhead = %.2f (target <= 0.25)\n", (gd - plain) / (pl - plain);
}'

ca_log "INSERT ... SELECT of one row per enterprise (no repeats), best of $REPEAT"
declare -A dbest
for variant in plain fk guard; do
	for ((r = 1; r <= REPEAT; r++)); do
		ms=$(ca_psql -At <<-SQL
			TRUNCATE bench.t_$variant;
			VACUUM bench.t_$variant;
			SELECT pg_catalog.clock_timestamp() AS t0 \gset
			INSERT INTO bench.t_$variant SELECT * FROM bench.src_distinct;
			SELECT round(extract(epoch FROM pg_catalog.clock_timestamp() - :'t0'::timestamptz) * 1000);
		SQL
		)
		printf '  %-8s run %d: %8d ms\n' "$variant" "$r" "$ms"
		if [ -z "${dbest[$variant]:-}" ] || [ "$ms" -lt "${dbest[$variant]}" ]; then dbest[$variant]=$ms; fi
	done
done
drows=$(ca_psql -At -c "SELECT count(*) FROM bench.src_distinct")
awk -v rows="$drows" -v plain="${dbest[plain]}" -v fk="${dbest[fk]}" -v gd="${dbest[guard]}" 'BEGIN {
	printf "\nINSERT ... SELECT, %d rows, each another enterprise (best of runs)\n", rows;
	printf "  %-28s %8d ms\n", "(a) no trigger", plain;
	printf "  %-28s %8d ms   overhead %7d ms = %6.2f us/row\n", "(b) foreign key", fk, fk - plain, (fk - plain) * 1000 / rows;
	printf "  %-28s %8d ms   overhead %7d ms = %6.2f us/row\n", "(d) credit_audit guard", gd, gd - plain, (gd - plain) * 1000 / rows;
	printf "  guard overhead / FK overhead       = %.2f (no target: for comparison)\n", (gd - plain) / (fk - plain);
}'

fi

ca_log "pgbench: single-row INSERTs, $CLIENTS clients, ${DURATION}s each, $ROUNDS rounds"
declare -A tps cpu
# CPU time (clock ticks) of the whole server: the postmaster's reaped children (backends that
# have exited) plus every live process.  Per transaction it is steadier than tps on a shared
# machine: time other processes take from us is not counted.
server_ticks() {
	local pm t=0 p f
	pm=$(head -1 "$sandbox/data/postmaster.pid")
	f=($(sed 's/^.*) //' /proc/$pm/stat)); t=$((f[11] + f[12] + f[13] + f[14]))
	for p in $(pgrep -P "$pm"); do
		f=($(sed 's/^.*) //' /proc/$p/stat 2>/dev/null)) || continue
		[ ${#f[@]} -gt 12 ] && t=$((t + f[11] + f[12]))
	done
	echo $t
}
# Rounds, each running every variant once, in an order that rotates from round to round, each
# run after a CHECKPOINT: drift on a shared machine (load, checkpoints, autovacuum) then falls on
# every variant alike.  The ratio of each round is guarded / no trigger of that round; the median
# of the rounds is reported.
variants=(plain fk guard)
for variant in "${variants[@]}"; do
	# ids from a sequence so rows never collide
	ca_psql -c "CREATE SEQUENCE IF NOT EXISTS bench.s_$variant" >/dev/null
	cat >"$sandbox/ins_$variant.sql" <<-EOF
		\set i random(1, $ROWS)
		INSERT INTO bench.t_$variant SELECT nextval('bench.s_$variant'), uscc, program, paid_on, amount FROM bench.src WHERE id = :i;
	EOF
done
: >"$sandbox/rounds"
for ((round = 1; round <= ROUNDS; round++)); do
	for ((k = 0; k < ${#variants[@]}; k++)); do
		variant=${variants[$(((k + round - 1) % ${#variants[@]}))]}
		ca_psql -c "TRUNCATE bench.t_$variant" -c "VACUUM bench.t_$variant" -c "CHECKPOINT" >/dev/null
		t0=$(server_ticks)
		out=$("$PG_BINDIR/pgbench" -n -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -f "$sandbox/ins_$variant.sql" 2>&1)
		sleep 1	# let the postmaster reap the exited backends
		t1=$(server_ticks)
		tps[$variant]=$(printf '%s\n' "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
		n=$(printf '%s\n' "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
		cpu[$variant]=$(awk -v d=$((t1 - t0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
		printf '  round %d %-6s tps = %9.1f   server CPU %6.1f us/transaction (%s transactions; load %s)\n' \
			"$round" "$variant" "${tps[$variant]}" "${cpu[$variant]}" "$n" "$(cut -d' ' -f1 /proc/loadavg)"
	done
	echo "${tps[plain]} ${tps[fk]} ${tps[guard]} ${cpu[plain]} ${cpu[fk]} ${cpu[guard]}" >>"$sandbox/rounds"
done
awk '
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ n++; g[n] = $3 / $1; f[n] = $2 / $1; gf[n] = $3 / $2; c[n] = $6 - $4; cf[n] = $5 - $4
	  list = list sprintf("%s%.2f", n > 1 ? ", " : "", $3 / $1) }
	END {
		printf "  per round, guarded / no trigger: %s\n", list
		printf "  server CPU per transaction over no trigger (median): foreign key %+.1f us, guard %+.1f us\n", median(cf, n), median(c, n)
		printf "  foreign key / no trigger = %.2f (median of %d rounds, for comparison)\n", median(f, n), n
		printf "  guarded / foreign key = %.2f (median)\n", median(gf, n)
		printf "  guarded / no trigger = %.2f (median of %d rounds; target >= 0.8)\n", median(g, n), n
	}' "$sandbox/rounds"
