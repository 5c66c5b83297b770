# Helpers shared by the bench scripts (sourced, not run).

# bench_setup: the release binary (PARLEY_BENCH_BIN names another, to compare two
# builds on the same data), wrk, PG_ADMIN, a work directory ($work) and a trap
# that stops the server ($server_pid), drops the PostgreSQL database ($pg_db) and
# removes the work directory on exit.
bench_setup() {
  BIN="${PARLEY_BENCH_BIN:-target/release/parley}"
  PG_ADMIN="${PARLEY_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  [ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
  command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
  work=$(mktemp -d)
  server_pid=""
  pg_db=""
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$pg_db" ] && psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}

# start_server LABEL DATABASE_URL DATA_DIR PORT: serves in the background; sets server_pid.
start_server() {
  local data=$3 port=$4
  PARLEY_DATA_DIR="$data" DATABASE_URL="$2" PARLEY_BIND="127.0.0.1:$port" PARLEY_RATE_LIMITS=off \
    PARLEY_LOG=error PARLEY_DB_POOL_SIZE="${PARLEY_BENCH_POOL:-16}" "$BIN" serve >"$data/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.2; done
  echo "the server did not start; see $data/server.log" >&2
  return 1
}

# sign_in PORT EMAIL PASSWORD JAR: signs in as a browser would; prints the session cookie.
sign_in() {
  local port=$1 email=$2 password=$3 jar=$4 csrf
  csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "http://127.0.0.1:$port/login"
  awk '$6 == "parley_session" {print $7}' "$jar"
}

# rss_mib PID: the process's resident memory now.
rss_mib() { echo $(( $(awk '/VmRSS/ {print $2}' "/proc/$1/status") / 1024 )); }
# rss_parts PID: the same, split into memory of its own and mapped files (the search
# index, the database and the binary; shared memory counts with them).
rss_parts() {
  awk '/RssAnon/ {a = $2} /RssFile/ {f = $2} /RssShmem/ {s = $2}
       END {printf "%d MiB: %d of its own, %d of mapped files", (a + f + s) / 1024, a / 1024, (f + s) / 1024}' "/proc/$1/status"
}

# rss_by_file PID: the mapped files' part of it by file, largest first (those of 1 MiB
# or more; the search index's files by kind, `.store` or `.idx`, whatever their segment).
rss_by_file() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / {f = (NF >= 6 ? substr($0, index($0, "/")) : ""); sub(/ \(deleted\)$/, "", f)}
       /^Rss:/ && f ~ /^\// {n = f; sub(/.*\//, "", n); if (match(n, /^[0-9a-f]+\./) && RLENGTH == 33) n = substr(n, 33); r[n] += $2}
       END {for (k in r) if (r[k] >= 1024) printf "%d %s\n", r[k] / 1024, k}' "/proc/$1/smaps" |
    sort -rn | awk '{printf "%s%s %d MiB", (NR > 1 ? ", " : ""), $2, $1}'
}

# server_cpu_ticks: the server's processor time so far (user and system), in clock ticks.
server_cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$server_pid/stat" 2>/dev/null || echo 0
}

# measure LABEL NAME CONNS URL [HEADER] [SCRIPT]: one wrk run, one table row; the last
# column is the server's processor time per answered request (from /proc, so wrk's own
# time is not in it). Sets `requests` to the run's count for the caller.
measure() {
  local label=$1 name=$2 conns=$3 url=$4 header=${5:-} script=${6:-}
  local threads=$(( conns < 2 ? 1 : 2 ))
  local args=(-t"$threads" -c"$conns" -d"${DURATION}s" --latency)
  [ -n "$header" ] && args+=(-H "$header")
  [ -n "$script" ] && args+=(-s "$script")
  local out rps p50 p99 errors before after cpu
  before=$(server_cpu_ticks)
  out=$(wrk "${args[@]}" "$url")
  after=$(server_cpu_ticks)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t="$((after - before))" -v n="${requests:-0}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (n > 0) printf "%.2f ms", t * 1000 / hz / n; else print "-" }')
  printf '| %-10s | %-24s | %3s | %10s | %8s | %8s | %s | %s |\n' "$label" "$name" "$conns" "$rps" "$p50" "$p99" "${errors:-0}" "$cpu"
}

# run_both: prints the table header, then calls run_backend on SQLite and, when
# PG_ADMIN answers, on a fresh PostgreSQL database (dropped by the caller's cleanup via
# pg_db). BENCH_BACKENDS (a list: sqlite, postgres) picks only some.
run_both() {
  echo "| database   | request                  | conns | req/s | p50 | p99 | non-2xx | server CPU per request |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  local only="${BENCH_BACKENDS:-sqlite postgres}"
  [[ " $only " == *" sqlite "* ]] && run_backend sqlite "sqlite://$work/sqlite/parley.db"
  [[ " $only " == *" postgres "* ]] || return 0
  if command -v psql >/dev/null && psql "$PG_ADMIN" -qc 'SELECT 1' >/dev/null 2>&1; then
    pg_db="parley_bench_$$"
    psql "$PG_ADMIN" -qc "CREATE DATABASE $pg_db" >/dev/null
    run_backend postgres "${PG_ADMIN%/*}/$pg_db"
  else
    echo "(PostgreSQL not reachable at $PG_ADMIN: skipped)"
  fi
}
