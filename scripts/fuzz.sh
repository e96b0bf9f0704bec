#!/usr/bin/env bash
# Fuzz the input parsers with cargo-fuzz (libFuzzer): the NDJSON event parser
# (event_json), the NDJSON and CSV readers (ndjson_reader, csv_reader) and
# field extraction with arbitrary paths, constants, times and channel
# templates (fields), and tail's RESP2 parser (resp_frames). Each target
# runs for a bounded time; a crash stops the
# script with exit 1 and leaves its input under fuzz/artifacts/TARGET/.
#
#   scripts/fuzz.sh                    every target, 60 s each
#   scripts/fuzz.sh 300                every target, 300 s each
#   scripts/fuzz.sh 120 csv_reader     some targets
#
# cargo-fuzz is installed once into the cache directory. It needs a nightly
# compiler for the sanitizer flags: the nightly toolchain when rustup has
# one, else the stable one with RUSTC_BOOTSTRAP=1. The fuzz crate is its own
# workspace (fuzz/Cargo.toml), so the main crate's builds never see it.
# Seeds are committed in fuzz/seeds/TARGET; what libFuzzer finds beyond them
# goes to fuzz/corpus/TARGET (not committed). Replay a crash with
# `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-…` from fuzz/..
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(event_json ndjson_reader csv_reader fields resp_frames)
fi

cache="${DUALSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dualstream}"
fuzz_version="0.13.2"
fuzz_root="$cache/cargo-fuzz"
export PATH="$fuzz_root/bin:$PATH"

log() { printf 'fuzz: %s\n' "$*" >&2; }

if ! cargo fuzz --version 2>/dev/null | grep -q "$fuzz_version"; then
  log "installing cargo-fuzz $fuzz_version into $fuzz_root (once)"
  cargo install cargo-fuzz --version "$fuzz_version" --locked --force \
    --root "$fuzz_root" --quiet
fi

toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  log "no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
fi

status=0
mkdir -p fuzz/artifacts
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target" "fuzz/seeds/$target"
  log="fuzz/artifacts/$target.log"
  log "$target: ${seconds}s (log: $log)"
  # New inputs go to the first directory; the seeds are only read.
  if cargo "${toolchain[@]}" fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" \
    -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units' "$log" | sed "s/^/fuzz: $target: /" >&2 || true
  else
    grep -E "panicked at|^SUMMARY|Test unit written|^error" "$log" | sed "s/^/fuzz: $target: /" >&2 || true
    log "$target: FAILED (the input is under fuzz/artifacts/$target)"
    status=1
  fi
done
exit $status
