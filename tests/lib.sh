# tests/lib.sh: the helpers of every shell test (tests/com/*.test.sh, tests/iso/*.sh,
# tests/install/*.sh), sourced, not run:
#     source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# Counters and their lines: a failed check prints "not ok - WHAT"; a passed one prints "ok - WHAT"
# only where the script sets ok_lines=1; `finish` prints the closing "N passed, N failed" (what
# CTest and tools/test read) and fails when a check failed. Safe under set -euo pipefail.
pass=0 fail=0
ok_lines=0
tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# w PATH: the Wine path of a Unix path, on drive Z: (Z: is / in every prefix).
w() { local p; p=$(realpath -m "$1"); printf 'Z:%s' "${p//\//\\}"; }

# ok [WHAT]: a check passed.
ok() {
    pass=$((pass + 1))
    if [ "$ok_lines" = 1 ] && [ $# -gt 0 ]; then echo "ok - $*"; fi
    return 0
}

# bad WHAT: a check failed.
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# step CMD...: CMD succeeds.
step() { if "$@"; then ok "$*"; else bad "$*"; fi; }

# expect LINE [WHAT]: the output in $out holds LINE as a whole line ("WHAT: " before the message).
expect() {
    if grep -qxF -- "$1" <<<"$out"; then ok "${2:+$2: }$1"; else bad "${2:+$2: }expected line: $1"; fi
}

# expect_eq WHAT GOT WANT: two strings agree.
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: '$2', expected '$3'"; fi; }

# add_counts OUTPUT: add the closing "N passed, N failed" of another test's OUTPUT to the counters
# (fails, counting nothing, when OUTPUT has no such line).
add_counts() {
    local p f
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$1" | tail -1)
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$1" | tail -1)
    [ -n "$p" ] || return 1
    pass=$((pass + p)) fail=$((fail + f))
}

# check_image ARGS... / check_udf ARGS...: tests/iso/check-image.sh / check-udf.sh, showing only
# their failed checks, notes and closing line; their status.
check_image() { bash "$tests_dir/iso/check-image.sh" "$@" | grep -E '^(not ok|#)|passed,'; return "${PIPESTATUS[0]}"; }
check_udf() { bash "$tests_dir/iso/check-udf.sh" "$@" | grep -E '^(not ok|#)|passed,'; return "${PIPESTATUS[0]}"; }

# finish: the closing line ("# N s" before it when the script set start=$(date +%s)); the status is
# that of the whole test.
finish() {
    if [ -n "${start:-}" ]; then echo "# $(( $(date +%s) - start )) s"; fi
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
}
