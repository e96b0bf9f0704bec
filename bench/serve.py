"""`dualstream serve` beside Centrifugo, side by side in one run, with the
same load generator for both (examples/serve_load.rs, a release build):

  idle        RSS per idle SSE connection at IDLE_CLIENTS (10,000): the
              server's RSS with them connected minus before, / connections
  saturation  deliveries a second (events x clients) to CLIENTS (1,000) SSE
              clients, SAT_EVENTS (10,000) published as fast as it goes
  latency     p50/p99 from the event handed to the producer to its receipt
              by the client, CLIENTS x RATE (200) events/s for LAT_SECONDS (10)
  storm       CLIENTS clients, each BEHIND (1,000) events behind, reconnect at
              once: time until all have caught up, and Kafka reads opened;
              then the same after a restart of the server (STORM_RESTART=no
              leaves it out)

Run through `scripts/bench.sh serve` (Kafka from scripts/brokers.sh, or
DUALSTREAM_BROKERS; a redis-server of its own on a free port):

  ROWS=idle,saturation,latency,storm IDLE_CLIENTS=10000 CLIENTS=1000
  SAT_EVENTS=10000 RATE=200 LAT_SECONDS=10 BEHIND=1000 SOURCE_IPS=8
  CENTRIFUGO=path/to/centrifugo (else `centrifugo` on PATH, or the Go
  build cache's bin); without one, dualstream's rows only.

Both servers get one Kafka topic of one partition per row, fed the same
events (~110 B of JSON). dualstream: `serve_load feed | dualstream publish`
(Kafka, then the Redis notification) and `dualstream serve` from Redis.
Centrifugo: `serve_load kafka-feed` produces the events with a
`centrifugo-channels: events` header (dualstream publish's producer
settings) and Centrifugo's Kafka consumer (publication data mode) publishes
them into channel `events` (memory engine; history and recovery on, so
that a resume is possible at all); clients over its unidirectional SSE with
a JWT whose `channels` claim subscribes them server-side. Each row starts a
fresh server; the two servers alternate row by row, and the machine's load
average is printed with each row (the machine is shared).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

DS = os.environ.get("DS", "target/release/dualstream")
LOAD = os.environ.get("LOAD", "target/release/examples/serve_load")
ROWS = os.environ.get("ROWS", "idle,saturation,latency,storm").split(",")
IDLE_CLIENTS = int(os.environ.get("IDLE_CLIENTS", "10000"))
CLIENTS = int(os.environ.get("CLIENTS", "1000"))
SAT_EVENTS = int(os.environ.get("SAT_EVENTS", "10000"))
RATE = int(os.environ.get("RATE", "200"))
LAT_SECONDS = int(os.environ.get("LAT_SECONDS", "10"))
LAT_CLIENTS = [int(x) for x in os.environ.get("LAT_CLIENTS", f"{CLIENTS},100").split(",")]
BEHIND = int(os.environ.get("BEHIND", "1000"))
SOURCE_IPS = os.environ.get("SOURCE_IPS", "8")
STORM_RESTART = os.environ.get("STORM_RESTART", "yes") != "no"
BROKERS = os.environ["DUALSTREAM_BROKERS"]
SECRET = "bench-secret-not-for-production"
API_KEY = "bench-api-key"


def centrifugo_path():
    for p in (os.environ.get("CENTRIFUGO"), shutil.which("centrifugo"),
              os.path.join(os.environ.get("GOPATH", os.path.expanduser("~/go")), "bin", "centrifugo"),
              "/work/cache-go/bin/centrifugo"):
        if p and os.access(p, os.X_OK):
            return p
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit(f"no VmRSS for {pid}")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load():
    return "%.1f %.1f %.1f" % os.getloadavg()


def http(url, data=None, headers=None, timeout=5):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode()


def wait_until(what, check, timeout=30):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: timed out waiting for {what}")


def jwt(claims):
    import base64
    import hashlib
    import hmac
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


class Redis:
    def __init__(self, tmp):
        self.port = free_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}"
        wait_until("redis", lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                                   capture_output=True, text=True).stdout.strip() == "PONG")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Dualstream:
    name = "dualstream"
    kind = "ds"

    def __init__(self, tmp, redis, topic):
        self.tmp, self.redis, self.topic = tmp, redis, topic
        subprocess.run([DS, "--topic", topic, "--redis", "off", "publish", "--create-topic", "--partitions", "1",
                        "/dev/null"], capture_output=True, check=True)
        self.start()

    def start(self):
        self.port = free_port()
        self.log = open(os.path.join(self.tmp, f"{self.topic}.serve.log"), "a")
        self.proc = subprocess.Popen([DS, "--topic", self.topic, "--redis", self.redis.url, "serve", "--listen",
                                      f"127.0.0.1:{self.port}", "--max-clients", str(max(IDLE_CLIENTS, CLIENTS) + 100)],
                                     stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}/events"
        wait_until("dualstream serve", lambda: http(f"http://127.0.0.1:{self.port}/healthz") is not None)

    def restart(self):
        self.stop()
        self.start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()

    def metrics(self):
        text = http(f"http://127.0.0.1:{self.port}/metrics")
        return {line.split()[0].removeprefix("dualstream_serve_"): int(line.split()[1])
                for line in text.splitlines() if line and not line.startswith("#")}

    def clients_now(self):
        return self.metrics()["clients"]

    def feed(self, rate, count, first=0):
        feeder = subprocess.Popen([LOAD, "feed", str(rate), str(count)], stdout=subprocess.PIPE,
                                  env=dict(os.environ, FIRST_N=str(first)))
        pub = subprocess.run([DS, "--topic", self.topic, "--redis", self.redis.url, "publish", "--summary", "json"],
                             stdin=feeder.stdout, capture_output=True, text=True)
        feeder.stdout.close()
        feeder.wait()
        summary = json.loads([x for x in pub.stderr.splitlines() if x.startswith("{")][-1])
        ack = summary.get("ack_latency_ms", {})
        return {"acked": summary.get("acknowledged"), "ack_p50_ms": ack.get("p50"), "ack_p99_ms": ack.get("p99")}

    def seen(self):
        return self.metrics()["events_in_total"]

    def env(self):
        return {}


class Centrifugo:
    name = "Centrifugo"
    kind = "cf"

    def __init__(self, binary, tmp, topic):
        self.binary, self.tmp, self.topic = binary, tmp, topic
        subprocess.run([DS, "--topic", topic, "--redis", "off", "publish", "--create-topic", "--partitions", "1",
                        "/dev/null"], capture_output=True, check=True)
        self.token = jwt({"sub": "bench", "channels": ["events"], "exp": int(time.time()) + 86400})
        self.start()

    def start(self):
        self.port = free_port()
        config = {
            "http_server": {"address": "127.0.0.1", "port": self.port},
            "log": {"level": "error"},
            "health": {"enabled": True},
            "client": {"token": {"hmac_secret_key": SECRET}, "allowed_origins": ["http://127.0.0.1"],
                       # A storm's resume of BEHIND events, and the slow clients of a saturation run.
                       "recovery_max_publication_limit": 100000},
            "http_api": {"key": API_KEY},
            "uni_sse": {"enabled": True},
            "channel": {"without_namespace": {"history_size": 100000, "history_ttl": "600s",
                                              "force_recovery": True}},
            "consumers": [{"name": "bench", "enabled": True, "type": "kafka",
                           "kafka": {"brokers": BROKERS.split(","), "topics": [self.topic],
                                     "consumer_group": f"{self.topic}-centrifugo",
                                     "publication_data_mode": {"enabled": True}}}],
        }
        path = os.path.join(self.tmp, f"{self.topic}.centrifugo.json")
        with open(path, "w") as f:
            json.dump(config, f)
        self.log = open(os.path.join(self.tmp, f"{self.topic}.centrifugo.log"), "a")
        self.proc = subprocess.Popen([self.binary, "-c", path], stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}/connection/uni_sse"
        wait_until("centrifugo", lambda: http(f"http://127.0.0.1:{self.port}/health") is not None)
        # Its Kafka consumer joins a group: a first event says when it is live.
        self.base = self.top()
        self.feed("max", 1, first=10_000_000)
        wait_until("centrifugo's Kafka consumer", lambda: self.top() > self.base, timeout=60)

    def api(self, method, body):
        return json.loads(http(f"http://127.0.0.1:{self.port}/api/{method}", json.dumps(body).encode(),
                               {"X-API-Key": API_KEY, "Content-Type": "application/json"}))

    def top(self):
        return self.api("history", {"channel": "events", "limit": 0}).get("result", {}).get("offset", 0)

    def restart(self):
        self.stop()
        self.start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()

    def clients_now(self):
        info = self.api("info", {})["result"]["nodes"]
        return sum(n.get("num_clients", 0) for n in info)

    def feed(self, rate, count, first=0):
        out = subprocess.run([LOAD, "kafka-feed", BROKERS, self.topic, str(rate), str(count)], capture_output=True,
                             text=True, env=dict(os.environ, FIRST_N=str(first)))
        return json.loads(out.stdout.strip().splitlines()[-1])

    def seen(self):
        return self.top() - self.base - 1

    def env(self):
        return {"CF_TOKEN": self.token}


def clients(server, n, expect, **env):
    return subprocess.Popen([LOAD, "clients", server.kind, server.url, str(n), str(expect)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, SOURCE_IPS=SOURCE_IPS, **server.env(), **env))


def ready(proc):
    line = proc.stdout.readline().split()
    if not line or line[0] != "ready":
        raise SystemExit(f"bench: the load generator did not get ready: {line}")
    return int(line[1]), float(line[2])


def result(proc):
    out = proc.communicate()[0]
    return json.loads(out.strip().splitlines()[-1])


def idle(server):
    time.sleep(1)
    before = rss_kb(server.proc.pid)
    c = clients(server, IDLE_CLIENTS, 0, CONNECTS="500")
    connected, secs = ready(c)
    time.sleep(3)
    on_server = server.clients_now()
    after = rss_kb(server.proc.pid)
    c.stdin.close()
    c.wait()
    return {"connected": connected, "on_server": on_server, "connect_s": secs, "rss_before_kb": before,
            "rss_after_kb": after, "kb_per_conn": (after - before) / max(connected, 1)}


def saturation(server):
    c = clients(server, CLIENTS, SAT_EVENTS, TIMEOUT_S="300")
    ready(c)
    time.sleep(0.5)
    cpu = cpu_s(server.proc.pid)
    fed = server.feed("max", SAT_EVENTS)
    r = result(c)
    r["server_cpu_s"] = cpu_s(server.proc.pid) - cpu
    r["deliveries_per_s"] = r["got"] / r["rx_span_s"] if r["rx_span_s"] else 0
    r["server_us_per_delivery"] = r["server_cpu_s"] * 1e6 / max(r["got"], 1)
    r["fed"] = fed
    return r


def latency(server, n):
    events = RATE * LAT_SECONDS
    c = clients(server, n, events, TIMEOUT_S=str(LAT_SECONDS * 4 + 60))
    ready(c)
    time.sleep(0.5)
    cpu = cpu_s(server.proc.pid)
    fed = server.feed(RATE, events)
    r = result(c)
    r["server_cpu_s"] = cpu_s(server.proc.pid) - cpu
    r["fed"] = fed
    return r


def storm(server, restart):
    probe = clients(server, 1, 10, TIMEOUT_S="60")
    ready(probe)
    time.sleep(0.3)
    server.feed("max", 10)
    pos = result(probe)["last_pos"]
    base = server.seen()
    server.feed("max", BEHIND, first=10)
    wait_until("the server to have every event", lambda: server.seen() >= base + BEHIND, timeout=60)
    if restart:
        server.restart()
    before = server.metrics() if isinstance(server, Dualstream) else {}
    cpu = cpu_s(server.proc.pid)
    c = clients(server, CLIENTS, BEHIND, RESUME=pos, TIMEOUT_S="20" if restart and server.kind == "cf" else "120", CONNECTS=str(CLIENTS))
    ready(c)
    r = result(c)
    r["server_cpu_s"] = cpu_s(server.proc.pid) - cpu
    if before:
        after = server.metrics()
        r["kafka_reads"] = after["resume_reads_total"] - before["resume_reads_total"]
        r["memory_resumes"] = after["resume_memory_total"] - before["resume_memory_total"]
    return r


def main():
    cf_bin = centrifugo_path()
    if not cf_bin:
        print("bench: no centrifugo binary (CENTRIFUGO=path): dualstream's rows only", file=sys.stderr)
    version = subprocess.run([cf_bin, "version"], capture_output=True, text=True).stdout.strip() if cf_bin else ""
    run_id = str(int(time.time()))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        redis = Redis(tmp)
        try:
            for row in ROWS:
                variants = ([False, True] if row == "storm" and STORM_RESTART else
                            LAT_CLIENTS if row == "latency" else [False])
                for restart in variants:
                    for make in (lambda t: Dualstream(tmp, redis, t),
                                 lambda t: Centrifugo(cf_bin, tmp, t) if cf_bin else None):
                        topic = f"serve-{run_id}-{row}-{len(results)}"
                        server = make(topic)
                        if server is None:
                            continue
                        at = load()
                        try:
                            if row == "idle":
                                r = idle(server)
                            elif row == "saturation":
                                r = saturation(server)
                            elif row == "latency":
                                r = latency(server, restart)
                            elif row == "storm":
                                r = storm(server, restart)
                            else:
                                raise SystemExit(f"bench: no row {row}")
                        finally:
                            server.stop()
                        name = (f"latency {restart}" if row == "latency" else
                                row + (" after restart" if restart else ""))
                        r.update(row=name, server=server.name, load=at)
                        print(json.dumps(r), file=sys.stderr, flush=True)
                        results.append(r)
        finally:
            redis.stop()
    report(results, version)


def report(results, version):
    by = lambda row, name: next((r for r in results if r["row"] == row and r["server"] == name), None)  # noqa: E731

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "-"

    print(f"\ndualstream serve vs {version or 'no Centrifugo'}; Kafka {BROKERS}; one run, servers alternating "
          f"row by row; `load` is the 1/5/15-minute load average as the row started (2 cores, shared)\n")
    print("| row | dualstream | Centrifugo | dualstream ÷ Centrifugo | load (ds; cf) |")
    print("|---|---|---|---|---|")
    for row in dict.fromkeys(r["row"] for r in results):
        d, c = by(row, "dualstream"), by(row, "Centrifugo")
        loads = f"{d['load'] if d else '-'}; {c['load'] if c else '-'}"
        if row == "idle":
            f = lambda r: f"{r['kb_per_conn']:.1f} KB ({r['connected']:,} conns, {r['rss_before_kb'] / 1024:.0f}→{r['rss_after_kb'] / 1024:.0f} MiB)" if r else "-"  # noqa: E501,E731
            print(f"| RSS per idle SSE connection | {f(d)} | {f(c)} | {ratio(d and d['kb_per_conn'], c and c['kb_per_conn'])} | {loads} |")  # noqa: E501
        elif row == "saturation":
            f = lambda r: f"{r['deliveries_per_s']:,.0f}/s ({r['got']:,} of {r['clients'] * SAT_EVENTS:,}, {r['reconnects']} reconnects, {r['dups']} dups; server CPU {r['server_cpu_s']:.1f} s = {r['server_us_per_delivery']:.2f} µs a delivery, generator {r['cpu_s']:.1f} s)" if r else "-"  # noqa: E501,E731
            print(f"| deliveries/s, {CLIENTS:,} clients, {SAT_EVENTS:,} events at full speed | {f(d)} | {f(c)} | {ratio(d and d['deliveries_per_s'], c and c['deliveries_per_s'])} | {loads} |")  # noqa: E501
        elif row.startswith("latency"):
            f = lambda r: f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms (ack {r['fed']['ack_p50_ms']:.1f} / {r['fed']['ack_p99_ms']:.1f} ms; {r['got']:,} of {r['clients'] * RATE * LAT_SECONDS:,}; server CPU {r['server_cpu_s']:.1f} s, generator {r['cpu_s']:.1f} s)" if r else "-"  # noqa: E501,E731
            n = int(row.split()[1])
            print(f"| p50 / p99 handed to the producer → client, {n:,} clients × {RATE}/s | {f(d)} | {f(c)} | {ratio(d and d['p50_ms'], c and c['p50_ms'])} / {ratio(d and d['p99_ms'], c and c['p99_ms'])} | {loads} |")  # noqa: E501
        else:
            def f(r):
                if not r:
                    return "-"
                done = f"{r['all_done_s']:.2f} s" if r["all_done_s"] is not None else f"not all: {r['complete']:,} of {r['clients']:,} caught up in the time allowed"  # noqa: E501
                reads = f", {r['kafka_reads']} Kafka reads, {r['memory_resumes']} from memory" if "kafka_reads" in r else ""
                return (f"{done} ({r['got']:,} of {r['clients'] * BEHIND:,} events, {r['dups']} dups{reads}; "
                        f"server CPU {r['server_cpu_s']:.1f} s)")
            both = d and c and d["all_done_s"] and c["all_done_s"]
            print(f"| storm{row[5:]}: {CLIENTS:,} clients {BEHIND:,} behind, until all caught up | {f(d)} | {f(c)} | {ratio(both and d['all_done_s'], both and c['all_done_s'])} | {loads} |")  # noqa: E501
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
