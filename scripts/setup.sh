#!/usr/bin/env bash
# Installs what the tests and the cross-target runs need on Debian 12 (idempotent, no
# prompts; fast when everything is present). Run as root, or as a user with sudo.
#
#   Debian packages  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
#                    gcc-mingw-w64-x86-64-win32 wine wine64 clang llvm strace
#   rustup targets   aarch64-unknown-linux-gnu x86_64-pc-windows-gnu
#                    x86_64-pc-windows-msvc aarch64-apple-darwin
#   components       clippy rustfmt (default toolchain); miri rust-src (nightly)
#
# The Rust toolchain itself (rustup, cargo) must already be installed.
# SETUP_SKIP_APT=1 skips the Debian packages (e.g. on a machine that is not Debian).
set -euo pipefail

say() { echo "setup: $*"; }

apt_packages=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    gcc-mingw-w64-x86-64-win32 wine wine64 clang llvm strace)
# The first four: cross tests and checks. The last three: layout-cli's oracle test checks
# its claims for every row of the target table with `cargo check --target` (std only).
targets=(aarch64-unknown-linux-gnu x86_64-pc-windows-gnu x86_64-pc-windows-msvc
    aarch64-apple-darwin i686-unknown-linux-gnu armv7-unknown-linux-gnueabihf
    s390x-unknown-linux-gnu)

# --- Debian packages --------------------------------------------------------------
if [[ "${SETUP_SKIP_APT:-0}" == 1 ]]; then
    say "SETUP_SKIP_APT=1: not checking Debian packages"
elif ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian system (no dpkg-query): install by hand: ${apt_packages[*]}"
else
    missing=()
    for p in "${apt_packages[@]}"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
            missing+=("$p")
        fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        say "Debian packages present: ${apt_packages[*]}"
    else
        sudo=()
        if [[ "$(id -u)" != 0 ]]; then
            if command -v sudo >/dev/null 2>&1; then
                sudo=(sudo -n)
            else
                say "ERROR: need root (or sudo) to install: ${missing[*]}" >&2
                exit 1
            fi
        fi
        say "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        "${sudo[@]}" apt-get update -q
        "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
    fi
fi

# --- Rust toolchain ----------------------------------------------------------------
if ! command -v rustup >/dev/null 2>&1; then
    say "ERROR: rustup not found: install Rust (https://rustup.rs), then re-run" >&2
    exit 1
fi

installed_targets="$(rustup target list --installed)"
want_targets=()
for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed_targets" || want_targets+=("$t")
done
if [[ ${#want_targets[@]} -eq 0 ]]; then
    say "rustup targets present: ${targets[*]}"
else
    say "rustup target add ${want_targets[*]}"
    rustup target add "${want_targets[@]}"
fi

installed_components="$(rustup component list --installed)"
want_components=()
for c in clippy rustfmt; do
    grep -q "^$c" <<<"$installed_components" || want_components+=("$c")
done
if [[ ${#want_components[@]} -eq 0 ]]; then
    say "components present: clippy rustfmt"
else
    say "rustup component add ${want_components[*]}"
    rustup component add "${want_components[@]}"
fi

if ! rustup toolchain list | grep -q '^nightly'; then
    say "rustup toolchain install nightly (minimal, with miri rust-src)"
    rustup toolchain install nightly --profile minimal --component miri,rust-src
else
    nightly_components="$(rustup +nightly component list --installed)"
    want_nightly=()
    for c in miri rust-src; do
        grep -q "^$c" <<<"$nightly_components" || want_nightly+=("$c")
    done
    if [[ ${#want_nightly[@]} -eq 0 ]]; then
        say "nightly components present: miri rust-src"
    else
        say "rustup component add --toolchain nightly ${want_nightly[*]}"
        rustup component add --toolchain nightly "${want_nightly[@]}"
    fi
fi
say "done"
