#!/usr/bin/env bash
# The main job: the static layout report of eventloop's structs, as cargo builds the
# package (default features, dev profile), for every built-in target, pahole-style,
# with the diagnostics.
# Needs only the Rust toolchain (no cross linkers, no emulators).
# Usage: bash scripts/report.sh [extra layout-cli report options, e.g. --format json]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "report: cargo not found: install Rust (https://rustup.rs)" >&2
    exit 1
fi
exec cargo run --release -p layout-cli -- report -p eventloop --all-platforms "$@"
