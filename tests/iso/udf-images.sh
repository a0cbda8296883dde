#!/bin/bash
# udf-images.sh FSI_MKISO [WORK]: images of the prepared tree (make-tree.sh) for every UDF
# revision, UDF alone and bridged with ISO 9660 + Joliet (and 2.50 without the metadata mirror),
# each judged by check-udf.sh; the bridged ones also by check-image.sh (ISO 9660 + Joliet).
#
# (pycdlib's known limits on UDF 2.00+ bridges are tolerated: see udf-lib.sh.)
#
# Prints 'ok - ...' / 'not ok - ...' per image and check script, the failing checks under them,
# and last 'N passed, N failed'. Exit 77 (skipped) when a reader is missing.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkiso=${1:?usage: udf-images.sh FSIMAGE [WORK]}
for t in 7z udfinfo udfdump udfclient timeout /usr/bin/python3; do
  command -v "$t" >/dev/null || { echo "skipped: $t is not installed (apt-get install p7zip-full udftools udfclient)"; exit 77; }
done
iso_readers=1
for t in isoinfo isovfy xorriso iso-info fls bsdtar; do command -v "$t" >/dev/null || iso_readers=0; done
/usr/bin/python3 -c 'import pycdlib' 2>/dev/null || iso_readers=0

if [ $# -ge 2 ]; then
  work=$2
  rm -rf "$work"
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/udf-images.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
bash "$here/make-tree.sh" "$work/tree" >/dev/null || { echo "not ok - make-tree.sh failed"; echo "0 passed, 1 failed"; exit 1; }
export SOURCE_DATE_EPOCH=1709214330

source "$here/../lib.sh"        # ok, bad, finish
source "$here/udf-lib.sh"

for rev in 0x102 0x150 0x200 0x201 0x250 0x260; do
  img=$work/udf-$rev.img
  if "$mkiso" --fs udf --udf "$rev" -V "UDF $rev" "$work/tree" "$img" >"$work/mkiso.log" 2>&1; then
    judge "UDF $rev alone: check-udf.sh" bash "$here/check-udf.sh" --rev "$rev" "$img" "$work/tree"
  else
    bad "UDF $rev alone: fsimage failed"; sed 's/^/#   /' "$work/mkiso.log"
  fi
  img=$work/bridge-$rev.img
  if "$mkiso" --fs iso,joliet,udf --udf "$rev" -V "BRIDGE $rev" "$work/tree" "$img" >"$work/mkiso.log" 2>&1; then
    judge "UDF $rev + ISO 9660 + Joliet: check-udf.sh" bash "$here/check-udf.sh" --rev "$rev" "$img" "$work/tree"
    if [ $iso_readers = 1 ]; then
      judge_iso "UDF $rev + ISO 9660 + Joliet: check-image.sh" "$img" "$rev" "$work/tree"
    fi
  else
    bad "UDF $rev bridged: fsimage failed"; sed 's/^/#   /' "$work/mkiso.log"
  fi
  rm -f "$work/udf-$rev.img" "$work/bridge-$rev.img"
done
img=$work/nomirror.img
if "$mkiso" --fs udf --udf 0x250 --no-mirror "$work/tree" "$img" >"$work/mkiso.log" 2>&1; then
  judge "UDF 2.50 without metadata mirror: check-udf.sh" bash "$here/check-udf.sh" --rev 0x250 "$img" "$work/tree"
else
  bad "UDF 2.50 without mirror: fsimage failed"
fi
[ $iso_readers = 1 ] || echo "# note: ISO readers or pycdlib missing: check-image.sh not run on the bridged images"
finish
