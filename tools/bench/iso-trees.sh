#!/usr/bin/env bash
# tools/bench/iso-trees.sh [WORKDIR]: the ISO 9660 + Joliet benchmark of issue 3, side by side on
# the same generated trees, in one run:
#   50k:  50,000 empty files in one folder
#   1m:   1,000,000 empty files in 1,000 folders
# for our engine natively (build/native/tests/engine/fsi_mkiso), fsimage.exe under Wine (the DLL),
# genisoimage -J and xorriso -as mkisofs -J. Prints wall time, CPU time and peak RSS per tool and
# the ratio of each peer's wall time to the native engine's. A peer that does not finish in
# 10 minutes is reported as 'timeout'. Images are written to WORKDIR (default build/bench) and
# deleted after each run.
source "$(dirname "$0")/../lib.sh"
ensure_packages $BUILD_PKGS genisoimage xorriso
build_native; build_win64; wine_ready
work=${1:-$BUILD/bench}
mkdir -p "$work"
native=$BUILD/native/tests/engine/fsi_mkiso
measure() { /usr/bin/python3 "$TOP/tools/bench/measure.py" "$@"; }

make_tree() {   # make_tree NAME DIRS FILES_PER_DIR
    local dir=$work/tree-$1
    [ -f "$dir/.done" ] && return
    rm -rf "$dir"; mkdir -p "$dir"
    /usr/bin/python3 - "$dir" "$2" "$3" <<'PY'
import os, sys
root, dirs, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(dirs):
    sub = root if dirs == 1 else os.path.join(root, 'dir%04d' % d)
    os.makedirs(sub, exist_ok=True)
    for f in range(per):
        open(os.path.join(sub, 'file %06d name.txt' % f), 'w').close()
PY
    touch "$dir/.done"
}

printf 'tree\ttool\twall_s\tcpu_s\tpeak_rss_mib\tstatus\n'
for spec in "50k 1 50000" "1m 1000 1000"; do
    set -- $spec
    name=$1
    make_tree "$name" "$2" "$3"
    src=$work/tree-$name out=$work/out-$name.iso
    rows=()
    rows+=("$(measure "$name	native" 600 "$native" -o "$out" "$src")"); rm -f "$out"
    rows+=("$(measure "$name	fsimage.exe" 600 wine "$BUILD/win64/tools/fsimage/fsimage.exe" -q "$(winpath "$src")" "$(winpath "$out")")"); rm -f "$out"
    rows+=("$(measure "$name	genisoimage" 600 genisoimage -quiet -J -joliet-long -o "$out" "$src")"); rm -f "$out"
    rows+=("$(measure "$name	xorriso" 600 xorriso -as mkisofs -quiet -J -joliet-long -o "$out" "$src")"); rm -f "$out"
    base=$(cut -f3 <<<"${rows[0]}")
    for r in "${rows[@]}"; do
        wall=$(cut -f3 <<<"$r")
        printf '%s\t(%sx native)\n' "$r" "$(/usr/bin/python3 -c "print('%.1f' % ($wall / max($base, 0.001)))")"
    done
done
