#!/usr/bin/env bash
# Checks that a running event loop's fast-tier submit path makes no system calls.
#
# Builds eventloop/examples/fast_tier.rs (a producer submits N tasks to a loop kept busy
# by a self-resubmitting task, between two marker writes on stderr), runs it under
# `strace -f`, and counts every system call made by any thread between the markers.
# Fails if that count exceeds MAX_PERCENT of the submits (default 1%), or if the example
# itself reports lost tasks or a wakeup of the running loop.
#
# Needs strace (Debian: `apt-get install -y --no-install-recommends strace`).
# Usage: scripts/strace-check.sh [SUBMITS]   (default 1000000; env MAX_PERCENT=1)
set -euo pipefail

cd "$(dirname "$0")/.."
submits="${1:-1000000}"
max_percent="${MAX_PERCENT:-1}"

if ! command -v strace >/dev/null 2>&1; then
    echo "strace-check: strace is not installed (apt-get install -y strace)" >&2
    exit 2
fi

cargo build --quiet --release -p eventloop --example fast_tier
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/examples/fast_tier"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# -f: all threads; -qq: no attach/exit notices; the program's own stderr goes to a file so
# the markers appear in the trace as write(2, "FAST_TIER_...") calls.
if ! strace -f -qq -o "$work/trace" "$bin" "$submits" >"$work/stdout" 2>"$work/stderr"; then
    cat "$work/stdout" "$work/stderr" >&2
    echo "strace-check: FAIL: fast_tier failed (see above)" >&2
    exit 1
fi
cat "$work/stdout"

if ! grep -q 'FAST_TIER_BEGIN' "$work/trace" || ! grep -q 'FAST_TIER_END' "$work/trace"; then
    echo "strace-check: FAIL: markers not found in the trace (did strace attach?)" >&2
    exit 1
fi

# Count each system call once: skip the "<... x resumed>" halves of calls that strace
# split across threads, and signal / exit lines. Prints "name count" pairs, then "TOTAL n".
awk '
    /write\(2, "FAST_TIER_BEGIN/ { on = 1; next }
    /write\(2, "FAST_TIER_END/   { on = 0; next }
    !on                          { next }
    /resumed>/ || / --- / || / \+\+\+ / { next }
    {
        # "PID name(args" -> name
        line = $0
        sub(/^[0-9]+ +/, "", line)
        name = line
        sub(/\(.*/, "", name)
        count[name]++
        total++
    }
    END {
        for (n in count) printf "%s %d\n", n, count[n]
        printf "TOTAL %d\n", total + 0
    }
' "$work/trace" | sort >"$work/counts"

total="$(awk '$1 == "TOTAL" { print $2 }' "$work/counts")"
limit=$(( submits * max_percent / 100 ))
echo "strace-check: $submits submits to a running loop; system calls between the markers (all threads):"
grep -v '^TOTAL' "$work/counts" | sed 's/^/  /' || true
echo "  total $total (limit $limit = ${max_percent}% of submits)"
if [ "$total" -gt "$limit" ]; then
    echo "strace-check: FAIL: the fast-tier submit path made $total system calls for $submits submits" >&2
    exit 1
fi
echo "strace-check: OK"
