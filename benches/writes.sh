#!/usr/bin/env bash
# Replies through the API on PostgreSQL, and where their cost goes: imports a synthetic
# forum of POSTS posts (default 1,000,000) into a fresh database once, then runs 16 API
# writers for SECONDS (default 10), ROUNDS times (default 2). With PARLEY_BENCH_BIN_B
# set, each round runs the binary of PARLEY_BENCH_BIN (default the release build) and
# then that one, on the same database, so two builds are compared in the same minutes.
# Each run prints the replies a second, p99, the processor time per reply of the
# server and of PostgreSQL's processes (from /proc), and, when the server has
# pg_stat_statements loaded, the statements per reply. Usage:
#   benches/writes.sh [POSTS] [SECONDS] [ROUNDS]
# Needs: cargo build --release, wrk, curl, python3, psql, PostgreSQL on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS="${1:-1000000}"
DURATION="${2:-10}"
ROUNDS="${3:-2}"
PORT=18091
source "$(dirname "$0")/lib.sh"
bench_setup
BIN_A="$BIN"
BIN_B="${PARLEY_BENCH_BIN_B:-}"

python3 benches/gen_forum.py "$POSTS" 2000 >"$work/forum.jsonl"
topics=$(grep -c '"type": "topic"' "$work/forum.jsonl")
# The replies of benches/forum.sh.
sed -n '/^cat >"\$work\/reply.lua"/,/^LUA/p' benches/forum.sh | sed '1d;$d' >"$work/reply.lua"

pg_db="parley_writes_$$"
psql "$PG_ADMIN" -qc "CREATE DATABASE $pg_db" >/dev/null
url="${PG_ADMIN%/*}/$pg_db"
data="$work/data"
mkdir -p "$data"
export PARLEY_DATA_DIR="$data" DATABASE_URL="$url" PARLEY_LOG=error
"$BIN_A" import "$work/forum.jsonl" | tail -n 1 >&2
"$BIN_A" reindex >/dev/null
echo "bench password 1234" | "$BIN_A" user create --email bench@vendor.test --name Bench --role staff >/dev/null
# Statements are counted only when the server loads pg_stat_statements
# (shared_preload_libraries); otherwise that column shows "-".
statements=""
if psql "$url" -Atc "SHOW shared_preload_libraries" | grep -q pg_stat_statements &&
  psql "$url" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null 2>&1; then
  statements=1
fi

# pg_ticks: processor time of every PostgreSQL process so far, in clock ticks.
pg_ticks() {
  local p
  for p in $(pgrep -x postgres); do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true; done |
    awk '{s += $1} END {print s + 0}'
}

one_run() {
  local bin=$1
  BIN="$bin" start_server "writes" "$url" "$data" "$PORT"
  local base="http://127.0.0.1:$PORT" token out n before after pg_before pg_after per
  token=$(curl -s -H 'content-type: application/json' \
    -d '{"email":"bench@vendor.test","password":"bench password 1234"}' \
    "$base/api/v1/auth/token" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [ -n "$statements" ] && psql "$url" -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
  before=$(server_cpu_ticks)
  pg_before=$(pg_ticks)
  out=$(TOPICS=$topics TOKEN=$token wrk -t2 -c16 -d"${DURATION}s" --latency -s "$work/reply.lua" "$base/")
  after=$(server_cpu_ticks)
  pg_after=$(pg_ticks)
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  if [ "${n:-0}" -eq 0 ]; then
    echo "| $(basename "$bin") | no reply answered; see $data/server.log | | | | | |"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    return 0
  fi
  per="-"
  [ -n "$statements" ] && per=$(psql "$url" -Atc "SELECT round(sum(calls)::numeric / $n, 1) FROM pg_stat_statements")
  per=${per:--}
  awk -v name="$(basename "$bin")" -v n="$n" -v t="$((after - before))" -v p="$((pg_after - pg_before))" \
    -v hz="$(getconf CLK_TCK)" -v per="$per" \
    -v rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    -v p99="$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    -v errors="$(awk '/Non-2xx/ {print $5}' <<<"$out")" \
    'BEGIN {printf "| %s | %s | %s | %.2f ms | %.2f ms | %s | %s |\n", name, rps, p99,
      t * 1000 / hz / n, p * 1000 / hz / n, per, (errors == "" ? 0 : errors)}'
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

echo "Parley $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $POSTS posts, 16 API writers, ${DURATION}s per run"
echo "| binary | replies/s | p99 | server CPU per reply | PostgreSQL CPU per reply | statements per reply | non-2xx |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for _ in $(seq 1 "$ROUNDS"); do
  one_run "$BIN_A"
  if [ -n "$BIN_B" ]; then one_run "$BIN_B"; fi
done
