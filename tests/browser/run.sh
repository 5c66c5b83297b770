#!/usr/bin/env bash
# Parley's browser suite: every flow in headless Chromium (Debian's package, never a
# downloaded browser), with axe-core, a phone-width pass and error checks on every page.
#
#   tests/browser/run.sh                 build target/debug/parley if missing or older
#                                        than the sources, then run every *.test.js
#   tests/browser/run.sh --build         always run `cargo build --bin parley` first
#   tests/browser/run.sh --no-build      use the binary as it is
#   tests/browser/run.sh portal.test.js  run some files only
#
# Environment: PARLEY_BIN (binary to test), CHROMIUM_PATH (default /usr/bin/chromium),
# PARLEY_TEST_LOG (a log filter; shows the servers' logs), PARLEY_TEST_KEEP=1 (keep the
# scratch data directories), BROWSER_STEP_TIMEOUT_MS (per action, default 15000).
# Works unattended (CI=true, no terminal) as root; exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="${HOME:-/root}/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export DEBIAN_FRONTEND=noninteractive

build=auto
files=()
for arg in "$@"; do
  case "$arg" in
    --build) build=yes ;;
    --no-build) build=no ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
    *) files+=("$arg") ;;
  esac
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "== installing chromium with apt-get"
  as_root apt-get update
  # Fonts matter: layout width and colour contrast are measured on rendered text.
  as_root apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-liberation
  if [ ! -x "$chromium" ]; then
    echo "run.sh: $chromium is still missing after installing chromium" >&2
    exit 2
  fi
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "run.sh: Node.js 20 or later with npm is needed" >&2
  exit 2
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "run.sh: Node.js 20 or later is needed, found $(node --version)" >&2
  exit 2
fi

cd "$here"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi

bin="${PARLEY_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/parley}"
if [ "$build" = auto ]; then
  if [ -n "${PARLEY_BIN:-}" ]; then
    build=no
  elif [ ! -x "$bin" ]; then
    build=yes
  elif [ -n "$(cd "$root" && find src templates migrations search-index/src Cargo.toml Cargo.lock build.rs \
      -newer "$bin" -type f -print -quit 2>/dev/null)" ]; then
    echo "== sources are newer than $bin"
    build=yes
  else
    build=no
  fi
fi
if [ "$build" = yes ]; then
  echo "== cargo build --bin parley"
  (cd "$root" && cargo build --bin parley)
fi
if [ ! -x "$bin" ]; then
  echo "run.sh: $bin is missing" >&2
  exit 2
fi
export PARLEY_BIN="$bin"

if [ "${#files[@]}" -eq 0 ]; then
  files=(accounts.test.js forum.test.js portal.test.js releases.test.js status.test.js details.test.js support.test.js screenshots.test.js)
fi

echo "== node --test ${files[*]}"
start=$(date +%s)
status=0
# One file at a time: each starts its own server and browser, and the machine may have
# only two cores. TAP output ends with the "# pass N" and "# fail N" lines.
node --test --test-concurrency=1 --test-reporter=tap "${files[@]}" || status=$?
echo "== browser suite took $(( $(date +%s) - start )) s, exit status $status"
exit "$status"
