#!/bin/bash
# check-image.sh IMG SRCDIR [options]: judge an ISO 9660 (+ Joliet) image against the folder it
# was made from, with independent readers (see shared/reference/validators.md).
#
# Options:
#   --fs iso,joliet     trees the image must have: "iso" or "iso,joliet" (default iso,joliet)
#   --level N           ISO 9660 interchange level 1-4: names and depth of the ISO 9660 tree are
#                       held to that level (without it: d-characters, NAME.EXT;1 only)
#   --relaxed           with --level: more than 8 levels and paths over 255 characters are notes,
#                       not failures (a relaxed writer exceeds them on purpose)
#   --volume NAME       expected volume name (the Joliet volume identifier)
#   --follow-links      the source's symlinks are followed, dangling ones and loops (a link to
#                       one of its own ancestors) are absent from the image (default)
#   --no-follow-links   the source's symlinks are all absent from the image
#   --keep DIR          keep the readers' outputs and extractions in DIR
#   -h, --help
#
# Prints one line per check, 'ok - <what>' or 'not ok - <what>', the readers' complaints as '#'
# lines under a failed check, and last 'N passed, N failed'. Exit status 1 if a check failed,
# 2 on a usage error.
#
# The readers run once each, three at a time (CHECK_IMAGE_JOBS), each under a timeout
# (CHECK_IMAGE_TIMEOUT seconds; default 60 + 1 per 4 MiB of image); every file-level comparison
# is done by isocheck.py in one /usr/bin/python3 process.
#
# Reader commands (outputs in the work folder as NAME.out/.err/.rc/.time):
#   isoinfo-d        isoinfo -d -i IMG
#   isoinfo-l        isoinfo -l -i IMG
#   isoinfo-lJ       isoinfo -l -J -i IMG                  (when Joliet is expected)
#   isovfy           isovfy IMG                             (exits 0 on findings: output is read)
#   xorriso          xorriso -abort_on NEVER -return_with SORRY 32 -indev IMG -find / -exec report_lba --
#   iso-info-iso     iso-info --no-header --no-joliet -l -i IMG
#   iso-info-joliet  iso-info --no-header -l -i IMG         (when Joliet is expected)
#                    (not "iso-info -d -l IMG": -d takes a number and would swallow -l)
#   fls              fls -r -p -f iso9660 IMG
#   bsdtar-tv        bsdtar -tvf IMG, bsdtar-t: bsdtar -tf IMG
#   xorriso-iso      xorriso ... -read_fs ecma119 -indev IMG -find / -exec report_lba --
#                    (when Joliet is expected: xorriso would read Joliet, this reads ISO 9660)
#   bsdtar-iso       bsdtar -tvf IMG --options 'iso9660:!joliet,iso9660:!rockridge'  (same reason)
#   7z-x             7z x -tiso -y -oWORK/x-7z IMG
#   bsdtar-x         bsdtar -xf IMG -C WORK/x-bsdtar
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
JOBS=${CHECK_IMAGE_JOBS:-3}

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

img= src= fs=iso,joliet level= volume= follow=--follow-links keep= relaxed=
pos=()
while [ $# -gt 0 ]; do
  case $1 in
    --fs) fs=${2:?--fs needs a value}; shift 2 ;;
    --fs=*) fs=${1#*=}; shift ;;
    --level) level=${2:?--level needs a value}; shift 2 ;;
    --level=*) level=${1#*=}; shift ;;
    --relaxed) relaxed=1; shift ;;
    --volume) volume=${2?--volume needs a value}; shift 2 ;;
    --volume=*) volume=${1#*=}; shift ;;
    --follow-links) follow=--follow-links; shift ;;
    --no-follow-links) follow=--no-follow-links; shift ;;
    --keep) keep=${2:?--keep needs a folder}; shift 2 ;;
    --keep=*) keep=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; pos+=("$@"); break ;;
    -*) echo "check-image.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) pos+=("$1"); shift ;;
  esac
done
if [ ${#pos[@]} -ne 2 ]; then usage >&2; exit 2; fi
img=${pos[0]} src=${pos[1]}
if [ ! -f "$img" ]; then echo "check-image.sh: no image file $img" >&2; exit 2; fi
if [ ! -d "$src" ]; then echo "check-image.sh: no source folder $src" >&2; exit 2; fi
case ,$fs, in
  ,iso,|,iso,joliet,|,joliet,iso,) ;;
  *) echo "check-image.sh: --fs takes iso or iso,joliet" >&2; exit 2 ;;
esac
case $level in ''|1|2|3|4) ;; *) echo "check-image.sh: --level takes 1-4" >&2; exit 2 ;; esac
joliet=0
case ,$fs, in *,joliet,*) joliet=1 ;; esac

for t in isoinfo isovfy xorriso iso-info fls bsdtar 7z timeout; do
  command -v $t >/dev/null || { echo "check-image.sh: $t is not installed (see validators.md)" >&2; exit 2; }
done
$PY -c 'import pycdlib' 2>/dev/null || { echo "check-image.sh: pycdlib missing for $PY (apt-get install python3-pycdlib)" >&2; exit 2; }

# UTF-8 names from every reader (bsdtar converts Joliet names to the locale's charset)
export LC_ALL=C.UTF-8
img=$(realpath "$img")
src=$(realpath "$src")
# each reader gets 60 s plus 1 s per 4 MiB of image (a reader caught in a directory loop of a
# damaged image would otherwise never end); CHECK_IMAGE_TIMEOUT overrides
TOOL_TIMEOUT=${CHECK_IMAGE_TIMEOUT:-$(( 60 + $(stat -c %s "$img") / 4194304 ))}

if [ -n "$keep" ]; then
  mkdir -p "$keep" || exit 2
  work=$(realpath "$keep")
  rm -rf "$work/x-7z" "$work/x-bsdtar" "$work"/*.out "$work"/*.err "$work"/*.rc "$work"/*.time
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/check-image.XXXXXX") || exit 2
  trap 'rm -rf "$work"' EXIT
fi

# run NAME CMD...: stdout/stderr/exit status/start+end time into the work folder
run() {
  local name=$1; shift
  local t0=$EPOCHREALTIME
  timeout "$TOOL_TIMEOUT" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null
  echo $? >"$work/$name.rc"
  echo "$t0 $EPOCHREALTIME" >"$work/$name.time"
}

# The jobs, longest first; run JOBS at a time (a looping reader on a damaged image costs one
# timeout, not the sum of all of them).
jobs=(7z-x bsdtar-x xorriso fls isoinfo-d isoinfo-l isovfy iso-info-iso bsdtar-tv bsdtar-t)
[ $joliet = 1 ] && jobs+=(isoinfo-lJ iso-info-joliet xorriso-iso bsdtar-iso)

# job NAME: run the job of that name (argument vectors built here, so paths with spaces work)
job() {
  case $1 in
    7z-x) run 7z-x 7z x -tiso -y "-o$work/x-7z" "$img" ;;
    bsdtar-x) run bsdtar-x bsdtar -xf "$img" -C "$work/x-bsdtar" ;;
    xorriso) run xorriso xorriso -abort_on NEVER -return_with SORRY 32 -indev "$img" -find / -exec report_lba -- ;;
    fls) run fls fls -r -p -f iso9660 "$img" ;;
    isoinfo-d) run isoinfo-d isoinfo -d -i "$img" ;;
    isoinfo-l) run isoinfo-l isoinfo -l -i "$img" ;;
    isovfy) run isovfy isovfy "$img" ;;
    iso-info-iso) run iso-info-iso iso-info --no-header --no-joliet -l -i "$img" ;;
    bsdtar-tv) run bsdtar-tv bsdtar -tvf "$img" ;;
    bsdtar-t) run bsdtar-t bsdtar -tf "$img" ;;
    isoinfo-lJ) run isoinfo-lJ isoinfo -l -J -i "$img" ;;
    iso-info-joliet) run iso-info-joliet iso-info --no-header -l -i "$img" ;;
    xorriso-iso) run xorriso-iso xorriso -abort_on NEVER -return_with SORRY 32 -read_fs ecma119 -indev "$img" -find / -exec report_lba -- ;;
    bsdtar-iso) run bsdtar-iso bsdtar -tvf "$img" --options 'iso9660:!joliet,iso9660:!rockridge' ;;
  esac
}

mkdir -p "$work/x-7z" "$work/x-bsdtar"
t0=$EPOCHREALTIME
running=0
for j in "${jobs[@]}"; do
  if [ $running -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
  job "$j" &
  running=$((running + 1))
done
wait
# extracted folders may come without write or search permission (no Rock Ridge modes)
chmod -R u+rwX "$work/x-7z" "$work/x-bsdtar" 2>/dev/null
t1=$EPOCHREALTIME

args=(judge --img "$img" --src "$src" --work "$work" --fs "$fs" "$follow" --readers-time "$t0" "$t1")
[ -n "$level" ] && args+=(--level "$level")
[ -n "$relaxed" ] && args+=(--relaxed)
[ -n "$volume" ] && args+=(--volume "$volume")
[ -n "$keep" ] && args+=(--kept)
$PY "$here/isocheck.py" "${args[@]}"
