#!/usr/bin/env bash
# Cross-target tests (see README, "Cross-target testing").
#
#   aarch64-unknown-linux-gnu   cargo test, run under qemu-user   (scripts/qemu-aarch64-runner.sh)
#   x86_64-pc-windows-gnu       cargo test, run under Wine        (scripts/wine-runner.sh)
#   x86_64-pc-windows-msvc      cargo check --tests --benches     (no MSVC linker here)
#   aarch64-apple-darwin        cargo check --tests --benches     (no Apple linker here)
#
# The derive's const layout assertions are evaluated by rustc for every one of them.
# Runners and linkers come from .cargo/config.toml.
#
# Environment:
#   CROSS_TARGETS   space-separated subset of the four triples above (default: all)
#   CROSS_PACKAGES  packages to test (default: "layout layout-tests eventloop")
#   TEST_KEEP_GOING=1  go on with the other targets after a failure; fail at the end
# Tests run under emulation see CACHELAYOUT_EMULATOR=qemu|wine (set by the runners) and
# may scale their stress loops down with it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

run_targets=(aarch64-unknown-linux-gnu x86_64-pc-windows-gnu)
check_targets=(x86_64-pc-windows-msvc aarch64-apple-darwin)
read -r -a targets <<<"${CROSS_TARGETS:-${run_targets[*]} ${check_targets[*]}}"
read -r -a packages <<<"${CROSS_PACKAGES:-layout layout-tests eventloop}"
pkg_args=()
for p in "${packages[@]}"; do pkg_args+=(-p "$p"); done

is_in() {
    local x="$1"
    shift
    local y
    for y in "$@"; do [[ "$x" == "$y" ]] && return 0; done
    return 1
}

failed=()
fail() {
    echo "cross-test: FAILED: $1" >&2
    failed+=("$1")
    if [[ "${TEST_KEEP_GOING:-0}" != 1 ]]; then
        exit 1
    fi
}

for t in "${targets[@]}"; do
    start=$SECONDS
    if is_in "$t" "${run_targets[@]}"; then
        echo "=== cross-test: cargo test --target $t ${pkg_args[*]}"
        no_fail_fast=()
        if [[ "${TEST_KEEP_GOING:-0}" == 1 ]]; then no_fail_fast=(--no-fail-fast); fi
        if ! cargo test --target "$t" "${pkg_args[@]}" "${no_fail_fast[@]}"; then
            fail "cargo test --target $t"
            continue
        fi
    elif is_in "$t" "${check_targets[@]}"; then
        echo "=== cross-test: cargo check --tests --benches --target $t ${pkg_args[*]}"
        # Build scripts that compile C (libmimalloc-sys) cannot find <windows.h> or the
        # macOS SDK on Linux; nothing links for a check-only target, so they get empty
        # objects (scripts/check-only-cc.sh). Only when cross-checking from another OS.
        u="${t//-/_}"
        cc_env=()
        case "$(uname -s)/$t" in
            Linux/*)
                cc_env=("CC_$u=$root/scripts/check-only-cc.sh" "CXX_$u=$root/scripts/check-only-cc.sh" "AR_$u=llvm-ar")
                ;;
        esac
        if ! env "${cc_env[@]}" cargo check --tests --benches --target "$t" "${pkg_args[@]}"; then
            fail "cargo check --tests --benches --target $t"
            continue
        fi
    else
        echo "cross-test: unknown target '$t' (known: ${run_targets[*]} ${check_targets[*]})" >&2
        exit 2
    fi
    echo "=== cross-test: $t ok ($((SECONDS - start)) s)"
done
if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'cross-test: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
