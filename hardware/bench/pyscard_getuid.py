"""Baseline for `loyalty-devtools bench`: GET UID round trips through pyscard.

usage: /usr/bin/python3 pyscard_getuid.py READER ITERATIONS WARMUP
Prints one latency in nanoseconds per line, and its peak RSS on stderr.
"""
import sys
import time

from smartcard.System import readers


def main() -> int:
    name, iterations, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    matches = [r for r in readers() if str(r) == name]
    if not matches:
        print(f"no reader named {name!r}", file=sys.stderr)
        return 1
    connection = matches[0].createConnection()
    connection.connect()
    command = [0xFF, 0xCA, 0x00, 0x00, 0x00]
    latencies = []
    for i in range(-warmup, iterations):
        start = time.perf_counter_ns()
        _, sw1, _ = connection.transmit(command)
        end = time.perf_counter_ns()
        if sw1 != 0x90:
            print(f"exchange {i} failed: SW1 {sw1:02X}", file=sys.stderr)
            return 1
        if i >= 0:
            latencies.append(end - start)
    connection.disconnect()
    sys.stdout.write("\n".join(str(x) for x in latencies) + "\n")
    # VmHWM, not ru_maxrss: on Linux ru_maxrss carries over from the parent across fork+exec.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                print(f"maxrss_kib {line.split()[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
