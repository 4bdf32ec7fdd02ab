#!/usr/bin/env bash
# Runs the reader-layer benchmark end to end: starts pcscd (vpcd's readers), runs
# `loyalty-devtools bench` in release mode, stops pcscd. Arguments go to `bench`.
# LOYALTY_BENCH_BUILD=debug uses the debug build instead (CI: proves the benchmarks still run
# without a second, release build; its figures mean nothing).
set -euo pipefail
cd "$(dirname "$0")/../.."
for p in pcscd libpcsclite-dev vsmartcard-vpcd python3-pyscard gcc sqlite3; do
  dpkg -s "$p" >/dev/null 2>&1 || { echo "bench: installing $p"; apt-get install -y -qq "$p" >/dev/null; }
done
if pgrep -x pcscd >/dev/null; then
  echo "bench: stop the running pcscd first (pkill -x pcscd)" >&2
  exit 2
fi
rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
pcscd --foreground >/tmp/bench-pcscd.log 2>&1 &
PCSCD=$!
trap 'kill $PCSCD 2>/dev/null || true; wait $PCSCD 2>/dev/null || true' EXIT
config=${LOYALTY_BENCH_BUILD:-release}
swift build -c "$config" --product loyalty-terminal >/dev/null
swift build -c "$config" --product loyalty-hq >/dev/null
swift build -c "$config" --product loyalty-devtools >/dev/null
".build/$config/loyalty-devtools" bench "$@"
