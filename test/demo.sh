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

# What exists depends on how far the extension is built; show what is there.
has() { [ "$(ca_psql -At -c "SELECT to_regclass('credit_audit.$1') IS NOT NULL OR to_regproc('credit_audit.$1') IS NOT NULL")" = t ]; }

seed=0
if [ -z "$scale" ] && [ -f test/data/seed_case.sql ] && has guard; then
	ca_log "loading the seed case (test/data/seed_case.sql)"
	ca_psql -f test/data/seed_case.sql
	seed=1
else
	scale=${scale:-small}
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
	       (SELECT count(*) FROM credit_audit.subsidy) AS subsidies,
	       (SELECT sum(amount) FROM credit_audit.subsidy) AS subsidy_yuan;
	\echo '== sanctions by department and outcome'
	SELECT d.name AS department, s.category,
	       count(*) AS listings,
	       count(*) FILTER (WHERE s.removed_on IS NULL) AS still_listed,
	       count(*) FILTER (WHERE s.removal_reason = 'repaired') AS repaired,
	       count(*) FILTER (WHERE s.removal_reason = 'expired') AS expired,
	       count(*) FILTER (WHERE s.removal_reason = 'revoked') AS revoked,
	       round(avg(s.listed_on - s.fact_date)) AS avg_days_fact_to_listing
	  FROM credit_audit.sanction s JOIN credit_audit.department d ON d.code = s.department
	 GROUP BY d.name, s.category ORDER BY d.name, s.category;
	\echo '== a few enterprises and their listings'
	SELECT e.uscc, e.name, s.department, s.category, s.severity, s.fact_date, s.listed_on,
	       s.removed_on, s.removal_reason
	  FROM credit_audit.enterprise e JOIN credit_audit.sanction s ON s.uscc = e.uscc
	 ORDER BY s.id LIMIT 10;
EOF

if has refresh_findings; then
	ca_log "auditing: credit_audit.refresh_findings()"
	ca_psql -P pager=off -c 'SELECT credit_audit.refresh_findings() AS findings_added'
	ca_psql -P pager=off -c "\\echo '== findings by kind'" \
		-c 'SELECT kind, status, count(*) AS findings, sum(amount) AS yuan FROM credit_audit.finding GROUP BY kind, status ORDER BY kind, status'
	if [ "$seed" -eq 1 ] && has flagged_subsidies; then
		ca_psql -P pager=off <<-'EOF'
			\echo '== finding 1 of the case: listed in February 2019, the fact was established in June 2018, support applied for in July 2018'
			SELECT enterprise_name, program_name, grant_date, amount, fact_date, listed_on
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
	if has flagged_subsidies; then
		ca_psql -P pager=off -c "\\echo '== flagged_subsidies (the largest 15)'" \
			-c 'SELECT enterprise_name, program_name, grant_date, amount, sanction_department_name, category, severity, fact_date, listed_on, removed_on, removal_reason, kind, status FROM credit_audit.flagged_subsidies ORDER BY amount DESC, grant_date LIMIT 15'
	fi
	if has repaired_but_flagged; then
		ca_psql -P pager=off -c "\\echo '== repaired_but_flagged'" \
			-c 'SELECT * FROM credit_audit.repaired_but_flagged LIMIT 15'
	fi
	if has department_summary; then
		ca_psql -P pager=off -c "\\echo '== department_summary'" \
			-c 'SELECT * FROM credit_audit.department_summary ORDER BY 1, 2 LIMIT 30'
	fi
	if has enterprise_risk; then
		ca_psql -P pager=off -c "\\echo '== enterprise_risk (high)'" \
			-c "SELECT * FROM credit_audit.enterprise_risk WHERE risk_level = 'high' ORDER BY flagged_amount DESC NULLS LAST LIMIT 15"
	fi
else
	ca_log "credit_audit.refresh_findings() is not in this build yet: no audit run"
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
