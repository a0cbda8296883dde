#!/usr/bin/env bash
# events.vbs under Wine's own script host (wine cscript): does it connect VBScript handlers to
# the image's events? Wine 8's wscript.exe answers E_NOTIMPL to WScript.ConnectObject and to the
# prefix of WScript.CreateObject (VBScript error 0x1BD), so the handlers are checked by
# test_vbs_events.exe instead, which hosts VBScript itself. This test records what Wine supports
# and fails only if the script does not run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
w() { local p; p=$(realpath "$1"); printf 'Z:%s' "${p//\//\\}"; }
out=$(wine cscript //nologo "$(w "$here/events.vbs")" 2>&1 | tr -d '\r')
rc=$?
printf '%s\n' "$out"
create=$(sed -n 's/^CreateObjectPrefix=//p' <<<"$out")
connect=$(sed -n 's/^ConnectObject=//p' <<<"$out")
if [ -z "$create" ] || [ -z "$connect" ]; then echo "not ok - events.vbs did not run under wine cscript (rc $rc)"; exit 1; fi
for what in "WScript.CreateObject(progid, prefix):$create" "WScript.ConnectObject:$connect"; do
    if [ "${what##*:}" = 0 ]; then echo "# ${what%:*} works in this Wine";
    else echo "# ${what%:*} fails in this Wine's wscript (0x${what##*:}); see test_vbs_events"; fi
done
echo "1 passed, 0 failed"
