#!/usr/bin/env bash
# Miri over eventloop's unsafe code: the MicrotaskRing, the inline task storage and the
# loop in its user-space wakeup tier. Miri cannot drive epoll through mio, so tests that
# register an I/O source are `#[cfg_attr(miri, ignore)]`, and so is the batch-capacity test
# (a million submits one by one, safe code only); everything else runs here.
# Usage: bash scripts/miri.sh [extra test-name filters / libtest args after --]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Our own target dir: a Miri build must not invalidate the normal one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/miri"
# Stress tests scale themselves down under cfg(miri); many-seeds would multiply the time.
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance}"

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup component add miri rust-src --toolchain nightly
fi
# stdin from /dev/null: cargo-miri's target probe (`rustc -`) must not read a caller's pipe.
cargo +nightly miri test -p eventloop --lib --tests "$@" </dev/null
