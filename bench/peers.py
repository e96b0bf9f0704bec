"""Dual publish against its two peers side by side (issue #29), on librdkafka's
mock cluster inside each process (3 brokers, acks=all, idempotence). Run
through `scripts/bench.sh peers`; `peers.py broker` (`scripts/bench.sh
peers-kafka`, `peers-kafka3`) runs the same rows against the Apache Kafka at
DUALSTREAM_BROKERS, BROKER_EVENTS events, each run into a new 3-partition
topic.

Rows, interleaved, RUNS times, each a whole process (or two) timed from outside:
- `rdkafka_performance -P` with the 3 headers, alone;
- the same and `redis-benchmark -n EVENTS -P PIPELINE -c 1 PUBLISH` into a
  real redis-server, started together: the time until both have exited;
- `dualstream publish` (Kafka + that Redis), and `--redis off`;
- with DS_BASE=path (another build, e.g. the commit before a change): the
  same two rows for it, interleaved with the others.
Printed: best and median events/s of each row, and the ratios the issue asks
for, dual ÷ the two peers side by side and `--redis off` ÷ the C tool alone,
of the best and of the median runs.
"""

import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from mock import (C_TARGET, DS, DS_TARGET, EVENTS, KAFKA, PERF, RUNS, SIZE, TANSU,  # noqa: E402
                  acknowledged, delivered_by_c_tool, event, free_port, timed)

BROKER = TANSU  # mock.py reads `broker` from the command line: the Kafka at DUALSTREAM_BROKERS

PIPELINE = os.environ.get("PIPELINE", "64")
BASE = os.environ.get("DS_BASE")


def side_by_side(perf, bench):
    """Both started at once; (wall seconds until both exited, C tool's stdout)."""
    started = time.monotonic()
    c = subprocess.Popen(perf, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    r = subprocess.Popen(bench, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    out, err = c.communicate()
    _, rerr = r.communicate()
    wall = time.monotonic() - started
    if c.returncode != 0 or r.returncode != 0:
        raise SystemExit(f"side by side: exits {c.returncode}, {r.returncode}: {err[-1000:]} {rerr[-1000:]}")
    return wall, out


def main():
    path = f"/tmp/dualstream-bench-mock-{EVENTS}.ndjson"
    if not os.path.exists(path) or os.path.getsize(path) != EVENTS * (SIZE + 1):
        with open(path, "w") as f:
            for i in range(EVENTS):
                f.write(event(i) + "\n")
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        run(path, port)
    finally:
        redis.terminate()
        redis.wait()


def run(path, port):
    headers = ["-H", "id=evt-000000001", "-H", "type=push", "-H", "source_type=repo"]
    perf = [PERF, "-P", "-t", "{topic}", "-s", str(SIZE), "-c", str(EVENTS), "-a", "-1", "-u"] + C_TARGET + KAFKA + headers
    # A notification of about the size publish sends for these events.
    bench = ["redis-benchmark", "-p", str(port), "-n", str(EVENTS), "-P", PIPELINE, "-c", "1", "-q",
             "PUBLISH", "events:push", "x" * 200]
    ds = [DS, "--topic", "{topic}"] + DS_TARGET + KAFKA + ["publish", "--summary", "json", path]
    names = ["rdkafka_performance -P (C, 3 headers) alone",
             f"rdkafka_performance -P and redis-benchmark -P {PIPELINE}, side by side",
             "dualstream publish (Kafka + real Redis)", "dualstream publish --redis off"]
    dual = [(names[2], ds, ["--redis", f"redis://127.0.0.1:{port}"]), (names[3], ds, ["--redis", "off"])]
    if BASE:
        base = [BASE] + ds[1:]
        names += [f"{n} (DS_BASE)" for n in names[2:4]]
        dual += [(names[4], base, dual[0][2]), (names[5], base, dual[1][2])]
    rates = {n: [] for n in names}
    runs = iter(range(10**6))

    def on_topic(cmd):
        """cmd aimed at its topic: "bench" on the mock cluster, a new 3-partition one on a broker."""
        topic = "bench"
        if BROKER:
            topic = f"bench-peers-{int(time.time())}-{next(runs)}"
            subprocess.run([DS, "--brokers", BROKER, "--topic", topic, "--redis", "off", "publish",
                            "--create-topic", "--partitions", "3", "/dev/null"], capture_output=True, check=True)
        return [a.replace("{topic}", topic) for a in cmd]

    for _ in range(RUNS):
        wall, _, out, _ = timed(on_topic(perf))
        if delivered_by_c_tool(out) != EVENTS:
            raise SystemExit("rdkafka_performance: not every record delivered")
        rates[names[0]].append(EVENTS / wall)
        wall, out = side_by_side(on_topic(perf), bench)
        if delivered_by_c_tool(out) != EVENTS:
            raise SystemExit("rdkafka_performance: not every record delivered")
        rates[names[1]].append(EVENTS / wall)
        for name, cmd, extra in dual:
            wall, _, _, err = timed(on_topic(cmd) + extra)
            if acknowledged(err) != EVENTS:
                raise SystemExit(f"{name}: not every event acknowledged")
            rates[name].append(EVENTS / wall)
    where = (f"Apache Kafka at {BROKER} ({os.environ.get('BROKER_NODES', '?')} node(s), a new 3-partition topic a run)"
             if BROKER else "librdkafka's mock cluster (3 brokers)")
    print(f"\n{EVENTS} events of {SIZE} B, {where}, acks=all + idempotence; "
          f"whole processes, {RUNS} interleaved runs")
    print("| command | best events/s | median events/s | min-max |")
    print("|---|---|---|---|")
    for n in names:
        r = rates[n]
        print(f"| {n} | {max(r):,.0f} | {statistics.median(r):,.0f} | {min(r) / 1000:.0f}k-{max(r) / 1000:.0f}k |")
    best = {n: max(r) for n, r in rates.items()}
    med = {n: statistics.median(r) for n, r in rates.items()}
    print("\n| ratio | of the best runs | of the medians |")
    print("|---|---|---|")
    print(f"| dual publish ÷ the two peers side by side | {best[names[2]] / best[names[1]]:.2f}x | "
          f"{med[names[2]] / med[names[1]]:.2f}x |")
    print(f"| --redis off ÷ rdkafka_performance alone | {best[names[3]] / best[names[0]]:.2f}x | "
          f"{med[names[3]] / med[names[0]]:.2f}x |")
    if BASE:
        print(f"| DS_BASE: dual publish ÷ the two peers side by side | {best[names[4]] / best[names[1]]:.2f}x | "
              f"{med[names[4]] / med[names[1]]:.2f}x |")
        print(f"| DS_BASE: --redis off ÷ rdkafka_performance alone | {best[names[5]] / best[names[0]]:.2f}x | "
              f"{med[names[5]] / med[names[0]]:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
