#!/usr/bin/env bash
# Named streams, a real-time file and a hidden file through the DLL: test_streams.exe writes
# \a.txt (streams s1, Zone.Identifier, empty), \rt.bin (IsRealTime), \dir\hidden.txt (IsHidden) and
# \dir\big.bin (stream bigstream, 200,000 bytes) for every UDF revision, UDF alone and bridged with
# ISO 9660 + Joliet. Each image is judged by
#  - tests/iso/check-udf.sh (7-Zip test and extraction, udfinfo, udfdump, udfclient; the hidden
#    file must be absent from udfdump's and udfclient's listings, which honour the characteristic);
#  - 7-Zip's listing: the files only (7-Zip 26.02 does not show UDF named streams);
#  - udfdump: the Stream Directory ICB of both files in their EFEs (-u 20), two stream directory
#    EFEs (file type 13) and the real-time file type 249 in its sequential dump (-S; 2.50+: again
#    in the metadata mirror's copy);
#  - tests/iso/udfstreams.py, which follows the stream directories (no installed reader does):
#    every stream's name, size and SHA-256, file type 249, the hidden characteristic.
# 2.00 and later have the streams, 2.01 and later the real-time type; below, neither.
set -uo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C.UTF-8
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
ok_lines=1
for t in 7z udfdump udfclient udfinfo; do
    command -v $t >/dev/null || { echo "# $t is not installed: skipped"; exit 77; }
done

# the source the images are made of (test_streams.c, image_with_streams)
src=$tmp/src
mkdir -p "$src/dir"
printf 'main data of a\n' >"$src/a.txt"
printf 'realtime data\n' >"$src/rt.bin"
printf 'hidden\n' >"$src/dir/hidden.txt"
python3 -c "import sys; sys.stdout.write(''.join(chr(97 + i % 26) for i in range(300000)))" >"$src/dir/big.bin"
digest() { sha256sum | cut -d' ' -f1; }
s1=$(printf 'stream one data\n' | digest)
zone=$(printf '[ZoneTransfer]\r\nZoneId=3\r\n' | digest)
empty=$(printf '' | digest)
bigs=$(tail -c +2 "$src/dir/big.bin" | head -c 200000 | digest)

for fs in 7 4; do
    for rev in 0x102 0x150 0x200 0x201 0x250 0x260; do
        name="UDF $rev $([ $fs = 7 ] && echo 'bridged with ISO 9660 + Joliet' || echo alone)"
        img=$tmp/s-$fs-$rev.img
        out=$(wine "$FSI_BUILD/tests/com/test_streams.exe" --image "$(w "$img")" $rev $fs 2>&1)
        if [ $? -eq 0 ] && [ -s "$img" ]; then ok "$name: test_streams.exe wrote the image"; else
            bad "$name: test_streams.exe"; echo "$out" | sed 's/^/#   /' | tail -5; continue; fi

        res=$(bash "$FSI_SRC/tests/iso/check-udf.sh" "$img" "$src" --rev $rev --hidden dir/hidden.txt 2>&1)
        if [ $? -eq 0 ]; then ok "$name: check-udf.sh (${res##*$'\n'})"; else
            bad "$name: check-udf.sh"; echo "$res" | grep -E '^(not ok|#)' | sed 's/^/#   /'; fi

        streams=0; [ $((rev)) -ge $((0x200)) ] && streams=1
        realtime=0; [ $((rev)) -ge $((0x201)) ] && realtime=1

        # 7-Zip: the four files, nothing named file:stream
        list=$(7z l -slt -tudf "$img" 2>&1 | sed -n 's/^Path = //p' | sed 1d)
        if [ "$(echo "$list" | grep -c .)" = 5 ] && ! echo "$list" | grep -q :; then
            ok "$name: 7z l lists the files and the folder, no streams"; else
            bad "$name: 7z l"; echo "$list" | sed 's/^/#   /'; fi

        # udfdump: the files' Stream Directory ICBs, the stream directory EFEs, the real-time type
        sdicb=$(udfdump -u 20 -t -b 2048 "$img" 2>&1 | grep -c 'Streamdir ICB at at sector [0-9]* within partion space [0-9]* for 2048 bytes')
        seq=$(udfdump -S -b 2048 "$img" 2>&1)
        t13=$(echo "$seq" | grep -c 'ICB File type *13$')
        t249=$(echo "$seq" | grep -c 'ICB File type *249$')
        copies=1; [ $((rev)) -ge $((0x250)) ] && copies=2    # -S also dumps the metadata mirror's copy
        if [ "$sdicb" = $((2 * streams)) ] && [ "$t13" = $((2 * streams * copies)) ] && [ "$t249" = $((realtime * copies)) ]; then
            ok "$name: udfdump shows $sdicb Stream Directory ICBs, $t13 stream directories (type 13), $t249 real-time file (type 249)"
        else bad "$name: udfdump: $sdicb Stream Directory ICBs, $t13 stream directories, $t249 real-time files"; fi

        # our own walk of the stream directories: names, sizes, bytes
        want="hidden /dir/hidden.txt"
        if [ $streams = 1 ]; then
            want+=$'\n'"stream /a.txt:Zone.Identifier 26 $zone"
            want+=$'\n'"stream /a.txt:empty 0 $empty"
            want+=$'\n'"stream /a.txt:s1 16 $s1"
            want+=$'\n'"stream /dir/big.bin:bigstream 200000 $bigs"
        fi
        [ $realtime = 1 ] && want+=$'\n'"type /rt.bin 249"
        got=$(python3 "$FSI_SRC/tests/iso/udfstreams.py" "$img" 2>&1)
        if [ "$got" = "$want" ]; then ok "$name: udfstreams.py: $(echo "$got" | grep -c '^stream') streams with their bytes"
        else bad "$name: udfstreams.py"; diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'; fi
        rm -f "$img"
    done
done
finish
