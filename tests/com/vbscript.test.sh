#!/usr/bin/env bash
# VBScript under `wine cscript`: CreateObject by both ProgIDs, AddTree, CreateResultImage,
# TotalBlocks (equal to what fsimage.exe writes for the same folder), For Each, Err texts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/sub"
printf 'hello\n' > "$tmp/src/a.txt"; head -c 70000 /dev/urandom > "$tmp/src/sub/b.bin"; : > "$tmp/src/empty"
out=$(wine cscript //nologo "$(w "$here/late_binding.vbs")" "$(w "$tmp/src")" | tr -d '\r')
printf '%s\n' "$out"
wine "$FSI_BUILD/tools/fsimage/fsimage.exe" -q -V vbs-test "$(w "$tmp/src")" "$(w "$tmp/ref.iso")"
blocks=$(( $(stat -c %s "$tmp/ref.iso") / 2048 ))
expect "FileCount=3"
expect "DirectoryCount=2"
expect "TotalBlocks=$blocks"
expect "BlockSize=2048"
expect "StreamEmpty=False"
expect "Alias=IFileSystemImage3"
expect "DefaultFS=7"
expect "RootItems=3 Count=3"
expect "DupErr=C0AAB112"
expect "DupText='dup' name already exists."
expect "UnknownErr=438"
expect "NotFoundErr=C0AAB118"
expect "BootPlatform=0"
expect "IsoManager=IIsoImageManager"
finish
