#!/usr/bin/env bash
# Reader fault campaign on the real PC/SC stack (pcscd + vpcd):
#   hardware/reader-campaign.sh [RESTARTS] [PULLS]      (defaults 50 and 50)
# Runs `loyalty-terminal watch --json` throughout. RESTARTS times: pcscd is SIGKILLed and started
# again, then a card is tapped — each tap must be identified. PULLS times: a loyalty applet card
# is pulled away at its 1st or 2nd command (SELECT or READ BINARY) — each must be refused, never
# crash the loop. Ends with SIGINT to watch (exit 0 expected) and prints a one-line summary.
set -euo pipefail
cd "$(dirname "$0")/.."
restarts=${1:-50}
pulls=${2:-50}
if pgrep -x pcscd >/dev/null; then echo "reader campaign: stop the running pcscd first" >&2; exit 2; fi
swift build --product loyalty-terminal >/dev/null 2>&1
bin=.build/debug/loyalty-terminal
work=$(mktemp -d /tmp/reader-campaign.XXXXXX)
pcscd_pid=""
start_pcscd() {
  rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
  pcscd --foreground >>"$work/pcscd.log" 2>&1 &
  pcscd_pid=$!
  for _ in $(seq 100); do  # vpcd's port accepts once pcscd has loaded it
    (exec 3<>/dev/tcp/127.0.0.1/35963) 2>/dev/null && return 0
    sleep 0.05
  done
  echo "reader campaign: pcscd did not come up" >&2; return 1
}
cleanup() {
  [ -n "${watch_pid:-}" ] && kill "$watch_pid" 2>/dev/null || true
  [ -n "$pcscd_pid" ] && kill -9 "$pcscd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
start_pcscd
"$bin" watch --json >"$work/taps.jsonl" 2>"$work/watch.err" &
watch_pid=$!
sleep 1
tap() { "$bin" sim card --kind "$1" --id "$2" --hold 0.6 "${@:3}" >/dev/null 2>&1 || true; sleep 0.3; }
count() { grep -c "$1" "$work/taps.jsonl" || true; }
started=$SECONDS
for i in $(seq "$restarts"); do
  kill -9 "$pcscd_pid"; wait "$pcscd_pid" 2>/dev/null || true
  start_pcscd
  sleep 1.5  # watch notices the loss, backs off and re-establishes (≤ 2 s back-off)
  tap uid "$(printf '04%012X' "$i")"
done
identified=$(count '"id":"04')
for i in $(seq "$pulls"); do
  # A loyalty applet card: SELECT, then READ BINARY; pulled at one or the other.
  tap applet 6280001234567895 --pull-on-command $((1 + RANDOM % 2))
  sleep 2.2  # vpcd answers a pulled card with an empty response; pcscd notices it gone ~2 s later
done
refused=$(count '"error"')
kill -INT "$watch_pid"
status=0
wait "$watch_pid" || status=$?
watch_pid=""
echo "campaign reader: $restarts pcscd kills+restarts, $identified/$restarts taps after them identified; $pulls applet cards pulled at their 1st or 2nd command, $refused/$pulls refused; watch exited $status; $((SECONDS - started)) s"
[ "$identified" -eq "$restarts" ] && [ "$status" -eq 0 ] && [ "$refused" -eq "$pulls" ]
