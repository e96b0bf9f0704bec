"""End-to-end latency at a steady rate: an event handed to `publish` (written
to its stdin) until `tail` prints its notification, on Tansu and Redis
(scripts/brokers.sh, or DUALSTREAM_BROKERS/DUALSTREAM_REDIS). Run through
`scripts/bench.sh e2e`.

Each side is a process of its own: the feeder (this script with --feed)
writes events at RATE a second and records when it wrote each; a thread
here stamps each of tail's JSON lines as it comes out of tail's stdout
(tail's own received_at has only millisecond resolution). Nothing else runs
in the feeder, so its timestamps are taken right at the write.

  RATE=200 EVENTS=1000 RUNS=3 DS_BASE=path
  RATES=200,max MAX_EVENTS=50000   # also with the feeder writing as fast as publish takes them

At full speed ("max") the stamp is taken when the write into publish's stdin
returns, so the time a line waits for room in the pipe is not counted.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

DS = os.environ.get("DS", "target/release/dualstream")
BASE = os.environ.get("DS_BASE")
RUNS = int(os.environ.get("RUNS", "3"))
RATES = os.environ.get("RATES", os.environ.get("RATE", "200")).split(",")
EVENTS = int(os.environ.get("EVENTS", "1000"))
MAX_EVENTS = int(os.environ.get("MAX_EVENTS", "50000"))


def feed(out, rate):
    sent = {}
    start = time.monotonic()
    full = rate == "max"
    for i in range(MAX_EVENTS if full else EVENTS):
        delay = 0 if full else start + i / float(rate) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        line = json.dumps({"id": f"e{i}", "type": "push", "source_type": "repo", "source_id": f"r{i % 100}",
                           "n": i}, separators=(",", ":")) + "\n"
        stamp = time.time()
        sys.stdout.write(line)
        sys.stdout.flush()
        sent[f"e{i}"] = time.time() if full else stamp
    with open(out, "w") as f:
        json.dump(sent, f)


def one(binary, topic, tmp, rate):
    events = MAX_EVENTS if rate == "max" else EVENTS
    subprocess.run([binary, "--topic", topic, "--redis", "off", "publish", "--create-topic", "--partitions", "3",
                    "/dev/null"], capture_output=True, check=True)
    sent = os.path.join(tmp, f"{topic}.sent")
    tail = subprocess.Popen([binary, "--topic", topic, "tail", "events:repo:*", "--format", "json", "--count",
                             str(events), "--timeout", "120s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    if "subscribed" not in tail.stderr.readline():
        raise SystemExit("tail did not subscribe")
    # "Printed" is when the line reaches this reader (tail flushes each line
    # it has nothing behind): received_at has only millisecond resolution.
    printed = []
    reader = threading.Thread(target=lambda: printed.extend((time.time(), line) for line in tail.stdout),
                              daemon=True)
    reader.start()
    feeder = subprocess.Popen([sys.executable, __file__, "--feed", sent, rate], stdout=subprocess.PIPE)
    pub = subprocess.run([binary, "--topic", topic, "publish", "--summary", "json"], stdin=feeder.stdout,
                         capture_output=True, text=True)
    feeder.wait()
    tail.wait()
    reader.join()
    ack = json.loads([line for line in pub.stderr.splitlines() if line.startswith("{")][-1])["ack_latency_ms"]
    with open(sent) as f:
        stamps = json.load(f)
    lat = [(at - stamps[json.loads(line)["payload"]["id"]]) * 1000 for at, line in printed]
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]  # noqa: E731
    rate_seen = len(lat) / (max(stamps.values()) - min(stamps.values()) or 1)
    return ack["p50"], ack["p99"], q(0.5), q(0.99), len(lat), rate_seen


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--feed":
        return feed(sys.argv[2], sys.argv[3])
    builds = [("this", DS)] + ([("before", BASE)] if BASE else [])
    results = {(rate, name): [] for rate in RATES for name, _ in builds}
    run_id = str(int(time.time()))
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(RUNS):
            for rate in RATES:
                for name, binary in builds:  # interleaved
                    topic = f"e2e-{run_id}-{r}-{rate}-{name}"
                    results[(rate, name)].append(one(binary, topic, tmp, rate))
    print(f"\nevent handed to publish -> printed by tail; Tansu {os.environ.get('DUALSTREAM_BROKERS')}, "
          f"Redis {os.environ.get('DUALSTREAM_REDIS')}; {EVENTS} events at a set rate, {MAX_EVENTS} at full speed "
          f"(max); median of {RUNS} interleaved runs (each run's p99 in brackets)")
    print("| rate | build | events/s fed | Kafka ack p50 ms | ack p99 ms | handed to publish -> printed by tail p50 ms "
          "| p99 ms | printed |")
    print("|---|---|---|---|---|---|---|---|")
    for rate in RATES:
        for name, _ in builds:
            r = results[(rate, name)]
            med = lambda i: statistics.median(x[i] for x in r)  # noqa: E731
            runs = ", ".join(f"{x[3]:.1f}" for x in r)
            print(f"| {rate} | {name} | {med(5):,.0f} | {med(0):.1f} | {med(1):.1f} | {med(2):.1f} | "
                  f"{med(3):.1f} [{runs}] | {min(x[4] for x in r)} |")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
