#!/usr/bin/python3
"""udfstreams.py IMG: what no installed UDF reader shows, read from the image.

None of the readers the tests use walks UDF named streams (7-Zip 26.02, udfclient and udfdump skip
stream directories; see docs/conformance.md), so this small reader follows the structures itself:
AVDP (block 256) -> main VDS (partition, logical volume, metadata partition map) -> FSD -> root
-> FIDs -> (E)FEs, and each EFE's Stream Directory ICB -> the stream directory's FIDs -> the
streams' EFEs -> their extents. 2048-byte blocks; every tag's checksum and CRC is checked, and
the metadata mirror file (2.50+), which no reader reads, must equal the metadata file.

Prints, sorted, one line per item of interest:
    stream /dir/file:name SIZE SHA256     a named stream and the digest of its bytes
    type /dir/file N                      a file whose (E)FE file type is not 5 (249: real-time)
    hidden /dir/file                      a FID with the hidden characteristic
and exits 1 with 'error: ...' on a structure it cannot follow.
"""
import binascii
import hashlib
import struct
import sys

BS = 2048


class Bad(Exception):
    pass


def crc16(b):
    """the descriptor CRC (ECMA-167 7.2.6: CRC-ITU-T, polynomial 0x1021, initial 0), which is
    binascii's CRC-CCITT (XMODEM)"""
    return binascii.crc_hqx(b, 0)


class Udf:
    def __init__(self, path):
        self.f = open(path, 'rb')
        self.meta = None                    # metadata partition: [(lb, abs, n)]

    def blocks(self, abs_blk, n=1):
        self.f.seek(abs_blk * BS)
        b = self.f.read(n * BS)
        if len(b) != n * BS:
            raise Bad('block %d past the end' % abs_blk)
        return b

    def tag(self, b, want, loc=None):
        ident, csum = struct.unpack_from('<H', b, 0)[0], b[4]
        crc, crclen, tloc = struct.unpack_from('<HHI', b, 8)
        if sum(b[0:4]) + sum(b[5:16]) & 0xFF != csum:
            raise Bad('tag checksum (id %d)' % ident)
        if ident != want:
            raise Bad('tag id %d, expected %d' % (ident, want))
        if crc16(b[16:16 + crclen]) != crc:
            raise Bad('tag CRC (id %d)' % ident)
        if loc is not None and tloc != loc:
            raise Bad('tag location %d, expected %d (id %d)' % (tloc, loc, ident))

    def lb(self, part, lb):
        if part == 0:
            return self.part + lb
        for mlb, mabs, n in self.meta or []:
            if mlb <= lb < mlb + n:
                return mabs + lb - mlb
        raise Bad('logical block %d of partition %d not mapped' % (lb, part))

    def open(self):
        a = self.blocks(256)
        self.tag(a, 2, 256)
        vlen, vloc = struct.unpack_from('<II', a, 16)
        lvd = None
        for i in range(vlen // BS):
            d = self.blocks(vloc + i)
            ident = struct.unpack_from('<H', d, 0)[0]
            if ident == 8:
                break
            if ident == 5:
                self.tag(d, 5, vloc + i)
                self.part, self.part_len = struct.unpack_from('<II', d, 188)
            elif ident == 6:
                self.tag(d, 6, vloc + i)
                lvd = d
        if lvd is None:
            raise Bad('no logical volume descriptor')
        nmaps = struct.unpack_from('<I', lvd, 268)[0]
        pos = 440
        for _ in range(nmaps):
            mtype, mlen = lvd[pos], lvd[pos + 1]
            if mtype == 2 and lvd[pos + 5:pos + 28] == b'*UDF Metadata Partition':
                mfile, mirror = struct.unpack_from('<II', lvd, pos + 40)
                fe = self.icb(0, mfile)
                self.meta, lbn = [], 0
                for part, loc, ln in fe['ext']:
                    self.meta.append((lbn, self.part + loc, ln // BS))
                    lbn += ln // BS
                # the readers read the metadata file only: its mirror must hold the same bytes
                if mirror != 0xFFFFFFFF:
                    main, copy = self.data(fe), self.data(self.icb(0, mirror))
                    if main != copy:
                        at = next(i for i in range(min(len(main), len(copy))) if main[i] != copy[i]) \
                            if len(main) == len(copy) else min(len(main), len(copy))
                        raise Bad('the metadata mirror file differs from the metadata file (%d and %d bytes, '
                                  'first at block %d)' % (len(main), len(copy), at // BS))
            pos += mlen
        flen, flb, fpart = struct.unpack_from('<IIH', lvd, 248)
        fsd = self.blocks(self.lb(fpart, flb))
        self.tag(fsd, 0x100, flb)
        _, rlb, rpart = struct.unpack_from('<IIH', fsd, 400)
        return rpart, rlb

    def icb(self, part, lb):
        b = self.blocks(self.lb(part, lb))
        ident = struct.unpack_from('<H', b, 0)[0]
        self.tag(b, ident, lb)
        if ident not in (0x105, 0x10A):
            raise Bad('not a file entry at %d:%d (tag %d)' % (part, lb, ident))
        efe = ident == 0x10A
        hdr = 216 if efe else 176
        r = {'type': b[27], 'flags': struct.unpack_from('<H', b, 34)[0],
             'size': struct.unpack_from('<Q', b, 56)[0], 'ext': [], 'sdir': None}
        if efe:
            slen, slb, spart = struct.unpack_from('<IIH', b, 152)
            if slen:
                r['sdir'] = (spart, slb)
        lea, lad = struct.unpack_from('<II', b, hdr - 8)
        ad_type = r['flags'] & 7
        if ad_type not in (0, 1):
            raise Bad('allocation descriptor type %d' % ad_type)
        size = 16 if ad_type == 1 else 8
        ads, base = b, hdr + lea
        while True:
            more = None
            for off in range(base, base + lad, size):
                lt, pos = struct.unpack_from('<II', ads, off)
                p = struct.unpack_from('<H', ads, off + 8)[0] if ad_type == 1 else part
                ln, kind = lt & 0x3FFFFFFF, lt >> 30
                if kind == 3:
                    more = (p, pos)
                    break
                r['ext'].append((p, pos, ln))
            if not more:
                break
            ads = self.blocks(self.lb(*more))
            self.tag(ads, 0x102, more[1])
            lad, base = struct.unpack_from('<I', ads, 20)[0], 24
        return r

    def data(self, r):
        out = bytearray()
        for part, pos, ln in r['ext']:
            out += self.blocks(self.lb(part, pos), (ln + BS - 1) // BS)[:ln]
        if len(out) != r['size']:
            raise Bad('extents hold %d bytes, information length %d' % (len(out), r['size']))
        return bytes(out)

    def fids(self, r):
        d, pos, out = self.data(r), 0, []
        while pos < len(d):
            lfi, liu = d[pos + 19], struct.unpack_from('<H', d, pos + 36)[0]
            n = (38 + liu + lfi + 3) & ~3
            chars = d[pos + 18]
            _, lb, part = struct.unpack_from('<IIH', d, pos + 20)
            raw = d[pos + 38 + liu:pos + 38 + liu + lfi]
            if raw[:1] == b'\x08':
                name = raw[1:].decode('latin-1')
            elif raw[:1] == b'\x10':
                name = raw[1:].decode('utf-16-be')
            else:
                name = ''
            out.append((chars, name, part, lb))
            pos += n
        return out


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    u = Udf(sys.argv[1])
    lines = []
    try:
        rpart, rlb = u.open()
        todo = [('', rpart, rlb)]
        while todo:
            path, part, lb = todo.pop()
            d = u.icb(part, lb)
            if d['type'] != 4:
                raise Bad('%s: directory of type %d' % (path or '/', d['type']))
            for chars, name, cpart, clb in u.fids(d):
                if chars & 0x08:
                    continue                            # the parent
                p = path + '/' + name
                if chars & 0x01:
                    lines.append('hidden %s' % p)
                if chars & 0x02:
                    todo.append((p, cpart, clb))
                    continue
                f = u.icb(cpart, clb)
                if f['type'] != 5:
                    lines.append('type %s %d' % (p, f['type']))
                if f['sdir']:
                    sd = u.icb(*f['sdir'])
                    if sd['type'] != 13:
                        raise Bad('%s: stream directory of type %d' % (p, sd['type']))
                    for schars, sname, spart, slb in u.fids(sd):
                        if schars & 0x08:
                            if (spart, slb) != (cpart, clb):
                                raise Bad('%s: the stream directory\'s parent is not the file' % p)
                            continue
                        s = u.icb(spart, slb)
                        b = u.data(s)
                        lines.append('stream %s:%s %d %s' % (p, sname, len(b), hashlib.sha256(b).hexdigest()))
    except (Bad, struct.error) as e:
        print('error: %s' % e)
        return 1
    for l in sorted(lines):
        print(l)
    return 0


if __name__ == '__main__':
    sys.exit(main())
