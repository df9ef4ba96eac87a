#!/usr/bin/env bash
# Cargo runner for aarch64-unknown-linux-gnu: runs the binary under qemu-user.
# `-L` points qemu at the cross libc (Debian: libc6-dev-arm64-cross); without it:
# "Could not open /lib/ld-linux-aarch64.so.1" (binfmt_misc is not relied upon).
# On an aarch64 host the binary runs natively.
set -euo pipefail
if [[ $# -lt 1 ]]; then
    echo "usage: $0 PROGRAM [ARGS...]" >&2
    exit 2
fi
if [[ "$(uname -m)" == "aarch64" || "$(uname -m)" == "arm64" ]]; then
    exec "$@"
fi
if ! command -v qemu-aarch64 >/dev/null 2>&1; then
    echo "qemu-runner: qemu-aarch64 not found; run scripts/setup.sh (Debian: apt-get install qemu-user)" >&2
    exit 127
fi
# Lets tests scale stress loops down under emulation (read by eventloop's tests).
export CACHELAYOUT_EMULATOR="${CACHELAYOUT_EMULATOR:-qemu}"
exec qemu-aarch64 -L "${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}" "$@"
