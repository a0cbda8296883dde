#!/usr/bin/env bash
# One version: CMake's project(VERSION) is what native fsimage --version, fsimage.exe --version and
# imapi2fs-wine-install --version (in the checkout and as cmake configures it for installation) print, what the x64 and x86 DLLs' VERSIONINFO say (read by windres without running them, and for the
# x64 DLL by Windows' version API through fsimage.exe under Wine), what cmake --install writes into
# fsi-engine.pc and the library's file name, and what debian/changelog, the man pages and the README's
# zip name say.
# Ends with "N passed, N failed".
source "$(dirname "$0")/lib.sh"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] && ok || bad "CMakeLists.txt: no project(imapi2fs VERSION x.y.z)"
IFS=. read -r major minor patch <<<"$version"

expect_eq "fsimage --version" "$("$top/build/native/src/cli/fsimage" --version)" "fsimage (imapi2fs) $version"

expect_eq "tools/wine-install --version" "$("$top/tools/wine-install" --version)" "imapi2fs-wine-install (imapi2fs) $version"
expect_eq "installed imapi2fs-wine-install --version" "$(bash "$top/build/win64/imapi2fs-wine-install" --version 2>/dev/null)" \
    "imapi2fs-wine-install (imapi2fs) $version"
cmake --install "$top/build/native" --prefix "$tmp/inst" >/dev/null
pcfile=$(find "$tmp/inst" -name fsi-engine.pc | head -1)
expect_eq "fsi-engine.pc" "$(sed -n 's/^Version: //p' "$pcfile")" "$version"
expect_eq "libfsi_engine.so" "$(basename "$(find "$tmp/inst" -name 'libfsi_engine.so.*.*' | head -1)")" "libfsi_engine.so.$version"

for arch in win64:x86_64 win32:i686; do
    dll=$top/build/${arch%%:*}/src/com/imapi2fs.dll
    rc=$("${arch#*:}-w64-mingw32-windres" -i "$dll" -O rc 2>/dev/null | tr -d '\r')
    expect_eq "${arch%%:*} DLL FILEVERSION" "$(sed -n 's/^ *FILEVERSION *//p' <<<"$rc")" "$major, $minor, $patch, 0"
    expect_eq "${arch%%:*} DLL PRODUCTVERSION" "$(sed -n 's/^ *PRODUCTVERSION *//p' <<<"$rc")" "$major, $minor, $patch, 0"
    expect_eq "${arch%%:*} DLL FileVersion" "$(sed -n 's/^ *VALUE "FileVersion", "\(.*\)"/\1/p' <<<"$rc")" "$version"
    expect_eq "${arch%%:*} DLL ProductVersion" "$(sed -n 's/^ *VALUE "ProductVersion", "\(.*\)"/\1/p' <<<"$rc")" "$version"
done

cv=$(sed -n '1s/^imapi2fs (\([^)]*\)).*/\1/p' "$top/debian/changelog")
expect_eq "debian/changelog" "${cv%%-*}" "$version"
expect_eq "README's zip name" "$(grep -o 'build/dist/imapi2fs-[0-9.]*-windows.zip' "$top/README.md" | head -1)" \
    "build/dist/imapi2fs-$version-windows.zip"
for m in "$top"/docs/*.1; do
    expect_eq "$(basename "$m") .TH" "$(sed -n 's/^\.TH .*"imapi2fs \([^"]*\)".*/\1/p' "$m")" "$version"
done

# fsimage.exe under Wine, with the DLL registered: the project's CTest prefix when tools/test made it.
if [ -f "$top/build/win64/test-wineprefix/system.reg" ]; then
    export WINEPREFIX=$top/build/win64/test-wineprefix
else
    new_prefix
    wine regsvr32 /s "$(w "$top/build/win64/src/com/imapi2fs.dll")"
fi
out=$(wine "$top/build/win64/tools/fsimage/fsimage.exe" --version 2>&1 | tr -d '\r')
expect_eq "fsimage.exe --version" "$(head -1 <<<"$out")" "fsimage (imapi2fs) $version"
expect_eq "fsimage.exe --version: the DLL" "$(sed -n 2p <<<"$out" | cut -d' ' -f1-2)" "imapi2fs.dll $version.0"
finish
