# Shared by tools/mkiso, tools/wine and tools/test (sourced, not run).
# Knows where the builds and the project-local Wine prefix live and how to make them.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build
export WINEPREFIX=${FSI_WINEPREFIX:-$BUILD/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
export WINEARCH=win64

# Debian packages: what building needs, and what the tests need on top (the image readers).
BUILD_PKGS="cmake ninja-build gcc libc6-dev gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 mingw-w64-tools binutils-mingw-w64-x86-64 wine wine64 libwine-dev libcmocka-dev"
TEST_PKGS="xorriso genisoimage libcdio-utils p7zip-full udftools python3-pycdlib dumpet udfclient libarchive-tools sleuthkit mtools valgrind qemu-system-x86 ovmf grub-efi-amd64-bin"
# tests/install/debian.test.sh builds the Debian packages (dpkg-buildpackage wants build-essential).
TEST_PKGS="$TEST_PKGS build-essential debhelper lintian"
# tools/fuzz (libFuzzer); tools/test runs the fuzzers only when clang is installed.
FUZZ_PKGS="clang libclang-rt-14-dev"

log() { printf '%s\n' "$*" >&2; }

# Install missing packages when root; otherwise print the exact apt-get line and stop.
ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ]; then
        log "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    else
        log "missing Debian packages; run as root:"
        log "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
        exit 1
    fi
}

cmake_build() {   # cmake_build DIR [cmake args...]
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        cmake -S "$TOP" -B "$dir" -G Ninja "$@" >&2
    fi
    cmake --build "$dir" >&2
}

build_native() { cmake_build "$BUILD/native"; }
build_win64() { cmake_build "$BUILD/win64" -DCMAKE_TOOLCHAIN_FILE="$TOP/cmake/mingw-w64-x86_64.cmake"; }
build_win32() { cmake_build "$BUILD/win32" -DCMAKE_TOOLCHAIN_FILE="$TOP/cmake/mingw-w64-i686.cmake"; }
# ASan + UBSan build of the native engine and its tests (cmake/sanitizers.cmake); configured every
# time so that the sanitizer flags hold even in a build tree made by hand.
build_asan() {
    cmake -S "$TOP" -B "$BUILD/asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS= \
          -DFSI_SANITIZE=address,undefined >/dev/null
    cmake --build "$BUILD/asan" >&2
}

# Unix path -> Wine path on drive Z: (Z: is / in every prefix).
winpath() { local p; p=$(realpath -m "$1"); printf 'Z:%s' "${p//\//\\}"; }

# Make the prefix on first use and (re)register the freshly built DLL when it changed.
wine_ready() {
    local dll=$BUILD/win64/src/com/imapi2fs.dll stamp=$WINEPREFIX/.imapi2fs-registered
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        log "creating Wine prefix $WINEPREFIX (first start takes a few seconds)"
        mkdir -p "$WINEPREFIX"
        wine wineboot -i >/dev/null 2>&1 || true
        wineserver -w
    fi
    if [ ! -f "$stamp" ] || [ "$dll" -nt "$stamp" ] || [ "$(cat "$stamp")" != "$dll" ]; then
        wine regsvr32 /s "$(winpath "$dll")" >&2
        printf '%s' "$dll" > "$stamp"
    fi
}

# The benchmarks' options (tools/bench): -n RUNS sets $runs, -h/--help prints the comment block at
# the top of the script and exits; the other arguments, in order, go to the array $args.
bench_options() {
    args=()
    while [ $# -gt 0 ]; do
        case $1 in
            -n) runs=$2; shift 2 ;;
            -h|--help) sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
            *) args+=("$1"); shift ;;
        esac
    done
}
