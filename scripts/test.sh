#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install the brokers the tests
# start (redis-server, Apache Kafka from Maven Central), check formatting and
# lints, then run every unit and integration test against real servers.
# CI runs exactly this.
#
# One Apache Kafka broker is shared by every test that does not hurt it
# (each test makes its own topics); the tests that stop, freeze or cut a
# broker, and the 3-node cluster tests, start their own. To run the shared
# tests against a broker of your own, set DUALSTREAM_TEST_KAFKA=host:port.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-brokers.sh >/dev/null
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "test: installing cargo-nextest (once)" >&2
  cargo install cargo-nextest --locked --quiet >&2 || echo "test: no cargo-nextest; running cargo test" >&2
fi

if [ -z "${DUALSTREAM_TEST_KAFKA:-}" ]; then
  state="$(mktemp -d "${TMPDIR:-/tmp}/dualstream-test.XXXXXX")"
  trap 'DUALSTREAM_STATE="$state" bash scripts/brokers.sh stop; rm -rf "$state"' EXIT
  eval "$(DUALSTREAM_STATE="$state" bash scripts/brokers.sh start --kafka-only)"
  export DUALSTREAM_TEST_KAFKA="$DUALSTREAM_BROKERS"
  unset DUALSTREAM_BROKERS
fi

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast
else
  cargo test --locked --no-fail-fast
fi
