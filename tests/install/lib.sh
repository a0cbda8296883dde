# Shared by the tests of tests/install (sourced): a new Wine prefix of the test's own and snapshots
# of it (registry and files) to show that an uninstallation leaves it as it was; the counters, w and
# finish are tests/lib.sh's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all WINEDLLOVERRIDES=mscoree,mshtml= SOURCE_DATE_EPOCH=1700000000
unset WINEARCH WINE
cleanup() {   # the test's own prefix only: its wineserver, then the files
    case $WINEPREFIX in "$tmp"/*) [ ! -d "$WINEPREFIX" ] || wineserver -k >/dev/null 2>&1 || true ;; esac
    rm -rf "$tmp"
}
trap cleanup EXIT
version=$(sed -n 's/^project(imapi2fs VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
start=$(date +%s)                       # finish prints the time taken

# A new 64-bit prefix; cscript run once, since it registers Windows Script Host's type library when it
# first runs (so that later VBScript runs change nothing the snapshots compare).
new_prefix() {
    mkdir -p "$WINEPREFIX"
    WINEARCH=win64 wine wineboot -i >/dev/null 2>&1 || true
    warm_prefix
}
warm_prefix() {
    wineserver -w
    printf 'WScript.Echo "warm"\n' > "$tmp/warm.vbs"
    wine cscript //nologo "$(w "$tmp/warm.vbs")" >/dev/null 2>&1 || true
}
# Wine can run 32-bit programs in the prefix (1) or not (0).
can32() { wine 'C:\windows\syswow64\cmd.exe' /c echo yes-32 2>/dev/null | grep -q yes-32 && echo 1 || echo 0; }

# snap NAME: the state of the prefix: the registry (HKLM and HKCU exported, one "key|value" line per
# value and "key|" per key: $tmp/NAME.all) and its files (drive_c with sizes and times; the prefix's
# own files but the .reg files Wine rewrites: NAME.files). NAME.reg leaves out HKLM\System: Wine
# rewrites the display driver's keys there at every start (DriverDateData, Control\Video), and
# nothing installed writes there.
snap() {
    local k
    for k in HKLM HKCU; do
        wine reg export $k "$(w "$tmp/$1.$k.reg")" /y >/dev/null 2>&1
        iconv -f UTF-16LE -t UTF-8 "$tmp/$1.$k.reg" | tr -d '\r' |
            awk '/^\[/ { k = substr($0, 2, length($0) - 2); print k "|"; next } NF { print k "|" $0 }'
    done | sort > "$tmp/$1.all"
    grep -v '^HKEY_LOCAL_MACHINE\\System\\' "$tmp/$1.all" > "$tmp/$1.reg" || true
    (cd "$WINEPREFIX" && find . -mindepth 1 -maxdepth 1 ! -name '*.reg' ! -name drive_c -printf '%y %P\n'
     find drive_c \( -type d -printf 'd %P\n' \) -o -printf '%y %P %s %T@\n') | sort > "$tmp/$1.files"
}
same() {   # same A B WHAT: the two snapshots agree
    local k diff=0
    for k in reg files; do
        if ! cmp -s "$tmp/$1.$k" "$tmp/$2.$k"; then
            diff=1; bad "$3: $k differs"; { diff "$tmp/$1.$k" "$tmp/$2.$k" || true; } | head -20
        fi
    done
    [ "$diff" = 1 ] || ok
}
none_left() {   # none_left A B C WHAT: nothing added from snapshot A to B (whole registry) is in C
    local left
    left=$(comm -13 "$tmp/$1.all" "$tmp/$2.all" | comm -12 - "$tmp/$3.all" || true)
    if [ -z "$left" ]; then ok; else bad "$4: keys or values the installation added are left:"; head -20 <<<"$left"; fi
}
expect_fail() {   # expect_fail TEXT WHAT CMD...: CMD fails and says TEXT
    local what=$2 text=$1 out rc=0; shift 2
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" != 0 ] && grep -qF -- "$text" <<<"$out"; then ok
    else bad "$what: expected failure with '$text', got rc=$rc: $out"; fi
}
# A folder to image and its image by native fsimage (FSI_FSIMAGE, default the build's): the bytes a
# client of the DLL must write.
make_source() {
    mkdir -p "$tmp/src/sub"
    printf 'hello\n' > "$tmp/src/a.txt"; head -c 300000 /dev/urandom > "$tmp/src/sub/b.bin"
    "${FSI_FSIMAGE:-$top/build/native/src/cli/fsimage}" -q -V INSTALLTEST "$tmp/src" "$tmp/native.iso"
}
# clients FSIMAGE_EXE WHAT: a VBScript and FSIMAGE_EXE build images of $tmp/src through the registered
# DLL (fsimage.exe's bytes are native fsimage's; the script's TotalBlocks agrees).
clients() {
    local vbs blocks
    vbs=$(wine cscript //nologo "$(w "$top/tests/install/make-image.vbs")" "$(w "$tmp/src")" 2>&1 | tr -d '\r') || true
    printf '%s\n' "$vbs" | sed 's/^/# vbs: /'
    blocks=$(( $(stat -c %s "$tmp/native.iso") / 2048 ))
    if grep -qxF "TotalBlocks=$blocks" <<<"$vbs" && grep -qxF "FileCount=2" <<<"$vbs"; then ok
    else bad "$2: VBScript: expected FileCount=2 and TotalBlocks=$blocks"; fi
    rm -f "$tmp/exe.iso"
    if wine "$1" -q -V INSTALLTEST "$(w "$tmp/src")" "$(w "$tmp/exe.iso")" && cmp -s "$tmp/exe.iso" "$tmp/native.iso"; then ok
    else bad "$2: $(basename "$1") through the DLL: no image, or not native fsimage's bytes"; fi
}
