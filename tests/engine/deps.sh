#!/bin/sh
# tests/engine/deps.sh: no circle between the engine's files (issue 17). One file needs another
# when its object uses a symbol the other's object defines (nm: undefined in one, defined in the
# other; static functions and inline helpers in headers do not count). The files must form a
# layered order (docs/architecture.md: tree -> names -> writers -> plan -> cursor): no two files
# may need each other, directly or through others.
#
#   tests/engine/deps.sh LIBRARY          exit 1 and print every circle's files and the symbols
#                                         that make each step of it; exit 0 when there is none
#   tests/engine/deps.sh --order LIBRARY  print the files layer by layer (a file needs only files
#                                         of the layers above it) and what each one needs
# LIBRARY: libfsi_engine.a (CTest engine.deps passes it, with CMake's nm as NM).
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
order=0
if [ "${1:-}" = --order ]; then
    order=1
    shift
fi
[ $# -eq 1 ] || { echo "usage: $0 [--order] LIBRARY" >&2; exit 2; }
lib=$1
nm=${NM:-nm}
syms=$("$nm" -P -A -g "$lib") || { echo "deps.sh: $nm failed on $lib" >&2; exit 2; }
printf '%s\n' "$syms" | awk -v order="$order" '
function file(m) {                      # "lib.a[plan.c.o]:" -> "plan.c"
    sub(/^.*\[/, "", m); sub(/\]:$/, "", m); sub(/\.o(bj)?$/, "", m)
    return m
}
{
    f = file($1)
    files[f] = 1
    if ($3 == "U")
        used[f, $2] = 1
    else if ($3 ~ /^[TDBRCVWG]$/)
        def[$2] = f
}
# strongly connected components (Tarjan): files that need one another, directly or in a circle
function strong(v,    k, w, size) {
    idx[v] = low[v] = ++counter
    stack[++sp] = v
    on[v] = 1
    for (k = 1; k <= nout[v]; k++) {
        w = adj[v, k]
        if (!(w in idx)) {
            strong(w)
            if (low[w] < low[v])
                low[v] = low[w]
        } else if (on[w] && idx[w] < low[v]) {
            low[v] = idx[w]
        }
    }
    if (low[v] == idx[v]) {
        ncomp++
        size = 0
        do {
            w = stack[sp--]
            on[w] = 0
            comp[w] = ncomp
            size++
        } while (w != v)
        csize[ncomp] = size
    }
}
END {
    nfiles = 0
    for (f in files)
        nfiles++
    if (nfiles < 2) {
        print "deps.sh: fewer than two object files in the library" > "/dev/stderr"
        exit 2
    }
    # edges a -> b, with the symbols that make them
    for (k in used) {
        split(k, p, SUBSEP)
        a = p[1]; s = p[2]
        if (!(s in def) || def[s] == a)
            continue
        b = def[s]
        if (!((a, b) in why)) {
            why[a, b] = s
            adj[a, ++nout[a]] = b
        } else {
            why[a, b] = why[a, b] ", " s
        }
    }
    for (f in files)
        if (!(f in idx))
            strong(f)
    sorter = "LC_ALL=C sort"
    if (order) {
        # layers: a file whose every need is placed goes to the next layer
        left = nfiles
        for (layer = 0; left > 0; layer++) {
            n = 0
            for (f in files) {
                if (f in placed)
                    continue
                ok = 1
                for (k = 1; k <= nout[f]; k++)
                    if (!(adj[f, k] in placed))
                        ok = 0
                if (ok)
                    now[++n] = f
            }
            if (!n)
                break
            for (i = 1; i <= n; i++) {
                placed[now[i]] = layer
                printf "layer %02d: %s\n", layer, now[i] | sorter
            }
            left -= n
        }
        for (f in files)
            if (!(f in placed))
                printf "in a circle: %s\n", f | sorter
        for (f in files)
            for (k = 1; k <= nout[f]; k++)
                printf "  %s -> %s: %s\n", f, adj[f, k], why[f, adj[f, k]] | sorter
        close(sorter)
    }
    bad = 0
    for (c = 1; c <= ncomp; c++) {
        if (csize[c] < 2)
            continue
        bad++
        line = ""
        for (f in files)
            if (comp[f] == c)
                line = line " " f
        printf "circle %d (%d files need one another):%s\n", bad, csize[c], line
        for (f in files)
            for (k = 1; k <= nout[f]; k++)
                if (comp[f] == c && comp[adj[f, k]] == c)
                    printf "  circle %d: %s -> %s: %s\n", bad, f, adj[f, k], why[f, adj[f, k]] | sorter
        close(sorter)
    }
    if (bad) {
        printf "deps.sh: FAIL: %d circle(s) between the engine'"'"'s files\n", bad
        exit 1
    }
    printf "deps.sh: %d files, no circle\n", nfiles
    exit 0
}'
