#!/usr/bin/python3
"""udfplace.py [--session START|auto] [--all] IMG: are the UDF copies far apart?

The Philips UDF verifier warns, for UDF 2.50 and later, when the Main and Reserve Volume
Descriptor Sequence extents are "not far apart" (UDF 2.2.3.2, 2.50 errata DCN-5113) and when the
Metadata File and the Metadata Mirror File extents are "not far apart" (UDF 2.2.13.1, DCN-5106):
it counts the distance in ECC blocks of 16 sectors and wants at least a tenth of the volume
between the two. This measures both the same way, on the strict side:

  - ECC block of a sector: its absolute block number // 16;
  - distance of two extents: the whole ECC blocks strictly between the last ECC block the earlier
    one touches and the first one the later one touches (0 when those are neighbours, negative
    when the extents share an ECC block or overlap); for lists of extents, the smallest distance
    of any pair;
  - the volume: blocks 0 .. N-1 of the image file (N = its size / 2048), in ECC blocks rounded up;
    with --session START, the blocks START .. N-1 (a session appended to an older volume, where
    the copies can only be as far apart as the new session is long; the whole volume's figures
    are printed as notes); --session auto: the session the last anchor (N - 1) belongs to, the
    largest S whose block S + 256 is an anchor pointing at the same sequences (0 for an image of
    one session);
  - required: distance * 10 >= the volume's ECC blocks.

Volume Descriptor Sequences: from every valid anchor (at START + 256, N - 1 and N - 257, and 256
when it leads to the same sequences), main against reserve. Metadata: the metadata partition map
of the LVD of the main sequence of the first of those anchors gives the metadata file and mirror
file locations (in the physical partition its PD describes) and the Duplicate Metadata Flag;
their EFEs give the extents. A mirror without the flag shares the metadata file's extents
(nothing to measure when it does).

Below UDF 2.50 (the LVD's domain identifier suffix) the distances are printed as notes and not
required, unless --all. Prints 'ok - ...' / 'not ok - ...' per measure and 'N passed, N failed'
last; exit status 1 when a measure failed, 2 when the image has no UDF volume to measure.
"""
import argparse
import binascii
import struct
import sys

BS = 2048
ECC = 16


class Bad(Exception):
    pass


def crc16(b):
    return binascii.crc_hqx(b, 0)


class Image:
    def __init__(self, path):
        self.f = open(path, 'rb')
        self.f.seek(0, 2)
        self.n = self.f.tell() // BS

    def block(self, b):
        if not 0 <= b < self.n:
            raise Bad('block %d outside the image (%d blocks)' % (b, self.n))
        self.f.seek(b * BS)
        return self.f.read(BS)

    def tagged(self, b, want, loc):
        d = self.block(b)
        ident, csum = struct.unpack_from('<H', d, 0)[0], d[4]
        crc, crclen, tloc = struct.unpack_from('<HHI', d, 8)
        ok = (sum(d[0:4]) + sum(d[5:16])) & 0xFF == csum and ident == want and tloc == loc and \
            16 + crclen <= BS and crc16(d[16:16 + crclen]) == crc
        return d if ok else None


def ecc_distance(a, b):
    """whole ECC blocks strictly between the closest extents of a and b: lists of (first, count)"""
    best = None
    for a0, an in a:
        for b0, bn in b:
            if a0 + an <= b0:
                d = b0 // ECC - (a0 + an - 1) // ECC - 1
            elif b0 + bn <= a0:
                d = a0 // ECC - (b0 + bn - 1) // ECC - 1
            else:
                d = -1                              # they overlap
            best = d if best is None else min(best, d)
    return best


def rng(ext):
    return ', '.join('%d-%d' % (f, f + n - 1) for f, n in ext)


def efe_extents(img, part_start, lb):
    """the extents (absolute first block, blocks) of the metadata (mirror) file's EFE at lb of the
    physical partition that starts at part_start"""
    d = img.block(part_start + lb)
    ident = struct.unpack_from('<H', d, 0)[0]
    if ident not in (0x105, 0x10A) or img.tagged(part_start + lb, ident, lb) is None:
        raise Bad('no valid (E)FE at partition block %d' % lb)
    hdr = 216 if ident == 0x10A else 176
    ad = struct.unpack_from('<H', d, 34)[0] & 7
    if ad not in (0, 1):
        raise Bad('allocation descriptor type %d in the metadata file EFE' % ad)
    lea, lad = struct.unpack_from('<II', d, hdr - 8)
    size = 16 if ad == 1 else 8
    out = []
    for off in range(hdr + lea, hdr + lea + lad, size):
        lt, pos = struct.unpack_from('<II', d, off)
        ln = lt & 0x3FFFFFFF
        if lt >> 30 == 3:
            raise Bad('metadata file EFE continued in an allocation extent (not followed here)')
        if ln:
            out.append((part_start + pos, (ln + BS - 1) // BS))
    return d[27], out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('img')
    ap.add_argument('--session', default='0', help='first block of the session measured, or auto')
    ap.add_argument('--all', action='store_true', help='require the distances below UDF 2.50 too')
    a = ap.parse_args()
    img = Image(a.img)

    def anchor(loc):
        d = img.tagged(loc, 2, loc) if 256 <= loc < img.n else None
        return (loc,) + struct.unpack_from('<IIII', d, 16) if d is not None else None

    if a.session == 'auto':
        last = anchor(img.n - 1)
        if last is None:
            print('error: no anchor volume descriptor pointer at the last block (%d)' % (img.n - 1))
            return 2
        ss = next((s for s in range(min(last[2], img.n - 257), -1, -1)
                   if (anchor(s + 256) or (0,))[1:] == last[1:]), 0)
    else:
        ss = int(a.session, 0)
    results = []

    def need_of(blocks):
        ecc = (blocks + ECC - 1) // ECC
        return ecc, (ecc + 9) // 10

    def judge(what, dist, required):
        vol_ecc, need = need_of(img.n - ss)
        line = '%s: %d ECC blocks apart, %d needed (%s of %d blocks = %d ECC blocks)' % (
            what, dist, need, 'session from %d' % ss if ss else 'volume', img.n - ss, vol_ecc)
        if required:
            results.append(dist * 10 >= vol_ecc)
            print('%s - %s' % ('ok' if results[-1] else 'not ok', line))
        else:
            print('# note (below UDF 2.50, not required): %s' % line)
        if ss:
            print('#   the whole volume (%d blocks): %d ECC blocks needed' % (img.n, need_of(img.n)[1]))

    anchors = []
    for loc in (ss + 256, img.n - 1, img.n - 257, 256):
        x = anchor(loc) if loc not in [y[0] for y in anchors] else None
        # an anchor below the session counts when it leads to the session's sequences (256 of a
        # random-write medium, rewritten); an older session's own does not
        if x is not None and (loc >= ss + 256 or any(y[1:] == x[1:] for y in anchors)):
            anchors.append(x)
    if not anchors:
        print('error: no anchor volume descriptor pointer at 256, %d, %d or %d'
              % (ss + 256, img.n - 1, img.n - 257))
        return 2
    try:
        # the main sequence of the first anchor: the PDs and the LVD
        _, mlen, mloc, _, _ = anchors[0]
        pds, lvd = {}, None
        for i in range(mlen // BS):
            d = img.block(mloc + i)
            ident = struct.unpack_from('<H', d, 0)[0]
            if ident == 8:
                break
            if ident == 5 and img.tagged(mloc + i, 5, mloc + i) is not None:
                pds[struct.unpack_from('<H', d, 22)[0]] = struct.unpack_from('<II', d, 188)
            elif ident == 6 and img.tagged(mloc + i, 6, mloc + i) is not None:
                lvd = d
        if lvd is None:
            raise Bad('no logical volume descriptor in the main sequence at %d' % mloc)
        rev = struct.unpack_from('<H', lvd, 216 + 24)[0]
        required = a.all or rev >= 0x250
        print('# UDF %x.%02x, %d blocks, anchors at %s' % (rev >> 8, rev & 0xFF, img.n,
                                                           ', '.join(str(x[0]) for x in anchors)))
        seen = set()
        for loc, mlen, mloc, rlen, rloc in anchors:
            if (mlen, mloc, rlen, rloc) in seen:
                continue
            seen.add((mlen, mloc, rlen, rloc))
            main, res = [(mloc, mlen // BS)], [(rloc, rlen // BS)]
            judge('main VDS %s and reserve VDS %s (anchor at %d)' % (rng(main), rng(res), loc),
                  ecc_distance(main, res), required)
        nmaps, pos = struct.unpack_from('<I', lvd, 268)[0], 440
        for _ in range(nmaps):
            mtype, mlen = lvd[pos], lvd[pos + 1]
            if mtype == 2 and lvd[pos + 5:pos + 28] == b'*UDF Metadata Partition':
                pnum, mfile, mirror = struct.unpack_from('<HII', lvd, pos + 38)
                dup = lvd[pos + 58] & 1
                if pnum not in pds:
                    raise Bad('no partition descriptor for partition %d' % pnum)
                pstart = pds[pnum][0]
                t1, mx = efe_extents(img, pstart, mfile)
                t2, rx = efe_extents(img, pstart, mirror)
                if (t1, t2) != (250, 251):
                    raise Bad('metadata file types %d and %d (250, 251 expected)' % (t1, t2))
                if not dup and mx == rx:
                    print('# metadata file %s: no duplicate (the mirror file shares its extents, '
                          'Duplicate Metadata Flag clear): nothing to measure' % rng(mx))
                else:
                    judge('metadata file %s and metadata mirror file %s' % (rng(mx), rng(rx)),
                          ecc_distance(mx, rx), required)
            pos += mlen
    except (Bad, struct.error) as e:
        print('not ok - %s' % e)
        results.append(False)
    failed = results.count(False)
    print('%d passed, %d failed' % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
