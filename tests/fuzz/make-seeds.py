#!/usr/bin/env python3
"""Write the seed corpora of tests/fuzz/corpus (small, committed). Usage:
    tests/fuzz/make-seeds.py [FSIMAGE]
The writer seeds are tree descriptions in fuzz_writer.c's input format; the identify seeds are the
volume recognition areas of images native fsimage writes (ISO 9660 + Joliet, UDF alone, all three), in
fuzz_identify.c's format. Without FSIMAGE (build/native/src/cli/fsimage) only the writer seeds are written.
SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-~ !#$%&'()+,;=@[]^`{}"

def name(s):
    """A name: characters of NAME_CHARS by index, anything else as raw UTF-16 (0xF0 hi lo)."""
    units = []
    for ch in s:
        if ch in NAME_CHARS:
            units.append(bytes([NAME_CHARS.index(ch)]))
        else:
            raw = ch.encode('utf-16-be')
            for i in range(0, len(raw), 2):
                units.append(bytes([0xF0]) + raw[i:i + 2])
    n = len(units)
    head = bytes([(n - 1) % 24]) if n <= 24 else bytes([0x80, n % 300])
    return head + b''.join(units)

def size(n):
    """A size byte sequence for exactly n (n < 64, multiples of 97 up to 63*97, or 3*k)."""
    if n < 64:
        return bytes([n])
    if n % 97 == 0 and n // 97 < 64:
        return bytes([64 + n // 97])
    for delta, low in ((-1, 0), (0, 1), (1, 2), (1000, 3)):
        k, r = divmod(n - delta, 2048)
        if r == 0 and 0 <= k < 16:
            return bytes([128 + (k << 2) + low])
    assert n % 3 == 0 and n // 3 < 65536, n
    return bytes([192, (n // 3) >> 8, (n // 3) & 255])

def f(nm, n, hidden=False):
    return bytes([0]) + name(nm) + size(n) + bytes([1 if hidden else 0])

def d(nm):
    return bytes([3]) + name(nm)

def merge(*items):
    """AddTree: a detached subtree of ('d', name, enter) and ('f', name, size) merged here."""
    out = bytes([2, len(items)])
    for it in items:
        if it[0] == 'd':
            out += bytes([1 | (2 if it[2] else 0)]) + name(it[1])
        else:
            out += bytes([0]) + name(it[1]) + size(it[2]) + bytes([0])
    return out

UP = bytes([5])
END = bytes([0xFF])

def opts(fs, level=2, strict=False, vol=None, boot=None, g=0):
    b = fs | ((level - 1) << 3) | (0x20 if strict else 0) | (0x40 if vol is not None else 0) | (0x80 if boot else 0)
    out = bytes([b, g])
    if vol is not None:
        out += name(vol)
    if boot:
        out += boot
    return out

ISO, JOLIET, UDF = 1, 2, 4

def writer_seeds():
    seeds = {}
    seeds['iso-joliet-small'] = opts(ISO | JOLIET, 2, vol='My Disc') + \
        f('readme.txt', 6) + f('empty', 0) + d('dir') + f('b.bin', 2048) + f('c.bin', 2049) + \
        d('sub') + f('x', 3000) + UP + UP + f('z.dat', 1, hidden=True) + END + bytes([3, 200, 7])
    seeds['level1-collisions'] = opts(ISO | JOLIET, 1) + b''.join(
        f('long file name number %d.text' % i, i * 3) for i in range(12)) + END
    seeds['unicode-joliet'] = opts(JOLIET, 2) + f('\u00fcnic\u00f6de \u20ac.txt', 30) + \
        f('x' * 80 + '.name', 9) + f('\U0001F600 smile', 5) + d('Ordner \u00e4') + f('a:b;c?', 3) + END
    seeds['deep-strict'] = opts(ISO | JOLIET, 2, strict=True) + b''.join(d('L%d' % i) for i in range(10)) + \
        f('bottom', 10) + END
    seeds['deep-relaxed'] = opts(ISO | JOLIET, 3) + b''.join(d('level%d' % i) for i in range(12)) + \
        f('bottom', 10) + END
    seeds['udf-bridge-boot'] = opts(ISO | JOLIET | UDF, 2, boot=bytes([1]) + size(2046), g=0x0B) + \
        f('a', 97) + d('d') + f('b', 4096) + END
    seeds['udf-250-mirror'] = opts(UDF, 2, g=0x0A) + f('one', 1) + d('two') + f('three', 2047) + END
    seeds['remove-and-times'] = opts(ISO | JOLIET, 2) + f('a', 5) + f('b', 6) + d('c') + f('d', 7) + UP + \
        bytes([6 | (1 << 3)]) + bytes([7 | (5 << 3)]) + f('e', 8) + END
    seeds['session-start'] = opts(ISO | JOLIET, 2, g=0xC2) + f('file', 5001) + END
    seeds['no-output'] = opts(0) + f('a', 1) + END
    seeds['merge'] = opts(ISO | JOLIET, 2) + d('dir') + f('old', 5) + f('keep', 6) + UP + f('file', 7) + \
        merge(('d', 'dir', True), ('f', 'old', 8), ('f', 'new', 9)) + \
        merge(('f', 'dir', 10)) + merge(('d', 'file', False)) + END
    return seeds

def identify_seeds(mkiso):
    seeds = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'src')
        os.mkdir(src)
        with open(os.path.join(src, 'hello.txt'), 'wb') as fh:
            fh.write(b'hello\n')
        for label, args in (('iso-joliet', []), ('udf-only', ['--fs', 'udf']),
                            ('bridge-250', ['--fs', 'iso,joliet,udf', '--udf', '2.50'])):
            out = os.path.join(tmp, label + '.iso')
            subprocess.run([mkiso, '-q', *args, src, out], check=True, stdout=subprocess.DEVNULL)
            img = open(out, 'rb').read()
            total = len(img) // 2048
            # blocks 16 .. the first block that is not a recognition descriptor, then the AVDP
            pieces = []
            for b in range(16, 16 + 64):
                blk = img[b * 2048:(b + 1) * 2048]
                if blk[1:6] not in (b'CD001', b'BEA01', b'NSR02', b'NSR03', b'TEA01', b'BOOT2', b'CDW02'):
                    break
                pieces.append(blk)
            if total > 256:
                pieces.append(img[256 * 2048:257 * 2048])
            seeds[label] = bytes([total & 255, (total >> 8) & 255, (total >> 16) & 15]) + b''.join(pieces)
    return seeds

def write(kind, seeds):
    d = os.path.join(HERE, 'corpus', kind)
    os.makedirs(d, exist_ok=True)
    for k, v in seeds.items():
        with open(os.path.join(d, k), 'wb') as fh:
            fh.write(v)

write('writer', writer_seeds())
if len(sys.argv) > 1:
    write('identify', identify_seeds(sys.argv[1]))
