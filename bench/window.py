"""Ack latency against throughput on a real broker (Tansu from
scripts/brokers.sh, or DUALSTREAM_BROKERS), for in-flight windows,
linger.ms, compression codecs, and optionally another build. Run through
`scripts/bench.sh window`. Each row is `publish --redis off` of the same
file to a fresh 3-partition topic; rows are interleaved, RUNS times; medians.

  WINDOWS=20000,2000  LINGERS=5,0  CODECS=none,zstd  HEADERS=yes|no  DS_BASE=path

`window.py mock` (`scripts/bench.sh window-mock`) runs the same rows on
librdkafka's mock cluster inside each publish (3 brokers, acks=all and
idempotence, as `bench/mock.py`): the client at full speed, no broker as
the limit. WINDOWS are `--max-in-flight` values (the default is 40000).
"""

import json
import os
import statistics
import subprocess
import sys
import time

DS = os.environ.get("DS", "target/release/dualstream")
BASE = os.environ.get("DS_BASE")
RUNS = int(os.environ.get("RUNS", "3"))
EVENTS = int(os.environ.get("EVENTS", "50000"))
WINDOWS = os.environ.get("WINDOWS", "20000").split(",")
LINGERS = os.environ.get("LINGERS", "default").split(",")
CODECS = os.environ.get("CODECS", "").split(",")
HEADERS = os.environ.get("HEADERS", "no") == "yes"
RUN_ID = str(int(time.time()))
MOCK = sys.argv[1:] == ["mock"]
sys.path.insert(0, os.path.dirname(__file__))
from mock import event  # noqa: E402  (the same 324-byte events)


def main():
    path = f"/tmp/dualstream-bench-window-{EVENTS}.ndjson"
    if not os.path.exists(path) or os.path.getsize(path) != EVENTS * 325:
        with open(path, "w") as f:
            for i in range(EVENTS):
                f.write(event(i) + "\n")
    builds = [("", DS)] + ([("before: ", BASE)] if BASE else [])
    rows = [(label, binary, w, linger, codec) for label, binary in builds for linger in LINGERS
            for w in WINDOWS for codec in CODECS]
    results = {r: [] for r in rows}
    n = 0
    for _ in range(RUNS):
        for row in rows:  # interleaved: drift on a shared machine hits every row alike
            label, binary, w, linger, codec = row
            n += 1
            linger_x = [] if linger == "default" else ["-X", f"linger.ms={linger}"]
            if MOCK:
                target = ["-X", "test.mock.num.brokers=3", "-X", "acks=all", "-X", "enable.idempotence=true"]
                create = []
            else:
                target, create = [], ["--create-topic", "--partitions", "3"]
            args = [binary, "--topic", f"window-{RUN_ID}-{n}"] + target + linger_x + ["publish", "--redis",
                    "off", "--summary", "json"] + create + ["--max-in-flight", w, path]
            if codec:
                args += ["--compression", codec]
            if not HEADERS:
                args.append("--no-headers")
            out = subprocess.run(args, capture_output=True, text=True)
            summaries = [line for line in out.stderr.splitlines() if line.startswith("{")]
            s = json.loads(summaries[-1]) if summaries else {}
            if out.returncode != 0 or s.get("acknowledged") != EVENTS:
                raise SystemExit(f"{' '.join(args)}: exit {out.returncode}: {out.stderr[-1500:]}")
            results[row].append((s["events_per_s"], s["ack_latency_ms"]["p50"], s["ack_latency_ms"]["p99"]))
    print(f"\npublish --redis off{'' if HEADERS else ' --no-headers'}, {EVENTS} events of 324 B, 3 partitions, "
          f"{'mock cluster' if MOCK else os.environ.get('DUALSTREAM_BROKERS')}; median of {RUNS} interleaved runs")
    print("| build | --max-in-flight | linger.ms | --compression | events/s | ack p50 ms | ack p99 ms | "
          "each run's p99 |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        label, _, w, linger, codec = row
        r = results[row]
        med = lambda i: statistics.median(x[i] for x in r)  # noqa: E731
        print(f"| {label.rstrip(': ') or 'this'} | {w} | {linger} | {codec or '-'} | {med(0):,.0f} | "
              f"{med(1):.1f} | {med(2):.1f} | {', '.join(f'{x[2]:.1f}' for x in r)} |")


if __name__ == "__main__":
    sys.exit(main())
