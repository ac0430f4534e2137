#!/usr/bin/env bash
# test/upgrade.test.sh [SANDBOX] — every released version, updated to the current one, is the
# current version, and keeps its data.
#
# For each frozen install script src/sql/history/credit_audit--V.sql (a released version V):
#   1. database "old": CREATE EXTENSION credit_audit VERSION 'V', load the seed case
#      (test/data/seed_case.sql, triggers on: its findings are written by that version's code),
#      remember its findings, then ALTER EXTENSION credit_audit UPDATE;
#   2. database "new": CREATE EXTENSION credit_audit (the current version);
#   3. compare the two catalogs: every member object of the extension with its comment, every
#      function's full definition (pg_get_functiondef: volatility, strictness, parallel safety,
#      support function, body), privileges, every relation's columns, defaults, constraints,
#      indexes, triggers (with their enabled state), view definitions, column comments, the
#      configuration tables dump_restore relies on; and every row a fresh install ships is there;
#   4. in "old": the findings written before the update are all still there, unchanged, and the
#      current code's refresh_findings() finds nothing missing.
# Exits non-zero, showing the difference, if anything differs.
source "$(dirname "$0")/lib.sh"

ca_shell_test_sandbox "$@"
old=ca_upgrade_old_$$
new=ca_upgrade_new_$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/credit_audit-upgrade.XXXXXX")
cleanup() {
	"$bin/dropdb" --if-exists "$old" 2>/dev/null || true
	"$bin/dropdb" --if-exists "$new" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "upgrade: FAILED: $*" >&2; exit 1; }
psql_db() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
cd "$CA_ROOT"

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" credit_audit.control)
[ -n "$current" ] || fail "no default_version in credit_audit.control"

# The catalog of the extension in a database, one line per fact, sorted.
catalog() {
	psql_db "$1" -At <<-'EOF'
	WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'credit_audit'),
	members AS (
	    SELECT d.classid, d.objid, d.objsubid
	      FROM pg_depend d, ext
	     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
	rels AS (SELECT c.oid, c.relkind FROM pg_class c WHERE c.relnamespace = 'credit_audit'::regnamespace)
	SELECT line FROM (
	    SELECT 'member ' || pg_describe_object(m.classid, m.objid, m.objsubid)
	           || ' comment=' || coalesce(obj_description(m.objid, m.classid::regclass::name), '-') AS line
	      FROM members m
	    UNION ALL
	    SELECT 'function ' || p.oid::regprocedure || ' acl=' || coalesce(p.proacl::text, '-')
	           || E'\n' || CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid)
	                            ELSE 'aggregate' END
	      FROM pg_proc p WHERE p.pronamespace = 'credit_audit'::regnamespace
	    UNION ALL
	    SELECT 'relation ' || r.oid::regclass || ' kind=' || r.relkind::text
	           || ' acl=' || coalesce(c.relacl::text, '-')
	           || ' rls=' || c.relrowsecurity
	           || ' comment=' || coalesce(obj_description(r.oid, 'pg_class'), '-')
	      FROM rels r JOIN pg_class c ON c.oid = r.oid
	    UNION ALL
	    SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
	           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
	           || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
	           || coalesce(' generated ' || nullif(a.attidentity::text, ''), '')
	           || ' position=' || (SELECT count(*) FROM pg_attribute b WHERE b.attrelid = a.attrelid
	                                  AND b.attnum > 0 AND NOT b.attisdropped AND b.attnum <= a.attnum)
	           || ' acl=' || coalesce(a.attacl::text, '-')
	           || ' comment=' || coalesce(col_description(a.attrelid, a.attnum), '-')
	      FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
	      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	    UNION ALL
	    SELECT 'constraint ' || co.conrelid::regclass || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
	      FROM pg_constraint co JOIN rels r ON r.oid = co.conrelid
	    UNION ALL
	    SELECT 'constraint ' || co.contypid::regtype || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
	      FROM pg_constraint co JOIN pg_type t ON t.oid = co.contypid
	     WHERE t.typnamespace = 'credit_audit'::regnamespace
	    UNION ALL
	    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
	      FROM pg_index i JOIN rels r ON r.oid = i.indrelid
	    UNION ALL
	    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
	      FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
	    UNION ALL
	    SELECT 'view ' || r.oid::regclass || E'\n' || pg_get_viewdef(r.oid)
	      FROM rels r WHERE r.relkind IN ('v', 'm')
	    UNION ALL
	    SELECT 'policy ' || pol.polrelid::regclass || ' ' || pol.polname || ' ' || pol.polcmd::text
	           || ' ' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '-')
	      FROM pg_policy pol JOIN rels r ON r.oid = pol.polrelid
	    UNION ALL
	    SELECT 'config ' || cfg::regclass || ' ' || coalesce(cond, '-')
	      FROM pg_extension e,
	           unnest(e.extconfig, coalesce(e.extcondition, array_fill(NULL::text, ARRAY[cardinality(e.extconfig)]))) AS u(cfg, cond)
	     WHERE e.extname = 'credit_audit'
	    UNION ALL
	    SELECT 'event trigger ' || evtname || ' ' || evtevent || ' ' || evtfoid::regproc || ' enabled=' || evtenabled::text
	      FROM pg_event_trigger et
	     WHERE EXISTS (SELECT FROM pg_depend d, ext WHERE d.classid = 'pg_event_trigger'::regclass
	                     AND d.objid = et.oid AND d.refobjid = ext.oid)
	) facts
	ORDER BY line;
	EOF
}

# The rows the extension ships (in a fresh database) or holds (after the seed case).
shipped_rows() {
	psql_db "$1" -At <<-'EOF'
	-- the rows the extension ships
	SELECT 'row department ' || d::text FROM credit_audit.department d ORDER BY 1;
	SELECT 'row score_rule ' || r::text FROM credit_audit.score_rule r ORDER BY 1;
	SELECT 'row program ' || p::text FROM credit_audit.program p ORDER BY 1;
	SELECT 'row guarded_table ' || tbl::regclass || ' ' || uscc_column || ' ' || date_column
	       || ' ' || amount_column || ' ' || coalesce(program_column::text, '-') || ' ' || mode
	  FROM credit_audit.guarded_table ORDER BY 1;
	EOF
}

findings() {
	psql_db "$1" -At -c "SELECT f::text FROM credit_audit.finding f ORDER BY id"
}

nversions=0
for script in src/sql/history/credit_audit--*.sql; do
	v=$(basename "$script" .sql); v=${v#credit_audit--}
	case $v in *--*) continue ;; esac       # an upgrade script
	[ "$v" != "$current" ] || continue
	nversions=$((nversions + 1))
	"$bin/dropdb" --if-exists "$old" 2>/dev/null; "$bin/dropdb" --if-exists "$new" 2>/dev/null
	"$bin/createdb" "$old"; "$bin/createdb" "$new"

	psql_db "$old" -c "SET client_min_messages = warning" -c "CREATE EXTENSION credit_audit VERSION '$v'" \
		-f test/data/seed_case.sql >/dev/null || fail "could not load the seed case into version $v"
	# a guarded table dropped under the old version: its registration must not survive the update
	psql_db "$old" -c "CREATE TABLE public.ca_upgrade_dropped (id int PRIMARY KEY,
	                       uscc credit_audit.uscc, paid_on date, amount numeric)" \
		-c "SELECT credit_audit.guard('public.ca_upgrade_dropped', 'uscc', 'paid_on', 'amount',
		                              program => (SELECT min(code) FROM credit_audit.program))" \
		-c "DROP TABLE public.ca_upgrade_dropped" >/dev/null || fail "could not guard and drop a table in version $v"
	stale="SELECT count(*) FROM credit_audit.guarded_table g
	        WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = g.tbl::oid)"
	stale_before=$(psql_db "$old" -Atc "$stale")
	findings "$old" >"$tmp/findings.before"
	[ -s "$tmp/findings.before" ] || fail "version $v wrote no findings for the seed case: the test would prove nothing"
	psql_db "$old" -c "ALTER EXTENSION credit_audit UPDATE" || fail "ALTER EXTENSION credit_audit UPDATE from $v failed"
	got=$(psql_db "$old" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'credit_audit'")
	[ "$got" = "$current" ] || fail "updating from $v gave version $got, not $current"
	stale_after=$(psql_db "$old" -Atc "$stale")
	[ "$stale_after" = 0 ] || fail "after the update from $v, $stale_after registrations of dropped tables are left"

	psql_db "$new" -c "SET client_min_messages = warning" -c "CREATE EXTENSION credit_audit" ||
		fail "could not create the current version"
	catalog "$old" >"$tmp/catalog.old" || fail "could not read the catalog of the updated database"
	catalog "$new" >"$tmp/catalog.new" || fail "could not read the catalog of the fresh database"
	if ! diff -u "$tmp/catalog.new" "$tmp/catalog.old"; then
		fail "$v updated to $current differs from a fresh $current (- fresh, + updated)"
	fi

	shipped_rows "$new" | sort >"$tmp/rows.new"
	shipped_rows "$old" | sort >"$tmp/rows.old"
	if [ -n "$(comm -23 "$tmp/rows.new" "$tmp/rows.old")" ]; then
		comm -23 "$tmp/rows.new" "$tmp/rows.old" >&2
		fail "rows a fresh $current ships are missing after the update from $v (above)"
	fi

	findings "$old" >"$tmp/findings.after"
	diff -u "$tmp/findings.before" "$tmp/findings.after" ||
		fail "the findings changed in the update from $v (- before, + after)"
	added=$(psql_db "$old" -Atc "SELECT credit_audit.refresh_findings()")
	[ "$added" = 0 ] || fail "after the update from $v, refresh_findings() added $added findings"
	echo "upgrade: $v -> $current: $(grep -c '' "$tmp/catalog.new") catalog facts equal to a fresh install," \
		"$(grep -c '' "$tmp/findings.after") findings kept, refresh_findings() added 0," \
		"registrations of dropped tables $stale_before -> 0"
done
[ "$nversions" -gt 0 ] || echo "upgrade: no released version before $current"
