#!/bin/bash
# selftest.sh: proves that check-image.sh passes a correct ISO 9660 + Joliet image and fails
# damaged ones. Images are made with xorriso from the prepared tree (make-tree.sh), then damaged:
#   - truncated (head -c half of it)
#   - one byte flipped inside a file's data (the block found with xorriso report_lba)
#   - a directory record's length byte changed, in the ISO 9660 tree and in the Joliet tree
#     (the directory's block found with isoinfo -l / isoinfo -l -J)
#   - a file missing (image made from a copy of the tree with one file removed)
# and a few option checks (--volume, --level, --fs iso). Each case is one 'ok'/'not ok' line;
# the last line is 'N passed, N failed'. Exit status 1 if any case went the wrong way.
# Runs in a few seconds; needs the readers of shared/reference/validators.md.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LC_ALL=C.UTF-8
T=$(mktemp -d "${TMPDIR:-/tmp}/iso-selftest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
started=$EPOCHREALTIME
source "$here/../lib.sh"        # ok, bad, finish
ok_lines=1

# expect_check pass|fail WHAT IMG SRC [check-image options] [-- substring that the output must hold]
# 'fail' means exit status 1 (not 2, a usage error) and, if given, the substring in the output.
expect_check() {
  local want=$1 what=$2; shift 2
  local args=() must=
  while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then must=$2; break; fi
    args+=("$1"); shift
  done
  local out rc
  out=$("$here/check-image.sh" "${args[@]}" 2>&1)
  rc=$?
  local summary
  summary=$(printf '%s\n' "$out" | tail -n 1)
  local good=1
  case $want in
    pass) [ $rc -eq 0 ] || good=0 ;;
    fail) [ $rc -eq 1 ] || good=0 ;;
  esac
  if [ -n "$must" ] && ! printf '%s\n' "$out" | grep -qF -- "$must"; then good=0; fi
  if [ $good = 1 ]; then
    ok "$what (check-image: $summary)"
  else
    bad "$what (check-image exit $rc: $summary)"
    [ -n "$must" ] && echo "#   expected the output to contain: $must"
  fi
  # what the readers said: the failed checks, and for a damaged image which readers missed it
  if [ "$want" = fail ]; then
    printf '%s\n' "$out" | grep -E '^not ok - ' | sed 's/^/#   /' | cut -c1-160
  elif [ $good = 0 ]; then
    printf '%s\n' "$out" | grep -E '^not ok - |^#   ' | sed 's/^/#   /' | head -40
  fi
}

# flip BYTE-OFFSET FILE: invert one byte in place
flip() {
  local off=$1 f=$2 b
  b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
# setbyte BYTE-OFFSET VALUE FILE
setbyte() {
  printf "$(printf '\\%03o' "$2")" | dd of="$3" bs=1 seek="$1" conv=notrunc status=none
}
byte() { od -An -tu1 -j "$1" -N1 "$2" | tr -d ' '; }

# dir_extent IMG PATH [-J]: block of a directory, from isoinfo's listing ('.' entry's [ extent ])
dir_extent() {
  isoinfo -l $3 -i "$1" | awk -v want="Directory listing of $2" '
    $0 == want || $0 == want " " { found = 1; next }
    found && /\[ *[0-9]+ +[0-9]+\]/ { sub(/.*\[ */, ""); print $1 + 0; exit }'
}

# damage_record IMG PATH [-J] VALUE: set the length byte of the third record (the first after
# "." and "..") of directory PATH to VALUE
damage_record() {
  local img=$1 path=$2 j=$3 val=$4 lba off l0 l1
  lba=$(dir_extent "$img" "$path" "$j")
  [ -n "$lba" ] || { echo "selftest: no directory $path in $img" >&2; return 1; }
  off=$((lba * 2048))
  l0=$(byte $off "$img")
  l1=$(byte $((off + l0)) "$img")
  echo "#   $path${j:+ (Joliet)}: block $lba, record 3 at byte $((l0 + l1)), length $(byte $((off + l0 + l1)) "$img") -> $val"
  setbyte $((off + l0 + l1)) "$val" "$img"
}

mk() { # mk OUT SRC [xorriso -as mkisofs options]: an image like IMAPI2FS writes: no Rock Ridge,
       # Joliet in UTF-16, links followed, the dangling link and the loop left out
  local out=$1 src=$2; shift 2
  xorriso -as mkisofs --norock -f -m dangling -m loop "$@" -o "$out" "$src" >"$out.log" 2>&1 \
    || { echo "selftest: xorriso failed for $out:" >&2; cat "$out.log" >&2; return 1; }
}

for t in xorriso isoinfo od dd; do
  command -v $t >/dev/null || { echo "selftest: $t is not installed" >&2; echo "0 passed, 1 failed"; exit 1; }
done

"$here/make-tree.sh" "$T/tree" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
tree=$T/tree

# --- correct images -------------------------------------------------------------------------
mk "$T/good.iso" "$tree" -J -joliet-utf16 -V IMAPI2FS_TEST || exit 1
expect_check pass "correct ISO 9660 + Joliet image of the prepared tree passes" "$T/good.iso" "$tree" --volume IMAPI2FS_TEST

mk "$T/iso-only.iso" "$tree" || exit 1
expect_check pass "correct ISO 9660-only image passes with --fs iso (names mapped: counts and size+sha256 multisets)" \
  "$T/iso-only.iso" "$tree" --fs iso
expect_check fail "ISO 9660-only image fails when Joliet is expected" "$T/iso-only.iso" "$tree" \
  -- 'not ok - pycdlib: Joliet volume descriptor present'
expect_check fail "ISO 9660 + Joliet image fails with --fs iso (Joliet not expected)" "$T/good.iso" "$tree" --fs iso \
  -- 'not ok - pycdlib: Joliet volume descriptor absent'
expect_check fail "wrong --volume fails" "$T/good.iso" "$tree" --volume OTHER_NAME \
  -- "not ok - pycdlib: volume identifier 'OTHER_NAME'"

# ISO 9660 allows 8 directory levels; xorriso without Rock Ridge writes the 12 levels as they are
expect_check fail "--level 1 fails on an ISO 9660 tree 12 levels deep" "$T/good.iso" "$tree" --level 1 \
  -- 'levels deep'
cp -a "$tree" "$T/shallow"
rm -rf "$T/shallow/deep"
mk "$T/shallow.iso" "$T/shallow" -J -joliet-utf16 || exit 1
expect_check pass "--level 1 passes on an image without deep folders (8.3 d-character names)" \
  "$T/shallow.iso" "$T/shallow" --level 1

# --- damaged images ---------------------------------------------------------------------------
size=$(stat -c %s "$T/good.iso")
head -c $((size / 2)) "$T/good.iso" >"$T/truncated.iso"
expect_check fail "truncated image (head -c $((size / 2)) of $size bytes) fails" "$T/truncated.iso" "$tree" \
  -- 'truncated'

cp "$T/good.iso" "$T/flipped-data.iso"
lba=$(xorriso -indev "$T/good.iso" -find /sizes/size1048579.bin -exec report_lba -- 2>/dev/null |
      awk -F, '/^File data lba:/ { print $2 + 0; exit }')
echo "#   sizes/size1048579.bin starts at block $lba; flipping byte 700000 of it"
flip $((lba * 2048 + 700000)) "$T/flipped-data.iso"
expect_check fail "one byte flipped inside a file's data fails" "$T/flipped-data.iso" "$tree" \
  -- 'content differs: sizes/size1048579.bin'

cp "$T/good.iso" "$T/dirrec-iso.iso"
damage_record "$T/dirrec-iso.iso" /SIZES/ "" 0
expect_check fail "ISO 9660 directory record length set to 0 (reads as end of directory) fails" "$T/dirrec-iso.iso" "$tree" \
  -- 'not ok - pycdlib: strict open'

cp "$T/good.iso" "$T/dirrec-iso255.iso"
damage_record "$T/dirrec-iso255.iso" /SIZES/ "" 255
expect_check fail "ISO 9660 directory record length set to 255 fails" "$T/dirrec-iso255.iso" "$tree" \
  -- 'not ok - isovfy'

cp "$T/good.iso" "$T/dirrec-joliet.iso"
damage_record "$T/dirrec-joliet.iso" /sizes/ -J 0
expect_check fail "Joliet directory record length set to 0 fails" "$T/dirrec-joliet.iso" "$tree" \
  -- 'missing from image: sizes/'

cp -a "$tree" "$T/minus"
rm "$T/minus/accents/über.txt"
mk "$T/missing.iso" "$T/minus" -J -joliet-utf16 || exit 1
expect_check fail "image missing one file (made from a copy without accents/über.txt) fails" "$T/missing.iso" "$tree" \
  -- 'missing from image: accents/über.txt'

# a usage error is exit status 2, not a failed check
"$here/check-image.sh" "$T/good.iso" "$tree" --fs udf >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then ok "usage error exits 2"; else bad "usage error exits 2 (got $rc)"; fi

awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "# selftest took %.1f s\n", b - a }'
finish
