#!/usr/bin/env bash
# tools/windows-zip: two builds in different folders give a byte-identical zip for the same
# SOURCE_DATE_EPOCH (and every entry carries that time); the zip holds exactly the files it names, its
# SHA256SUMS.txt holds, the x64 and x86 DLLs and fsimage.exe are PE files of their machine exporting
# what regsvr32 calls (the x86 ones are checked without running: this machine runs 64-bit programs
# only). Under Wine, in a new prefix: install.cmd for the user, then again, and uninstall.cmd;
# install.cmd /machine /x64 with a VBScript and the zip's fsimage.exe building images through the DLL,
# and uninstall.cmd /machine; a foreign System32\imapi2fs.dll refused and left alone. After each
# uninstall.cmd the prefix's registry and files are as before. Ends with "N passed, N failed".
source "$(dirname "$0")/lib.sh"
objdump=x86_64-w64-mingw32-objdump
name=imapi2fs-$version-windows

# ---- reproducible --------------------------------------------------------------------------------------
"$top/tools/windows-zip" -o "$tmp/a.zip" 2>"$tmp/a.log" || { cat "$tmp/a.log"; bad "tools/windows-zip failed"; finish; }
t0=$(date +%s)
"$top/tools/windows-zip" --build-dir "$tmp/build2" -o "$tmp/b.zip" 2>"$tmp/b.log" || { cat "$tmp/b.log"; bad "tools/windows-zip --build-dir failed"; }
echo "# the second build and zip: $(( $(date +%s) - t0 )) s"
rm -rf "$tmp/build2"
if cmp "$tmp/a.zip" "$tmp/b.zip"; then ok; else bad "two builds gave different zips"; fi
SOURCE_DATE_EPOCH=1800000000 "$top/tools/windows-zip" -o "$tmp/c.zip" 2>/dev/null
times=$(python3 -c 'import sys, zipfile; print(sorted({i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist()}))' "$tmp/a.zip")
times_c=$(python3 -c 'import sys, zipfile; print(sorted({i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist()}))' "$tmp/c.zip")
if [ "$times" = "[(2023, 11, 14, 22, 13, 20)]" ] && [ "$times_c" = "[(2027, 1, 15, 8, 0, 0)]" ]; then ok
else bad "zip entry times are not SOURCE_DATE_EPOCH's: $times / $times_c"; fi
if (cd "$tmp" && sha256sum -c --quiet a.zip.sha256); then ok
else bad "a.zip.sha256 does not match"; fi

# ---- contents --------------------------------------------------------------------------------------------
mkdir "$tmp/zip"
python3 -m zipfile -e "$tmp/a.zip" "$tmp/zip"
pkg=$tmp/zip/$name
want="$name/ $name/LICENSE.txt $name/README.txt $name/SHA256SUMS.txt $name/install.cmd $name/uninstall.cmd $name/x64/ $name/x64/fsimage.exe $name/x64/imapi2fs.dll $name/x86/ $name/x86/fsimage.exe $name/x86/imapi2fs.dll"
got=$(python3 -c 'import sys, zipfile; print(" ".join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))' "$tmp/a.zip")
if [ "$got" = "$want" ]; then ok; else bad "zip entries: $got"; fi
if (cd "$pkg" && tr -d '\r' < SHA256SUMS.txt | sha256sum -c --quiet) && [ "$(grep -c . "$pkg/SHA256SUMS.txt")" = 8 ]; then ok
else bad "SHA256SUMS.txt does not cover and match the 8 other files"; fi
for f in install.cmd uninstall.cmd README.txt LICENSE.txt SHA256SUMS.txt; do
    if [ "$(grep -c $'\r$' "$pkg/$f")" = "$(wc -l < "$pkg/$f")" ] && ! grep -q '@VERSION@' "$pkg/$f"; then ok
    else bad "$f: not CRLF throughout, or @VERSION@ left"; fi
done
if grep -q "imapi2fs $version for Windows" "$pkg/README.txt"; then ok; else bad "README.txt: no version"; fi
pe() {   # pe FILE FORMAT: the file format, and for a DLL the five exports regsvr32 and COM call
    local fmt; fmt=$($objdump -f "$1" | sed -n 's/.*file format //p')
    if [ "$fmt" = "$2" ]; then ok; else bad "$1: $fmt, not $2"; fi
    case $1 in *.dll)
        local ex; ex=$($objdump -p "$1" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | grep -o 'Dll[A-Za-z]*' | sort | tr '\n' ' ')
        if [ "$ex" = "DllCanUnloadNow DllGetClassObject DllInstall DllRegisterServer DllUnregisterServer " ]; then ok
        else bad "$1 exports: $ex"; fi ;;
    esac
}
pe "$pkg/x64/imapi2fs.dll" pei-x86-64; pe "$pkg/x64/fsimage.exe" pei-x86-64
pe "$pkg/x86/imapi2fs.dll" pei-i386; pe "$pkg/x86/fsimage.exe" pei-i386
for a in x64 x86; do
    if $objdump -h "$pkg/$a/imapi2fs.dll" | grep -q debug; then bad "$a DLL not stripped"; else ok; fi
done

# ---- install.cmd and uninstall.cmd under Wine (the x64 half) ------------------------------------------------
new_prefix
make_source
sys32=$WINEPREFIX/drive_c/windows/system32
snap s0
c32=$(can32)
run_cmd() { wine cmd /c "$(w "$pkg/$1")" "${@:2}" 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }
wuser=$(id -un)                                  # Wine's user folder is named after the Unix user
user_dll=$WINEPREFIX/drive_c/users/$wuser/AppData/Local/Programs/imapi2fs/x64/imapi2fs.dll
inproc() {   # the registered file of MsftFileSystemImage under $1, in lower case
    { wine reg query "$1\\CLSID\\{2C941FC5-975B-59BE-A960-9A2A262853A5}\\InprocServer32" /ve 2>/dev/null || true; } |
        tr -d '\r' | sed -n 's/^ *(Default) *REG_SZ *//p' | tr '[:upper:]' '[:lower:]'
}

out=$(run_cmd install.cmd) || bad "install.cmd failed: $out"
printf '%s\n' "$out" | sed 's/^/# install.cmd: /'
if cmp -s "$user_dll" "$pkg/x64/imapi2fs.dll"; then ok; else bad "install.cmd: no x64 DLL in %LOCALAPPDATA%\\Programs\\imapi2fs"; fi
if [ "$(inproc 'HKCU\Software\Classes')" = 'c:\users\'"$wuser"'\appdata\local\programs\imapi2fs\x64\imapi2fs.dll' ]; then ok
else bad "install.cmd: HKCU registration names '$(inproc 'HKCU\Software\Classes')'"; fi
if [ -z "$(inproc 'HKLM\Software\Classes')" ]; then ok; else bad "install.cmd (per user) registered machine-wide"; fi
if [ "$c32" = 1 ] || grep -q 'x86: .*regsvr32.exe not found: this Windows cannot run x86 programs; skipped' <<<"$out"; then ok
else bad "install.cmd: the x86 half neither installed nor skipped with a reason"; fi
snap s1
out=$(run_cmd install.cmd) || bad "install.cmd again failed: $out"
snap s1b
same s1 s1b "install.cmd again"
out=$(run_cmd uninstall.cmd) || bad "uninstall.cmd failed: $out"
printf '%s\n' "$out" | sed 's/^/# uninstall.cmd: /'
snap s2
same s0 s2 "after uninstall.cmd"
none_left s0 s1 s2 "after uninstall.cmd"

out=$(run_cmd install.cmd /machine /x64) || bad "install.cmd /machine /x64 failed: $out"
printf '%s\n' "$out" | sed 's/^/# install.cmd \/machine \/x64: /'
if cmp -s "$sys32/imapi2fs.dll" "$pkg/x64/imapi2fs.dll" && [ "$(inproc 'HKLM\Software\Classes')" = 'c:\windows\system32\imapi2fs.dll' ]; then ok
else bad "install.cmd /machine: System32\\imapi2fs.dll not installed and registered"; fi
snap s3
clients "$pkg/x64/fsimage.exe" "install.cmd /machine"
out=$(run_cmd uninstall.cmd /machine) || bad "uninstall.cmd /machine failed: $out"
printf '%s\n' "$out" | sed 's/^/# uninstall.cmd \/machine: /'
snap s4
same s0 s4 "after uninstall.cmd /machine"
none_left s0 s3 s4 "after uninstall.cmd /machine"

printf 'not ours' > "$sys32/imapi2fs.dll"
expect_fail "exists and was not installed by this package" "install.cmd /machine over a foreign DLL" run_cmd install.cmd /machine /x64
out=$(run_cmd uninstall.cmd /machine) || bad "uninstall.cmd /machine (nothing installed) failed: $out"
if [ "$(cat "$sys32/imapi2fs.dll")" = "not ours" ] && [ -z "$(inproc 'HKLM\Software\Classes')" ]; then ok
else bad "a foreign System32\\imapi2fs.dll was replaced, registered or removed"; fi
rm -f "$sys32/imapi2fs.dll"
finish
