#!/usr/bin/env bash
# Replays the committed fuzz corpora (an ordinary cargo test on stable), then
# runs every fuzz target for a bounded time with cargo-fuzz (libFuzzer).
# A crash found is a failing exit. Usage: scripts/fuzz.sh [seconds per target]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-30}

echo "== fuzz corpora replayed"
cargo test --quiet

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi

# cargo-fuzz needs nightly flags; stable accepts them with RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1
for target in open_file schema_block schema_file model mesh_source; do
    echo "== fuzzing $target for ${seconds}s"
    work=$(mktemp -d)
    mkdir -p "$work/new"
    # New inputs go to the scratch directory, never into the committed corpus.
    if ! cargo fuzz run -O "$target" "$work/new" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 >"$work/log" 2>&1; then
        tail -n 60 "$work/log"
        echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^Done" "$work/log" || true
    rm -rf "$work"
done
