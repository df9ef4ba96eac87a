#!/usr/bin/env bash
# C/C++ compiler stand-in for build scripts of CHECK-ONLY targets
# (x86_64-pc-windows-msvc, aarch64-apple-darwin on a Linux host).
#
# `cargo check --tests` still runs build scripts, and some dev-dependencies compile C
# with the cc crate (libmimalloc-sys: its sources need <windows.h> or the macOS SDK,
# which no Linux machine has, so neither clang nor gcc can compile them for these
# targets). Nothing is ever linked for a check-only target, so the C objects are never
# used: this wrapper answers cc's probes with clang and turns every compilation into an
# EMPTY object for the requested target. Rust code is still fully type-checked and its
# const assertions evaluated by rustc. Used only by scripts/cross-test.sh, via
# CC_<triple>/CXX_<triple>; never by a real build.
set -euo pipefail
clang_bin="${CHECK_ONLY_CLANG:-clang}"
out=""
target=()
compile=0
prev=""
for arg in "$@"; do
    case "$prev" in
        -o) out="$arg" ;;
        -target) target=(-target "$arg") ;;
    esac
    case "$arg" in
        -c) compile=1 ;;
        --target=*) target=("$arg") ;;
    esac
    prev="$arg"
done
if [[ -n "${CHECK_ONLY_CC_LOG:-}" ]]; then
    printf '%q ' "$@" >>"$CHECK_ONLY_CC_LOG"
    echo >>"$CHECK_ONLY_CC_LOG"
fi
if [[ $compile -eq 1 && -n "$out" ]]; then
    if [[ -e "$out" && ! -f "$out" ]]; then
        # e.g. `-o /dev/null` in a probe: never let the compiler replace a device node.
        exit 0
    fi
    # An empty source file of our own: never /dev/null, whose name a compiler may
    # also be told to write to.
    empty_dir="$(mktemp -d)"
    trap 'rm -rf "$empty_dir"' EXIT
    : >"$empty_dir/empty.c"
    "$clang_bin" "${target[@]}" -w -x c -c "$empty_dir/empty.c" -o "$out"
    exit 0
fi
# Preprocessor and version probes (cc's compiler-family detection): the real clang.
exec "$clang_bin" "$@"
