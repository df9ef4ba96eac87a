#!/usr/bin/env bash
# Cargo runner for x86_64-pc-windows-gnu: runs a Windows executable under Wine.
#
#   .cargo/config.toml:  [target.x86_64-pc-windows-gnu] runner = "scripts/wine-runner.sh"
#   by hand:             scripts/wine-runner.sh path/to/program.exe [args...]
#
# What it handles (measured on Debian 12, Wine 8.0; see README "Cross-target testing"):
# - a dedicated prefix (CACHELAYOUT_WINEPREFIX, default ~/.cache/cachelayout/wine64),
#   created once with `wineboot -i` under a lock so parallel runners do not race;
# - Wine 8.0 has no bcryptprimitives.dll, which every Rust >= 1.78 executable imports
#   (symptom: exit status 53 before main): a stand-in exporting ProcessPrng is built
#   from scripts/wine/bcryptprimitives.c and copied into the prefix's system32;
# - wineserver (and the helper processes it starts) inherit file descriptors: they are
#   started with stdio on /dev/null and without the lock fd, otherwise the test's
#   output pipe stays open until the server exits (a minute later);
# - WINEDEBUG=-all, no display needed.
# The exit status is the program's (see the retry below for status 1).
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 PROGRAM.exe [ARGS...]" >&2
    exit 2
fi

# On Windows itself (Git Bash / MSYS2) there is nothing to emulate.
case "$(uname -s)" in
    MINGW* | MSYS* | CYGWIN*) exec "$@" ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export WINEDEBUG="${WINEDEBUG:--all}"
cache_home="${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}"
export WINEPREFIX="${CACHELAYOUT_WINEPREFIX:-${cache_home:-/tmp/cachelayout-$(id -u)}/cachelayout/wine64}"
export WINEARCH=win64
# No Mono/Gecko installer dialogs during wineboot.
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"

if [[ -x /usr/lib/wine/wine64 ]]; then
    wine=/usr/lib/wine/wine64
    export WINELOADER=/usr/lib/wine/wine64
elif command -v wine64 >/dev/null 2>&1; then
    wine=wine64
else
    wine=wine
fi
wineserver=wineserver
if [[ -x /usr/lib/wine/wineserver64 ]]; then
    wineserver=/usr/lib/wine/wineserver64
fi
for tool in "$wine" "$wineserver"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "wine-runner: '$tool' not found; run scripts/setup.sh (Debian: apt-get install wine wine64)" >&2
        exit 127
    fi
done

src="$here/wine/bcryptprimitives.c"
def="$here/wine/bcryptprimitives.def"
stamp_want="v1-$(cat "$src" "$def" | cksum | cut -d' ' -f1)"
stamp="$WINEPREFIX/.cachelayout-ready"

# Starts the server (and Wine's helper processes) detached from our stdio and lock fd.
# A no-op when a server for this prefix is already running.
start_server() {
    "$wineserver" -p30 </dev/null >/dev/null 2>&1 9>&- || true
}

if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$stamp_want" ]]; then
    mkdir -p "$(dirname "$WINEPREFIX")"
    exec 9>"$WINEPREFIX.lock"
    flock 9
    if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$stamp_want" ]]; then
        echo "wine-runner: initialising prefix $WINEPREFIX (once)" >&2
        start_server
        # wineboot -i creates the prefix and starts services.exe & co: keep them off our fds.
        WINESERVER="$wineserver" "$wine" wineboot -i </dev/null >/dev/null 2>&1 9>&- || {
            echo "wine-runner: 'wineboot -i' failed for $WINEPREFIX" >&2
            exit 1
        }
        if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
            echo "wine-runner: x86_64-w64-mingw32-gcc not found (apt-get install gcc-mingw-w64-x86-64-win32)" >&2
            exit 1
        fi
        sys32="$WINEPREFIX/drive_c/windows/system32"
        if [[ ! -d "$sys32" ]]; then
            echo "wine-runner: $sys32 missing after wineboot" >&2
            exit 1
        fi
        x86_64-w64-mingw32-gcc -O2 -shared -s -o "$sys32/bcryptprimitives.dll.tmp" \
            "$src" "$def" -ladvapi32
        mv -f "$sys32/bcryptprimitives.dll.tmp" "$sys32/bcryptprimitives.dll"
        echo "$stamp_want" >"$stamp"
    fi
    flock -u 9
    exec 9>&-
fi

# Lets tests scale stress loops down under emulation (read by eventloop's tests).
export CACHELAYOUT_EMULATOR="${CACHELAYOUT_EMULATOR:-wine}"
# A Rust test program exits 0 or 101 (or with an NTSTATUS when it crashes); status 1 is
# Wine's own loader or server failing before the program's main (seen once in CI, a test
# binary that printed nothing between two that passed). That case is retried once, said
# on stderr; any other status is the program's and is passed through.
attempt=1
while :; do
    start_server
    status=0
    "$wine" "$@" || status=$?
    if [[ $status -eq 1 && $attempt -lt 2 && "${CACHELAYOUT_WINE_RETRY:-1}" == 1 ]]; then
        echo "wine-runner: '$1' exited with status 1 (Wine's own failure, not a Rust exit status); running it once more" >&2
        attempt=$((attempt + 1))
        sleep 1
        continue
    fi
    exit "$status"
done
