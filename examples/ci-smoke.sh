#!/usr/bin/env bash
# A complete CI smoke test with dualstream: trigger a service, then assert
# that the events it must publish reached both sides of the dual stream —
# Redis Pub/Sub (what live consumers see) and Kafka (the durable log) —
# naming precisely any that did not.
#
# Here the "service" is `dualstream publish` of a fixture; in a real job it is
# your service, triggered by your own request. Brokers: DUALSTREAM_BROKERS and
# DUALSTREAM_REDIS when set, else a local Redis and Tansu started by the
# project's scripts (and stopped at the end). The binary: DUALSTREAM_BIN, else
# a release build. JUnit reports land in REPORT_DIR (default: a temporary one).
set -euo pipefail
cd "$(dirname "$0")/.."

ds="${DUALSTREAM_BIN:-}"
if [ -z "$ds" ]; then
  cargo build --release --locked --quiet
  ds=target/release/dualstream
fi
work="$(mktemp -d)"
cleanup() {
  [ -n "${tail_pid:-}" ] && kill "$tail_pid" 2>/dev/null || true
  [ -n "${started_brokers:-}" ] && bash scripts/brokers.sh stop
  rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${DUALSTREAM_BROKERS:-}" ]; then
  eval "$(bash scripts/brokers.sh start)"
  started_brokers=1
fi
export DUALSTREAM_TOPIC="${DUALSTREAM_TOPIC:-smoke-$$}"
reports="${REPORT_DIR:-$work}"
mkdir -p "$reports"

# 1. What the service must publish: ids, or the fields an event must have.
cat >"$work/expected" <<'EXPECTED'
# order o-17 is created, then paid
{"type":"order.created","source_id":"o-17"}
{"type":"order.paid","source_id":"o-17"}
# order o-18's creation, by event id
ord-18-created
EXPECTED

# 2. Watch Redis before triggering anything: Pub/Sub keeps nothing for late
#    subscribers. tail ends with 0 once every expectation was met, 124 at the
#    timeout (naming the missing ones), 6 if one arrived twice.
"$ds" tail 'events:order:*' --expect "$work/expected" --expect-once --timeout 30s \
  --summary "junit=$reports/redis.xml" >"$work/live.ndjson" 2>"$work/tail.err" &
tail_pid=$!
for _ in $(seq 1 100); do
  grep -q subscribed "$work/tail.err" 2>/dev/null && break
  sleep 0.1
done

# 3. Trigger the service (the stand-in: publish the fixture).
"$ds" publish --create-topic --partitions 3 -q examples/orders.ndjson

# 4. Assert the live side.
if wait "$tail_pid"; then status=0; else status=$?; fi
tail_pid=
cat "$work/tail.err" >&2
if [ "$status" -ne 0 ]; then
  echo "smoke test failed: Redis side (tail exit $status)" >&2
  exit 1
fi

# 5. Assert the durable side: every expected event is in Kafka, once.
"$ds" replay --follow --wait 30s --expect "$work/expected" --expect-once \
  --summary "junit=$reports/kafka.xml" >/dev/null || {
  status=$?
  echo "smoke test failed: Kafka side (replay exit $status)" >&2
  exit 1
}
echo "smoke test passed: $(wc -l <"$work/live.ndjson") notifications on Redis, every expected event in Kafka (reports in $reports)"
