#!/usr/bin/env bash
# test/sandbox.sh — a persistent development cluster for this work tree (see test/lib.sh).
#   bash test/sandbox.sh start            build, install into the sandbox, start it
#   bash test/sandbox.sh check [TEST...]  rebuild, reinstall, run pg_regress (all or the named tests)
#   bash test/sandbox.sh isolation [SPEC...]  the same for isolation specs
#   bash test/sandbox.sh psql [ARGS...]   psql into the sandbox
#   bash test/sandbox.sh env              print the PG* variables (eval "$(bash test/sandbox.sh env)")
#   bash test/sandbox.sh stop | destroy
source "$(dirname "$0")/lib.sh"
dir=/tmp/credit_audit-dev-$(printf '%s' "$CA_ROOT" | md5sum | cut -c1-8)
cmd=${1:-start}; shift || true
ca_ensure_packages
case $cmd in
	start) ca_build; ca_sandbox_start "$dir"; echo "sandbox: $dir (PGHOST=$PGHOST)";;
	check)
		ca_build; ca_sandbox_start "$dir"
		tests=${*:-}
		make -C "$CA_ROOT" -s PG_CONFIG="$PG_CONFIG" with_llvm=no installcheck \
			${tests:+REGRESS="$tests"} ISOLATION= ;;
	isolation)
		ca_build; ca_sandbox_start "$dir"
		specs=${*:-}
		make -C "$CA_ROOT" -s PG_CONFIG="$PG_CONFIG" with_llvm=no installcheck REGRESS= \
			${specs:+ISOLATION="$specs"} ;;
	psql) ca_sandbox_start "$dir" >/dev/null; exec "$PG_BINDIR/psql" -X "$@";;
	env) ca_sandbox_start "$dir" >/dev/null
		echo "export PGHOST='$PGHOST' PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=postgres PG_CONFIG=$PG_CONFIG";;
	stop) CA_SANDBOX=$dir; ca_sandbox_stop "$dir";;
	destroy) CA_SANDBOX=$dir; ca_sandbox_destroy "$dir";;
	*) echo "usage: $0 start|check|isolation|psql|env|stop|destroy" >&2; exit 2;;
esac
