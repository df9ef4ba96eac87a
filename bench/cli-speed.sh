#!/usr/bin/env bash
# How fast `layout-cli report` reads a real crate as cargo builds it, against peers in the
# same run, as ratios:
#
#   layout-cli   report --manifest-path SCRATCH -p tokio, four targets (x86_64 and aarch64
#                Linux, x86_64 Windows MSVC, aarch64 macOS), JSON out: cargo metadata, rustc
#                --print cfg per target, the module tree of tokio and the dependencies it
#                names, every layout on every target; cargo's and rustc's time included.
#   padlock      padlock-cli 0.82.0 `analyze SRC --json --target x86_64-unknown-linux-gnu`
#                on the same tokio source, one target (the peer a user would pick).
#   metadata     `cargo metadata --format-version 1` alone: the floor of any cargo-faithful
#                reading.
#   layout-cli-cold  the layout-cli run with the consumer's target directory removed first
#                (no cached rustc answers, neither layout-cli's nor cargo's): a fresh
#                checkout's first run.
#   rustc        (WITH_RUSTC=1) `cargo +nightly rustc --lib -- -Zprint-type-sizes`, one
#                target, dependencies built beforehand, non-incremental.
#
#   bench/cli-speed.sh                 RUNS=10 bench/cli-speed.sh
#
# The crate is tokio 1.54.1 with `full`, in a scratch consumer crate under $TMPDIR (never
# inside the repo). padlock is taken from PATH, else installed once with `cargo install
# --locked` into target/bench-tools (a few minutes). The peers run interleaved, one of
# each per round; prints the median wall time with its range, the median CPU time
# (process and children) and the median of the per-round ratios with their range, with
# the machine's core count and load.
set -euo pipefail

RUNS="${RUNS:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
TRIPLES=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-pc-windows-msvc aarch64-apple-darwin)

for t in "${TRIPLES[@]}"; do
  rustup target list --installed | grep -qx "$t" || rustup target add "$t" > /dev/null
done

# The scratch consumer: tokio with `full`, as its users build it.
mkdir -p "$TMP/consumer/src"
cat > "$TMP/consumer/Cargo.toml" <<'TOML'
[package]
name = "consumer"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tokio = { version = "=1.54.1", features = ["full"] }

[workspace]
TOML
: > "$TMP/consumer/src/lib.rs"
(cd "$TMP/consumer" && cargo fetch -q)
SRC="$(cd "$TMP/consumer" && cargo metadata --format-version 1 -q | python3 -c \
  "import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p['manifest_path']) for p in m['packages'] if p['name']=='tokio'))")"
FILES=$(find "$SRC/src" -name '*.rs' | wc -l)
LINES=$(find "$SRC/src" -name '*.rs' -print0 | xargs -0 cat | wc -l)
echo "crate: $SRC ($FILES files, $LINES lines), features: full"

(cd "$ROOT" && cargo build -q --release -p layout-cli)
CLI="${CARGO_TARGET_DIR:-$ROOT/target}/release/layout-cli"
TARGET_ARGS=""
for t in "${TRIPLES[@]}"; do TARGET_ARGS+=" --target $t"; done
CLI_CMD="$CLI report --manifest-path $TMP/consumer/Cargo.toml -p tokio$TARGET_ARGS --format json"
"$CLI" report --manifest-path "$TMP/consumer/Cargo.toml" -p tokio $TARGET_ARGS --format json --check-features 2> /dev/null \
  | python3 -c "import json,sys; d=json.load(sys.stdin); s=d['structs']; print('layout-cli finds:', len(s), 'struct layouts on 4 targets,', sum(x['size'] is None for x in s), 'unknown,', len(d['errors']), 'input errors')" || true

PADLOCK="$(command -v padlock || true)"
if [ -z "$PADLOCK" ]; then
  PADLOCK="$ROOT/target/bench-tools/bin/padlock"
  if [ ! -x "$PADLOCK" ]; then
    echo "installing padlock-cli 0.82.0 into target/bench-tools ..." >&2
    cargo install -q padlock-cli --version 0.82.0 --locked --root "$ROOT/target/bench-tools"
  fi
fi
PADLOCK_CMD="$PADLOCK analyze $SRC/src --json --target x86_64-unknown-linux-gnu"
"$PADLOCK" analyze "$SRC/src" --json --target x86_64-unknown-linux-gnu 2> /dev/null \
  | python3 -c "import json,sys; d=json.load(sys.stdin); print('padlock finds:', d.get('total_structs'), 'structs on 1 target')" || true
META_CMD="cargo metadata --format-version 1 --manifest-path $TMP/consumer/Cargo.toml"

# The same report with no target directory before it: no cached `rustc --print cfg`
# answers (layout-cli keeps them in target/layout-cli/rustc-cfg) and no rustc cache of
# cargo's own (target/.rustc_info.json), as on a fresh CI checkout.
# It reads a copy of the consumer, so the other peers' caches stay as they are.
cp -r "$TMP/consumer" "$TMP/consumer-cold"
COLD_CMD="bash -c 'rm -rf $TMP/consumer-cold/target && exec ${CLI_CMD//consumer\//consumer-cold/}'"
NAMES=(layout-cli padlock metadata layout-cli-cold)
CMDS=("$CLI_CMD" "$PADLOCK_CMD" "$META_CMD" "$COLD_CMD")
if [ "${WITH_RUSTC:-0}" = 1 ]; then
  cp -r "$SRC" "$TMP/crate"
  grep -q '^\[workspace\]' "$TMP/crate/Cargo.toml" || printf '\n[workspace]\n' >> "$TMP/crate/Cargo.toml"
  (cd "$TMP/crate" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$TMP/target" cargo +nightly rustc -q --lib --features full -- -Zprint-type-sizes > /dev/null 2>&1)
  NAMES+=(rustc)
  CMDS+=("bash -c 'touch $TMP/crate/src/lib.rs && cd $TMP/crate && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR=$TMP/target cargo +nightly rustc -q --lib --features full -- -Zprint-type-sizes > /dev/null 2>&1'")
fi

for i in "${!NAMES[@]}"; do printf '%s\t%s\n' "${NAMES[$i]}" "${CMDS[$i]}"; done > "$TMP/cmds"
# Interleaved: each round runs every peer once, in turn (A B C, B C A, ...), so a drift of
# this host's speed (it has slow and fast spells of seconds to minutes) falls on every
# peer alike; each ratio is taken per round and its median reported with the spread.
# Wall time and the CPU time of the process and its children (os.wait4), no shell.
python3 - "$RUNS" "$TMP/cmds" <<'PY' > "$TMP/table"
import os, shlex, statistics as st, subprocess, sys, time
runs = int(sys.argv[1])
peers = [l.split("\t", 1) for l in open(sys.argv[2]).read().splitlines()]
def once(cmd):
    t = time.perf_counter()
    p = subprocess.Popen(shlex.split(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime
for _ in range(2):  # warm-up rounds
    for _, c in peers:
        once(c)
wall = {n: [] for n, _ in peers}
cpu = {n: [] for n, _ in peers}
for k in range(runs):
    # The order turns each round, so each peer follows each other one as often (a run
    # right after padlock's pays for the memory padlock left to reclaim).
    for n, c in peers[k % len(peers):] + peers[:k % len(peers)]:
        w, u = once(c)
        wall[n].append(w)
        cpu[n].append(u)
first = peers[0][0]
print(f"{'peer':<12} {'wall ms':>9} {'[min, max]':>14} {'CPU ms':>8} {'ratio (per round)':>26}")
for n, _ in peers:
    r = sorted(b / a for a, b in zip(wall[first], wall[n]))
    print(f"{n:<12} {st.median(wall[n])*1000:9.0f} {f'[{min(wall[n])*1000:.0f}, {max(wall[n])*1000:.0f}]':>14} "
          f"{st.median(cpu[n])*1000:8.0f} {f'{st.median(r):.2f}x [{r[0]:.2f}, {r[-1]:.2f}]':>26}")
PY
echo
echo "median of $RUNS interleaved rounds after 2 warm-up rounds; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end"
cat "$TMP/table"
echo "(ratio: the peer's wall time over layout-cli's in the same round, median [min, max]; above 1 means layout-cli is faster)"
