"""tail against a PUBLISH flood: `redis-benchmark -P 64 -c 1 -n N PUBLISH`
into a fresh redis-server, with one subscriber ready before it starts:
`dualstream tail CH --format raw|json --count N --summary json > /dev/null`, or
redis-cli SUBSCRIBE (its output to a file) as the peer. Redis closes a
subscriber that falls more than its pubsub output-buffer limit (32 MB hard,
by default) behind, so "received" says whether the reader kept up.
Run through `scripts/bench.sh flood`.

  RUNS=3 FLOOD=1000000 PIPELINE=64 DS=path DS_BASE=path

Each tail row also says its peak RSS (`/usr/bin/time`), the messages it
counted as dropped (its own bounded queue), and the gaps it reported on
stderr (Redis cut it off and it resubscribed): a flood never ends silently
short.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

from mock import free_port

DS = os.environ.get("DS", "target/release/dualstream")
BASE = os.environ.get("DS_BASE")
RUNS = int(os.environ.get("RUNS", "3"))
# redis-benchmark sends whole pipelines: N rounded up to a multiple of 64.
PIPELINE = int(os.environ.get("PIPELINE", "64"))
# redis-benchmark sends whole pipelines: N rounded up to a multiple of PIPELINE.
N = -(-int(os.environ.get("FLOOD", "1000000")) // PIPELINE) * PIPELINE
PAYLOAD = "x" * 80
WAIT = 20  # seconds a subscriber may take after the flood before it counts as cut off


def redis_server():
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG":
            return proc, port
        time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def flood(port):
    """The flood; its own rate in messages a second."""
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(N), "-P", str(PIPELINE), "-c", "1", "-q",
                          "PUBLISH", "flood", PAYLOAD], capture_output=True, text=True, check=True)
    rates = re.findall(r"([\d.]+) requests per second", out.stdout.replace("\r", "\n"))
    return float(rates[-1]) if rates else float("nan")


def tail(binary, port, fmt="raw"):
    fd, report = tempfile.mkstemp(prefix="dualstream-flood-time-")
    os.close(fd)
    proc = subprocess.Popen(["/usr/bin/time", "-o", report, "-f", "%M", binary, "--redis", f"redis://127.0.0.1:{port}", "tail", "flood", "--format", fmt,
                             "--count", str(N), "--timeout", f"{WAIT}s", "--summary", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    if "subscribed" not in line:
        proc.kill()
        raise SystemExit(f"tail did not subscribe: {line}")
    started = time.monotonic()
    sent_rate = flood(port)
    err = proc.stderr.read()
    proc.wait()
    took = time.monotonic() - started
    summary = [x for x in err.splitlines() if x.startswith("{")]
    counts = json.loads(summary[-1]) if summary else {}
    received = counts.get("printed", 0)
    with open(report) as f:
        rss_mb = int(f.read().split()[-1]) / 1024
    os.unlink(report)
    gaps = sum(1 for x in err.splitlines() if "gap" in x.lower())
    return received, took, sent_rate, proc.returncode, (rss_mb, counts.get("dropped", 0), gaps)


def redis_cli(port):
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(["redis-cli", "-p", str(port), "SUBSCRIBE", "flood"], stdout=out,
                                stderr=subprocess.DEVNULL)
        for _ in range(200):  # subscribed once the server counts it
            got = subprocess.run(["redis-cli", "-p", str(port), "PUBSUB", "NUMSUB", "flood"], capture_output=True,
                                 text=True).stdout.split()
            if got[-1:] == ["1"]:
                break
            time.sleep(0.02)
        started = time.monotonic()
        sent_rate = flood(port)
        # Done when the output stops growing (or redis-cli was cut off and exited).
        size, still = -1, 0
        while proc.poll() is None and still < 10 and time.monotonic() - started < WAIT:
            now = os.fstat(out.fileno()).st_size
            still = still + 1 if now == size else 0
            size = now
            time.sleep(0.1)
        took = time.monotonic() - started - (still * 0.1 if proc.poll() is None else 0)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        out.seek(0)
        lines = sum(1 for _ in out)
        # Three lines a message ("message", channel, payload), after the three of the confirmation.
        return max(0, lines - 3) // 3, took, sent_rate, proc.returncode, None


def main():
    # raw: the payload only; json: the default on a pipe (a line per message).
    rows = [("dualstream tail --format raw > /dev/null", lambda port: tail(DS, port)),
            ("dualstream tail --format json > /dev/null", lambda port: tail(DS, port, "json"))]
    if BASE:
        rows.append(("before: dualstream tail --format raw", lambda port: tail(BASE, port)))
        rows.append(("before: dualstream tail --format json", lambda port: tail(BASE, port, "json")))
    rows.append(("redis-cli SUBSCRIBE > file", redis_cli))
    results = {name: [] for name, _ in rows}
    for _ in range(RUNS):
        for name, run in rows:  # interleaved, each on a fresh redis-server
            server, port = redis_server()
            try:
                results[name].append(run(port))
            finally:
                server.terminate()
                server.wait()
    print(f"\ntail vs a PUBLISH flood: redis-benchmark -n {N} -P {PIPELINE} -c 1 PUBLISH flood <{len(PAYLOAD)} B>, "
          f"one subscriber, fresh redis-server each run; {RUNS} interleaved runs")
    print("| subscriber | received/sent, each run (flood rate) | all received | msgs/s when all arrived (median) "
          "| peak RSS MB, dropped, gaps reported (each run) |")
    print("|---|---|---|---|---|")
    for name, _ in rows:
        r = results[name]
        got = ", ".join(f"{x[0]:,}/{N:,} ({x[2] / 1e6:.2f}M/s)" for x in r)
        whole = sorted(x[0] / x[1] for x in r if x[0] == N)
        rate = f"{whole[len(whole) // 2]:,.0f}" if whole else "- (cut off)"
        extra = "; ".join(f"{x[4][0]:.0f} MB, {x[4][1]:,}, {x[4][2]}" for x in r if x[4]) or "-"
        print(f"| {name} | {got} | {len(whole)} of {len(r)} | {rate} | {extra} |")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
