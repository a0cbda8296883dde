#!/usr/bin/env bash
# What real Windows was seen to do (../shared/reference/windows-observed.md), late bound from
# VBScript under `wine cscript`: observed.vbs. test_observed.c pins the same through the vtable.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/sub"
printf 'a\n' > "$tmp/src/a.txt"; printf 'bb\n' > "$tmp/src/sub/b.txt"; : > "$tmp/src/empty"
truncate -s 2147483649 "$tmp/over.bin"          # sparse: 2 GiB + 1 byte
out=$(wine cscript //nologo "$(w "$here/observed.vbs")" "$(w "$tmp/src")" "$(w "$tmp/over.bin")" | tr -d '\r')
printf '%s\n' "$out"
expect "FileSystemsToCreate=7"
expect "FileSystemsSupported=7"
expect "ISO9660InterchangeLevel=1"
expect "UDFRevision=258"
expect "DirectoryCount=1"
expect "FreeMediaBlocks=332800"
expect "CreateRedundantUdfMetadataFiles=True"
expect "LevelsSupported=2"
expect "MultisessionInterfaces=0"
expect "BootImageOptionsArray=0"
expect "RootName=[] RootFullPath=[]"
expect "RootTimes=0,0,0"
expect "RootCreation=1899-12-30"
expect "Tree Files=3 Dirs=2"
expect "ChildPath=\\sub\\b.txt"
expect "DiscId=0000000000000000"
expect "TooBigErr=C0AAB132"
expect "TooBigText=Data file is too large for 'ISO9660/Joliet' file system."
expect "TooBigIsoText=Data file is too large for 'ISO9660' file system."
expect "UdfAloneBlocks=True"
expect "BoundAdd=1"
expect "GoneErr=C0AAB118"
expect "GoneText=Cannot find item '\\e' in FileSystemImage hierarchy."
expect "GoneName=e \\e"
expect "AncestorErr=C0AAB118"
expect "AncestorGone=0"
expect "ShortDir=_INTER~1"
expect "ShortFile=A.TXT"
expect "LimitErr=C0AAB120"
expect "LimitText=True"
expect "LimitFiles=0"
finish
