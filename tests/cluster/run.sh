#!/usr/bin/env bash
# The cluster test: three `parley serve` nodes on one PostgreSQL database behind
# HAProxy (Debian's, installed here when missing), a mixed workload through the
# balancer, one node killed with SIGKILL midway and started again, then every
# acknowledged write checked on every node (tests/cluster/cluster.py says what).
#
#   tests/cluster/run.sh                 uses target/debug/parley (built if missing)
#   PARLEY_BIN=... PARLEY_CLUSTER_SECONDS=60 tests/cluster/run.sh
#
# PostgreSQL: PARLEY_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# the test makes its own database and drops it. PARLEY_TEST_KEEP=1 keeps the nodes'
# data directories and logs.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

admin="${PARLEY_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bin="${PARLEY_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/parley}"
[ -x "$bin" ] || cargo build --bin parley

if ! command -v haproxy >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy
fi
command -v psql >/dev/null 2>&1 || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client
}

name="parley_cluster_$$"
psql -X -q "$admin" -c "CREATE DATABASE $name"
trap 'psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
db_url="$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p._replace(path="/" + sys.argv[2]).geturl())' "$admin" "$name")"

python3 tests/cluster/cluster.py --bin "$bin" --db-url "$db_url" \
  --seconds "${PARLEY_CLUSTER_SECONDS:-40}" --workers "${PARLEY_CLUSTER_WORKERS:-8}"
