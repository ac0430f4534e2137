#!/usr/bin/env bash
# test/cassert.sh — the regression and isolation tests against an assert-enabled PostgreSQL 15.
#
# Debian's server is built without assertions, so Assert()s in the server code an extension
# calls (relcache, snapshots, buffers, resource owners, parallel query) never fire in check.sh.
# This builds PostgreSQL from its source with --enable-cassert (once; kept in $CASSERT_DIR),
# builds a copy of the extension against it, starts a throw-away cluster and runs every
# pg_regress test and isolation spec, then greps the server log for assertion failures and
# resource-leak warnings.  Not part of CI (the server build takes ~10 minutes on 2 cores).
#
#   PG_SRC=/path/to/postgresql-15.x bash test/cassert.sh            # the tests
#   PG_SRC=... DISCARD=1 TESTS="guard_cache guard" bash test/cassert.sh
#       # with debug_discard_caches = 1: every cache is dropped at every catalog lookup, which
#       # shakes out code that caches across invalidations (slow: minutes per test; the
#       # configuration cache's DEBUG lines in guard_cache then differ, as they must)
#   PG_SRC=... PARALLEL=1 bash test/cassert.sh     # with force_parallel_mode = regress
#
# PG_SRC: an unpacked PostgreSQL 15 source tree (or a .tar.bz2/.tar.gz of one).  One way, with
# a deb-src line for Debian in the apt sources:  apt-get source --download-only postgresql-15
# (the 15.x whose source the mirror still has is fine; the tests need 15, any minor).
source "$(dirname "$0")/lib.sh"
CASSERT_DIR=${CASSERT_DIR:-/tmp/credit_audit-cassert}
pg=$CASSERT_DIR/pg                  # the assert-enabled installation
cluster=$CASSERT_DIR/cluster
copy=$CASSERT_DIR/ext               # the extension's source, built against $pg
fail() { echo "cassert: FAILED: $*" >&2; exit 1; }

ca_ensure_packages libxml2-dev pkg-config
if [ ! -x "$pg/bin/postgres" ]; then
	[ -n "${PG_SRC:-}" ] || fail "set PG_SRC to a PostgreSQL 15 source tree or tarball (see the header)"
	src=$PG_SRC
	if [ -f "$src" ]; then
		mkdir -p "$CASSERT_DIR/src"
		tar xf "$src" -C "$CASSERT_DIR/src"
		src=$(ls -d "$CASSERT_DIR"/src/postgresql-15*/ | head -1)
	fi
	[ -f "$src/configure" ] || fail "$src is not a PostgreSQL source tree"
	ca_log "building PostgreSQL with assertions from $src into $pg (once)"
	(cd "$src" && ./configure --prefix="$pg" --enable-cassert --enable-debug --with-libxml \
		--without-readline --without-icu CFLAGS="-O1 -g" >"$CASSERT_DIR/configure.log" 2>&1 &&
		make -j"$(nproc)" -s >"$CASSERT_DIR/build.log" 2>&1 && make -s install >>"$CASSERT_DIR/build.log" 2>&1 &&
		make -s -C src/test/isolation install >>"$CASSERT_DIR/build.log" 2>&1) ||
		fail "building PostgreSQL failed: see $CASSERT_DIR/configure.log, $CASSERT_DIR/build.log"
fi
pgc=$pg/bin/pg_config

ca_log "building the extension against $pg"
rm -rf "$copy"; mkdir -p "$copy"
(cd "$CA_ROOT" && { git ls-files; git ls-files --others --exclude-standard; } | sort -u | tar cf - -T -) |
	tar xf - -C "$copy"
make -C "$copy" -s PG_CONFIG="$pgc" with_llvm=no >/dev/null && make -C "$copy" -s PG_CONFIG="$pgc" with_llvm=no install >/dev/null ||
	fail "building the extension failed"

# the cluster, as test/lib.sh makes one (as user postgres when we are root)
run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ -f "$cluster/data/postmaster.pid" ] && run "$pg/bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1
rm -rf "$cluster"; mkdir -p "$cluster/sock" "$cluster/data"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$cluster"; chmod -R a+rwX "$copy"; fi
run "$pg/bin/initdb" -D "$cluster/data" -U "$(ca_server_user)" --auth=trust --encoding=UTF8 \
	--locale=C.UTF-8 >"$CASSERT_DIR/initdb.log" 2>&1 || fail "initdb failed: see $CASSERT_DIR/initdb.log"
cat >>"$cluster/data/postgresql.conf" <<-EOF
	listen_addresses = ''
	unix_socket_directories = '$cluster/sock'
	fsync = off
	synchronous_commit = off
	shared_buffers = 256MB
	work_mem = 64MB
	max_locks_per_transaction = 64
	lc_messages = 'C'
EOF
run "$pg/bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w start >/dev/null || fail "the server did not start"
trap 'run "$pg/bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1' EXIT
export PGHOST=$cluster/sock PGPORT=5432 PGUSER=$(ca_server_user) PGDATABASE=postgres

opts=
[ "${DISCARD:-0}" = 1 ] && opts="$opts -c debug_discard_caches=1"
[ "${PARALLEL:-0}" = 1 ] && opts="$opts -c force_parallel_mode=regress"
tests=${TESTS:-}
status=0
ca_log "pg_regress${opts:+ with$opts}"
PGOPTIONS=$opts make -C "$copy" -s PG_CONFIG="$pgc" with_llvm=no installcheck ISOLATION= \
	${tests:+REGRESS="$tests"} || status=1
if [ -z "$tests" ]; then
	ca_log "isolation${opts:+ with$opts}"
	PGOPTIONS=$opts make -C "$copy" -s PG_CONFIG="$pgc" with_llvm=no installcheck REGRESS= || status=1
fi
if grep -E 'TRAP:|WARNING: .*(leak|not closed|still referenced)|server process .* was terminated' "$cluster/server.log"; then
	echo "cassert: the server log shows the failures above" >&2; status=1
fi
[ "$status" = 0 ] && echo "cassert: all tests passed on the assert-enabled server${opts:+ (with$opts)}" ||
	echo "cassert: FAILED (diffs in $copy/regression.diffs or $copy/output_iso)" >&2
exit $status
