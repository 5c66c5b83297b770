#!/usr/bin/env bash
# The API contract: Schemathesis (from PyPI, in a virtualenv made here) over
# /api/openapi.json of a demo site, once with a member's token and once with an
# admin's, every check on (see .ci/schemathesis.toml and docs/API.md), a bounded
# number of examples per operation and a fixed seed. Any finding fails the run.
#
#   .ci/api-contract.sh            uses target/debug/parley (built if missing)
#   PARLEY_BIN=... SCHEMATHESIS_SEED=... .ci/api-contract.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

bin="${PARLEY_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/parley}"
[ -x "$bin" ] || cargo build --bin parley

venv="${PARLEY_SCHEMATHESIS_VENV:-${HOME:-/root}/.cache/parley/schemathesis-4.32.5}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
PARLEY_DATA_DIR="$data" PARLEY_BIND="127.0.0.1:$port" PARLEY_RATE_LIMITS=off PARLEY_LOG=warn \
  "$bin" serve --demo >"$data/accounts.txt" 2>"$data/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  curl -fs "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "$base/readyz" >/dev/null

token() {
  local email="$1" password
  password="$(awk -v who="$email" '$0 ~ who { print $NF; exit }' "$data/accounts.txt")"
  curl -fs -X POST -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"contract\"}" \
    "$base/api/v1/auth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

status=0
for who in alice@acme.test admin@parley.test; do
  echo "== schemathesis as $who"
  # Revoking the run's own token would leave the rest of the run signed out.
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$root/.ci" \
    "$venv/bin/schemathesis" --no-color --config-file "$root/.ci/schemathesis.toml" \
    run "$base/api/openapi.json" \
    -H "Authorization: Bearer $(token "$who")" \
    --checks all \
    --phases examples,coverage,fuzzing \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-10}" \
    --seed "${SCHEMATHESIS_SEED:-20261206}" \
    --exclude-operation-id revoke_token \
    --workers 1 || status=1
done
if [ "$status" != 0 ]; then
  echo "== the server's log" >&2
  tail -n 50 "$data/server.log" >&2
fi
exit "$status"
