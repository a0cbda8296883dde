#!/usr/bin/env bash
# tools/wine-install (installed as imapi2fs-wine-install) in a new Wine prefix: it refuses a missing
# prefix, a Wine that does not start and files or registrations it did not make; it installs the
# x86_64 DLL and registers it; installing again changes nothing; a VBScript and a C client
# (fsimage.exe, whose image is compared byte for byte with native fsimage's) build images through the
# installed DLL; --uninstall leaves the registry (HKLM and HKCU exported whole) and the files of the
# prefix as they were before. The 32-bit half: this machine cannot run 32-bit programs, so the
# installer must say so and install the 64-bit DLL alone; a stand-in for Wine whose syswow64 cmd.exe
# and regsvr32.exe answer checks that, where they can, the i686 DLL goes to syswow64 and is
# registered and unregistered by syswow64's regsvr32.
#   tests/install/wine-install.test.sh [INSTALLER]   (default tools/wine-install; the Debian test
#   passes /usr/bin/imapi2fs-wine-install, and in FSI_DLL64, FSI_DLL32, FSI_FSIMAGE_EXE and
#   FSI_FSIMAGE the installed files to compare with and run)
# Ends with "N passed, N failed".
source "$(dirname "$0")/lib.sh"
installer=${1:-$top/tools/wine-install}
dll64=${FSI_DLL64:-$top/build/win64/src/com/imapi2fs.dll}
dll32=${FSI_DLL32:-$top/build/win32/src/com/imapi2fs.dll}
fsimage_exe=${FSI_FSIMAGE_EXE:-$top/build/win64/tools/fsimage/fsimage.exe}
[ -f "$fsimage_exe" ] && [ -x "${FSI_FSIMAGE:-$top/build/native/src/cli/fsimage}" ] || { echo "build first (tools/test)"; exit 1; }
# The prefix is ~/.wine of a new HOME, and the installer runs without WINEPREFIX: the default, as the
# README's commands use it.
export HOME=$tmp/home WINEPREFIX=$tmp/home/.wine
mkdir -p "$HOME"
inst() { env -u WINEPREFIX "$installer" "$@"; }
sys32=$WINEPREFIX/drive_c/windows/system32 wow64=$WINEPREFIX/drive_c/windows/syswow64
# The README's commands as written: wineboot -i, then at once the installer (a prefix that wineboot
# has just made has no system.reg until wineserver writes it), and --uninstall.
WINEARCH=win64 wine wineboot -i >/dev/null 2>&1 || true
if out=$(inst 2>&1); then ok; else bad "install right after wineboot -i: $out"; fi
if out=$(inst --uninstall 2>&1); then ok; else bad "--uninstall right after: $out"; fi
warm_prefix
make_source
snap s0

# ---- refusals --------------------------------------------------------------------------------------
expect_fail "no Wine prefix at $tmp/none" "missing prefix" env WINEPREFIX="$tmp/none" "$installer"
printf '#!/bin/sh\necho "wine: could not load kernel32.dll, status c0000135" >&2\nexit 1\n' > "$tmp/broken-wine"
chmod +x "$tmp/broken-wine"
expect_fail "Wine cannot start programs in $WINEPREFIX" "broken Wine" env -u WINEPREFIX WINE="$tmp/broken-wine" "$installer"
printf 'not ours' > "$sys32/imapi2fs.dll"
expect_fail 'C:\windows\system32\imapi2fs.dll exists and was not installed' "foreign DLL" inst
rm -f "$sys32/imapi2fs.dll"
wine regsvr32 /s "$(w "$dll64")"
expect_fail "IMAPI2FS is registered to $(w "$dll64")" "foreign registration" inst
wine regsvr32 /u /s "$(w "$dll64")"
snap s0b
same s0 s0b "the refusals changed the prefix"

# ---- install ---------------------------------------------------------------------------------------
can32=$(can32)
out=$(inst 2>&1) || { bad "install failed: $out"; echo "$pass passed, $((fail+1)) failed"; exit 1; }
printf '%s\n' "$out" | sed 's/^/# /'
if grep -qF 'installed C:\windows\system32\imapi2fs.dll (x86_64), registered' <<<"$out"; then ok; else bad "install: no x86_64 line"; fi
if cmp -s "$sys32/imapi2fs.dll" "$dll64"; then ok; else bad "system32\\imapi2fs.dll is not the x86_64 build"; fi
if [ "$can32" = 0 ]; then
    if grep -q "cannot run 32-bit programs" <<<"$out" && [ ! -e "$wow64/imapi2fs.dll" ]; then ok
    else bad "no 32-bit Wine here: the installer must say so and leave syswow64 alone"; fi
else
    if cmp -s "$wow64/imapi2fs.dll" "$dll32"; then ok; else bad "32-bit Wine: syswow64\\imapi2fs.dll is not the i686 build"; fi
fi
if grep -qixF "C:\\windows\\system32\\imapi2fs.dll $(sha256sum < "$dll64" | cut -d' ' -f1)" "$WINEPREFIX/.imapi2fs-install"; then ok
else bad "the manifest does not list system32\\imapi2fs.dll with its hash"; fi
snap s1
out=$(inst -q 2>&1) || bad "installing again failed: $out"
snap s1b
same s1 s1b "installing again changed the prefix"

# ---- clients -----------------------------------------------------------------------------------------
ver=$(wine "$fsimage_exe" --version 2>&1 | tr -d '\r') || true
if grep -qxF "imapi2fs.dll $version.0 C:\\windows\\system32\\imapi2fs.dll" <<<"$ver"; then ok
else bad "fsimage.exe --version: COM does not load the installed DLL: $ver"; fi
clients "$fsimage_exe" "installed DLL"

# ---- uninstall ---------------------------------------------------------------------------------------
out=$(inst --uninstall 2>&1) || bad "--uninstall failed: $out"
printf '%s\n' "$out" | sed 's/^/# /'
wineserver -w
snap s2
same s0 s2 "after --uninstall"
none_left s0 s1 s2 "after --uninstall"
out=$(inst --uninstall 2>&1) || bad "--uninstall again failed: $out"
if grep -q "not installed" <<<"$out"; then ok; else bad "--uninstall again: $out"; fi

# ---- the 32-bit half, with a Wine whose syswow64 programs answer --------------------------------------
if [ "$can32" = 0 ] && [ -f "$dll32" ]; then
    cat > "$tmp/wine32" <<EOF
#!/bin/bash
# wine, but syswow64's cmd.exe echoes and its regsvr32.exe logs its arguments and succeeds
case "\${1,,}" in
    'c:\\windows\\syswow64\\cmd.exe') shift 2; echo "\$*" ;;
    'c:\\windows\\syswow64\\regsvr32.exe') shift; echo "\$*" >> "$tmp/regsvr32.log" ;;
    *) exec wine "\$@" ;;
esac
EOF
    chmod +x "$tmp/wine32"
    out=$(WINE=$tmp/wine32 inst 2>&1) || bad "install with 32-bit Wine failed: $out"
    if grep -qF 'installed C:\windows\syswow64\imapi2fs.dll (i686), registered' <<<"$out" &&
       cmp -s "$wow64/imapi2fs.dll" "$dll32" && cmp -s "$sys32/imapi2fs.dll" "$dll64"; then ok
    else bad "32-bit Wine: expected both DLLs: $out"; fi
    if grep -qxF '/s C:\windows\syswow64\imapi2fs.dll' "$tmp/regsvr32.log" 2>/dev/null; then ok
    else bad "32-bit Wine: syswow64's regsvr32 did not register syswow64\\imapi2fs.dll"; fi
    snap s3i
    out=$(WINE=$tmp/wine32 inst --uninstall 2>&1) || bad "uninstall with 32-bit Wine failed: $out"
    if grep -qxF '/u /s C:\windows\syswow64\imapi2fs.dll' "$tmp/regsvr32.log" 2>/dev/null && [ ! -e "$wow64/imapi2fs.dll" ]; then ok
    else bad "32-bit Wine: syswow64\\imapi2fs.dll not unregistered and removed"; fi
    wineserver -w
    snap s3
    same s0 s3 "after --uninstall of both DLLs"
    none_left s2 s3i s3 "after --uninstall of both DLLs"
fi
finish
