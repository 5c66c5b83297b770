#!/usr/bin/env bash
# Measures Parley's HTTP latency and throughput with wrk, on SQLite and (when
# reachable) PostgreSQL, and prints one table. Usage:
#   benches/http.sh [seconds per run, default 10]
# Needs: a release build (cargo build --release), wrk, curl; psql for the PostgreSQL runs.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
BIN=target/release/parley
PORT=18089
PG_ADMIN="${PARLEY_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
  if [ -n "${pg_db:-}" ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

source "$(dirname "$0")/lib.sh"

run_backend() {
  local label=$1 url=$2
  local data="$work/$label"
  mkdir -p "$data"
  export PARLEY_DATA_DIR="$data" DATABASE_URL="$url" PARLEY_LOG=error
  echo "bench password 1234" | "$BIN" user create --email bench@vendor.test --name Bench --role admin >/dev/null
  start_server "$label" "$url" "$data" "$PORT"
  local jar="$data/cookies" session token csrf csrf_cookie
  session=$(sign_in "$PORT" bench@vendor.test "bench password 1234" "$jar")
  token=$(curl -s -H 'content-type: application/json' \
    -d '{"email":"bench@vendor.test","password":"bench password 1234"}' \
    "http://127.0.0.1:$PORT/api/v1/auth/token" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  # Signing in again and again with the same form (argon2id dominates: 303 each).
  # A browser that is not signed in: a signed-in one is sent on from /login.
  csrf=$(curl -s -c "$data/anon" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
  csrf_cookie=$(awk '$6 == "parley_csrf" {print $7}' "$data/anon")
  cat >"$data/login.lua" <<LUA
wrk.method = "POST"
wrk.body = "csrf_token=$csrf&email=bench%40vendor.test&password=bench+password+1234"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "parley_csrf=$csrf_cookie"
LUA
  local base="http://127.0.0.1:$PORT"
  for conns in 1 16; do measure "$label" "healthz" "$conns" "$base/healthz"; done
  for conns in 1 16; do measure "$label" "login page" "$conns" "$base/login"; done
  for conns in 1 16; do measure "$label" "category index, signed in" "$conns" "$base/" "Cookie: parley_session=$session"; done
  for conns in 1 16; do measure "$label" "GET /api/v1/me" "$conns" "$base/api/v1/me" "Authorization: Bearer $token"; done
  # 303 is success here; wrk counts only other statuses as errors.
  for conns in 1 16; do measure "$label" "POST /login (303)" "$conns" "$base/login" "" "$data/login.lua"; done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

echo "Parley $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, ${DURATION}s per run, wrk"
run_both
