#!/usr/bin/env bash
# The "imapi2fs" debug channel (src/com/debug.h): silent by default; WINEDEBUG=+imapi2fs prints
# TRACE lines in Wine's form (TID:trace:imapi2fs:function), warn+imapi2fs the WARN lines alone.
# test_register.exe drives it: it creates every class (DllGetClassObject traces) and asks for the
# noncreatable ones (a WARN each).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # ok, bad, expect_eq, finish
client=$FSI_BUILD/tests/com/test_register.exe
run() { WINEDEBUG=$1 wine "$client" 2>&1 >/dev/null || echo "client failed: exit $?"; }
count() { grep -cE "$1" <<<"$2" || true; }

out=$(run -all)
expect_eq "off: the client" "$(count "client failed" "$out")" 0
expect_eq "off: lines of the channel" "$(count ':imapi2fs:' "$out")" 0
out=$(run +imapi2fs)
[ "$(count '^[0-9a-f]{4}:trace:imapi2fs:DllGetClassObject \(\{' "$out")" -ge 3 ] && ok || bad "+imapi2fs: no DllGetClassObject trace: $(head -3 <<<"$out")"
[ "$(count '^[0-9a-f]{4}:trace:imapi2fs:cf_CreateInstance ' "$out")" -ge 3 ] && ok || bad "+imapi2fs: no cf_CreateInstance trace"
[ "$(count '^[0-9a-f]{4}:warn:imapi2fs:DllGetClassObject class \{' "$out")" -ge 1 ] && ok || bad "+imapi2fs: no WARN for a noncreatable class"
out=$(run warn+imapi2fs)
expect_eq "warn+imapi2fs: trace lines" "$(count ':trace:imapi2fs:' "$out")" 0
[ "$(count ':warn:imapi2fs:' "$out")" -ge 1 ] && ok || bad "warn+imapi2fs: no warn line"
out=$(run imapi2fs)
[ "$(count ':trace:imapi2fs:' "$out")" -ge 1 ] && ok || bad "imapi2fs (a name alone, +imapi2fs as in Wine): no trace line"
out=$(run +imapi2fs,-imapi2fs)
expect_eq "+imapi2fs,-imapi2fs: lines" "$(count ':imapi2fs:' "$out")" 0
finish
