#!/usr/bin/env bash
# Times `layout-cli report <crate src> --all-targets --format json` against the compiler
# route, `cargo +nightly rustc --lib -- -Zprint-type-sizes`, on the same real crate from
# the local cargo registry, and prints the ratio.
#
#   bench/cli-vs-rustc.sh [syn|tokio]        (default: syn)
#   RUNS=10 bench/cli-vs-rustc.sh tokio
#
# The crate's source is taken from ~/.cargo/registry/src; if it is not there, a throwaway
# crate depending on it is `cargo fetch`ed in a temp dir (never inside the repo). The
# compiler route is timed on a temp copy of the crate with its dependencies already
# built, touching src/lib.rs before each run, so only the crate itself is recompiled:
# one target per compile, where layout-cli lays out every target in its table.
# Incremental compilation is off (CARGO_INCREMENTAL=0): with it, a touched but
# unchanged crate is re-checked from the cache, which is not the cost of a layout report.
# Uses hyperfine when installed (Debian: apt-get install hyperfine), else a
# `date +%s%N` loop (median of RUNS).
set -euo pipefail

CRATE="${1:-syn}"
RUNS="${RUNS:-5}"
case "$CRATE" in
  # `full` on both: layout-cli reads every file, so the compiler must compile them too.
  syn) REQ='syn = "2"'; MAJOR=2; FEATURES=full ;;
  tokio) REQ='tokio = { version = "1", features = ["full"] }'; MAJOR=1; FEATURES=full ;;
  *) echo "usage: $0 [syn|tokio]" >&2; exit 2 ;;
esac
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REG="${CARGO_HOME:-$HOME/.cargo}/registry/src"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

find_src() {
  ls -d "$REG"/*/"$CRATE"-"$MAJOR".* 2>/dev/null | sort -V | tail -1 || true
}
SRC="$(find_src)"
if [ -z "$SRC" ]; then
  echo "fetching $CRATE into the cargo registry ..." >&2
  mkdir -p "$TMP/fetch/src"
  printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s\n[workspace]\n' "$REQ" > "$TMP/fetch/Cargo.toml"
  : > "$TMP/fetch/src/lib.rs"
  (cd "$TMP/fetch" && cargo fetch -q)
  SRC="$(find_src)"
fi
[ -n "$SRC" ] || { echo "no $CRATE source found under $REG" >&2; exit 1; }
FILES=$(find "$SRC/src" -name '*.rs' | wc -l)
LINES=$(find "$SRC/src" -name '*.rs' -print0 | xargs -0 cat | wc -l)
echo "crate: $SRC ($FILES files, $LINES lines)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build -q --release -p layout-cli)
CLI="$CARGO_TARGET_DIR/release/layout-cli"
NTARGETS=$({ "$CLI" report "$SRC" --all-targets --format json || true; } | grep -o '"target": "[^"]*"' | sort -u | wc -l || true)
NSTRUCTS=$({ "$CLI" report "$SRC" --all-targets --format json || true; } | python3 -c "import json,sys; d=json.load(sys.stdin); print(len(d['structs']), 'struct layouts,', sum(s['size'] is None for s in d['structs']), 'unknown,', len(d['errors']), 'input errors')")
echo "layout-cli finds: $NSTRUCTS"

# The compiler route on a temp copy, dependencies built once beforehand.
cp -r "$SRC" "$TMP/crate"
grep -q '^\[workspace\]' "$TMP/crate/Cargo.toml" || printf '\n[workspace]\n' >> "$TMP/crate/Cargo.toml"
export RUSTC_TARGET_DIR="$TMP/target"
(cd "$TMP/crate" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$RUSTC_TARGET_DIR" cargo +nightly rustc -q --lib --features $FEATURES -- -Zprint-type-sizes > /dev/null 2>&1)
RUSTC_CMD="touch $TMP/crate/src/lib.rs && cd $TMP/crate && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR=$RUSTC_TARGET_DIR cargo +nightly rustc -q --lib --features $FEATURES -- -Zprint-type-sizes > /dev/null 2>&1"
CLI_CMD="$CLI report $SRC --all-targets --format json > /dev/null 2>&1; true"

median_ms() { # command -> median wall time in ms over RUNS runs
  local t=() s e
  for _ in $(seq "$RUNS"); do
    s=$(date +%s%N); bash -c "$1"; e=$(date +%s%N)
    t+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

if command -v hyperfine > /dev/null; then
  # -N: no shell in between (its start-up would dominate); -i: findings exit 1.
  hyperfine -N -i --warmup 1 --runs "$RUNS" --output=null --export-json "$TMP/cli.json" \
    "$CLI report $SRC --all-targets --format json" > /dev/null
  hyperfine --runs "$RUNS" --export-json "$TMP/rustc.json" "$RUSTC_CMD" > /dev/null
  CLI_MS=$(python3 -c "import json;print(round(json.load(open('$TMP/cli.json'))['results'][0]['median']*1000))")
  RUSTC_MS=$(python3 -c "import json;print(round(json.load(open('$TMP/rustc.json'))['results'][0]['median']*1000))")
  cpu() { python3 -c "import json;r=json.load(open('$1'))['results'][0];print(round((r['user']+r['system'])*1000))"; }
  CLI_CPU=$(cpu "$TMP/cli.json"); RUSTC_CPU=$(cpu "$TMP/rustc.json")
  HOW="hyperfine median of $RUNS"
else
  bash -c "$CLI_CMD"
  CLI_MS=$(median_ms "$CLI_CMD")
  RUSTC_MS=$(median_ms "$RUSTC_CMD")
  HOW="median of $RUNS (date +%s%N)"
fi
[ "$CLI_MS" -gt 0 ] || CLI_MS=1
echo "layout-cli report --all-targets ($NTARGETS targets): ${CLI_MS} ms"
echo "cargo +nightly rustc --features $FEATURES -Zprint-type-sizes (1 target): ${RUSTC_MS} ms"
echo "ratio: $(python3 -c "print(f'{$RUSTC_MS/$CLI_MS:.1f}')")x faster in wall time ($HOW; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
if [ -n "${CLI_CPU:-}" ] && [ "$CLI_CPU" -gt 0 ]; then
  echo "CPU time (user+sys, mean): layout-cli ${CLI_CPU} ms, rustc route ${RUSTC_CPU} ms: $(python3 -c "print(f'{$RUSTC_CPU/$CLI_CPU:.1f}')")x"
fi
