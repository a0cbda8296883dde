#!/usr/bin/python3
"""isocheck.py: the judge behind check-image.sh (run with /usr/bin/python3, which has pycdlib).

check-image.sh runs every outside reader once and leaves each one's stdout, stderr, exit status
and run time in a work folder as NAME.out, NAME.err, NAME.rc, NAME.time. This script reads those,
walks the source folder (following its symlinks the way the image writer should), reads the
image itself with pycdlib, compares everything with the source and prints one TAP-like line per
check ('ok - ...' / 'not ok - ...', details as '#' lines) and a last line 'N passed, N failed'.
Exit status 1 if any check failed.

    isocheck.py judge --img IMG --src SRCDIR --work DIR [--fs iso,joliet] [--level N]
                      [--volume NAME] [--follow-links | --no-follow-links]

All per-file work (hashing, path matching) happens here, in one process: no process per file.
"""

import argparse
import collections
import hashlib
import os
import re
import stat
import sys
import time

BLOCK = 2048
TIMES = []                     # 'reader seconds', shown once at the end
JOLIET_MAX_UNITS = 64          # Joliet's limit for a name, in UTF-16 units
MAX_DETAILS = 25               # detail lines shown per failed check


# ------------------------------------------------------------------------------------------
# output
# ------------------------------------------------------------------------------------------
class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.truncation_shown = False
        self.times = []

    def check(self, ok, what, details=(), notes=()):
        if ok:
            self.passed += 1
            print('ok - ' + what)
        else:
            self.failed += 1
            print('not ok - ' + what)
            details = list(details)
            for d in details[:MAX_DETAILS]:
                print('#   ' + one_line(d))
            if len(details) > MAX_DETAILS:
                print('#   ... and %d more' % (len(details) - MAX_DETAILS))
        for n in notes:
            self.note(n)
        sys.stdout.flush()
        return ok

    def note(self, text):
        """Information, not a failure: '# note: ...' (failure details are '#   ...')."""
        print('# note: ' + one_line(text))


def one_line(s):
    s = str(s).replace('\n', '\\n')
    return s if len(s) <= 400 else s[:400] + '...'


def show(s):
    """A name for a message: non-printables escaped, surrogates shown as \\udXXX, quoted when a
    part of it starts or ends with a space (or it would not be seen)."""
    if not isinstance(s, str):
        return repr(s)
    s = s.encode('utf-8', 'backslashreplace').decode('utf-8')
    if any(part != part.strip() for part in s.split('/')):
        return '"%s"' % s
    return s


def units(name):
    """Length of a name in UTF-16 code units (what Joliet counts)."""
    return len(name.encode('utf-16-be', 'surrogatepass')) // 2


# ------------------------------------------------------------------------------------------
# trees: Node('d') has children {name: Node}; Node('f') has size (and digest or a reader)
# ------------------------------------------------------------------------------------------
class Node:
    __slots__ = ('kind', 'children', 'size', 'digest', 'path', 'extents', 'real')

    def __init__(self, kind, size=0, path=None):
        self.kind = kind            # 'd' dir, 'f' file, 'l' symlink, 'o' other
        self.children = {} if kind == 'd' else None
        self.size = size
        self.digest = None
        self.path = path            # where to read the bytes (file system path) if any
        self.extents = None         # [(lba, length)] for files read from an image
        self.real = None


def iter_nodes(node, prefix=''):
    """(relpath, node) for every entry below node, depth first, sorted."""
    for name in sorted(node.children):
        child = node.children[name]
        rel = prefix + name
        yield rel, child
        if child.kind == 'd':
            yield from iter_nodes(child, rel + '/')


def count(node):
    c = collections.Counter(n.kind for _, n in iter_nodes(node))
    return c['f'], c['d'], c['l'] + c['o']


def tree_from_paths(entries):
    """entries: [(relpath, kind, size)] -> root Node. Parent folders are made as needed."""
    root = Node('d')
    for rel, kind, size in entries:
        parts = [p for p in rel.split('/') if p not in ('', '.')]
        if not parts:
            continue
        d = root
        for p in parts[:-1]:
            nxt = d.children.get(p)
            if nxt is None or nxt.kind != 'd':
                nxt = d.children[p] = Node('d')
            d = nxt
        last = parts[-1]
        if kind == 'd':
            if last not in d.children or d.children[last].kind != 'd':
                d.children[last] = Node('d')
        elif last in d.children and d.children[last].kind == 'f' and kind == 'f':
            d.children[last].size += size      # a second extent of the same file
        else:
            d.children[last] = Node(kind, size)
    return root


def files_only(node):
    """A copy of the tree without folders that hold no file anywhere below."""
    out = Node('d')
    for name, c in node.children.items():
        if c.kind == 'd':
            sub = files_only(c)
            if sub.children:
                out.children[name] = sub
        else:
            out.children[name] = c
    return out


def sha(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------
# source
# ------------------------------------------------------------------------------------------
class Source:
    def __init__(self, root, follow):
        self.root = root
        self.follow = follow
        self.left_out = []          # (relpath, why)
        self.digests = {}           # (dev, ino) -> digest, so a file seen twice is hashed once
        self.tree = self._walk(root, '', {os.path.realpath(root)})

    def _walk(self, path, rel, ancestors):
        node = Node('d')
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as e:
            self.left_out.append((rel or '.', 'unreadable folder: %s' % e))
            return node
        for e in entries:
            r = rel + e.name
            try:
                if e.is_symlink():
                    if not self.follow:
                        self.left_out.append((r, 'symlink (links not followed)'))
                        continue
                    try:
                        st = os.stat(e.path)
                    except OSError as err:
                        why = 'symlink loop' if 'loop' in str(err).lower() else 'dangling symlink'
                        self.left_out.append((r, '%s -> %s' % (why, os.readlink(e.path))))
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        real = os.path.realpath(e.path)
                        if real in ancestors:
                            self.left_out.append((r, 'symlink loop -> %s (an ancestor)' % os.readlink(e.path)))
                            continue
                        node.children[e.name] = self._walk(e.path, r + '/', ancestors | {real})
                    elif stat.S_ISREG(st.st_mode):
                        node.children[e.name] = self._file(e.path, st)
                    else:
                        self.left_out.append((r, 'symlink to a special file'))
                elif e.is_dir(follow_symlinks=False):
                    real = os.path.realpath(e.path)
                    node.children[e.name] = self._walk(e.path, r + '/', ancestors | {real})
                elif e.is_file(follow_symlinks=False):
                    node.children[e.name] = self._file(e.path, e.stat(follow_symlinks=False))
                else:
                    self.left_out.append((r, 'special file (fifo, socket or device)'))
            except OSError as err:
                self.left_out.append((r, 'unreadable: %s' % err))
        return node

    def _file(self, path, st):
        n = Node('f', st.st_size, path)
        n.real = (st.st_dev, st.st_ino)
        return n

    def digest(self, node):
        if node.digest is None:
            d = self.digests.get(node.real)
            if d is None:
                d = self.digests[node.real] = sha(node.path)
            node.digest = d
        return node.digest


# ------------------------------------------------------------------------------------------
# matching an image tree against the source
# ------------------------------------------------------------------------------------------
def is_truncation(img_name, src_name):
    """True if img_name is src_name shortened: a head of it, or a head plus its tail
    (writers keep the extension when they cut a name: 'LLL...L.txt')."""
    if len(img_name) >= len(src_name) or not img_name:
        return False
    for k in range(len(img_name), 0, -1):
        m = len(img_name) - k
        if img_name[:k] == src_name[:k] and img_name[k:] == src_name[len(src_name) - m:]:
            return True
    return False


class Match:
    def __init__(self):
        self.missing = []      # source paths absent from the image
        self.extra = []        # image paths absent from the source
        self.kind = []         # same path, different kind
        self.truncated = []    # (source path, image name)
        self.pairs = []        # (relpath, source node, image node) for files


def match_trees(src, img, allow_truncation):
    res = Match()

    def walk(s, i, prefix):
        left = dict(i.children)
        unmatched = []
        for name in sorted(s.children):
            inode = left.pop(name, None)
            if inode is None:
                unmatched.append(name)
            else:
                pair(prefix + name, s.children[name], inode)
        for name in unmatched:
            cands = []
            if allow_truncation and units(name) > JOLIET_MAX_UNITS:
                cands = sorted((n for n in left if is_truncation(n, name)), key=len, reverse=True)
            if cands:
                res.truncated.append((prefix + name, cands[0]))
                pair(prefix + name, s.children[name], left.pop(cands[0]))
            else:
                res.missing.append(prefix + name + ('/' if s.children[name].kind == 'd' else ''))
        for name in sorted(left):
            res.extra.append(prefix + name + ('/' if left[name].kind == 'd' else ''))

    def pair(rel, s, i):
        if s.kind != i.kind:
            res.kind.append('%s: source %s, image %s' % (show(rel), kind_word(s.kind), kind_word(i.kind)))
        elif s.kind == 'd':
            walk(s, i, rel + '/')
        else:
            res.pairs.append((rel, s, i))

    walk(src, img, '')
    return res


def kind_word(k):
    return {'d': 'folder', 'f': 'file', 'l': 'symlink', 'o': 'special file'}.get(k, k)


def report_match(rep, what, m, src, content=None, notes=(), extra=()):
    """One check line from a Match. content: function(image node) -> digest, or None.
    extra: further failure details (the reader's own complaints)."""
    details = list(extra)
    details += ['missing from image: ' + show(p) for p in m.missing]
    details += ['not in source: ' + show(p) for p in m.extra]
    details += ['kind differs: ' + k for k in m.kind]
    bad_content = 0
    if content is not None:
        for rel, s, i in m.pairs:
            if s.size != i.size:
                details.append('size differs: %s: source %d, image %d' % (show(rel), s.size, i.size))
                bad_content += 1
                continue
            try:
                d = content(i)
            except Exception as e:   # a read past the end of a truncated image, say
                details.append('cannot read %s: %s' % (show(rel), e))
                bad_content += 1
                continue
            if d != src.digest(s):
                details.append('content differs: %s (%d bytes)' % (show(rel), s.size))
                bad_content += 1
    else:
        for rel, s, i in m.pairs:
            if i.size is not None and i.size >= 0 and s.size != i.size:
                details.append('size differs: %s: source %d, image %d' % (show(rel), s.size, i.size))
    notes = list(notes)
    if m.truncated and rep.truncation_shown:
        notes.append('%d Joliet name(s) cut to fit, matched by head/tail (listed above)' % len(m.truncated))
    elif m.truncated:
        rep.truncation_shown = True
        notes.append('%d Joliet name(s) cut to fit (source name over %d UTF-16 units), matched by head/tail:'
                     % (len(m.truncated), JOLIET_MAX_UNITS))
        for p, n in m.truncated[:10]:
            notes.append('  truncated: %s -> %s (%d -> %d units)' % (show(p), show(n), units(p.rsplit('/', 1)[-1]), units(n)))
        if len(m.truncated) > 10:
            notes.append('  ... and %d more truncated' % (len(m.truncated) - 10))
    f, d, _ = count(src)
    what = '%s (%d files, %d folders in source; %d files compared%s)' % (
        what, f, d, len(m.pairs), '' if content is None else ' byte for byte')
    return rep.check(not details, what, details, notes)


def report_multiset(rep, what, src, img, content):
    """Without Joliet, names are mapped (upper case, 8.3, ;1): compare counts and the multiset of
    (size, digest) of files, and the number of folders."""
    sf, sd, _ = count(src)
    imf, imd, imo = count(img)
    details = []
    if imf != sf:
        details.append('files: source %d, image %d' % (sf, imf))
    if imd != sd:
        details.append('folders: source %d, image %d' % (sd, imd))
    if imo:
        details.append('image has %d symlinks or special files' % imo)
    s_set = collections.Counter()
    for _, n in iter_nodes(src):
        if n.kind == 'f':
            s_set[(n.size, src.digest(n) if content else None)] += 1
    i_set = collections.Counter()
    for rel, n in iter_nodes(img):
        if n.kind == 'f':
            try:
                i_set[(n.size, content(n) if content else None)] += 1
            except Exception as e:
                details.append('cannot read %s: %s' % (show(rel), e))
    for (size, dg), k in sorted((s_set - i_set).items(), key=lambda x: x[0][0]):
        details.append('%d source file(s) of %d bytes%s have no equal in the image' % (k, size, '' if dg is None else ' (sha256 %s)' % dg[:16]))
    for (size, dg), k in sorted((i_set - s_set).items(), key=lambda x: x[0][0]):
        details.append('%d image file(s) of %d bytes%s have no equal in the source' % (k, size, '' if dg is None else ' (sha256 %s)' % dg[:16]))
    what = '%s (%d files, %d folders in source; names not compared: no Joliet; %s)' % (
        what, sf, sd, 'size+sha256 multiset' if content else 'size multiset')
    return rep.check(not details, what, details)


# Source.digest is used by report_match via src.digest: give the tree root that method
class SrcView:
    def __init__(self, source):
        self.source = source
        self.children = source.tree.children
        self.kind = 'd'

    def digest(self, node):
        return self.source.digest(node)


# ------------------------------------------------------------------------------------------
# reading the tool outputs
# ------------------------------------------------------------------------------------------
class Tool:
    def __init__(self, work, name):
        self.name = name
        base = os.path.join(work, name)
        self.ran = os.path.exists(base + '.rc')
        self.rc = int(open(base + '.rc').read().strip() or -1) if self.ran else None
        self.out = read_text(base + '.out')
        self.err = read_text(base + '.err')
        self.secs = None
        if os.path.exists(base + '.time'):
            t = open(base + '.time').read().split()
            if len(t) == 2:
                self.secs = float(t[1]) - float(t[0])

    def complaint(self, limit=12):
        """The tool's own words, for a failure."""
        lines = [l for l in self.err.splitlines() if l.strip()]
        lines = ['exit status %s' % self.rc] + ['stderr: ' + l for l in lines[:limit]]
        if self.rc == 124:
            lines.insert(0, 'timed out')
        return lines

    def timing(self):
        if self.secs is not None:
            TIMES.append('%s %.2f' % (self.name, self.secs))
        return None


def read_text(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'surrogateescape')
    except FileNotFoundError:
        return ''


# ------------------------------------------------------------------------------------------
# pycdlib
# ------------------------------------------------------------------------------------------
def pycdlib_tree(root_rec, joliet, notes):
    """Walk directory records into a Node tree. Rock Ridge relocation (CL/RE, RR_MOVED) is
    undone so the tree has the source's shape; multi-extent files are merged."""
    rr_moved_seen = []

    def name_of(rec):
        raw = rec.file_identifier()
        if joliet:
            n = raw.decode('utf-16-be', 'surrogatepass')
        else:
            n = raw.decode('utf-8', 'surrogateescape')
        return n

    def walk(dirrec, depth):
        node = Node('d')
        node.extents = [(dirrec.extent_location(), dirrec.get_data_length())]
        kids = [c for c in dirrec.children if c is not None and not c.is_dot() and not c.is_dotdot()]
        i = 0
        while i < len(kids):
            c = kids[i]
            i += 1
            name = name_of(c)
            rr = c.rock_ridge
            if rr is not None and not joliet and rr.relocated_record():
                continue                                   # reached through its CL entry
            if rr is not None and not joliet and rr.child_link_record_exists() and rr.cl_to_moved_dr is not None:
                node.children[name] = walk(rr.cl_to_moved_dr, depth + 1)
                continue
            if c.is_dir():
                sub = walk(c, depth + 1)
                if (not joliet and depth == 0 and rr is not None and name.upper().rstrip('.') in ('RR_MOVED', '.RR_MOVED', '_RR_MOVED')
                        and not sub.children):
                    rr_moved_seen.append(name)
                    continue
                node.children[name] = sub
                continue
            if rr is not None and not joliet and rr.is_symlink():
                node.children[name] = Node('l')
                continue
            f = Node('f', c.get_data_length())
            f.extents = [(c.extent_location(), c.get_data_length())]
            while c.file_flags & 0x80 and i < len(kids) and name_of(kids[i]) == name:
                c = kids[i]
                i += 1
                f.extents.append((c.extent_location(), c.get_data_length()))
                f.size += c.get_data_length()
            if name in node.children:
                notes.append('two records named %s in one folder' % show(name))
                name = name + '\x00dup%d' % i
            node.children[name] = f
        return node

    tree = walk(root_rec, 0)
    for n in rr_moved_seen:
        notes.append('Rock Ridge relocation folder %s left out of the ISO 9660 tree count' % n)
    return tree


def strip_version(tree, joliet):
    """Joliet names may carry ';1'; drop it so names compare with the source."""
    for name in list(tree.children):
        c = tree.children[name]
        if c.kind == 'd':
            strip_version(c, joliet)
        elif joliet and name.endswith(';1'):
            del tree.children[name]
            tree.children[name[:-2]] = c
    return tree


D_CHARS = re.compile(r'^[A-Z0-9_]*$')
# Windows' numeric tail ("_INTER~1", "LONGF~10.TXT"; imapi2fs: src/engine/names.c): '~' and digits
# ending the name part. '~' is not a d-character; every reader here reads it (tilde-names.sh).
TAILED = re.compile(r'^[A-Z0-9_]*~[0-9]+$')


def iso_name_problems(tree, level, relaxed=False):
    """ECMA-119 identifier rules for the ISO 9660 tree. level None: rules of every level (d-
    characters, separators, version); lengths and depth are only noted. relaxed: the depth (8
    levels) and path length (255) limits are only noted, as a writer in relaxed mode exceeds
    them on purpose (IMAPI2FS StrictFileSystemCompliance FALSE, genisoimage -D)."""
    problems, notes = [], []
    maxdepth = [0, '']
    tails = [0]

    def name_part_ok(part):
        if D_CHARS.match(part):
            return True
        if TAILED.match(part):
            tails[0] += 1
            return True
        return False

    def file_ok(name):
        m = re.match(r'^([^.;]*)\.([^.;]*);(\d+)$', name)
        if not m:
            if level == 4 and len(name.encode('utf-8', 'surrogateescape')) <= 207:
                return None
            return 'not NAME.EXT;VERSION'
        base, ext, ver = m.groups()
        if level != 4:
            if not name_part_ok(base) or not D_CHARS.match(ext):
                return 'characters outside d-characters A-Z 0-9 _'
            if not base and not ext:
                return 'empty name and extension'
            if not (1 <= int(ver) <= 32767):
                return 'version out of 1..32767'
        if level == 1 and (len(base) > 8 or len(ext) > 3):
            return 'longer than 8.3 (level 1)'
        if level in (2, 3) and len(base) + len(ext) > 30:
            return 'name+extension longer than 30 (level %d)' % level
        if level == 4 and len(name.encode('utf-8', 'surrogateescape')) > 207:
            return 'longer than 207 bytes (level 4)'
        return None

    def dir_ok(name):
        if level == 4:
            return 'longer than 207 bytes' if len(name.encode('utf-8', 'surrogateescape')) > 207 else None
        if name and '.' in name and D_CHARS.match(name.replace('.', '')):
            return "'.' in a directory identifier (ECMA-119 7.6: d-characters only; genisoimage and " \
                   "xorriso write it by default, readers accept it)"
        if not name or not name_part_ok(name):
            return 'characters outside d-characters A-Z 0-9 _'
        if level == 1 and len(name) > 8:
            return 'longer than 8 (level 1)'
        if level in (2, 3) and len(name) > 31:
            return 'longer than 31 (level %d)' % level
        return None

    for rel, n in iter_nodes(tree):
        name = rel.rsplit('/', 1)[-1].split('\x00')[0]
        depth = rel.count('/') + 1
        if n.kind == 'd':
            why = dir_ok(name)
            if depth + 1 > maxdepth[0]:      # levels count the root as level 1
                maxdepth[:] = [depth + 1, rel]
        else:
            why = file_ok(name)
        if why:
            problems.append('%s: %s' % (show(rel), why))
        if len(rel) + 1 > 255 and level in (1, 2, 3):
            (notes if relaxed else problems).append('%s: path longer than 255 characters' % show(rel))
    if tails[0]:
        notes.append('%d name(s) end their name part in Windows\' numeric tail "~N" (\'~\' is not a '
                     'd-character; every reader here reads it)' % tails[0])
    if maxdepth[0] > 8:
        msg = 'the ISO 9660 tree is %d levels deep (%s); ECMA-119 allows 8' % tuple(maxdepth)
        if level in (1, 2, 3) and not relaxed:
            problems.append(msg)
        elif level in (1, 2, 3):
            notes.append(msg + ' (relaxed: allowed)')
        else:
            notes.append(msg + ' (not enforced without --level; Rock Ridge writers relocate)')
    return problems, notes


JOLIET_BAD = set('*/:;?\\')


def joliet_name_problems(tree):
    problems, notes, long_names = [], [], []
    for rel, n in iter_nodes(tree):
        name = rel.rsplit('/', 1)[-1].split('\x00')[0]
        bad = sorted(set(ch for ch in name if ch in JOLIET_BAD or ord(ch) < 0x20))
        if bad:
            problems.append('%s: characters Joliet does not allow: %s' % (show(rel), ' '.join(repr(c) for c in bad)))
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
            problems.append('%s: unpaired UTF-16 surrogate' % show(rel))
        if units(name) > JOLIET_MAX_UNITS:
            long_names.append((rel, units(name), n.kind))
    if long_names:
        notes.append('%d Joliet name(s) longer than %d UTF-16 units (allowed by -joliet-long, not by the Joliet '
                     'spec; sleuthkit fails on such folder names):' % (len(long_names), JOLIET_MAX_UNITS))
        for rel, u, k in long_names[:10]:
            notes.append('  %s %s (%d units)' % (kind_word(k), show(rel), u))
    return problems, notes


def read_extents(img_path, size_of_image):
    fd = os.open(img_path, os.O_RDONLY)

    def content(node):
        h = hashlib.sha256()
        for lba, length in node.extents:
            off = lba * BLOCK
            if off + length > size_of_image:
                raise IOError('extent at block %d, %d bytes, runs past the end of the image file (%d bytes)'
                              % (lba, length, size_of_image))
            done = 0
            while done < length:
                b = os.pread(fd, min(1 << 20, length - done), off + done)
                if not b:
                    raise IOError('short read')
                h.update(b)
                done += len(b)
        return h.hexdigest()
    return content


def check_pycdlib(rep, a, src, srcv):
    try:
        import pycdlib
    except ImportError as e:
        rep.check(False, 'pycdlib: import', ['%s (run with /usr/bin/python3, python3-pycdlib)' % e])
        return None
    img_size = os.path.getsize(a.img)
    p = pycdlib.PyCdlib()
    try:
        p.open(a.img)
    except Exception as e:
        rep.check(False, 'pycdlib: strict open', ['%s: %s' % (type(e).__name__, e)])
        return None
    rep.check(True, 'pycdlib: strict open')

    vol_blocks = p.pvd.space_size
    has_joliet = p.joliet_vd is not None
    notes = []
    iso = strip_version(pycdlib_tree(p.pvd.root_directory_record(), False, notes), False)
    joliet = None
    if has_joliet:
        joliet = strip_version(pycdlib_tree(p.joliet_vd.root_directory_record(), True, notes), True)

    # which trees exist
    want_j = 'joliet' in a.fs
    rep.check(has_joliet == want_j,
              'pycdlib: Joliet volume descriptor %s' % ('present' if want_j else 'absent'),
              ['image has %s Joliet SVD' % ('a' if has_joliet else 'no')])

    sf, sd, _ = count(src.tree)
    # ISO 9660 tree: counts
    f, d, o = count(iso)
    det = []
    if (f, d) != (sf, sd):
        det.append('ISO 9660 tree: %d files, %d folders; source: %d files, %d folders' % (f, d, sf, sd))
    if o:
        det.append('ISO 9660 tree has %d Rock Ridge symlinks: %s' % (o, ', '.join(show(r) for r, n in iter_nodes(iso) if n.kind == 'l')))
    rep.check(not det, 'pycdlib: ISO 9660 tree walk: %d files, %d folders' % (f, d), det, notes)

    probs, lnotes = iso_name_problems(iso, a.level, a.relaxed)
    rep.check(not probs, 'pycdlib: ISO 9660 names follow %s' % (
        'interchange level %d' % a.level if a.level else 'ECMA-119 (d-characters, NAME.EXT;1)'), probs, lnotes)

    if has_joliet:
        f, d, o = count(joliet)
        det = []
        if (f, d) != (sf, sd):
            det.append('Joliet tree: %d files, %d folders; source: %d files, %d folders' % (f, d, sf, sd))
        rep.check(not det, 'pycdlib: Joliet tree walk: %d files, %d folders' % (f, d), det)
        probs, jnotes = joliet_name_problems(joliet)
        rep.check(not probs, 'pycdlib: Joliet names use allowed characters', probs, jnotes)
        m = match_trees(srcv, joliet, True)
        report_match(rep, 'pycdlib: Joliet tree paths equal the source', m, srcv)

        # both trees must point at the same data
        def ext_set(t):
            return collections.Counter((n.extents[0][0], n.size) for _, n in iter_nodes(t) if n.kind == 'f' and n.size > 0)
        a_i, a_j = ext_set(iso), ext_set(joliet)
        det = ['only in ISO 9660 tree: block %d, %d bytes' % k for k in sorted(a_i - a_j)]
        det += ['only in Joliet tree: block %d, %d bytes' % k for k in sorted(a_j - a_i)]
        rep.check(not det, 'pycdlib: ISO 9660 and Joliet records point at the same file extents', det)

    if a.volume is not None:
        check_volume(rep, p, a.volume, has_joliet)

    # the image file must hold the whole volume. pycdlib opens a truncated image without a word
    # and cuts the length of every file that runs past the end (to what is left, even below 0):
    # its lengths are not to be trusted then, so say so here.
    det = []
    if vol_blocks * BLOCK > img_size:
        det.append('PVD volume space size %d blocks = %d bytes, image file %d bytes: truncated'
                   % (vol_blocks, vol_blocks * BLOCK, img_size))
        for tname, t in (('ISO 9660', iso), ('Joliet', joliet)):
            for rel, n in iter_nodes(t) if t is not None else ():
                if n.kind == 'f' and n.extents and n.extents[-1][1] != 0 and \
                        n.extents[-1][0] * BLOCK + n.extents[-1][1] == img_size or n.size < 0:
                    det.append('%s %s: length cut by pycdlib to %d (runs past the end of the file)'
                               % (tname, show(rel), n.size))
    elif img_size % BLOCK:
        det.append('image file size %d is not a multiple of 2048' % img_size)
    rep.check(not det, 'pycdlib: image file holds the whole volume (%d blocks)' % vol_blocks, det)

    # extents inside the volume and the file
    det = []
    for tname, t in (('ISO 9660', iso), ('Joliet', joliet)):
        if t is None:
            continue
        for rel, n in iter_nodes(t):
            for lba, length in (n.extents or []):
                if length == 0:
                    continue
                end = lba * BLOCK + length
                if end > vol_blocks * BLOCK:
                    det.append('%s %s: extent at block %d, %d bytes, ends past the volume (%d blocks)'
                               % (tname, show(rel), lba, length, vol_blocks))
                elif end > img_size:
                    det.append('%s %s: extent at block %d, %d bytes, ends past the image file (%d bytes)'
                               % (tname, show(rel), lba, length, img_size))
    rep.check(not det, 'pycdlib: every extent lies inside the volume (%d blocks) and the file (%d bytes)'
              % (vol_blocks, img_size), det)

    content = read_extents(a.img, img_size)
    if has_joliet and want_j:
        m = match_trees(srcv, joliet, True)
        report_match(rep, 'pycdlib: file data at each Joliet record equals the source', m, srcv, content)
    else:
        report_multiset(rep, 'pycdlib: file data at each ISO 9660 record equals the source', srcv, iso, content)
    p.close()
    return has_joliet


def check_volume(rep, p, want, has_joliet):
    det, notes = [], []
    if has_joliet:
        raw = p.joliet_vd.volume_identifier
        got = raw.decode('utf-16-be', 'surrogatepass').rstrip(' \x00')
        exp = want
        if units(want) > 16:
            exp = want.encode('utf-16-be', 'surrogatepass')[:32].decode('utf-16-be', 'surrogatepass')
            notes.append('expected name is %d UTF-16 units; the Joliet field holds 16' % units(want))
        if got != exp:
            det.append('Joliet volume id %r, expected %r' % (got, exp))
    else:
        det.append('no Joliet volume descriptor to hold %r' % want)
    pvd = p.pvd.volume_identifier.decode('ascii', 'replace').rstrip(' ')
    notes.append('PVD volume id: %r' % pvd)
    if not re.match(r'^[A-Z0-9_]*$', pvd):
        det.append('PVD volume id %r is not d-characters' % pvd)
    rep.check(not det, 'pycdlib: volume identifier %r' % want, det, notes)


# ------------------------------------------------------------------------------------------
# the other readers
# ------------------------------------------------------------------------------------------
def listing_problems(srcv, sizes, ndirs):
    """A reader's listing without comparable names (ISO 9660 names are mapped): the number of
    files, the multiset of their sizes and (when the reader lists them) the number of folders."""
    det = []
    sf, sd, _ = count(srcv)
    if len(sizes) != sf:
        det.append('lists %d files, source has %d' % (len(sizes), sf))
    if ndirs is not None and ndirs != sd:
        det.append('lists %d folders, source has %d' % (ndirs, sd))
    s_sizes = collections.Counter(n.size for _, n in iter_nodes(srcv) if n.kind == 'f')
    i_sizes = collections.Counter(sizes)
    for size, k in sorted((s_sizes - i_sizes).items())[:10]:
        det.append('%d source file(s) of %d bytes not listed' % (k, size))
    for size, k in sorted((i_sizes - s_sizes).items())[:10]:
        det.append('%d listed file(s) of %d bytes not in the source' % (k, size))
    return det


def check_isoinfo(rep, a, work, srcv, has_joliet):
    t = Tool(work, 'isoinfo-d')
    img_size = os.path.getsize(a.img)
    det = []
    if t.rc != 0:
        det += t.complaint()
    if 'CD-ROM is in ISO 9660 format' not in t.out:
        det.append('no "CD-ROM is in ISO 9660 format"')
    m = re.search(r'^Logical block size is: (\d+)', t.out, re.M)
    if not m or int(m.group(1)) != BLOCK:
        det.append('logical block size %s, expected 2048' % (m.group(1) if m else 'missing'))
    m = re.search(r'^Volume size is: (\d+)', t.out, re.M)
    vol = int(m.group(1)) if m else None
    if vol is None:
        det.append('no volume size')
    elif vol * BLOCK > img_size:
        det.append('volume is %d blocks (%d bytes) but the image file has %d bytes: truncated'
                   % (vol, vol * BLOCK, img_size))
    m = re.search(r'^Joliet with UCS level (\d) found', t.out, re.M)
    if 'joliet' in a.fs:
        if not m:
            det.append('no Joliet reported')
        elif m.group(1) != '3':
            det.append('Joliet UCS level %s, expected 3' % m.group(1))
    elif m:
        det.append('Joliet reported (level %s) but not expected' % m.group(1))
    for l in t.err.splitlines():
        if l.strip():
            det.append('stderr: ' + l)
    rep.check(not det, 'isoinfo -d: PVD sane (block size 2048, %s blocks%s)' % (
        vol, ', Joliet level 3' if 'joliet' in a.fs else ''), det, t.timing() or ())

    for name, joliet in (('isoinfo-l', False), ('isoinfo-lJ', True)):
        t = Tool(work, name)
        if not t.ran:
            continue
        det = []
        if t.rc != 0:
            det += t.complaint()
        elif t.err.strip():
            det += ['stderr: ' + l for l in t.err.splitlines() if l.strip()][:12]
        sizes, dirs = [], -1          # the root's listing is not a folder of the source
        last = None                   # (name, flags) of the previous file record in this folder
        for l in t.out.splitlines():
            if l.startswith('Directory listing of '):
                dirs += 1
                last = None
            else:
                m = re.match(r'^-[-rwxs]{9}\s+\S+\s+\S+\s+\S+\s+(\d+)\s', l)
                if m:
                    # '[  LBA FLAGS]  NAME'; isoinfo prints the flags of a multi-extent record
                    # sign-extended and without the bracket ('[  22546 FFFF NAME;1')
                    r = re.search(r'\[\s*\d+\s+([0-9A-Fa-f]+)\]?\s+(.*?)\s*$', l)
                    name, flags = (r.group(2), int(r.group(1), 16)) if r else (None, 0)
                    if last and name is not None and last[0] == name and last[1] & 0x80:
                        sizes[-1] += int(m.group(1))      # the next extent of a multi-extent file
                    else:
                        sizes.append(int(m.group(1)))
                    last = (name, flags)
        if t.rc == 0:
            det += listing_problems(srcv, sizes, max(dirs, 0))
        rep.check(not det, '%s%s: runs cleanly, lists %d files in %d folders (sizes compared)' % (
            'isoinfo -l', ' -J' if joliet else '', len(sizes), max(dirs, 0)), det, t.timing() or ())


def check_isovfy(rep, work):
    t = Tool(work, 'isovfy')
    lines = [l for l in t.out.splitlines() if l.strip()]
    # 'Root at extent ...' and '[N M]' (progress through the path table) are not findings
    findings = [l for l in lines if not l.startswith('Root at extent') and not re.match(r'^\[\d+ \d+\]$', l)
                and l != 'No errors found']
    # isovfy predates multi-extent files (ISO 9660 level 3): it reports every record with the
    # multi-extent flag (0x80) as 'Flags=(80)', and nothing else wrong on that line, as a finding
    multi = [l for l in findings if re.match(r'^[0-9a-f]+:\s+\d+\s+[0-9a-f]+\s+-?\d+\s+Flags=\(80\)\s+(RRlen=\d+\s*)?$', l)]
    findings = [l for l in findings if l not in multi]
    det, notes = [], []
    if multi:
        notes.append('isovfy flags %d multi-extent record(s) (flag 0x80, which it does not know); not counted' % len(multi))
    if t.rc != 0:
        det += t.complaint()
    if 'No errors found' not in lines and not (multi and not findings):
        det.append('no "No errors found" line')
    seen = collections.Counter(findings)
    det += ['finding: ' + l + (' (%d times)' % seen[l] if seen[l] > 1 else '') for l in sorted(seen, key=findings.index)]
    if t.rc == 139:
        det.append('isovfy crashed (segmentation fault)')
    det += ['stderr: ' + l for l in t.err.splitlines() if l.strip()]
    rep.check(not det, 'isovfy: no findings (directory record order, extents, path table)', det,
              notes + list(t.timing() or ()))


def unquote_xorriso(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == "'" and s[-1] == "'":
        return s[1:-1].replace("'\"'\"'", "'")
    return s


def check_xorriso(rep, a, work, srcv, has_joliet):
    t = Tool(work, 'xorriso')
    entries, det = [], []
    vol = None
    m = re.search(r'Media summary: \d+ sessions?, (\d+) data blocks', t.err)
    if m:
        vol = int(m.group(1))
    for l in t.out.splitlines():
        m = re.match(r'^File data lba:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(.*)$', l)
        if not m:
            continue
        xt, lba, blocks, size = (int(x) for x in m.groups()[:4])
        path = unquote_xorriso(m.group(5)).lstrip('/')
        if xt == 0:                     # every extent's line gives the size of the whole file
            entries.append((path, 'f', size))
        if vol is not None and blocks and lba + blocks > vol:
            det.append('%s: extent %d+%d blocks ends past the %d data blocks' % (show(path), lba, blocks, vol))
    if t.rc != 0:
        det += ['exit status %s (-return_with SORRY 32)%s' % (t.rc, ', timed out' if t.rc == 124 else '')]
    det += ['stderr: ' + l for l in t.err.splitlines() if re.search(r'\b(SORRY|FAILURE|FATAL|ABORT)\b', l)]
    img = tree_from_paths(entries)
    what = 'xorriso -find / -exec report_lba: exit 0, every file listed'
    if has_joliet and 'joliet' in a.fs:
        m = match_trees(files_only(srcv), img, True)
        report_match(rep, what, m, srcv, None, t.timing() or (), det)
        return
    sf, _, _ = count(srcv)
    f, _, _ = count(img)
    if f != sf:
        det.append('lists %d files, source has %d' % (f, sf))
    s_sizes = collections.Counter(n.size for _, n in iter_nodes(srcv) if n.kind == 'f')
    i_sizes = collections.Counter(n.size for _, n in iter_nodes(img) if n.kind == 'f')
    for size, k in sorted((s_sizes - i_sizes).items()):
        det.append('%d source file(s) of %d bytes not listed' % (k, size))
    for size, k in sorted((i_sizes - s_sizes).items()):
        det.append('%d listed file(s) of %d bytes not in source' % (k, size))
    rep.check(not det, what + ' (%d files; sizes compared, names not: no Joliet)' % f, det, t.timing() or ())


# libcdio's complaints start a line ('++ WARN: ...', 'Error getting ...'); listing lines are indented
LIBCDIO_COMPLAINT = re.compile(r'^(\+\+ |Error|error|iso-info: )')


def check_iso_tree_readers(rep, a, work, srcv):
    """xorriso and libarchive prefer Rock Ridge or Joliet; made to read the ISO 9660 tree they
    see damage there that the Joliet readers miss."""
    t = Tool(work, 'xorriso-iso')
    if t.ran:
        det, sizes = [], []
        for l in t.out.splitlines():
            m = re.match(r'^File data lba:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,', l)
            if m and int(m.group(1)) == 0:  # a multi-extent file's other extents repeat its size
                sizes.append(int(m.group(4)))
        if t.rc != 0:
            det.append('exit status %s (-return_with SORRY 32)%s' % (t.rc, ', timed out' if t.rc == 124 else ''))
        det += ['stderr: ' + l for l in t.err.splitlines() if re.search(r'\b(SORRY|FAILURE|FATAL|ABORT)\b', l)][:12]
        det += listing_problems(srcv, sizes, None)
        rep.check(not det, 'xorriso -read_fs ecma119 report_lba: ISO 9660 tree lists %d files (sizes compared)'
                  % len(sizes), det, t.timing() or ())
    t = Tool(work, 'bsdtar-iso')
    if t.ran:
        det, sizes, dirs = [], [], 0
        if t.rc != 0:
            det += t.complaint()
        elif t.err.strip():
            det += ['stderr: ' + l for l in t.err.splitlines() if l.strip()][:12]
        # files sharing an extent are listed as hard links: "NAME link to TARGET", size 0
        by_name, links = {}, []
        for l in t.out.splitlines():
            f = l.split(None, 8)
            if len(f) < 9:
                continue
            if f[0].startswith('d') and f[8] != '.':
                dirs += 1
            elif f[0].startswith('-') and f[4].isdigit():
                if ' link to ' in f[8]:
                    links.append(f[8])
                else:
                    by_name[f[8]] = int(f[4])
                    sizes.append(int(f[4]))
        for name in links:
            parts = name.split(' link to ')
            for k in range(1, len(parts)):
                target = ' link to '.join(parts[k:])
                if target in by_name:
                    sizes.append(by_name[target])
                    break
            else:
                det.append('hard link with unknown target: ' + name)
        if t.rc == 0:
            det += listing_problems(srcv, sizes, dirs)
        rep.check(not det, 'bsdtar -tvf --options !joliet,!rockridge: ISO 9660 tree lists %d files, %d folders '
                  '(sizes compared)' % (len(sizes), dirs), det, t.timing() or ())


def check_iso_info(rep, a, work, srcv, has_joliet):
    # ISO 9660 tree (no Joliet): must be clean and complete
    t = Tool(work, 'iso-info-iso')
    det = []
    if t.rc != 0:
        det += t.complaint()
    warn = [l for l in (t.out + '\n' + t.err).splitlines() if LIBCDIO_COMPLAINT.match(l)]
    det += warn[:12]
    sizes, dirs = [], -1
    last = None
    for l in t.out.splitlines():
        # '  - [LSN n] size ...', or with Rock Ridge '  -rw-r--r--   1 0 0 [LSN n] size ...'
        m = re.match(r'^  -\S*\s.*?\[LSN\s+\d+\]\s+(\d+) \S+ \S+ \S+ \S+  (.*)$', l) or \
            re.match(r'^  -\S*\s.*?\[LSN\s+\d+\]\s+(\d+) ()', l)
        if m:
            # libcdio lists each extent of a multi-extent file as a record of the same name; in
            # ISO 9660 only those follow one another with one name
            if m.group(2) and m.group(2) == last:
                sizes[-1] += int(m.group(1))
            else:
                sizes.append(int(m.group(1)))
            last = m.group(2) or None
        else:
            if l.startswith('/') and l.endswith(':'):
                dirs += 1
            last = None
    det += listing_problems(srcv, sizes, max(dirs, 0))
    rep.check(not det, 'iso-info --no-joliet -l (libcdio): ISO 9660 tree clean, %d files in %d folders (sizes compared)'
              % (len(sizes), max(dirs, 0)), det, t.timing() or ())
    if not (has_joliet and 'joliet' in a.fs):
        return
    # Joliet tree: libcdio 2.1.0 converts Joliet with UCS-2 iconv and a buffer the size of the
    # UTF-16 name: non-BMP names fail ("Iconv failed", the folder listing stops) and names whose
    # UTF-8 is longer than their UTF-16 come out cut. Known defects: tolerated, noted.
    t = Tool(work, 'iso-info-joliet')
    det, notes = [], []
    if t.rc != 0:
        det += t.complaint()
    lines = [l for l in (t.out + '\n' + t.err).splitlines() if LIBCDIO_COMPLAINT.match(l)]
    non_bmp = sum(1 for rel, _ in iter_nodes(srcv) if any(ord(c) > 0xFFFF for c in rel.rsplit('/', 1)[-1]))
    iconv = [l for l in lines if 'Iconv failed' in l]
    follow = [l for l in lines if 'Invalid directory stat' in l or 'Error getting above directory information' in l]
    other = [l for l in lines if l not in iconv and l not in follow]
    if iconv and len(iconv) <= non_bmp:
        notes.append('libcdio Joliet decoding failed %d time(s) on non-BMP names (known libcdio 2.1 defect: '
                     'UCS-2 iconv); %d source names are non-BMP' % (len(iconv), non_bmp))
    elif iconv:
        det += iconv[:12]
        det.append('%d iconv failures but only %d non-BMP names in the source' % (len(iconv), non_bmp))
    if follow and not iconv:
        det += follow[:12]
    det += other[:12]
    rep.check(not det, 'iso-info -l (libcdio): Joliet tree readable', det, notes + list(t.timing() or ()))


def check_fls(rep, a, work, srcv, has_joliet):
    t = Tool(work, 'fls')
    det, notes, entries = [], [], []
    orphans = deleted = 0
    for l in t.out.splitlines():
        m = re.match(r'^([-a-zA-Z])/([-a-zA-Z])\s+(\*\s+)?([0-9-]+(?:\(realloc\))?):\t(.*)$', l)
        if not m:
            if l.strip():
                det.append('unparsed: ' + l)
            continue
        k1, k2, star, _, path = m.groups()
        if path == '$OrphanFiles' or path.startswith('$OrphanFiles/'):
            orphans += path != '$OrphanFiles'
            continue
        if star:
            deleted += 1
            continue
        kind = {'r': 'f', 'd': 'd', 'l': 'l'}.get(k2, 'o')
        entries.append((path, kind, -1))
    if t.rc != 0:
        det = t.complaint() + det
    elif t.err.strip():
        det += ['stderr: ' + l for l in t.err.splitlines() if l.strip()][:12]
    if orphans:
        notes.append('fls lists %d orphan file(s) under $OrphanFiles (sleuthkit counts every file whose extent '
                     'is shared, e.g. empty files, again as orphans); not counted' % orphans)
    if deleted:
        notes.append('fls lists %d deleted (*) entries; not counted' % deleted)
    img = tree_from_paths(entries)
    f, d, o = count(img)
    sf, sd, _ = count(srcv)
    if t.rc == 0 and (f, d) != (sf, sd):
        det.append('fls sees %d files, %d folders; source %d files, %d folders' % (f, d, sf, sd))
    if t.rc != 0 and 'iso_find_inodes' in t.err:
        long_dirs = [rel for rel, n in iter_nodes(srcv) if n.kind == 'd' and units(rel.rsplit('/', 1)[-1]) > JOLIET_MAX_UNITS]
        if long_dirs and has_joliet:
            det.append('sleuthkit cannot read Joliet folder names longer than %d UTF-16 units; the source has %d: %s'
                       % (JOLIET_MAX_UNITS, len(long_dirs), ', '.join(show(x) for x in long_dirs[:3])))
    ok = not det
    if ok and has_joliet and 'joliet' in a.fs:
        m = match_trees(srcv, img, True)
        report_match(rep, 'fls -r -p (sleuthkit): paths equal the source', m, srcv, None,
                     notes + list(t.timing() or ()))
        return
    rep.check(ok, 'fls -r -p (sleuthkit): runs, sees %d files, %d folders' % (f, d), det,
              notes + list(t.timing() or ()))


def check_bsdtar_list(rep, a, work, srcv, has_joliet):
    tv = Tool(work, 'bsdtar-tv')
    tn = Tool(work, 'bsdtar-t')
    det = []
    for t in (tv, tn):
        if t.rc != 0:
            det += ['%s: %s' % (t.name, c) for c in t.complaint()]
        elif t.err.strip():
            det += ['%s stderr: %s' % (t.name, l) for l in t.err.splitlines() if l.strip()][:12]
    kinds = [l[:1] for l in tv.out.splitlines() if l.strip()]
    names = [l for l in tn.out.splitlines() if l.strip()]
    entries = []
    if len(kinds) != len(names):
        det.append('bsdtar -tv lists %d entries, bsdtar -t %d' % (len(kinds), len(names)))
    else:
        for k, n in zip(kinds, names):
            entries.append((n, {'-': 'f', 'd': 'd', 'l': 'l', 'h': 'f'}.get(k, 'o'), -1))
    img = tree_from_paths(entries)
    if not det and has_joliet and 'joliet' in a.fs:
        m = match_trees(srcv, img, True)
        report_match(rep, 'bsdtar -tvf: lists every file and folder', m, srcv, None, tv.timing() or ())
        return
    f, d, o = count(img)
    sf, sd, _ = count(srcv)
    if (f, d, o) != (sf, sd, 0):
        det.append('lists %d files, %d folders, %d other; source %d files, %d folders' % (f, d, o, sf, sd))
    rep.check(not det, 'bsdtar -tvf: lists %d files, %d folders' % (f, d), det, tv.timing() or ())


def extraction_tree(root):
    def walk(path):
        node = Node('d')
        try:
            entries = list(os.scandir(path))
        except OSError:
            return node
        for e in entries:
            if e.is_symlink():
                node.children[e.name] = Node('l')
            elif e.is_dir(follow_symlinks=False):
                node.children[e.name] = walk(e.path)
            elif e.is_file(follow_symlinks=False):
                node.children[e.name] = Node('f', e.stat(follow_symlinks=False).st_size, e.path)
            else:
                node.children[e.name] = Node('o')
        return node
    return walk(root)


def has_eltorito(img):
    """An El Torito boot record at block 17."""
    try:
        with open(img, 'rb') as f:
            f.seek(17 * 2048)
            b = f.read(32)
    except OSError:
        return False
    return b[:7] == b'\x00CD001\x01' and b[7:30] == b'EL TORITO SPECIFICATION'


def check_extraction(rep, a, work, srcv, has_joliet, name, label, outdir):
    t = Tool(work, name)
    det = []
    if t.rc != 0:
        det += t.complaint()
    text = t.out + '\n' + t.err
    if name == '7z-x':
        det += [l for l in text.splitlines()
                if re.search(r'ERROR|WARNING|Headers Error|Data Error|Unexpected end|Can not open|CRC Failed', l)][:12]
        if t.rc == 0 and 'Everything is Ok' not in t.out:
            det.append('no "Everything is Ok"')
    else:
        det += ['stderr: ' + l for l in t.err.splitlines() if l.strip()][:12]
    img = extraction_tree(outdir)
    if name == '7z-x' and has_eltorito(a.img) and '[BOOT]' in img.children:
        # 7-Zip shows the El Torito boot images as files of a folder [BOOT] that is not in the
        # image's trees
        boot = img.children.pop('[BOOT]')
        rep.note('7z lists the El Torito boot images as [BOOT]/: %s' % ', '.join(sorted(boot.children)))
    if det:
        rep.check(False, '%s: extraction runs cleanly' % label, det, t.timing() or ())
    else:
        rep.check(True, '%s: extraction runs cleanly' % label, (), t.timing() or ())
    content = lambda n: sha(n.path)
    if has_joliet and 'joliet' in a.fs:
        m = match_trees(srcv, img, True)
        report_match(rep, '%s: extracted tree equals the source (paths, kinds, bytes)' % label, m, srcv, content)
    else:
        report_multiset(rep, '%s: extracted files equal the source' % label, srcv, img, content)


# ------------------------------------------------------------------------------------------
def judge(a):
    started = time.time()
    rep = Report()
    a.fs = set(x.strip().lower() for x in a.fs.split(',') if x.strip())
    bad = a.fs - {'iso', 'joliet'}
    if bad or 'iso' not in a.fs:
        print('isocheck: --fs takes iso or iso,joliet (got %s)' % ','.join(sorted(a.fs)), file=sys.stderr)
        return 2
    src = Source(a.src, a.follow)
    srcv = SrcView(src)
    sf, sd, _ = count(src.tree)
    print('# source %s: %d files, %d folders (%s)' % (a.src, sf, sd, 'symlinks followed' if a.follow else 'symlinks left out'))
    for rel, why in src.left_out[:20]:
        print('#   left out of the expected tree: %s (%s)' % (show(rel), why))
    if len(src.left_out) > 20:
        print('#   ... and %d more left out' % (len(src.left_out) - 20))

    has_joliet = None
    try:
        has_joliet = check_pycdlib(rep, a, src, srcv)
    except Exception as e:
        rep.check(False, 'pycdlib checks', ['checker error: %s: %s' % (type(e).__name__, e)])
    if has_joliet is None:      # pycdlib could not open it: ask isoinfo whether there is Joliet
        has_joliet = 'Joliet with UCS level' in Tool(a.work, 'isoinfo-d').out
    for fn in (lambda: check_isoinfo(rep, a, a.work, srcv, has_joliet),
               lambda: check_isovfy(rep, a.work),
               lambda: check_xorriso(rep, a, a.work, srcv, has_joliet),
               lambda: check_iso_tree_readers(rep, a, a.work, srcv),
               lambda: check_iso_info(rep, a, a.work, srcv, has_joliet),
               lambda: check_fls(rep, a, a.work, srcv, has_joliet),
               lambda: check_bsdtar_list(rep, a, a.work, srcv, has_joliet),
               lambda: check_extraction(rep, a, a.work, srcv, has_joliet, '7z-x', '7z x -tiso', os.path.join(a.work, 'x-7z')),
               lambda: check_extraction(rep, a, a.work, srcv, has_joliet, 'bsdtar-x', 'bsdtar -xf', os.path.join(a.work, 'x-bsdtar'))):
        try:
            fn()
        except Exception:
            import traceback
            rep.check(False, 'checker error', [traceback.format_exc().strip().splitlines()[-1]] +
                      traceback.format_exc().strip().splitlines()[-6:-1])
    if TIMES:
        rep.note('reader times (s): ' + ', '.join(TIMES))
    if a.readers_time:
        rep.note('time: readers %.1f s (run in parallel), comparisons %.1f s'
                 % (float(a.readers_time[1]) - float(a.readers_time[0]), time.time() - started))
    if a.kept:
        rep.note('outputs kept in %s' % a.work)
    print('%d passed, %d failed' % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


def main():
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)    # quiet end when piped into head
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    j = sub.add_parser('judge')
    j.add_argument('--img', required=True)
    j.add_argument('--src', required=True)
    j.add_argument('--work', required=True)
    j.add_argument('--fs', default='iso,joliet')
    j.add_argument('--level', type=int, choices=(1, 2, 3, 4))
    j.add_argument('--volume')
    j.add_argument('--relaxed', action='store_true')
    j.add_argument('--follow-links', dest='follow', action='store_true', default=True)
    j.add_argument('--no-follow-links', dest='follow', action='store_false')
    j.add_argument('--readers-time', nargs=2, metavar=('START', 'END'))
    j.add_argument('--kept', action='store_true')
    a = ap.parse_args()
    if a.cmd == 'judge':
        return judge(a)


if __name__ == '__main__':
    sys.exit(main())
