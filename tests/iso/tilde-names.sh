#!/usr/bin/env bash
# tilde-names.sh FSIMAGE: ISO 9660 names with Windows' numeric tail "~N" (src/engine/names.c) are
# read by every reader we test, although '~' is not an ECMA-119 d-character (ctest:
# engine.tilde_names). FSIMAGE is native fsimage (src/cli). A tree whose names get tails at level 1
# (8.3: "_internal" -> "_INTER~1", "AIPacsLiteViewer.exe" -> "AIPACS~1.EXE", ~9 then ~10 with the
# name part one shorter, "a.txt" after "A.TXT") and at level 2 (names cut to 30 that collide) is
# imaged as ISO 9660 alone (the readers then see the ISO 9660 names) and each expected name is
#  - listed by pycdlib (strict open), isoinfo, libcdio's iso-info, xorriso -read_fs ecma119,
#    sleuthkit's fls, bsdtar and 7-Zip, with nothing else in the directories;
#  - extracted by its ISO 9660 path with pycdlib, isoinfo -x and libcdio's iso-read, and the
#    whole image by 7-Zip, bsdtar and xorriso (osirrox): every file's bytes are those of the source
#    file the name stands for;
#  - isovfy reports nothing (directory record order with '~' included);
# then tests/iso/check-image.sh judges the images (with Joliet too) at their level.
# Exit 77 (skipped) when a reader is missing.
set -uo pipefail
FSIMAGE=${1:?usage: tilde-names.sh FSIMAGE}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
for t in isoinfo iso-info iso-read xorriso fls bsdtar 7z isovfy; do
    command -v $t >/dev/null || { echo "# $t is not installed: skipped"; exit 77; }
done
$PY -c 'import pycdlib' 2>/dev/null || { echo "# pycdlib is not installed for $PY: skipped"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C.UTF-8
source "$here/../lib.sh"        # step, bad, finish

# The trees: "SOURCE PATH|ISO 9660 PATH" per file, every file with its own bytes.
declare -A want1 want2
put() {   # put TREE SRC ISO: a file of the tree and the name it must have
    local -n w=$1
    mkdir -p "$(dirname "$tmp/$1/$2")"
    printf '%s\n' "$1:$2" > "$tmp/$1/$2"
    w[$3]=$2
}
put want1 _internal/base_library.zip /_INTER~1/BASE_L~1.ZIP
put want1 _internal/python3.dll /_INTER~1/PYTHON3.DLL
put want1 AIPacsLiteViewer.exe /AIPACS~1.EXE
put want1 A.TXT /A.TXT
put want1 a.txt /A~1.TXT
put want1 "read me.txt" /README~1.TXT
for i in $(seq -w 0 11); do
    n=$((10#$i + 1))
    if [ $n -lt 10 ]; then put want1 longfilename$i.txt /LONGFI~$n.TXT; else put want1 longfilename$i.txt /LONGF~$n.TXT; fi
done
for i in $(seq -w 0 11); do
    case $i in 00) iso=/A_VERY_LONG_COMMON_FILE_NA.TXT ;;
        0?) iso=/A_VERY_LONG_COMMON_FILE_~$((10#$i)).TXT ;;
        *) iso=/A_VERY_LONG_COMMON_FILE~$((10#$i)).TXT ;; esac
    put want2 a_very_long_common_file_name_prefix_$i.txt $iso
done
put want2 xt_CONNMARK.h /XT_CONNMARK.H
put want2 xt_connmark.h /XT_CONNMARK~1.H
put want2 B/in_upper.c /B/IN_UPPER.C
put want2 b/in_lower.c /B~1/IN_LOWER.C

# check LEVEL TREE IMAGE: every reader against the table
check() {
    local level=$1 tree=$2 img=$3 x=$tmp/x-$2
    local -n w=$tree
    local -a names=("${!w[@]}")
    local sorted; sorted=$(printf '%s\n' "${names[@]}" | sort)
    echo "# level $level: ${#names[@]} files, read by pycdlib, isoinfo, libcdio, xorriso, sleuthkit, bsdtar, 7-Zip"
    # listings: exactly the expected files (directories left out), as each reader spells them
    step test "$($PY - "$img" <<'PY' | sort
import pycdlib, sys
p = pycdlib.PyCdlib(); p.open(sys.argv[1])
for d, dirs, files in p.walk(iso_path='/'):
    for f in files:
        print((d.rstrip('/') + '/' + f).rsplit(';', 1)[0])
PY
)" = "$sorted" || echo "# pycdlib listing differs"
    step test "$(isoinfo -f -i "$img" | sed 's/;1$//' | grep -vxF -e /_INTER~1 -e /B -e /B~1 | sort)" = "$sorted"
    step test "$(iso-info --no-header -f -i "$img" | sed -n 's/^ *[0-9]* \(\/.*\)$/\1/p' | grep -vxF -e /_inter~1 -e /b -e /b~1 | sort)" \
              = "$(tr 'A-Z' 'a-z' <<<"$sorted" | sort)"
    step test "$(xorriso -abort_on NEVER -read_fs ecma119 -indev "$img" -find / -type f 2>/dev/null | tr -d "'" | sort)" = "$sorted"
    step test "$(fls -r -p -f iso9660 "$img" | sed -n 's/^r\/r [0-9]*:\t//p' | sed 's/^/\//' | sort)" = "$sorted"
    step test "$(bsdtar -tf "$img" | grep -vxF -e . -e _INTER~1 -e B -e B~1 | sed 's/^/\//' | sort)" = "$sorted"
    step test "$(7z l -slt -tiso "$img" | sed -n 's/^Path = //p' | grep -v "^$img\$" \
                 | grep -vxF -e _INTER~1 -e B -e B~1 | sed 's/^/\//' | sort)" = "$sorted"
    # isovfy: no finding (it exits 0 either way)
    local v; v=$(isovfy "$img" 2>&1 | grep -v '^Root at extent\|^$\|^No errors found\|^\[[0-9]* [0-9]*\]$')
    step test -z "$v" || echo "# isovfy: $v"
    # extraction by ISO 9660 path, then of the whole image
    mkdir -p "$x/7z" "$x/bsdtar" "$x/xorriso"
    step 7z x -tiso -y -o"$x/7z" "$img" >/dev/null
    step bsdtar -xf "$img" -C "$x/bsdtar"
    step xorriso -abort_on NEVER -read_fs ecma119 -indev "$img" -osirrox on -extract / "$x/xorriso" >/dev/null 2>&1
    chmod -R u+rwX "$x"
    local iso src bad=0
    for iso in "${names[@]}"; do
        src=$tmp/$tree/${w[$iso]}
        local lower; lower=$(tr 'A-Z' 'a-z' <<<"$iso")
        cmp -s "$src" <($PY -c 'import pycdlib,sys,io; p=pycdlib.PyCdlib(); p.open(sys.argv[1]); b=io.BytesIO(); p.get_file_from_iso_fp(b, iso_path=sys.argv[2]); sys.stdout.buffer.write(b.getvalue())' "$img" "$iso;1") \
            || { echo "# pycdlib $iso"; bad=1; }
        cmp -s "$src" <(isoinfo -i "$img" -x "$iso;1") || { echo "# isoinfo -x $iso"; bad=1; }
        iso-read -i "$img" -e "$lower" -o "$x/one" >/dev/null 2>&1 && cmp -s "$src" "$x/one" || { echo "# iso-read $lower"; bad=1; }
        for r in 7z bsdtar xorriso; do
            cmp -s "$src" "$x/$r$iso" || { echo "# $r: $iso"; bad=1; }
        done
    done
    step test $bad = 0
}

"$FSIMAGE" -q -f iso9660 -l 1 "$tmp/want1" "$tmp/l1.iso" || { echo "not ok - fsimage level 1"; exit 1; }
check 1 want1 "$tmp/l1.iso"
"$FSIMAGE" -q -f iso9660 -l 2 "$tmp/want2" "$tmp/l2.iso" || { echo "not ok - fsimage level 2"; exit 1; }
check 2 want2 "$tmp/l2.iso"

echo "# check-image.sh, with Joliet"
for level in 1 2; do
    "$FSIMAGE" -q -f iso9660,joliet -l $level "$tmp/want$level" "$tmp/j$level.iso"
    bash "$here/check-image.sh" --level $level "$tmp/j$level.iso" "$tmp/want$level" >"$tmp/judge"
    step test $? = 0 || grep -E '^(not ok|#)' "$tmp/judge"
    grep -q 'numeric tail "~N"' "$tmp/judge" || bad "check-image.sh noted no ~N name"
done
finish
