#!/usr/bin/env bash
# Per-user registration: regsvr32 /n /i:user (DllInstall) writes under HKCU\Software\Classes exactly
# the keys and values regsvr32 writes under HKEY_CLASSES_ROOT, touches nothing of the machine's, and
# regsvr32 /u /n /i:user leaves HKCU as it was (exports before and after compared whole).
# Under Wine 8 COM does not read HKCU\Software\Classes (HKCR is the machine's classes alone), so the
# per-user keys are checked here, not used; on Windows the user's processes prefer them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export_key() {   # export_key KEY NAME: $tmp/NAME.txt, UTF-8 without CRs
    wine reg export "$1" "$(w "$tmp/$2.reg")" /y >/dev/null 2>&1
    iconv -f UTF-16LE -t UTF-8 "$tmp/$2.reg" | tr -d '\r' > "$tmp/$2.txt"
}
# One line per key ("key|") and per value ("key|value") under PREFIX, relative to it, key names in
# lower case (Wine's oleaut32 spells "Typelib" where it creates the key); the "\\?\" Wine's
# LoadTypeLibEx puts before the type library's path is left out; Wow6432Node (Wine's RegisterTypeLib
# writes a 32-bit view copy of the interfaces, machine-wide only) apart.
flat() {   # flat FILE PREFIX
    PRE=$2 awk '
        BEGIN { pre = ENVIRON["PRE"] }
        /^\[/ { k = substr($0, 2, length($0) - 2); on = index(tolower(k), tolower(pre)) == 1
                if (on) { k = tolower(substr(k, length(pre) + 1)); print k "|" } next }
        on && NF { print k "|" $0 }' "$1" | sed 's/\\\\\\\\?\\\\//' | { grep -v '^wow6432node' || true; } | sort
}
new_lines() { comm -13 "$1" "$2"; }   # lines of sorted $2 not in $1

wine regsvr32 /s /u /n /i:user "$FSI_DLL"       # no per-user registration left by an earlier run

# The machine's keys: what regsvr32 adds to HKCR (the prefix has the DLL registered already).
wine regsvr32 /u /s "$FSI_DLL"
export_key HKCR m0
wine regsvr32 /s "$FSI_DLL"
export_key HKCR m1
flat "$tmp/m0.txt" 'HKEY_CLASSES_ROOT\' > "$tmp/m0.flat"
flat "$tmp/m1.txt" 'HKEY_CLASSES_ROOT\' > "$tmp/m1.flat"
new_lines "$tmp/m0.flat" "$tmp/m1.flat" > "$tmp/machine"

export_key HKCU u0
if wine regsvr32 /s /n /i:user "$FSI_DLL"; then ok; else bad "regsvr32 /n /i:user failed"; fi
export_key HKCU u1
export_key HKCR m2
flat "$tmp/u0.txt" 'HKEY_CURRENT_USER\Software\Classes\' > "$tmp/u0.flat"
flat "$tmp/u1.txt" 'HKEY_CURRENT_USER\Software\Classes\' > "$tmp/u1.flat"
new_lines "$tmp/u0.flat" "$tmp/u1.flat" | grep -vxE '(clsid|interface|typelib)\|' > "$tmp/user" || true

n=$(grep -c . "$tmp/machine" || true)
if [ "$n" -gt 200 ]; then ok; else bad "machine registration: only $n keys and values"; fi
if diff "$tmp/machine" "$tmp/user" > "$tmp/diff"; then ok; else
    bad "per-user keys differ from the machine's (< machine, > user):"; head -20 "$tmp/diff"; fi
want() { if grep -qixF -- "$1" "$tmp/user"; then ok; else bad "per-user: missing $1"; fi; }
want 'clsid\{2c941fc5-975b-59be-a960-9a2a262853a5}\inprocserver32|"ThreadingModel"="Both"'
want 'imapi2fs.msftfilesystemimage\curver|@="IMAPI2FS.MsftFileSystemImage.1"'
want "typelib\\{2c941fd0-975b-59be-a960-9a2a262853a5}\\1.0\\0\\win64|@=\"${FSI_DLL//\\/\\\\}\""
want 'interface\{2c941fe1-975b-59be-a960-9a2a262853a5}\proxystubclsid32|@="{00020424-0000-0000-C000-000000000046}"'
if diff -q "$tmp/m1.txt" "$tmp/m2.txt" >/dev/null; then ok; else
    bad "per-user registration changed HKEY_CLASSES_ROOT:"; diff "$tmp/m1.txt" "$tmp/m2.txt" | head; fi

if wine regsvr32 /s /u /n /i:user "$FSI_DLL"; then ok; else bad "regsvr32 /u /n /i:user failed"; fi
export_key HKCU u2
export_key HKCR m3
if diff "$tmp/u0.txt" "$tmp/u2.txt" > "$tmp/diff"; then ok; else
    bad "HKCU after /u /n /i:user differs from before:"; head -20 "$tmp/diff"; fi
if diff -q "$tmp/m1.txt" "$tmp/m3.txt" >/dev/null; then ok; else
    bad "per-user removal changed HKEY_CLASSES_ROOT:"; diff "$tmp/m1.txt" "$tmp/m3.txt" | head; fi

# Anything but "user", "machine" or nothing is refused (E_INVALIDARG) and writes nothing.
if wine regsvr32 /s /n /i:someone "$FSI_DLL"; then bad "/i:someone accepted"; else ok; fi
export_key HKCU u3
if diff -q "$tmp/u0.txt" "$tmp/u3.txt" >/dev/null; then ok; else bad "/i:someone wrote to HKCU"; fi
finish
