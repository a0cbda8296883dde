#!/usr/bin/env bash
# fsimage.exe --map prints the result's progress items (first block, last block, count,
# description); judged here on the Linux side, independently of the DLL: the items follow each
# other from block 0 to the image's last block, every file with data of the source has one item
# whose blocks hold exactly its bytes (then zeros to the block's end), and the other items are
# metadata. For ISO 9660 + Joliet, UDF, and all three; for a small tree and /usr/include.
# Without -q, fsimage.exe's progress comes from the Update events; to a pipe it prints one line.
set -uo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish

# A small tree: sizes around block and megabyte boundaries, an empty file, a link to a file,
# a dangling link (left out), names outside ASCII, deep folders.
t=$tmp/tree
mkdir -p "$t/sub/deep/er" "$t/ünï"
printf 'a' > "$t/one"
head -c 2048 /dev/urandom > "$t/sub/exact"
head -c 2049 /dev/urandom > "$t/sub/odd"
head -c $((3 * 1048576 + 7)) /dev/urandom > "$t/sub/deep/er/big.bin"
head -c 100000 /dev/urandom > "$t/ünï/dätä €.bin"
: > "$t/empty"
ln -s sub/odd "$t/link-to-odd"
ln -s nowhere "$t/dangling"

check_map() {   # check_map MAP IMAGE SOURCE
    python3 - "$@" <<'EOF'
import os, sys
map_path, image_path, src = sys.argv[1:4]
image = open(image_path, 'rb').read()
total = len(image) // 2048
bad = 0
def no(msg):
    global bad
    bad += 1
    print('not ok -', msg)
items = []
for line in open(map_path, encoding='utf-8'):
    f, l, c, desc = line.rstrip('\n').split(None, 3)
    items.append((int(f), int(l), int(c), desc))
if not items:
    no('no progress items')
nxt = 0
for f, l, c, d in items:
    if f != nxt or c != l - f + 1 or c < 1:
        no(f'item {f}..{l} ({c}) "{d}" does not follow block {nxt - 1}')
    nxt = l + 1
if nxt != total:
    no(f'the items end at {nxt - 1}, the image at {total - 1}')
# Files with data, links followed, dangling links and loops left out (as AddTree does).
want = {}
def walk(path, rel, ancestors):
    for e in sorted(os.listdir(path)):
        p = os.path.join(path, e)
        if not os.path.exists(p):
            continue
        if os.path.isdir(p):
            real = os.path.realpath(p)
            if real not in ancestors:
                walk(p, rel + '\\' + e, ancestors | {real})
        elif os.path.getsize(p):
            want[rel + '\\' + e] = p
walk(src, '', {os.path.realpath(src)})
seen = set()
for f, l, c, d in items:
    if not d.startswith('\\'):
        continue                                    # metadata
    if d not in want:
        no(f'item "{d}" is no file of the source')
        continue
    if d in seen:
        no(f'two items for "{d}"')
    seen.add(d)
    data = open(want[d], 'rb').read()
    blocks = image[f * 2048:(l + 1) * 2048]
    if c != (len(data) + 2047) // 2048:
        no(f'"{d}": {c} blocks for {len(data)} bytes')
    elif blocks[:len(data)] != data or blocks[len(data):].strip(b'\0'):
        no(f'"{d}": blocks {f}..{l} do not hold the file')
for d in sorted(set(want) - seen):
    no(f'no item for "{d}"')
print(f'# {len(items)} items, {len(seen)} files, {total} blocks')
sys.exit(1 if bad else 0)
EOF
}

for src in "$t" /usr/include; do
    for fs in iso9660,joliet udf iso9660,joliet,udf; do
        name=$(basename "$src")-${fs//,/+}
        echo "# $src as $fs"
        if ! wine "$FSI_BUILD/tools/fsimage/fsimage.exe" -f "$fs" --map "$(w "$src")" "$(w "$tmp/$name.iso")" \
                >"$tmp/$name.map" 2>"$tmp/$name.err"; then
            if grep -q 'FileSystemsToCreate' "$tmp/$name.err"; then echo "# skipped: $(cat "$tmp/$name.err")"; continue; fi
            bad "fsimage.exe -f $fs --map $src: $(cat "$tmp/$name.err")"; continue
        fi
        step check_map "$tmp/$name.map" "$tmp/$name.iso" "$src"
        tr -d '\r' < "$tmp/$name.err" > "$tmp/$name.log"
        blocks=$(( $(stat -c %s "$tmp/$name.iso") / 2048 ))
        step grep -qxF "writing image: 100% ($blocks of $blocks blocks)" "$tmp/$name.log"
        step test "$(grep -c 'writing image' "$tmp/$name.log")" = 1
        [ "$src" = /usr/include ] && rm -f "$tmp/$name.iso"
    done
done
finish
