/*
 * fsimage: build a file system image of a folder with the imapi2fs layout engine (native front end).
 *
 *   fsimage [options] SOURCE OUT.iso
 *
 * The native counterpart of tools/fsimage/fsimage.exe (which drives imapi2fs.dll through COM): the
 * same options, the same messages and, for the same tree and SOURCE_DATE_EPOCH, the same image bytes
 * (tests/com/native.test.sh). It does what the DLL does for it: AddTree's walk (links followed,
 * dangling links and loops left out, times as Wine reports them, no hidden flags; see
 * docs/behaviour.md, "Native fsimage"), the FreeMediaBlocks and strict checks, BootOptions' rules,
 * the default volume name and creation time (SOURCE_DATE_EPOCH), the progress items of --map.
 *
 * Data: fsi_cursor_read into a 512 KiB buffer, one write per buffer; when the output is a regular
 * file, a file of COPY_MIN bytes or more is copied on its own: by the kernel (copy_file_range, as
 * cat does) when its pages line up with the output's, else through the buffer from page boundaries
 * of the file (copy_file below; docs/benchmarks.md).
 *
 * On failure: exit status 1 and "fsimage: <step>: 0xHRESULT <message>" (the DLL's code and text) or
 * "fsimage: <step>: <path>: <system error>"; usage errors exit with 2. A partly written output file
 * is removed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "fsi/engine.h"
#include "fsi_version.h"        /* FSI_VERSION: the project's version (CMakeLists.txt) */
#include "errors_table.h"       /* src/com: the DLL's message texts (compat/windows.h shim) */
#include "imapi2fserror.h"

#define E_OUTOFMEMORY_HR ((HRESULT)0x8007000E)
#define E_INVALIDARG_HR  ((HRESULT)0x80070057)

#define BUF_SIZE  (512u << 10)          /* cursor reads and writes: in the CPU cache (benchmarks.md) */
#define COPY_MIN  (1u << 20)            /* files this large are copied with copy_file_range */
#define COPY_STEP ((size_t)64 << 20)    /* bytes per copy_file_range call with a progress line */
#define MAX_DEPTH 256                   /* folders deeper than this are left out, as AddTree does */

/* ---- options ---------------------------------------------------------------------------------- */

typedef struct options {
    unsigned fs;                        /* FSI_FS_* */
    int level;                          /* ISO 9660 interchange level */
    int udf;                            /* UDF revision, 0: the default (0x102) */
    int no_mirror, base, strict, quiet, map, boot_array;
    int append;                         /* 1: --append (sequential), 2: --rewrite (random-write) */
    unsigned import_fs;                 /* --import: FSI_FS_*; 0: ImportFileSystem's choice */
    int fs_given;
    long media_blocks;                  /* FreeMediaBlocks; <= 0: no limit */
    const char *volume;                 /* NULL: generated */
    const char *boot[FSI_BOOT_MAX];
    int nboot;
    const char *source, *output;
} options;

static void usage(FILE *f)
{
    fputs("usage: fsimage [options] SOURCE OUT.iso\n"
          "Build an image of the folder SOURCE with the imapi2fs engine.\n"
          "The defaults below are fsimage's own (fsimage.exe's too); a new MsftFileSystemImage of the\n"
          "DLL has Windows' defaults (iso9660,joliet,udf, level 1, UDF 1.02, 332800 media blocks).\n\n"
          "  -f, --fs LIST         file systems: iso9660,joliet,udf (default iso9660,joliet)\n"
          "  -l, --level N         ISO 9660 interchange level 1, 2 or 3 (default 2)\n"
          "  -u, --udf REV         UDF revision: 102, 150, 200, 201, 250 or 260 (or 0x102 ...; default 102)\n"
          "      --no-mirror       UDF 2.50+: no metadata mirror file (CreateRedundantUdfMetadataFiles)\n"
          "  -V, --volume NAME     volume name (default: generated from the date and time)\n"
          "  -b, --base            put SOURCE itself in the image (AddTree includeBaseDirectory)\n"
          "  -m, --media-blocks N  FreeMediaBlocks: capacity in 2048-byte blocks (default 0: no limit)\n"
          "  -s, --strict          StrictFileSystemCompliance\n"
          "      --boot SPEC       an El Torito boot entry (repeatable, in catalog order):\n"
          "                        FILE[,platform=0|1|2|0xEF|x86|efi][,emulation=none|1.2|1.44|2.88|hd]\n"
          "                        [,manufacturer=NAME]; one entry goes through BootImageOptions,\n"
          "                        several through BootImageOptionsArray\n"
          "      --boot-array      use BootImageOptionsArray for a single entry too\n"
          "      --append          OUT.iso exists: import its last session and add SOURCE as a new\n"
          "                        session after it (as fsimage.exe --append does through the DLL)\n"
          "      --rewrite         like --append, as on random-write media: rewrite only the modified\n"
          "                        blocks (the recognition area, the UDF anchor, the new session)\n"
          "      --import FS       with --append/--rewrite: import iso9660, joliet or udf\n"
          "                        (default: UDF, else Joliet, else ISO 9660)\n"
          "      --map             print the progress items on stdout, one line each:\n"
          "                        first block, last block, block count, description\n"
          "  -q, --quiet           no progress on stderr\n"
          "  -h, --help            this text\n"
          "      --version         print the version of imapi2fs and exit\n", f);
}

/* ---- messages --------------------------------------------------------------------------------- */

static const char *g_out_path;          /* removed on failure once created */
static int g_out_created;
static int g_bar_drawn;                 /* a progress line is on the terminal: end it first */

static void restore_old(void);

static void die(void)
{
    if (g_bar_drawn)
        fputc('\n', stderr);
    if (g_out_created)
        unlink(g_out_path);
    restore_old();
    exit(1);
}

static size_t put_utf8(char *out, size_t cap, size_t n, uint32_t c)
{
    char b[4];
    size_t k;
    if (c >= 0xD800 && c <= 0xDFFF)
        c = 0xFFFD;
    if (c < 0x80) b[0] = (char)c, k = 1;
    else if (c < 0x800) b[0] = (char)(0xC0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3F)), k = 2;
    else if (c < 0x10000)
        b[0] = (char)(0xE0 | c >> 12), b[1] = (char)(0x80 | (c >> 6 & 0x3F)), b[2] = (char)(0x80 | (c & 0x3F)), k = 3;
    else
        b[0] = (char)(0xF0 | c >> 18), b[1] = (char)(0x80 | (c >> 12 & 0x3F)), b[2] = (char)(0x80 | (c >> 6 & 0x3F)),
        b[3] = (char)(0x80 | (c & 0x3F)), k = 4;
    if (n + k < cap) {
        memcpy(out + n, b, k);
        n += k;
    }
    return n;
}

/* The DLL's message text of hr with the FormatMessage inserts "%1!ls!" ... replaced (errors.c). */
static void message_text(HRESULT hr, const char *const ins[3], char *out, size_t cap)
{
    const struct fsi_error_text *e = fsi_error_lookup(hr);
    const wchar_t *t = e ? e->text : NULL;
    size_t n = 0;
    out[0] = 0;
    if (hr == E_OUTOFMEMORY_HR)
        t = L"Not enough memory resources are available to complete this operation.";
    else if (hr == E_INVALIDARG_HR)
        t = L"The parameter is incorrect.";
    if (!t) {
        snprintf(out, cap, "Error 0x%08x", (unsigned)hr);
        return;
    }
    while (*t && n + 1 < cap) {
        if (t[0] == '%' && t[1] >= '1' && t[1] <= '3') {
            const char *in = ins[t[1] - '1'];
            t += 2;
            if (*t == '!') {
                const wchar_t *end = wcschr(t + 1, '!');
                if (end)
                    t = end + 1;
            }
            for (; in && *in && n + 1 < cap; in++)
                out[n++] = *in;
            continue;
        }
        if (t[0] == '%' && t[1] == '%') {
            out[n++] = '%';
            t += 2;
            continue;
        }
        n = put_utf8(out, cap, n, (uint32_t)*t++);
    }
    while (n && (out[n - 1] == ' ' || out[n - 1] == '\n' || out[n - 1] == '\r'))
        n--;
    out[n] = 0;
}

/* "fsimage: STEP: 0xHRESULT text" and exit 1, as fsimage.exe prints an IErrorInfo. */
static void fail_hr(const char *step, HRESULT hr, const char *i1, const char *i2, const char *i3)
{
    const char *ins[3] = { i1, i2, i3 };
    char text[4096];
    message_text(hr, ins, text, sizeof text);
    if (g_bar_drawn) {
        fputc('\n', stderr);
        g_bar_drawn = 0;
    }
    fprintf(stderr, "fsimage: %s: 0x%08X %s\n", step, (unsigned)hr, text);
    die();
}

static void fail_errno(const char *step, const char *path)
{
    int e = errno;
    if (g_bar_drawn) {
        fputc('\n', stderr);
        g_bar_drawn = 0;
    }
    fprintf(stderr, "fsimage: %s: %s: %s\n", step, path, strerror(e));
    die();
}

static void fail_nomem(const char *step) { fail_hr(step, E_OUTOFMEMORY_HR, NULL, NULL, NULL); }

static void warn(int quiet, const char *fmt, const char *path, const char *why)
{
    if (!quiet) {
        fputs("fsimage: warning: ", stderr);
        fprintf(stderr, fmt, path, why);
        fputc('\n', stderr);
    }
}

#define hr_from_status fsi_hresult_from_status   /* src/com/errors_table.c, as the DLL maps them */

static const char *fs_name(unsigned fs)
{
    return fs == FSI_FS_ISO9660 ? "ISO9660" : fs == FSI_FS_JOLIET ? "Joliet" : fs == FSI_FS_UDF ? "UDF"
         : fs == (FSI_FS_ISO9660 | FSI_FS_JOLIET) ? "ISO9660/Joliet" : "";
}

static char *utf8_of(const uint16_t *s, size_t len)
{
    char *out = malloc(4 * len + 1);
    if (!out)
        fail_nomem("memory");
    if (fsi_utf16_to_utf8(s, len, out, 4 * len + 1) == (size_t)-1)
        strcpy(out, "?");
    return out;
}

/* An engine failure with the inserts the DLL gives (errors.c, fsi_error_from_engine). */
static void fail_engine(const char *step, const fsi_err *e)
{
    char *path = utf8_of(e->path, e->path_len < FSI_ERR_PATH_MAX ? e->path_len : FSI_ERR_PATH_MAX);
    char expected[32], found[32];
    HRESULT hr = hr_from_status(e->code);
    switch (e->code) {
    case FSI_E_NO_UNIQUE_NAME:
        fail_hr(step, hr, path, fs_name(e->fs), NULL);
        break;
    case FSI_E_DATA_TOO_BIG:
    case FSI_E_TOO_MANY_DIRS:
    case FSI_E_CORRUPT:
    case FSI_E_FS_NOT_FOUND:
    case FSI_E_FS_FEATURE:
        fail_hr(step, hr, fs_name(e->fs), NULL, NULL);
        break;
    case FSI_E_MEDIUM_READ:
        snprintf(expected, sizeof expected, "%llu", (unsigned long long)e->expected);
        fail_hr(step, hr, expected, NULL, NULL);
        break;
    case FSI_E_INCONSISTENT:
        snprintf(expected, sizeof expected, "%llu", (unsigned long long)e->expected);
        snprintf(found, sizeof found, "%llu", (unsigned long long)e->found);
        fail_hr(step, hr, path, expected, found);
        break;
    default:
        fail_hr(step, hr, path, NULL, NULL);
    }
}

/* ---- names ------------------------------------------------------------------------------------ */

/* A file name (UTF-8 bytes) as Wine shows it to Windows programs: UTF-8 decoded with every
 * ill-formed part replaced by U+FFFD by Wine's rules (ntdll decode_utf8_char: the lead byte and the
 * continuation bytes accepted so far make one U+FFFD; a sequence cut by the end of the name is one
 * U+FFFD). Returns the UTF-16 units written (at most cap). */
static size_t name_to_utf16(const unsigned char *s, size_t n, uint16_t *out, size_t cap)
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
    const options *o;
    struct { dev_t dev; ino_t ino; } anc[MAX_DEPTH];    /* the folders being walked */
    int depth;
    uint64_t bytes, items, dirs;        /* what fsimage_check_add estimates from */
    unsigned max_depth;                 /* deepest folder level below the source */
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
        ul = name_to_utf16((const unsigned char *)nm, nl, name, FSI_ERR_PATH_MAX);
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
                w->dirs++;
                if ((unsigned)w->depth - 1 > w->max_depth)
                    w->max_depth = (unsigned)w->depth - 1;
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
                w->bytes += size;
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
        w->items++;
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

/* IFsiDirectoryItem::AddTree(source, includeBase) into the root: the walk into a detached folder,
 * the checks of fsimage_check_add, then one merge (src/com/items.c). */
static void add_tree(fsi_image *img, const options *o, uint32_t used_blocks)
{
    walker w;
    struct stat st, ost;
    fsi_node *top = NULL, *base = NULL, *into;
    fsi_status s;
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
        size_t ul = name_to_utf16((const unsigned char *)nm, strlen(nm), name, FSI_ERR_PATH_MAX);
        s = fsi_node_new_dir(name, ul, &base);
        if (s != FSI_OK)
            fail_hr("AddTree", hr_from_status(s), o->source, NULL, NULL);
        fsi_times t = times_of(&st);
        fsi_node_set_times(base, &t);
        w.items++;
        w.dirs++;
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

    /* fsimage_check_add: strict limits, then FreeMediaBlocks against an estimate */
    if (o->strict && (o->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET))) {
        unsigned level = 1 + w.max_depth + (o->base ? 1 : 0);
        if (w.dirs && level > 8)
            fail_hr("AddTree", IMAPI_E_ISO9660_LEVELS, NULL, NULL, NULL);
        if (fsi_image_dir_count(img) + 1 + w.dirs > 65535)
            fail_hr("AddTree", IMAPI_E_TOO_MANY_DIRS, (o->fs & FSI_FS_ISO9660) ? "ISO9660" : "Joliet", NULL, NULL);
    }
    if (o->media_blocks > 0) {
        uint64_t estimate = (uint64_t)used_blocks + (w.bytes + w.items * 2047) / 2048 + (w.items * 128 + 2047) / 2048;
        if (estimate > (uint64_t)o->media_blocks)
            fail_hr("AddTree", IMAPI_E_IMAGE_SIZE_LIMIT, o->source, NULL, NULL);
    }
    s = fsi_dir_merge(img, fsi_image_root(img), top);
    if (s != FSI_OK)
        fail_hr("AddTree", hr_from_status(s), o->source, NULL, NULL);
    fsi_node_unref(top);
    free(w.path);
    free(full);
}

/* ---- --append / --rewrite: the previous session ---------------------------------------------- */

/* OUT.iso as the medium the DLL sees through fsimage.exe's multisession objects
 * (tools/fsimage/imagedisc.c): its size is what is recorded; the next writable address is its end
 * (sequential), or the whole file is the volume (random-write). */
typedef struct previous {
    int fd;                             /* OUT.iso, for reading */
    uint64_t size, blocks;              /* before anything is written */
    fsi_medium *m;
    unsigned disc_fs;                   /* the imported session's file systems */
} previous;

/* len bytes at off, all of them (0), or -1 */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static int file_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    const previous *pv = ctx;
    return pread_all(pv->fd, buf, (size_t)count * FSI_BLOCK_SIZE, lba * FSI_BLOCK_SIZE);
}

#define FS_SUPPORTED (FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF)

/* MultisessionInterfaces and ImportFileSystem / ImportSpecificFileSystem as the DLL does them
 * (src/com/fsimage.c, import_fs): the session's tree goes into img, and po gets its file systems,
 * UDF revision and where the new session goes. The imported volume name becomes the volume name
 * when none is given, as fsimage.exe does. */
static void import_previous(fsi_image *img, const options *o, fsi_plan_opts *po, previous *pv, uint16_t *volume,
                            size_t *vlen)
{
    struct stat st;
    fsi_import_info info;
    fsi_image *imp = NULL;
    fsi_err err;
    uint64_t start = 0;
    unsigned want = o->import_fs;

    do
        pv->fd = open(o->output, O_RDONLY | O_CLOEXEC);
    while (pv->fd < 0 && errno == EINTR);
    if (pv->fd < 0)
        fail_errno("open the image to append to", o->output);
    if (fstat(pv->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        errno = EINVAL;
        fail_errno("open the image to append to", o->output);
    }
    pv->size = (uint64_t)st.st_size;
    pv->blocks = pv->size / FSI_BLOCK_SIZE;
    if (!(pv->m = fsi_medium_new(file_read, pv, NULL, pv->blocks)))
        fail_nomem("memory");
    if (!pv->blocks)                    /* IsFirstDataSession */
        fail_hr("ImportFileSystem", IMAPI_E_EMPTY_DISC, NULL, NULL, NULL);
    if (o->append == 1)
        start = fsi_last_session(file_read, pv, pv->blocks);
    pv->disc_fs = fsi_identify_session(file_read, pv, pv->blocks, start);
    if (!pv->disc_fs)
        fail_hr("ImportFileSystem", IMAPI_E_EMPTY_DISC, NULL, NULL, NULL);
    if (!(pv->disc_fs & FS_SUPPORTED))
        fail_hr("ImportFileSystem", IMAPI_E_NO_SUPPORTED_FILE_SYSTEM, NULL, NULL, NULL);
    if (want && !(pv->disc_fs & want))
        fail_hr("ImportFileSystem", IMAPI_E_FILE_SYSTEM_NOT_FOUND, fs_name(want), NULL, NULL);
    if (!want)                          /* GetDefaultFileSystemForImport */
        want = (pv->disc_fs & FSI_FS_UDF) ? FSI_FS_UDF : (pv->disc_fs & FSI_FS_JOLIET) ? FSI_FS_JOLIET : FSI_FS_ISO9660;
    if (fsi_import(pv->m, start, want, &imp, &info, NULL, NULL, &err) != FSI_OK)
        fail_engine("ImportFileSystem", &err);
    if (fsi_image_merge(img, fsi_image_root(img), imp) != FSI_OK)
        fail_nomem("ImportFileSystem");
    fsi_image_free(imp);

    /* the new session carries the same file systems, and UDF the same revision */
    po->fs = pv->disc_fs & FS_SUPPORTED;
    if (pv->disc_fs & FSI_FS_UDF) {
        int rev = want == FSI_FS_UDF && info.udf_revision
                ? info.udf_revision : fsi_identify_udf_revision(file_read, pv, pv->blocks, start);
        if (fsi_udf_revision_supported(rev))
            po->udf_revision = rev;
    }
    if (o->append == 1) {
        /* sequential: after what is recorded; old files stay where they are */
        po->session_start = (uint32_t)pv->blocks;
        po->reuse_end = po->session_start;
    } else {
        /* random-write: after the old volume, whose recognition area and anchor are rewritten */
        uint64_t vrs_end = fsi_recognition_end(file_read, pv, pv->blocks, 0);
        po->base = pv->m;
        po->base_vrs_end = (uint32_t)vrs_end;
        po->reuse_end = info.volume_blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)info.volume_blocks;
        po->session_start = (uint32_t)fsi_overwrite_session_start(info.volume_blocks, pv->blocks, 16, vrs_end);
    }
    if (!o->volume && info.volume_name_len && info.volume_name_len <= 32) {
        size_t i = 0;
        while (i < info.volume_name_len && info.volume_name[i] >= 0x20)
            i++;
        if (i == info.volume_name_len) {        /* put_VolumeName's checks */
            memcpy(volume, info.volume_name, i * sizeof(uint16_t));
            *vlen = i;
        }
    }
    if (!o->quiet)
        fprintf(stderr, "imported %s: %llu files, %llu directories; new session at block %u\n",
                want == FSI_FS_UDF ? "UDF" : want == FSI_FS_JOLIET ? "Joliet" : "ISO 9660",
                (unsigned long long)fsi_image_file_count(img), (unsigned long long)fsi_image_dir_count(img) + 1,
                po->session_start);     /* the root counts, as in the DLL's DirectoryCount */
}

/* On failure after the output has been opened for --append/--rewrite: the bytes below its old end
 * that are rewritten are saved first and put back, and the file is cut to its old size, so that a
 * failed append leaves the image as it was. */
static struct {
    int fd, active;
    uint64_t size;
    struct saved { uint64_t off; size_t len; uint8_t *data; } *saved;
    size_t nsaved;
} g_restore;

static void save_old(const previous *pv, uint64_t off, uint64_t len)
{
    struct saved *grown;
    if (off >= pv->size)
        return;
    if (len > pv->size - off)
        len = pv->size - off;
    uint8_t *d = malloc(len ? len : 1);
    grown = realloc(g_restore.saved, (g_restore.nsaved + 1) * sizeof *grown);
    if (!d || !grown)
        fail_nomem("memory");
    g_restore.saved = grown;
    if (pread_all(pv->fd, d, (size_t)len, off) != 0)
        fail_errno("read the image to append to", g_out_path);
    g_restore.saved[g_restore.nsaved].off = off;
    g_restore.saved[g_restore.nsaved].len = (size_t)len;
    g_restore.saved[g_restore.nsaved++].data = d;
}

static void restore_old(void)
{
    if (!g_restore.active)
        return;
    g_restore.active = 0;
    /* best effort: the process is failing already */
    for (size_t i = 0; i < g_restore.nsaved; i++)
        if (pwrite(g_restore.fd, g_restore.saved[i].data, g_restore.saved[i].len, (off_t)g_restore.saved[i].off) < 0)
            break;
    (void)!ftruncate(g_restore.fd, (off_t)g_restore.size);
}

/* ---- --boot: BootOptions ---------------------------------------------------------------------- */

typedef struct boot_set {
    fsi_boot_entry e[FSI_BOOT_MAX];
    char id[FSI_BOOT_MAX][25];
    uint8_t *data[FSI_BOOT_MAX];        /* the copies the memory sources read */
    size_t n;
} boot_set;

static uint32_t floppy_size(unsigned emulation)
{
    return emulation == FSI_EMUL_FLOPPY12 ? 1228800 : emulation == FSI_EMUL_FLOPPY144 ? 1474560
         : emulation == FSI_EMUL_FLOPPY288 ? 2949120 : 0;
}

/* One entry the way fsimage.exe makes its BootOptions (AssignBootImage, PlatformId, Emulation,
 * Manufacturer) and put_BootImageOptions copies it (src/com/bootoptions.c). */
static void make_boot(boot_set *set, const char *spec, const char *put_step)
{
    char *buf = strdup(spec), *save = NULL, *tok, *file;
    unsigned platform = FSI_BOOT_X86, emulation = FSI_EMUL_NONE;
    int have_emulation = 0;
    const char *manufacturer = NULL;
    fsi_boot_entry *e = &set->e[set->n];
    uint8_t *data = NULL;
    size_t size = 0, cap = 0;
    FILE *f;

    if (!buf)
        fail_nomem("--boot");
    if (!(file = strtok_r(buf, ",", &save)))
        fail_hr("--boot", E_INVALIDARG_HR, NULL, NULL, NULL);
    while ((tok = strtok_r(NULL, ",", &save))) {
        char *v = strchr(tok, '=');
        if (!v) {
            fprintf(stderr, "fsimage: bad --boot item '%s'\n", tok);
            exit(2);
        }
        *v++ = 0;
        if (!strcasecmp(tok, "platform")) {
            if (!strcasecmp(v, "x86")) platform = FSI_BOOT_X86;
            else if (!strcasecmp(v, "efi")) platform = FSI_BOOT_EFI;
            else if (!strcasecmp(v, "ppc") || !strcasecmp(v, "powerpc")) platform = FSI_BOOT_POWERPC;
            else if (!strcasecmp(v, "mac")) platform = FSI_BOOT_MAC;
            else platform = (unsigned)strtol(v, NULL, 0);
        } else if (!strcasecmp(tok, "emulation")) {
            have_emulation = 1;
            if (!strcasecmp(v, "none")) emulation = FSI_EMUL_NONE;
            else if (!strcmp(v, "1.2")) emulation = FSI_EMUL_FLOPPY12;
            else if (!strcmp(v, "1.44")) emulation = FSI_EMUL_FLOPPY144;
            else if (!strcmp(v, "2.88")) emulation = FSI_EMUL_FLOPPY288;
            else if (!strcasecmp(v, "hd")) emulation = FSI_EMUL_HARD_DISK;
            else {
                fprintf(stderr, "fsimage: bad emulation '%s'\n", v);
                exit(2);
            }
        } else if (!strcasecmp(tok, "manufacturer"))
            manufacturer = v;
        else {
            fprintf(stderr, "fsimage: bad --boot item '%s'\n", tok);
            exit(2);
        }
    }
    /* AssignBootImage: the image's bytes (the DLL keeps a copy; so do we) */
    if (!(f = fopen(file, "rb")))
        fail_errno("opening the boot image", file);
    for (;;) {
        size_t got;
        if (size == cap) {
            uint8_t *grown;
            if (cap >= 0x80000000u)
                fail_hr("AssignBootImage", IMAPI_E_BOOT_IMAGE_DATA, NULL, NULL, NULL);
            if (!(grown = realloc(data, cap = cap ? 2 * cap : 65536)))
                fail_nomem("AssignBootImage");
            data = grown;
        }
        got = fread(data + size, 1, cap - size, f);
        if (!got)
            break;
        size += got;
    }
    if (ferror(f))
        fail_errno("opening the boot image", file);
    fclose(f);
    /* AssignBootImage: a floppy-sized image gets that floppy's emulation; an emulation given
     * explicitly is put after it and wins, as fsimage.exe does */
    if (!have_emulation)
        emulation = size == 1228800 ? FSI_EMUL_FLOPPY12 : size == 1474560 ? FSI_EMUL_FLOPPY144
                  : size == 2949120 ? FSI_EMUL_FLOPPY288 : FSI_EMUL_NONE;
    if (platform != FSI_BOOT_X86 && platform != FSI_BOOT_POWERPC && platform != FSI_BOOT_MAC && platform != FSI_BOOT_EFI)
        fail_hr("PlatformId", IMAPI_E_INVALID_PARAM, "newVal", NULL, NULL);
    if (have_emulation) {
        /* the explicit emulation wins over AssignBootImage's choice, if the size fits */
        if (floppy_size(emulation) && floppy_size(emulation) != size)
            fail_hr("Emulation", IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH, NULL, NULL, NULL);
    }
    memset(set->id[set->n], 0, sizeof set->id[set->n]);
    if (manufacturer) {
        /* up to 24 bytes of the ANSI code page: ASCII here (docs/behaviour.md) */
        size_t ml = strlen(manufacturer);
        for (size_t i = 0; i < ml; i++)
            if ((unsigned char)manufacturer[i] >= 0x80)
                ml = 25;
        if (ml > 24)
            fail_hr("Manufacturer", IMAPI_E_INVALID_PARAM, "newVal", NULL, NULL);
        memcpy(set->id[set->n], manufacturer, ml);
    }
    /* put_BootImageOptions(Array): fsi_boot_set_add */
    if (!size)
        fail_hr(put_step, IMAPI_E_BOOT_IMAGE_DATA, "newVal", NULL, NULL);
    memset(e, 0, sizeof *e);
    e->platform = platform;
    e->emulation = emulation;
    e->load_segment = 0;
    e->sector_count = -1;
    e->system_type = emulation == FSI_EMUL_HARD_DISK ? fsi_boot_system_type(data, size) : 0;
    e->size = size;
    e->id = set->id[set->n];
    if (!(e->src = fsi_source_new_memory(data, size)))
        fail_nomem(put_step);
    set->data[set->n++] = data;
    free(buf);
}

/* ---- progress --------------------------------------------------------------------------------- */

typedef struct progress {
    int live;                           /* stderr is a terminal and not --quiet */
    uint32_t total;                     /* blocks */
    uint32_t session_start;
    int last_pct;
    uint64_t last_draw;                 /* ms */
} progress;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* fsimage.exe's line: "writing image: [####----] 42% (done of total blocks) ...end of the path",
 * 79 columns, redrawn when the percentage changes or every 200 ms. */
static void draw(progress *p, uint32_t done, const uint16_t *file, size_t flen, int force)
{
    wchar_t line[160], bar[21];
    char out[640];
    int pct = p->total ? (int)((uint64_t)done * 100 / p->total) : 100, n;
    size_t o = 0, cols = 0;
    uint64_t now = now_ms();
    if (!p->live || (!force && pct == p->last_pct && now - p->last_draw < 200))
        return;
    p->last_pct = pct;
    p->last_draw = now;
    for (int i = 0; i < 20; i++)
        bar[i] = i < pct / 5 ? '#' : '-';
    bar[20] = 0;
    n = swprintf(line, 160, L"writing image: [%ls] %3d%% (%u of %u blocks) ", bar, pct, done, p->total);
    if (n > 0 && file) {
        size_t room = n < 79 ? 79 - (size_t)n : 0, skip = 0, k = (size_t)n;
        if (flen > room)
            skip = flen - (room > 3 ? room - 3 : room);
        if (flen > room && room > 3)
            for (int i = 0; i < 3; i++)
                line[k++] = '.';
        for (size_t i = skip; i < flen && k < 159; i++) {
            uint32_t c = file[i];
            if (c >= 0xD800 && c < 0xDC00 && i + 1 < flen && file[i + 1] >= 0xDC00 && file[i + 1] < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (file[i + 1] - 0xDC00);
                i++;
            }
            line[k++] = (wchar_t)c;
        }
        line[k] = 0;
    }
    out[o++] = '\r';
    for (size_t i = 0; line[i] && cols < 79; i++, cols++)
        o = put_utf8(out, sizeof out, o, (uint32_t)line[i]);
    for (; cols < 79 && o + 1 < sizeof out; cols++)
        out[o++] = ' ';
    fwrite(out, 1, o, stderr);
    fflush(stderr);
    g_bar_drawn = 1;
}

/* Cursor callback: blocks of one file copied (fsimage.exe's Update events). */
static void on_progress(void *ctx, const fsi_extent_info *file, uint32_t copied, uint32_t total)
{
    progress *p = ctx;
    (void)total;
    draw(p, file->first_block - p->session_start + copied, file->path, file->path_len, 0);
}

/* ---- --map: the progress items (src/com/progress.c) ------------------------------------------- */

static void print_item(uint32_t first, uint32_t count, const uint16_t *desc, size_t len)
{
    char *d = utf8_of(desc, len);
    printf("%10u %10u %10u %s\n", first, first + count - 1, count, d);
    free(d);
}

static void print_map(const fsi_plan *plan, uint32_t session_start)
{
    static const uint16_t meta[] = u"File system metadata";
    const size_t mlen = sizeof meta / sizeof meta[0] - 1;
    uint64_t next = session_start, end = (uint64_t)session_start + fsi_plan_total_blocks(plan);
    for (size_t i = 0; i < fsi_plan_extent_count(plan); i++) {
        const fsi_extent_info *x = fsi_plan_extent(plan, i);
        if (!x->block_count || x->first_block < next)
            continue;
        if (x->first_block > next)
            print_item((uint32_t)next, (uint32_t)(x->first_block - next), meta, mlen);
        print_item(x->first_block, x->block_count, x->path, x->path_len);
        next = (uint64_t)x->first_block + x->block_count;
    }
    if (next < end)
        print_item((uint32_t)next, (uint32_t)(end - next), meta, mlen);
    fflush(stdout);
}

/* ---- writing the image ------------------------------------------------------------------------ */

typedef struct writer {
    int fd;
    uint64_t out_base;                  /* output offset of the plan's first block (--append) */
    uint64_t fresh;                     /* plan offsets from here are past the output's old end:
                                           unwritten bytes there read as zeros */
    int regular;                        /* output is a regular file: positioned writes, kernel copies */
    int copy_ok;                        /* large files may be copied by the kernel (regular output) */
    int cfr_ok;                         /* copy_file_range works between these files */
    const char *out;
    fsi_plan *plan;
    fsi_cursor *cur;
    fsi_image *img;
    uint8_t *buf;
    progress *pg;
} writer;

static void write_out(writer *w, const void *data, size_t n, uint64_t off)
{
    const char *p = data;
    while (n) {
        ssize_t r = w->regular ? pwrite(w->fd, p, n, (off_t)(w->out_base + off)) : write(w->fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fail_errno("writing the output", w->out);
        }
        p += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
}

/* Image bytes [from, to) through the cursor (metadata, small files, gaps), one write per buffer. */
static void write_range(writer *w, uint64_t from, uint64_t to)
{
    fsi_err err;
    while (from < to) {
        size_t n = to - from < BUF_SIZE ? (size_t)(to - from) : BUF_SIZE;
        fsi_status s = fsi_cursor_read(w->cur, from, w->buf, n, &err);
        if (s != FSI_OK)
            fail_engine("reading the image stream", &err);
        write_out(w, w->buf, n, from);
        from += n;
    }
}

/* The host file behind a file extent, if it is one of ours. */
static const cli_source *extent_source(writer *w, const fsi_extent_info *x)
{
    fsi_node *n = NULL;
    fsi_source *s;
    if (!x->is_file || x->size < COPY_MIN || !x->path_len || x->path[0] != '\\')
        return NULL;
    if (fsi_dir_walk(fsi_image_root(w->img), x->path, x->path_len, &n) != FSI_OK || fsi_node_is_dir(n) ||
        fsi_node_size(n) != x->size || !(s = fsi_node_source(n)) || s->ops != &src_ops)
        return NULL;
    return (const cli_source *)s;
}

static void file_failed(const fsi_extent_info *x, fsi_status st, uint64_t expected, uint64_t found)
{
    fsi_err e;
    memset(&e, 0, sizeof e);
    e.code = st;
    e.path_len = x->path_len < FSI_ERR_PATH_MAX ? x->path_len : FSI_ERR_PATH_MAX;
    memcpy(e.path, x->path, e.path_len * sizeof(uint16_t));
    e.expected = expected;
    e.found = found;
    fail_engine("reading the image stream", &e);
}

/* Copy a whole file extent to image offset off. File data starts at a 2048-byte block, so half of
 * the files land half a page off the page they come from. When the pages line up, the kernel copies
 * (copy_file_range, as cat does; on a file system with reflinks, no copy at all). Otherwise the
 * kernel's copy would split every page of the output in two (30% slower): the file goes through the
 * 512 KiB buffer, read from page boundaries of the file (docs/benchmarks.md). Returns 0 when the
 * caller should go through the cursor (nothing written). */
static uint64_t page_size(void)
{
    static long page;
    if (!page && (page = sysconf(_SC_PAGESIZE)) <= 0)
        page = 4096;
    return (uint64_t)page;
}

static int copy_file(writer *w, const fsi_extent_info *x, const cli_source *s, uint64_t off)
{
    uint64_t done = 0;
    char extra;
    int fd;
    do
        fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        file_failed(x, FSI_E_READ, 0, 0);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (!w->cfr_ok || off % page_size()) {
        /* through the buffer, reading whole pages of the file */
        while (done < x->size) {
            size_t n = x->size - done < BUF_SIZE ? (size_t)(x->size - done) : BUF_SIZE, got = 0;
            while (got < n) {
                ssize_t r = pread(fd, w->buf + got, n - got, (off_t)(done + got));
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0)
                    file_failed(x, FSI_E_READ, 0, 0);
                if (r == 0)             /* shorter than when it was added */
                    file_failed(x, FSI_E_INCONSISTENT, x->size, done + got);
                got += (size_t)r;
            }
            write_out(w, w->buf, n, off + done);
            done += n;
            if (w->pg->live)
                draw(w->pg, (uint32_t)((off + done) / FSI_BLOCK_SIZE), x->path, x->path_len, 0);
        }
    } else {
        off_t in = 0, out = (off_t)(w->out_base + off);
        while (done < x->size) {
            uint64_t left = x->size - done;
            /* in steps when a progress line is drawn, else in one call as cat does */
            size_t step = w->pg->live && left > COPY_STEP ? COPY_STEP : left > SSIZE_MAX ? SSIZE_MAX : (size_t)left;
            ssize_t r = copy_file_range(fd, &in, w->fd, &out, step, 0);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                if (!done && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
                              errno == EBADF || errno == EPERM || errno == ETXTBSY || errno == ESPIPE)) {
                    w->cfr_ok = 0;      /* not between these two: the buffer from now on */
                    close(fd);
                    return 0;
                }
                if (errno == ENOSPC || errno == EFBIG || errno == EDQUOT)
                    fail_errno("writing the output", w->out);
                file_failed(x, FSI_E_READ, 0, 0);
            }
            if (r == 0)                 /* shorter than when it was added */
                file_failed(x, FSI_E_INCONSISTENT, x->size, done);
            done += (uint64_t)r;
            if (w->pg->live)
                draw(w->pg, (uint32_t)((off + done) / FSI_BLOCK_SIZE), x->path, x->path_len, 0);
        }
    }
    if (pread(fd, &extra, 1, (off_t)x->size) == 1)     /* longer than when it was added */
        file_failed(x, FSI_E_INCONSISTENT, x->size, x->size + 1);
    close(fd);
    return 1;
}

/* Plan bytes [from, to) (offsets from block origin, the plan's first block) to the output. A file
 * of COPY_MIN bytes or more that lies in the span, past w->fresh, is copied on its own (its last
 * block's tail left as a hole, zeros); everything else goes through the cursor. */
static void write_span(writer *w, uint32_t origin, uint64_t from, uint64_t to)
{
    const size_t count = fsi_plan_extent_count(w->plan);
    uint64_t pos = from;
    size_t i = 0;
    while (pos < to) {
        const fsi_extent_info *x = NULL;
        const cli_source *s = NULL;
        uint64_t start = to;
        /* the next file to copy on its own; everything before it through the cursor */
        for (; w->copy_ok && i < count; i++) {
            x = fsi_plan_extent(w->plan, i);
            if (x->first_block < origin)
                continue;
            start = (uint64_t)(x->first_block - origin) * FSI_BLOCK_SIZE;
            if (start >= to)
                break;
            if (start >= pos && start >= w->fresh && start + (uint64_t)x->block_count * FSI_BLOCK_SIZE <= to &&
                (s = extent_source(w, x)))
                break;
        }
        if (!s)
            start = to;
        write_range(w, pos, start);
        pos = start;
        if (!s)
            break;
        if (!copy_file(w, x, s, pos))
            write_range(w, pos, pos + (uint64_t)x->block_count * FSI_BLOCK_SIZE);
        pos += (uint64_t)x->block_count * FSI_BLOCK_SIZE;
        i++;
    }
}

/* ---- the image's settings --------------------------------------------------------------------- */

static int parse_fs(const char *list, unsigned *out)
{
    char buf[256], *tok, *save = NULL;
    unsigned fs = 0;
    snprintf(buf, sizeof buf, "%s", list);
    for (tok = strtok_r(buf, ",+", &save); tok; tok = strtok_r(NULL, ",+", &save)) {
        if (!strcasecmp(tok, "iso9660") || !strcasecmp(tok, "iso")) fs |= FSI_FS_ISO9660;
        else if (!strcasecmp(tok, "joliet")) fs |= FSI_FS_JOLIET;
        else if (!strcasecmp(tok, "udf")) fs |= FSI_FS_UDF;
        else return 0;
    }
    *out = fs;
    return fs != 0;
}

/* "250", "0x250" (hexadecimal, as fsimage.exe reads them) and "2.50" all mean UDF 2.50. */
static int parse_udf(const char *s)
{
    if (s[0] >= '1' && s[0] <= '9' && s[1] == '.' && strlen(s) == 4)
        return (s[0] - '0') << 8 | (s[2] - '0') << 4 | (s[3] - '0');
    return (int)strtol(s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s, NULL, 16);
}

/* Options go anywhere before "--"; to add one (e.g. --append IMAGE): an entry in long_opts (a
 * LONG_* code for a long-only option), a case below, a field in options and a line in usage(). */
enum { LONG_NO_MIRROR = 0x100, LONG_MAP, LONG_BOOT, LONG_BOOT_ARRAY, LONG_APPEND, LONG_REWRITE, LONG_IMPORT,
       LONG_VERSION };

static const struct option long_opts[] = {
    { "fs", required_argument, NULL, 'f' },
    { "level", required_argument, NULL, 'l' },
    { "udf", required_argument, NULL, 'u' },
    { "no-mirror", no_argument, NULL, LONG_NO_MIRROR },
    { "volume", required_argument, NULL, 'V' },
    { "base", no_argument, NULL, 'b' },
    { "media-blocks", required_argument, NULL, 'm' },
    { "strict", no_argument, NULL, 's' },
    { "boot", required_argument, NULL, LONG_BOOT },
    { "boot-array", no_argument, NULL, LONG_BOOT_ARRAY },
    { "map", no_argument, NULL, LONG_MAP },
    { "append", no_argument, NULL, LONG_APPEND },
    { "rewrite", no_argument, NULL, LONG_REWRITE },
    { "import", required_argument, NULL, LONG_IMPORT },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, LONG_VERSION },
    { NULL, 0, NULL, 0 },
};

static void parse_args(int argc, char **argv, options *o)
{
    int c;
    memset(o, 0, sizeof *o);
    o->fs = FSI_FS_ISO9660 | FSI_FS_JOLIET;
    o->level = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:l:u:V:bm:sqh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); exit(0);
        case LONG_VERSION: printf("fsimage (imapi2fs) %s\n", FSI_VERSION); exit(0);
        case 'f':
            if (!parse_fs(optarg, &o->fs)) {
                fprintf(stderr, "fsimage: bad file system list '%s'\n", optarg);
                exit(2);
            }
            o->fs_given = 1;
            break;
        case 'l': o->level = atoi(optarg); break;
        case LONG_APPEND: o->append = 1; break;
        case LONG_REWRITE: o->append = 2; break;
        case LONG_IMPORT:
            if (!parse_fs(optarg, &o->import_fs) ||
                (o->import_fs != FSI_FS_ISO9660 && o->import_fs != FSI_FS_JOLIET && o->import_fs != FSI_FS_UDF)) {
                fprintf(stderr, "fsimage: --import takes one of iso9660, joliet, udf\n");
                exit(2);
            }
            break;
        case 'u': o->udf = parse_udf(optarg); break;
        case LONG_NO_MIRROR: o->no_mirror = 1; break;
        case LONG_MAP: o->map = 1; break;
        case LONG_BOOT:
            if (o->nboot == (int)FSI_BOOT_MAX) {
                fprintf(stderr, "fsimage: at most 32 --boot\n");
                exit(2);
            }
            o->boot[o->nboot++] = optarg;
            break;
        case LONG_BOOT_ARRAY: o->boot_array = 1; break;
        case 'V': o->volume = optarg; break;
        case 'm': o->media_blocks = atol(optarg); break;
        case 'b': o->base = 1; break;
        case 's': o->strict = 1; break;
        case 'q': o->quiet = 1; break;
        case ':':
            fprintf(stderr, "fsimage: option '%s' needs a value\n", argv[optind - 1]);
            usage(stderr);
            exit(2);
        default:
            fprintf(stderr, "fsimage: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            exit(2);
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        exit(2);
    }
    o->source = argv[optind];
    o->output = argv[optind + 1];
}

/* SOURCE_DATE_EPOCH (decimal seconds, >= 0) or the current time (src/com/fsimage.c, now_time). */
static fsi_time creation_time(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    struct timespec ts;
    if (s && *s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (!*end && v >= 0)
            return fsi_time_from_unix(v, 0);
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    return fsi_time_from_unix(ts.tv_sec, (int32_t)ts.tv_nsec);
}

/* "YYYYMMDD_HHMMSS" of t, UTC: the volume name when none is given. */
static size_t default_volume_name(fsi_time t, uint16_t out[16])
{
    time_t sec = (time_t)((t - FSI_TIME_UNIX_EPOCH) / 10000000);
    struct tm tm;
    char s[32];
    gmtime_r(&sec, &tm);
    snprintf(s, sizeof s, "%04d%02d%02d_%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    for (int i = 0; i < 15; i++)
        out[i] = (uint16_t)s[i];
    return 15;
}

int main(int argc, char **argv)
{
    options o;
    fsi_plan_opts po;
    boot_set boot;
    uint16_t volume[64], defname[16];
    size_t vlen = 0;
    fsi_image *img;
    fsi_plan *plan = NULL;
    fsi_err err;
    fsi_status s;
    uint32_t used = 0, total, origin;
    uint64_t end;
    progress pg;
    writer w;
    previous pv;
    struct stat st;

    parse_args(argc, argv, &o);
    g_out_path = o.output;
    memset(&pv, 0, sizeof pv);
    pv.fd = -1;
    memset(&boot, 0, sizeof boot);
    if (!(img = fsi_image_new()))
        fail_nomem("memory");
    {
        /* the root folder is dated when the image is made, as the DLL does */
        fsi_times t;
        t.creation = t.access = t.modification = creation_time();
        fsi_node_set_times(fsi_image_root(img), &t);
    }

    /* the previous session first, then the properties, in fsimage.exe's order and with the DLL's
     * checks */
    memset(&po, 0, sizeof po);
    po.fs = o.fs;
    po.iso_level = 2;
    po.udf_revision = 0x102;
    po.udf_redundant_metadata = !o.no_mirror;
    if (o.append) {
        import_previous(img, &o, &po, &pv, volume, &vlen);
        if (o.fs_given && o.fs != po.fs)
            fail_hr("FileSystemsToCreate", IMAPI_E_FILE_SYSTEM_CHANGE_NOT_ALLOWED, NULL, NULL, NULL);
    }
    if (o.udf) {
        if (!fsi_udf_revision_supported(o.udf))
            fail_hr("UDFRevision", IMAPI_E_INVALID_PARAM, "newVal", NULL, NULL);
        if ((pv.disc_fs & FSI_FS_UDF) && o.udf != po.udf_revision)
            fail_hr("UDFRevision", IMAPI_E_UDF_REVISION_CHANGE_NOT_ALLOWED, NULL, NULL, NULL);
        po.udf_revision = o.udf;
    }
    if (po.fs & FSI_FS_ISO9660) {
        if (o.level < 1 || o.level > 3)
            fail_hr("ISO9660InterchangeLevel", IMAPI_E_INVALID_PARAM, "newVal", NULL, NULL);
        po.iso_level = o.level;
    }
    if (o.media_blocks > 0) {
        /* FreeMediaBlocks: the empty image must fit */
        if ((s = fsi_plan_build(img, &po, &plan, &err)) != FSI_OK)
            fail_engine("FreeMediaBlocks", &err);
        if (fsi_plan_total_blocks(plan) > (uint64_t)o.media_blocks)
            fail_hr("FreeMediaBlocks", IMAPI_E_IMAGE_TOO_BIG, NULL, NULL, NULL);
        fsi_plan_unref(plan);
    }
    po.strict = o.strict;
    if (o.volume) {
        /* VolumeName: up to 32 UTF-16 units, no control characters; "" means none */
        size_t n = strlen(o.volume);
        vlen = fsi_utf8_to_utf16(o.volume, n, volume, 64);
        if (vlen == (size_t)-1)
            vlen = name_to_utf16((const unsigned char *)o.volume, n, volume, 64);
        if (vlen > 32)
            fail_hr("VolumeName", IMAPI_E_INVALID_VOLUME_NAME, NULL, NULL, NULL);
        for (size_t i = 0; i < vlen; i++)
            if (volume[i] < 0x20)
                fail_hr("VolumeName", IMAPI_E_INVALID_VOLUME_NAME, NULL, NULL, NULL);
    }
    for (int i = 0; i < o.nboot; i++)
        make_boot(&boot, o.boot[i], o.nboot == 1 && !o.boot_array ? "BootImageOptions" : "BootImageOptionsArray");
    if (o.append && (o.nboot || o.boot_array))     /* boot images go into a first session only */
        fail_hr(o.nboot == 1 && !o.boot_array ? "BootImageOptions" : "BootImageOptionsArray",
                IMAPI_E_BOOT_OBJECT_CONFLICT, NULL, NULL, NULL);
    po.boot = boot.e;
    po.boot_count = boot.n;

    if (!o.quiet)
        fprintf(stderr, "adding %s\n", o.source);
    if (o.media_blocks > 0) {
        /* what the image holds before the add (boot images included), for the estimate */
        if ((s = fsi_plan_build(img, &po, &plan, &err)) != FSI_OK)
            fail_engine("AddTree", &err);
        used = fsi_plan_total_blocks(plan);
        fsi_plan_unref(plan);
    }
    add_tree(img, &o, used);

    /* CreateResultImage */
    po.creation_time = creation_time();
    if (vlen) {
        po.volume_name = volume;
        po.volume_name_len = vlen;
    } else {
        po.volume_name = defname;
        po.volume_name_len = default_volume_name(po.creation_time, defname);
    }
    if ((s = fsi_plan_build(img, &po, &plan, &err)) != FSI_OK)
        fail_engine("CreateResultImage", &err);
    total = fsi_plan_total_blocks(plan);
    if (!o.quiet)
        fprintf(stderr, "%llu files, %llu directories, %u blocks\n", (unsigned long long)fsi_image_file_count(img),
                (unsigned long long)fsi_image_dir_count(img) + 1, total);    /* the root counts, as on Windows */
    /* a random-write result covers the volume from block 0 */
    origin = po.base ? 0 : po.session_start;
    if (o.map)
        print_map(plan, origin);

    memset(&pg, 0, sizeof pg);
    pg.live = !o.quiet && isatty(STDERR_FILENO);
    pg.total = total;
    pg.session_start = origin;
    pg.last_pct = -1;
    memset(&w, 0, sizeof w);
    w.plan = plan;
    w.img = img;
    w.out = o.output;
    w.pg = &pg;
    if (!(w.cur = fsi_cursor_new(plan)) || !(w.buf = aligned_alloc(4096, BUF_SIZE)))
        fail_nomem("memory");
    if (pg.live) {
        fsi_cursor_set_progress(w.cur, on_progress, &pg);
        draw(&pg, 0, NULL, 0, 1);
    }
    if (!o.append) {
        w.fd = open(o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (w.fd < 0)
            fail_errno("create output", o.output);
        w.regular = fstat(w.fd, &st) == 0 && S_ISREG(st.st_mode);
        g_out_created = w.regular;
        w.copy_ok = w.regular;
        w.cfr_ok = 1;
        write_span(&w, origin, 0, (uint64_t)total * FSI_BLOCK_SIZE);
        end = (uint64_t)total * FSI_BLOCK_SIZE;
    } else {
        /* the new session first, then (--rewrite) the blocks that lead readers to it, last to first:
         * until those are written the old volume is intact, and every old block the new session
         * copies is read before anything over it is written */
        uint32_t first, count;
        size_t n = fsi_plan_modified_count(plan);
        w.fd = open(o.output, O_WRONLY | O_CLOEXEC);
        if (w.fd < 0)
            fail_errno("open the image to append to", o.output);
        w.regular = w.copy_ok = w.cfr_ok = 1;
        w.out_base = (uint64_t)origin * FSI_BLOCK_SIZE;
        w.fresh = pv.size > w.out_base ? pv.size - w.out_base : 0;
        for (size_t i = 0; i < n; i++) {
            fsi_plan_modified(plan, i, &first, &count);
            save_old(&pv, (uint64_t)first * FSI_BLOCK_SIZE, (uint64_t)count * FSI_BLOCK_SIZE);
        }
        g_restore.fd = w.fd;
        g_restore.size = pv.size;
        g_restore.active = 1;
        for (size_t i = n; i-- > 0;) {
            fsi_plan_modified(plan, i, &first, &count);
            write_span(&w, origin, (uint64_t)(first - origin) * FSI_BLOCK_SIZE,
                       (uint64_t)(first - origin + count) * FSI_BLOCK_SIZE);
        }
        end = w.out_base + (uint64_t)total * FSI_BLOCK_SIZE;
    }
    if (w.regular && ftruncate(w.fd, (off_t)end) != 0)
        fail_errno("writing the output", o.output);
    if (close(w.fd) != 0)
        fail_errno("writing the output", o.output);
    g_out_created = 0;
    g_restore.active = 0;
    if (!o.quiet)
        fprintf(stderr, "%swriting image: 100%% (%u of %u blocks)\n",
                pg.live ? "\r                                                                               \r" : "",
                total, total);
    fsi_cursor_free(w.cur);
    free(w.buf);
    fsi_plan_unref(plan);
    fsi_image_free(img);
    fsi_medium_unref(pv.m);
    if (pv.fd >= 0)
        close(pv.fd);
    for (size_t i = 0; i < g_restore.nsaved; i++)
        free(g_restore.saved[i].data);
    free(g_restore.saved);
    for (size_t i = 0; i < boot.n; i++) {
        fsi_source_unref(boot.e[i].src);
        free(boot.data[i]);
    }
    return 0;
}
