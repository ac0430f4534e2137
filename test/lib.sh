# test/lib.sh — shared steps of the README's two commands (demo.sh, check.sh) and of the
# benchmarks: install what a fresh Debian 12 needs, build, and run a throw-away PostgreSQL
# cluster with the extension installed into a private copy of the server (no system files are
# touched, so several work trees can test at once).  Sourced, not run.
#
# Works as root (the server then runs as user postgres, which PostgreSQL requires) and as a
# normal user with sudo (sudo is used only for apt-get).

set -euo pipefail

CA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
CA_PACKAGES=(make gcc libc6-dev "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" postgresql-common)

ca_log() { printf '== %s\n' "$*" >&2; }

ca_sudo() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages that are missing (apt-get update only when something is).
ca_ensure_packages() {
	local missing=() p
	for p in "${CA_PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		ca_log "installing ${missing[*]}"
		ca_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		ca_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null
	fi
	PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
	PG_BINDIR=$("$PG_CONFIG" --bindir)
	export PG_CONFIG PG_BINDIR
}

# Build the extension (no LLVM bitcode: JIT inlining is not needed and clang may be absent).
ca_build() {
	ca_log "building"
	make -C "$CA_ROOT" -s PG_CONFIG="$PG_CONFIG" with_llvm=no >/dev/null
}

# The server user: postgres when we are root, else ourselves.
ca_server_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

ca_as_server() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ca_sandbox_start DIR: a private copy of the server with the extension installed, and a running
# cluster listening only on a Unix socket in DIR/sock.  Sets PGHOST, PGPORT, PGUSER, PGDATABASE.
ca_sandbox_start() {
	local dir=$1
	CA_SANDBOX=$dir
	mkdir -p "$dir"
	chmod 755 "$dir"
	local libdir sharedir
	libdir=$(dirname "$PG_BINDIR")                        # /usr/lib/postgresql/15
	sharedir=$("$PG_CONFIG" --sharedir)                   # /usr/share/postgresql/15
	if [ ! -x "$dir/inst$PG_BINDIR/postgres" ]; then
		ca_log "copying the PostgreSQL $PG_MAJOR server into $dir/inst"
		mkdir -p "$dir/inst$(dirname "$libdir")" "$dir/inst$(dirname "$sharedir")"
		cp -a "$libdir" "$dir/inst$(dirname "$libdir")/"
		cp -a "$sharedir" "$dir/inst$(dirname "$sharedir")/"
	fi
	ca_sandbox_install
	mkdir -p "$dir/sock" "$dir/log"
	if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir/sock" "$dir/log"; fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir/data"
		if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir/data"; fi
		ca_as_server "$dir/inst$PG_BINDIR/initdb" -D "$dir/data" -U "$(ca_server_user)" \
			--auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
			|| { cat "$dir/initdb.log" >&2; return 1; }
		cat >>"$dir/data/postgresql.conf" <<-EOF
			listen_addresses = ''
			unix_socket_directories = '$dir/sock'
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			shared_buffers = 1GB
			work_mem = 64MB
			maintenance_work_mem = 1GB
			max_wal_size = 8GB
			max_locks_per_transaction = 64
			log_min_messages = warning
			lc_messages = 'C'
		EOF
	fi
	if ! ca_as_server "$dir/inst$PG_BINDIR/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		ca_as_server "$dir/inst$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/log/server.log" -w -t 60 start >/dev/null \
			|| { cat "$dir/log/server.log" >&2; return 1; }
	fi
	export PGHOST="$dir/sock" PGPORT=5432 PGUSER="$(ca_server_user)" PGDATABASE=postgres
	unset PGPASSWORD PGSERVICE PGOPTIONS
}

# (Re)install the built extension into the sandbox's server copy.
ca_sandbox_install() {
	make -C "$CA_ROOT" -s PG_CONFIG="$PG_CONFIG" with_llvm=no install DESTDIR="$CA_SANDBOX/inst" >/dev/null
}

ca_sandbox_stop() {
	local dir=${1:-$CA_SANDBOX}
	if [ -f "$dir/data/PG_VERSION" ]; then
		ca_as_server "$dir/inst$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
}

ca_sandbox_destroy() {
	local dir=${1:-$CA_SANDBOX}
	ca_sandbox_stop "$dir"
	rm -rf "$dir"
}

# psql against the sandbox: quiet, stop on the first error.
ca_psql() {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

# ca_shell_test_sandbox [SANDBOX]: the cluster a shell test (test/*.test.sh) runs against.  With
# an argument (check.sh passes its sandbox directory and sets PG*), that one; without, the work
# tree's development sandbox, built and started.  Sets sandbox and bin (the sandbox's server
# binaries).
ca_shell_test_sandbox() {
	if [ $# -ge 1 ]; then
		sandbox=$1
		PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
		PG_BINDIR=${PG_BINDIR:-$("$PG_CONFIG" --bindir)}
	else
		ca_ensure_packages
		ca_build
		sandbox=/tmp/credit_audit-dev-$(printf '%s' "$CA_ROOT" | md5sum | cut -c1-8)
		ca_sandbox_start "$sandbox"
	fi
	bin=$sandbox/inst$PG_BINDIR
}
