#!/usr/bin/env bash
# tests/golden/golden.sh: the golden-hash matrix. It makes a fixed matrix of images, deterministically,
# and compares the SHA-256 of each with tests/golden/sha256.txt, so that a change meant to keep
# every image byte (a refactor: issue 17) shows any image it changed.
#
#   tests/golden/golden.sh              make the matrix, compare; exit 1 naming every image or map
#                                       that differs from the list, is not in it or was not made
#   tests/golden/golden.sh --record     make the matrix and rewrite tests/golden/sha256.txt
#   options: --native     native fsimage's images only (no Wine); the list's dll/ lines are skipped
#            --keep DIR   keep the images and maps (not the 5 GiB ones) in DIR/native and DIR/dll
#                         (emptied first); cd DIR && sha256sum -c --ignore-missing .../sha256.txt
#                         checks them
# It prints "changed: NAME", "new: NAME" or "not made: NAME" for each difference, then a count.
# The list has sha256sum's format, one line per image or map: native/NAME.iso, dll/NAME.iso,
# NAME.map. Run by CTest as "golden" in the win64 tree (tests/golden/golden.cmake; FSI_SRC,
# FSI_BUILD and the test Wine prefix from tests/com/CMakeLists.txt; ctest --test-dir build/win64
# -R golden); by hand it builds what it needs in build/native and build/win64 and uses
# tools/lib.sh's prefix (build/wineprefix). About 30-50 s on 2 shared cores, a third of it hashing
# the 5 GiB images; it works in /dev/shm when that has room (else $TMPDIR or /tmp), at most about
# 300 MB at a time.
#
# What it covers (native fsimage for all; the DLL, through fsimage.exe or golden_streams.exe under
# Wine, for the lines marked dll/; --map output as .map lines):
#  - every file-system mask (ISO 9660, Joliet, UDF alone and every mix) at level 2, UDF 1.02;
#  - ISO 9660 levels 1, 2, 3, alone, with Joliet and with UDF;
#  - every UDF revision (1.02, 1.50, 2.00, 2.01, 2.50, 2.60) alone and bridged with ISO 9660 +
#    Joliet, 2.50 and 2.60 also without the metadata mirror (--no-mirror);
#  - a volume name (-V, non-ASCII, cut per file system) and the source folder as base (-b);
#  - El Torito: one entry (x86, no emulation; with a manufacturer ID; ISO 9660 alone at level 1),
#    eight entries (floppy 1.2 and 1.44 MB, two EFI, hard disk emulation, PowerPC, Mac) on a UDF
#    2.01 bridge, UDF alone with one and with four entries (2.60); the DLL through
#    BootImageOptionsArray;
#  - sessions: --append (sequential) and --rewrite (random-write) of a second and a third folder
#    onto ISO 9660 + Joliet, UDF 1.02 and 2.50 bridges and UDF 2.01 and 2.60 alone; --import,
#    -V and -l in a new session;
#  - named streams (UDF 2.00+; recorded but not written below) on files with data, an empty one, a
#    dot-file and one in accented folders, a non-ASCII stream name, a real-time file (2.01+) and
#    two hidden ones: every UDF revision alone, bridges, 2.50 without mirror (golden_streams.exe:
#    AddTree, AddStream, IsRealTime, IsHidden);
#  - a 5 GiB sparse file (multi-extent) at level 3 with Joliet, in UDF 2.60 alone (native) and on a
#    level 3 UDF 2.01 bridge (DLL): each image piped to the hash, never stored.
# The tree (made here, not taken from elsewhere in the repo, so that only the writers can change a
# hash): 8.3 and extensionless names, several dots, a dot-file, spaces, ';' '[' '+' '=', case
# pairs, 8.3 and 31-character collisions (13, past one digit), 300 files in one folder whose names
# collide at level 1 (3-digit tails, directories over one block), 200 folders (path tables over a
# block), 64, 65, 100, 250-character names, long CJK and emoji names, NFC and NFD accents, CJK, a
# non-BMP character, a name that is not UTF-8, 10 levels of folders and a path over 255
# characters, empty files and folders, sizes around 2 KiB and 64 KiB, 1 MiB + 3 and 8 MiB + 5
# (aligned, copied by the kernel), two identical files, links to a file and a folder (followed), a
# FIFO (an empty file); every item its own modification time (with nanoseconds; one in 1950, one
# in 2040) and access time (fixed in 2100, so that reading the tree never moves it); contents from
# SHAKE-128, the same everywhere.
# SOURCE_DATE_EPOCH fixes the volume time and the default volume name.
#
# When an image change is intended: make the change, run tests/golden/golden.sh to see which images
# differ (only those the change should touch), then tests/golden/golden.sh --record, and commit
# tests/golden/sha256.txt with the change, saying why the bytes moved. A new matrix entry shows as
# "new" until recorded. To see how an image changed, --keep DIR at both commits and compare.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list=$here/sha256.txt
record= native_only= keep=
while [ $# -gt 0 ]; do
    case $1 in
        --record) record=1 ;;
        --native) native_only=1 ;;
        --keep) keep=$(realpath -m "$2"); shift ;;
        -h|--help) sed -n '2,/^# SPDX/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "golden.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
    esac
    shift
done
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C.UTF-8 TZ=UTC
started=$(date +%s%N)

# ---- the programs --------------------------------------------------------------------------------
FSI_SRC=${FSI_SRC:-$(cd "$here/../.." && pwd)}
native_dir=${FSI_NATIVE_BUILD:-$FSI_SRC/build/native}
if [ ! -f "$native_dir/build.ninja" ] && [ ! -f "$native_dir/Makefile" ]; then
    native_dir=${FSI_BUILD:-$FSI_SRC/build}/native-cli
    [ -f "$native_dir/build.ninja" ] || cmake -S "$FSI_SRC" -B "$native_dir" -G Ninja >/dev/null
fi
cmake --build "$native_dir" --target fsimage >/dev/null || { echo "golden.sh: cannot build native fsimage" >&2; exit 1; }
native=$native_dir/src/cli/fsimage
if [ -z "$native_only" ]; then
    if [ -z "${FSI_BUILD:-}" ]; then
        # by hand: the win64 build and tools/lib.sh's Wine prefix with the DLL registered
        source "$FSI_SRC/tools/lib.sh"; set +e
        FSI_BUILD=$FSI_SRC/build/win64
        build_win64 >/dev/null 2>&1 || { echo "golden.sh: the win64 build failed (source tools/lib.sh; build_win64)" >&2; exit 1; }
        wine_ready
    fi
    exe=$FSI_BUILD/tools/fsimage/fsimage.exe
    client=$FSI_BUILD/tests/com/golden_streams.exe
    for p in "$exe" "$client"; do [ -f "$p" ] || { echo "golden.sh: $p is not built" >&2; exit 1; }; done
fi

# The work folder: $TMPDIR if set, else /dev/shm when it has 2 GiB free (the images are written and
# deleted in batches of about 200 MB; ext4 with discard makes that several times slower), else /tmp.
tmpbase=${TMPDIR:-/tmp}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
   [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt 2097152 ] 2>/dev/null; then
    tmpbase=/dev/shm
fi
w=$(mktemp -d "$tmpbase/golden.XXXXXX")
trap 'rm -rf "$w"' EXIT
out=${keep:-$w/out}
rm -rf "$out/native" "$out/dll"; mkdir -p "$out/native" "$out/dll"
: > "$w/results"

# ---- the trees, boot images and stream data ------------------------------------------------------
/usr/bin/python3 - "$w" <<'EOF' || { echo "golden.sh: making the tree failed" >&2; exit 1; }
import hashlib, os, socket, sys
w = sys.argv[1]
def data(path, size, seed=None):
    """size bytes of SHAKE-128 of the seed (the path by default): the same on every machine"""
    with open(path, 'wb') as f:
        f.write(hashlib.shake_128((seed or os.path.relpath(path, w)).encode()).digest(size) if size else b'')
def text(path, s):
    with open(path, 'wb') as f:
        f.write(s if isinstance(s, bytes) else s.encode())
def mkdir(*parts):
    p = os.path.join(*parts)
    os.makedirs(p, exist_ok=True)
    return p

# the main tree
t = mkdir(w, 'tree', 'src')
text(f'{t}/README.TXT', 'golden tree\n')
text(f'{t}/noext', 'no extension\n')
text(f'{t}/archive.tar.gz.txt', 'several dots\n')
text(f'{t}/.hidden', 'a dot-file\n')
for n in ['semi;colon.txt', 'brackets [1].txt', 'plus+equals=.txt', "comma,and'quote.txt", '#hash&amp.txt']:
    text(f'{t}/{n}', n + '\n')
s = mkdir(t, 'with spaces', 'inner dir')
text(f'{t}/with spaces/file with spaces.txt', 'spaces\n')
text(f'{s}/a b c.txt', 'spaces inside\n')
text(f'{t}/with spaces/trailing space .txt', 'trailing\n')
c = mkdir(t, 'case')
for n in ['a.h', 'A.h', 'readme', 'README', 'Mixed.Txt', 'mixed.txt', 'MIXED.TXT']:
    text(f'{c}/{n}', n + '\n')
c = mkdir(t, 'collide')
for i in range(1, 14):
    text(f'{c}/longfilename{i}.txt', f'collision {i}\n')
text(f'{c}/data.extension1', 'ext a\n')
text(f'{c}/data.extension2', 'ext b\n')
for k in 'abc':                          # the same first 31 characters (level 2)
    text(f'{c}/abcdefghijklmnopqrstuvwxyz01234-{k}.text', k + '\n')
l = mkdir(t, 'long')
for ch, n in [('n', 60), ('o', 61), ('L', 96), ('x', 246)]:
    text(f'{l}/{ch * n}.txt', f'{n + 4}\n')
text(f'{l}/{"長" * 80}.txt', '80 CJK characters\n')
text(f'{l}/{"😀" * 62}.t', '62 non-BMP characters\n')
d = mkdir(l, 'D' * 80)
text(f'{d}/f.txt', 'in a long folder\n')
a = mkdir(t, 'accents', 'répertoire élevé')
text(f'{t}/accents/café.txt', 'NFC\n')
text(f'{t}/accents/cafe\u0301.txt', 'NFD\n')
text(f'{t}/accents/über.txt', 'u umlaut\n')
text(f'{t}/accents/Ωmega ß ø.txt', 'greek, sharp s\n')
text(f'{a}/naïve.txt', 'in an accented folder\n')
cj = mkdir(t, '中文')
text(f'{cj}/文件.txt', 'cjk\n')
text(f'{cj}/日本語のファイル名.txt', 'cjk 2\n')
e = mkdir(t, 'emoji', 'dir 😀')
text(f'{t}/emoji/smile 😀.txt', 'grinning face\n')
text(f'{e}/x.txt', 'in an emoji folder\n')
text(os.path.join(t.encode(), b'bad\xffname.txt'), 'not UTF-8\n')
p = t + '/deep'
for i in range(1, 11):
    p += f'/level{i}'
    os.makedirs(p)
    text(f'{p}/at{i}.txt', f'file at level {i}\n')
p = t + '/deep'
for i in range(8):
    p += '/' + chr(ord('a') + i) * 40
os.makedirs(p)
text(f'{p}/over 255.txt', 'a path over 255 characters\n')
m = mkdir(t, 'many')
for i in range(300):
    text(f'{m}/many files {i:03d}.txt', f'{i}\n')
m = mkdir(t, 'dirs')
for i in range(200):
    os.mkdir(f'{m}/dir{i:05d}')
text(f'{m}/dir00007/inside.txt', 'in the eighth folder\n')
sz = mkdir(t, 'sizes')
for n in [0, 1, 2047, 2048, 2049, 65535, 65536, 65537, 1048579, 8388613]:
    data(f'{sz}/size{n}.bin', n)
data(f'{sz}/same-a.bin', 4096, 'same')
data(f'{sz}/same-b.bin', 4096, 'same')
em = mkdir(t, 'empties', 'also-empty')
text(f'{t}/empties/empty1', '')
text(f'{t}/empties/empty2.txt', '')
mkdir(t, 'emptydir')
lk = mkdir(t, 'links')
os.symlink('../sizes/size2049.bin', f'{lk}/file-link.bin')
os.symlink('../with spaces', f'{lk}/dir-link')
os.mkfifo(mkdir(t, 'special') + '/fifo')

# the second and third sessions' folders
s2 = mkdir(w, 'tree', 's2')
text(f'{s2}/README.TXT', 'replaced in session 2\n')
text(f'{s2}/added.txt', 'added in session 2\n')
text(mkdir(s2, 'case') + '/a.h', 'replaced a.h\n')
text(mkdir(s2, 'accents') + '/café.txt', 'replaced café\n')
text(mkdir(s2, 'deep', 'level1') + '/added.txt', 'added deep\n')
data(mkdir(s2, 'new folder') + '/big.bin', 1572869)
s3 = mkdir(w, 'tree', 's3')
text(f'{s3}/third.txt', 'session 3\n')
text(mkdir(s3, 'new folder') + '/third é.txt', 'third, accented\n')
text(mkdir(s3, 'many') + '/many files 300.txt', '300\n')

# the 5 GiB sparse file (written in three places), a file before and after it
b = mkdir(w, 'tree', 'big')
with open(f'{b}/big.bin', 'wb') as f:
    f.truncate(5 << 30)
    for at, s in [(0, b'start'), ((4 << 30) - 16, b'across the 4 GiB boundary'), ((5 << 30) - 3, b'end')]:
        f.seek(at)
        f.write(s)
text(f'{b}/a small.txt', 'before\n')
text(f'{b}/z after.txt', 'after\n')

# boot images (not in the trees) and stream data
bo = mkdir(w, 'boot')
data(f'{bo}/boot.bin', 2048)
data(f'{bo}/boot4k.bin', 4096)
data(f'{bo}/efi.img', 65536)
data(f'{bo}/efibig.img', 70000)
for n, size in [('floppy12', 1228800), ('floppy144', 1474560), ('floppy288', 2949120)]:
    data(f'{bo}/{n}.img', size)
hd = bytearray(hashlib.shake_128(b'hd').digest(1 << 20))
hd[446:462] = bytes([0x80, 1, 1, 0, 0x0c, 254, 63, 1, 63, 0, 0, 0, 0xc1, 7, 0, 0])   # FAT32 LBA
hd[510:512] = b'\x55\xaa'
text(f'{bo}/hd.img', bytes(hd))
st = mkdir(w, 'streams')
text(f'{st}/s1', 'stream one data\n')
text(f'{st}/zone', '[ZoneTransfer]\r\nZoneId=3\r\n')
text(f'{st}/empty', '')
text(f'{st}/uni', 'a stream with a non-ASCII name\n')
data(f'{st}/big', 200000)

# times: item i (sorted paths of each tree) modified 2024-01-02 03:04:05 + i min + i * 1234567 ns,
# accessed 2100-01-01 + i s + i * 7654321 ns; two outliers
for tree in ['src', 's2', 's3', 'big']:
    root = os.path.join(w, 'tree', tree)
    paths = [root]
    for r, ds, fs in os.walk(root):
        paths += [os.path.join(r, n) for n in ds + fs]
    for i, p in enumerate(sorted(os.fsencode(x) for x in paths)):
        mt = (1704164645 + 60 * i) * 10**9 + i * 1234567 % 10**9
        at = (4102444800 + i) * 10**9 + i * 7654321 % 10**9
        os.utime(p, ns=(at, mt), follow_symlinks=False)
os.utime(f'{t}/noext', ns=(4102444800 * 10**9, -617933655 * 10**9 + 5))         # 1950-06-01
os.utime(f'{t}/archive.tar.gz.txt', ns=(4102444800 * 10**9, 2222222222 * 10**9))  # 2040-06-02
EOF

# ---- making and hashing --------------------------------------------------------------------------
cat > "$w/sha.py" <<'EOF'
# sha.py FILE...: "SHA-256  FILE" for each (one that is not there: "-"); sha.py -: stdin's
import fcntl, hashlib, os, sys
def digest(fd):
    h = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    while True:
        n = os.readv(fd, [buf])
        if not n:
            return h.hexdigest()
        h.update(view[:n])
if sys.argv[1:] == ['-']:
    try:
        fcntl.fcntl(0, 1031, 1 << 20)           # F_SETPIPE_SZ: fewer, larger reads
    except OSError:
        pass
    print(digest(0))
else:
    for p in sys.argv[1:]:
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            print('-', p, sep='  ')
            continue
        print(digest(fd), p, sep='  ')
        os.close(fd)
EOF
pending=()      # names made since the last hash, in matrix order
failures=()
wp() { local p; p=$(realpath -m "$1"); printf 'Z:%s' "${p//\//\\}"; }
hash_pending() {     # hash what was made, add it to the results, delete it unless --keep
    [ ${#pending[@]} -gt 0 ] || return 0
    (cd "$out" && /usr/bin/python3 "$w/sha.py" "${pending[@]}") >> "$w/results"
    [ -n "$keep" ] || (cd "$out" && rm -f "${pending[@]}")
    pending=()
}
failed() {   # NAME ERRFILE: a program failed; its image stays pending but is removed (hashed "-")
    failures+=("$1")
    rm -f "$out/$1.iso"
    echo "golden.sh: $1 was not made:" >&2
    sed 's/^/  /' "$2" | head -5 >&2
}
# expand ARGS: {X} is $w/X: natively in $nargs, as a Wine path in $wargs
expand() {
    nargs=() wargs=()
    local a rel
    for a in "$@"; do
        case $a in
            *{*}*) rel=${a#*\{}; rel=${rel%%\}*}
                   nargs+=("${a/\{$rel\}/$w/$rel}"); wargs+=("${a/\{$rel\}/$(wp "$w/$rel")}") ;;
            *) nargs+=("$a"); wargs+=("$a") ;;
        esac
    done
}
run_native() {   # NAME MAP ARGS... (OUT last)
    local name=$1 map=$2; shift 2
    pending+=("native/$name.iso")
    "$native" -q ${map:+--map} "$@" > "$w/map" 2> "$w/err" || { failed "native/$name" "$w/err"; return; }
    [ -z "$map" ] || { cp "$w/map" "$out/native/$name.map"; pending+=("native/$name.map"); }
}
# wine_run PROGRAM ARGS...: under Wine, stdout to $w/map, stderr to $w/err. A failure the program
# did not report itself (no "fsimage:" / "golden_streams:" line: Wine did not start it, seen once in
# CI by tests/com/multisession.test.sh) is tried once more; one it reports is not.
wine_run() {
    wine "$@" > "$w/map" 2> "$w/err" && return 0
    grep -q -E '^(fsimage|golden_streams):' "$w/err" && return 1
    echo "golden.sh: wine $(basename "$1") failed without a message; once more" >&2
    wine "$@" > "$w/map" 2> "$w/err"
}
run_dll() {      # NAME MAP ARGS... (OUT last)
    local name=$1 map=$2; shift 2
    pending+=("dll/$name.iso")
    wine_run "$exe" -q ${map:+--map} "$@" || { failed "dll/$name" "$w/err"; return; }
    [ -z "$map" ] || { cp "$w/map" "$out/dll/$name.map"; pending+=("dll/$name.map"); }
}
# img NAME WHO ARGS...: native fsimage (WHO n), fsimage.exe (w) or both (nw) with ARGS, the source
# included ({tree/src}); MAP=1 adds their --map
img() {
    local name=$1 who=$2; shift 2
    expand "$@"
    [[ $who != *n* ]] || run_native "$name" "${MAP:-}" "${nargs[@]}" "$out/native/$name.iso"
    [[ $who != *w* || -n $native_only ]] || run_dll "$name" "${MAP:-}" "${wargs[@]}" "$(wp "$out/dll/$name.iso")"
}
# session NAME WHO BASE ARGS...: a copy of the image BASE with ARGS (--append / --rewrite) on it
session() {
    local name=$1 who=$2 base=$3 k; shift 3
    expand "$@"
    for k in native dll; do
        [ $k = native ] && [[ $who != *n* ]] && continue
        [ $k = dll ] && { [[ $who != *w* ]] || [ -n "$native_only" ]; } && continue
        if ! cp "$out/$k/$base.iso" "$out/$k/$name.iso" 2> "$w/err"; then
            pending+=("$k/$name.iso"); failed "$k/$name" "$w/err"
        elif [ $k = native ]; then run_native "$name" "${MAP:-}" "${nargs[@]}" "$out/native/$name.iso"
        else run_dll "$name" "${MAP:-}" "${wargs[@]}" "$(wp "$out/dll/$name.iso")"; fi
    done
}
# sessions NAME WHO ARGS...: a first image with ARGS, then the second and third folders appended
# (sequential) and rewritten (random-write), each step hashed; MAP=1: maps of the new sessions
sessions() {
    local name=$1 who=$2 map=${MAP:-}; shift 2
    MAP= img sess-$name-1 $who -V FIRST "$@" $T
    MAP=$map session sess-$name-append2 $who sess-$name-1 --append {tree/s2}
    MAP=$map session sess-$name-append3 $who sess-$name-append2 --append {tree/s3}
    MAP=$map session sess-$name-rewrite2 $who sess-$name-1 --rewrite {tree/s2}
    MAP=$map session sess-$name-rewrite3 $who sess-$name-rewrite2 --rewrite {tree/s3}
}
# streams NAME ARGS...: golden_streams.exe (the DLL) with ARGS and the streams below; MAP=1: its map
stream_args=(--stream 'README.TXT' s1 {streams/s1} --stream 'README.TXT' Zone.Identifier {streams/zone}
             --stream 'README.TXT' empty {streams/empty} --stream 'sizes\size1048579.bin' bigstream {streams/big}
             --stream 'accents\répertoire élevé\naïve.txt' 'flux é 😀' {streams/uni}
             --stream 'empties\empty1' s1 {streams/s1} --stream '.hidden' Zone.Identifier {streams/zone}
             --realtime noext --hidden '.hidden' --hidden 'with spaces\file with spaces.txt')
streams() {
    local name=$1; shift
    [ -z "$native_only" ] || return 0
    expand "${stream_args[@]}" "$@" {tree/src}
    if wine_run "$client" ${MAP:+--map "$(wp "$out/dll/$name.map")"} "${wargs[@]}" "$(wp "$out/dll/$name.iso")"; then
        pending+=("dll/$name.iso")
        [ -z "${MAP:-}" ] || pending+=("dll/$name.map")
    else
        pending+=("dll/$name.iso"); failed "dll/$name" "$w/err"
    fi
}
# piped NAME CMD...: CMD writes an image to stdout; its hash, the image never stored
piped() {
    local name=$1 h; shift
    hash_pending
    h=$("$@" 2> "$w/err" | /usr/bin/python3 "$w/sha.py" -)
    [ "${PIPESTATUS[0]}" = 0 ] || { failed "$name" "$w/err"; h=-; }
    printf '%s  %s\n' "$h" "$name" >> "$w/results"
}

# ---- the matrix ----------------------------------------------------------------------------------
T={tree/src}
# every file-system mask (level 2, UDF 1.02)
img fs-iso n -f iso $T
img fs-joliet n -f joliet $T
MAP=1 img fs-iso+joliet nw -f iso,joliet $T
img fs-udf nw -f udf $T
img fs-iso+udf n -f iso,udf $T
img fs-joliet+udf n -f joliet,udf $T
img fs-iso+joliet+udf nw -f iso,joliet,udf $T
# ISO 9660 levels (2 above)
img level1-iso nw -f iso -l 1 $T
img level1-iso+joliet nw -l 1 $T
img level1-iso+joliet+udf n -f iso,joliet,udf -l 1 $T
img level3-iso n -f iso -l 3 $T
img level3-iso+joliet nw -l 3 $T
img level3-iso+udf201 n -f iso,udf -u 201 -l 3 $T
hash_pending
# UDF revisions, alone and bridged; 2.50 and 2.60 without the metadata mirror
for rev in 102 150 200 201 250 260; do
    who=n; case $rev in 150|250) who=nw ;; esac
    MAP=$([ $rev = 260 ] && echo 1) img udf$rev $who -f udf -u $rev $T
    who=n; case $rev in 200|260) who=nw ;; esac
    MAP=$([ $rev = 260 ] && echo 1) img bridge$rev $who -f iso,joliet,udf -u $rev $T
done
for rev in 250 260; do
    img udf$rev-nomirror $([ $rev = 260 ] && echo nw || echo n) -f udf -u $rev --no-mirror $T
    img bridge$rev-nomirror $([ $rev = 250 ] && echo nw || echo n) -f iso,joliet,udf -u $rev --no-mirror $T
done
hash_pending
# volume name and base folder
img volume nw -V 'Golden disc é 2024, long name 32' -f iso,joliet,udf -u 201 $T
img volume-udf n -V 'Golden disc é 2024, long name 32' -f udf -u 250 $T
img base nw -b -f iso,joliet,udf -u 201 $T
hash_pending
# El Torito
img boot-one nw --boot {boot/boot.bin} $T
img boot-one-acme n --boot {boot/boot.bin},manufacturer=ACME $T
img boot-iso-level1 n -f iso -l 1 --boot {boot/boot4k.bin} $T
MAP=1 img boot-many nw --boot-array -f iso,joliet,udf -u 201 --boot {boot/boot.bin},manufacturer=GOLDEN \
    --boot {boot/floppy144.img} --boot {boot/efi.img},platform=efi --boot {boot/efibig.img},platform=efi,manufacturer=EFI2 \
    --boot {boot/hd.img},emulation=hd --boot {boot/floppy12.img} --boot {boot/boot4k.bin},platform=ppc \
    --boot {boot/boot.bin},platform=mac $T
img boot-udf-one nw -f udf --boot {boot/boot.bin} $T
img boot-udf-many nw --boot-array -f udf -u 260 --boot {boot/boot.bin} --boot {boot/efi.img},platform=efi \
    --boot {boot/floppy288.img} --boot {boot/floppy144.img},platform=efi,emulation=none $T
hash_pending
# sessions: a first image, then a second and a third folder appended (sequential) or rewritten
# (random-write); each step hashed
sessions iso+joliet nw -f iso,joliet
session sess-iso+joliet-append2-level1 n sess-iso+joliet-1 --append -l 1 {tree/s2}
hash_pending
sessions bridge102 n -f iso,joliet,udf -u 102
session sess-bridge102-rewrite2-import-joliet n sess-bridge102-1 --rewrite --import joliet {tree/s2}
hash_pending
MAP=1 sessions bridge250 nw -f iso,joliet,udf -u 250
session sess-bridge250-append2-import-iso n sess-bridge250-1 --append --import iso9660 -V 'SECOND SESSION' {tree/s2}
hash_pending
sessions udf201 nw -f udf -u 201
hash_pending
sessions udf260 n -f udf -u 260
hash_pending
# named streams and a real-time file (the DLL only)
for rev in 102 150 200 201 250 260; do MAP=$([ $rev = 201 ] && echo 1) streams streams-udf$rev -f 4 -u $rev; done
streams streams-udf250-nomirror -f 4 -u 250 --no-mirror
streams streams-bridge200 -f 7 -u 200
MAP=1 streams streams-bridge260 -f 7 -u 260
streams streams-joliet+udf201 -f 6 -u 201
hash_pending
# a 5 GiB sparse file: multi-extent at level 3 and in UDF (extents of at most 1 GiB)
piped native/big-level3-iso+joliet.iso "$native" -q -l 3 "$w/tree/big" /dev/stdout
piped native/big-udf260.iso "$native" -q -f udf -u 260 "$w/tree/big" /dev/stdout
[ -n "$native_only" ] || piped dll/big-level3-bridge201.iso wine "$client" -f 7 -u 201 -l 3 "$(wp "$w/tree/big")" -
hash_pending

# ---- record or compare ---------------------------------------------------------------------------
made=$(wc -l < "$w/results")
# native fsimage and fsimage.exe are meant to write the same bytes (tests/com/native.test.sh): say
# where they do not (a note, not a failure: the list records what each writes)
declare -A mine
while read -r h n; do mine[$n]=$h; done < "$w/results"
disagree=0         # native fsimage and fsimage.exe must write the same bytes for the same options
for n in "${!mine[@]}"; do
    if [[ $n == native/* ]] && [ -n "${mine[dll/${n#native/}]:-}" ] && [ "${mine[$n]}" != "${mine[dll/${n#native/}]}" ]; then
        echo "not ok - $n and dll/${n#native/} differ: the front ends disagree"
        disagree=$((disagree + 1))
    fi
done
elapsed=$(( ($(date +%s%N) - started) / 1000000000 ))
if [ -n "$record" ]; then
    if [ ${#failures[@]} -gt 0 ] || [ -n "$native_only" ] || [ "$disagree" != 0 ]; then
        echo "golden.sh: not recorded: ${#failures[@]} images not made${native_only:+, --native makes part of the matrix}" >&2
        exit 1
    fi
    cp "$w/results" "$list"
    echo "golden.sh: recorded $made images and maps in ${list#$FSI_SRC/} (${elapsed} s)"
    exit 0
fi
[ -s "$list" ] || { echo "golden.sh: no list $list (golden.sh --record)"; exit 1; }
declare -A want got
while read -r h n; do want[$n]=$h; done < "$list"
bad=$disagree same=0
while read -r h n; do
    got[$n]=1
    if [ -z "${want[$n]:-}" ]; then echo "new: $n (not in the list)"; bad=$((bad + 1))
    elif [ "$h" = - ]; then echo "not made: $n"; bad=$((bad + 1))
    elif [ "$h" != "${want[$n]}" ]; then echo "changed: $n"; bad=$((bad + 1))
    else same=$((same + 1)); fi
done < "$w/results"
for n in "${!want[@]}"; do
    [ -z "${got[$n]:-}" ] || continue
    [ -n "$native_only" ] && [[ $n == dll/* ]] && continue
    echo "not made: $n (in the list)"; bad=$((bad + 1))
done
echo "golden.sh: $same of $((same + bad)) images and maps as recorded in ${list#$FSI_SRC/} (${elapsed} s)"
[ "$bad" = 0 ] || echo "golden.sh: $bad differ; if that change is meant, tests/golden/golden.sh --record and commit the list (see its header)"
echo "$same passed, $bad failed"
[ "$bad" = 0 ]
