#!/usr/bin/env bash
# tools/bench/iso-trees.sh [-n RUNS] [CASE...]: the benchmark of issues 3 and 9. Side by side, on the
# same generated trees, ISO 9660 + Joliet images by
#   native       native fsimage (build/native/src/cli/fsimage -q)
#   fsimage.exe  the DLL through COM under Wine (the whole process, Wine's start included)
#   genisoimage  genisoimage -J -joliet-long
#   xorriso      xorriso -as mkisofs -J -joliet-long
#   cat          find SOURCE -type f -exec cat {} + > OUT: the same inputs to one file, the floor
# for the cases (default all):
#   20k    20,000 files of 1 KiB in 20 x 10 nested folders
#   large  4 files of 512 MiB (2 GiB); plus "Wine start": fsimage.exe on an empty folder
#   50k    50,000 empty files in one folder
#   1m     1,000,000 empty files in 1,000 folders
# Each case runs RUNS times (default 5; 9 for large, whose times vary most; 3 for 50k and 1m), the
# tools interleaved within each run;
# a tool that takes more than 120 s is run once, one that takes more than 10 minutes is stopped and
# reported as 'timeout'. Before each measurement the previous output is deleted and the disk synced;
# the inputs are read once first (so that every tool finds them in the page cache). Prints the raw
# lines while running, then medians: wall time, CPU time (user + system of all processes), peak RSS
# of the largest process, the wall time as a multiple of native fsimage's, the fraction of cat's
# throughput, and the targets of issue 9 met or missed (tools/bench/measure.py --table).
# Trees, images and the Wine prefix live in $FSI_BENCH_DIR (default build/bench); the raw lines are
# kept in results-DATE.tsv there.
source "$(dirname "$0")/../lib.sh"
runs=
bench_options "$@"
cases=("${args[@]}"); [ ${#cases[@]} -gt 0 ] || cases=(20k large 50k 1m)
ensure_packages $BUILD_PKGS genisoimage xorriso
work=${FSI_BENCH_DIR:-$BUILD/bench}
mkdir -p "$work"
# A Wine prefix of the benchmark's own, its server kept running for the whole run (as in a desktop
# session): fsimage.exe's times include starting the program, not booting the prefix.
export WINEPREFIX=$work/wineprefix
build_native; build_win64; wine_ready
wineserver -w; wineserver -p
trap 'wineserver -k 2>/dev/null || true' EXIT
results=$work/results-$(date +%Y%m%d-%H%M%S).tsv
native=$BUILD/native/src/cli/fsimage
exe=$BUILD/win64/tools/fsimage/fsimage.exe
measure() { /usr/bin/python3 "$TOP/tools/bench/measure.py" "$@"; }

make_tree() {   # make_tree CASE: build $work/tree-CASE once
    local dir=$work/tree-$1
    [ -f "$dir.done" ] && return
    log "making $dir"
    rm -rf "$dir"; mkdir -p "$dir"
    /usr/bin/python3 - "$dir" "$1" <<'PY'
import os, sys
root, case = sys.argv[1], sys.argv[2]
def files(sub, n, size, name='file %06d name.txt'):
    os.makedirs(sub, exist_ok=True)
    for f in range(n):
        with open(os.path.join(sub, name % f), 'wb') as fh:
            if size:
                fh.write(os.urandom(size))
if case == '20k':
    for a in range(20):
        for b in range(10):
            files(os.path.join(root, 'dir%02d' % a, 'sub%02d' % b), 100, 1024)
elif case == 'large':
    for i in range(4):
        with open(os.path.join(root, 'big%d.bin' % i), 'wb') as fh:
            for _ in range(512):
                fh.write(os.urandom(1 << 20))
elif case == '50k':
    files(root, 50000, 0)
elif case == '1m':
    for d in range(1000):
        files(os.path.join(root, 'dir%04d' % d), 1000, 0)
PY
    touch "$dir.done"
}

tools=(native fsimage.exe genisoimage xorriso cat)
command_of() {   # command_of TOOL SRC OUT: the command line, in $cmd
    case $1 in
        native) cmd=("$native" -q "$2" "$3") ;;
        fsimage.exe|wine-start) cmd=(wine "$exe" -q "$(winpath "$2")" "$(winpath "$3")") ;;
        genisoimage) cmd=(genisoimage -quiet -J -joliet-long -o "$3" "$2") ;;
        xorriso) cmd=(xorriso -as mkisofs -quiet -J -joliet-long -o "$3" "$2") ;;
        cat) cmd=(sh -c 'find "$1" -type f -exec cat {} + > "$2"' sh "$2" "$3") ;;
    esac
}

{
    printf 'machine: %s cores, %s, %s GiB RAM; %s\n' "$(nproc)" \
        "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)" \
        "$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" "$(uname -sr)"
    printf 'load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >&2
mkdir -p "$work/empty"
for case in "${cases[@]}"; do
    make_tree "$case"
    src=$work/tree-$case out=$work/out-$case.iso
    case $case in large) n=${runs:-9} ;; 50k|1m) n=${runs:-3} ;; *) n=${runs:-5} ;; esac
    find "$src" -type f -exec cat {} + > /dev/null      # the inputs in the page cache
    list=("${tools[@]}"); [ "$case" = large ] && list+=(wine-start)
    declare -A once=()
    for run in $(seq 1 "$n"); do
        for tool in "${list[@]}"; do
            [ -n "${once[$tool]:-}" ] && continue
            s=$src; [ "$tool" = wine-start ] && s=$work/empty
            command_of "$tool" "$s" "$out"
            rm -f "$out"; sync
            line=$(measure "$case	$tool" 600 "${cmd[@]}")
            rm -f "$out"
            printf '%s\n' "$line" | tee -a "$results" >&2
            wall=$(cut -f3 <<<"$line")
            if [ "$(cut -f6 <<<"$line")" = timeout ] || [ "${wall%.*}" -gt 120 ]; then once[$tool]=1; fi
        done
    done
    unset once
done
printf 'load average at the end: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
measure --table "$results"
