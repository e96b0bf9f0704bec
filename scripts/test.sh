#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install the brokers the tests
# start (redis-server, Tansu), check formatting and lints, then run every
# unit and integration test against real servers. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-brokers.sh >/dev/null
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast
else
  cargo test --locked --no-fail-fast
fi
