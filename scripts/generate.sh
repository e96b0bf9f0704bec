#!/usr/bin/env bash
# Regenerate completions/ and man/ from the clap definition. Run after any
# flag change; tests/generated.rs fails while they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --locked
bin=target/debug/dualstream
mkdir -p completions man
"$bin" completions bash >completions/dualstream.bash
"$bin" completions zsh >completions/_dualstream
"$bin" completions fish >completions/dualstream.fish
"$bin" completions powershell >completions/_dualstream.ps1
"$bin" completions elvish >completions/dualstream.elv
rm -f man/*.1
"$bin" man --out-dir man
echo "regenerated completions/ and man/"
