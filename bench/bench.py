"""Benchmarks for dualstream; run through scripts/bench.sh (brokers and build)."""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

DS = "target/release/dualstream"
RUNS = int(os.environ.get("RUNS", "3"))
EVENTS = int(os.environ.get("EVENTS", "100000"))
BROKERS = os.environ["DUALSTREAM_BROKERS"]
REDIS = os.environ["DUALSTREAM_REDIS"]
REDIS_PORT = str(urllib.parse.urlparse(REDIS).port or 6379)
RUN_ID = str(int(time.time()))


def event(i, now_ms=None):
    e = {"id": f"b{i}", "type": "push", "source_type": "repo", "source_id": f"r{i % 1000}", "n": i,
         "actor": "someone", "payload": {"commits": i % 7}}
    if now_ms is not None:
        e["time"] = now_ms
    return json.dumps(e, separators=(",", ":"))


def table(title, header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths))))


def summary(stderr):
    for line in reversed(stderr.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"no summary in: {stderr}")


def publish(topic, extra, path):
    create = [] if "test.mock.num.brokers=1" in extra else ["--create-topic", "--partitions", "3"]
    args = [DS, "--topic", topic, "publish", "--summary", "json", path] + create + extra
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {out.stderr}")
    return summary(out.stderr)


def bench_publish():
    path = f"/tmp/dualstream-bench-{EVENTS}.ndjson"
    with open(path, "w") as f:
        for i in range(EVENTS):
            f.write(event(i) + "\n")
    modes = [
        ("dual-stream (Kafka + Redis)", ["--redis", REDIS]),
        ("Kafka only (--redis off)", ["--redis", "off"]),
        ("Kafka only, --no-headers", ["--redis", "off", "--no-headers"]),
        ("mock cluster (no broker)", ["--redis", "off", "-X", "test.mock.num.brokers=1"]),
    ]
    rows = []
    for name, extra in modes:
        results = [publish(f"bench-{RUN_ID}-{len(rows)}-{r}", extra, path) for r in range(RUNS)]
        rate = statistics.median(r["events_per_s"] for r in results)
        p50 = statistics.median(r["ack_latency_ms"]["p50"] for r in results)
        p99 = statistics.median(r["ack_latency_ms"]["p99"] for r in results)
        acked = min(r["acknowledged"] for r in results)
        rows.append([name, f"{acked}", f"{rate:,.0f}", f"{p50:.0f}", f"{p99:.0f}"])
    table(f"publish {EVENTS} events ({os.path.getsize(path) // EVENTS} B each), median of {RUNS} runs",
          ["mode", "acked (min)", "events/s", "ack p50 ms", "ack p99 ms"], rows)
    return path


def bench_tail():
    n = EVENTS * 2
    rows = []
    for pipeline in (1, 16, 256):
        tail = subprocess.Popen([DS, "--redis", REDIS, "tail", "bench:*", "--format", "raw", "--count", str(n),
                                 "--timeout", "120s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_subscribed(tail)
        counted = []
        reader = threading.Thread(target=lambda: counted.append(sum(1 for _ in tail.stdout)))
        reader.start()
        started = time.monotonic()
        subprocess.run(["redis-benchmark", "-p", REDIS_PORT, "-n", str(n), "-c", "1", "-P", str(pipeline),
                               "-q", "PUBLISH", "bench:x", "0123456789abcdef0123456789abcdef"],
                              capture_output=True, text=True)
        sent = time.monotonic() - started
        reader.join()
        received = counted[0]
        tail.wait()
        done = time.monotonic() - started
        err = tail.stderr.read().decode()
        dropped = "dropped" in err or "lost" in err
        if err.strip():
            print(f"  (tail -P {pipeline}: {err.strip()})")
        rows.append([f"-P {pipeline}", f"{n / sent:,.0f}", f"{received}", f"{received / done:,.0f}",
                     "yes" if received == n and not dropped else "NO", tail.returncode])
    table(f"tail: {n} PUBLISHes from redis-benchmark (1 connection), tail --format raw > pipe",
          ["publisher", "sent/s", "received", "tail msgs/s", "kept up", "exit"], rows)


def wait_subscribed(proc):
    line = proc.stderr.readline().decode()
    if "subscribed" not in line:
        raise SystemExit(f"tail did not subscribe: {line}")


def bench_latency():
    rate, seconds = 200, 5
    n = rate * seconds
    topic = f"bench-{RUN_ID}-latency"
    subprocess.run([DS, "--topic", topic, "--redis", "off", "publish", "--create-topic", "--partitions", "3",
                    "/dev/null"], capture_output=True, check=True)
    tail = subprocess.Popen([DS, "--redis", REDIS, "--topic", topic, "tail", "events:repo:*", "--format", "json",
                             "--count", str(n), "--timeout", "60s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_subscribed(tail)
    pub = subprocess.Popen([DS, "--redis", REDIS, "--topic", topic, "publish", "--summary", "json"],
                           stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sent = {}

    def feed():
        start = time.monotonic()
        for i in range(n):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now = time.time() * 1000
            sent[f"b{i}"] = now
            pub.stdin.write(event(i, int(now)) + "\n")
            pub.stdin.flush()
        pub.stdin.close()

    feeder = threading.Thread(target=feed)
    feeder.start()
    latencies = []
    for line in tail.stdout:
        m = json.loads(line)
        latencies.append((parse_rfc3339_ms(m["received_at"]), m["payload"]["id"]))
    feeder.join()
    pub_summary = summary(pub.stderr.read())
    pub.wait()
    tail.wait()
    lat = sorted(received - sent[i] for received, i in latencies)
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    table(f"latency at {rate} events/s for {seconds}s",
          ["measure", "p50 ms", "p99 ms", "count"],
          [["Kafka ack (publish summary)", f"{pub_summary['ack_latency_ms']['p50']:.1f}",
            f"{pub_summary['ack_latency_ms']['p99']:.1f}", pub_summary["acknowledged"]],
           ["handed to publish -> printed by tail", f"{q(0.5):.1f}", f"{q(0.99):.1f}", len(lat)]])


def parse_rfc3339_ms(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def bench_replay(path):
    topic = f"bench-{RUN_ID}-0-0"
    rows = []
    for r in range(RUNS):
        started = time.monotonic()
        out = subprocess.run([DS, "--topic", topic, "replay", "--summary", "json"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, check=True)
        wall = time.monotonic() - started
        s = summary(out.stderr)
        rows.append((s["records"], s["records"] / wall))
    table(f"replay {topic} > /dev/null, median of {RUNS} runs (whole process)",
          ["records", "records/s"], [[rows[0][0], f"{statistics.median(r[1] for r in rows):,.0f}"]])


def bench_replay_vs_python():
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        print("\nreplay vs python: skipped (pip install confluent-kafka)")
        return
    n = int(os.environ.get("REPLAY_RECORDS", "1000000"))
    topic = f"bench-{RUN_ID}-replay"
    path = f"/tmp/dualstream-bench-{n}.ndjson"
    with open(path, "w") as f:
        for i in range(n):
            f.write(event(i) + "\n")
    # Without headers: Tansu stores each header as a row, which would make
    # the broker, not the consumers, the thing measured.
    publish(topic, ["--redis", "off", "--no-headers"], path)
    rows = []
    commands = [
        ("dualstream replay > /dev/null", [DS, "--topic", topic, "replay"]),
        ("python confluent-kafka (assign, consume) > /dev/null",
         [sys.executable, "bench/consume.py", BROKERS, topic]),
    ]
    times = {name: [] for name, _ in commands}
    for _ in range(RUNS):
        for name, cmd in commands:  # interleaved, so drift hits both alike
            started = time.monotonic()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.monotonic() - started)
    base = statistics.median(times[commands[0][0]])
    for name, _ in commands:
        t = statistics.median(times[name])
        rows.append([name, f"{t:.2f}", f"{n / t:,.0f}", f"{t / base:.2f}"])
    table(f"replay {n} records ({os.path.getsize(path) // n} B), whole process, median of {RUNS} interleaved runs",
          ["consumer", "seconds", "records/s", "time vs dualstream"], rows)


def main():
    print(f"dualstream benchmarks: kafka {BROKERS}, redis {REDIS}, {EVENTS} events, {RUNS} runs")
    only = sys.argv[1:] or ["publish", "replay", "tail", "latency", "replay-vs-python"]
    if "publish" in only or "replay" in only:
        path = bench_publish()
        if "replay" in only:
            bench_replay(path)
    if "tail" in only:
        bench_tail()
    if "latency" in only:
        bench_latency()
    if "replay-vs-python" in only:
        bench_replay_vs_python()


if __name__ == "__main__":
    sys.exit(main())
