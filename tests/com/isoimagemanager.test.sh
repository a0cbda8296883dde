#!/usr/bin/env bash
# MsftIsoImageManager from VBScript under wine cscript (isoimagemanager.vbs): SetPath, Path,
# Stream as a file-to-IStream helper, SetStream replacing the path, and Validate's results for a
# good image, no image, an unaligned file, a file without volume descriptors, a sparse image over
# 4 GiB (valid, and read without loading it) and one over MAXLONG blocks (IMAGE_TOO_BIG).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"; printf 'hello\n' > "$tmp/src/a.txt"
wine "$FSI_BUILD/tools/fsimage/fsimage.exe" -q "$(w "$tmp/src")" "$(w "$tmp/good.iso")"
head -c 3000 /dev/zero > "$tmp/unaligned.bin"
head -c 65536 /dev/zero > "$tmp/zeros.bin"
cp "$tmp/good.iso" "$tmp/big.iso"; truncate -s 5G "$tmp/big.iso"
cp "$tmp/good.iso" "$tmp/huge.iso"; truncate -s $(( (0x7FFFFFFF + 1) * 2048 )) "$tmp/huge.iso"
good_blocks=$(( $(stat -c %s "$tmp/good.iso") / 2048 ))
start=$(date +%s)
out=$(wine cscript //nologo "$(w "$here/isoimagemanager.vbs")" "$(w "$tmp/good.iso")" "$(w "$tmp/unaligned.bin")" \
      "$(w "$tmp/zeros.bin")" "$(w "$tmp/big.iso")" "$(w "$tmp/huge.iso")" 2>&1 | tr -d '\r')
took=$(( $(date +%s) - start ))
printf '%s\n' "$out"
expect "Empty=C0AAB202"
expect "PathSet=True"
expect "Good=ok"
expect "Unaligned=C0AAB200"
expect "Zeros=C0AAB201"
expect "Big=ok"
expect "Huge=C0AAB203"
expect "BadPath=C0AAB110"
expect "PathAfterSetStream=[]"
expect "StreamGood=ok"
expect "DataSize=$(stat -c %s "$tmp/good.iso")"
if grep -q '^ResultBlocks=' <<<"$out"; then ok; else bad "no result"; fi
# a 5 GiB and a 4 TiB file validated in seconds: the streams are not loaded
if [ "$took" -lt 60 ]; then ok; else bad "took $took s"; fi
finish
