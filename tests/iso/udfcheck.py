#!/usr/bin/python3
"""udfcheck.py judge --img IMG --src SRC --work WORK [--rev 0x250] [--no-follow-links] [--hidden REL]...

Judges the outputs of the UDF readers that check-udf.sh ran (WORK/NAME.out/.err/.rc) against the
source folder: prints 'ok - ...' / 'not ok - ...' per check (failure details as '#   ' lines) and
'N passed, N failed' last. Exit status 1 when a check failed.

Source semantics are those of check-image.sh: symlinks followed (a dangling link, and a link to
one of its own ancestors, are absent from the image), or with --no-follow-links all left out.
--hidden REL: a file of the source recorded hidden in the image (FID characteristic bit 0); udfdump
and udfclient do not list hidden files, so it must be absent from theirs (7-Zip extracts it).
"""
import argparse
import hashlib
import os
import re
import stat
import sys


def sha(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            h.update(b)
    return h.hexdigest()


class Tree:
    """dirs: set of relative folder paths ('' is the root); files: relpath -> (size, path)"""

    def __init__(self):
        self.dirs = {''}
        self.files = {}


def walk_source(root, follow):
    t = Tree()

    def walk(path, rel, ancestors):
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            r = rel + e.name
            try:
                if e.is_symlink():
                    if not follow:
                        continue
                    try:
                        st = os.stat(e.path)
                    except OSError:
                        continue                    # dangling or a loop of links
                    if stat.S_ISDIR(st.st_mode):
                        real = os.path.realpath(e.path)
                        if real in ancestors:
                            continue                # a link to an ancestor: left out
                        t.dirs.add(r)
                        walk(e.path, r + '/', ancestors | {real})
                    elif stat.S_ISREG(st.st_mode):
                        t.files[r] = (st.st_size, e.path)
                elif e.is_dir(follow_symlinks=False):
                    t.dirs.add(r)
                    walk(e.path, r + '/', ancestors | {os.path.realpath(e.path)})
                elif e.is_file(follow_symlinks=False):
                    t.files[r] = (e.stat(follow_symlinks=False).st_size, e.path)
            except OSError:
                pass

    walk(root, '', {os.path.realpath(root)})
    return t


def walk_plain(root):
    t = Tree()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        rel = '' if rel == '.' else rel + '/'
        for d in dirnames:
            t.dirs.add(rel + d)
        for f in filenames:
            p = os.path.join(dirpath, f)
            t.files[rel + f] = (os.lstat(p).st_size, p)
    return t


def is_truncation(img, src):
    """img is src cut to fit (a head, or a head plus the tail that keeps the extension), with an
    optional ~N uniqueness mark before the kept tail"""
    if len(img) >= len(src) or not img:
        return False
    base = re.sub(r'~\d+(?=(\.[^.]*)?$)', '', img)
    for cand in (img, base):
        for k in range(len(cand), 0, -1):
            m = len(cand) - k
            if cand[:k] == src[:k] and cand[k:] == src[len(src) - m:]:
                return True
    return False


class Judge:
    def __init__(self, args):
        self.a = args
        self.passed = self.failed = 0
        self.src = walk_source(args.src, args.follow)
        self.hidden = set(args.hidden or [])
        self.digests = {}

    def digest(self, path):
        d = self.digests.get(path)
        if d is None:
            d = self.digests[path] = sha(path)
        return d

    def report(self, ok, what, details=()):
        print('%s - %s' % ('ok' if ok else 'not ok', what))
        if not ok:
            for d in list(details)[:20]:
                print('#   %s' % d)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def note(self, s):
        print('# note: %s' % s)

    def out(self, name, ext='out'):
        try:
            with open(os.path.join(self.a.work, '%s.%s' % (name, ext)), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def rc(self, name):
        s = self.out(name, 'rc').strip()
        return int(s) if s else -1

    # --- checks --------------------------------------------------------------------------------
    def sevenzip_test(self):
        o = self.out('7z-t') + self.out('7z-t', 'err')
        bad = [l for l in o.splitlines() if re.search(r'WARNING|ERROR|Error|error|data after', l)]
        ok = self.rc('7z-t') == 0 and not bad and 'Everything is Ok' in o
        self.report(ok, '7z t -tudf: exit %d, %s' % (self.rc('7z-t'), 'Everything is Ok' if ok else 'complaints'),
                    bad or o.splitlines()[-5:])

    def compare_exact(self, label, root):
        img = walk_plain(root)
        problems, notes = [], []
        src_dirs, src_files = set(self.src.dirs), dict(self.src.files)
        # names cut to fit UDF's 255 bytes: map them back
        for p in sorted(img.files):
            if p in src_files:
                continue
            d, _, n = p.rpartition('/')
            cands = [s for s in src_files if s.rpartition('/')[0] == d and is_truncation(n, s.rpartition('/')[2])
                     and s not in img.files]
            if len(cands) >= 1:
                notes.append('%s -> %s' % (cands[0], p))
                img.files[cands[0]] = img.files.pop(p)
        for d in sorted(src_dirs - img.dirs):
            problems.append('folder missing: %s' % d)
        for d in sorted(img.dirs - src_dirs):
            problems.append('folder not in the source: %s' % d)
        for p in sorted(set(src_files) - set(img.files)):
            problems.append('file missing: %s' % p)
        for p in sorted(set(img.files) - set(src_files)):
            problems.append('file not in the source: %s' % p)
        compared = 0
        for p in sorted(set(src_files) & set(img.files)):
            (ss, sp), (is_, ip) = src_files[p], img.files[p]
            if ss != is_:
                problems.append('%s: size %d, source %d' % (p, is_, ss))
            elif self.digest(sp) != sha(ip):
                problems.append('%s: content differs' % p)
            else:
                compared += 1
        if notes:
            self.note('%d name(s) cut to fit 255 CS0 bytes: %s' % (len(notes), '; '.join(notes[:5])))
        self.report(not problems, '%s: %d files and %d folders, names and bytes equal to the source (%d compared)'
                    % (label, len(img.files), len(img.dirs) - 1, compared), problems)

    def compare_multiset(self, label, root):
        img = walk_plain(root)
        want = sorted((s, self.digest(p)) for r, (s, p) in self.src.files.items() if r not in self.hidden)
        got = sorted((s, sha(p)) for s, p in img.files.values())
        problems = []
        if want != got:
            w, g = set(want), set(got)
            problems += ['missing (size, sha256): %d %s' % x for x in sorted(w - g)]
            problems += ['not in the source (size, sha256): %d %s' % x for x in sorted(g - w)]
            if not problems:
                problems.append('%d files, source %d' % (len(got), len(want)))
        if len(img.dirs) != len(self.src.dirs):
            problems.append('%d folders, source %d' % (len(img.dirs) - 1, len(self.src.dirs) - 1))
        self.report(not problems, '%s: %d files (bytes as a multiset: it maps non-ASCII names) and %d folders'
                    % (label, len(img.files), len(img.dirs) - 1), problems)

    def udfinfo(self):
        o, e, rc = self.out('udfinfo'), self.out('udfinfo', 'err'), self.rc('udfinfo')
        kv = dict(l.split('=', 1) for l in o.splitlines() if '=' in l)
        problems = []
        if rc != 0:
            problems.append('exit %d' % rc)
        for l in e.splitlines():
            if not l.strip():
                continue
            if self.a.multisession and 'Partition Space overlaps with other blocks' in l:
                # a later session's partition reaches down to the first session's data and so
                # holds this session's own descriptors (docs/conformance.md, multisession)
                self.note('udfinfo: %s (expected: multisession layout)' % l.strip())
                continue
            problems.append('stderr: %s' % l)
        nfiles, ndirs = len(self.src.files), len(self.src.dirs)       # dirs: root included
        want = {'integrity': 'closed', 'accesstype': 'readonly', 'blocksize': '2048',
                'numfiles': str(nfiles), 'numdirs': str(ndirs), 'freeblocks': '0',
                'blocks': str(os.path.getsize(self.a.img) // 2048)}
        if self.a.rev:
            r = int(self.a.rev, 0)
            rd = min(r, 0x250)
            want['udfrev'] = '%x.%02x' % (rd >> 8, rd & 0xFF)
            want['udfwriterev'] = '%x.%02x' % (r >> 8, r & 0xFF)
        for k, v in want.items():
            if kv.get(k) != v:
                problems.append('%s=%s, expected %s' % (k, kv.get(k), v))
        self.report(not problems, 'udfinfo: %s' % ', '.join('%s=%s' % (k, kv.get(k)) for k in
                    ('udfrev', 'udfwriterev', 'integrity', 'numfiles', 'numdirs', 'usedblocks', 'freeblocks')),
                    problems)

    def udfdump(self):
        o, rc = self.out('udfdump') + self.out('udfdump', 'err'), self.rc('udfdump')
        pat = re.compile(r"warn|error|bad |corrupt|invalid|fail|mismatch|can't|cannot|not found|damaged", re.I)
        listed = [l for l in o.splitlines() if l.startswith(':Rootdir/')]
        # file names ("system_error") are not complaints
        bad = [l for l in o.splitlines() if pat.search(l) and not l.startswith((':Rootdir/', ':Streamdir'))]
        problems = list(bad)
        if rc != 0:
            problems.insert(0, 'exit %d' % rc)
        if 'marked closed' not in o:
            problems.append('integrity not reported closed')
        want = len(self.src.files) - len(self.hidden & set(self.src.files))
        if len(listed) != want:
            problems.append('lists %d files, source %d (%d hidden)' % (len(listed), len(self.src.files),
                                                                      len(self.hidden)))
        problems += ['lists hidden %s' % h for h in sorted(self.hidden) if ':Rootdir/' + h in listed]
        self.report(not problems, 'udfdump -t -b 2048: exit %d, no complaints, %d files in its tree dump'
                    % (rc, len(listed)), problems)

    def udfclient_ls(self):
        o, rc = self.out('udfclient-ls'), self.rc('udfclient-ls')
        vols = [l for l in o.splitlines() if re.match(r'^d[-rwx]{9}\s', l)]
        problems = []
        if rc != 0:
            problems.append('exit %d' % rc)
        if len(set(vols)) != 1:
            problems.append('%d volumes listed' % len(set(vols)))
        problems += [l for l in o.splitlines() if re.search(r'error|fail|corrupt|invalid', l, re.I)
                     and not re.match(r'^[-d][rwx-]{9}\s', l)]
        self.report(not problems, 'udfclient ls: exit %d, one logical volume listed' % rc, problems)

    def placement(self):
        o, rc = self.out('udfplace'), self.rc('udfplace')
        lines = o.splitlines()
        measured = [l for l in lines if re.match(r'(not )?ok - ', l)]
        self.report(rc == 0, 'udfplace.py: exit %d, %d distance%s measured%s' % (
            rc, len(measured), '' if len(measured) == 1 else 's', ' (not required below 2.50)'
            if not measured else ''), [l for l in lines if not l.startswith('ok - ')])

    def run(self):
        self.sevenzip_test()
        if self.rc('7z-x') != 0:
            self.report(False, '7z x -tudf: exit %d' % self.rc('7z-x'), self.out('7z-x').splitlines()[-5:])
        else:
            self.compare_exact('7z x -tudf', os.path.join(self.a.work, 'x-7z'))
        self.udfinfo()
        self.udfdump()
        self.udfclient_ls()
        if self.rc('udfclient-get') != 0:
            self.report(False, 'udfclient get: exit %d' % self.rc('udfclient-get'))
        else:
            self.compare_multiset('udfclient get', os.path.join(self.a.work, 'x-udfclient', 'vol'))
        self.placement()
        print('%d passed, %d failed' % (self.passed, self.failed))
        return 1 if self.failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['judge'])
    ap.add_argument('--img', required=True)
    ap.add_argument('--src', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--rev')
    ap.add_argument('--multisession', action='store_true',
                    help="a later session: udfinfo's partition overlap warning is expected")
    ap.add_argument('--no-follow-links', dest='follow', action='store_false')
    ap.add_argument('--hidden', action='append', help='a file recorded hidden (repeatable)')
    a = ap.parse_args()
    sys.exit(Judge(a).run())


if __name__ == '__main__':
    main()
