"""replay beside librdkafka's own consumer and a confluent-kafka consumer, on
the same topic. Run through `scripts/bench.sh replay-peers` (it builds the peers,
the mock cluster holder and starts Tansu).

Two tables: librdkafka's mock cluster (3 brokers in a process of their own,
examples/mock_cluster.rs) holding EVENTS records, and Tansu (DUALSTREAM_BROKERS)
holding TANSU_EVENTS.

`replay.py broker` (`scripts/bench.sh kafka replay`, `kafka3 replay`) reads
the broker at DUALSTREAM_BROKERS (Apache Kafka: one node, or three) holding
BROKER_EVENTS (1,000,000) records, published once; with KAFKA_LIB (the
broker's jars) Kafka's own Java console consumer is a row too. The records are the 324 B events of `bench.sh mock`,
written by `dualstream publish` (key and three headers, as users have them).
Every row is a whole process, its output to /dev/null, interleaved RUNS
times; each must read every record.

  RUNS=3 EVENTS=1000000 TANSU_EVENTS=100000 DS_BASE=path
"""

import json
import os
import statistics
import subprocess
import sys
import time

from mock import SIZE, event, timed

DS = os.environ.get("DS", "target/release/dualstream")
BASE = os.environ.get("DS_BASE")
PERF = os.environ.get("RDKAFKA_PERFORMANCE", "rdkafka_performance")
PYTHON = os.environ.get("PYTHON_PEER")
MOCK_CLUSTER = os.environ.get("MOCK_CLUSTER", "target/release/examples/mock_cluster")
RUNS = int(os.environ.get("RUNS", "3"))
EVENTS = int(os.environ.get("EVENTS", "1000000"))
TANSU_EVENTS = int(os.environ.get("TANSU_EVENTS", "100000"))
BROKER_EVENTS = int(os.environ.get("BROKER_EVENTS", "1000000"))
KAFKA_LIB = os.environ.get("KAFKA_LIB")
RUN_ID = str(int(time.time()))


def events_file(n):
    path = f"/tmp/dualstream-bench-mock-{n}.ndjson"
    if not os.path.exists(path) or os.path.getsize(path) != n * (SIZE + 1):
        with open(path, "w") as f:
            for i in range(n):
                f.write(event(i) + "\n")
    return path


def fill(brokers, topic, n, create):
    args = [DS, "--brokers", brokers, "--topic", topic, "--redis", "off", "publish", "--summary", "json",
            events_file(n)] + (["--create-topic", "--partitions", "3"] if create else [])
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0 or json.loads(out.stderr.splitlines()[-1])["acknowledged"] != n:
        raise SystemExit(f"filling {topic}: {out.stderr[-2000:]}")


def count_ds(out, err):
    return json.loads([line for line in err.splitlines() if line.startswith("{")][-1])["records"]


def count_c(out, err):
    """rdkafka_performance -u: the msgs column of its last table row."""
    rows = [line for line in out.splitlines() if line.startswith("|") and "elapsed" not in line]
    if not rows:
        raise SystemExit(f"rdkafka_performance printed no table:\n{out[-2000:]}\n{err[-2000:]}")
    return int(rows[-1].split("|")[2])


def count_py(out, err):
    return int(err.split()[-1])


def count_java(out, err):
    """kafka-console-consumer's last words on stderr: "Processed a total of N messages"."""
    for line in reversed(err.splitlines()):
        if line.startswith("Processed a total of "):
            return int(line.split()[4])
    raise SystemExit(f"the console consumer said no total:\n{err[-2000:]}")


def rows_for(brokers, topic, n):
    ds = [DS, "--brokers", brokers, "--topic", topic, "--redis", "off", "replay", "--summary", "json"]
    rows = [
        ("dualstream replay > /dev/null", lambda r: ds, count_ds),
        ("dualstream replay --group (new group) > /dev/null",
         lambda r: ds + ["--group", f"bench-{RUN_ID}-ds-{r}"], count_ds),
        ("rdkafka_performance -G (C, new group)",
         lambda r: [PERF, "-G", f"bench-{RUN_ID}-c-{r}", "-t", topic, "-b", brokers, "-c", str(n), "-u",
                    "-X", "auto.offset.reset=earliest"], count_c),
    ]
    if KAFKA_LIB and sys.argv[1:] == ["broker"]:
        # Kafka's own consumer, in a new group (its default), reading from the start until it has n.
        rows.append(("kafka-console-consumer (Java, new group) > /dev/null",
                     lambda r: ["java", "-Xmx512m", "-cp", f"{KAFKA_LIB}/*",
                                "-Dlog4j2.configurationFile=scripts/kafka/log4j2-tools.properties",
                                "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", brokers,
                                "--topic", topic, "--group", f"bench-{RUN_ID}-java-{r}", "--from-beginning",
                                "--max-messages", str(n), "--timeout-ms", "60000"], count_java))
    if PYTHON:
        rows.append(("python confluent-kafka (assign) > /dev/null",
                     lambda r: [PYTHON, os.path.join(os.path.dirname(__file__), "consume.py"), brokers, topic],
                     count_py))
    if BASE:
        rows.append(("before: dualstream replay > /dev/null", lambda r: [BASE] + ds[1:], count_ds))
    return rows


def measure(title, brokers, topic, n):
    rows = rows_for(brokers, topic, n)
    results = {name: [] for name, _, _ in rows}
    for r in range(RUNS):
        for name, cmd, count in rows:  # interleaved: drift on a shared machine hits every row alike
            # The C tool prints only its figures on stdout; the others print the records.
            wall, rss, out, err = timed(cmd(r), stdout_to_null=count is not count_c)
            got = count(out, err)
            if got != n:
                raise SystemExit(f"{name}: read {got} of {n}")
            results[name].append((n / wall, rss))
    reference = "rdkafka_performance -G (C, new group)"
    c = statistics.median(x for x, _ in results[reference])
    print(f"\n{title}: replay {n} records of {SIZE} B (key, 3 headers) to /dev/null; whole process; "
          f"best and median of {RUNS} interleaved runs")
    header = ["command", "records/s (median)", "best", "min-max", "vs C -G (median)", "peak RSS MB"]
    table = []
    for name, _, _ in rows:
        rates = [x for x, _ in results[name]]
        rate = statistics.median(rates)
        table.append([name, f"{rate:,.0f}", f"{max(rates):,.0f}", f"{min(rates) / 1000:.0f}k-{max(rates) / 1000:.0f}k",
                      f"{rate / c:.2f}x", f"{statistics.median(m for _, m in results[name]):.0f}"])
    print_table(header, table)


def print_table(header, table):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |")
    sys.stdout.flush()


def main():
    if sys.argv[1:] == ["broker"]:
        brokers = os.environ.get("DUALSTREAM_BROKERS")
        if not brokers:
            raise SystemExit("replay.py broker needs DUALSTREAM_BROKERS")
        nodes = int(os.environ.get("BROKER_NODES", "1"))
        topic = f"bench-replay-{RUN_ID}"
        started = time.monotonic()
        fill(brokers, topic, BROKER_EVENTS, create=True)
        print(f"published {BROKER_EVENTS} records into {topic} in {time.monotonic() - started:.1f} s", file=sys.stderr)
        measure(f"Apache Kafka, {nodes} node(s) at {brokers} (3 partitions, RF {min(3, nodes)})", brokers, topic,
                BROKER_EVENTS)
        return
    if EVENTS > 0:
        # A mock partition keeps only its newest ~5 MB (~13k of these records), and publish
        # partitions by key (1000 source_ids): 250 partitions hold 1M whole.
        partitions = max(3, EVENTS // 4000)
        topic = "bench-replay"
        mock = subprocess.Popen([MOCK_CLUSTER, "3", f"{topic}:{partitions}"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        try:
            brokers = mock.stdout.readline().strip()
            if not brokers:
                raise SystemExit("mock_cluster printed no bootstrap servers")
            fill(brokers, topic, EVENTS, create=False)
            measure(f"librdkafka mock cluster (3 brokers, own process, {partitions} partitions)", brokers, topic,
                    EVENTS)
        finally:
            mock.stdin.close()
            mock.wait()
    brokers = os.environ.get("DUALSTREAM_BROKERS")
    if TANSU_EVENTS > 0 and brokers:
        topic = f"bench-replay-{RUN_ID}"
        fill(brokers, topic, TANSU_EVENTS, create=True)
        measure(f"Tansu at {brokers} (3 partitions)", brokers, topic, TANSU_EVENTS)


if __name__ == "__main__":
    sys.exit(main())
