#!/usr/bin/env bash
# Install what dualstream's demo and tests need, idempotently, on a fresh machine:
#   - redis-server and redis-cli (Debian's packages, through apt)
#   - Java 17 and Maven (apt, when missing)
#   - Apache Kafka (the broker, its storage tool and its Java tools, with a
#     Log4j 2 backend), resolved once from Maven Central by
#     scripts/kafka/pom.xml into a cache directory outside the repository.
# Prints the directory of the broker's jars on its last line.
#
# The cache: DUALSTREAM_CACHE, else $XDG_CACHE_HOME/dualstream, else ~/.cache/dualstream.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${DUALSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dualstream}"
pom="$here/kafka/pom.xml"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
kafka_home="$cache/kafka-$kafka_version"
lib="$kafka_home/lib"

log() { printf 'install-brokers: %s\n' "$*" >&2; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# redis-cli joins the test Redis Cluster; redis-benchmark floods for bench.sh.
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
# libssl-dev and pkg-config for librdkafka's TLS/SASL support, which
# dualstream itself is built with; the TLS tests make certificates with openssl.
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The redis package starts a system-wide server on 6379; the tests and the
  # demo start their own on free ports, so leave the system one alone.
fi

# The jars are resolved once per pom: a changed pom (another Kafka release)
# resolves again into its own directory.
stamp="$lib/.pom.sha256"
want="$(sha256sum "$pom" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "resolving Apache Kafka $kafka_version from Maven Central into $lib (once)"
  tmp="$kafka_home/lib.partial"
  rm -rf "$tmp"
  mkdir -p "$kafka_home"
  # A partial download never passes for a complete one: resolve into a
  # directory of its own, then move it into place.
  # Maven's output goes to a log, shown only when it fails.
  if ! (cd "$here/kafka" && mvn -q -B -Dstyle.color=never -f pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime) >"$kafka_home/mvn.log" 2>&1; then
    cat "$kafka_home/mvn.log" >&2
    log "resolving Apache Kafka $kafka_version failed (Maven Central reachable? see above)"
    exit 1
  fi
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$lib"
  mv "$tmp" "$lib"
fi

ls "$lib"/kafka_2.13-*.jar >/dev/null 2>&1 || { log "no broker jar in $lib"; exit 1; }
echo "$lib"
