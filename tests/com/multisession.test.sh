#!/usr/bin/env bash
# Import and multisession through the DLL (fsimage.exe --append / --rewrite, which put a caller-side
# IMultisessionSequential2 or IMultisessionRandomWrite over the image file in
# MultisessionInterfaces, call ImportFileSystem, AddTree and CreateResultImage):
#  - first sessions made by genisoimage, xorriso, pycdlib and by the DLL itself (ISO 9660 + Joliet,
#    bridged with UDF of each revision, imported as UDF, and UDF alone);
#  - a second folder added as a new session: sequential (the session written after the image, read
#    back with isoinfo -T NWA and xorriso -load sbsector NWA, UDF with udfinfo --startblock=NWA) and random-write (only the
#    ModifiedBlocks ranges rewritten; then every reader of check-image.sh, and of check-udf.sh for
#    the UDF bridges, must see old and new files with the right bytes, replaced files replaced);
#  - a third session on top of the second one (sequential and random-write).
set -uo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
# fsimage.exe -q ARGS. A failure that fsimage.exe itself did not report (no "fsimage:" line: Wine
# did not start the program, seen once in a clean CI run) is printed with its status and run once
# more; a failure the program reports is never retried.
fsimage() {
    local rc
    wine "$FSI_BUILD/tools/fsimage/fsimage.exe" -q "$@" 2> "$tmp/fsimage.err"; rc=$?
    if [ "$rc" != 0 ] && ! grep -q '^fsimage:' "$tmp/fsimage.err"; then
        echo "# fsimage.exe exited with $rc without a message: $(head -c 500 "$tmp/fsimage.err"); once more"
        wine "$FSI_BUILD/tools/fsimage/fsimage.exe" -q "$@" 2> "$tmp/fsimage.err"; rc=$?
    fi
    cat "$tmp/fsimage.err" >&2
    return "$rc"
}
here=$FSI_SRC/tests/iso
source "$here/udf-lib.sh"        # verdict_iso: pycdlib 1.12's known UDF 2.00+ limits are notes
check_bridge() {   # REV IMG DIR: check-image.sh on a UDF bridge (step counts its verdict)
    local out rc p=$pass f=$fail
    out=$(bash "$here/check-image.sh" --volume FIRST "$2" "$3" 2>&1); rc=$?
    verdict_iso "check-image.sh $2 (UDF $1)" "$rc" "$out" "$1" >"$tmp/verdict"
    grep -E '^(not ok|#)' "$tmp/verdict"
    rc=$((fail != f)); pass=$p fail=$f
    return "$rc"
}

# The first session's folder, the second's (a new file, a replaced one, a new folder, a file added
# to an old folder) and the third's; expected trees: each folder over the ones before.
mkdir -p "$tmp/s1/docs/deep" "$tmp/s2/docs" "$tmp/s2/fresh" "$tmp/s3/docs/deep"
printf 'first\n' > "$tmp/s1/readme.txt"
printf 'old\n' > "$tmp/s1/docs/replace me.txt"
: > "$tmp/s1/docs/empty"
head -c 300000 /dev/urandom > "$tmp/s1/docs/deep/random.bin"
printf 'caf\xc3\xa9\n' > "$tmp/s1/docs/caf$(printf '\xc3\xa9').txt"
printf 'new\n' > "$tmp/s2/added.txt"
printf 'replaced in session 2\n' > "$tmp/s2/docs/replace me.txt"
head -c 5000 /dev/urandom > "$tmp/s2/fresh/$(printf '\xe6\x97\xa5\xe6\x9c\xac').bin"
printf 'third\n' > "$tmp/s3/docs/deep/third.txt"
mkdir -p "$tmp/e2" "$tmp/e3"
cp -a "$tmp/s1/." "$tmp/e2/"; cp -a "$tmp/s2/." "$tmp/e2/"
cp -a "$tmp/e2/." "$tmp/e3/"; cp -a "$tmp/s3/." "$tmp/e3/"

# xorriso (grown images keep a copy of the newest descriptors at 16; sessions by LBA here)
session_tree() {   # IMG LBA DIR: extract the session at LBA with xorriso, compare with DIR
    local out="$tmp/x-$RANDOM"
    xorriso -abort_on FAILURE -indev "$1" -load sbsector "$2" -osirrox on -extract / "$out" >/dev/null 2>&1 &&
        chmod -R u+w "$out" && diff -r "$out" "$3" >/dev/null
    local rc=$?
    rm -rf "$out"
    [ $rc = 0 ] || echo "# xorriso -load sbsector $2 of $1 differs from $3"
    return $rc
}
isoinfo_lists() {  # IMG LBA NAME...: isoinfo -T LBA -J -f lists every NAME
    local list; list=$(isoinfo -i "$1" -T "$2" -J -f 2>/dev/null) || return 1
    shift 2
    list=$(sed 's/;1$//' <<<"$list")    # Joliet identifiers carry the version, as Windows writes them
    for n in "$@"; do grep -qxF "$n" <<<"$list" || { echo "# isoinfo -T: $n missing"; return 1; }; done
}
blocks() { echo $(( $(stat -c %s "$1") / 2048 )); }
placement() {  # IMG LBA: udfplace.py measures the session at LBA (and finds it by itself)
    local out; out=$(/usr/bin/python3 "$FSI_SRC/tests/iso/udfplace.py" --session "$2" "$1") &&
        [ "$(/usr/bin/python3 "$FSI_SRC/tests/iso/udfplace.py" --session auto "$1")" = "$out" ] &&
        grep -q '^2 passed, 0 failed$' <<<"$out" ||
        { echo "# udfplace.py --session $2 $1:"; sed 's/^/#   /' <<<"$out"; return 1; }
}
udfinfo_session() {  # IMG LBA DIR: udfinfo --startblock=LBA counts DIR's files and folders, closed
    local out; out=$(udfinfo --startblock="$2" "$1" 2>/dev/null)
    local f d; f=$(find "$3" -type f | wc -l); d=$(find "$3" -type d | wc -l)
    grep -qx "numfiles=$f" <<<"$out" && grep -qx "numdirs=$d" <<<"$out" && grep -qx "integrity=closed" <<<"$out" ||
        { echo "# udfinfo --startblock=$2: $(grep -E '^(numfiles|numdirs|integrity)=' <<<"$out" | tr '\n' ' ')want $f files, $d folders"; return 1; }
}

# First sessions from other mastering tools
genisoimage -quiet -J -V FIRST -o "$tmp/genisoimage.iso" "$tmp/s1" 2>/dev/null
xorriso -as mkisofs -quiet -J -V FIRST -o "$tmp/xorriso.iso" "$tmp/s1" >/dev/null 2>&1
/usr/bin/python3 - "$tmp/s1" "$tmp/pycdlib.iso" <<'EOF'
import os, sys, pycdlib
src, out = sys.argv[1], sys.argv[2]
iso = pycdlib.PyCdlib()
iso.new(interchange_level=3, joliet=3, vol_ident='FIRST')
isoname = {'.': ''}                     # relative folder -> its ISO 9660 path
n = 0
for dirpath, dirs, files in os.walk(src):
    rel = os.path.relpath(dirpath, src)
    for d in sorted(dirs):
        n += 1
        p = os.path.normpath(os.path.join(rel, d))
        isoname[p] = isoname[rel] + '/D%d' % n
        iso.add_directory(isoname[p], joliet_path='/' + p)
    for f in sorted(files):
        n += 1
        p = os.path.normpath(os.path.join(rel, f))
        iso.add_file(os.path.join(dirpath, f), isoname[rel] + '/F%d.;1' % n, joliet_path='/' + p)
iso.write(out)
EOF
[ -s "$tmp/pycdlib.iso" ] || bad "pycdlib made no image"

# a grown xorriso image: two sessions, the newest descriptors copied to block 16
xorriso -outdev "$tmp/grown-first.iso" -joliet on -map "$tmp/s1" / >/dev/null 2>&1 &&
    xorriso -dev "$tmp/grown-first.iso" -joliet on -volid FIRST -map "$tmp/s1" / -commit >/dev/null 2>&1 &&
    mv "$tmp/grown-first.iso" "$tmp/xorriso-grown.iso"
firsts=(genisoimage xorriso xorriso-grown pycdlib)
# and the DLL's own: ISO 9660 + Joliet, and bridges with UDF of every revision
step fsimage -V FIRST "$(w "$tmp/s1")" "$(w "$tmp/ours.iso")"
firsts+=(ours)
for rev in 102 150 200 201 250 260; do
    step fsimage -V FIRST -f iso9660,joliet,udf -u $rev "$(w "$tmp/s1")" "$(w "$tmp/udf$rev.iso")"
    firsts+=(udf$rev)
done
# and UDF alone (imported as UDF; no ISO reader applies)
for rev in 102 201 260; do
    step fsimage -V FIRST -f udf -u $rev "$(w "$tmp/s1")" "$(w "$tmp/udfonly$rev.iso")"
    firsts+=(udfonly$rev)
done

for first in "${firsts[@]}"; do
    img=$tmp/$first.iso
    [ -s "$img" ] || continue
    udf= alone=; imp=()
    case $first in udfonly*) udf=0x${first#udfonly}; alone=1 ;; udf*) udf=0x${first#udf} ;; esac
    echo "# $first: sequential sessions"
    cp "$img" "$tmp/seq.iso"
    nwa2=$(blocks "$tmp/seq.iso")
    step fsimage --append "${imp[@]}" "$(w "$tmp/s2")" "$(w "$tmp/seq.iso")"
    nwa3=$(blocks "$tmp/seq.iso")
    step fsimage --append "${imp[@]}" "$(w "$tmp/s3")" "$(w "$tmp/seq.iso")"
    if [ -z "$alone" ]; then
        step session_tree "$tmp/seq.iso" "$nwa2" "$tmp/e2"
        step session_tree "$tmp/seq.iso" "$nwa3" "$tmp/e3"
        step session_tree "$tmp/seq.iso" 0 "$tmp/s1"
        step isoinfo_lists "$tmp/seq.iso" "$nwa3" /added.txt "/docs/replace me.txt" /docs/deep/third.txt /docs/deep/random.bin
    fi
    if [ -n "$udf" ]; then
        step udfinfo_session "$tmp/seq.iso" "$nwa2" "$tmp/e2"
        step udfinfo_session "$tmp/seq.iso" "$nwa3" "$tmp/e3"
        # 2.50+: the third session's reserve VDS and metadata mirror copy a tenth of it from the
        # main ones (udfplace.py; the random-write results get it from check-udf.sh)
        [ $((udf)) -ge $((0x250)) ] && step placement "$tmp/seq.iso" "$nwa3"
    fi
    # the new sessions reference the first one's data: they are far smaller than it
    [ $((nwa3 - nwa2)) -lt $((nwa2 / 2)) ] || [ -n "$udf" ] || bad "$first: session 2 copies old data"

    echo "# $first: random-write (only the modified blocks rewritten)"
    cp "$img" "$tmp/rw.iso"
    step fsimage --rewrite "${imp[@]}" "$(w "$tmp/s2")" "$(w "$tmp/rw.iso")"
    if [ -n "$alone" ]; then :; elif [ -n "$udf" ]; then step check_bridge "$udf" "$tmp/rw.iso" "$tmp/e2"
    else step check_image --volume FIRST "$tmp/rw.iso" "$tmp/e2"; fi
    [ -n "$udf" ] && step check_udf --multisession --rev "$udf" "$tmp/rw.iso" "$tmp/e2"
    step fsimage --rewrite "${imp[@]}" "$(w "$tmp/s3")" "$(w "$tmp/rw.iso")"
    if [ -n "$alone" ]; then :; elif [ -n "$udf" ]; then step check_bridge "$udf" "$tmp/rw.iso" "$tmp/e3"
    else step check_image --volume FIRST "$tmp/rw.iso" "$tmp/e3"; fi
    [ -n "$udf" ] && step check_udf --multisession --rev "$udf" "$tmp/rw.iso" "$tmp/e3"
    rm -f "$tmp/seq.iso" "$tmp/rw.iso"
done
finish
