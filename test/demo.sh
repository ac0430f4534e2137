#!/usr/bin/env bash
# test/demo.sh — the main job, end to end, on a throw-away cluster (README's first command).
#
#   bash test/demo.sh [--keep] [--scale small|district|province]
#
# Installs the Debian packages it needs (sudo when not root), builds the extension, installs it
# into a private copy of the PostgreSQL server under /tmp, starts a cluster there, creates a
# database with the extension, loads the seed case (test/data/seed_case.sql: the Binjiang audit's
# findings, as sample data) -- or, with --scale, a generated data set (test/data/generate.sql) --
# runs the audit and prints what it found.  The cluster is removed at the end unless --keep is
# given (then it prints how to connect).
source "$(dirname "$0")/lib.sh"

keep=0
scale=
while [ $# -gt 0 ]; do
	case $1 in
		--keep) keep=1;;
		--scale) scale=${2:?--scale needs small, district or province}; shift;;
		--scale=*) scale=${1#--scale=};;
		-h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0;;
		*) echo "usage: $0 [--keep] [--scale small|district|province]" >&2; exit 2;;
	esac
	shift
done

ca_ensure_packages
ca_build
sandbox=$(mktemp -d /tmp/credit_audit-demo.XXXXXX)
if [ "$keep" -eq 0 ]; then trap 'ca_sandbox_destroy "$sandbox"' EXIT; fi
ca_log "starting a throw-away cluster in $sandbox"
ca_sandbox_start "$sandbox"
"$PG_BINDIR/createdb" credit_demo
export PGDATABASE=credit_demo
cd "$CA_ROOT"

# uscc's operators live in schema credit_audit: put it on the database's search_path
ca_psql -c 'CREATE EXTENSION credit_audit' \
	-c 'ALTER DATABASE credit_demo SET search_path = "$user", public, credit_audit' \
	-c "SELECT extversion AS credit_audit_version FROM pg_extension WHERE extname = 'credit_audit'"

seed=0
if [ -z "$scale" ]; then
	ca_log "loading the seed case (test/data/seed_case.sql)"
	ca_psql -f test/data/seed_case.sql
	seed=1
else
	ca_log "loading generated data (test/data/generate.sql, scale $scale)"
	ca_psql -v scale="$scale" -v progress=1 -f test/data/generate.sql
fi

ca_psql -P pager=off <<-'EOF'
	\echo
	\echo '== what was loaded'
	SELECT (SELECT count(*) FROM credit_audit.enterprise) AS enterprises,
	       (SELECT count(*) FROM credit_audit.sanction) AS sanctions,
	       (SELECT count(*) FROM credit_audit.credit_event) AS credit_events,
	       (SELECT count(*) FROM credit_audit.program) AS programs,
	       (SELECT count(*) FROM credit_audit.guarded_table) AS guarded_tables,
	       (SELECT sum(subsidies) FROM credit_audit.department_summary) AS grants,
	       (SELECT sum(amount) FROM credit_audit.department_summary) AS grant_yuan;
	\echo '== sanctions by department and outcome'
	SELECT d.name AS department, s.category,
	       count(*) AS listings,
	       count(*) FILTER (WHERE s.removed_on IS NULL) AS still_listed,
	       count(*) FILTER (WHERE s.removal_reason = 'repaired') AS repaired,
	       count(*) FILTER (WHERE s.removal_reason = 'expired') AS expired,
	       count(*) FILTER (WHERE s.removal_reason = 'revoked') AS revoked,
	       round(avg(s.listed_on - s.fact_date)) AS avg_days_fact_to_listing
	  FROM credit_audit.sanction s JOIN credit_audit.department d ON d.code = s.department
	 GROUP BY d.name, s.category ORDER BY d.name, s.category LIMIT 20;
EOF

ca_log "auditing: credit_audit.refresh_findings() adds what the triggers have not already found"
ca_psql -P pager=off -c 'SELECT credit_audit.refresh_findings() AS findings_added'
ca_psql -P pager=off <<-'EOF'
	\echo '== flagged grants by kind (a grant flagged by several listings counts once)'
	SELECT kind, count(*) AS grants, sum(amount) AS yuan
	  FROM (SELECT DISTINCT kind, source_table, source_key, amount
	          FROM credit_audit.flagged_subsidies WHERE status <> 'dismissed') g
	 GROUP BY kind ORDER BY kind;
EOF
if [ "$seed" -eq 1 ]; then
	ca_psql -P pager=off <<-'EOF'
		\echo '== finding 1 of the case: listed in February 2019, the fact was established in June 2018, support applied for in July 2018'
		SELECT enterprise_name, program_name, grant_date, amount, fact_date, listed_on, kind
		  FROM credit_audit.flagged_subsidies WHERE kind = 'retroactive';
		\echo '== finding 2 of the case: enterprises paid while listed, the total, and how many repaired since'
		WITH pwl AS (SELECT * FROM credit_audit.flagged_subsidies
		              WHERE kind = 'paid_while_listed' AND status <> 'dismissed')
		SELECT count(DISTINCT uscc) AS enterprises,
		       (SELECT sum(amount) FROM (SELECT DISTINCT source_table, source_key, amount FROM pwl) g) AS total,
		       count(DISTINCT uscc) FILTER (WHERE removed_on IS NULL) AS still_listed,
		       count(DISTINCT uscc) FILTER (WHERE removal_reason = 'repaired') AS repaired
		  FROM pwl;
	EOF
fi
ca_psql -P pager=off <<-'EOF'
	\echo '== flagged_subsidies (the largest 15)'
	SELECT enterprise_name, program_name, grant_date, amount, sanction_department_name, category,
	       severity, fact_date, listed_on, removed_on, removal_reason, kind, status
	  FROM credit_audit.flagged_subsidies ORDER BY amount DESC, grant_date LIMIT 15;
	\echo '== repaired_but_flagged'
	SELECT * FROM credit_audit.repaired_but_flagged LIMIT 15;
	\echo '== department_summary'
	SELECT * FROM credit_audit.department_summary ORDER BY 1, 3 LIMIT 30;
	\echo '== enterprise_risk (high)'
	SELECT * FROM credit_audit.enterprise_risk WHERE risk_level = 'high'
	 ORDER BY flagged_amount DESC NULLS LAST LIMIT 15;
EOF

if [ "$seed" -eq 1 ]; then
	# The linked response: a department listens; a late listing arrives; the findings reach it at
	# commit.  Then the same enterprise applies again and the guard refuses it.
	ca_psql -P pager=off <<-'EOF'
		\echo '== linked response: LISTEN credit_audit_findings, then a late listing of 杭州海创智能科技 arrives'
		LISTEN credit_audit_findings;
		INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on, source_ref)
		VALUES ('91330108MA27XB4E79', 'market', 'false_declaration', 'general', '2019-01-20', '2020-03-02',
		        '滨市监〔2020〕8号');
		\echo '== and when it applies again, the guard refuses it (SQLSTATE 23514, constraint credit_audit_eligibility)'
		\set ON_ERROR_STOP 0
		INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
		VALUES ('91330108MA27XB4E79', 'rent_subsidy', '2020-06-01', 80000);
		\echo SQLSTATE :LAST_ERROR_SQLSTATE
	EOF
fi

if [ "$keep" -eq 1 ]; then
	cat <<-EOF

		The cluster keeps running.  Connect with:
		  PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER $PG_BINDIR/psql credit_demo
		Stop and remove it with:
		  $( [ "$(id -u)" -eq 0 ] && printf 'runuser -u postgres -- ' )$sandbox/inst$PG_BINDIR/pg_ctl -D $sandbox/data stop && rm -rf $sandbox
	EOF
fi
ca_log "demo finished"
