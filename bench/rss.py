"""Peak RSS of `publish --redis off -` for 1M and 10M events from stdin (the
324 B events of `bench.sh mock`, the 1M file piped once or ten times), to a
librdkafka mock cluster in a process of its own (examples/mock_cluster.rs),
so the figure is publish's alone. Run through `scripts/bench.sh rss`.

  RUNS=2 EVENTS=1000000 TIMES=10

With `csv` (`scripts/bench.sh rss-csv`): peak RSS of `publish --dry-run
--format csv --on-invalid skip` reading a 50 MB CSV file whose second record
opens a quote that is never closed (the rest of the file is one record),
beside the same reader on an ordinary 50 MB CSV file. Dry-run, so the figure
is the reader's alone (no broker).

  RUNS=3 CSV_MB=50
"""

import json
import os
import statistics
import subprocess
import sys

from mock import SIZE, event, timed

DS = os.environ.get("DS", "target/release/dualstream")
MOCK_CLUSTER = os.environ.get("MOCK_CLUSTER", "target/release/examples/mock_cluster")
RUNS = int(os.environ.get("RUNS", "2"))
EVENTS = int(os.environ.get("EVENTS", "1000000"))
TIMES = int(os.environ.get("TIMES", "10"))


def main():
    path = f"/tmp/dualstream-bench-mock-{EVENTS}.ndjson"
    if not os.path.exists(path) or os.path.getsize(path) != EVENTS * (SIZE + 1):
        with open(path, "w") as f:
            for i in range(EVENTS):
                f.write(event(i) + "\n")
    # The mock keeps only each partition's newest ~5 MB, so it stays small too.
    mock = subprocess.Popen([MOCK_CLUSTER, "3", "bench-rss:3"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        brokers = mock.stdout.readline().strip()
        cmd = [DS, "--brokers", brokers, "--topic", "bench-rss", "--redis", "off", "publish", "--summary", "json", "-"]
        sizes = [1, TIMES]
        results = {n: [] for n in sizes}
        for _ in range(RUNS):
            for n in sizes:  # interleaved
                feeder = subprocess.Popen(["cat"] + [path] * n, stdout=subprocess.PIPE)
                wall, rss, _, err = timed(cmd, stdin=feeder.stdout)
                feeder.stdout.close()
                feeder.wait()
                acked = json.loads([x for x in err.splitlines() if x.startswith("{")][-1])["acknowledged"]
                if acked != n * EVENTS:
                    raise SystemExit(f"{n * EVENTS} events: {acked} acknowledged")
                results[n].append((wall, rss))
    finally:
        mock.stdin.close()
        mock.wait()
    print(f"\npublish --redis off - (events of {SIZE} B from stdin) to a mock cluster in its own process; "
          f"{RUNS} interleaved runs")
    print("| events | peak RSS MB (each run) | median | seconds (median) | events/s |")
    print("|---|---|---|---|---|")
    for n in sizes:
        r = results[n]
        wall = statistics.median(w for w, _ in r)
        print(f"| {n * EVENTS:,} | {', '.join(f'{m:.0f}' for _, m in r)} | {statistics.median(m for _, m in r):.0f} "
              f"| {wall:.1f} | {n * EVENTS / wall:,.0f} |")
    sys.stdout.flush()


def csv_files(mb):
    """An ordinary CSV file of about `mb` MB, and one of the same size whose
    second record opens a quote that is never closed."""
    header = "id,type,source_type,source_id,body\n"
    row = "e{},push,repo,r{},{}\n"
    body = "x" * 200
    ordinary = f"/tmp/dualstream-bench-csv-{mb}.csv"
    unclosed = f"/tmp/dualstream-bench-csv-{mb}-unclosed.csv"
    size = mb * 1_000_000
    if not os.path.exists(ordinary) or os.path.getsize(ordinary) < size:
        with open(ordinary, "w") as f:
            f.write(header)
            i, written = 0, 0
            while written < size:
                line = row.format(i, i % 100, body)
                f.write(line)
                written += len(line)
                i += 1
    if not os.path.exists(unclosed) or os.path.getsize(unclosed) < size:
        with open(unclosed, "w") as f:
            f.write(header)
            f.write(row.format(0, 0, body))
            f.write('e1,push,repo,r1,"never closed\n')
            line = body + "\n"
            for _ in range(size // len(line)):
                f.write(line)
    return ordinary, unclosed


def csv_main():
    mb = int(os.environ.get("CSV_MB", "50"))
    runs = int(os.environ.get("RUNS", "3"))
    ordinary, unclosed = csv_files(mb)
    cmd = [DS, "--redis", "off", "publish", "--dry-run", "--format", "csv", "--on-invalid", "skip"]
    rows = {"ordinary": [], "unclosed quote": []}
    for _ in range(runs):
        for name, path in (("ordinary", ordinary), ("unclosed quote", unclosed)):  # interleaved
            wall, rss, _, err = timed(cmd + [path], stdout_to_null=True)
            if name == "unclosed quote" and "longer than --max-line-bytes" not in err:
                raise SystemExit(f"the unclosed quote was not refused:\n{err[-2000:]}")
            rows[name].append((wall, rss))
    print(f"\npublish --dry-run --format csv --on-invalid skip of a {mb} MB CSV file ({DS}); {runs} interleaved runs")
    print("| input | peak RSS MB (each run) | median | seconds (median) |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {', '.join(f'{m:.0f}' for _, m in r)} | {statistics.median(m for _, m in r):.0f} "
              f"| {statistics.median(w for w, _ in r):.1f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(csv_main() if sys.argv[1:] == ["csv"] else main())
