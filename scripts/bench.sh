#!/usr/bin/env bash
# Benchmarks, printed as tables: publish throughput (dual-stream, Kafka only,
# without headers, and librdkafka's mock cluster as a broker-less ceiling),
# tail's throughput against a publisher at full speed, end-to-end latency
# (event handed to publish -> printed by tail), and replay throughput.
# Machines here are shared and noisy: compare rows of one run, not runs.
#
#   scripts/bench.sh            # uses DUALSTREAM_BROKERS/REDIS, or starts local ones
#   RUNS=5 EVENTS=200000 scripts/bench.sh
#
#   scripts/bench.sh mock       # publish vs librdkafka's rdkafka_performance on
#                               # librdkafka's mock cluster (no broker needed)
#   RUNS=5 EVENTS=1000000 ROWS=1,2 scripts/bench.sh mock
#
#   scripts/bench.sh window     # ack latency and throughput per --max-in-flight
#                               # and linger.ms, on Tansu (or DUALSTREAM_BROKERS)
#   WINDOWS=20000,2000 LINGERS=5,0 HEADERS=yes scripts/bench.sh window
#   scripts/bench.sh peers      # dual publish ÷ rdkafka_performance and redis-benchmark -P 64
#                               # side by side, --redis off ÷ rdkafka_performance: best and median
#                               # of RUNS, on the mock cluster (PIPELINE=256 for -P 256; DS_BASE=path
#                               # adds the same rows for another build)
#   scripts/bench.sh peers-kafka   # the same rows on Apache Kafka, one node (peers-kafka3: three),
#                               # BROKER_EVENTS (50,000) events, a new 3-partition topic a run
#   scripts/bench.sh window-mock  # the same rows on librdkafka's mock cluster (full speed,
#                               # no broker as the limit; WINDOWS=20000,1000 DS_BASE=before)
#   scripts/bench.sh e2e        # event handed to publish -> printed by tail at
#                               # 200 events/s, feeder and tail in their own processes
#   RATES=200,max scripts/bench.sh e2e   # ... and with the feeder at full speed
#   scripts/bench.sh kafka      # publish vs rdkafka_performance -P and Kafka's Java
#                               # kafka-producer-perf-test on one Apache Kafka node
#   scripts/bench.sh kafka3     # ... on a 3-node cluster (RF 3, min.insync 2)
#   scripts/bench.sh kafka replay   # replay vs rdkafka_performance -G and Kafka's Java console
#                               # consumer, BROKER_EVENTS (1M) records published once (kafka3 too)
#   scripts/bench.sh kafka acks # publish ack p50/p99 at full speed and at RATE (200) events/s
#   scripts/bench.sh kafka all  # publish, replay and acks on one node (kafka3 all: the cluster;
#                               # or a list: kafka3 replay,acks)
#   scripts/bench.sh replay-peers  # replay vs rdkafka_performance -G and confluent-kafka,
#                               # on a mock cluster of its own process, then Tansu
#   scripts/bench.sh flood      # tail vs a redis-benchmark -P 64 PUBLISH flood (and
#                               # redis-cli SUBSCRIBE), each on a fresh redis-server
#   scripts/bench.sh rss        # peak RSS of publish for 1M and 10M events from stdin
#   scripts/bench.sh rss-csv    # peak RSS of reading a 50 MB CSV file with a quote never
#                               # closed, beside an ordinary one (dry-run, no broker)
#   scripts/bench.sh serve      # dualstream serve beside Centrifugo, one load generator for
#                               # both (examples/serve_load.rs): RSS per idle SSE connection,
#                               # deliveries/s at saturation, latency at 1,000 clients x 200/s,
#                               # a reconnect storm (bench/serve.py: ROWS, IDLE_CLIENTS, CLIENTS, ...;
#                               # CENTRIFUGO=path, else on PATH, else `go install`ed into the cache)
#   scripts/bench.sh all        # every table above, in one run
#
# The mock mode builds rdkafka_performance once, from the librdkafka sources
# that rdkafka-sys vendors (the same version dualstream links), into the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${DUALSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dualstream}"

# rdkafka_performance from the vendored librdkafka, built once; prints its path.
build_rdkafka_performance() {
  local src version build
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rdkafka-sys-*/librdkafka 2>/dev/null | sort -V | tail -1)
  if [ -z "$src" ]; then
    cargo fetch --locked >&2
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rdkafka-sys-*/librdkafka | sort -V | tail -1)
  fi
  version=$(basename "$(dirname "$src")")   # rdkafka-sys-4.10.0+2.12.1
  build="$cache/${version}-perf"
  if [ ! -x "$build/examples/rdkafka_performance" ]; then
    echo "bench: building rdkafka_performance from $src (once, about a minute)" >&2
    rm -rf "$build" && mkdir -p "$cache" && cp -a "$src" "$build"
    # mklove reads every configure.* file in the tree as a module: keep logs outside it.
    (cd "$build" &&
      ./configure --disable-ssl --disable-gssapi --disable-curl --disable-lz4-ext >"$cache/${version}-configure.log" 2>&1 &&
      make -j"$(nproc)" libs >"$cache/${version}-make.log" 2>&1 &&
      make -C examples rdkafka_performance >>"$cache/${version}-make.log" 2>&1) || {
      echo "bench: building rdkafka_performance failed; see $cache/${version}-*.log" >&2
      exit 1
    }
  fi
  echo "$build/examples/rdkafka_performance"
}

# The peers: rdkafka_performance, confluent-kafka in a venv of the cache (the
# Python rows are left out when pip cannot get it), the release build and the
# mock cluster holder (examples/mock_cluster.rs).
peers() {
  for tool in redis-server redis-cli redis-benchmark; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is needed (scripts/install-brokers.sh)" >&2; exit 1; }
  done
  RDKAFKA_PERFORMANCE=$(build_rdkafka_performance)
  export RDKAFKA_PERFORMANCE
  if [ ! -x "$cache/py-bench/bin/python" ] || ! "$cache/py-bench/bin/python" -c 'import confluent_kafka' 2>/dev/null; then
    python3 -m venv "$cache/py-bench" && "$cache/py-bench/bin/pip" install -q confluent-kafka >&2 ||
      echo "bench: no confluent-kafka; the Python row is left out" >&2
  fi
  if "$cache/py-bench/bin/python" -c 'import confluent_kafka' 2>/dev/null; then
    export PYTHON_PEER="$cache/py-bench/bin/python"
  fi
  # The broker modes need no mock cluster (building the example rebuilds
  # dependencies with its features: minutes on a busy machine).
  if [ "${1:-}" = broker ]; then
    cargo build --release --locked --quiet --bin dualstream
  else
    cargo build --release --locked --quiet --bin dualstream --example mock_cluster
  fi
}

# Tansu and Redis: DUALSTREAM_BROKERS/REDIS, or local ones (stopped at the end
# only if this run started them).
brokers() {
  if [ -z "${DUALSTREAM_BROKERS:-}" ]; then
    state="${DUALSTREAM_STATE:-$cache/run}"
    already=no
    [ -f "$state/kafka-1.pid" ] && kill -0 "$(cat "$state/kafka-1.pid")" 2>/dev/null && already=yes
    eval "$(bash scripts/brokers.sh start)"
    [ "$already" = yes ] || trap 'bash scripts/brokers.sh stop' EXIT
  fi
  export DUALSTREAM_REDIS="${DUALSTREAM_REDIS:-redis://127.0.0.1:6379}"
}

# A Kafka of the bench's own (NODES of them), unless DUALSTREAM_BROKERS names one.
kafka_nodes() {
  KAFKA_LIB="$(bash scripts/install-brokers.sh)"
  export KAFKA_LIB BROKER_NODES="$1"
  if [ -z "${DUALSTREAM_BROKERS:-}" ]; then
    bench_state="$(mktemp -d "${TMPDIR:-/tmp}/dualstream-bench.XXXXXX")"
    trap 'DUALSTREAM_STATE="$bench_state" bash scripts/brokers.sh stop; rm -rf "$bench_state"' EXIT
    eval "$(DUALSTREAM_STATE="$bench_state" bash scripts/brokers.sh start --nodes "$1")"
  fi
}

case "${1:-}" in
  mock) peers && exec python3 bench/mock.py ;;
  kafka | kafka3)
    nodes=1
    [ "$1" = kafka3 ] && nodes=3
    tables="${2:-publish}"   # publish, replay, acks, copy, a list of them (replay,acks), or all
    [ "$tables" = all ] && tables=publish,replay,acks
    for t in ${tables//,/ }; do
      case "$t" in
        publish | replay | acks | copy) ;;
        *) echo "bench: $1 takes publish, replay, acks, copy, a list of them or all, not $t" >&2; exit 2 ;;
      esac
    done
    peers broker && kafka_nodes "$nodes"
    for t in ${tables//,/ }; do
      case "$t" in
        publish) python3 bench/mock.py broker ;;
        replay) python3 bench/replay.py broker ;;
        acks) python3 bench/acks.py ;;
        copy) python3 bench/copy.py ;;
      esac
    done
    exit ;;
  peers) peers && exec python3 bench/peers.py ;;
  peers-kafka | peers-kafka3)
    nodes=1
    [ "$1" = peers-kafka3 ] && nodes=3
    peers broker && kafka_nodes "$nodes" && python3 bench/peers.py broker
    exit ;;
  window-mock) cargo build --release --locked --quiet --bin dualstream && exec python3 bench/window.py mock ;;
  mock-tansu) peers && brokers && python3 bench/mock.py tansu; exit ;;
  replay-peers) peers && brokers && python3 bench/replay.py; exit ;;
  flood) peers && python3 bench/flood.py; exit ;;
  rss) peers && python3 bench/rss.py; exit ;;
  serve)
    command -v redis-server >/dev/null || { echo "bench: redis-server is needed (scripts/install-brokers.sh)" >&2; exit 1; }
    if [ -z "${CENTRIFUGO:-}" ] && ! command -v centrifugo >/dev/null && command -v go >/dev/null; then
      if [ ! -x "$cache/go-bin/centrifugo" ]; then
        echo "bench: building Centrifugo v${CENTRIFUGO_VERSION:-6.9.1} with go install (once)" >&2
        GOBIN="$cache/go-bin" go install "github.com/centrifugal/centrifugo/v6@v${CENTRIFUGO_VERSION:-6.9.1}" >&2 ||
          echo "bench: no Centrifugo; dualstream's rows only" >&2
      fi
      [ -x "$cache/go-bin/centrifugo" ] && export CENTRIFUGO="$cache/go-bin/centrifugo"
    fi
    cargo build --release --locked --quiet --bin dualstream --example serve_load
    # 10,000 connections need as many descriptors in the server and in the load generator.
    ulimit -n "$(ulimit -Hn)"
    kafka_nodes 1
    python3 bench/serve.py
    exit ;;
  rss-csv) cargo build --release --locked --quiet && python3 bench/rss.py csv; exit ;;
  all)
    # Every table of issue #14, one after another (about 15 minutes on a quiet 2-core machine;
    # EVENTS sizes the mock-cluster rows, E2E_EVENTS the paced latency run).
    peers && brokers
    python3 bench/mock.py
    python3 bench/mock.py tansu
    python3 bench/replay.py
    python3 bench/flood.py
    RATES="${RATES:-200,max}" EVENTS="${E2E_EVENTS:-1000}" python3 bench/e2e.py
    python3 bench/rss.py
    exit ;;
esac

brokers
cargo build --release --locked --quiet
case "${1:-}" in
  window) python3 bench/window.py; exit ;;
  e2e) python3 bench/e2e.py; exit ;;
esac
python3 bench/bench.py "$@"
