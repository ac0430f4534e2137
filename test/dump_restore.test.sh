#!/usr/bin/env bash
# test/dump_restore.test.sh [SANDBOX] — a pg_dump / pg_restore round trip keeps every row.
#
# In a database of the sandbox (check.sh passes its sandbox directory and sets PG*; without an
# argument the work tree's development sandbox is used): CREATE EXTENSION, load generated data
# (test/data/generate.sql), edit shipped rows (department, score_rule), add a department and a
# rule, guard a user table and write to it, audit, and mark a finding; then pg_dump (custom
# format) with the sandbox's own binaries, pg_restore into a fresh database, and compare every
# table of the extension and the user's table (row count and md5 of the sorted rows) and every
# sequence position.  Exits non-zero, saying which table differs, if anything does.
source "$(dirname "$0")/lib.sh"

ca_shell_test_sandbox "$@"
src=ca_dump_src_$$
dst=ca_dump_dst_$$
dump=$(mktemp "${TMPDIR:-/tmp}/credit_audit-dump.XXXXXX")
cleanup() {
	"$bin/dropdb" --if-exists "$src" 2>/dev/null || true
	"$bin/dropdb" --if-exists "$dst" 2>/dev/null || true
	rm -f "$dump" "$dump".*
}
trap cleanup EXIT
fail() { echo "dump_restore: FAILED: $*" >&2; exit 1; }

psql_db() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }

"$bin/createdb" "$src"
cd "$CA_ROOT"        # the generator is included by a path relative to the repository root
psql_db "$src" <<-'EOF' || fail "could not load the source database"
	SET client_min_messages = warning;
	CREATE EXTENSION credit_audit;
	SET search_path = public, credit_audit;   -- the uscc operators live in credit_audit
	\set scale small
	\set enterprises 400
	\set sanctions 150
	\set events 300
	\set grants 2000
	\i test/data/generate.sql
	-- edits to shipped rows, and new rows in the shipped tables
	UPDATE credit_audit.department SET name = '国家税务总局杭州市滨江区税务局' WHERE code = 'tax';
	INSERT INTO credit_audit.department (code, name) VALUES ('audit', '审计');
	UPDATE credit_audit.score_rule SET points = 25, recovery_days = 400
	 WHERE category = '*' AND severity = 'general';
	INSERT INTO credit_audit.score_rule (category, severity, points, recovery_days)
	VALUES ('major_tax_violation', 'serious', 60, 1095);
	-- a department's own grant table, guarded once guard() exists
	CREATE TABLE public.grants (
	    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	    enterprise credit_audit.uscc NOT NULL,
	    paid_on date NOT NULL,
	    yuan numeric(12,2) NOT NULL,
	    note text
	);
	SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'guard'
	                 AND pronamespace = 'credit_audit'::regnamespace) AS has_guard,
	       EXISTS (SELECT FROM pg_proc WHERE proname = 'refresh_findings'
	                 AND pronamespace = 'credit_audit'::regnamespace) AS has_refresh,
	       EXISTS (SELECT FROM pg_proc WHERE proname = 'ingest_sanctions'
	                 AND pronamespace = 'credit_audit'::regnamespace) AS has_ingest
	\gset
	\if :has_guard
	SELECT credit_audit.guard('public.grants', 'enterprise', 'paid_on', 'yuan',
	                          program => 'rent_subsidy', mode => 'record') AS guarded \gset
	-- the extension's own table, switched to record mode: the restore must keep that
	SELECT credit_audit.guard('credit_audit.subsidy', 'uscc', 'applied_on', 'amount',
	                          program_column => 'program', mode => 'record') AS guarded \gset
	\endif
	-- grants paid to the first 60 enterprises (by code) on their listing dates or in 2024
	INSERT INTO public.grants (enterprise, paid_on, yuan, note)
	SELECT e.uscc, coalesce(s.listed_on, date '2024-03-01'), 10000 + 100 * row_number() OVER (ORDER BY e.uscc), '房租补贴'
	  FROM (SELECT uscc FROM credit_audit.enterprise ORDER BY uscc LIMIT 60) e
	  LEFT JOIN LATERAL (SELECT listed_on FROM credit_audit.sanction s
	                      WHERE s.uscc = e.uscc ORDER BY id LIMIT 1) s ON true;
	\if :has_refresh
	SELECT credit_audit.refresh_findings() AS findings_added \gset
	UPDATE credit_audit.finding SET status = 'confirmed', note = '已追回部分资金'
	 WHERE id = (SELECT min(id) FROM credit_audit.finding);
	\endif
	-- ingestion: one delivery ingested (a listing and a quarantined row), one still staged
	\if :has_ingest
	INSERT INTO credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity,
	                                           fact_date, listed_on, removed_on, removal_reason, source_ref)
	VALUES ('91330000733796106P', '浙江某科技有限公司', 'tax', 'major_tax_violation', '严重',
	        '2018年6月15日', '2019/2/20', NULL, NULL, '税稽罚〔2019〕1号'),
	       ('91330000733796106Q', '代码有误的公司', 'tax', 'tax_arrears', 'general',
	        '2019-01-01', '2019-02-01', NULL, NULL, NULL);
	SELECT inserted, quarantined FROM credit_audit.ingest_sanctions() \gset ingest_
	INSERT INTO credit_audit.sanction_staging (uscc, enterprise_name, department, category, severity,
	                                           fact_date, listed_on)
	VALUES ('91330100716105852F', '杭州某网络有限公司', 'hrss', 'wage_arrears', '一般', '20200301', '2020.04.01');
	\endif
EOF

# The manifest of a database: one line per table (rows, md5 of the sorted rows) and per sequence.
manifest() {
	psql_db "$1" -At <<-'EOF'
	-- guarded_table included: the registration of credit_audit.subsidy, made by CREATE
	-- EXTENSION, comes back as dumped (record mode, guarded_at) through its upsert trigger
	SELECT format($q$SELECT '%s' || ' rows=' || count(*) || ' md5=' || coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '-') FROM %s t$q$,
	              c.oid::regclass, c.oid::regclass)
	  FROM pg_class c
	 WHERE c.relnamespace IN ('credit_audit'::regnamespace, 'public'::regnamespace)
	   AND c.relkind IN ('r', 'p')
	 ORDER BY c.oid::regclass::text
	\gexec
	SELECT format('%s.%s last_value=%s', schemaname, sequencename, last_value)
	  FROM pg_sequences WHERE schemaname IN ('credit_audit', 'public') ORDER BY 1;
	EOF
}

manifest "$src" >"$dump.src" || fail "could not read the source database"
"$bin/pg_dump" -Fc -f "$dump" "$src" || fail "pg_dump failed"
"$bin/createdb" "$dst"
PGOPTIONS="-c session_replication_role=replica" "$bin/pg_restore" --exit-on-error -d "$dst" "$dump" || fail "pg_restore failed (see the error above)"
manifest "$dst" >"$dump.dst" || fail "could not read the restored database"

echo "dump_restore: source database:"
sed 's/^/  /' "$dump.src"
# every table holding the generated data must have rows, or the comparison proves nothing
for t in credit_audit.enterprise credit_audit.sanction credit_audit.subsidy credit_audit.credit_event \
	credit_audit.program credit_audit.department credit_audit.score_rule grants; do
	grep -q "^$t rows=[1-9]" "$dump.src" || fail "source table $t is empty: the test would prove nothing"
done
if ! diff -u "$dump.src" "$dump.dst" >"$dump.diff"; then
	cat "$dump.diff" >&2
	rm -f "$dump.src" "$dump.dst" "$dump.diff"
	fail "the restored database differs from the dumped one (- dumped, + restored)"
fi
ntables=$(grep -c ' rows=' "$dump.dst"); nseqs=$(grep -c ' last_value=' "$dump.dst")
rm -f "$dump.src" "$dump.dst" "$dump.diff"

# The restored database works: sequences continue after the restored rows, and the guard of
# credit_audit.subsidy, put back into block mode, refuses a grant to an enterprise listed today.
psql_db "$dst" <<-'EOF' || fail "the restored database does not work as the dumped one did"
	SELECT mode = 'record' AS subsidy_mode_kept FROM credit_audit.guarded_table
	 WHERE tbl = 'credit_audit.subsidy'::regclass \gset
	\if :subsidy_mode_kept
	\else
	DO $$ BEGIN RAISE EXCEPTION 'subsidy guard mode not restored'; END $$;
	\endif
	SELECT credit_audit.guard('credit_audit.subsidy', 'uscc', 'applied_on', 'amount',
	                          program_column => 'program') AS reguarded \gset
	DO $$
	DECLARE
	    n bigint;
	    u credit_audit.uscc;
	BEGIN
	    INSERT INTO credit_audit.credit_event (uscc, event_date, points)
	    SELECT uscc, date '2025-01-01', 1 FROM credit_audit.enterprise ORDER BY uscc LIMIT 1
	    RETURNING id INTO n;
	    IF n <= (SELECT max(id) FROM credit_audit.credit_event WHERE id <> n) THEN
	        RAISE EXCEPTION 'credit_event id % handed out again after the restore', n;
	    END IF;
	    IF to_regproc('credit_audit.guard') IS NOT NULL THEN
	        SELECT s.uscc INTO u FROM credit_audit.sanction s
	         WHERE s.removed_on IS NULL AND s.severity >= 'general' AND s.listed_on < current_date
	         ORDER BY s.id LIMIT 1;
	        BEGIN
	            INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
	            VALUES (u, 'rent_subsidy', current_date, 1000);
	            RAISE EXCEPTION 'after the restore the guard let a grant to listed enterprise % in', u;
	        EXCEPTION WHEN check_violation THEN
	            NULL;
	        END;
	    END IF;
	END
	$$;
EOF
echo "dump_restore: ok — $ntables tables and $nseqs sequences restored identically; the restored database works"
