#!/usr/bin/env bash
# Native fsimage (src/cli) and fsimage.exe (the DLL through COM, under Wine) write the same image
# bytes for the same tree and SOURCE_DATE_EPOCH, print the same progress items (--map) and the same
# lines on stderr, and fail with the same HRESULT and text:
#  - the tree: tests/iso/make-tree.sh (links to a file and a folder, a dangling link, a loop, dot-files
#    (hidden under Wine), accents, CJK, non-BMP, a file of 1 MiB + 3 copied by copy_file_range) plus
#    names that are not UTF-8 (a file with data, an empty one, a folder), a FIFO and a socket (empty
#    files), and times with nanoseconds: every modification time different, every access time
#    different from it (set in the future, so that reading the tree does not move it: relatime);
#  - ISO 9660 + Joliet at levels 1, 2 and 3; UDF 1.02 and 2.01 alone; bridges 2.50 and 2.60 without
#    mirror, with --base; one boot entry (x86, no emulation) and two (a 1.44 MB floppy, EFI) through
#    BootImageOptionsArray; a volume name and the generated one;
#  - failures: source not found, strict levels, FreeMediaBlocks, a bad UDF revision;
#  - --append and --rewrite onto ISO 9660 + Joliet, a UDF 2.50 bridge and UDF 2.01 alone, with
#    --import, -V, -l, a third session; their failures (empty or unknown image, no such file system,
#    another file system set or UDF revision, a boot entry, no source) leave the image unchanged;
#  - native appends read back with xorriso -load sbsector and isoinfo -T (sequential) and with 7z
#    and xorriso (random-write), against the union of both trees; a write stopped by RLIMIT_FSIZE
#    puts the image back;
#  - the one difference (docs/behaviour.md, "Native fsimage"): a name with '\' fails AddTree in the
#    DLL, native fsimage leaves the item out with a warning.
# The native program comes from the native build next to this one (build/native), built if needed.
set -uo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C.UTF-8
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish

native_dir=${FSI_NATIVE_BUILD:-$FSI_SRC/build/native}
if [ ! -f "$native_dir/build.ninja" ] && [ ! -f "$native_dir/Makefile" ]; then
    native_dir=$FSI_BUILD/native-cli
    [ -f "$native_dir/build.ninja" ] || cmake -S "$FSI_SRC" -B "$native_dir" -G Ninja >/dev/null
fi
cmake --build "$native_dir" --target fsimage >/dev/null || { echo "not ok - building native fsimage"; exit 1; }
native=$native_dir/src/cli/fsimage
exe=$FSI_BUILD/tools/fsimage/fsimage.exe

# ---- the tree ----------------------------------------------------------------------------------
t=$tmp/tree
bash "$FSI_SRC/tests/iso/make-tree.sh" "$t" >/dev/null
printf 'not utf-8\n' > "$t/"$'bad\xffname.txt'
: > "$t/"$'trunc\xe4'
mkdir "$t/"$'dir\xed\xa0\x80x'
printf 'in a folder whose name is not UTF-8\n' > "$t/"$'dir\xed\xa0\x80x/in.txt'
mkdir "$t/special"
mkfifo "$t/special/fifo"
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$t/special/socket"
# times: modification 2024-01-02 + i seconds + i*1234567 ns; access one hour from now + i*7654321 ns
/usr/bin/python3 - "$t" <<'EOF'
import os, sys, time
future = int(time.time()) + 3600
paths = [sys.argv[1]]
for root, dirs, files in os.walk(sys.argv[1]):
    paths += [os.path.join(root, n) for n in sorted(dirs) + sorted(files)]
for i, p in enumerate(sorted(paths)):
    m = (1704164645 + i) * 10**9 + i * 1234567 % 10**9
    a = future * 10**9 + i * 7654321 % 10**9
    os.utime(p, ns=(a, m), follow_symlinks=False)
EOF
snapshot() { find "$t" -printf '%p %A@ %T@\n' | sort; }
before=$(snapshot)
head -c 2048 /dev/urandom > "$tmp/boot.bin"
head -c 1474560 /dev/urandom > "$tmp/floppy.img"
head -c 65536 /dev/urandom > "$tmp/efi.img"

# unwine IN OUT: Wine's paths made Unix paths (Z:\tmp\x\tree -> /tmp/x/tree)
unwine() {
    /usr/bin/python3 -c '
import re, sys
s = open(sys.argv[1], encoding="utf-8", errors="replace").read()
s = re.sub(r"Z:(\\[^ \x27\n]*)", lambda m: m.group(1).replace("\\", "/"), s)
open(sys.argv[2], "w").write(s)' "$1" "$2"
}

# same ARGS...: both programs with ARGS (paths as {tree}, {boot.bin} ...); images, --map and stderr
# (without native's warnings, Wine's paths made Unix paths) must be equal, and the exit status.
same() {
    local nargs=() wargs=() a rn rw
    for a in "$@"; do
        case $a in
            *{*}*) local rel=${a#*\{}; rel=${rel%%\}*}; local path=$tmp/$rel
                   nargs+=("${a/\{$rel\}/$path}"); wargs+=("${a/\{$rel\}/$(w "$path")}") ;;
            *) nargs+=("$a"); wargs+=("$a") ;;
        esac
    done
    rm -f "$tmp/n.iso" "$tmp/w.iso"
    "$native" --map "${nargs[@]}" "$tmp/n.iso" > "$tmp/n.map" 2> "$tmp/n.err"; rn=$?
    wine "$exe" --map "${wargs[@]}" "$(w "$tmp/w.iso")" > "$tmp/w.map" 2> "$tmp/w.err"; rw=$?
    grep -v '^fsimage: warning:' "$tmp/n.err" > "$tmp/n.err2"
    unwine "$tmp/w.err" "$tmp/w.err2"
    local ok=0
    [ "$rn" = "$rw" ] || { echo "# exit status: native $rn, fsimage.exe $rw"; ok=1; }
    if [ "$rn" = 0 ]; then
        cmp "$tmp/n.iso" "$tmp/w.iso" || ok=1
    else
        [ ! -e "$tmp/n.iso" ] || { echo "# native left an output file"; ok=1; }
    fi
    diff "$tmp/n.map" "$tmp/w.map" >/dev/null || { echo "# --map differs:"; diff "$tmp/n.map" "$tmp/w.map" | head -5; ok=1; }
    diff "$tmp/n.err2" "$tmp/w.err2" || ok=1
    return $ok
}

echo "# images"
step same -q {tree}
step same {tree}
step same -l 1 -f iso -V "level one" {tree}
step same -l 3 {tree}
step same -f udf {tree}
step same -f udf -u 201 -V "UDF 2.01 disc" {tree}
step same -f iso,joliet,udf -u 250 {tree}
step same -f iso9660+joliet+udf -u 0x260 --no-mirror -b {tree}
step same -q --boot {boot.bin},manufacturer=ACME {tree}
step same -q -f udf -u 250 --boot-array --boot {floppy.img} --boot {efi.img},platform=efi {tree}
echo "# failures"
step same {nope}
step same -s {tree}
step same -m 100 {tree}
step same -m 10 {tree}
step same -u 0x300 {tree}
step test "$(snapshot)" = "$before"      # the tools saw the same times

echo "# --append / --rewrite: the same first session, the same new session bytes"
# same_append BASE ARGS...: both programs append to a copy of $tmp/BASE; on failure both copies
# must be exactly BASE still
same_append() {
    local base=$tmp/$1 rn rw ok=0; shift
    local nargs=() wargs=() a
    for a in "$@"; do
        case $a in
            *{*}*) local rel=${a#*\{}; rel=${rel%%\}*}; local path=$tmp/$rel
                   nargs+=("${a/\{$rel\}/$path}"); wargs+=("${a/\{$rel\}/$(w "$path")}") ;;
            *) nargs+=("$a"); wargs+=("$a") ;;
        esac
    done
    cp "$base" "$tmp/na.iso"; cp "$base" "$tmp/wa.iso"
    "$native" --map "${nargs[@]}" "$tmp/na.iso" > "$tmp/n.map" 2> "$tmp/n.err"; rn=$?
    wine "$exe" --map "${wargs[@]}" "$(w "$tmp/wa.iso")" > "$tmp/w.map" 2> "$tmp/w.err"; rw=$?
    unwine "$tmp/w.err" "$tmp/w.err2"
    [ "$rn" = "$rw" ] || { echo "# exit status: native $rn, fsimage.exe $rw"; ok=1; }
    cmp "$tmp/na.iso" "$tmp/wa.iso" || ok=1
    [ "$rn" = 0 ] || cmp -s "$tmp/na.iso" "$base" || { echo "# a failed append changed the image"; ok=1; }
    diff "$tmp/n.map" "$tmp/w.map" >/dev/null || { echo "# --map differs:"; diff "$tmp/n.map" "$tmp/w.map" | head -5; ok=1; }
    grep -v '^fsimage: warning:' "$tmp/n.err" > "$tmp/n.err2"
    diff "$tmp/n.err2" "$tmp/w.err2" || ok=1
    return $ok
}
t2=$tmp/tree2
mkdir -p "$t2/deep/level1" "$t2/new folder"
printf 'replaced in session 2\n' > "$t2/README.TXT"
printf 'added\n' > "$t2/deep/level1/added.txt"
head -c 1572869 /dev/urandom > "$t2/new folder/big.bin"      # copied on its own (1.5 MiB + 5)
touch -a -d '+1 hour' "$t2" "$t2"/* "$t2"/*/* "$t2/deep/level1/added.txt"
"$native" -q "$t" "$tmp/first.iso"
"$native" -q -f iso,joliet,udf -u 250 "$t" "$tmp/bridge.iso"
"$native" -q -f udf -u 201 "$t" "$tmp/udf.iso"
for b in first.iso bridge.iso udf.iso; do
    step same_append "$b" -q --append {tree2}
    step same_append "$b" --rewrite {tree2}
done
step same_append bridge.iso --append --import iso9660 -V "second session" {tree2}
step same_append first.iso --append -l 1 {tree2}
cp "$tmp/na.iso" "$tmp/second.iso"
step same_append second.iso --append {tree}                     # a third session
echo "# --append failures"
: > "$tmp/empty.iso"; head -c 1048576 /dev/urandom > "$tmp/noise.iso"
step same_append empty.iso --append {tree2}
step same_append noise.iso --append {tree2}
step same_append first.iso --append --import udf {tree2}
step same_append first.iso --append -f iso,joliet,udf {tree2}
step same_append bridge.iso --append -u 260 {tree2}
step same_append first.iso --append --boot {boot.bin} {tree2}
step same_append first.iso --append {nope}
step test "$(snapshot)" = "$before"

echo "# native --append / --rewrite images read back (xorriso, isoinfo, 7z) and a failed write undone"
r=$tmp/readers; mkdir -p "$r/s1/d" "$r/s2/d"
printf 'one\n' > "$r/s1/a.txt"; printf 'old\n' > "$r/s1/d/same.txt"; head -c 2000001 /dev/urandom > "$r/s1/d/big1.bin"
printf 'two\n' > "$r/s2/b.txt"; printf 'new\n' > "$r/s2/d/same.txt"; head -c 3000003 /dev/urandom > "$r/s2/d/big2.bin"
mkdir -p "$r/union"; cp -r "$r/s1/." "$r/union/"; cp -r "$r/s2/." "$r/union/"
"$native" -q -f iso,joliet,udf "$r/s1" "$r/seq.iso"; cp "$r/seq.iso" "$r/rw.iso"; cp "$r/seq.iso" "$r/full.iso"
nwa=$(( $(stat -c %s "$r/seq.iso") / 2048 ))
step "$native" -q --append "$r/s2" "$r/seq.iso"
step "$native" -q --rewrite "$r/s2" "$r/rw.iso"
extract_same() {  # DIR: what a reader extracted equals the union of both sessions
    diff -r "$1" "$r/union" >/dev/null || { echo "# $1 differs from the union"; return 1; }
}
step xorriso -abort_on FAILURE -indev "$r/seq.iso" -load sbsector "$nwa" -osirrox on -extract / "$r/x1" >/dev/null 2>&1
step extract_same "$r/x1"
step bash -c "isoinfo -i '$r/seq.iso' -T $nwa -J -x '/d/big2.bin;1' | cmp - '$r/s2/d/big2.bin'"
step bash -c "isoinfo -i '$r/seq.iso' -T $nwa -J -x '/d/big1.bin;1' | cmp - '$r/s1/d/big1.bin'"
step bash -c "isoinfo -i '$r/seq.iso' -T $nwa -J -x '/d/same.txt;1' | cmp - '$r/s2/d/same.txt'"
step 7z x -y -o"$r/x2" "$r/rw.iso" >/dev/null
step extract_same "$r/x2"
step xorriso -abort_on FAILURE -indev "$r/rw.iso" -osirrox on -extract / "$r/x3" >/dev/null 2>&1
step extract_same "$r/x3"
# the output may not grow past its old size: the new session cannot be written, the image stays
size=$(stat -c %s "$r/full.iso"); cp "$r/full.iso" "$r/full0.iso"
for mode in --append --rewrite; do
    out=$( (trap '' XFSZ; ulimit -f $(( size / 1024 + 64 )); exec "$native" -q $mode "$r/s2" "$r/full.iso") 2>&1)
    step test $? = 1
    step grep -q "writing the output" <<<"$out"
    step cmp "$r/full.iso" "$r/full0.iso"
done

echo "# a name with '\\': the DLL refuses the tree, native fsimage leaves the file out"
mkdir -p "$tmp/bs"; : > "$tmp/bs/back\\slash"; printf 'x\n' > "$tmp/bs/plain.txt"
out=$(wine "$exe" -q "$(w "$tmp/bs")" "$(w "$tmp/bs.iso")" 2>&1)
step test $? = 1
step grep -q "AddTree: 0xC0AAB110" <<<"$out"
out=$("$native" -q "$tmp/bs" "$tmp/bs.iso" 2>&1)
step test $? = 0
step test -z "$out"
out=$("$native" "$tmp/bs" "$tmp/bs.iso" 2>&1)
step grep -q "warning: left out $tmp/bs/back\\\\slash: the name is not valid in the image" <<<"$out"
step grep -q "1 files, 1 directories" <<<"$out"
finish
