#!/usr/bin/env bash
# End to end through the real DLL: fsimage.exe (the README's main job) and the C client
# test_stream.exe image a prepared tree and /usr/include; every image is judged by the independent
# readers of tests/iso/check-image.sh (pycdlib, isoinfo, isovfy, xorriso, libcdio, sleuthkit,
# bsdtar, 7-Zip) and extracted twice and compared with the source byte for byte. With
# SOURCE_DATE_EPOCH pinned, the three ways of copying the stream give identical bytes.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000

bash "$FSI_SRC/tests/iso/make-tree.sh" "$tmp/tree" >/dev/null
for src in "$tmp/tree" /usr/include; do
    name=$(basename "$src")
    img=$tmp/$name.iso
    echo "# imaging $src"
    step wine "$FSI_BUILD/tools/fsimage/fsimage.exe" -q "$(w "$src")" "$(w "$img")"
    step wine "$FSI_BUILD/tests/com/test_stream.exe" --image "$(w "$src")" "$(w "$tmp/$name")"
    step cmp "$img" "$tmp/$name-copyto.iso"
    step cmp "$img" "$tmp/$name-read.iso"
    echo "# check-image.sh $name"
    step bash "$FSI_SRC/tests/iso/check-image.sh" "$img" "$src"
done
finish
