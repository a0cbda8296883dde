#!/usr/bin/env bash
# ISO 9660 interchange levels 1-3 and Joliet through the DLL (fsimage.exe), judged by the
# independent readers of tests/iso/check-image.sh with the level's name rules:
#  - the prepared tree (8.3 collisions, deep and long paths, spaces, accents, CJK, non-BMP, empty
#    files and folders, links) at levels 1, 2, 3 with Joliet, and ISO 9660 alone at level 1;
#  - 50,000 files in one folder whose names all collide at level 1;
#  - a 5 GiB sparse file at level 3 (multi-extent), extracted by 7-Zip and bsdtar and compared by
#    checksum, its parts listed by xorriso and isoinfo.
set -uo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
fsimage() { wine "$FSI_BUILD/tools/fsimage/fsimage.exe" -q "$@"; }

bash "$FSI_SRC/tests/iso/make-tree.sh" "$tmp/tree" >/dev/null
for level in 1 2 3; do
    echo "# level $level, ISO 9660 + Joliet"
    step fsimage -l $level "$(w "$tmp/tree")" "$(w "$tmp/l$level.iso")"
    step check_image --level $level --relaxed "$tmp/l$level.iso" "$tmp/tree"
    rm -f "$tmp/l$level.iso"
done
echo "# level 1, ISO 9660 alone"
step fsimage -l 1 -f iso9660 "$(w "$tmp/tree")" "$(w "$tmp/iso.iso")"
step check_image --fs iso --level 1 --relaxed "$tmp/iso.iso" "$tmp/tree"
rm -f "$tmp/iso.iso"

echo "# 50,000 files in one folder, level 1"
mkdir -p "$tmp/many/one"
/usr/bin/python3 -c '
import sys
for i in range(50000):
    open("%s/one/file %05d name.txt" % (sys.argv[1], i), "w").close()
open(sys.argv[1] + "/one/file 00007 name.txt", "w").write("seven\n")' "$tmp/many"
step fsimage -l 1 "$(w "$tmp/many")" "$(w "$tmp/many.iso")"
CHECK_IMAGE_TIMEOUT=400 step check_image --level 1 "$tmp/many.iso" "$tmp/many"   # fls alone takes ~40 s here
rm -rf "$tmp/many" "$tmp/many.iso"

echo "# a 5 GiB sparse file at level 3"
mkdir -p "$tmp/big"
truncate -s 5G "$tmp/big/big.bin"
printf 'start' | dd of="$tmp/big/big.bin" conv=notrunc status=none
printf 'across the 4 GiB boundary' | dd of="$tmp/big/big.bin" bs=1 seek=4294967280 conv=notrunc status=none
printf 'end' | dd of="$tmp/big/big.bin" bs=1 seek=5368709117 conv=notrunc status=none
echo small > "$tmp/big/small.txt"
want=$(sha256sum < "$tmp/big/big.bin")
step fsimage -l 3 "$(w "$tmp/big")" "$(w "$tmp/big.iso")"
# At level 2 the same file fails with IMAPI_E_DATA_TOO_BIG naming the file systems (as Windows: "ISO9660/Joliet").
if msg=$(fsimage -l 2 "$(w "$tmp/big")" "$(w "$tmp/toobig.iso")" 2>&1); then
    bad "level 2 accepted a 5 GiB file"
else
    step grep -q "0xC0AAB132 Data file is too large for 'ISO9660/Joliet' file system" <<<"$msg"
fi
parts=$(xorriso -indev "$tmp/big.iso" -find /big.bin -exec report_lba -- 2>/dev/null | grep -c 'File data')
step test "$parts" -ge 2
parts=$(isoinfo -l -i "$tmp/big.iso" | grep -c 'BIG.BIN;1')
step test "$parts" -eq 2
step /usr/bin/python3 -c 'import pycdlib,sys; p=pycdlib.PyCdlib(); p.open(sys.argv[1]); p.close()' "$tmp/big.iso"
mkdir "$tmp/x7" "$tmp/xb"
step 7z x -tiso -y -o"$tmp/x7" "$tmp/big.iso" >/dev/null
step test "$(sha256sum < "$tmp/x7/big.bin")" = "$want"
rm -rf "$tmp/x7"
step bsdtar -xf "$tmp/big.iso" -C "$tmp/xb"
step test "$(sha256sum < "$tmp/xb/big.bin")" = "$want"
step cmp "$tmp/xb/small.txt" "$tmp/big/small.txt"
finish
