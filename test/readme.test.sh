#!/usr/bin/env bash
# test/readme.test.sh [SANDBOX] — the README's SQL examples do what the README says they do.
#
# Runs the README's top-level ```sql blocks, in order, in a fresh database of the sandbox
# (check.sh passes its sandbox directory and sets PG*; without an argument the work tree's
# development sandbox is used), with psql going on after errors as a reader's session would.
# Then every line the README shows as output must be in psql's output:
#   - "-- ERROR:  …", "-- DETAIL:  …", "-- HINT:  …" and the lines that continue a DETAIL;
#   - the result tables written as comments ("--  col | col" rows);
# and the examples must raise exactly as many errors as the README shows.  Indented blocks (the
# role recipes) are not run: they need roles and files of their own.
source "$(dirname "$0")/lib.sh"

ca_shell_test_sandbox "$@"
db=ca_readme_$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/credit_audit-readme.XXXXXX")
cleanup() {
	"$bin/dropdb" --if-exists "$db" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "readme: FAILED: $*" >&2; exit 1; }
cd "$CA_ROOT"

# the examples: the lines of the top-level ```sql blocks
awk '/^```sql[[:space:]]*$/ { inside = 1; next } /^```/ { inside = 0 } inside' README.md >"$tmp/examples.sql"
[ -s "$tmp/examples.sql" ] || fail "no \`\`\`sql block found in README.md"

# what the README shows as output: comment lines of the blocks, without the "-- " and trailing
# blanks.  An error's lines, and the lines after a DETAIL up to the next statement (its
# continuation); and table rows (a " | " between columns).
awk '
	/^-- (ERROR|DETAIL|HINT):/ { detail = ($2 == "DETAIL:"); print; next }
	/^-- / && detail && !/^-- (INSERT|UPDATE|DELETE|SELECT) / { print; next }
	{ detail = 0 }
	/^-- .* \| / { print }
' "$tmp/examples.sql" | sed -e 's/^-- //' -e 's/[[:space:]]*$//' >"$tmp/expected"
nexpected=$(grep -c '' "$tmp/expected")
[ "$nexpected" -ge 10 ] || fail "only $nexpected output lines found in README.md: the test would prove little"
nerrors=$(grep -c '^ERROR:' "$tmp/expected")

"$bin/createdb" "$db"
PGOPTIONS="-c lc_messages=C" "$bin/psql" -X -d "$db" -v VERBOSITY=default -f "$tmp/examples.sql" \
	>"$tmp/out" 2>&1 || fail "psql could not run the examples: $(tail -3 "$tmp/out")"
sed -e 's/^psql:[^:]*:[0-9]*: //' -e 's/[[:space:]]*$//' "$tmp/out" >"$tmp/actual"

missing=0
while IFS= read -r line; do
	if ! grep -qxF -- "$line" "$tmp/actual"; then
		echo "readme: README shows, psql did not print: $line" >&2
		missing=$((missing + 1))
	fi
done <"$tmp/expected"
got=$(grep -c '^ERROR:' "$tmp/actual" || true)
if [ "$missing" -gt 0 ] || [ "$got" != "$nerrors" ]; then
	echo "readme: psql printed $got errors, the README shows $nerrors; psql's output:" >&2
	grep -v '^ 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] |' "$tmp/actual" >&2   # score_history's days
	fail "$missing README lines not in the output, $got errors against $nerrors shown"
fi
echo "readme: $(grep -c '' "$tmp/examples.sql") lines of examples run; $nexpected lines of output shown in README.md found, $nerrors errors as shown"
