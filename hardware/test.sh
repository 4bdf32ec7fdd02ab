#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs the whole suite.
#
# Tests that need pcscd start their own (pcscd --foreground, with vpcd's two virtual readers) and
# stop it; this script only makes sure the packages are there and that nothing it did not start
# is left running afterwards. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools python3-pyscard hledger beancount)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if pgrep -x pcscd >/dev/null; then
  echo "test.sh: a pcscd is already running (pid $(pgrep -x pcscd | tr '\n' ' ')); the live tests" >&2
  echo "         start their own. Stop it first: sudo pkill -x pcscd" >&2
  exit 2
fi

# vpcd listens on ports 35963 and 35964, which sit inside Linux's ephemeral port range: while the
# network tests open hundreds of loopback connections, one of them can take such a port as its
# local port and a pcscd started then cannot open vpcd's. Keep the two ports out of the ephemeral
# range for the run (best effort: needs root), and put the setting back afterwards.
reserved_ports=/proc/sys/net/ipv4/ip_local_reserved_ports
reserved_before=""
if [ -w "$reserved_ports" ]; then
  reserved_before=$(cat "$reserved_ports")
  echo "35963-35964${reserved_before:+,$reserved_before}" > "$reserved_ports" 2>/dev/null || true
fi

cleanup() {
  # A test killed mid-way may leave its pcscd behind; stop it (none was running before).
  if pgrep -x pcscd >/dev/null; then pkill -x pcscd || true; fi
  if [ -w "$reserved_ports" ]; then echo "$reserved_before" > "$reserved_ports" 2>/dev/null || true; fi
}
trap cleanup EXIT

swift build --build-tests
# A hung test must fail the run, not hold CI for its whole budget.
if (($#)); then
  timeout --kill-after=30 1500 swift test "$@"
else
  # The live PC/SC suites on their own, after the rest: they wait on real pcscd polls, which a
  # machine busy with the chain simulations can miss (a card swapped within one poll).
  timeout --kill-after=30 1200 swift test --skip PCSCIntegrationTests
  timeout --kill-after=30 600 swift test --filter PCSCIntegrationTests
fi
