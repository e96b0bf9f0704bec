"""Ack latency against throughput for in-flight windows and linger.ms, on a
real broker (Tansu from scripts/brokers.sh, or DUALSTREAM_BROKERS). Run
through `scripts/bench.sh window`. Each row is `publish --redis off` of the
same file to a fresh topic; rows are interleaved, RUNS times; medians.
"""

import json
import os
import statistics
import subprocess
import sys
import time

DS = os.environ.get("DS", "target/release/dualstream")
RUNS = int(os.environ.get("RUNS", "3"))
EVENTS = int(os.environ.get("EVENTS", "50000"))
WINDOWS = [int(w) for w in os.environ.get("WINDOWS", "20000,5000,2000,1000,500").split(",")]
LINGERS = os.environ.get("LINGERS", "5,0").split(",")
HEADERS = os.environ.get("HEADERS", "no") == "yes"
RUN_ID = str(int(time.time()))
sys.path.insert(0, os.path.dirname(__file__))
from mock import event  # noqa: E402  (the same 324-byte events)


def main():
    path = f"/tmp/dualstream-bench-window-{EVENTS}.ndjson"
    if not os.path.exists(path) or os.path.getsize(path) != EVENTS * 325:
        with open(path, "w") as f:
            for i in range(EVENTS):
                f.write(event(i) + "\n")
    rows = [(w, linger) for linger in LINGERS for w in WINDOWS]
    results = {r: [] for r in rows}
    n = 0
    for _ in range(RUNS):
        for w, linger in rows:
            n += 1
            topic = f"window-{RUN_ID}-{n}"
            args = [DS, "--topic", topic, "-X", f"linger.ms={linger}", "publish", "--redis", "off",
                    "--summary", "json", "--create-topic", "--partitions", "3", "--max-in-flight", str(w), path]
            if not HEADERS:
                args.append("--no-headers")
            out = subprocess.run(args, capture_output=True, text=True)
            s = json.loads([l for l in out.stderr.splitlines() if l.startswith("{")][-1])
            if out.returncode != 0 or s["acknowledged"] != EVENTS:
                raise SystemExit(f"{' '.join(args)}: exit {out.returncode}: {out.stderr[-1500:]}")
            results[(w, linger)].append((s["events_per_s"], s["ack_latency_ms"]["p50"], s["ack_latency_ms"]["p99"]))
    print(f"\npublish --redis off{'' if HEADERS else ' --no-headers'}, {EVENTS} events of 324 B, "
          f"3 partitions, {os.environ.get('DUALSTREAM_BROKERS')}; median of {RUNS} interleaved runs")
    print("| --max-in-flight | linger.ms | events/s | ack p50 ms | ack p99 ms |")
    print("|---|---|---|---|---|")
    for w, linger in rows:
        r = results[(w, linger)]
        med = lambda i: statistics.median(x[i] for x in r)  # noqa: E731
        print(f"| {w} | {linger} | {med(0):,.0f} | {med(1):.1f} | {med(2):.1f} |")


if __name__ == "__main__":
    sys.exit(main())
