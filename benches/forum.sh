#!/usr/bin/env bash
# The forum and the support portal at size: imports a synthetic forum of POSTS posts
# (default 1,000,000) into fresh SQLite and PostgreSQL databases, files TICKETS tickets
# (default POSTS / 100, at least 200) through the API, then measures every page a visit
# passes through, beside /healthz in the same run, with wrk at 1 and 64 connections:
# the category index, a topic list, a topic page with 50 replies (as staff and as a
# member), the ticket list and the dashboard (as staff and as a customer's contact) and
# a ticket page. Then 16 writers reply through the API (markdown, notifications, the
# outboxes, indexing) for SECONDS, while the server's resident memory is sampled every
# half second, and again once the writes have stopped. Usage:
#   benches/forum.sh [POSTS] [SECONDS per run, default 10]
# BENCH_BACKENDS=sqlite (or postgres) runs one backend only.
# Needs: cargo build --release, wrk, curl, python3; psql for the PostgreSQL part.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS="${1:-1000000}"
DURATION="${2:-10}"
TICKETS="${TICKETS:-$(( POSTS / 100 > 200 ? POSTS / 100 : 200 ))}"
PORT=18090
source "$(dirname "$0")/lib.sh"
bench_setup

data_file="$work/forum.jsonl"
python3 benches/gen_forum.py "$POSTS" 2000 >"$data_file"

# Replies through the API, each to a random topic of the forum, with markdown.
cat >"$work/reply.lua" <<'LUA'
local topics = tonumber(os.getenv("TOPICS"))
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
request = function()
  n = n + 1
  local body = '{"body":"Same here on **4.2.1**: the `agent` stops after the backup.\\n\\n' ..
    '- restart the worker\\n- clear the cache\\n\\n```\\nparley restart --all\\n```\\n' ..
    'Reply ' .. n .. ' from ' .. tostring(math.random(1, 1000000)) .. '."}'
  return wrk.format(nil, "/api/v1/topics/" .. math.random(1, topics) .. "/posts", nil, body)
end
LUA

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
  echo "contact password 1234" | "$BIN" user create --email contact@customer1.test --name Contact \
    --role member --org "Customer 1" --authorized-contact >/dev/null
  start_server "$label" "$url" "$data" "$PORT"
  local base="http://127.0.0.1:$PORT"
  local staff member contact token
  staff="Cookie: parley_session=$(sign_in "$PORT" bench@vendor.test "bench password 1234" "$data/cookies")"
  member="Cookie: parley_session=$(sign_in "$PORT" reader@vendor.test "reader password 1234" "$data/member-cookies")"
  contact="Cookie: parley_session=$(sign_in "$PORT" contact@customer1.test "contact password 1234" "$data/contact-cookies")"
  token=$(curl -s -H 'content-type: application/json' \
    -d '{"email":"bench@vendor.test","password":"bench password 1234"}' \
    "$base/api/v1/auth/token" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  # Tickets for the 50 customers, filed by staff, a fifth of them answered.
  python3 - "$base" "$token" "$TICKETS" <<'PY'
import http.client, json, sys, urllib.parse
base, token, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
def call(method, path, body):
    conn.request(method, path, json.dumps(body), headers)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {data[:200]!r}")
    return json.loads(data or b"null")
for i in range(total):
    filed = call("POST", "/api/v1/tickets", {
        "organization_id": i % 50 + 1, "priority": ["normal", "high", "normal"][i % 3],
        "subject": f"Backup agent stops after upgrade, case {i}",
        "description": "After the upgrade to **4.2.1** the backup agent stops every night.\n\n```\nERR-1042 timeout\n```"})
    if i % 5 == 0:
        tid = filed["ticket"]["id"]
        call("POST", f"/api/v1/tickets/{tid}/notes", {"body": "Thanks, we are looking at the logs now."})
PY
  # The first topic of the synthetic forum has 60 replies: page 1 shows 50.
  local topic topics
  topic=$(curl -s -o /dev/null -w '%{redirect_url}' -H "$staff" "$base/t/1" | sed 's|^http://[^/]*||')
  topics=$(grep -c '"type": "topic"' "$data_file")
  for conns in 1 64; do
    measure "$label" "healthz (ceiling)" "$conns" "$base/healthz"
    measure "$label" "category index" "$conns" "$base/" "$staff"
    measure "$label" "topic list /c/questions" "$conns" "$base/c/questions" "$staff"
    measure "$label" "same, read by a member" "$conns" "$base/c/questions" "$member"
    measure "$label" "topic page, 50 replies" "$conns" "$base$topic" "$staff"
    measure "$label" "same, read by a member" "$conns" "$base$topic" "$member"
    measure "$label" "ticket list, staff" "$conns" "$base/portal/tickets" "$staff"
    measure "$label" "ticket list, contact" "$conns" "$base/portal/tickets" "$contact"
    measure "$label" "dashboard, staff" "$conns" "$base/portal" "$staff"
    measure "$label" "dashboard, contact" "$conns" "$base/portal" "$contact"
    measure "$label" "ticket page, staff" "$conns" "$base/portal/tickets/1" "$staff"
  done
  echo "$label: RSS after the reads $(rss_parts "$server_pid")" >&2
  # Writes, with the memory sampled while they run and after.
  ( while kill -0 "$server_pid" 2>/dev/null; do rss_mib "$server_pid"; sleep 0.5; done ) >"$data/rss" 2>/dev/null &
  local sampler=$!
  TOPICS=$topics TOKEN=$token measure "$label" "API reply, 16 writers" 16 "$base/" "" "$work/reply.lua"
  local during
  during=$(sort -n "$data/rss" | tail -n 1)
  sleep 10
  echo "$label: RSS during the writes at most $during MiB; 10 s after them $(rss_parts "$server_pid")" >&2
  kill "$sampler" 2>/dev/null || true
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  # What the server logged at level error (an answer that was not 2xx says why here).
  if [ -s "$data/server.log" ]; then
    echo "$label: the server logged $(wc -l <"$data/server.log") lines; the last 20:" >&2
    tail -n 20 "$data/server.log" >&2
  fi
}

echo "Parley $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $POSTS posts, $TICKETS tickets, ${DURATION}s per run, wrk"
run_both | tee "$work/rows"
# Each request's rate as a share of /healthz's at the same connections, same backend.
echo
echo "| database | request | conns | share of healthz |"
echo "| --- | --- | --- | --- |"
awk -F'|' '$3 ~ /healthz/ {ceiling[$2 $4] = $5 + 0}
  $3 !~ /healthz|request|---/ && NF > 6 && ceiling[$2 $4] > 0 {
    printf "| %s | %s | %s | %.0f %% |\n", $2, $3, $4, 100 * $5 / ceiling[$2 $4]}' "$work/rows" | tr -s ' '

