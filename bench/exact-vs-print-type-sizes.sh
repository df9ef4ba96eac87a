#!/usr/bin/env bash
# `layout-cli report --exact` against its peers on tokio with the `full` feature set:
#   - layout-cli --exact, four targets, cold (empty cache and private target dir) and warm
#   - layout-cli static report, four targets
#   - `cargo +nightly rustc --lib -- -Zprint-type-sizes`, one target (the host), cold:
#     nightly-only and a full build, so one target is all it gives per run.
# All in one run on one machine; prints wall-clock seconds and the ratios.
#
# Usage: bench/exact-vs-print-type-sizes.sh [WORK_DIR]   (default /tmp/exact-bench)
# Needs: the stable toolchain with the four targets' std, a nightly toolchain, network
# access for the first `cargo fetch` of tokio.
set -euo pipefail

TOKIO_VERSION=1.54.1
WORK=${1:-/tmp/exact-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-pc-windows-msvc aarch64-apple-darwin)
TARGET_FLAGS=()
for t in "${TARGETS[@]}"; do TARGET_FLAGS+=(--target "$t"); done

cargo build --release -p layout-cli --manifest-path "$ROOT/Cargo.toml" >&2
BIN="$ROOT/target/release/layout-cli"

# A workspace whose member is tokio's published source, `full` on by default (so every
# tool sees the same build without extra flags), without its tests and dev-dependencies.
rm -rf "$WORK"
mkdir -p "$WORK/fetch/src"
cat > "$WORK/fetch/Cargo.toml" <<EOF
[package]
name = "fetch-tokio"
version = "0.0.0"
edition = "2021"
[dependencies]
tokio = { version = "=$TOKIO_VERSION", features = ["full"] }
[workspace]
EOF
touch "$WORK/fetch/src/lib.rs"
cargo fetch --manifest-path "$WORK/fetch/Cargo.toml" >&2
SRC=$(cargo metadata --format-version 1 --manifest-path "$WORK/fetch/Cargo.toml" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(p["manifest_path"] for p in d["packages"] if p["name"]=="tokio").rsplit("/",1)[0])')
cp -r "$SRC" "$WORK/tokio"
cd "$WORK/tokio"
rm -rf tests benches examples Cargo.toml.orig .cargo_vcs_info.json
python3 - <<'EOF'
text = open("Cargo.toml").read()
out, skip = [], False
for line in text.split("\n"):
    if line.startswith("["):
        skip = "dev-dependencies" in line or line.split("]")[0] in ("[[test", "[[bench", "[[example")
    if not skip:
        out.append(line)
text = "\n".join(out).replace("default = []", 'default = ["full"]', 1) + "\n[workspace]\n"
open("Cargo.toml", "w").write(text)
EOF
cargo generate-lockfile >&2

secs() { python3 -c 'import sys,time; print(f"{time.time():.3f}")'; }
run() { # label, command...
  local label=$1; shift
  local t0 t1
  t0=$(secs)
  "$@" >/dev/null 2>&1 || true
  t1=$(secs)
  python3 -c "print(f'{\"$label\":<44} {($t1-$t0):8.2f} s')"
  echo "$label $t0 $t1" >> "$WORK/times"
}

: > "$WORK/times"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "layout-cli report (static, 4 targets)" "$BIN" report --format json "${TARGET_FLAGS[@]}" .
rm -rf target/layout-exact
run "layout-cli report --exact (4 targets, cold)" "$BIN" report --exact --format json "${TARGET_FLAGS[@]}" .
run "layout-cli report --exact (4 targets, warm)" "$BIN" report --exact --format json "${TARGET_FLAGS[@]}" .
run "cargo +nightly -Zprint-type-sizes (1 target)" \
  env CARGO_TARGET_DIR="$WORK/pts-target" cargo +nightly rustc --lib -- -Zprint-type-sizes
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$WORK/times" <<'EOF'
import sys
t = {}
for line in open(sys.argv[1]):
    *label, a, b = line.split()
    t[" ".join(label)] = float(b) - float(a)
cold = t["layout-cli report --exact (4 targets, cold)"]
warm = t["layout-cli report --exact (4 targets, warm)"]
pts = t["cargo +nightly -Zprint-type-sizes (1 target)"]
static = t["layout-cli report (static, 4 targets)"]
print(f"print-type-sizes for 1 target / --exact cold for 4: {pts / cold:.2f}x")
print(f"print-type-sizes for 1 target / --exact warm for 4: {pts / warm:.1f}x")
print(f"--exact cold per target / print-type-sizes per target: {cold / 4 / pts:.2f}x")
print(f"--exact warm / static report: {warm / static:.2f}x")
EOF
