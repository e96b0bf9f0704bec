"""End-to-end latency at a steady rate: an event handed to `publish` (written
to its stdin) until `tail` prints its notification, on Tansu and Redis
(scripts/brokers.sh, or DUALSTREAM_BROKERS/DUALSTREAM_REDIS). Run through
`scripts/bench.sh e2e`.

Each side is a process of its own: the feeder (this script with --feed)
writes events at RATE a second and records when it wrote each; tail writes
its JSON lines (with received_at) to a file. Nothing else runs in the
feeder, so its timestamps are taken right at the write.

  RATE=200 EVENTS=1000 RUNS=3 DS_BASE=path
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

DS = os.environ.get("DS", "target/release/dualstream")
BASE = os.environ.get("DS_BASE")
RUNS = int(os.environ.get("RUNS", "3"))
RATE = float(os.environ.get("RATE", "200"))
EVENTS = int(os.environ.get("EVENTS", "1000"))


def feed(out):
    sent = {}
    start = time.monotonic()
    for i in range(EVENTS):
        delay = start + i / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        line = json.dumps({"id": f"e{i}", "type": "push", "source_type": "repo", "source_id": f"r{i % 100}",
                           "n": i}, separators=(",", ":")) + "\n"
        stamp = time.time()
        sys.stdout.write(line)
        sys.stdout.flush()
        sent[f"e{i}"] = stamp
    with open(out, "w") as f:
        json.dump(sent, f)


def one(binary, topic, tmp):
    subprocess.run([binary, "--topic", topic, "--redis", "off", "publish", "--create-topic", "--partitions", "3",
                    "/dev/null"], capture_output=True, check=True)
    printed, sent = os.path.join(tmp, f"{topic}.tail"), os.path.join(tmp, f"{topic}.sent")
    with open(printed, "w") as out:
        tail = subprocess.Popen([binary, "--topic", topic, "tail", "events:repo:*", "--format", "json", "--count",
                                 str(EVENTS), "--timeout", "120s"], stdout=out, stderr=subprocess.PIPE, text=True)
        if "subscribed" not in tail.stderr.readline():
            raise SystemExit("tail did not subscribe")
        feeder = subprocess.Popen([sys.executable, __file__, "--feed", sent], stdout=subprocess.PIPE)
        pub = subprocess.run([binary, "--topic", topic, "publish", "--summary", "json"], stdin=feeder.stdout,
                             capture_output=True, text=True)
        feeder.wait()
        tail.wait()
    ack = json.loads([line for line in pub.stderr.splitlines() if line.startswith("{")][-1])["ack_latency_ms"]
    with open(sent) as f:
        stamps = json.load(f)
    lat = []
    with open(printed) as f:
        for line in f:
            m = json.loads(line)
            at = datetime.fromisoformat(m["received_at"].replace("Z", "+00:00")).timestamp()
            lat.append((at - stamps[m["payload"]["id"]]) * 1000)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]  # noqa: E731
    return ack["p50"], ack["p99"], q(0.5), q(0.99), len(lat)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--feed":
        return feed(sys.argv[2])
    builds = [("this", DS)] + ([("before", BASE)] if BASE else [])
    results = {name: [] for name, _ in builds}
    run_id = str(int(time.time()))
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(RUNS):
            for name, binary in builds:  # interleaved
                results[name].append(one(binary, f"e2e-{run_id}-{r}-{name}", tmp))
    print(f"\n{EVENTS} events at {RATE:.0f}/s, Tansu {os.environ.get('DUALSTREAM_BROKERS')}, "
          f"Redis {os.environ.get('DUALSTREAM_REDIS')}; median of {RUNS} interleaved runs (each run's p99 in brackets)")
    print("| build | Kafka ack p50 ms | ack p99 ms | handed to publish -> printed by tail p50 ms | p99 ms | printed |")
    print("|---|---|---|---|---|---|")
    for name, _ in builds:
        r = results[name]
        med = lambda i: statistics.median(x[i] for x in r)  # noqa: E731
        runs = ", ".join(f"{x[3]:.1f}" for x in r)
        print(f"| {name} | {med(0):.1f} | {med(1):.1f} | {med(2):.1f} | {med(3):.1f} [{runs}] | "
              f"{min(x[4] for x in r)} |")


if __name__ == "__main__":
    sys.exit(main())
