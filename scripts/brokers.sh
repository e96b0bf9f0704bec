#!/usr/bin/env bash
# Start or stop a local Redis and Apache Kafka (KRaft) for development, the
# demo and the test suite. Installs what is missing first.
#
#   scripts/brokers.sh start              # Redis + one combined broker/controller
#   scripts/brokers.sh start --nodes 3    # Redis + a 3-node KRaft cluster (RF 3, min.insync 2)
#   scripts/brokers.sh start --kafka-only # no Redis (the test suite starts its own)
#   scripts/brokers.sh stop
#
# start prints export lines for DUALSTREAM_BROKERS and DUALSTREAM_REDIS:
#   eval "$(scripts/brokers.sh start)"
# Ports: DUALSTREAM_REDIS_PORT, else free ones. State (pid files, configs,
# logs, Kafka's data, formatted afresh at each start): DUALSTREAM_STATE, else
# $cache/run.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${DUALSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dualstream}"
state="${DUALSTREAM_STATE:-$cache/run}"

log() { printf 'brokers: %s\n' "$*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_redis() {
  running "$state/redis.pid" && return 0
  local port="${DUALSTREAM_REDIS_PORT:-$(free_port)}"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no >"$state/redis.log" 2>&1 &
  echo $! >"$state/redis.pid"
  echo "$port" >"$state/redis.port"
  for _ in $(seq 1 100); do
    port_open "$port" && return 0
    sleep 0.1
  done
  log "redis-server did not open port $port (see $state/redis.log)"
  return 1
}

# Ready means a Metadata request answers with every broker of the cluster,
# not an open port: a broker listens before it has joined its controllers.
brokers_listed() {
  python3 "$here/kafka/ready.py" "$1" "$2"
}

start_kafka() {
  local nodes=$1 lib
  if [ -f "$state/kafka.brokers" ] && running "$state/kafka-1.pid"; then
    return 0
  fi
  lib="$(bash "$here/install-brokers.sh")"
  local cp="$lib/*"
  # The broker's class-data archive, when install-brokers.sh could make one.
  local -a share=()
  [ -f "$(dirname "$lib")/kafka.jsa" ] && share=(-Xlog:cds*=off -XX:SharedArchiveFile="$(dirname "$lib")/kafka.jsa")
  local cluster_id
  cluster_id="$(java "${share[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid)"
  local -a bports cports
  local i voters="" bootstrap_servers=""
  for i in $(seq 1 "$nodes"); do
    bports[i]=$(free_port)
    cports[i]=$(free_port)
    voters+="${voters:+,}$i@127.0.0.1:${cports[i]}"
    bootstrap_servers+="${bootstrap_servers:+,}127.0.0.1:${bports[i]}"
  done
  sed "s|@LOGS@|$state|" "$here/kafka/log4j2.properties" >"$state/log4j2.properties"
  for i in $(seq 1 "$nodes"); do
    local dir="$state/kafka-$i"
    rm -rf "$dir"
    mkdir -p "$dir"
    {
      echo "node.id=$i"
      echo "listeners=PLAINTEXT://127.0.0.1:${bports[i]},CONTROLLER://127.0.0.1:${cports[i]}"
      echo "advertised.listeners=PLAINTEXT://127.0.0.1:${bports[i]}"
      echo "log.dirs=$dir/data"
      if [ "$nodes" -eq 1 ]; then
        echo "controller.quorum.bootstrap.servers=127.0.0.1:${cports[1]}"
        cat "$here/kafka/single.properties"
      else
        echo "controller.quorum.voters=$voters"
        cat "$here/kafka/cluster.properties"
      fi
      cat "$here/kafka/common.properties"
    } >"$dir/server.properties"
    local -a format=(java "${share[@]}" -cp "$cp" -Dlog4j2.configurationFile="$state/log4j2.properties"
      -Dkafka.logs.dir="$dir" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties")
    [ "$nodes" -eq 1 ] && format+=(--standalone)
    "${format[@]}" >"$dir/format.log" 2>&1 || { log "formatting node $i failed: $(cat "$dir/format.log")"; return 1; }
    java "${share[@]}" -Xms256m -Xmx512m -Dlog4j2.configurationFile="$state/log4j2.properties" \
      -Dkafka.logs.dir="$dir" -cp "$cp" kafka.Kafka "$dir/server.properties" \
      >"$dir/stdout.log" 2>&1 &
    echo $! >"$state/kafka-$i.pid"
  done
  for _ in $(seq 1 600); do
    if brokers_listed "$bootstrap_servers" "$nodes"; then
      echo "$bootstrap_servers" >"$state/kafka.brokers"
      return 0
    fi
    for i in $(seq 1 "$nodes"); do
      running "$state/kafka-$i.pid" || { log "Kafka node $i exited at start (see $state/kafka-$i/server.log)"; return 1; }
    done
    sleep 0.1
  done
  log "Kafka did not list $nodes broker(s) within 60 s (see $state/kafka-*/server.log)"
  return 1
}

start() {
  local nodes=1 redis=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --nodes) nodes="$2"; shift 2 ;;
      --kafka-only) redis=0; shift ;;
      *) echo "usage: $0 start [--nodes N] [--kafka-only]" >&2; exit 2 ;;
    esac
  done
  mkdir -p "$state"
  bash "$here/install-brokers.sh" >/dev/null
  if [ "$redis" -eq 1 ]; then start_redis; fi
  start_kafka "$nodes"
  echo "export DUALSTREAM_BROKERS=$(cat "$state/kafka.brokers")"
  if [ "$redis" -eq 1 ]; then
    echo "export DUALSTREAM_REDIS=redis://127.0.0.1:$(cat "$state/redis.port")"
  fi
}

stop_pid() {
  local file=$1
  if running "$file"; then
    local pid
    pid="$(cat "$file")"
    kill "$pid" 2>/dev/null || true
    # A controlled shutdown takes a few seconds; a node whose quorum is
    # gone may never finish one.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  local f
  for f in "$state"/kafka-*.pid "$state"/redis.pid; do
    [ -e "$f" ] && stop_pid "$f" &
  done
  wait
  rm -f "$state/kafka.brokers"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start [--nodes N] [--kafka-only] | stop" >&2; exit 2 ;;
esac
