"""The exactly-once copy beside the at-least-once one, on Apache Kafka: one
node or three (`scripts/bench.sh kafka copy`, `kafka3 copy`; the broker at
DUALSTREAM_BROKERS, BROKER_NODES of them).

COPY_EVENTS (200,000) records of `bench.sh mock` (324 B, key and three
headers) published once into a 3-partition topic; then each row copies the
whole topic into a fresh 3-partition target as a fresh group, a whole
process (start-up, the group join and init_transactions included), rows
interleaved RUNS times: `replay --group G --to-topic T` (at least once), and
`--exactly-once` with --txn-records TXN_SIZES (500,5000,50000). Every run
must copy every record.

Then the latency a read-committed reader sees: LAT_EVENTS records published
at LAT_RATE a second while an exactly-once copy (--follow, --txn-interval
500ms and 100ms) runs, read from the target by `replay --follow --envelope`
(read_committed, the default): for each copy, the time it printed it minus
the record's timestamp (the source's CreateTime, kept by the copy) — publish,
the copy and its transaction's commit, the reader's fetch.

  RUNS=3 COPY_EVENTS=200000 TXN_SIZES=500,5000,50000 LAT_RATE=1000 LAT_EVENTS=5000
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

from mock import timed
from replay import fill

DS = os.environ.get("DS", "target/release/dualstream")
RUNS = int(os.environ.get("RUNS", "3"))
EVENTS = int(os.environ.get("COPY_EVENTS", "200000"))
SIZES = [int(s) for s in os.environ.get("TXN_SIZES", "500,5000,50000").split(",")]
LAT_RATE = int(os.environ.get("LAT_RATE", "1000"))
LAT_EVENTS = int(os.environ.get("LAT_EVENTS", "5000"))
RUN_ID = str(int(time.time()))


def create(brokers, topic, nodes):
    rf = "3" if nodes > 1 else "1"
    out = subprocess.run([DS, "--brokers", brokers, "topic", "create", topic, "--partitions", "3",
                          "--replication-factor", rf], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"creating {topic}: {out.stderr[-2000:]}")


def copy_rows(brokers, nodes):
    source = f"bench-copy-src-{RUN_ID}"
    create(brokers, source, nodes)
    fill(brokers, source, EVENTS, False)
    rows = [("at least once", [])] + [(f"exactly once, --txn-records {n}", ["--exactly-once", "--txn-records", str(n)])
                                      for n in SIZES]
    rates = {name: [] for name, _ in rows}
    runs = 0
    for r in range(RUNS):
        for name, extra in rows:
            runs += 1
            target = f"bench-copy-dst-{RUN_ID}-{runs}"
            create(brokers, target, nodes)
            cmd = [DS, "--brokers", brokers, "--topic", source, "--redis", "off", "replay", "--group",
                   f"bench-copy-{RUN_ID}-{runs}", "--to-topic", target, "--summary", "json"] + extra
            wall, _rss, _out, err = timed(cmd)
            summary = json.loads([line for line in err.splitlines() if line.startswith("{")][-1])
            if summary["sent"] != EVENTS:
                raise SystemExit(f"{name}: copied {summary['sent']} of {EVENTS}:\n{err[-2000:]}")
            rates[name].append(EVENTS / wall)
    print(f"\nCopy of {EVENTS:,} records, {nodes} node(s), {RUNS} runs (whole processes):\n")
    print("| copy | records/s (median) | min-max | vs at least once |")
    print("|---|---|---|---|")
    base = statistics.median(rates["at least once"])
    for name, _ in rows:
        med = statistics.median(rates[name])
        print(f"| {name} | {med:,.0f} | {min(rates[name]) / 1000:.0f}k-{max(rates[name]) / 1000:.0f}k | {med / base:.2f}x |")


def latency(brokers, nodes, interval):
    source = f"bench-lat-src-{RUN_ID}-{interval}"
    target = f"bench-lat-dst-{RUN_ID}-{interval}"
    create(brokers, source, nodes)
    create(brokers, target, nodes)
    common = [DS, "--brokers", brokers, "--redis", "off"]
    copier = subprocess.Popen(common + ["--topic", source, "replay", "--group", f"bench-lat-{RUN_ID}-{interval}",
                                        "--to-topic", target, "--exactly-once", "--follow", "--txn-interval",
                                        interval], stderr=subprocess.DEVNULL)
    reader = subprocess.Popen(common + ["--topic", target, "replay", "--follow", "--envelope", "--count",
                                        str(LAT_EVENTS)], stdout=subprocess.PIPE, text=True)
    seen = []

    def read():
        for line in reader.stdout:
            seen.append(time.time() * 1000 - json.loads(line)["timestamp"])

    t = threading.Thread(target=read)
    t.start()
    time.sleep(3)
    publisher = subprocess.Popen(common + ["--topic", source, "publish"],
                                 stdin=subprocess.PIPE, text=True, stderr=subprocess.DEVNULL)
    # Paced: a hundredth of a second's records every 10 ms.
    per_tick = max(1, LAT_RATE // 100)
    started = time.monotonic()
    for i in range(LAT_EVENTS):
        publisher.stdin.write(json.dumps({"id": f"l{i}", "type": "t", "source_type": "s", "source_id": f"k{i % 12}"}) + "\n")
        if (i + 1) % per_tick == 0:
            publisher.stdin.flush()
            wait = started + (i + 1) / LAT_RATE - time.monotonic()
            if wait > 0:
                time.sleep(wait)
    publisher.stdin.close()
    publisher.wait()
    t.join(timeout=120)
    copier.terminate()
    copier.wait()
    reader.kill()
    if len(seen) < LAT_EVENTS:
        raise SystemExit(f"latency: {len(seen)} of {LAT_EVENTS} copies seen")
    seen.sort()
    q = lambda p: seen[min(len(seen) - 1, int(p * len(seen)))]
    return q(0.5), q(0.99), seen[-1]


def main():
    brokers = os.environ["DUALSTREAM_BROKERS"]
    nodes = int(os.environ.get("BROKER_NODES", "1"))
    copy_rows(brokers, nodes)
    print(f"\nRead-committed end-to-end latency, {LAT_EVENTS:,} records at {LAT_RATE}/s, {nodes} node(s):\n")
    print("| --txn-interval | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    for interval in ["500ms", "100ms"]:
        p50, p99, top = latency(brokers, nodes, interval)
        print(f"| {interval} | {p50:.0f} | {p99:.0f} | {top:.0f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
