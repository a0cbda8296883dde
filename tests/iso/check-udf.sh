#!/bin/bash
# check-udf.sh IMG SRCDIR [options]: judge the UDF file system of an image (UDF alone or bridged
# with ISO 9660 / Joliet) against the folder it was made from, with independent UDF readers.
#
# Options:
#   --rev REV           the UDF revision the image must have (0x102 ... 0x260): udfinfo's
#                       udfrev (minimum read revision: 2.50 for 2.60) and udfwriterev are checked
#   --follow-links      the source's symlinks are followed, dangling ones and loops (a link to
#                       one of its own ancestors) are absent from the image (default)
#   --no-follow-links   the source's symlinks are all absent from the image
#   --keep DIR          keep the readers' outputs and extractions in DIR
#   --multisession      the image's newest session was appended to an older one: its partition
#                       reaches down to the old data and holds the new descriptors, which
#                       udfinfo warns about ("Partition Space overlaps with other blocks")
#   --hidden REL        a file (path relative to SRCDIR) recorded hidden: udfdump and udfclient,
#                       which do not list hidden files, must not have it (repeatable)
#   -h, --help
#
# Prints one line per check, 'ok - <what>' or 'not ok - <what>', the readers' complaints as '#'
# lines under a failed check, and last 'N passed, N failed'. Exit status 1 if a check failed,
# 2 on a usage error or a missing reader.
#
# Readers (outputs in the work folder as NAME.out/.err/.rc), run in parallel, each under a timeout
# (CHECK_UDF_TIMEOUT seconds; default 60 + 1 per 4 MiB of image):
#   7z-t            7z t -tudf IMG                        must say "Everything is Ok", no warning
#   7z-x            7z x -tudf -y -oWORK/x-7z IMG         names and bytes equal to the source
#   udfinfo         udfinfo IMG                           closed integrity, read-only, counts,
#                                                         free space 0, size, revisions, no stderr
#   udfdump         udfdump -t -b 2048 IMG                no complaint, every file in its tree dump
#   udfclient-ls    printf 'ls\nquit\n' | udfclient -b 2048 IMG      one logical volume
#   udfclient-get   udfclient: lcd WORK/x-udfclient, get "VOLUME" vol  bytes as a multiset (it maps
#                                                         non-ASCII names to _#XXXX)
#   udfplace        udfplace.py --session auto IMG        ours: 2.50+, the main and reserve VDS and
#                                                         the metadata and mirror files at least a
#                                                         tenth of the volume (of the newest
#                                                         session) apart in ECC blocks, as the
#                                                         Philips verifier wants
# udfclient refuses images under 300 blocks ("Disc size too small"): such an image fails here.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3

usage() { sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

rev= follow=--follow-links keep= multi=
pos=() hidden=()
while [ $# -gt 0 ]; do
  case $1 in
    --rev) rev=${2:?--rev needs a value}; shift 2 ;;
    --rev=*) rev=${1#*=}; shift ;;
    --follow-links) follow=--follow-links; shift ;;
    --no-follow-links) follow=--no-follow-links; shift ;;
    --keep) keep=${2:?--keep needs a folder}; shift 2 ;;
    --keep=*) keep=${1#*=}; shift ;;
    --hidden) hidden+=(--hidden "${2:?--hidden needs a path}"); shift 2 ;;
    --multisession) multi=--multisession; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; pos+=("$@"); break ;;
    -*) echo "check-udf.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) pos+=("$1"); shift ;;
  esac
done
if [ ${#pos[@]} -ne 2 ]; then usage >&2; exit 2; fi
img=${pos[0]} src=${pos[1]}
if [ ! -f "$img" ]; then echo "check-udf.sh: no image file $img" >&2; exit 2; fi
if [ ! -d "$src" ]; then echo "check-udf.sh: no source folder $src" >&2; exit 2; fi
case $rev in ''|0x102|0x150|0x200|0x201|0x250|0x260) ;;
  *) echo "check-udf.sh: --rev takes 0x102, 0x150, 0x200, 0x201, 0x250 or 0x260" >&2; exit 2 ;;
esac
for t in 7z udfinfo udfdump udfclient timeout $PY; do
  command -v $t >/dev/null || { echo "check-udf.sh: $t is not installed (apt-get install p7zip-full udftools udfclient)" >&2; exit 2; }
done

export LC_ALL=C.UTF-8
img=$(realpath "$img")
src=$(realpath "$src")
TOOL_TIMEOUT=${CHECK_UDF_TIMEOUT:-$(( 60 + $(stat -c %s "$img") / 4194304 ))}

if [ -n "$keep" ]; then
  mkdir -p "$keep" || exit 2
  work=$(realpath "$keep")
  rm -rf "$work/x-7z" "$work/x-udfclient" "$work"/*.out "$work"/*.err "$work"/*.rc
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/check-udf.XXXXXX") || exit 2
  trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
fi
mkdir -p "$work/x-7z" "$work/x-udfclient"

# run NAME CMD...: stdout/stderr/exit status into the work folder (stdin from NAME.in if any)
run() {
  local name=$1; shift
  local in=/dev/null
  [ -f "$work/$name.in" ] && in=$work/$name.in
  timeout "$TOOL_TIMEOUT" "$@" >"$work/$name.out" 2>"$work/$name.err" <"$in"
  echo $? >"$work/$name.rc"
}

# the readers run at the same time (udfclient and udfdump spend a second idling on exit)
run 7z-t 7z t -tudf "$img" &
run 7z-x 7z x -tudf -y "-o$work/x-7z" "$img" &
run udfinfo udfinfo "$img" &
run udfdump udfdump -t -b 2048 "$img" &
run udfplace $PY "$here/udfplace.py" --session auto "$img" &
(
  printf 'ls\nquit\n' >"$work/udfclient-ls.in"
  run udfclient-ls udfclient -b 2048 "$img"
  # the root of udfclient lists the logical volumes ("VOLSET:PRIMARY:LOGVOL:FILESET")
  vol=$(sed -nE 's/^d[rwx-]{9} +-?[0-9]+ +-?[0-9]+ +[0-9]+ +//p' "$work/udfclient-ls.out" | head -n 1)
  printf 'lcd %s\nget "%s" vol\nquit\n' "$work/x-udfclient" "$vol" >"$work/udfclient-get.in"
  run udfclient-get udfclient -b 2048 "$img"
) &
wait
# extracted folders may come without write or search permission
chmod -R u+rwX "$work/x-7z" "$work/x-udfclient" 2>/dev/null

args=(judge --img "$img" --src "$src" --work "$work")
[ -n "$rev" ] && args+=(--rev "$rev")
[ "$follow" = --no-follow-links ] && args+=(--no-follow-links)
[ -n "$multi" ] && args+=("$multi")
args+=("${hidden[@]}")
$PY "$here/udfcheck.py" "${args[@]}"
