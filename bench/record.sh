#!/usr/bin/env bash
# Records the event loop's performance figures: builds the two bench binaries once (the
# system allocator and mimalloc), then runs the interleaved driver (loop_* --interleaved,
# documented in bench/RESULTS.md) RUNS times per allocator, alternating allocators, and
# prints the ratio tables of every run, grouped by row, ready to paste into RESULTS.md.
#
# Run it on a quiet machine (nothing else building): every figure is cross-thread.
# Defaults: 6 runs of 60 cycles of ~0.75 s each (estimated ~45 s per run on a quiet machine;
# 80 cycles took 123-131 s per run at load 12), plus the build. Since 2026-12-01 two
# ordered-shard candidates run in every row but the wakeup (8 executors instead of 6-7
# per cycle): expect the runs to take longer in proportion (not timed on a quiet machine).
#
# Usage: bash bench/record.sh
# Settings (environment): RUNS (3), EVLOOP_ROUNDS (60 cycles per row), EVLOOP_ROUND_MS
# (15 ms per executor round), EVLOOP_WAKEUPS (8 per round), EVLOOP_ROWS (a row filter,
# e.g. 'parked|submit_p10'), OUT (the output directory, default bench/runs/<UTC stamp>).
# Writes OUT/<alloc>-<n>.raw.txt (every round, not committed) and OUT/summary.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS="${RUNS:-3}"
export EVLOOP_ROUNDS="${EVLOOP_ROUNDS:-60}"
export EVLOOP_ROUND_MS="${EVLOOP_ROUND_MS:-15}"
export EVLOOP_WAKEUPS="${EVLOOP_WAKEUPS:-8}"
OUT="${OUT:-bench/runs/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"

echo "record: building the bench binaries" >&2
build_log="$OUT/build.log"
if ! cargo bench -p eventloop --bench loop_glibc --bench loop_mimalloc --no-run >"$build_log" 2>&1; then
    cat "$build_log" >&2
    exit 1
fi
# cargo prints "Executable benches/loop_glibc.rs (target/release/deps/loop_glibc-<hash>)".
exe() {
    sed -n "s|.*Executable benches/$1\.rs (\(.*\))|\1|p" "$build_log" | tail -n 1
}
GLIBC="$(exe loop_glibc)"
MIMALLOC="$(exe loop_mimalloc)"
for b in "$GLIBC" "$MIMALLOC"; do
    if [[ -z "$b" || ! -x "$b" ]]; then
        echo "record: bench binary not found in $build_log" >&2
        exit 1
    fi
done

{
    echo "# recorded $(date -u +'%Y-%m-%d %H:%M UTC') at $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
    echo "# $(uname -r), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# EVLOOP_ROUNDS=$EVLOOP_ROUNDS EVLOOP_ROUND_MS=$EVLOOP_ROUND_MS EVLOOP_WAKEUPS=$EVLOOP_WAKEUPS RUNS=$RUNS ${EVLOOP_ROWS:+EVLOOP_ROWS=$EVLOOP_ROWS}"
} >"$OUT/summary.md"

# Give the benchmark's session the CPU first where allowed (its own autogroup at nice
# -15); without the privilege it runs at normal priority, which is fine on a quiet machine.
run_one() {
    local bin="$1" raw="$2"
    setsid -w bash -c 'echo -15 > /proc/self/autogroup 2>/dev/null || true; exec "$0" --interleaved' "$bin" >"$raw" 2>&1
}

for n in $(seq 1 "$RUNS"); do
    for alloc in glibc mimalloc; do
        bin="$GLIBC"
        [[ "$alloc" == mimalloc ]] && bin="$MIMALLOC"
        raw="$OUT/$alloc-$n.raw.txt"
        echo "record: $alloc run $n of $RUNS (load $(cut -d' ' -f1 /proc/loadavg))" >&2
        started=$SECONDS
        if ! EVLOOP_RUN="$n" run_one "$bin" "$raw"; then
            echo "record: $alloc run $n failed; see $raw" >&2
            exit 1
        fi
        echo "# $alloc run $n: $((SECONDS - started)) s, load after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/summary.md"
    done
done

# The ratio tables of all runs, grouped by row (in the driver's row order), then the
# pairwise and per-executor tables.
rows=(round_trip parked parked_at_once submit_p1 submit_p2 submit_p4 submit_p10 wakeup)
# The data rows of every run's section whose heading starts with "### $1", by row.
by_row() {
    local r
    for r in "${rows[@]}"; do
        awk -v h="### $1" 'index($0, h) == 1 {on=1; next} /^### /{on=0} on && /^\| (glibc|mimalloc) \|/' "$OUT"/*.raw.txt |
            awk -F' \\| ' -v r="$r" '$3 == r'
    done
}
# The header and rule of the first run's pairwise table (one column per peer).
pair_head() {
    awk '/^### Pairwise/{on=1; next} on && /^\| alloc \|/{print; getline; print; exit}' "$OUT"/*.raw.txt
}
{
    echo
    echo "## Ratio tables (every run)"
    echo
    echo "| alloc | run | row | mode | cycles | executor | ns/op | best peer | its ns/op | ratio per cycle | ahead | >= 2x |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    by_row "Ratio table"
    echo
    echo "ns/op: median [p10, p90] over the cycles of that mode. ratio per cycle: executor /"
    echo "fastest peer of the same cycle, median [p10, p90]; ahead: cycles with ratio < 1;"
    echo ">= 2x: cycles with ratio <= 0.5."
    echo
    echo "## Pairwise (every run)"
    echo
    pair_head
    by_row "Pairwise"
    echo
    echo "probe ns: the cycles' line RTT probe, median [p10, p90]. vs P: executor / P in the"
    echo "same cycle, median [p10, p90], then the cycles with ratio < 1."
    echo
    echo "## Per executor (every run)"
    echo
    echo "| alloc | run | row | mode | executor | ns/op | p50 | p99 | CPU ns/op | sleeps/op |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    by_row "Per executor"
} >>"$OUT/summary.md"

cat "$OUT/summary.md"
echo >&2
echo "record: raw output and summary in $OUT" >&2
