#!/usr/bin/env bash
# Fuzzes layout-cli: installs cargo-fuzz if it is missing (it needs a nightly toolchain),
# then runs each target for SECONDS (default 600) at the lowest CPU priority, seeded
# with the report fixtures. Not part of CI. Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(report shapes)

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    # A version that builds with the toolchains here; --locked for its own pins.
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

fixtures=../layout-cli/tests/fixtures/report
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    seeds=()
    [ "$t" = report ] && seeds=("$fixtures/src" "$fixtures/broken")
    echo "== $t for ${secs}s" >&2
    nice -n 19 cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$secs" -print_final_stats=1 2>&1 | tee "fuzz-$t.log" | tail -n 25
done
