#!/usr/bin/env bash
# test/check.sh — every test: build (warnings are errors), the pure-C parser check, then
# pg_regress and the isolation specs against a throw-away cluster, then the shell tests
# test/*.test.sh (dump/restore, upgrade, demo).  Ends with "N passed, M failed".
source "$(dirname "$0")/lib.sh"
ca_ensure_packages
cd "$CA_ROOT"
ca_log "building with -Werror"
make -s clean >/dev/null 2>&1 || true
make -s PG_CONFIG="$PG_CONFIG" with_llvm=no COPT='-Werror' >/dev/null
passed=0; failed=0
count() { # count pg_regress style "ok"/"FAILED" lines of a log
	local p f
	p=$(grep -cE '^(test | +)?[a-z0-9_ -]+\.\.\. ok|^ok [0-9]+' "$1" || true)
	f=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+' "$1" || true)
	passed=$((passed + p)); failed=$((failed + f))
}
ca_log "pure-C parser check"
if make -s unitcheck PG_CONFIG="$PG_CONFIG" with_llvm=no 2>&1 | tee /tmp/ca_unit.$$; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
sandbox=$(mktemp -d /tmp/credit_audit-check.XXXXXX)
trap 'ca_sandbox_destroy "$sandbox"' EXIT
ca_sandbox_start "$sandbox"
ca_log "pg_regress and isolation specs"
set +e
make -s PG_CONFIG="$PG_CONFIG" with_llvm=no installcheck 2>&1 | tee "$sandbox/installcheck.log"
rc=${PIPESTATUS[0]}
set -e
count "$sandbox/installcheck.log"
if [ "$rc" -ne 0 ]; then
	for d in regression.diffs output_iso/regression.diffs; do
		[ -f "$d" ] && { echo "---- $d"; head -c 20000 "$d"; }
	done
	[ "$failed" -eq 0 ] && failed=1
fi
for t in test/*.test.sh; do
	[ -e "$t" ] || continue
	ca_log "$t"
	if bash "$t" "$sandbox"; then echo "shell test $(basename "$t") ... ok"; passed=$((passed + 1))
	else echo "shell test $(basename "$t") ... FAILED"; failed=$((failed + 1)); fi
done
echo "credit_audit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
