#!/usr/bin/env bash
# test/bench/ingest.sh — ingest_sanctions() against the floor, a plain INSERT ... SELECT of the same
# rows already clean and typed, on the same data in one run (docs/benchmarks/ingest.md).
#
#   bash test/bench/ingest.sh [SANCTIONS]      default 1000000
#
# Data: the shared generator (test/data/generate.sql) makes SANCTIONS clean sanctions for
# SANCTIONS/2 enterprises; they are copied aside typed (the floor's input) and rendered as text in
# the three department shapes of test/data/ingest (a third each: tax — full-width codes, Chinese
# dates 2019年2月1日, Chinese severities and department names; hrss — 20190201, English severities,
# upper-case department codes; market — lower-case codes, 2019/2/1, Chinese department names,
# full-width parentheses in names).  Then, each from an empty sanction table with every trigger
# of the extension active:
#   floor     INSERT INTO credit_audit.sanction SELECT ... FROM the typed copy
#   ingest    load the text into sanction_staging (timed apart), SELECT ingest_sanctions()
#   again     the same text again: every row unchanged
# Runs in its own sandbox cluster (destroyed at the end unless KEEP=1).
source "$(dirname "$0")/../lib.sh"
n=${1:-1000000}
case $n in ''|*[!0-9]*) echo "usage: $0 [SANCTIONS]" >&2; exit 2;; esac
ents=$(( n / 2 > 0 ? n / 2 : 1 ))
ca_ensure_packages
ca_build
dir=/tmp/credit_audit-bench-ingest-$(printf '%s' "$CA_ROOT" | md5sum | cut -c1-8)
ca_sandbox_start "$dir"
[ "${KEEP:-0}" = 1 ] || trap 'ca_sandbox_destroy "$dir"' EXIT
export PGDATABASE=ingest_bench
ca_psql -d postgres -c 'DROP DATABASE IF EXISTS ingest_bench' -c 'CREATE DATABASE ingest_bench'
ca_psql -c 'CREATE EXTENSION credit_audit'

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

ca_log "generating $n sanctions for $ents enterprises"
(cd "$CA_ROOT" && ca_psql -v enterprises="$ents" -v sanctions="$n" -v events=0 -v grants=0 \
	-f test/data/generate.sql)

ca_log "rendering the department shapes"
ca_psql <<-'SQL'
	CREATE TABLE bench_clean AS
	SELECT id, uscc, department, category, severity, fact_date, listed_on, removed_on,
	       removal_reason, source_ref
	  FROM credit_audit.sanction;
	CREATE TABLE bench_text AS
	SELECT CASE s.id % 3
	         WHEN 0 THEN translate(s.uscc::text, '0123456789ABCDEFGHJKLMNPQRTUWXY',
	                               '０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ')
	         WHEN 1 THEN s.uscc::text
	         ELSE ' ' || lower(s.uscc::text) END AS uscc,
	       CASE s.id % 3 WHEN 2 THEN translate(e.name, '()', '（）') ELSE e.name END AS enterprise_name,
	       CASE s.id % 3 WHEN 1 THEN upper(s.department) ELSE d.name END AS department,
	       s.category,
	       CASE s.id % 3
	         WHEN 1 THEN initcap(s.severity::text)
	         ELSE CASE s.severity WHEN 'minor' THEN '轻微' WHEN 'general' THEN '一般' ELSE '严重' END END AS severity,
	       CASE s.id % 3 WHEN 0 THEN to_char(s.fact_date, 'YYYY"年"FMMM"月"FMDD"日"')
	                     WHEN 1 THEN to_char(s.fact_date, 'YYYYMMDD')
	                     ELSE to_char(s.fact_date, 'YYYY/FMMM/FMDD') END AS fact_date,
	       CASE s.id % 3 WHEN 0 THEN to_char(s.listed_on, 'YYYY"年"FMMM"月"FMDD"日"')
	                     WHEN 1 THEN to_char(s.listed_on, 'YYYYMMDD')
	                     ELSE to_char(s.listed_on, 'YYYY/FMMM/FMDD') END AS listed_on,
	       CASE s.id % 3 WHEN 0 THEN to_char(s.removed_on, 'YYYY"年"FMMM"月"FMDD"日"')
	                     WHEN 1 THEN to_char(s.removed_on, 'YYYYMMDD')
	                     ELSE to_char(s.removed_on, 'YYYY/FMMM/FMDD') END AS removed_on,
	       CASE s.id % 3
	         WHEN 0 THEN CASE s.removal_reason WHEN 'repaired' THEN '信用修复' WHEN 'expired' THEN '期满'
	                                           WHEN 'revoked' THEN '撤销' END
	         WHEN 1 THEN initcap(s.removal_reason)
	         ELSE s.removal_reason END AS removal_reason,
	       s.source_ref
	  FROM credit_audit.sanction s
	  JOIN credit_audit.enterprise e ON e.uscc OPERATOR(credit_audit.=) s.uscc
	  JOIN credit_audit.department d ON d.code = s.department
	 ORDER BY s.id;
	TRUNCATE credit_audit.sanction CASCADE;
	VACUUM ANALYZE bench_clean, bench_text, credit_audit.enterprise, credit_audit.sanction;
	CHECKPOINT;
SQL

ca_log "floor: INSERT ... SELECT of the clean rows"
t0=$(now)
ca_psql -c "INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date,
                listed_on, removed_on, removal_reason, source_ref)
            SELECT uscc, department, category, severity, fact_date, listed_on, removed_on,
                   removal_reason, source_ref FROM bench_clean ORDER BY id"
t1=$(now)
floor=$(secs "$t0" "$t1")
ca_psql -c 'TRUNCATE credit_audit.sanction CASCADE' -c 'VACUUM ANALYZE credit_audit.sanction' -c 'CHECKPOINT'

stage() {
	ca_psql -c "INSERT INTO credit_audit.sanction_staging (uscc, enterprise_name, department, category,
	                severity, fact_date, listed_on, removed_on, removal_reason, source_ref)
	            SELECT * FROM bench_text"
}
ca_log "loading staging"
t0=$(now); stage; t1=$(now); load=$(secs "$t0" "$t1")
ca_log "ingest_sanctions(): new rows"
t0=$(now)
first=$(ca_psql -At -F' ' -c 'SELECT * FROM credit_audit.ingest_sanctions()')
t1=$(now)
ingest=$(secs "$t0" "$t1")
ca_psql -c 'CHECKPOINT'
stage
ca_log "ingest_sanctions(): the same rows again"
t0=$(now)
second=$(ca_psql -At -F' ' -c 'SELECT * FROM credit_audit.ingest_sanctions()')
t1=$(now)
again=$(secs "$t0" "$t1")
ok=$(ca_psql -At -c "SELECT count(*) = $n FROM credit_audit.sanction")

echo "sanctions: $n (enterprises: $ents), triggers of the extension active"
echo "floor  INSERT ... SELECT of clean rows:   ${floor} s"
echo "load   staging INSERT of text rows:       ${load} s (not counted below)"
echo "ingest ingest_sanctions(), new rows:      ${ingest} s  (inserted updated unchanged quarantined: $first)"
echo "again  ingest_sanctions(), re-delivery:   ${again} s  (inserted updated unchanged quarantined: $second)"
echo "all rows in sanction: $ok"
awk -v f="$floor" -v i="$ingest" -v a="$again" \
	'BEGIN { printf "ratio ingest/floor: %.2f   re-delivery/floor: %.2f\n", i / f, a / f }'
