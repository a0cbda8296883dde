#!/usr/bin/env bash
# Native fsimage (src/cli) and what `cmake --install` puts in place (ctest: cli.fsimage):
#  - options: --help, a bad option and a missing value (exit 2);
#  - the prepared tree (tests/iso/make-tree.sh) twice with SOURCE_DATE_EPOCH: the same bytes, the
#    default volume name from that date; to a pipe (the cursor path) the same bytes as to a file
#    (files of 1 MiB and more copied by copy_file_range); the trees read back by isoinfo;
#  - failures with the DLL's HRESULT and text, exit 1, no output file left behind;
#  - the progress bar on a terminal (script), none when stderr is a file;
#  - cmake --install --prefix: fsimage, its man page, libfsi_engine.a and .so (only the header's
#    functions exported), engine.h, fsi-engine.pc; a program built with pkg-config against the
#    shared and the static library writes an image (skipped in sanitizer builds).
# Environment (from src/cli/CMakeLists.txt): FSI_SRC, FSI_BUILD, FSIMAGE, FSI_SANITIZE.
set -uo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C.UTF-8
pass=0 fail=0
step() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "not ok - $*"; fi; }
has() { grep -qF -- "$2" <<<"$1" || { echo "# expected: $2"; echo "# got: $1"; return 1; }; }
fsimage() { "$FSIMAGE" "$@"; }

echo "# options"
out=$(fsimage --help); step test $? = 0
for o in --fs --level --udf --no-mirror --volume --base --media-blocks --strict --boot --boot-array --map --quiet --help; do
    step has "$out" "$o"
done
out=$(fsimage --bogus a b 2>&1); step test $? = 2; step has "$out" "fsimage: unknown option '--bogus'"
out=$(fsimage a b -l 2>&1); step test $? = 2; step has "$out" "fsimage: option '-l' needs a value"
out=$(fsimage onlyone 2>&1); step test $? = 2; step has "$out" "usage: fsimage"
out=$(fsimage -f nfs a b 2>&1); step test $? = 2; step has "$out" "fsimage: bad file system list 'nfs'"

echo "# the prepared tree"
bash "$FSI_SRC/tests/iso/make-tree.sh" "$tmp/tree" >/dev/null
big=$(stat -c %s "$tmp/tree/sizes/size1048579.bin"); step test "$big" -ge 1048576   # the copy path
out=$(fsimage "$tmp/tree" "$tmp/a.iso" 2>&1); step test $? = 0
step has "$out" "adding $tmp/tree"
step has "$out" "61 files, 31 directories, 660 blocks"
step has "$out" "writing image: 100% (660 of 660 blocks)"
step has "$out" "fsimage: warning: left out $tmp/tree/links/dangling"
step test "$(fsimage -q "$tmp/tree" "$tmp/b.iso" 2>&1)" = ""
step cmp "$tmp/a.iso" "$tmp/b.iso"
fsimage -q "$tmp/tree" /dev/stdout | cat > "$tmp/pipe.iso"
step cmp "$tmp/a.iso" "$tmp/pipe.iso"
# 1700000000 is 2023-11-14 22:13:20 UTC: the generated volume name (PVD volume identifier)
step test "$(dd if="$tmp/a.iso" bs=1 skip=$((16 * 2048 + 40)) count=15 status=none)" = "20231114_221320"
if command -v isoinfo >/dev/null; then
    step has "$(isoinfo -J -f -i "$tmp/a.iso")" "/sizes/size1048579.bin"
    isoinfo -J -i "$tmp/a.iso" -x "/sizes/size1048579.bin;1" > "$tmp/x.bin"
    step cmp "$tmp/x.bin" "$tmp/tree/sizes/size1048579.bin"
fi
fsimage -q -f udf -u 250 "$tmp/tree" "$tmp/u.iso"; step test $? = 0
fsimage -q -f udf -u 250 "$tmp/tree" /dev/stdout | cmp - "$tmp/u.iso"; step test $? = 0
# --map: every block once, in order, from 0 to the last
fsimage -q --map -V MAP "$tmp/tree" "$tmp/m.iso" > "$tmp/map"
step awk 'BEGIN { n = 0 } $1 != n || $2 != $1 + $3 - 1 { bad = 1 } { n = $2 + 1 } END { exit bad || n != 660 }' "$tmp/map"
step has "$(cat "$tmp/map")" '\sizes\size1048579.bin'

echo "# failures: the DLL's codes and texts"
out=$(fsimage "$tmp/nope" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: AddTree: 0xC0AAB11A The directory '$tmp/nope' not found in FileSystemImage hierarchy."
out=$(fsimage -l 4 "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: ISO9660InterchangeLevel: 0xC0AAB101 The value specified for parameter 'newVal' is not valid."
out=$(fsimage -V 123456789012345678901234567890123 "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: VolumeName: 0xC0AAB104"
out=$(fsimage -u 300 "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: UDFRevision: 0xC0AAB101"
out=$(fsimage -m 100 "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: AddTree: 0xC0AAB120 Adding '$tmp/tree' would result in a result image having a size larger than the current configured limit."
out=$(fsimage -m 10 "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: FreeMediaBlocks: 0xC0AAB121"
out=$(fsimage -s "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: AddTree: 0xC0AAB131 ISO9660 is limited to 8 levels of directories."
out=$(fsimage -l 3 -f iso,joliet "$tmp/tree" "$tmp/no/such/dir.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: create output: $tmp/no/such/dir.iso: No such file or directory"
printf 'x' > "$tmp/one.bin"
out=$(fsimage --boot "$tmp/one.bin,emulation=1.44" "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: Emulation: 0xC0AAB14A The emulation type requested does not match the boot image size."
out=$(fsimage --boot "$tmp/one.bin,platform=7" "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: PlatformId: 0xC0AAB101"
: > "$tmp/empty.bin"
out=$(fsimage --boot "$tmp/empty.bin" "$tmp/tree" "$tmp/f.iso" 2>&1); step test $? = 1
step has "$out" "fsimage: BootImageOptions: 0xC0AAB148 The boot object could not be added to the image."
step test ! -e "$tmp/f.iso"
# files that change after they were added: the stream read fails naming the file, no output is
# left. --map to a pipe holds fsimage after the plan (the map is larger than the pipe) until the
# reader has changed the file. big.bin (over 1 MiB) starts on an even block whatever comes before it
# (a.bin, one block, or nothing): its pages line up with the output's. It is copied by
# copy_file_range into an image on the same file system ("kernel"), and through the buffer from page
# boundaries where the kernel refuses (EXDEV: an image in /dev/shm, "buffer"); small.bin always
# goes through the cursor.
mkdir -p "$tmp/ch"
/usr/bin/python3 -c '
import sys
for i in range(3000):
    open("%s/f%04d_%s.txt" % (sys.argv[1], i, "x" * 60), "w").write("y")' "$tmp/ch"
shm=$(mktemp -d /dev/shm/fsi-cli.XXXXXX 2>/dev/null) || shm=
[ -n "$shm" ] && trap 'rm -rf "$tmp" "$shm"' EXIT
cout() { if [ "$1" = buffer ]; then echo "$shm/c.iso"; else echo "$tmp/c.iso"; fi; }
changed() {   # changed MODE WHAT: run fsimage, change the file once the plan is made
    head -c 3000000 /dev/zero > "$tmp/ch/big.bin"; head -c 5000 /dev/zero > "$tmp/ch/small.bin"
    rm -f "$tmp/ch/a.bin"; [ "$1" = buffer ] && printf a > "$tmp/ch/a.bin"
    fsimage -q --map "$tmp/ch" "$(cout "$1")" 2> "$tmp/c.err" |
        { IFS= read -r l; eval "$2"; grep -F '\big.bin' > "$tmp/c.map"; }
    echo "${PIPESTATUS[0]}"
}
# the two paths are the ones meant: the kernel copies big.bin, or refuses and the buffer does
if command -v strace >/dev/null && [ -n "$shm" ]; then
    head -c 3000000 /dev/zero > "$tmp/ch/big.bin"
    step bash -c "strace -f -e trace=copy_file_range '$FSIMAGE' -q '$tmp/ch' '$tmp/c.iso' 2>&1 | grep -q '= 3000000$'"
    step bash -c "strace -f -e trace=copy_file_range '$FSIMAGE' -q '$tmp/ch' '$shm/c.iso' 2>&1 | grep -q EXDEV"
fi
for mode in kernel ${shm:+buffer}; do
    step test "$(changed $mode true)" = 0
    step test "$(awk '{ print $1 % 2 ? "odd" : "even" }' "$tmp/c.map")" = even
    step cmp <(head -c 3000000 /dev/zero) <(dd if="$(cout $mode)" bs=2048 skip="$(awk '{ print $1 }' "$tmp/c.map")" count=1465 2>/dev/null | head -c 3000000)
    step test "$(changed $mode 'truncate -s 1000 "$tmp/ch/big.bin"')" = 1
    step has "$(cat "$tmp/c.err")" "fsimage: reading the image stream: 0xC0AAB128 Data stream supplied for file '\\big.bin' is inconsistent:  expected 3000000 bytes, found 1000."
    step test ! -e "$(cout $mode)"
    step test "$(changed $mode 'truncate -s 2500000 "$tmp/ch/big.bin"')" = 1
    step has "$(cat "$tmp/c.err")" "'\\big.bin' is inconsistent:  expected 3000000 bytes, found 2500000."
    step test "$(changed $mode 'printf z >> "$tmp/ch/big.bin"')" = 1
    step has "$(cat "$tmp/c.err")" "expected 3000000 bytes, found 3000001."
done
step test "$(changed kernel 'truncate -s 1000 "$tmp/ch/small.bin"')" = 1
step has "$(cat "$tmp/c.err")" "'\\small.bin' is inconsistent:  expected 5000 bytes, found 1000."
step test "$(changed kernel 'printf z >> "$tmp/ch/small.bin"')" = 1
step has "$(cat "$tmp/c.err")" "'\\small.bin' is inconsistent:  expected 5000 bytes, found 5001."
step test "$(changed kernel 'rm "$tmp/ch/small.bin"; mkfifo "$tmp/ch/small.bin"')" = 1
step has "$(cat "$tmp/c.err")" "0xC0AAB129 Cannot read data from stream supplied for file '\\small.bin'."
rm -f "$tmp/ch/small.bin"

echo "# progress"
if command -v script >/dev/null; then
    script -qec "'$FSIMAGE' '$tmp/tree' '$tmp/p.iso'" /dev/null > "$tmp/tty.out" 2>&1
    step has "$(cat "$tmp/tty.out")" "writing image: ["
    step cmp "$tmp/a.iso" "$tmp/p.iso"
fi
fsimage "$tmp/tree" "$tmp/p.iso" 2> "$tmp/notty.out"
step test "$(grep -c 'writing image: \[' "$tmp/notty.out")" = 0

echo "# cmake --install"
inst=$tmp/inst
cmake --install "$FSI_BUILD" --prefix "$inst" >/dev/null; step test $? = 0
libdir=$(dirname "$(find "$inst" -name libfsi_engine.a | head -1)")
for f in "$inst/bin/fsimage" "$inst/include/fsi/engine.h" "$inst/share/man/man1/fsimage.1" "$libdir/libfsi_engine.a" \
         "$libdir/libfsi_engine.so" "$libdir/pkgconfig/fsi-engine.pc"; do
    step test -e "$f"
done
step "$inst/bin/fsimage" -q "$tmp/tree" "$tmp/i.iso"
step cmp "$tmp/a.iso" "$tmp/i.iso"
step test -z "$(nm -D --defined-only "$libdir/libfsi_engine.so" | awk '$3 !~ /^fsi_/ && $2 != "A"')"
export PKG_CONFIG_PATH=$libdir/pkgconfig
step has "$(pkg-config --cflags --libs fsi-engine)" "-I$inst/include"
step has "$(pkg-config --modversion fsi-engine)" "0."
step sh -c "man -l '$inst/share/man/man1/fsimage.1' 2>&1 | grep -q 'SOURCE_DATE_EPOCH'"
if [ -z "${FSI_SANITIZE:-}" ]; then
    cat > "$tmp/prog.c" <<'EOF'
#include <fsi/engine.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    static const char text[] = "hello\n";
    static const uint16_t name[] = { 'h', 'i', '.', 't', 'x', 't' };
    fsi_image *img = fsi_image_new();
    fsi_source *src = fsi_source_new_memory(text, sizeof text - 1);
    fsi_node *n;
    fsi_plan *plan;
    fsi_plan_opts o = { .fs = FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF, .iso_level = 2, .udf_revision = 0x102 };
    fsi_err err;
    if (fsi_node_new_file(name, 6, sizeof text - 1, src, &n) || fsi_dir_attach(img, fsi_image_root(img), n, 0) ||
        fsi_plan_build(img, &o, &plan, &err))
        return 1;
    fsi_cursor *c = fsi_cursor_new(plan);
    size_t size = (size_t)fsi_plan_total_blocks(plan) * FSI_BLOCK_SIZE;
    char *buf = malloc(size);
    if (fsi_cursor_read(c, 0, buf, size, &err)) return 1;
    FILE *f = fopen(argv[1], "wb");
    fwrite(buf, 1, size, f);
    fclose(f);
    return 0;
}
EOF
    step cc -o "$tmp/prog-shared" "$tmp/prog.c" $(pkg-config --cflags --libs fsi-engine)
    LD_LIBRARY_PATH=$libdir step "$tmp/prog-shared" "$tmp/prog.iso"
    step has "$(isoinfo -J -f -i "$tmp/prog.iso" 2>&1)" "/hi.txt"
    step cc -o "$tmp/prog-static" "$tmp/prog.c" $(pkg-config --cflags fsi-engine) "$libdir/libfsi_engine.a"
    step "$tmp/prog-static" "$tmp/prog2.iso"
    step cmp "$tmp/prog.iso" "$tmp/prog2.iso"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
