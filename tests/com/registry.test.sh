#!/usr/bin/env bash
# regsvr32 writes what Windows' imapi2fs.dll has, and regsvr32 /u leaves no key behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export_hkcr() { wine reg export HKCR "$(w "$1")" /y >/dev/null 2>&1; iconv -f UTF-16LE -t UTF-8 "$1" | tr -d '\r' > "$1.txt"; }
# Our keys: the coclasses, the ProgIDs, the type library and the interfaces it registers.
pattern='2C941F|CEEE3B62|B507CA2|199D0C19|F7FB4B9B|D7644B2C|7CFF842C|D25C30F9|6CA38BE5|ED79BA56|C6B6F8ED|IMAPI2FS\.|IMAPI2\.MsftFileSystemImage'

wine regsvr32 /s "$FSI_DLL"
export_hkcr "$tmp/registered.reg"
wine regsvr32 /u /s "$FSI_DLL"
export_hkcr "$tmp/unregistered.reg"
wine regsvr32 /s "$FSI_DLL"                      # leave the prefix as the other tests need it
export_hkcr "$tmp/again.reg"

reg=$(cat "$tmp/registered.reg.txt")
want() { if grep -qiF -- "$1" <<<"$reg"; then ok; else bad "registered: missing $1"; fi; }
clsid='[HKEY_CLASSES_ROOT\CLSID\{2C941FC5-975B-59BE-A960-9A2A262853A5}'
want "$clsid]"
want "$clsid\\InprocServer32]"
want '"ThreadingModel"="Both"'
want "$clsid\\ProgID]"
want '@="IMAPI2FS.MsftFileSystemImage.1"'
want "$clsid\\VersionIndependentProgID]"
want "$clsid\\TypeLib]"
want '@="{2C941FD0-975B-59BE-A960-9A2A262853A5}"'
want "$clsid\\Programmable]"
want '"AppID"="{2C941FD1-975B-59BE-A960-9A2A262853A5}"'
want '[HKEY_CLASSES_ROOT\CLSID\{2C941FCE-975B-59BE-A960-9A2A262853A5}\InprocServer32]'
want '[HKEY_CLASSES_ROOT\CLSID\{CEEE3B62-8F56-4056-869B-EF16917E3EFC}\InprocServer32]'
for p in IMAPI2FS.MsftFileSystemImage IMAPI2FS.MsftFileSystemImage.1 IMAPI2FS.BootOptions IMAPI2FS.BootOptions.1 \
         IMAPI2FS.MsftIsoImageManager IMAPI2FS.MsftIsoImageManager.1 IMAPI2.MsftFileSystemImage; do
    want "[HKEY_CLASSES_ROOT\\$p\\CLSID]"
done
want '[HKEY_CLASSES_ROOT\TypeLib\{2C941FD0-975B-59BE-A960-9A2A262853A5}\1.0]'
want '[HKEY_CLASSES_ROOT\Interface\{2C941FE1-975B-59BE-A960-9A2A262853A5}]'

left=$(grep -E '^\[' "$tmp/unregistered.reg.txt" | grep -iE "$pattern" || true)
if [ -z "$left" ]; then ok; else bad "regsvr32 /u left keys behind:"; printf '%s\n' "$left" | head -20; fi
if diff -q "$tmp/registered.reg.txt" "$tmp/again.reg.txt" >/dev/null; then ok; else bad "registering again differs"; diff "$tmp/registered.reg.txt" "$tmp/again.reg.txt" | head; fi
finish
