#!/bin/bash
# An operator's night replayed (issue 21): three terminals over loyalty-hq serve, a backup, a lost
# ledger restored, a wrong-year expiry refused, and the status output. `swift build`, then
# `sim/operator-night.sh [DIR]` (a new directory by default; the transcript on stdout).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${LOYALTY_BIN:-$ROOT/.build/debug}   # after `swift build`
L=$BIN/loyalty-terminal
H=$BIN/loyalty-hq
D=${1:-$(mktemp -d /tmp/operator-night.XXXXXX)}; mkdir -p $D; cd $D
run() { local shown="${*/#$L/loyalty-terminal}"; shown="${shown/#$H/loyalty-hq}"; echo "\$ $shown"; "$@" 2>&1 | sed "s|$D/||g"; echo "  (exit ${PIPESTATUS[0]})"; }
$H ledger keygen --out hq.key >/dev/null
$H ledger init --ledger ledger.jsonl --hq-key hq.key --at 2026-12-02T08:00:00Z >/dev/null
for t in T01 T02 T03; do
  K=$($L keygen --out $t.key | awk '{print $3}')
  $H ledger register-terminal $t --public-key "$K" --ledger ledger.jsonl --hq-key hq.key --at 2026-12-02T08:00:00Z >/dev/null
done
$H ledger publish-program $ROOT/sim/program.json --ledger ledger.jsonl --hq-key hq.key --at 2026-12-02T08:00:00Z >/dev/null
serve() { $H serve --ledger ledger.jsonl --hq-key hq.key --listen 127.0.0.1:0 --log-level warning > serve.out 2> serve.err & PID=$!
  for i in $(seq 50); do grep -q "listening on" serve.out 2>/dev/null && break; sleep 0.1; done
  URL=$(grep -o "http://[0-9.:]*" serve.out | head -1); echo "# hq serve listening on $URL (pid $PID)"; }
sync() { run $L sync --cache $1.db --hq $URL --terminal $1 --key $1.key --at $2; }
serve
for t in T01 T02 T03; do sync $t 2026-12-03T07:00:00Z >/dev/null; done
echo "## Day 1 (2026-12-03): sales at T01 and T02, the night's syncs, the backup"
$L enroll 6280001234567895 --cache T01.db --terminal T01 --at 2026-12-03T10:00:00Z
$L earn 6280001234567895 --line fresh:4000 --cache T01.db --terminal T01 --at 2026-12-03T10:01:00Z
$L enroll 6280000000000016 --cache T02.db --terminal T02 --at 2026-12-03T11:00:00Z
$L earn 6280000000000016 --line fuel:6000 --cache T02.db --terminal T02 --at 2026-12-03T11:01:00Z
for t in T01 T02 T03; do sync $t 2026-12-03T23:00:00Z; done
run $H ledger backup --ledger ledger.jsonl --to $D/backup-2026-12-03 --at 2026-12-03T23:30:00Z
echo "## Day 2 (2026-12-04): more sales, a redemption at T03 paid by points earned after the backup"
$L earn 6280001234567895 --line fresh:5000 --cache T01.db --terminal T01 --at 2026-12-04T09:00:00Z
for t in T01 T02 T03; do sync $t 2026-12-04T12:00:00Z >/dev/null; done
$L redeem 6280001234567895 coffee --cache T03.db --terminal T03 --at 2026-12-04T15:00:00Z
$L earn 6280000000000016 --line fresh:1500 --cache T02.db --terminal T02 --at 2026-12-04T16:00:00Z
for t in T03 T02; do sync $t 2026-12-04T23:00:00Z; done
run $H ledger account --card 6280001234567895 --ledger ledger.jsonl --at 2026-12-05T00:00:00Z
echo "## 2026-12-05 early: HQ's disk is lost; the operator restores last night's backup"
run $H ledger restore --from $D/backup-2026-12-03 --ledger ledger.jsonl --hq-key hq.key --at 2026-12-05T01:00:00Z
kill $PID; wait $PID 2>/dev/null
run $H ledger restore --from $D/backup-2026-12-03 --ledger ledger.jsonl --hq-key hq.key --at 2026-12-05T01:00:00Z --dry-run
run $H ledger restore --from $D/backup-2026-12-03 --ledger ledger.jsonl --hq-key hq.key --at 2026-12-05T01:00:00Z
serve
echo "## The next syncs: each counter goes back and sends again what HQ lost"
for t in T03 T02 T01; do sync $t 2026-12-05T02:00:00Z; done
for t in T03 T02 T01; do sync $t 2026-12-05T02:30:00Z; done
echo "## A wrong-year expiry, refused"
run $H ledger expire --as-of 2027-12-05T00:00:00Z --ledger ledger.jsonl --hq-key hq.key --at 2026-12-05T03:00:00Z
echo "## Status, verification, the account at HQ and at every counter"
run $H ledger status --ledger ledger.jsonl --at 2026-12-05T03:00:00Z
run $H ledger verify --ledger ledger.jsonl
run $H ledger account --card 6280001234567895 --ledger ledger.jsonl --at 2026-12-05T03:00:00Z
for t in T01 T02 T03; do run $L identify 6280001234567895 --cache $t.db --at 2026-12-05T03:00:00Z; done
kill $PID; wait $PID 2>/dev/null
# Every counter equal to HQ after the restore, or exit 1.
hq=$($H ledger account --card 6280001234567895 --ledger ledger.jsonl --json | grep -o '"balance" *: *-\{0,1\}[0-9]*' | head -1 | grep -o -- '-\{0,1\}[0-9]*$')
for t in T01 T02 T03; do
  seen=$($L identify 6280001234567895 --cache $t.db --json | grep -o '"balance" *: *-\{0,1\}[0-9]*' | head -1 | grep -o -- '-\{0,1\}[0-9]*$')
  [ "$seen" = "$hq" ] || { echo "operator night: $t shows $seen points, HQ $hq" >&2; exit 1; }
done
echo "operator night: after the restore every counter shows HQ's $hq points"
