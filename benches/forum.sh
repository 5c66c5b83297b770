#!/usr/bin/env bash
# The forum at size: imports a synthetic forum of POSTS posts (default 1,000,000) into
# fresh SQLite and PostgreSQL databases, then measures the category index, a topic list
# and a topic page with 50 replies (as staff, and as a member), beside /healthz in the
# same run, with wrk at 1 and 64 connections. Usage:
#   benches/forum.sh [POSTS] [SECONDS per run, default 10]
# Needs: cargo build --release, wrk, curl, python3; psql for the PostgreSQL part.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS="${1:-1000000}"
DURATION="${2:-10}"
PORT=18090
source "$(dirname "$0")/lib.sh"
bench_setup

data_file="$work/forum.jsonl"
python3 benches/gen_forum.py "$POSTS" 2000 >"$data_file"

run_backend() {
  local label=$1 url=$2
  local data="$work/$label"
  mkdir -p "$data"
  export PARLEY_DATA_DIR="$data" DATABASE_URL="$url" PARLEY_LOG=error
  local started ended
  started=$(date +%s.%N)
  "$BIN" import "$data_file" >"$data/import.log"
  ended=$(date +%s.%N)
  echo "$label: $(tail -n 1 "$data/import.log" | head -n 1) [$(awk -v a="$started" -v b="$ended" 'BEGIN {printf "%.0f", b - a}') s wall]" >&2
  # Build the search index now, so that the server does not build it while measured.
  "$BIN" reindex >/dev/null
  echo "bench password 1234" | "$BIN" user create --email bench@vendor.test --name Bench --role staff >/dev/null
  echo "reader password 1234" | "$BIN" user create --email reader@vendor.test --name Reader --role member >/dev/null
  start_server "$label" "$url" "$data" "$PORT"
  local session base="http://127.0.0.1:$PORT"
  session=$(sign_in "$PORT" bench@vendor.test "bench password 1234" "$data/cookies")
  local cookie="Cookie: parley_session=$session"
  local member
  member="Cookie: parley_session=$(sign_in "$PORT" reader@vendor.test "reader password 1234" "$data/member-cookies")"
  # The first topic of the synthetic forum has 60 replies: page 1 shows 50.
  local topic
  topic=$(curl -s -o /dev/null -w '%{redirect_url}' -H "$cookie" "$base/t/1" | sed 's|^http://[^/]*||')
  for conns in 1 64; do
    measure "$label" "healthz (ceiling)" "$conns" "$base/healthz"
    measure "$label" "category index" "$conns" "$base/" "$cookie"
    measure "$label" "topic list /c/questions" "$conns" "$base/c/questions" "$cookie"
    measure "$label" "topic page, 50 replies" "$conns" "$base$topic" "$cookie"
    measure "$label" "same, read by a member" "$conns" "$base$topic" "$member"
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

echo "Parley $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $POSTS posts, ${DURATION}s per run, wrk"
run_both
