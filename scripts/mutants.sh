#!/usr/bin/env bash
# Mutation testing of the pure modules: cargo-mutants changes their code one
# mutant at a time (an operator flipped, a body replaced by a default) and
# runs the binary's unit tests against each; a mutant the tests still pass is
# "missed". Prints caught / missed / unviable / timeout and the score of each
# module, and exits 1 when a module's score is below its floor below.
#
# Only the unit tests run (`--bin dualstream`): no broker is needed. Mutants
# that cannot change behaviour are excluded, each with its reason, in
# .cargo/mutants.toml.
#
#   scripts/mutants.sh                    every module below (about 20 minutes
#                                         on 2 cores, more on the first run)
#   scripts/mutants.sh src/event.rs       some of them
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cache="${DUALSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dualstream}"
mutants_version="27.1.0"
mutants_root="$cache/cargo-mutants"
mutants_bin="$mutants_root/bin/cargo-mutants"

log() { printf 'mutants: %s\n' "$*" >&2; }

# The floor of each module's score (percent of viable mutants caught,
# rounded down), set from the scores measured when the tests were written:
# every module at 100%, the exclusions in .cargo/mutants.toml aside.
declare -A floor=(
  [src/event.rs]=100
  [src/input.rs]=100
  [src/pubsub/glob.rs]=100
  [src/config.rs]=100
  [src/error.rs]=100
  [src/duration.rs]=100
  [src/output/records.rs]=100
)
modules=(src/event.rs src/input.rs src/pubsub/glob.rs src/config.rs src/error.rs
  src/duration.rs src/output/records.rs)
if [ $# -gt 0 ]; then
  modules=("$@")
fi
for m in "${modules[@]}"; do
  [ -n "${floor[$m]:-}" ] || { log "$m: not a module this script scores"; exit 2; }
done

if ! "$mutants_bin" mutants --version 2>/dev/null | grep -qx "cargo-mutants $mutants_version"; then
  log "installing cargo-mutants $mutants_version into $mutants_root (once)"
  cargo install cargo-mutants --version "$mutants_version" --locked --force \
    --root "$mutants_root" --quiet
fi

# A target directory of its own. cargo-mutants builds a copy of the tree,
# and cargo names that copy's binary exactly as it names this tree's: in a
# shared directory a later `cargo test` here found the last mutant's binary
# "fresh" and ran it. For the same reason mutants are built one at a time
# (--jobs 1): parallel copies would overwrite each other's binary. The
# first run builds the dependencies (librdkafka included) once; later runs
# reuse them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/mutants"
out="$CARGO_TARGET_DIR/report"
# cargo-mutants creates the report directory but not its parents.
mkdir -p "$CARGO_TARGET_DIR"

# The property tests draw the same cases on every run, so a mutant that
# only a drawn case catches is caught every time, and scores do not wander.
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-18}"
export PROPTEST_DISABLE_FAILURE_PERSISTENCE=1

files=()
for m in "${modules[@]}"; do
  files+=(--file "$m")
done
log "testing the mutants of ${modules[*]} (unit tests of the binary only)"
start=$SECONDS
status=0
"$mutants_bin" mutants --jobs 1 --cargo-arg=--bin=dualstream \
  --no-shuffle "${files[@]}" --output "$out" || status=$?
# 2: some mutants missed, 3: some timed out; both are scored below.
# Anything else (1: usage, 4: the unmutated tree fails its tests) is fatal.
case $status in
  0 | 2 | 3) ;;
  *) log "cargo mutants failed (exit $status); see $out/mutants.out"; exit "$status" ;;
esac

count() { grep -c "^$2:" "$out/mutants.out/$1.txt" || true; }
failed=0
printf '%-24s %7s %7s %9s %8s %7s %6s\n' module caught missed unviable timeout score floor
for m in "${modules[@]}"; do
  caught=$(count caught "$m")
  missed=$(count missed "$m")
  unviable=$(count unviable "$m")
  timeout=$(count timeout "$m")
  # A timeout is caught too: the tests did not pass with that mutant.
  viable=$((caught + missed + timeout))
  score=100
  if [ "$viable" -gt 0 ]; then
    score=$(((caught + timeout) * 100 / viable))
  fi
  verdict=""
  if [ "$score" -lt "${floor[$m]}" ]; then
    verdict="  BELOW FLOOR"
    failed=1
  fi
  printf '%-24s %7d %7d %9d %8d %6d%% %5d%%%s\n' "$m" "$caught" "$missed" "$unviable" \
    "$timeout" "$score" "${floor[$m]}" "$verdict"
done
if [ -s "$out/mutants.out/missed.txt" ]; then
  log "missed mutants:"
  sed 's/^/  /' "$out/mutants.out/missed.txt" >&2
fi
log "took $((SECONDS - start))s; details in $out/mutants.out"
exit "$failed"
