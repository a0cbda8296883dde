#!/usr/bin/env bash
# The object model from VBScript under `wine cscript`: rollback after a failed AddTree (the image
# is as before, Err.Description says why), RollbackToChangePoint, StageFiles and WorkingDirectory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/good/sub" "$tmp/bad/inner" "$tmp/work"
printf 'a\n' > "$tmp/good/a.txt"; printf 'b\n' > "$tmp/good/sub/b.txt"
printf 'c\n' > "$tmp/bad/plain.txt"; printf 'd\n' > "$tmp/bad/inner/中文.txt"
out=$(wine cscript //nologo "$(w "$here/model.vbs")" "$(w "$tmp/good")" "$(w "$tmp/bad")" "$(w "$tmp/work")" | tr -d '\r')
printf '%s\n' "$out"
expect "Files=2 Dirs=2"
expect "AddTreeErr=C0AAB111"
expect "AddTreeText=True"
expect "AfterFailure Files=2 Dirs=2"
expect "Added Files=4 Dirs=4"
expect "RolledBack Files=2 Dirs=2"
expect "BadPointErr=C0AAB101"
expect "Stage=True Work=True"
expect "Staged Files=4"
expect "Blocks=True"
finish
