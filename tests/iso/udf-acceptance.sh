#!/bin/bash
# udf-acceptance.sh [options] MAKER...: the acceptance of UDF (issue 4). Images of one prepared
# tree for every UDF revision (1.02, 1.50, 2.00, 2.01, 2.50, 2.60), UDF alone (file systems 4)
# and bridged with ISO 9660 + Joliet (7, ISO 9660 level 3), each judged by
#  - check-udf.sh: 7z t -tudf; 7z x -tudf (names and bytes equal to the source); udfinfo
#    (revision, file and folder counts, integrity closed, free space, size); udfdump -t -b 2048
#    (no complaint, every file in its tree dump); udfclient -b 2048 ls and get (bytes equal);
#  - udfstreams.py: every named stream's name, size and SHA-256 (2.00 and later; none below);
#  - check-image.sh --fs iso,joliet (bridges): the ISO 9660 and Joliet trees, every file's bytes
#    (pycdlib's known UDF 2.00+ limits tolerated: udf-lib.sh).
# Each image is deleted once judged.
#
# The tree: make-tree.sh (10 levels of folders, spaces, accents, CJK and U+1F600 names, case-only
# pairs, long names, empty files and folders, sizes around 2048, links) plus --files small files
# (default 20,000: a tenth in one folder, the rest in folders 3 levels down; every tenth name CJK,
# every tenth with U+1F600, every fiftieth file empty), and in the images chosen by --sparse a
# 5 GiB sparse file big/sparse.bin (5 GiB + 12,345 bytes; data at its start, across the first
# 2^30 - 2048 extent boundary, across 4 GiB and at its end). Named streams (given to the maker):
# on files at the root, in CJK and U+1F600 folders, 10 levels down, on an empty file, among the
# small files (one with 120 streams: a stream directory of several blocks), with CJK, U+1F600,
# 254-character and empty names, of 0 bytes to 1 MiB + 3, and one on the 5 GiB file.
#
# Options:
#   --sparse all|none|LIST  which images hold the 5 GiB sparse file: all (default: the full run),
#                           none, or a comma list of FS:REV (e.g. 4:0x260,7:0x102)
#   --files N               the number of small files (default 20000)
#   --work DIR              the images and the makers' logs, kept (default: a new folder in
#                           /var/tmp, removed at the end); not under /dev (xorriso refuses image
#                           paths there)
#   --scratch DIR           the tree and the readers' extractions (default: /dev/shm when it has
#                           room: creating 20,000 files there takes 0.5 s, on this disk 5-15 s)
# MAKER... is run as   MAKER... SRC LIST VOLUME FS REV LEVEL OUT [FS REV LEVEL OUT]...
#   With one image object it adds the tree SRC and the named streams of LIST (UTF-8 lines
#   'file/in/image<TAB>stream name<TAB>/path/of/its/data'), then for each (FS, REV, LEVEL, OUT)
#   selects them and writes the result image to OUT (sparse). It prints 'image N: ...' when the
#   Nth image (from 1) is complete. tests/com/udf-acceptance.test.sh has the one that drives the
#   DLL (AddTreeWithNamedStreams, AddStream, CreateResultImage).
#
# Prints 'ok - ...' / 'not ok - ...' per image and check, a table of times, and last
# 'N passed, N failed'. Exit 77 (skipped) when a reader is missing.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
export LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1709214330}

usage() { sed -n '2,40p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
sparse=all nfiles=20000 work= scratch=
while [ $# -gt 0 ]; do
  case $1 in
    --sparse) sparse=${2:?--sparse needs a value}; shift 2 ;;
    --files) nfiles=${2:?--files needs a number}; shift 2 ;;
    --work) work=${2:?--work needs a folder}; shift 2 ;;
    --scratch) scratch=${2:?--scratch needs a folder}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) echo "udf-acceptance.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
maker=("$@")
for t in 7z udfinfo udfdump udfclient isoinfo isovfy xorriso iso-info fls bsdtar timeout $PY; do
  command -v "$t" >/dev/null || { echo "skipped: $t is not installed (see shared/reference/validators.md)"; exit 77; }
done
$PY -c 'import pycdlib' 2>/dev/null || { echo "skipped: pycdlib is missing for $PY"; exit 77; }

GiB=$((1 << 30))
SPARSE_SIZE=$((5 * GiB + 12345))
revs=(0x102 0x150 0x200 0x201 0x250 0x260)
# has_sparse FS REV: the image of that combination holds the sparse file
has_sparse() {
  case $sparse in all) return 0 ;; none) return 1 ;; esac
  case ,$sparse, in *,$1:$2,*) return 0 ;; esac
  return 1
}
# since T0: seconds since $EPOCHREALTIME was T0, one decimal
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }'; }
# room DIR BYTES: DIR can take BYTES more (for a tmpfs, memory must hold them too)
room() {
  [ -d "$1" ] && [ -w "$1" ] || return 1
  local avail mem
  avail=$(df -B1 --output=avail "$1" 2>/dev/null | tail -n 1)
  [ -n "$avail" ] && [ "$avail" -gt "$2" ] || return 1
  if [ "$(stat -f -c %T "$1")" = tmpfs ]; then
    mem=$(awk '/^MemAvailable:/ { printf "%.0f\n", $2 * 1024 }' /proc/meminfo)
    [ "$mem" -gt $(($2 + 2 * GiB)) ] || return 1
  fi
}

nsparse=0
for rev in "${revs[@]}"; do for fs in 4 7; do has_sparse $fs $rev && nsparse=$((nsparse + 1)); done; done
own_work=
[ -n "$work" ] || { work=$(mktemp -d /var/tmp/udf-acceptance.XXXXXX) && own_work=$work; } || exit 2
mkdir -p "$work" && work=$(realpath "$work")
case $work in /dev/*) echo "udf-acceptance.sh: --work under /dev: xorriso refuses image paths there" >&2; exit 2 ;; esac
if [ -z "$scratch" ]; then
  if room /dev/shm $((2 * GiB)); then scratch=/dev/shm; else scratch=$work; fi
fi
scratch=$(mktemp -d "$scratch/udf-acceptance.XXXXXX") || exit 2
trap 'chmod -R u+rwX "$scratch" 2>/dev/null; rm -rf "$scratch" ${own_work:+"$own_work"}; [ -z "${maker_pid:-}" ] || kill "$maker_pid" 2>/dev/null' EXIT
if [ $nsparse -gt 0 ] && ! room "$work" $((2 * GiB)); then
  echo "not ok - $work has no room for the sparse images' real blocks"; echo "0 passed, 1 failed"; exit 1
fi
echo "# work $work, scratch $scratch ($(stat -f -c %T "$scratch")); $(df -h --output=avail "$work" | tail -n 1 | tr -d ' ') free in $work"

# --- the tree, the streams and what udfstreams.py must find -------------------------------------
t0=$EPOCHREALTIME
tree=$scratch/tree
bash "$here/make-tree.sh" "$tree" >/dev/null || { echo "not ok - make-tree.sh failed"; echo "0 passed, 1 failed"; exit 1; }
$PY - "$tree" "$scratch" "$nfiles" "$SPARSE_SIZE" "$nsparse" <<'EOF'
import hashlib, os, random, sys
tree, scratch, nfiles, sparse_size, nsparse = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
stamp = 1704164645                               # make-tree.sh's 2024-01-02 03:04:05 UTC

def content(seed, size):
    return random.Random(seed).getrandbits(8 * size).to_bytes(size, 'little') if size else b''

# the small files: a tenth in many/flat, the rest in many/gNN/sN/ (100 per folder)
nflat = nfiles // 10
for k in range(nfiles):
    if k < nflat:
        d = os.path.join(tree, 'many', 'flat')
    else:
        j = k - nflat
        d = os.path.join(tree, 'many', 'g%02d' % (j // 1000), 's%d' % (j // 100 % 10))
    if k % 10 == 3:
        name = '文件 %05d.txt' % k
    elif k % 10 == 7:
        name = '😀 %05d.bin' % k
    else:
        name = 'f%05d.dat' % k
    size = 0 if k % 50 == 0 else (k * 37) % 4100 + 1
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(content('many-%d' % k, size))
    os.utime(os.path.join(d, name), (stamp, stamp))

# named streams: (file in the image, stream name, bytes)
streams = [
    ('README.TXT', 's1', b'stream one data\n'),
    ('README.TXT', 'Zone.Identifier', b'[ZoneTransfer]\r\nZoneId=3\r\n'),
    ('README.TXT', '中文流', content('cjk', 3000)),
    ('README.TXT', 'smile 😀', content('smile', 100)),
    ('README.TXT', 'empty', b''),
    ('README.TXT', 'L' * 254, content('long', 7)),            # 255 CS0 bytes: the longest
    ('empties/empty1', 'on an empty file', content('on-empty', 50)),
    ('sizes/size1048579.bin', 'big', content('big', 1048579)),
    ('sizes/size2048.bin', 'exact', content('exact', 2048)),
    ('sizes/size2048.bin', 'one more', content('one-more', 2049)),
    ('中文/文件.txt', '流', content('liu', 20)),
    ('emoji/smile 😀.txt', '😀', content('emoji', 10)),
    ('accents/répertoire élevé/naïve.txt', 'é', content('accent', 2047)),
    ('deep/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/at10.txt', 'deep',
     content('deep', 300)),
]
if nfiles > 1:
    first = sorted(os.listdir(os.path.join(tree, 'many', 'flat')))[1]
    streams += [('many/flat/' + first, 'n%03d' % i, content('n%d' % i, i * 17)) for i in range(120)]
sdir = os.path.join(scratch, 'streams')
os.makedirs(sdir)

def write_lists(suffix, items):
    with open(os.path.join(scratch, 'streams%s.list' % suffix), 'w', encoding='utf-8') as lst:
        want = []
        for i, (path, name, data) in enumerate(items):
            src = os.path.join(sdir, 's%d%s' % (i, suffix))
            with open(src, 'wb') as f:
                f.write(data)
            lst.write('%s\t%s\t%s\n' % (path, name, src))
            want.append('stream /%s:%s %d %s' % (path, name, len(data), hashlib.sha256(data).hexdigest()))
    with open(os.path.join(scratch, 'streams%s.want' % suffix), 'w', encoding='utf-8') as f:
        f.write(''.join(l + '\n' for l in sorted(want)))

write_lists('', streams)
if nsparse:
    # the tree with the 5 GiB sparse file: hard links to the same small files
    big = os.path.join(scratch, 'tree-big')
    os.system('cp -al "%s" "%s"' % (tree, big))
    os.makedirs(os.path.join(big, 'big'))
    p = os.path.join(big, 'big', 'sparse.bin')
    with open(p, 'wb') as f:
        f.truncate(sparse_size)
        for off, data in ((0, b'start'), ((1 << 30) - 2048 - 32, content('extent', 64)),
                          ((1 << 32) - 16, b'across the 4 GiB boundary'), (sparse_size - 3, b'end')):
            f.seek(off)
            f.write(data)
    os.utime(p, (stamp, stamp))
    os.utime(os.path.join(big, 'big'), (stamp, stamp))
    write_lists('-big', streams + [('big/sparse.bin', 'after 5 GiB', content('after', 5000))])
EOF
[ $? = 0 ] || { echo "not ok - the tree or the streams could not be made"; echo "0 passed, 1 failed"; exit 1; }
echo "# tree: $(find "$tree" -type f | wc -l) files (links not followed), $(wc -l <"$scratch/streams.list") named streams$( [ $nsparse -gt 0 ] && echo "; $nsparse image(s) with the 5 GiB sparse file") ($(since "$t0") s)"

# --- the images: one maker run per tree, in the background; each image judged once written ---------
names=() fss=() revs_of=() srcs=() logs=() idx=() imgs=()
args_small=() args_big=()
for rev in "${revs[@]}"; do
  for fs in 4 7; do
    if has_sparse $fs $rev; then set=big; else set=small; fi
    if [ $set = big ]; then args_big+=($fs $rev 3 "$work/$fs-$rev.img"); n=$((${#args_big[@]} / 4))
    else args_small+=($fs $rev 3 "$work/$fs-$rev.img"); n=$((${#args_small[@]} / 4)); fi
    names+=("UDF $rev $([ $fs = 4 ] && echo alone || echo '+ ISO 9660 + Joliet')$([ $set = big ] && echo ' (5 GiB file)')")
    fss+=($fs) revs_of+=($rev) idx+=($n) logs+=("$work/maker-$set.log") imgs+=("$work/$fs-$rev.img")
    srcs+=("$([ $set = big ] && echo "$scratch/tree-big" || echo "$tree")")
  done
done
(
  if [ ${#args_small[@]} -gt 0 ]; then
    "${maker[@]}" "$tree" "$scratch/streams.list" "UDF ACCEPTANCE" "${args_small[@]}" >"$work/maker-small.log" 2>&1
    echo "exit $?" >>"$work/maker-small.log"
  fi
  if [ ${#args_big[@]} -gt 0 ]; then
    "${maker[@]}" "$scratch/tree-big" "$scratch/streams-big.list" "UDF ACCEPTANCE" "${args_big[@]}" >"$work/maker-big.log" 2>&1
    echo "exit $?" >>"$work/maker-big.log"
  fi
) &
maker_pid=$!

source "$here/../lib.sh"        # ok, bad, finish
ok_lines=1
source "$here/udf-lib.sh"
# timed NAME CMD...: run CMD, its output to $out.NAME, exit status and seconds to .rc / .s
timed() {
  local n=$1 s=$EPOCHREALTIME; shift
  "$@" >"$out.$n" 2>&1; echo $? >"$out.$n.rc"
  since "$s" >"$out.$n.s"
}
streams_check() {
  local got
  got=$($PY "$here/udfstreams.py" "$img")
  if [ "$got" = "$(cat "$want")" ]; then
    echo "$(grep -c '^stream' <<<"$got") streams, names, sizes and SHA-256 as added"
  else
    echo "not ok - udfstreams.py"
    grep '^error:' <<<"$got" | sed 's/^/#   /'
    diff <(cat "$want") <(echo "$got") | head -n 20 | sed 's/^/#   /'
    return 1
  fi
}
times=()
# order: the small tree's images first (as the maker writes them), then the big tree's
order=()
for i in "${!names[@]}"; do [[ ${logs[$i]} == *small.log ]] && order+=($i); done
for i in "${!names[@]}"; do [[ ${logs[$i]} == *big.log ]] && order+=($i); done
for i in "${order[@]}"; do
  name=${names[$i]} fs=${fss[$i]} rev=${revs_of[$i]} img=${imgs[$i]} log=${logs[$i]} src=${srcs[$i]}
  # wait for the maker to finish this image (or to stop)
  until grep -q "^image ${idx[$i]}:" "$log" 2>/dev/null || grep -q '^exit ' "$log" 2>/dev/null; do sleep 0.2; done
  line=$(grep "^image ${idx[$i]}:" "$log" | tr -d '\r')
  if [ -z "$line" ]; then
    bad "$name: the maker failed"; sed 's/^/#   /' "$log" | tail -n 20; continue
  fi
  ok "$name: made (${line#*: })"
  big=0; [[ $name == *'5 GiB'* ]] && big=1
  # the readers' extractions: in the scratch folder when it can hold two copies of the image
  tmp=$scratch
  room "$scratch" $(( 2 * $(stat -c %s "$img") + GiB )) || tmp=$work
  out=$work/out-$fs-$rev
  if [ -s "$scratch/streams$([ $big = 1 ] && echo -big).want" ] && [ $((rev)) -ge $((0x200)) ]; then
    want=$scratch/streams$([ $big = 1 ] && echo -big).want
  else
    want=/dev/null                              # below 2.00: no stream is written
  fi
  checks=(udf streams)
  [ $fs = 7 ] && checks+=(iso)
  pids=()
  for j in "${checks[@]}"; do
    case $j in
      udf) TMPDIR=$tmp timed udf bash "$here/check-udf.sh" --rev "$rev" "$img" "$src" & ;;
      streams) timed streams streams_check & ;;
      iso) TMPDIR=$tmp timed iso bash "$here/check-image.sh" --fs iso,joliet "$img" "$src" & ;;
    esac
    pids+=($!)
    # a 5 GiB image's extractions (two copies per check script): one script at a time
    [ $big = 1 ] && wait $!
  done
  wait "${pids[@]}"
  verdict "$name: check-udf.sh" "$(cat "$out.udf.rc")" "$(cat "$out.udf")"
  verdict "$name: udfstreams.py" "$(cat "$out.streams.rc")" "$(cat "$out.streams")"
  [ $fs = 7 ] && verdict_iso "$name: check-image.sh" "$(cat "$out.iso.rc")" "$(cat "$out.iso")" "$rev"
  times+=("$(printf '%-44s %9s %6s %9s %7s %11s' "$name" "$(sed -E 's/^([0-9]+) blocks.*/\1/' <<<"${line#*: }")" \
    "$(sed -nE 's/.*, ([0-9.]+) s$/\1/p' <<<"$line")" "$(cat "$out.udf.s")" "$(cat "$out.streams.s")" \
    "$( [ $fs = 7 ] && cat "$out.iso.s" || echo -)")")
  rm -f "$img" "$out".*
done
wait "$maker_pid"
maker_pid=
if grep -h '^exit [1-9]' "$work"/maker-*.log >/dev/null; then bad "a maker exited with an error"; fi
echo "# times (s): image, blocks, made in, check-udf.sh, udfstreams.py, check-image.sh"
printf '# %s\n' "${times[@]}"
echo "# total $(since "$t0") s"
finish
