#!/usr/bin/env bash
# Benchmarks, printed as tables: publish throughput (dual-stream, Kafka only,
# without headers, and librdkafka's mock cluster as a broker-less ceiling),
# tail's throughput against a publisher at full speed, end-to-end latency
# (event handed to publish -> printed by tail), and replay throughput.
# Machines here are shared and noisy: compare rows of one run, not runs.
#
#   scripts/bench.sh            # uses DUALSTREAM_BROKERS/REDIS, or starts local ones
#   RUNS=5 EVENTS=200000 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DUALSTREAM_BROKERS:-}" ]; then
  eval "$(bash scripts/brokers.sh start)"
  trap 'bash scripts/brokers.sh stop' EXIT
fi
export DUALSTREAM_REDIS="${DUALSTREAM_REDIS:-redis://127.0.0.1:6379}"
cargo build --release --locked --quiet
exec python3 bench/bench.py "$@"
