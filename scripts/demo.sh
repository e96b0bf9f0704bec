#!/usr/bin/env bash
# The main job, end to end: start a local Redis and Apache Kafka if no
# brokers are configured (installing them on first use), then tail Redis in the
# background, publish sample events through Kafka and Redis, and show the
# notifications that arrived and the records now in Kafka.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ -z "${DUALSTREAM_BROKERS:-}" ]; then
  say "no DUALSTREAM_BROKERS set: starting a local Redis and Apache Kafka (the first run fetches Kafka's jars once)"
  eval "$(bash scripts/brokers.sh start)"
  trap 'bash scripts/brokers.sh stop' EXIT
fi
export DUALSTREAM_REDIS="${DUALSTREAM_REDIS:-redis://127.0.0.1:6379}"
export DUALSTREAM_TOPIC="${DUALSTREAM_TOPIC:-demo-events}"
echo "kafka: $DUALSTREAM_BROKERS   topic: $DUALSTREAM_TOPIC"

# The dev profile: it builds in about half the time of --release on two cores
# (librdkafka's C included), does the demo's 10,000 events in a second, and is
# the build scripts/test.sh then reuses.
say "building dualstream"
cargo build --locked --quiet --bin dualstream
ds="${CARGO_TARGET_DIR:-target}/debug/dualstream"
tmp="$(mktemp -d)"

burst=10000
expected=$(( $(wc -l <examples/events.ndjson) + burst ))
say "dualstream tail 'events:repo:*' (in the background, until $expected notifications)"
"$ds" tail 'events:repo:*' --format pretty --count "$expected" --timeout 120s >"$tmp/tail.out" 2>"$tmp/tail.err" &
tail_pid=$!
for _ in $(seq 1 100); do grep -q subscribed "$tmp/tail.err" 2>/dev/null && break; sleep 0.1; done
cat "$tmp/tail.err"

say "dualstream publish --create-topic examples/events.ndjson"
"$ds" publish --create-topic --partitions 3 --summary table examples/events.ndjson

say "dualstream publish: $burst generated events from stdin"
awk -v n="$burst" 'BEGIN { for (i = 0; i < n; i++)
  printf "{\"id\":\"gen-%d\",\"type\":\"push\",\"source_type\":\"repo\",\"source_id\":\"octo/r%d\",\"n\":%d}\n", i, i % 50, i }' |
  "$ds" publish --summary table

wait "$tail_pid" && status=0 || status=$?
say "notifications received by tail: $(wc -l <"$tmp/tail.out") (exit $status); the first five:"
head -5 "$tmp/tail.out"

say "dualstream replay --from-offset -1 --envelope (the newest full event of each partition, from Kafka)"
"$ds" replay --from-offset -1 --envelope

rm -rf "$tmp"
exit "$status"
