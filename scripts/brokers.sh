#!/usr/bin/env bash
# Start or stop a local Redis and Tansu (Kafka-compatible, sqlite storage) for
# development and the demo. Idempotent; installs what is missing first.
#
#   scripts/brokers.sh start   # prints export lines for DUALSTREAM_BROKERS / DUALSTREAM_REDIS
#   scripts/brokers.sh stop
#
# Ports: DUALSTREAM_KAFKA_PORT and DUALSTREAM_REDIS_PORT, else free ones.
# State (pid files, logs, sqlite db): DUALSTREAM_STATE, else $cache/run.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${DUALSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dualstream}"
state="${DUALSTREAM_STATE:-$cache/run}"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 200); do
    port_open "$port" && return 0
    sleep 0.1
  done
  echo "brokers: $what did not open port $port (see $state)" >&2
  return 1
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  tansu="$(bash "$here/install-brokers.sh")"
  mkdir -p "$state/tansu"
  if ! running "$state/redis.pid"; then
    rport="${DUALSTREAM_REDIS_PORT:-$(free_port)}"
    redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize no >"$state/redis.log" 2>&1 &
    echo $! >"$state/redis.pid"
    echo "$rport" >"$state/redis.port"
    wait_port "$rport" redis-server
  fi
  if ! running "$state/tansu.pid"; then
    kport="${DUALSTREAM_KAFKA_PORT:-$(free_port)}"
    # Tansu reads a .env from its working directory and exports OpenTelemetry
    # when OTEL_EXPORTER_OTLP_ENDPOINT is set: run it from a directory of its
    # own, without that variable.
    (cd "$state/tansu" && exec env -u OTEL_EXPORTER_OTLP_ENDPOINT "$tansu" broker \
      --cluster-id dualstream-dev \
      --listener-url "tcp://127.0.0.1:$kport" \
      --advertised-listener-url "tcp://127.0.0.1:$kport" \
      --storage-engine "sqlite://tansu.db") >"$state/tansu.log" 2>&1 &
    echo $! >"$state/tansu.pid"
    echo "$kport" >"$state/tansu.port"
    wait_port "$kport" tansu
    # Tansu 0.6.0's sqlite schema has no index on the header table and reads
    # headers record by record: without this, reading 100k records with
    # headers takes minutes instead of seconds.
    sleep 0.3
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); c.execute("create index if not exists header_topition_offset on header (topition, offset_id)"); c.commit()' \
      "$state/tansu/tansu.db"
  fi
  echo "export DUALSTREAM_BROKERS=127.0.0.1:$(cat "$state/tansu.port")"
  echo "export DUALSTREAM_REDIS=redis://127.0.0.1:$(cat "$state/redis.port")"
}

stop() {
  for name in tansu redis; do
    if running "$state/$name.pid"; then
      pid="$(cat "$state/$name.pid")"
      kill "$pid" 2>/dev/null || true
      # A busy Tansu can ignore SIGTERM for a long time.
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/$name.pid"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
