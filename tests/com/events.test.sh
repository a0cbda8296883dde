#!/usr/bin/env bash
# VBScript event handlers (Sub prefix_Update) of MsftFileSystemImage, with events.vbs:
#  - under Wine's own script host (wine cscript): does it connect them? Wine 8's wscript.exe
#    answers E_NOTIMPL to WScript.ConnectObject and to the prefix of WScript.CreateObject (VBScript
#    error 0x1BD); recorded as a note, the script only has to run;
#  - hosted as Windows Script Host does by test_vbs_events.exe (ConnectObject, the prefix of
#    CreateObject, Host.ReadStream to read the image): the handlers must get Update events
#    ("Events=N", N > 0) and the script's own checks must pass.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
here=$(cd "$(dirname "$0")" && pwd)

out=$(wine cscript //nologo "$(w "$here/events.vbs")" 2>&1 | tr -d '\r')
rc=$?
printf '%s\n' "$out"
create=$(sed -n 's/^CreateObjectPrefix=//p' <<<"$out")
connect=$(sed -n 's/^ConnectObject=//p' <<<"$out")
if [ -n "$create" ] && [ -n "$connect" ]; then ok; else bad "events.vbs did not run under wine cscript (rc $rc)"; fi
for what in "WScript.CreateObject(progid, prefix):$create" "WScript.ConnectObject:$connect"; do
    if [ "${what##*:}" = 0 ]; then echo "# ${what%:*} works in this Wine";
    else echo "# ${what%:*} fails in this Wine's wscript (0x${what##*:}); handlers hosted by test_vbs_events"; fi
done

out=$(wine "$FSI_BUILD/tests/com/test_vbs_events.exe" --script "$(w "$here/events.vbs")" 2>&1 | tr -d '\r')
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
events=$(sed -n 's/^Events=\([0-9]*\)$/\1/p' <<<"$out" | tail -1)
if [ "${events:-0}" -gt 0 ]; then ok; else bad "no Update event reached the script's handlers (Events=${events:-none})"; fi
if [ "$rc" = 0 ]; then ok; else bad "test_vbs_events.exe --script events.vbs: exit $rc"; fi
finish
