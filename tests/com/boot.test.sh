#!/usr/bin/env bash
# El Torito through imapi2fs.dll, proven by booting: fsimage.exe (BootImageOptions for one entry,
# BootImageOptionsArray for several) makes images with one entry, BIOS + UEFI (UDF alone, and
# ISO 9660 + Joliet + UDF), 32 entries, and floppy and hard disk emulation; dumpet, xorriso, isoinfo and pycdlib must each report
# the entries that were set, and the bytes at each entry's address must be its boot image. Then
# QEMU (TCG) boots them: a BIOS no-emulation boot sector built here prints a line on COM1, and
# under OVMF a standalone GRUB in an EFI System Partition image (the 0xEF entry) prints another.
# The MakeISO pattern runs late-bound from boot_makeiso.vbs under `wine cscript`.
# Needs qemu-system-x86, ovmf, grub-efi-amd64-bin, mtools (tools/lib.sh TEST_PKGS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FSIMAGE=$FSI_BUILD/tools/fsimage/fsimage.exe
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
for t in qemu-system-x86_64 grub-mkstandalone mformat mmd mcopy dumpet xorriso isoinfo; do
    command -v "$t" >/dev/null || { echo "not ok - $t missing (apt-get install qemu-system-x86 ovmf grub-efi-amd64-bin mtools dumpet xorriso genisoimage)"; exit 1; }
done
[ -f "$OVMF_CODE" ] || { echo "not ok - $OVMF_CODE missing (apt-get install ovmf)"; exit 1; }
export SOURCE_DATE_EPOCH=1700000000         # the VBScript's image and fsimage.exe's are the same
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w, ok, bad, step, expect, finish
ok_lines=1

# ---- the boot images ----------------------------------------------------------------------------
# BIOS: real-mode code, position independent (DS = CS, the message found by call/pop), that writes
# the message to COM1 (0x3F8) and halts:  push cs; pop ds; call $+3; pop si; add si, 19;
# mov dx, 0x3F8; l: lodsb; test al, al; jz h; out dx, al; jmp l; h: cli; hlt; jmp h
BIOS_MARK=IMAPI2FS-BIOS-BOOT-OK EFI_MARK=IMAPI2FS-EFI-BOOT-OK
{ printf '\016\037\350\000\000\136\203\306\023\272\370\003\254\204\300\164\003\356\353\370\372\364\353\374'
  printf '%s\r\n\000' "$BIOS_MARK"; } > "$tmp/bios.bin"
truncate -s 2048 "$tmp/bios.bin"
# UEFI: a standalone GRUB whose embedded grub.cfg prints the mark on the serial port and halts,
# as EFI/BOOT/BOOTX64.EFI in a 1.44 MB FAT image (the size of Windows' efisys.bin).
printf 'serial --unit=0 --speed=115200\nterminal_output serial\necho %s\nhalt\n' "$EFI_MARK" > "$tmp/grub.cfg"
grub-mkstandalone -O x86_64-efi --install-modules="normal configfile echo halt serial terminal" \
    --modules="serial echo halt terminal" --locales= --fonts= --themes= \
    -o "$tmp/BOOTX64.EFI" "boot/grub/grub.cfg=$tmp/grub.cfg"
mformat -C -f 1440 -i "$tmp/efi.img" ::
mmd -i "$tmp/efi.img" ::/EFI ::/EFI/BOOT
mcopy -i "$tmp/efi.img" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
# Emulated disks with the same code as their boot sector: a 1.44 MB floppy (AssignBootImage picks
# the emulation by itself) and a hard disk whose MBR has one FAT16 (0x0E) partition.
/usr/bin/python3 - "$tmp" <<'EOF'
import sys
d = sys.argv[1]
code = open(d + '/bios.bin', 'rb').read()[:24]
def disk(msg, size, part_type):
    b = bytearray(size)
    m = code + msg + b'\r\n\0'
    b[:len(m)] = m
    if part_type:                   # one partition from LBA 63, CHS for 16 heads x 63 sectors
        last = size // 512 - 1
        c, r = divmod(last, 16 * 63)
        h, sec = divmod(r, 63)
        b[446:462] = bytes([0x80, 1, 1, 0, part_type, h, (sec + 1) | (c >> 2 & 0xC0), c & 0xFF]) + \
            (63).to_bytes(4, 'little') + (last + 1 - 63).to_bytes(4, 'little')
    b[510:512] = b'\x55\xaa'
    return bytes(b)
open(d + '/fd.img', 'wb').write(disk(b'IMAPI2FS-FLOPPY-BOOT-OK', 1474560, 0))
open(d + '/hd.img', 'wb').write(disk(b'IMAPI2FS-HD-BOOT-OK', 4 * 16 * 63 * 512, 0x0E))
EOF
# 32 small images of different sizes, for the 32-entry catalog
for i in $(seq 0 31); do head -c $(( (i + 1) * 1000 )) /dev/urandom > "$tmp/b$i.bin"; done
# the files of the image
mkdir -p "$tmp/src/sources" "$tmp/src/boot"
printf 'readme\n' > "$tmp/src/README.TXT"
head -c 100000 /dev/urandom > "$tmp/src/sources/install.wim"
cp "$tmp/bios.bin" "$tmp/src/boot/etfsboot.com"

# ---- images -------------------------------------------------------------------------------------
mk() {  # mk NAME FS [--boot SPEC]...
    local name=$1 fs=$2; shift 2
    wine "$FSIMAGE" -q -f "$fs" -V MAKEISO -m 0 "$@" "$(w "$tmp/src")" "$(w "$tmp/$name.iso")"
}
BIOS="$(w "$tmp/bios.bin"),manufacturer=Microsoft"
UEFI="$(w "$tmp/efi.img"),platform=0xEF,emulation=none,manufacturer=Microsoft"
mk one iso9660,joliet --boot "$(w "$tmp/bios.bin"),manufacturer=IMAPI2FS"
mk udf udf --boot "$BIOS" --boot "$UEFI"
mk all iso9660,joliet,udf --boot "$BIOS" --boot "$UEFI"
many=()
for i in $(seq 0 31); do
    if [ $((i % 2)) = 0 ]; then p=0; else p=0xEF; fi
    many+=(--boot "$(w "$tmp/b$i.bin"),platform=$p,manufacturer=E$((i / 4))")
done
mk many iso9660,joliet "${many[@]}"
mk floppy iso9660,joliet --boot "$(w "$tmp/fd.img")"
mk hd udf --boot "$(w "$tmp/hd.img"),emulation=hd"
# expected entries: platform sectors file manufacturer (catalog order)
printf '0 4 bios.bin IMAPI2FS\n' > "$tmp/one.exp"
printf '0 4 bios.bin Microsoft\n239 2880 efi.img Microsoft\n' > "$tmp/udf.exp"
cp "$tmp/udf.exp" "$tmp/all.exp"
: > "$tmp/many.exp"
for i in $(seq 0 31); do
    size=$(( (i + 1) * 1000 ))
    if [ $((i % 2)) = 0 ]; then p=0 s=$(( (size + 2047) / 2048 * 4 )); else p=239 s=$(( (size + 511) / 512 )); fi
    echo "$p $s b$i.bin E$((i / 4))" >> "$tmp/many.exp"
done

# ---- the readers --------------------------------------------------------------------------------
# Each reader's view as lines "platform sectors lba" (catalog order), compared with the expected
# entries; pycdlib also gives the ID strings and the section structure, and the bytes at each LBA
# are compared with the boot image's.
readers() {  # readers NAME
    local name=$1 img=$tmp/$1.iso exp=$tmp/$1.exp
    cut -d' ' -f1,2 "$exp" > "$tmp/$name.ps"
    # dumpet: the validation checksum, the default entry, section headers, each entry
    if dumpet -i "$img" > "$tmp/$name.dumpet" 2>&1; then
        # the platform of an entry: the last PlatformId before it (validation entry, section header)
        awk '/PlatformId:/ { p = ($2 == "0xef") ? 239 : ($2 == "0x01") ? 1 : ($2 == "0x02") ? 2 : 0 }
             /Load Sectors:/ { s = $3 } /Load LBA:/ { print p, s, $3 }' "$tmp/$name.dumpet" > "$tmp/$name.dumpet.e"
        grep -q 'Checksum: ' "$tmp/$name.dumpet" && grep -q 'Key bytes: 0x55aa' "$tmp/$name.dumpet" &&
            cut -d' ' -f1,2 "$tmp/$name.dumpet.e" | cmp -s - "$tmp/$name.ps" &&
            [ "$(grep -c 'Final Section Header' "$tmp/$name.dumpet")" = "$([ "$(wc -l < "$exp")" -gt 1 ] && echo 1 || echo 0)" ] &&
            ok "$name: dumpet" || { bad "$name: dumpet"; sed 's/^/# /' "$tmp/$name.dumpet" | head -40; }
    else
        bad "$name: dumpet failed"; sed 's/^/# /' "$tmp/$name.dumpet" | head; fi
    # xorriso: platform (BIOS / UEFI), emulation, load size, LBA; no complaints
    if xorriso -return_with SORRY 32 -indev "$img" -report_el_torito plain > "$tmp/$name.xorriso" 2>&1; then
        awk '/El Torito boot img :/ { print ($7 == "UEFI" ? 239 : 0), $12, $13, $9 }' \
            "$tmp/$name.xorriso" > "$tmp/$name.xorriso.e"
        cut -d' ' -f1,2 "$tmp/$name.xorriso.e" | cmp -s - "$tmp/$name.ps" &&
            ! awk '$4 != "none"' "$tmp/$name.xorriso.e" | grep -q . &&
            cut -d' ' -f3 "$tmp/$name.xorriso.e" | cmp -s - <(cut -d' ' -f3 "$tmp/$name.dumpet.e") &&
            ok "$name: xorriso -report_el_torito" || { bad "$name: xorriso"; sed 's/^/# /' "$tmp/$name.xorriso"; }
    else
        bad "$name: xorriso complained"; sed 's/^/# /' "$tmp/$name.xorriso" | tail; fi
    # isoinfo: the boot record and the default entry
    isoinfo -d -i "$img" > "$tmp/$name.isoinfo" 2>&1 || true
    local first; first=$(head -1 "$exp")
    if grep -q 'El Torito VD version 1 found, boot catalog is in sector' "$tmp/$name.isoinfo" &&
       grep -q "Arch ${first%% *} " "$tmp/$name.isoinfo" &&
       grep -q "ID '$(cut -d' ' -f4 <<<"$first")'" "$tmp/$name.isoinfo" &&
       grep -q 'Key 55 AA' "$tmp/$name.isoinfo" && grep -q 'Bootid 88 (bootable)' "$tmp/$name.isoinfo" &&
       grep -q 'Boot media 0 (No Emulation Boot)' "$tmp/$name.isoinfo" &&
       grep -qi "Nsect $(printf '%X' "$(cut -d' ' -f2 <<<"$first")")\$" "$tmp/$name.isoinfo" &&
       grep -q "Bootoff [0-9A-F]* $(sed -n 1p "$tmp/$name.xorriso.e" | cut -d' ' -f3)\$" "$tmp/$name.isoinfo"; then
        ok "$name: isoinfo -d"
    else
        bad "$name: isoinfo -d"; sed 's/^/# /' "$tmp/$name.isoinfo" | tail -15; fi
    # pycdlib: the whole catalog, and the bytes at every entry's address
    if /usr/bin/python3 - "$img" "$exp" "$tmp" "$tmp/$name.xorriso.e" > "$tmp/$name.pycdlib" 2>&1 <<'EOF'
import sys, pycdlib
img, exp, d, xo = sys.argv[1:5]
want = [l.split() for l in open(exp)]
lbas = [int(l.split()[2]) for l in open(xo)]
p = pycdlib.PyCdlib(); p.open(img)
bc = p.eltorito_boot_catalog
assert bc is not None, 'no boot catalog'
ents = [(bc.validation_entry.platform_id, bc.initial_entry, bc.validation_entry.id_string)]
headers = []
for s in bc.sections:
    headers.append(s.header_indicator)
    for e in s.section_entries:
        ents.append((s.platform_id, e, s.id_string))
assert len(ents) == len(want), 'entries %d, want %d' % (len(ents), len(want))
assert headers[-1:] in ([], [0x91]) and all(h == 0x90 for h in headers[:-1]), 'section headers %s' % headers
raw = open(img, 'rb')
for i, ((plat, e, ident), (wp, ws, wf, wm)) in enumerate(zip(ents, want)):
    assert plat == int(wp), 'entry %d platform %d' % (i, plat)
    assert e.sector_count == int(ws), 'entry %d sectors %d' % (i, e.sector_count)
    assert e.boot_indicator == 0x88 and e.boot_media_type == 0 and e.load_segment == 0, 'entry %d fields' % i
    assert e.load_rba == lbas[i], 'entry %d LBA %d, xorriso %d' % (i, e.load_rba, lbas[i])
    assert ident.rstrip(b'\0').decode() == wm, 'entry %d ID %r' % (i, ident)
    data = open(d + '/' + wf, 'rb').read()
    raw.seek(e.load_rba * 2048)
    assert raw.read(len(data)) == data, 'entry %d: the bytes at LBA %d are not %s' % (i, e.load_rba, wf)
print('entries', len(ents), 'sections', len(headers))
EOF
    then ok "$name: pycdlib catalog, boot image bytes at each LBA ($(cat "$tmp/$name.pycdlib"))"
    else bad "$name: pycdlib"; sed 's/^/# /' "$tmp/$name.pycdlib" | tail -5; fi
}
for n in one udf all many; do readers "$n"; done
# emulation: the media type, the system type from the MBR, 1 sector loaded
dumpet -i "$tmp/floppy.iso" > "$tmp/floppy.dumpet" 2>&1 || true
grep -q 'Boot Media emulation type: 1.44MB floppy' "$tmp/floppy.dumpet" && grep -q 'Load Sectors: 1 ' "$tmp/floppy.dumpet" &&
    grep -q 'System type: 0 ' "$tmp/floppy.dumpet" && ok "floppy: dumpet: 1.44 MB floppy emulation (chosen by AssignBootImage)" ||
    { bad "floppy: dumpet"; sed 's/^/# /' "$tmp/floppy.dumpet"; }
dumpet -i "$tmp/hd.iso" > "$tmp/hd.dumpet" 2>&1 || true
grep -q 'Boot Media emulation type: hard disk emulation' "$tmp/hd.dumpet" && grep -q 'Load Sectors: 1 ' "$tmp/hd.dumpet" &&
    grep -q 'System type: 14 (0x0e)' "$tmp/hd.dumpet" && ok "hd: dumpet: hard disk emulation, system type 0x0E from the MBR" ||
    { bad "hd: dumpet"; sed 's/^/# /' "$tmp/hd.dumpet"; }
xorriso -indev "$tmp/hd.iso" -report_el_torito plain 2>/dev/null | grep -Eq 'El Torito boot img : +1 +BIOS +y +hd +0x0000 +0x0e +1 ' &&
    ok "hd: xorriso: hd emulation, partition type 0x0e" || { bad "hd: xorriso"; xorriso -indev "$tmp/hd.iso" -report_el_torito plain 2>&1 | sed 's/^/# /'; }
# the files are still right (the judges of tests/iso)
bash "$FSI_SRC/tests/iso/check-image.sh" "$tmp/all.iso" "$tmp/src" --volume MAKEISO > "$tmp/check-image.out" 2>&1 &&
    ok "all: check-image.sh ($(tail -1 "$tmp/check-image.out"))" || { bad "all: check-image.sh"; grep -E '^(not ok|#)' "$tmp/check-image.out" | head -20; }
bash "$FSI_SRC/tests/iso/check-udf.sh" "$tmp/udf.iso" "$tmp/src" > "$tmp/check-udf.out" 2>&1 &&
    ok "udf: check-udf.sh ($(tail -1 "$tmp/check-udf.out"))" || { bad "udf: check-udf.sh"; grep -E '^(not ok|#)' "$tmp/check-udf.out" | head -20; }

# ---- booting ------------------------------------------------------------------------------------
boot() {  # boot NAME bios|uefi: the mark on the serial port within the time limit
    local name=$1 fw=$2 mark limit out=$tmp/$1.$2.serial pid i
    local args=(-accel tcg -m 256 -display none -monitor none -serial "file:$out" -no-reboot -cdrom "$tmp/$name.iso")
    if [ "$fw" = bios ]; then mark=$BIOS_MARK limit=60; args+=(-boot d)
    else
        mark=$EFI_MARK limit=90
        cp "$OVMF_VARS" "$tmp/vars.fd"
        args+=(-machine q35 -drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" -drive "if=pflash,format=raw,file=$tmp/vars.fd")
    fi
    : > "$out"
    qemu-system-x86_64 "${args[@]}" > "$tmp/qemu.log" 2>&1 & pid=$!
    for ((i = 0; i < limit * 2; i++)); do
        grep -q "$mark" "$out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    if grep -q "$mark" "$out"; then ok "$name: boots under $fw (QEMU TCG$([ "$fw" = uefi ] && echo ', OVMF'), $((i / 2)) s): $mark"
    else bad "$name: no '$mark' from a $fw boot within $limit s"; tr -d '\033' < "$out" | tail -c 600 | sed 's/^/# /'; sed 's/^/# /' "$tmp/qemu.log"; fi
}
boot one bios
BIOS_MARK=IMAPI2FS-FLOPPY-BOOT-OK boot floppy bios
BIOS_MARK=IMAPI2FS-HD-BOOT-OK boot hd bios
boot udf bios
boot udf uefi
boot all bios
boot all uefi

# ---- the MakeISO pattern, late-bound ------------------------------------------------------------
out=$(wine cscript //nologo "$(w "$here/boot_makeiso.vbs")" "$(w "$tmp/src")" "$(w "$tmp/bios.bin")" "$(w "$tmp/efi.img")" 2>&1 | tr -d '\r') || true
printf '%s\n' "$out" | sed 's/^/# vbs: /'
mk vbsref udf --boot "$BIOS" --boot "$UEFI"
blocks=$(( $(stat -c %s "$tmp/vbsref.iso") / 2048 ))
expect "BiosSize=2048"
expect "EfiSize=1474560"
expect "EfiAutoEmulation=2"
expect "MismatchErr=C0AAB14A"
expect "ManufacturerErr=C0AAB101"
expect "PutPlatform=0"
expect "SetPlatform=239"
expect "ArrayAfterSingle=1"
expect "EmptyIsNothing=True"
expect "EmptyArray=0"
expect "FixedFirst=239"
expect "Entries=2"
expect "Platforms=0,239"
expect "SameObject=True"
expect "Manufacturer=Microsoft"
expect "Default=0"
expect "TotalBlocks=$blocks"
expect "Validate=ok"

finish
