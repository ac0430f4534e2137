#!/usr/bin/env bash
# test/check.sh — every test (README's second command; .ci/run calls it).
#
# Installs the Debian packages it needs, builds with -Werror, runs the pure-C parser check, then
# against a throw-away cluster: pg_regress (sql/*.sql vs expected/), the isolation specs
# (test/specs vs test/expected) and the shell tests test/*.test.sh (each gets the sandbox
# directory as argument 1 and PG* set).  Prints the diffs of what failed and ends with
#   credit_audit: N passed, M failed
# counted from the "... ok" / "... FAILED" lines of pg_regress and pg_isolation_regress and from
# the other steps; exits non-zero if anything failed.
source "$(dirname "$0")/lib.sh"
ca_ensure_packages
cd "$CA_ROOT"

passed=0
failed=0
summary() { echo "credit_audit: $passed passed, $failed failed"; }

sandbox=$(mktemp -d /tmp/credit_audit-check.XXXXXX)
trap 'ca_sandbox_destroy "$sandbox"' EXIT

ca_log "building with -Werror"
make -s clean >/dev/null 2>&1 || true
if ! make -s PG_CONFIG="$PG_CONFIG" with_llvm=no COPT='-Werror' >"$sandbox/build.log" 2>&1; then
	cat "$sandbox/build.log"
	echo "build ... FAILED"
	failed=$((failed + 1))
	summary
	exit 1
fi
cat "$sandbox/build.log"

# count LOG: print "P F", the passed and failed pg_regress / pg_isolation_regress lines of LOG.
# PostgreSQL 15 writes "test NAME ... ok  12 ms" (or, in parallel groups, "     NAME ... ok"),
# or "... FAILED" ("... failed (ignored)" is not a failure); 16 and later write TAP: "ok 1 - NAME", "not ok 1 - NAME".
count() {
	local p f
	p=$(grep -cE '^(test +| +)[^ ].* \.\.\. ok( |$)|^ok [0-9]+ ' "$1" || true)
	f=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$1" || true)
	echo "$p $f"
}

ca_log "pure-C parser check (make unitcheck)"
if make -s unitcheck PG_CONFIG="$PG_CONFIG" with_llvm=no >"$sandbox/unit.log" 2>&1; then
	cat "$sandbox/unit.log"; echo "unit check uscc_check ... ok"; passed=$((passed + 1))
else
	cat "$sandbox/unit.log"; echo "unit check uscc_check ... FAILED"; failed=$((failed + 1))
fi

if ! ca_sandbox_start "$sandbox"; then
	echo "throw-away cluster ... FAILED"
	failed=$((failed + 1))
	summary
	exit 1
fi

# run_suite NAME LOG TOTAL MAKE-ARGS...: one pg_regress suite of TOTAL tests; its diffs are shown
# when it fails, and tests without a verdict (pg_regress stopped: missing expected file, server
# crash, ...) count as failed.
run_suite() {
	local name=$1 log=$2 total=$3 rc counts p f diffs
	shift 3
	ca_log "$name"
	set +e
	make -s PG_CONFIG="$PG_CONFIG" with_llvm=no installcheck "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	counts=$(count "$log")
	p=${counts% *}
	f=${counts#* }
	if [ $((p + f)) -lt "$total" ]; then
		echo "$name: $((total - p - f)) of $total tests without a result ... FAILED"
		f=$((total - p))
	fi
	if [ "$rc" -ne 0 ]; then
		case $name in pg_regress) diffs=regression.diffs;; *) diffs=output_iso/regression.diffs;; esac
		if [ -f "$diffs" ]; then echo "---- $diffs"; head -c 30000 "$diffs"; echo "----"; fi
		[ "$f" -gt 0 ] || { echo "$name ... FAILED (exit status $rc)"; f=1; }
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}
# tests_with_expected DIR EXT EXPDIR: names of DIR/*.EXT that have EXPDIR/NAME.out; the others
# are reported as failed here (pg_regress would stop at the first one and skip the rest).
tests_with_expected() {
	local f n names=()
	for f in "$1"/*."$2"; do
		[ -e "$f" ] || continue
		n=$(basename "$f" ".$2")
		if [ -f "$3/$n.out" ]; then names+=("$n")
		else echo "test $n ... FAILED (no $3/$n.out)"; failed=$((failed + 1)); fi
	done
	echo "${names[*]}" >"$sandbox/names"
}
rm -rf results output_iso regression.diffs regression.out
tests_with_expected sql sql expected
regress=$(cat "$sandbox/names")
tests_with_expected test/specs spec test/expected
specs=$(cat "$sandbox/names")
[ -z "$regress" ] || run_suite pg_regress "$sandbox/regress.log" "$(wc -w <<<"$regress")" ISOLATION= REGRESS="$regress"
[ -z "$specs" ] || run_suite isolation "$sandbox/isolation.log" "$(wc -w <<<"$specs")" REGRESS= ISOLATION="$specs"

for t in test/*.test.sh; do
	[ -e "$t" ] || continue
	ca_log "$t"
	if bash "$t" "$sandbox"; then
		echo "shell test $(basename "$t" .test.sh) ... ok"; passed=$((passed + 1))
	else
		echo "shell test $(basename "$t" .test.sh) ... FAILED"; failed=$((failed + 1))
	fi
done

summary
[ "$failed" -eq 0 ]
