#!/usr/bin/env bash
# tools/bench/stream-read.sh [-n RUNS] [CASE]: how fast a client gets the image stream through the
# DLL under Wine, by the size of its IStream::Read calls: 2048 bytes (the loop most clients run,
# Read(buf, 2048) TotalBlocks times), 64 KiB and 1 MiB. CASE is a tree that iso-trees.sh has made
# (default large: 4 files of 512 MiB; 20k: 20,000 files of 1 KiB). Each run is one
# stream-read.exe process that builds the image once and reads the whole stream once per piece
# size, in a rotating order; only the reads are timed, nothing is written. Prints the raw lines and
# the median seconds and MiB/s per piece size (RUNS, default 7).
source "$(dirname "$0")/../lib.sh"
runs=7
bench_options "$@"
case=${args[0]:-large}
work=${FSI_BENCH_DIR:-$BUILD/bench}
export WINEPREFIX=$work/wineprefix
build_win64; wine_ready
[ -f "$work/tree-$case.done" ] || { log "no tree $work/tree-$case: run tools/bench/iso-trees.sh -n 1 $case first"; exit 1; }
exe=$BUILD/win64/tools/bench/stream-read.exe
src=$(winpath "$work/tree-$case")
wineserver -w; wineserver -p
trap 'wineserver -k 2>/dev/null || true' EXIT
find "$work/tree-$case" -type f -exec cat {} + > /dev/null      # the inputs in the page cache
out=$work/stream-read-$$.txt
pieces=(2048 65536 1048576)
for run in $(seq 1 "$runs"); do
    k=$(( (run - 1) % ${#pieces[@]} ))
    order=("${pieces[@]:$k}" "${pieces[@]:0:$k}")
    wine "$exe" "$src" "${order[@]}" > "$out" 2>&1 || { cat "$out" >&2; exit 1; }
    sed "s/^/$case	/" "$out" | tr -d '\r' | tee -a "$work/stream-read-$case.tsv" >&2
    tr -d '\r' < "$out" >> "$out.all"
done
python3 - "$out.all" "$case" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    piece, s, rate = line.split('\t')
    rows.setdefault(int(piece), []).append((float(s), float(rate)))
print('| tree | piece (bytes) | runs | seconds (median) | MiB/s (median) |')
print('|---|---|---|---|---|')
for piece in sorted(rows):
    r = rows[piece]
    print('| %s | %d | %d | %.3f | %.0f |' % (sys.argv[2], piece, len(r), statistics.median(x[0] for x in r),
                                             statistics.median(x[1] for x in r)))
PY
rm -f "$out" "$out.all"
