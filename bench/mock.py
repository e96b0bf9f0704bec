"""Publish throughput against librdkafka's own producer, on librdkafka's mock
cluster (in-process brokers: no broker is the bottleneck, so the clients are
what is measured). Run through `scripts/bench.sh mock`, which builds the peer.

`mock.py broker` (`scripts/bench.sh kafka`, `kafka3`) runs the same rows
against the broker at DUALSTREAM_BROKERS (Apache Kafka: one node, or three),
BROKER_EVENTS (50,000) events, each run into a new 3-partition topic; with
KAFKA_LIB (the broker's jars) Kafka's own Java producer,
kafka-producer-perf-test, is a row too (it sends no headers).

Every row is a whole process timed from outside (wall clock, peak RSS) with
acks=all and idempotence; rows are interleaved, RUNS times, and the table
shows medians and the ratio to the C tool with the same three headers.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

DS = os.environ.get("DS", "target/release/dualstream")
PERF = os.environ.get("RDKAFKA_PERFORMANCE", "rdkafka_performance")
RUNS = int(os.environ.get("RUNS", "3"))
TANSU = os.environ.get("DUALSTREAM_BROKERS") if sys.argv[1:] in (["tansu"], ["broker"]) else None
EVENTS = int(os.environ.get("BROKER_EVENTS", os.environ.get("TANSU_EVENTS", "50000"))
             if TANSU else os.environ.get("EVENTS", "1000000"))
KAFKA_LIB = os.environ.get("KAFKA_LIB")
SIZE = 324
MOCK = ["-X", "test.mock.num.brokers=3"]
C_TARGET = ["-b", TANSU] if TANSU else MOCK
DS_TARGET = ["--brokers", TANSU] if TANSU else MOCK
KAFKA = ["-X", "acks=all", "-X", "enable.idempotence=true"]


def event(i):
    """One NDJSON event padded to SIZE bytes (without its newline)."""
    e = {"id": f"evt-{i:09d}", "type": "push", "source_type": "repo", "source_id": f"repo-{i % 1000}",
         "time": 1764000000000 + i, "actor": "someone", "payload": {"commits": i % 7}, "pad": ""}
    text = json.dumps(e, separators=(",", ":"))
    e["pad"] = "x" * (SIZE - len(text))
    return json.dumps(e, separators=(",", ":"))


def timed(cmd, env=None, stdout_to_null=False, stdin=None):
    """Run cmd; (wall seconds, peak RSS in MB, stdout, stderr). Fails loudly.
    With stdout_to_null its output goes to /dev/null (and "" is returned)."""
    fd, report = tempfile.mkstemp(prefix="dualstream-bench-time-")
    os.close(fd)
    started = time.monotonic()
    out = subprocess.run(["/usr/bin/time", "-o", report, "-f", "%M"] + cmd, text=True, env=env, stdin=stdin,
                         stdout=subprocess.DEVNULL if stdout_to_null else subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.monotonic() - started
    with open(report) as f:
        rss_kb = int(f.read().split()[-1])
    os.unlink(report)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {out.returncode}:\n{out.stderr[-2000:]}")
    return wall, rss_kb / 1024, out.stdout or "", out.stderr


def sent_by_java(stdout):
    """kafka-producer-perf-test's last line: "N records sent, …"."""
    for line in reversed(stdout.splitlines()):
        if " records sent," in line:
            return int(line.split()[0])
    return 0


def acknowledged(stderr):
    for line in reversed(stderr.splitlines()):
        if line.startswith("{"):
            return json.loads(line)["acknowledged"]
    raise SystemExit(f"no summary in: {stderr[-2000:]}")


def delivered_by_c_tool(stdout):
    """rdkafka_performance's last table row: the dr (delivery reports) column."""
    rows = [line for line in stdout.splitlines() if line.startswith("|") and "elapsed" not in line]
    return int(rows[-1].split("|")[5])


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        run(path, f"redis://127.0.0.1:{port}")
    finally:
        redis.terminate()
        redis.wait()


def run(path, redis_url):
    if TANSU is None and sys.argv[1:]:
        raise SystemExit("mock.py broker needs DUALSTREAM_BROKERS")
    perf = [PERF, "-P", "-t", "{topic}", "-s", str(SIZE), "-c", str(EVENTS), "-a", "-1", "-u"] + C_TARGET + KAFKA
    headers = ["-H", "id=evt-000000001", "-H", "type=push", "-H", "source_type=repo"]
    ds = [DS, "--topic", "{topic}"] + DS_TARGET + KAFKA + ["publish", "--summary", "json", path]
    rows = [
        ("rdkafka_performance -P (C), no headers", perf, "c"),
        ("rdkafka_performance -P (C), 3 headers", perf + headers, "c"),
        ("dualstream publish --redis off", ds + ["--redis", "off"], "ds"),
        ("dualstream publish --redis off --no-headers", ds + ["--redis", "off", "--no-headers"], "ds"),
        ("dualstream publish (Kafka + real Redis)", ds + ["--redis", redis_url], "ds"),
    ]
    if TANSU and KAFKA_LIB:
        java = ["java", "-Xmx512m", "-cp", f"{KAFKA_LIB}/*",
                "-Dlog4j2.configurationFile=scripts/kafka/log4j2-tools.properties",
                "org.apache.kafka.tools.ProducerPerformance", "--topic", "{topic}",
                "--num-records", str(EVENTS), "--record-size", str(SIZE), "--throughput", "-1",
                "--producer-props", f"bootstrap.servers={TANSU}", "acks=all", "enable.idempotence=true"]
        rows.insert(2, ("kafka-producer-perf-test (Java), no headers", java, "java"))
    python = os.environ.get("PYTHON_PEER")  # a python with confluent-kafka (bench.sh makes a venv)
    if python:
        peer = os.path.join(os.path.dirname(__file__), "produce.py")
        target = f"bootstrap.servers={TANSU}" if TANSU else "test.mock.num.brokers=3"
        rows.append(("python confluent-kafka (parse, key, 3 headers)", [python, peer, path, "{topic}", target],
                     "py"))
    base = os.environ.get("DS_BASE")  # another build, for before/after rows in the same run
    if base:
        dsb = [base] + ds[1:]
        rows += [
            ("before: publish --redis off", dsb + ["--redis", "off"], "ds"),
            ("before: publish --redis off --no-headers", dsb + ["--redis", "off", "--no-headers"], "ds"),
            ("before: publish (Kafka + real Redis)", dsb + ["--redis", redis_url], "ds"),
        ]
    only = os.environ.get("ROWS")
    if only:
        rows = [r for i, r in enumerate(rows) if str(i) in only.split(",")]
    results = {name: [] for name, _, _ in rows}
    for r in range(RUNS):
        for i, (name, cmd, kind) in enumerate(rows):  # interleaved: drift hits every row alike
            topic = "bench"
            if TANSU:  # a new topic each run, so that no run reads or appends behind another
                topic = f"bench-{int(time.time())}-{r}-{i}"
                subprocess.run([DS, "--brokers", TANSU, "--topic", topic, "--redis", "off", "publish",
                                "--create-topic", "--partitions", "3", "/dev/null"], capture_output=True, check=True)
            wall, rss, out, err = timed([a.replace("{topic}", topic) for a in cmd])
            done = {"c": lambda: delivered_by_c_tool(out), "py": lambda: int(out.split()[-1]),
                    "java": lambda: sent_by_java(out), "ds": lambda: acknowledged(err)}[kind]()
            if done != EVENTS:
                raise SystemExit(f"{name}: {done} of {EVENTS} acknowledged")
            results[name].append((EVENTS / wall, rss))
    reference = "rdkafka_performance -P (C), 3 headers"
    c = statistics.median(r for r, _ in results[reference]) if results.get(reference) else None
    nodes = os.environ.get("BROKER_NODES", "1")
    where = (f"Apache Kafka, {nodes} node(s) at {TANSU} (3 partitions, RF {min(3, int(nodes))})" if TANSU
             else "librdkafka's mock cluster (3 brokers)")
    print(f"\npublish {EVENTS} events of {SIZE} B to {where}, acks=all + "
          f"idempotence; whole process; median of {RUNS} interleaved runs")
    header = ["command", "events/s", "min-max", "vs C 3 headers", "peak RSS MB"]
    table = []
    for name, _, _ in rows:
        rates = [r for r, _ in results[name]]
        rate = statistics.median(rates)
        ratio = f"{rate / c:.2f}x" if c else "-"
        table.append([name, f"{rate:,.0f}", f"{min(rates) / 1000:.0f}k-{max(rates) / 1000:.0f}k", ratio,
                      f"{statistics.median(m for _, m in results[name]):.0f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |")


if __name__ == "__main__":
    sys.exit(main())
