#!/usr/bin/env bash
# Install what dualstream's demo and tests need, idempotently, on a fresh machine:
#   - redis-server (Debian's package, through apt)
#   - Tansu 0.6.0 (Kafka wire compatible broker), built once by cargo into a cache
#     directory outside the repository and reused by every later run.
# Prints the path of the tansu binary on its last line.
set -euo pipefail

cache="${DUALSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dualstream}"
tansu_version="0.6.0"
tansu_root="$cache/tansu-$tansu_version"
tansu_bin="$tansu_root/bin/tansu"

log() { printf 'install-brokers: %s\n' "$*" >&2; }

# redis-server for the tests and the demo; libssl-dev and pkg-config for
# librdkafka's TLS/SASL support, which dualstream itself is built with.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
# The TLS tests (rediss://) make a self-signed certificate with the openssl tool.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The redis package starts a system-wide server on 6379; the tests and the
  # demo start their own on free ports, so leave the system one alone.
fi

if [ ! -x "$tansu_bin" ]; then
  log "building tansu $tansu_version into $tansu_root (once; about 10 minutes on 2 cores)"
  mkdir -p "$tansu_root"
  cargo install tansu --version "$tansu_version" --locked --features libsql \
    --root "$tansu_root" --quiet
fi

"$tansu_bin" --version >/dev/null 2>&1 || { log "tansu at $tansu_bin does not run"; exit 1; }
echo "$tansu_bin"
