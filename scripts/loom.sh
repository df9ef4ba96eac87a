#!/usr/bin/env bash
# loom models of eventloop's MicrotaskRing, of its sleep/wake protocol (FastState +
# submit queue + park/unpark) and of the ordered submit shards (tickets, cutoff, carry).
# Under cfg(loom) the crate's `sync` shim swaps in loom's atomics, cells, mutex and park,
# rings shrink to a few slots, and only the model tests (named `loom_*`, in the lib) are
# built and run.
# Usage: bash scripts/loom.sh [test-name filter]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export RUSTFLAGS="--cfg loom ${RUSTFLAGS:-}"
# cfg(loom) changes every crate's flags: keep those builds out of the normal target dir.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/loom"
# Bounded preemptions keep the exhaustive search to minutes; raise it to search deeper.
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"

cargo test -p eventloop --release --lib "${1:-loom_}" -- --test-threads=2
