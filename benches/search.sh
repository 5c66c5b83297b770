#!/usr/bin/env bash
# Search at size: imports a synthetic forum of POSTS posts (default 1,000,000), builds
# the index with `parley reindex` (throughput, size), then measures /api/v1/search and
# /api/v1/search/suggest through HTTP with wrk at 1 and 16 connections, and beside
# them PostgreSQL full-text search (tsvector column, GIN index, ts_rank, top 20) on the
# same posts and the same queries with pgbench. Usage:
#   benches/search.sh [POSTS] [SECONDS per run, default 10]
# With PARLEY_EMBEDDING_MODEL set (embedding/fetch-model.sh), reindex also embeds every
# thread and the server compares meaning too; every query is then asked once, so that
# each pays for its encoding as a new question typed would. SEARCH_BENCH_PG=0 skips the
# PostgreSQL comparison. SEARCH_BENCH_DATA=DIR keeps the imported and indexed data in
# DIR, and a later run with the same DIR starts from a copy of it (the PostgreSQL
# comparison then needs the forum file, so it is skipped).
# Needs: cargo build --release, wrk, curl, python3; psql and pgbench for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS="${1:-1000000}"
DURATION="${2:-10}"
PORT=18091
source "$(dirname "$0")/lib.sh"
bench_setup

echo "Parley $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $POSTS posts, ${DURATION}s per run"
data="$work/sqlite"
if [ -n "${SEARCH_BENCH_DATA:-}" ] && [ -f "$SEARCH_BENCH_DATA/parley.db" ]; then
  # A data directory kept from an earlier run of the same size (copied, so that this
  # run changes nothing in it): no import, no reindex.
  cp -a "$SEARCH_BENCH_DATA" "$data"
  export PARLEY_DATA_DIR="$data" DATABASE_URL="sqlite://$data/parley.db" PARLEY_LOG=error
  echo "data from $SEARCH_BENCH_DATA"
else
  python3 benches/gen_forum.py "$POSTS" 2000 >"$work/forum.jsonl"
  mkdir -p "$data"
  export PARLEY_DATA_DIR="$data" DATABASE_URL="sqlite://$data/parley.db" PARLEY_LOG=error
  "$BIN" import "$work/forum.jsonl" | tail -n 1
  echo "reindex: $("$BIN" reindex | tail -n 1)"
  echo "bench password 1234" | "$BIN" user create --email bench@customer1.test --name Bench --role member >/dev/null
  [ -n "${SEARCH_BENCH_DATA:-}" ] && { rm -rf "$SEARCH_BENCH_DATA"; cp -a "$data" "$SEARCH_BENCH_DATA"; }
fi

# The queries: words and pairs taken from random posts, codes and versions, and a few
# misspelled words; suggestions: the start of real titles, the last word cut short.
python3 - "$data/parley.db" "$work" <<'PY'
import random, re, sqlite3, sys, urllib.parse
db, work = sys.argv[1], sys.argv[2]
rng = random.Random(7)
con = sqlite3.connect(db)
bodies = [r[0] for r in con.execute("SELECT body_markdown FROM posts ORDER BY random() LIMIT 4000")]
titles = [r[0] for r in con.execute("SELECT title FROM topics ORDER BY random() LIMIT 5000")]
queries = []
for b in bodies:
    words = [w for w in re.findall(r"[a-z]{4,}", b.lower())]
    if len(words) < 2:
        continue
    n = rng.choice([1, 1, 2, 2, 3])
    queries.append(" ".join(rng.sample(words, min(n, len(words)))))
# 180 from posts, then codes, versions, product pairs and misspellings (two letters
# swapped in single words), so that every kind of query is in the first 200; then more
# from posts, all different, for runs where a query is asked once.
typos = [q[:2] + q[3] + q[2] + q[4:] for q in queries if len(q) > 5 and " " not in q][:14]
rest = list(dict.fromkeys(queries[180:]))
queries = queries[:180] + ["ERR-1042", "0x80004005", "HTTP 502", "4.2.1", "backup timeout", "proxy ssl"] + typos
queries = list(dict.fromkeys(queries[:200] + rest))[:4000]
with open(f"{work}/queries.txt", "w") as f:
    f.write("\n".join(queries) + "\n")
with open(f"{work}/search.paths", "w") as f:
    for q in queries:
        f.write("/api/v1/search?q=" + urllib.parse.quote(q) + "\n")
with open(f"{work}/suggest.paths", "w") as f:
    seen = set()
    for t in titles:
        words = t.split()[: rng.randint(1, 3)]
        words[-1] = words[-1][: max(2, len(words[-1]) - 2)]
        q = " ".join(words)
        if q not in seen:
            seen.add(q)
            f.write("/api/v1/search/suggest?q=" + urllib.parse.quote(q) + "\n")
PY
# Each run starts at its own place in the list (START, a fraction of it) and wrk's two
# threads a quarter apart, so that with meaning no query is asked twice in the runs.
cat >"$work/paths.lua" <<'LUA'
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local i = 0
function init(args)
  i = math.floor(#paths * (tonumber(os.getenv("START") or "0") + (id or 0) / 4))
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA

start_server sqlite "$DATABASE_URL" "$data" "$PORT"
session=$(sign_in "$PORT" bench@customer1.test "bench password 1234" "$data/cookies")
cookie="Cookie: parley_session=$session"
base="http://127.0.0.1:$PORT"
curl -sf -H "$cookie" "$base/api/v1/search?q=backup" >/dev/null || { echo "search does not answer" >&2; exit 1; }
if [ -n "${PARLEY_EMBEDDING_MODEL:-}" ]; then
  started=$(date +%s)
  until curl -sf "$base/readyz" | grep -q '"state":"ready"'; do sleep 1; done
  echo "meaning: ready $(( $(date +%s) - started )) s after the server answered; $(curl -s "$base/readyz" | grep -o '"threads":[0-9]*')"
  echo "server RSS before the runs: $(rss_parts "$server_pid")"
fi
echo "$(wc -l <"$work/search.paths") search and $(wc -l <"$work/suggest.paths") suggest queries, each different"

# The processor time of each part of a query (`parley_search_cpu_seconds_total` and
# `parley_search_calls_total` on /metrics, docs/SEARCH.md), as "part seconds calls".
search_parts() {
  curl -s "$base/metrics" | awk -F'[{}"= ]+' '
    /^parley_search_cpu_seconds_total/ {cpu[$3] = $4}
    /^parley_search_calls_total/ {calls[$3] = $4}
    END {for (p in cpu) print p, cpu[p], calls[p]}'
}
# measure_parts NAME CONNS PATHS: a measure run of the paths in PATHS, then a line of
# what each part of the queries cost on the server, per request, into $work/parts.
measure_parts() {
  local name=$1 conns=$2 paths=$3
  search_parts >"$work/parts.before"
  PATHS_FILE="$paths" measure parley "$name" "$conns" "$base/" "$cookie" "$work/paths.lua"
  search_parts >"$work/parts.after"
  awk -v n="$requests" -v name="$name" -v conns="$conns" '
    NR == FNR {cpu[$1] = $2; calls[$1] = $3; next}
    {d[$1] = $2 - cpu[$1]; c[$1] = $3 - calls[$1]}
    END {
      if (n == 0) exit
      line = sprintf("- %s, %d conns, server CPU per request by part:", name, conns)
      split("posts words meaning", order, " ")
      for (i = 1; i <= 3; i++) if (c[order[i]] > 0)
        line = line sprintf(" %s %.2f ms (%.2f a request),", order[i], 1000 * d[order[i]] / n, c[order[i]] / n)
      if (c["encode"] > 0)
        line = line sprintf(" encoding %.2f ms, %.2f ms for each of the %d questions encoded", 1000 * d["encode"] / n, 1000 * d["encode"] / c["encode"], c["encode"])
      else
        line = line " no question encoded"
      print line
    }' "$work/parts.before" "$work/parts.after" >>"$work/parts"
}

: >"$work/parts"
echo "| engine | request | conns | req/s | p50 | p99 | non-2xx | server CPU per request |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for conns in 1 16; do
  start=$([ "$conns" = 1 ] && echo 0 || echo 0.5)
  measure parley "healthz (ceiling)" "$conns" "$base/healthz"
  START=$start measure_parts "search" "$conns" "$work/search.paths"
  START=$start measure_parts "suggest" "$conns" "$work/suggest.paths"
done
if [ -n "${PARLEY_EMBEDDING_MODEL:-}" ]; then
  # 500 of the searches again, each asked once more first: the question's vector is
  # then in memory (as when a search is sent after its words were typed and suggested),
  # so these rows are search without encoding.
  head -n 500 "$work/search.paths" >"$work/asked.paths"
  while read -r path; do curl -s -o /dev/null -H "$cookie" "$base$path"; done <"$work/asked.paths"
  for conns in 1 16; do
    START=0 measure_parts "search, asked before" "$conns" "$work/asked.paths"
  done
fi
echo
cat "$work/parts"
echo "server RSS after the runs: $(rss_parts "$server_pid")"
echo "mapped files resident after the runs: $(rss_by_file "$server_pid")"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

[ "${SEARCH_BENCH_PG:-1}" = 0 ] || [ ! -f "$work/forum.jsonl" ] && exit 0
if ! { command -v pgbench >/dev/null && psql "$PG_ADMIN" -qc 'SELECT 1' >/dev/null 2>&1; }; then
  echo "(PostgreSQL or pgbench not reachable: the full-text comparison is skipped)"
  exit 0
fi
pg_db="parley_search_bench_$$"
psql "$PG_ADMIN" -qc "CREATE DATABASE $pg_db" >/dev/null
pg_url="${PG_ADMIN%/*}/$pg_db"
DATABASE_URL="$pg_url" "$BIN" import "$work/forum.jsonl" >/dev/null
started=$(date +%s.%N)
psql "$pg_url" -q <<'SQL'
ALTER TABLE posts ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body_markdown)) STORED;
CREATE INDEX posts_tsv_idx ON posts USING gin (tsv);
CREATE TABLE bench_queries (id int PRIMARY KEY, q text NOT NULL);
VACUUM ANALYZE posts;
SQL
ended=$(date +%s.%N)
awk '{printf "%d\t%s\n", NR, $0}' "$work/queries.txt" | psql "$pg_url" -qc "\\copy bench_queries FROM STDIN"
nq=$(wc -l <"$work/queries.txt")
echo "postgres: tsvector column and GIN index built in $(awk -v a="$started" -v b="$ended" 'BEGIN {printf "%.0f", b - a}') s; size $(psql "$pg_url" -Atc "SELECT pg_size_pretty(pg_relation_size('posts_tsv_idx'))") (index) beside the table"
cat >"$work/fts.sql" <<'SQL'
\set n random(1, :nq)
SELECT p.id FROM posts p, (SELECT plainto_tsquery('english', q) AS tq FROM bench_queries WHERE id = :n) x
WHERE p.tsv @@ x.tq ORDER BY ts_rank(p.tsv, x.tq) DESC LIMIT 20;
SQL
for conns in 1 16; do
  rm -f "$work"/pglog*
  out=$(cd "$work" && pgbench -n -D nq="$nq" -c "$conns" -j "$conns" -T "$DURATION" -f fts.sql -l --log-prefix=pglog "$pg_url" 2>/dev/null)
  tps=$(awk '/^tps/ {printf "%.2f", $3}' <<<"$out")
  cat "$work"/pglog* | awk '{print $3}' | sort -n >"$work/lat.txt"
  n=$(wc -l <"$work/lat.txt")
  p50=$(awk -v n="$n" 'NR == int(n * 0.50) + 1 {printf "%.2fms", $1 / 1000}' "$work/lat.txt")
  p99=$(awk -v n="$n" 'NR == int(n * 0.99) + 1 {printf "%.2fms", $1 / 1000}' "$work/lat.txt")
  printf '| %-10s | %-24s | %3s | %10s | %8s | %8s | %s |\n' "postgres" "FTS ts_rank top 20 (SQL)" "$conns" "$tps" "$p50" "$p99" "-"
done
