#!/usr/bin/python3
"""Check an image made by native fsimage against its source directory with pycdlib (an independent
ISO 9660 / Joliet reader): every file of the source must be found in the Joliet tree (exact names)
with the same bytes, and the ISO 9660 tree must hold the same number of files and directories,
each ISO file sharing the extent of a Joliet file.

usage: check_image.py IMAGE SOURCE_DIR [--no-joliet]
"""
import io
import os
import sys

import pycdlib


def main():
    img, src = sys.argv[1], sys.argv[2]
    joliet = '--no-joliet' not in sys.argv
    iso = pycdlib.PyCdlib()
    iso.open(img)
    nfiles = ndirs = 0
    iso_files = iso_dirs = 0
    jol_lbas = set()
    errors = 0
    shown = [0]

    def report(*a):
        shown[0] += 1
        if shown[0] <= 20:
            print(*a)
    if joliet:
        for root, dirs, files in os.walk(src, followlinks=True):
            rel = os.path.relpath(root, src)
            jdir = '/' if rel == '.' else '/' + rel
            ndirs += len(dirs)
            for f in files:
                p = os.path.join(root, f)
                if not os.path.isfile(p):
                    continue
                nfiles += 1
                jp = (jdir.rstrip('/') + '/' + f + ';1')  # files carry ';1' in Joliet too
                out = io.BytesIO()
                try:
                    iso.get_file_from_iso_fp(out, joliet_path=jp)
                except Exception as e:  # noqa: BLE001
                    report('MISSING', jp, e)
                    errors += 1
                    continue
                with open(p, 'rb') as fh:
                    if fh.read() != out.getvalue():
                        report('DIFFERENT', jp)
                        errors += 1
                rec = iso.get_record(joliet_path=jp)
                if rec.data_length:
                    jol_lbas.add(rec.extent_location())
    for root, dirs, files in iso.walk(iso_path='/'):
        iso_dirs += len(dirs)
        for f in files:
            iso_files += 1
            rec = iso.get_record(iso_path=(root.rstrip('/') + '/' + f))
            if joliet and rec.data_length and rec.extent_location() not in jol_lbas:
                report('ISO file not sharing a Joliet extent:', root, f)
                errors += 1
    if joliet and (iso_files != nfiles or iso_dirs != ndirs):
        print('COUNT MISMATCH iso files %d dirs %d, source files %d dirs %d' % (iso_files, iso_dirs, nfiles, ndirs))
        errors += 1
    iso.close()
    print('%s: %d files, %d dirs checked, %d errors' % (img, nfiles or iso_files, ndirs or iso_dirs, errors))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
