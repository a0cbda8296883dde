#!/usr/bin/env bash
# tools/bench/single-adds.sh [-n RUNS] [COUNT]: items added to an image one call at a time under
# Wine, as burners that add file by file after ChooseImageDefaults do, with FreeMediaBlocks as a
# new image has it (332,800 blocks) and with no limit (0): COUNT (default 50,000) files into one
# folder, COUNT folders, and COUNT files 100 to a folder. Each run is one single-adds.exe process
# per case, in a rotating order; only the adds are timed. Prints the raw lines and, per case, the
# median seconds with and without the limit and their ratio (RUNS, default 5).
source "$(dirname "$0")/../lib.sh"
runs=5
bench_options "$@"
count=${args[0]:-50000}
work=${FSI_BENCH_DIR:-$BUILD/bench}
export WINEPREFIX=$work/wineprefix
mkdir -p "$work"
build_win64; wine_ready
exe=$BUILD/win64/tools/bench/single-adds.exe
wineserver -w; wineserver -p
trap 'wineserver -k 2>/dev/null || true' EXIT
out=$work/single-adds-$$.txt
cases=("default file" "none file" "default dir" "none dir" "default nested" "none nested")
for run in $(seq 1 "$runs"); do
    k=$(( (run - 1) % ${#cases[@]} ))
    for c in "${cases[@]:$k}" "${cases[@]:0:$k}"; do
        # shellcheck disable=SC2086
        wine "$exe" $c "$count" | tr -d '\r' | tee -a "$out" >&2
    done
done
python3 - "$out" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    limit, kind, n, s, used = line.split('\t')
    rows.setdefault(kind, {}).setdefault(limit, []).append((float(s), int(used)))
print('| adds | count | limit 332,800: s (median) | no limit: s (median) | ratio | UsedBlocks |')
print('|---|---|---|---|---|---|')
for kind in ('file', 'dir', 'nested'):
    r = rows.get(kind, {})
    if 'default' not in r or 'none' not in r:
        continue
    d = statistics.median(x[0] for x in r['default']); u = statistics.median(x[0] for x in r['none'])
    print(f'| {kind} | {n.strip()} | {d:.3f} | {u:.3f} | {d / u:.2f} | {r["default"][0][1]} |')
PY
rm -f "$out"
