/*
 * Native fsimage: IFsiDirectoryItem::AddTree as the DLL does it under Wine (docs/behaviour.md,
 * "Native fsimage"): links followed, dangling links and loops left out, names as Wine shows them,
 * times as Wine reports them, no hidden flags; the data sources (files by path); the checks of the
 * addition by the policy module.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "native.h"
#include "imapi2fserror.h"

#define MAX_DEPTH 256                   /* folders deeper than this are left out, as AddTree does */

/* ---- names ------------------------------------------------------------------------------------ */

/* UTF-8 decoded with every ill-formed part replaced by U+FFFD by Wine's rules (ntdll
 * decode_utf8_char: the lead byte and the continuation bytes accepted so far make one U+FFFD; a
 * sequence cut by the end of the name is one U+FFFD). */
size_t cli_name_to_utf16(const unsigned char *s, size_t n, uint16_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned ch = s[i++], c;
        uint32_t cp = 0xFFFD;
        if (ch < 0x80)
            cp = ch;
        else {
            unsigned len = ch >= 0xC2 && ch <= 0xDF ? 1 : ch >= 0xE0 && ch <= 0xEF ? 2 : ch >= 0xF0 && ch <= 0xF4 ? 3 : 0;
            static const unsigned char mask[4] = { 0x7F, 0x1F, 0x0F, 0x07 };
            uint32_t res = ch & mask[len];
            if (i + len > n)
                i = n;
            else
                switch (len) {
                case 3:
                    if ((c = s[i] ^ 0x80u) >= 0x40) break;
                    res = res << 6 | c;
                    i++;
                    if (res < 0x10) break;
                    /* fall through */
                case 2:
                    if ((c = s[i] ^ 0x80u) >= 0x40) break;
                    res = res << 6 | c;
                    if (res >= 0x110000 >> 6) break;
                    i++;
                    if (res < 0x20) break;
                    if (res >= 0xD800 >> 6 && res <= 0xDFFF >> 6) break;
                    /* fall through */
                case 1:
                    if ((c = s[i] ^ 0x80u) >= 0x40) break;
                    res = res << 6 | c;
                    i++;
                    if (res < 0x80) break;
                    cp = res;
                    break;
                default:
                    break;
                }
        }
        if (cp >= 0x10000) {
            if (o + 2 > cap) break;
            out[o++] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
            out[o++] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            if (o + 1 > cap) break;
            out[o++] = (uint16_t)cp;
        }
    }
    return o;
}

/* ---- data sources: files by path -------------------------------------------------------------- */

/* Like the engine's path source, plus what the copy path needs: the path, to open the file itself,
 * and an end-of-file mark so that the cursor's probe for extra bytes costs no second read. */
typedef struct cli_source {
    fsi_source base;
    char path[];
} cli_source;

typedef struct cli_handle {
    int fd;
    uint64_t eof;                       /* a short read ended here: nothing after it */
} cli_handle;

static fsi_status src_open(fsi_source *src, void **handle)
{
    cli_source *s = (cli_source *)src;
    cli_handle *h;
    int fd;
    /* O_NONBLOCK: a FIFO put where the file was does not wait for a writer; pread then fails on it
     * (ESPIPE), as on a socket: no fstat needed, one system call less per file */
    do
        fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return FSI_E_READ;
    if (!(h = malloc(sizeof *h))) {
        close(fd);
        return FSI_E_READ;
    }
    h->fd = fd;
    h->eof = UINT64_MAX;
    *handle = h;
    return FSI_OK;
}

static fsi_status src_read(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got)
{
    cli_handle *h = handle;
    size_t done = 0;
    (void)src;
    *got = 0;
    if (off >= h->eof)
        return FSI_OK;
    while (done < len) {
        size_t chunk = len - done > ((size_t)1 << 30) ? (size_t)1 << 30 : len - done;
        ssize_t r = pread(h->fd, (char *)buf + done, chunk, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            *got = done;
            return FSI_E_READ;
        }
        done += (size_t)r;
        if ((size_t)r < chunk) {        /* a regular file reads short only at its end */
            h->eof = off + done;
            break;
        }
    }
    *got = done;
    return FSI_OK;
}

static void src_close(fsi_source *src, void *handle)
{
    cli_handle *h = handle;
    (void)src;
    close(h->fd);
    free(h);
}

static void src_destroy(fsi_source *src) { free(src); }

static const fsi_source_ops src_ops = { src_open, src_read, src_close, src_destroy };

static fsi_source *source_new(const char *path, size_t len)
{
    cli_source *s = malloc(sizeof *s + len + 1);
    if (!s)
        return NULL;
    s->base.ops = &src_ops;
    s->base.refs = 1;
    memcpy(s->path, path, len);
    s->path[len] = 0;
    return &s->base;
}

/* ---- AddTree: the walk ------------------------------------------------------------------------ */

typedef struct walker {
    const cli_options *o;
    struct { dev_t dev; ino_t ino; } anc[MAX_DEPTH];    /* the folders being walked */
    int depth;
    char *path;                         /* the current path (grown as needed) */
    size_t cap;
    int skip_out;                       /* the output file, if it exists, is not put in its own image */
    dev_t out_dev;
    ino_t out_ino;
} walker;

/* Times as Wine reports them (FindFirstFile, GetFileAttributesEx): creation is the modification
 * time (Wine 8 has no birth time), last access and last write from the inode, 100 ns units. */
static fsi_times times_of(const struct stat *st)
{
    fsi_times t;
    t.modification = fsi_time_from_unix(st->st_mtim.tv_sec, (int32_t)st->st_mtim.tv_nsec);
    t.access = fsi_time_from_unix(st->st_atim.tv_sec, (int32_t)st->st_atim.tv_nsec);
    t.creation = t.modification;
    return t;
}

static int enter_dir(walker *w, const struct stat *st)
{
    if (w->depth >= MAX_DEPTH)
        return 0;
    for (int i = 0; i < w->depth; i++)
        if (w->anc[i].dev == st->st_dev && w->anc[i].ino == st->st_ino)
            return 0;
    w->anc[w->depth].dev = st->st_dev;
    w->anc[w->depth].ino = st->st_ino;
    w->depth++;
    return 1;
}

/* Mirror the folder open as dfd (w->path[0..len) its path; closed here) into dir. */
static void walk_dir(walker *w, int dfd, size_t len, fsi_node *dir)
{
    DIR *d = fdopendir(dfd);
    struct dirent *de;
    uint16_t name[FSI_ERR_PATH_MAX];
    if (!d) {
        close(dfd);
        warn(w->o->quiet, "cannot read %s: %s", w->path, strerror(errno));
        return;
    }
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        size_t nl = strlen(nm), ul;
        struct stat st;
        fsi_node *node = NULL;
        fsi_status s;
        if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2])))
            continue;
        if (len + nl + 2 > w->cap) {
            size_t cap = 2 * (len + nl + 2);
            char *p = realloc(w->path, cap);
            if (!p)
                fail_nomem("AddTree");
            w->path = p;
            w->cap = cap;
        }
        w->path[len] = '/';
        memcpy(w->path + len + 1, nm, nl + 1);
        if (fstatat(dirfd(d), nm, &st, 0) != 0) {
            /* a dangling link (Wine does not list it), or no longer there */
            warn(w->o->quiet, "left out %s: %s", w->path, strerror(errno));
            continue;
        }
        if (w->skip_out && st.st_dev == w->out_dev && st.st_ino == w->out_ino) {
            warn(w->o->quiet, "left out %s: %s", w->path, "the output file");
            continue;
        }
        ul = cli_name_to_utf16((const unsigned char *)nm, nl, name, FSI_ERR_PATH_MAX);
        if (S_ISDIR(st.st_mode)) {
            int cfd;
            if (!enter_dir(w, &st)) {
                warn(w->o->quiet, "left out %s: %s", w->path,
                     w->depth >= MAX_DEPTH ? "more than 256 levels of folders" : "a link to a folder being walked (a loop)");
                continue;
            }
            cfd = openat(dirfd(d), nm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (cfd < 0) {
                warn(w->o->quiet, "left out %s: %s", w->path, strerror(errno));
                w->depth--;
                continue;
            }
            s = fsi_node_new_dir(name, ul, &node);
            if (s == FSI_OK) {
                fsi_times t = times_of(&st);
                fsi_node_set_times(node, &t);
                walk_dir(w, cfd, len + 1 + nl, node);
            } else
                close(cfd);
            w->depth--;
            w->path[len] = '/';
            memcpy(w->path + len + 1, nm, nl + 1);
        } else {
            /* FIFOs, sockets and devices are listed by Wine as empty files: so here too */
            uint64_t size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
            fsi_source *src = NULL;
            if (!S_ISREG(st.st_mode))
                warn(w->o->quiet, "%s: %s, added as an empty file", w->path, "not a regular file");
            if (size && !(src = source_new(w->path, len + 1 + nl)))
                fail_nomem("AddTree");
            s = fsi_node_new_file(name, ul, size, src, &node);
            fsi_source_unref(src);
            if (s == FSI_OK) {
                fsi_times t = times_of(&st);
                fsi_node_set_times(node, &t);
            }
        }
        if (s == FSI_E_NOMEM)
            fail_nomem("AddTree");
        if (s != FSI_OK) {
            /* a name with '\' (the DLL fails the whole AddTree: see docs/behaviour.md) */
            warn(w->o->quiet, "left out %s: %s", w->path, "the name is not valid in the image");
            continue;
        }
        s = fsi_dir_attach(NULL, dir, node, 1);
        fsi_node_unref(node);
        if (s != FSI_OK)
            fail_nomem("AddTree");
    }
    closedir(d);
    w->path[len] = 0;
}

/* The absolute path of p with "." and ".." taken out and no trailing '/' (GetFullPathName). */
static char *full_path(const char *p)
{
    size_t cl = 0, n = strlen(p);
    char *cwd = NULL, *out;
    size_t o = 0;
    if (p[0] != '/') {
        if (!(cwd = getcwd(NULL, 0)))
            return NULL;
        cl = strlen(cwd);
    }
    if (!(out = malloc(cl + n + 3)))
        return NULL;
    for (int part = 0; part < 2; part++) {
        const char *s = part ? p : cwd;
        if (!s)
            continue;
        while (*s) {
            const char *e;
            size_t k;
            while (*s == '/')
                s++;
            if (!*s)
                break;
            for (e = s; *e && *e != '/'; e++)
                ;
            k = (size_t)(e - s);
            if (k == 1 && s[0] == '.')
                ;
            else if (k == 2 && s[0] == '.' && s[1] == '.') {
                while (o && out[o - 1] != '/')
                    o--;
                if (o)
                    o--;
            } else {
                out[o++] = '/';
                memcpy(out + o, s, k);
                o += k;
            }
            s = e;
        }
    }
    if (!o)
        out[o++] = '/';
    out[o] = 0;
    free(cwd);
    return out;
}

const char *cli_source_path(const fsi_source *src)
{
    return src && src->ops == &src_ops ? ((const cli_source *)src)->path : NULL;
}

void cli_add_tree(fsi_image *img, const cli_options *o, const fsi_plan_opts *po)
{
    walker w;
    struct stat st, ost;
    fsi_node *top = NULL, *base = NULL, *into;
    const uint16_t *insert;
    fsi_status s;
    fsi_err err;
    int32_t hr;
    char *full;
    int fd;

    memset(&w, 0, sizeof w);
    w.o = o;
    if (!o->source[0])
        fail_hr("AddTree", IMAPI_E_INVALID_PARAM, "sourceDirectory", NULL, NULL);
    if (stat(o->source, &st) != 0 || !S_ISDIR(st.st_mode))
        fail_hr("AddTree", IMAPI_E_DIR_NOT_FOUND, o->source, NULL, NULL);
    if (stat(o->output, &ost) == 0 && S_ISREG(ost.st_mode)) {
        w.skip_out = 1;
        w.out_dev = ost.st_dev;
        w.out_ino = ost.st_ino;
    }
    if (!(full = full_path(o->source)))
        fail_nomem("AddTree");
    w.cap = strlen(full) + 4096;
    if (!(w.path = malloc(w.cap)))
        fail_nomem("AddTree");
    strcpy(w.path, full);

    if (fsi_node_new_dir((const uint16_t *)u"x", 1, &top) != FSI_OK)
        fail_nomem("AddTree");
    into = top;
    if (o->base) {
        const char *nm = strrchr(full, '/') + 1;
        uint16_t name[FSI_ERR_PATH_MAX];
        size_t ul = cli_name_to_utf16((const unsigned char *)nm, strlen(nm), name, FSI_ERR_PATH_MAX);
        s = fsi_node_new_dir(name, ul, &base);
        if (s != FSI_OK)
            fail_hr("AddTree", fsi_hresult_from_status(s), o->source, NULL, NULL);
        fsi_times t = times_of(&st);
        fsi_node_set_times(base, &t);
        into = base;
    }
    fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !enter_dir(&w, &st))
        fail_hr("AddTree", IMAPI_E_DIRECTORY_READ_FAILURE, o->source, NULL, NULL);
    walk_dir(&w, fd, strlen(full), into);
    if (base) {
        if (fsi_dir_attach(NULL, top, base, 1) != FSI_OK)
            fail_nomem("AddTree");
        fsi_node_unref(base);
    }

    /* fsimage_check_add: strict limits, then FreeMediaBlocks */
    if ((hr = fsi_policy_check_strict(img, po->fs, po->strict, fsi_image_root(img), top, 0, &insert))) {
        const uint16_t *ins[3] = { insert, NULL, NULL };
        fail_hr16("AddTree", hr, ins);
    }
    if (o->media_blocks > 0 &&
        (hr = fsi_policy_check_limit(img, po, (uint64_t)o->media_blocks, fsi_image_root(img), top, 0, &err))) {
        if (err.code != FSI_OK)
            fail_engine("AddTree", &err);
        fail_hr("AddTree", hr, o->source, NULL, NULL);
    }
    s = fsi_dir_merge(img, fsi_image_root(img), top);
    if (s != FSI_OK)
        fail_hr("AddTree", fsi_hresult_from_status(s), o->source, NULL, NULL);
    fsi_node_unref(top);
    free(w.path);
    free(full);
}
