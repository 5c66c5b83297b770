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

run_backend() {
  local label=$1 url=$2
  local data="$work/$label"
  mkdir -p "$data"
  export PARLEY_DATA_DIR="$data" DATABASE_URL="$url" PARLEY_BIND="127.0.0.1:$PORT" \
    PARLEY_RATE_LIMITS=off PARLEY_LOG=error PARLEY_DB_POOL_SIZE=16
  echo "bench password 1234" | "$BIN" user create --email bench@vendor.test --name Bench --role admin >/dev/null
  "$BIN" serve >"$data/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  # Sign in as a browser would: the CSRF cookie and token, then the form.
  local jar="$data/cookies"
  local csrf
  csrf=$(curl -s -c "$jar" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "email=bench@vendor.test" --data-urlencode "password=bench password 1234" \
    "http://127.0.0.1:$PORT/login"
  local session
  session=$(awk '$6 == "parley_session" {print $7}' "$jar")
  local token
  token=$(curl -s -H 'content-type: application/json' \
    -d '{"email":"bench@vendor.test","password":"bench password 1234"}' \
    "http://127.0.0.1:$PORT/api/v1/auth/token" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')

  # Signing in again and again with the same form (argon2id dominates: 303 each).
  local csrf_cookie
  csrf_cookie=$(awk '$6 == "parley_csrf" {print $7}' "$jar")
  cat >"$data/login.lua" <<LUA
wrk.method = "POST"
wrk.body = "csrf_token=$csrf&email=bench%40vendor.test&password=bench+password+1234"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "parley_csrf=$csrf_cookie"
LUA

  for target in "healthz|/healthz||" "login page|/login||" "home, signed in|/|Cookie: parley_session=$session|" \
                "GET /api/v1/me|/api/v1/me|Authorization: Bearer $token|" "POST /login (303)|/login||$data/login.lua"; do
    IFS='|' read -r name path header script <<<"$target"
    for conns in 1 16; do
      local threads=$(( conns < 2 ? 1 : 2 ))
      local args=(-t"$threads" -c"$conns" -d"${DURATION}s" --latency)
      [ -n "$header" ] && args+=(-H "$header")
      [ -n "$script" ] && args+=(-s "$script")
      local out
      out=$(wrk "${args[@]}" "http://127.0.0.1:$PORT$path")
      local rps p50 p99 errors
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
      printf '| %-10s | %-18s | %3s | %10s | %8s | %8s | %s |\n' "$label" "$name" "$conns" "$rps" "$p50" "$p99" "${errors:-0}"
    done
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

echo "Parley $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, ${DURATION}s per run, wrk"
echo "| database   | request            | conns | req/s | p50 | p99 | non-2xx |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
run_backend sqlite "sqlite://$work/sqlite/parley.db"
if command -v psql >/dev/null && psql "$PG_ADMIN" -qc 'SELECT 1' >/dev/null 2>&1; then
  pg_db="parley_bench_$$"
  psql "$PG_ADMIN" -qc "CREATE DATABASE $pg_db" >/dev/null
  run_backend postgres "${PG_ADMIN%/*}/$pg_db"
else
  echo "(PostgreSQL not reachable at $PG_ADMIN: skipped)"
fi
