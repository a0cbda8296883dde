#!/bin/bash
# make-tree.sh DIR: build the prepared test tree for ISO 9660 + Joliet image checks.
#
# The tree is deterministic: the same DIR contents (names, sizes, bytes, links) every run.
# DIR must not exist or must be empty. Every entry below says what it tests.
#
# Counts when symlinks are followed and dangling links/loops are left out (what
# check-image.sh expects by default) are printed at the end.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
D=$1
if [ -e "$D" ] && [ -n "$(ls -A "$D" 2>/dev/null)" ]; then
  echo "$0: $D exists and is not empty" >&2
  exit 2
fi
mkdir -p "$D"
cd "$D"
export LC_ALL=C.UTF-8

# rand FILE SIZE SEED: SIZE bytes from a seeded generator (Python's Mersenne Twister), so the
# content is random-looking (no compressible runs, no shared blocks between files) yet the same
# on every machine.
rand() {
  /usr/bin/python3 -c '
import random, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = random.Random(seed)
with open(path, "wb") as f:
    f.write(r.getrandbits(8 * size).to_bytes(size, "little") if size else b"")
' "$1" "$2" "$3"
}

# --- plain text at the root: the simplest case, an 8.3-conformant name -----------------------
printf 'imapi2fs test tree\n' > README.TXT
# a name with no extension (ISO 9660 still needs the "." separator: "NOEXT.;1")
printf 'no extension\n' > noext
# several dots: only the last one may stay a separator in ISO 9660 names
printf 'dots\n' > archive.tar.gz.txt
# a leading dot (hidden on Unix): ISO 9660 has no such name, mapped to "_" or dropped dot
printf 'hidden\n' > .hidden

# --- nesting: 10 levels of folders --------------------------------------------------------
# ISO 9660 (levels 1-3) allows 8 levels of directories; deeper ones are relocated (RR_MOVED
# with Rock Ridge) or written anyway (xorriso). Joliet has no such limit. A file at each of
# levels 8, 9 and 10 shows where the limit bites.
p=deep
for i in 1 2 3 4 5 6 7 8 9 10; do
  p="$p/level$i"
  mkdir -p "$p"
  printf 'file at level %d\n' "$i" > "$p/at$i.txt"
done

# --- names with spaces: legal in Joliet, mapped to "_" in ISO 9660 d-characters --------------
mkdir -p "with spaces/inner dir"
printf 'spaces\n' > "with spaces/file with spaces.txt"
printf 'spaces inside\n' > "with spaces/inner dir/a b c.txt"
printf 'trailing\n' > "with spaces/trailing space .txt"

# --- accents: Latin-1 range, one UTF-16 unit each; UTF-8 NFC in the source -----------------
mkdir -p "accents"
printf 'e acute\n' > "accents/café.txt"
printf 'u umlaut\n' > "accents/über.txt"
mkdir -p "accents/répertoire élevé"
printf 'in accented dir\n' > "accents/répertoire élevé/naïve.txt"

# --- CJK: BMP characters outside Latin-1, 3 UTF-8 bytes, 1 UTF-16 unit each ----------------
mkdir -p "中文"
printf 'cjk\n' > "中文/文件.txt"
printf 'cjk 2\n' > "中文/日本語のファイル名.txt"

# --- a non-BMP character: U+1F600 is 4 UTF-8 bytes and 2 UTF-16 units (a surrogate pair);
#     Joliet is UCS-2 on paper, so a writer must store the pair and a reader decode it ------
mkdir -p "emoji"
printf 'grinning face\n' > "emoji/smile 😀.txt"
mkdir -p "emoji/dir 😀"
printf 'inside emoji dir\n' > "emoji/dir 😀/x.txt"

# --- case-only-different names: distinct in the source and in Joliet (which keeps case), but
#     both map to "A.H;1" in ISO 9660 and need disambiguation there ------------------------
mkdir -p case
printf 'lower\n' > case/a.h
printf 'upper\n' > case/A.h
printf 'lower name\n' > case/readme
printf 'upper name\n' > case/README

# --- 8.3 collisions: all map to "LONGFILE.TXT" at level 1; 12 of them so the writer's
#     disambiguation must go past one digit ---------------------------------------------------
mkdir -p collide
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  printf 'collision %d\n' "$i" > "collide/longfilename$i.txt"
done
# same base, different long extensions: extension truncation to 3 characters collides too
printf 'ext a\n' > collide/data.extension1
printf 'ext b\n' > collide/data.extension2

# --- long names ------------------------------------------------------------------------------
mkdir -p long
# exactly 64 characters: the Joliet limit, must be kept whole
n64=$(printf 'n%.0s' $(seq 1 60)).txt
printf '64\n' > "long/$n64"
# 65 characters: one over the Joliet limit (kept only with -joliet-long / 103 units)
n65=$(printf 'o%.0s' $(seq 1 61)).txt
printf '65\n' > "long/$n65"
# 100 characters: over Joliet's 64 and ISO level 2's 30/31; fits ISO level 4 (207)
n100=$(printf 'L%.0s' $(seq 1 96)).txt
printf '100\n' > "long/$n100"
# a long directory name (80 characters) with a file inside: truncation of directory names
d80=$(printf 'D%.0s' $(seq 1 80))
mkdir -p "long/$d80"
printf 'in long dir\n' > "long/$d80/f.txt"

# --- empty things -----------------------------------------------------------------------------
# empty files: a zero-length extent (location is often 0 or shared), still must be listed
mkdir -p empties
: > empties/empty1
: > empties/empty2.txt
# an empty directory: a directory record with only "." and ".."; no file anywhere below
mkdir -p emptydir
# an empty directory that is not a leaf of the source's file tree (sibling of a file)
mkdir -p empties/also-empty

# --- sizes around the 2048-byte logical block, random content (seeded) -----------------------
# 0: no extent; 1: one partial block; 2047/2048/2049: one block minus one / exactly one /
# one plus one byte (off-by-one in extent lengths and padding); 1 MiB + 3: many blocks and
# a 3-byte tail (catches truncated copies and short reads).
mkdir -p sizes
for s in 0 1 2047 2048 2049 1048579; do
  rand "sizes/size$s.bin" "$s" "imapi2fs-size-$s"
done
# two files with identical content: a writer may share one extent; both must read back
rand sizes/same-a.bin 4096 imapi2fs-same
rand sizes/same-b.bin 4096 imapi2fs-same

# --- symlinks (the image has no symlinks: IMAPI2FS follows them / there is no Rock Ridge) ------
mkdir -p links
# to a file: followed, appears as a regular file with the target's bytes
ln -s ../sizes/size2049.bin links/file-link.bin
# to a directory: followed, the whole directory appears again under the link's name
ln -s "../with spaces" links/dir-link
# dangling: no target, must be absent from the image
ln -s ../does-not-exist links/dangling
# a loop: loopdir/loop -> .. points at the tree's root, an ancestor of itself; following it
# would never end, so it must be absent from the image (like a dangling link)
mkdir -p loopdir
printf 'next to the loop\n' > loopdir/plain.txt
ln -s .. loopdir/loop

# --- fixed timestamps: makes images of the tree reproducible ------------------------------------
find . -exec touch -h -d '2024-01-02 03:04:05 UTC' {} +

# --- summary (links followed, dangling and loops left out) -------------------------------------
/usr/bin/python3 - "$PWD" <<'EOF'
import os, sys
root = sys.argv[1]
files = dirs = 0
def walk(path, ancestors):
    global files, dirs
    for e in sorted(os.listdir(path)):
        p = os.path.join(path, e)
        if not os.path.exists(p):
            continue
        if os.path.isdir(p):
            real = os.path.realpath(p)
            if real in ancestors:
                continue
            dirs += 1
            walk(p, ancestors | {real})
        else:
            files += 1
walk(root, {os.path.realpath(root)})
print(f"make-tree: {root}: {files} files, {dirs} directories (links followed)")
EOF
