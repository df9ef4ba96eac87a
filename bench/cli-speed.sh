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
#   rustc        (WITH_RUSTC=1) `cargo +nightly rustc --lib -- -Zprint-type-sizes`, one
#                target, dependencies built beforehand, non-incremental.
#
#   bench/cli-speed.sh                 RUNS=10 bench/cli-speed.sh
#
# The crate is tokio 1.54.1 with `full`, in a scratch consumer crate under $TMPDIR (never
# inside the repo). padlock is taken from PATH, else installed once with `cargo install
# --locked` into target/bench-tools (a few minutes). Uses hyperfine (Debian: apt-get
# install hyperfine) when installed, else a `date +%s%N` loop; prints medians, the mean
# CPU time (hyperfine) and the ratios, with the machine's core count and load.
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

NAMES=(layout-cli padlock metadata)
CMDS=("$CLI_CMD" "$PADLOCK_CMD" "$META_CMD")
if [ "${WITH_RUSTC:-0}" = 1 ]; then
  cp -r "$SRC" "$TMP/crate"
  grep -q '^\[workspace\]' "$TMP/crate/Cargo.toml" || printf '\n[workspace]\n' >> "$TMP/crate/Cargo.toml"
  (cd "$TMP/crate" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$TMP/target" cargo +nightly rustc -q --lib --features full -- -Zprint-type-sizes > /dev/null 2>&1)
  NAMES+=(rustc)
  CMDS+=("bash -c 'touch $TMP/crate/src/lib.rs && cd $TMP/crate && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR=$TMP/target cargo +nightly rustc -q --lib --features full -- -Zprint-type-sizes > /dev/null 2>&1'")
fi

declare -A MS CPU
if command -v hyperfine > /dev/null; then
  for i in "${!NAMES[@]}"; do
    # -N: no shell in between (its start-up would be measured); -i: findings exit 1.
    hyperfine -N -i --warmup 2 --runs "$RUNS" --output=null --export-json "$TMP/$i.json" "${CMDS[$i]}" > /dev/null
    MS[$i]=$(python3 -c "import json;print(round(json.load(open('$TMP/$i.json'))['results'][0]['median']*1000))")
    CPU[$i]=$(python3 -c "import json;r=json.load(open('$TMP/$i.json'))['results'][0];print(round((r['user']+r['system'])*1000))")
  done
  HOW="hyperfine median of $RUNS after 2 warm-up runs"
else
  median_ms() {
    local t=() s e
    for _ in $(seq "$RUNS"); do
      s=$(date +%s%N); bash -c "$1" > /dev/null 2>&1 || true; e=$(date +%s%N)
      t+=($(( (e - s) / 1000000 )))
    done
    printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
  }
  for i in "${!NAMES[@]}"; do MS[$i]=$(median_ms "${CMDS[$i]}"); CPU[$i]=""; done
  HOW="median of $RUNS (date +%s%N)"
fi

echo
echo "$HOW; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end"
printf '%-12s %10s %12s %14s\n' peer "wall ms" "CPU ms" "wall ratio"
for i in "${!NAMES[@]}"; do
  printf '%-12s %10s %12s %13sx\n' "${NAMES[$i]}" "${MS[$i]}" "${CPU[$i]:--}" \
    "$(python3 -c "print(f'{${MS[$i]}/max(${MS[0]},1):.2f}')")"
done
echo "(ratio: the peer's median wall time over layout-cli's; above 1 means layout-cli is faster)"
