"""Ack latency of `publish` on a real broker (DUALSTREAM_BROKERS: Apache Kafka,
one node or three), at full speed and at a steady rate. Run through
`scripts/bench.sh kafka acks` or `kafka3 acks`.

Each row is one `publish --summary json` into a new 3-partition topic of the
324 B events of `bench.sh mock` (key and three headers): at full speed from a
file of ACK_EVENTS (100,000) events, or from a feeder (this script with
--feed, a process of its own) writing PACED_EVENTS (1000) events into
publish's stdin at RATE (200) a second. p50/p99 are publish's own (the
`ack_latency_ms` of its summary: send to delivery report, per event).
`--redis off` and dual (a real redis-server of the bench's own); rows
interleaved, RUNS times, medians and each run's p99.

  RUNS=3 ACK_EVENTS=100000 PACED_EVENTS=1000 RATE=200
"""

import json
import os
import statistics
import subprocess
import sys
import time

from mock import SIZE, event, free_port

DS = os.environ.get("DS", "target/release/dualstream")
RUNS = int(os.environ.get("RUNS", "3"))
ACK_EVENTS = int(os.environ.get("ACK_EVENTS", "100000"))
PACED_EVENTS = int(os.environ.get("PACED_EVENTS", "1000"))
RATE = float(os.environ.get("RATE", "200"))
RUN_ID = str(int(time.time()))


def feed(n, rate):
    """Write n events to stdout, the i-th at start + i / rate."""
    out = sys.stdout
    start = time.monotonic()
    for i in range(n):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        out.write(event(i) + "\n")
        out.flush()


def one(brokers, topic, redis, paced, path):
    # A cluster just started may not list all its brokers yet: retry the creation a little, then say why.
    for attempt in range(6):
        made = subprocess.run([DS, "--brokers", brokers, "--topic", topic, "--redis", "off", "publish",
                               "--create-topic", "--partitions", "3", "/dev/null"], capture_output=True, text=True)
        if made.returncode == 0:
            break
        print(f"acks: creating {topic} (attempt {attempt + 1}): exit {made.returncode}: "
              f"{made.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        time.sleep(5)
    else:
        raise SystemExit(f"creating {topic}: exit {made.returncode}: {made.stderr[-1500:]}")
    args = [DS, "--brokers", brokers, "--topic", topic, "--redis", redis, "publish", "--summary", "json"]
    want = PACED_EVENTS if paced else ACK_EVENTS
    if paced:
        feeder = subprocess.Popen([sys.executable, __file__, "--feed", str(PACED_EVENTS), str(RATE)],
                                  stdout=subprocess.PIPE)
        out = subprocess.run(args + ["-"], stdin=feeder.stdout, capture_output=True, text=True)
        feeder.stdout.close()
        feeder.wait()
    else:
        out = subprocess.run(args + [path], capture_output=True, text=True)
    summaries = [line for line in out.stderr.splitlines() if line.startswith("{")]
    s = json.loads(summaries[-1]) if summaries else {}
    if out.returncode != 0 or s.get("acknowledged") != want:
        raise SystemExit(f"{' '.join(args)}: exit {out.returncode}: {out.stderr[-1500:]}")
    return s["events_per_s"], s["ack_latency_ms"]["p50"], s["ack_latency_ms"]["p99"]


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--feed":
        return feed(int(sys.argv[2]), float(sys.argv[3]))
    brokers = os.environ.get("DUALSTREAM_BROKERS")
    if not brokers:
        raise SystemExit("acks.py needs DUALSTREAM_BROKERS")
    path = f"/tmp/dualstream-bench-mock-{ACK_EVENTS}.ndjson"
    if not os.path.exists(path) or os.path.getsize(path) != ACK_EVENTS * (SIZE + 1):
        with open(path, "w") as f:
            for i in range(ACK_EVENTS):
                f.write(event(i) + "\n")
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        url = f"redis://127.0.0.1:{port}"
        rows = [("full speed", "--redis off", False, "off"), ("full speed", "dual (Kafka + Redis)", False, url),
                (f"{RATE:g}/s", "--redis off", True, "off"), (f"{RATE:g}/s", "dual (Kafka + Redis)", True, url)]
        results = {r: [] for r in rows}
        for run in range(RUNS):
            for i, row in enumerate(rows):  # interleaved: drift on a shared machine hits every row alike
                _, _, paced, target = row
                results[row].append(one(brokers, f"acks-{RUN_ID}-{run}-{i}", target, paced, path))
    finally:
        redis.terminate()
        redis.wait()
    nodes = int(os.environ.get("BROKER_NODES", "1"))
    print(f"\npublish ack latency, Apache Kafka {nodes} node(s) at {brokers} (3 partitions, RF {min(3, nodes)}), "
          f"324 B events with key and 3 headers, acks=all + idempotence; {ACK_EVENTS} events at full speed from a "
          f"file, {PACED_EVENTS} at {RATE:g}/s from a paced stdin; median of {RUNS} interleaved runs")
    print("| rate | publish | events/s | ack p50 ms | ack p99 ms | each run's p99 |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        rate, name, _, _ = row
        r = results[row]
        med = lambda i: statistics.median(x[i] for x in r)  # noqa: E731
        each = ", ".join(f"{x[2]:.1f}" for x in r)
        print(f"| {rate} | {name} | {med(0):,.0f} | {med(1):.1f} | {med(2):.1f} | {each} |")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
