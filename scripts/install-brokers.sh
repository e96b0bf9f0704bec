#!/usr/bin/env bash
# Install what dualstream's demo and tests need, idempotently, on a fresh machine:
#   - redis-server and redis-cli (Debian's packages, through apt)
#   - Java 17 and Maven (apt, when missing)
#   - chromium (Debian's, headless, for the browser test of `serve`)
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
# Headless Chromium for the tests of serve's pages (tests/it/serve_browser.rs).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
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

# A class-data archive of a broker's start (Java's AppCDS), made once per
# jars and JVM: with it a broker reaches ready on about a third less CPU,
# which on two cores is what the suite's many broker starts wait for.
# brokers.sh and the tests use it when it is there; a JVM that cannot use
# it (another build of Java) silently runs without it.
jsa="$kafka_home/kafka.jsa"
jvm="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.vm.version = //p')"
if [ ! -f "$jsa" ] || [ "$(cat "$jsa.stamp" 2>/dev/null)" != "$want $jvm" ]; then
  log "archiving the broker's classes for faster starts (once)"
  work="$(mktemp -d "${TMPDIR:-/tmp}/dualstream-cds.XXXXXX")"
  port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  bport=$(port)
  cport=$(port)
  {
    echo "node.id=1"
    echo "listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$bport"
    echo "log.dirs=$work/data"
    echo "controller.quorum.bootstrap.servers=127.0.0.1:$cport"
    cat "$here/kafka/single.properties" "$here/kafka/common.properties"
  } >"$work/server.properties"
  sed "s|@LOGS@|$work|" "$here/kafka/log4j2.properties" >"$work/log4j2.properties"
  rm -f "$jsa"
  if java -cp "$lib/*" -Dlog4j2.configurationFile="$work/log4j2.properties" -Dkafka.logs.dir="$work" \
    kafka.tools.StorageTool format --standalone -t "$(java -cp "$lib/*" kafka.tools.StorageTool random-uuid)" \
    -c "$work/server.properties" >"$work/format.log" 2>&1; then
    java -Xlog:cds*=off -XX:ArchiveClassesAtExit="$jsa.partial.$$" -Xms128m -Xmx512m \
      -Dlog4j2.configurationFile="$work/log4j2.properties" -Dkafka.logs.dir="$work" \
      -cp "$lib/*" kafka.Kafka "$work/server.properties" >"$work/stdout.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
      python3 "$here/kafka/ready.py" "127.0.0.1:$bport" 1 && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    # The archive is written as the JVM exits after a controlled shutdown.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ -s "$jsa.partial.$$" ]; then
    mv "$jsa.partial.$$" "$jsa"
    echo "$want $jvm" >"$jsa.stamp"
    rm -rf "$work"
  else
    rm -f "$jsa.partial.$$"
    log "no class-data archive (brokers start without it; see $work)"
  fi
fi
echo "$lib"
