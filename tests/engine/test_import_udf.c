/* UDF import (fsi_import with FSI_FS_UDF): images of every revision made by our writer read back
 * and compared with their trees (names, sizes, times, hidden flags, streams, real-time flags and
 * the bytes read through the imported sources); files of several extents and with allocation extent
 * descriptors (pattern sources, nothing stored); images made by mkudffs, udfclient and genisoimage
 * when they are installed; damaged and hostile images (truncation, bit flips in every descriptor,
 * loops, extents past the end, unreadable blocks), which must fail with FSI_E_CORRUPT,
 * FSI_E_MEDIUM_READ or FSI_E_FS_NOT_FOUND, or succeed with the original tree.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define BS 2048u

static const int REVS[] = { 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 };
#define NREVS (sizeof REVS / sizeof REVS[0])

/* ---- pattern sources: bytes computed from the offset, never stored ------------------------------ */

typedef struct pat_source {
    fsi_source base;
    uint64_t size;
    uint8_t seed;
} pat_source;

static uint8_t pat_byte(uint8_t seed, uint64_t off) { return (uint8_t)(off * 7 + (off >> 11) * 13 + seed); }

static fsi_status p_open(fsi_source *s, void **h) { *h = s; return FSI_OK; }
static fsi_status p_read(fsi_source *s, void *h, uint64_t off, void *buf, size_t len, size_t *got)
{
    (void)h;
    pat_source *ps = (pat_source *)s;
    size_t n = off >= ps->size ? 0 : ps->size - off < len ? (size_t)(ps->size - off) : len;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = pat_byte(ps->seed, off + i);
    *got = n;
    return FSI_OK;
}
static void p_close(fsi_source *s, void *h) { (void)s; (void)h; }
static void p_destroy(fsi_source *s) { free(s); }
static const fsi_source_ops pat_ops = { p_open, p_read, p_close, p_destroy };

static fsi_node *add_pat(fsi_image *img, fsi_node *dir, const char *name, uint64_t size, uint8_t seed)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    pat_source *ps = calloc(1, sizeof *ps);
    assert_non_null(ps);
    ps->base.ops = &pat_ops;
    ps->base.refs = 1;
    ps->size = size;
    ps->seed = seed;
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_file(u, l, size, size ? &ps->base : NULL, &n), FSI_OK);
    fsi_source_unref(&ps->base);
    assert_int_equal(fsi_dir_attach(img, dir, n, 0), FSI_OK);
    fsi_node_unref(n);
    return n;
}

/* Read len bytes at off of a source (whole reads, checked). */
static void src_read(fsi_source *s, uint64_t off, void *buf, size_t len)
{
    void *h = NULL;
    assert_int_equal(s->ops->open(s, &h), FSI_OK);
    size_t got = 0;
    assert_int_equal(s->ops->read(s, h, off, buf, len, &got), FSI_OK);
    assert_int_equal(got, len);
    s->ops->close(s, h);
}

/* ---- media ----------------------------------------------------------------------------------- */

/* A medium over a plan: blocks before ss are zeros, the session is read through a cursor. */
typedef struct pmed {
    fsi_cursor *c;
    uint64_t ss;
} pmed;

static int pm_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    pmed *pm = ctx;
    fsi_err err;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *out = (uint8_t *)buf + (size_t)i * BS;
        if (lba + i < pm->ss)
            memset(out, 0, BS);
        else if (fsi_cursor_read(pm->c, (lba + i - pm->ss) * BS, out, BS, &err))
            return 1;
    }
    return 0;
}

static void pm_release(void *ctx)
{
    pmed *pm = ctx;
    fsi_cursor_free(pm->c);
    free(pm);
}

static fsi_medium *plan_medium(fsi_plan *p, uint64_t ss)
{
    pmed *pm = calloc(1, sizeof *pm);
    assert_non_null(pm);
    pm->c = fsi_cursor_new(p);
    pm->ss = ss;
    fsi_medium *m = fsi_medium_new(pm_read, pm, pm_release, ss + fsi_plan_total_blocks(p));
    assert_non_null(m);
    return m;
}

/* An image in memory (the caller's, which outlives the imported tree); reads of blocks in [bad, bad + nbad) fail. */
typedef struct mimg {
    uint8_t *b;
    uint64_t nblk;
    uint64_t bad, nbad;
} mimg;

static int mm_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    mimg *mi = ctx;
    if (lba + count > mi->nblk)
        return 1;
    if (mi->nbad && lba < mi->bad + mi->nbad && lba + count > mi->bad)
        return 1;
    memcpy(buf, mi->b + lba * BS, (size_t)count * BS);
    return 0;
}

static void mm_release(void *ctx) { free(ctx); }

/* The whole image of a plan in memory. */
static uint8_t *plan_bytes(fsi_plan *p, uint64_t *nblk)
{
    *nblk = fsi_plan_total_blocks(p);
    uint8_t *b = malloc(*nblk * BS);
    assert_non_null(b);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    assert_int_equal(fsi_cursor_read(c, 0, b, *nblk * BS, &err), FSI_OK);
    fsi_cursor_free(c);
    return b;
}

static fsi_status import_mem(const uint8_t *b, uint64_t nblk, uint64_t bad, uint64_t nbad, fsi_image **out,
                             fsi_import_info *info, fsi_err *err)
{
    mimg *mi = malloc(sizeof *mi);
    assert_non_null(mi);
    mi->b = (uint8_t *)b;
    mi->nblk = nblk;
    mi->bad = bad;
    mi->nbad = nbad;
    fsi_medium *m = fsi_medium_new(mm_read, mi, mm_release, nblk);
    assert_non_null(m);
    fsi_status st = fsi_import(m, 0, FSI_FS_UDF, out, info, NULL, NULL, err);
    fsi_medium_unref(m);        /* the imported sources keep it: the caller frees the image first */
    return st;
}

/* ---- trees ----------------------------------------------------------------------------------- */

static fsi_plan_opts opts(unsigned fs, int rev)
{
    static uint16_t vol[64];
    size_t l;
    const uint16_t *u = U("Import \xC3\xA9t\xC3\xA9", &l);    /* "Import été" */
    memcpy(vol, u, l * 2);
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = 2;
    o.udf_revision = rev;
    o.udf_redundant_metadata = 1;
    o.volume_name = vol;
    o.volume_name_len = l;
    o.creation_time = fsi_time_from_unix(1709214330, 0);
    return o;
}

static fsi_plan *build(const fsi_image *img, const fsi_plan_opts *o)
{
    fsi_plan *p = NULL;
    fsi_err err;
    assert_int_equal(fsi_plan_build(img, o, &p, &err), FSI_OK);
    return p;
}

static void set_times(fsi_node *n, int64_t base)
{
    /* microsecond precision (UDF timestamps); access differs to show it reads as modification */
    fsi_times t;
    t.creation = fsi_time_from_unix(1600000000 + base, 123456 * 1000);
    t.modification = fsi_time_from_unix(1700000000 + base, 654321 * 1000);
    t.access = fsi_time_from_unix(1710000000 + base, 0);
    fsi_node_set_times(n, &t);
}

static const char *const NAMES16[] = {
    "\xE4\xB8\xAD\xE6\x96\x87\xE5\x90\x8D.txt",                  /* 中文名.txt: 16-bit CS0 */
    "\xF0\x9F\x98\x80 smile",                                    /* U+1F600: a surrogate pair */
    "caf\xC3\xA9",                                               /* café: 8-bit CS0, Latin-1 */
};

/* A tree with nested directories, empty and hidden files, wide and non-BMP names, streams and a
 * real-time file. */
static fsi_image *sample_tree(void)
{
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    set_times(r, 0);
    static uint8_t data[9000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + 7);
    fsi_node *n = mkfile_in(img, r, "readme.txt", "hello, world\n", 13);
    set_times(n, 1);
    set_times(mkfile_in(img, r, "empty", NULL, 0), 2);
    n = mkfile_in(img, r, "hidden.bin", data, 2048);
    fsi_node_set_hidden(n, 1);
    set_times(n, 3);
    for (size_t i = 0; i < sizeof NAMES16 / sizeof NAMES16[0]; i++)
        set_times(mkfile_in(img, r, NAMES16[i], data + i, 100 + i), 10 + (int64_t)i);
    fsi_node *a = mkdir_in(img, r, "a");
    set_times(a, 20);
    fsi_node *b = mkdir_in(img, a, "b");
    set_times(b, 21);
    fsi_node *c = mkdir_in(img, b, "\xE7\x9B\xAE\xE5\xBD\x95");   /* 目录 */
    set_times(c, 22);
    set_times(mkfile_in(img, c, "deep.dat", data, 9000), 23);
    set_times(mkfile_in(img, c, "empty too", NULL, 0), 24);
    set_times(mkfile_in(img, b, "b.txt", data + 5, 2049), 25);
    fsi_node *h = mkdir_in(img, a, "hidden dir");
    fsi_node_set_hidden(h, 1);
    set_times(h, 26);
    set_times(mkdir_in(img, r, "empty dir"), 27);
    n = mkfile_in(img, a, "with streams", data, 10);
    set_times(n, 28);
    size_t l;
    const uint16_t *sn = U("stream one", &l);
    fsi_source *s = fsi_source_new_memory(data + 100, 3000);
    assert_int_equal(fsi_node_add_stream(n, sn, l, 3000, s), FSI_OK);
    fsi_source_unref(s);
    sn = U("\xE6\xB5\x81", &l);                                 /* 流 */
    assert_int_equal(fsi_node_add_stream(n, sn, l, 0, NULL), FSI_OK);
    n = mkfile_in(img, a, "realtime.mpg", data, 4096);
    fsi_node_set_realtime(n, 1);
    set_times(n, 29);
    return img;
}

static void compare_sources(fsi_source *a, fsi_source *b, uint64_t size)
{
    if (!size)
        return;
    assert_non_null(a);
    assert_non_null(b);
    uint8_t *x = malloc((size_t)size), *y = malloc((size_t)size);
    assert_non_null(x);
    assert_non_null(y);
    src_read(a, 0, x, (size_t)size);
    src_read(b, 0, y, (size_t)size);
    assert_memory_equal(x, y, (size_t)size);
    free(x);
    free(y);
}

/* Compare directory b (imported) with a (original), written at revision rev. */
static void compare_dir(const fsi_node *a, const fsi_node *b, int rev)
{
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < fsi_dir_child_count(a); i++)
        na += fsi_dir_child(a, i) != NULL;
    for (size_t i = 0; i < fsi_dir_child_count(b); i++)
        nb += fsi_dir_child(b, i) != NULL;
    assert_int_equal(na, nb);
    for (size_t i = 0; i < fsi_dir_child_count(a); i++) {
        const fsi_node *x = fsi_dir_child(a, i);
        if (!x)
            continue;
        size_t l;
        const uint16_t *nm = fsi_node_name(x, &l);
        const fsi_node *y = fsi_dir_lookup(b, nm, l);
        assert_non_null(y);
        assert_int_equal(fsi_node_is_dir(x), fsi_node_is_dir(y));
        assert_int_equal(fsi_node_hidden(x), fsi_node_hidden(y));
        fsi_times tx, ty;
        fsi_node_get_times(x, &tx);
        fsi_node_get_times(y, &ty);
        assert_int_equal(ty.modification, tx.modification);
        assert_int_equal(ty.access, tx.modification);       /* the (E)FE modification time */
        assert_int_equal(ty.creation, rev >= 0x200 ? tx.creation : tx.modification);
        if (fsi_node_is_dir(x)) {
            compare_dir(x, y, rev);
            continue;
        }
        assert_int_equal(fsi_node_size(x), fsi_node_size(y));
        compare_sources(fsi_node_source(x), fsi_node_source(y), fsi_node_size(x));
        assert_int_equal(fsi_node_realtime(y), rev >= 0x201 && fsi_node_realtime(x));
        size_t ns = rev >= 0x200 ? fsi_node_stream_count(x) : 0;
        assert_int_equal(fsi_node_stream_count(y), ns);
        for (size_t k = 0; k < ns; k++) {
            size_t sl, tl;
            uint64_t ss, ts;
            fsi_source *sa, *sb;
            const uint16_t *sn = fsi_node_stream(x, k, &sl, &ss, &sa);
            const uint16_t *tn = fsi_node_stream(y, k, &tl, &ts, &sb);
            assert_int_equal(sl, tl);
            assert_memory_equal(sn, tn, sl * 2);
            assert_int_equal(ss, ts);
            compare_sources(sa, sb, ss);
        }
    }
}

static void compare_tree(const fsi_image *a, const fsi_image *b, int rev)
{
    fsi_times tx, ty;
    fsi_node_get_times(fsi_image_root((fsi_image *)a), &tx);
    fsi_node_get_times(fsi_image_root((fsi_image *)b), &ty);
    assert_int_equal(ty.modification, tx.modification);
    compare_dir(fsi_image_root((fsi_image *)a), fsi_image_root((fsi_image *)b), rev);
    assert_int_equal(fsi_image_file_count(a), fsi_image_file_count(b));
    assert_int_equal(fsi_image_dir_count(a), fsi_image_dir_count(b));
}

/* ---- progress -------------------------------------------------------------------------------- */

typedef struct prog {
    int calls, dir_calls;
    int64_t dirs_total, files_total, last_files;
    char first[64];
} prog;

static void on_progress(void *ctx, const uint16_t *path, size_t len, int64_t dirs_done, int64_t dirs_total,
                        int64_t files_done, int64_t files_total)
{
    prog *p = ctx;
    (void)dirs_done;
    assert_true(len >= 1 && path[0] == '\\');
    if (path[len - 1] == '\\')
        p->dir_calls++;
    if (!p->calls)
        fsi_utf16_to_utf8(path, len, p->first, sizeof p->first);
    p->calls++;
    p->dirs_total = dirs_total;
    p->files_total = files_total;
    p->last_files = files_done;
}

/* ---- round trips ----------------------------------------------------------------------------- */

static void round_trip_revisions(void **state)
{
    (void)state;
    fsi_image *img = sample_tree();
    for (size_t ri = 0; ri < NREVS; ri++)
        for (int variant = 0; variant < 3; variant++) {
            int rev = REVS[ri];
            if (variant == 2 && rev < 0x250)
                continue;                            /* 2: no metadata mirror copy */
            fsi_plan_opts o = opts(FSI_FS_UDF | (variant == 1 ? FSI_FS_ISO9660 | FSI_FS_JOLIET : 0), rev);
            o.udf_redundant_metadata = variant != 2;
            fsi_plan *p = build(img, &o);
            fsi_medium *m = plan_medium(p, 0);
            fsi_image *out = NULL;
            fsi_import_info info;
            fsi_err err;
            prog pr = { 0 };
            assert_int_equal(fsi_import(m, 0, FSI_FS_UDF, &out, &info, on_progress, &pr, &err), FSI_OK);
            assert_int_equal(err.code, FSI_OK);
            assert_int_equal(info.fs, FSI_FS_UDF);
            assert_int_equal(info.udf_revision, rev);
            assert_int_equal(info.volume_blocks, fsi_plan_total_blocks(p));
            assert_true(u16_eq(info.volume_name, info.volume_name_len, "Import \xC3\xA9t\xC3\xA9"));
            assert_int_equal(info.files, fsi_image_file_count(img));
            assert_int_equal(info.dirs, fsi_image_dir_count(img));
            compare_tree(img, out, rev);
            /* progress: each directory before it is read, the root first; totals from the LVID */
            assert_string_equal(pr.first, "\\");
            assert_int_equal(pr.dir_calls, 1 + (int)fsi_image_dir_count(img));
            assert_int_equal(pr.calls, pr.dir_calls + (int)fsi_image_file_count(img));
            assert_int_equal(pr.dirs_total, (int64_t)fsi_image_dir_count(img));
            assert_int_equal(pr.files_total, (int64_t)fsi_image_file_count(img));
            assert_int_equal(pr.last_files, (int64_t)fsi_image_file_count(img));
            /* the imported files point at the image's extents */
            fsi_node *f = NULL;
            size_t l;
            const uint16_t *pth = U("a\\b\\b.txt", &l);
            assert_int_equal(fsi_dir_walk(fsi_image_root(out), pth, l, &f), FSI_OK);
            size_t ne;
            const fsi_disc_extent *e = fsi_source_disc_extents(fsi_node_source(f), &ne);
            assert_int_equal(ne, 1);
            assert_int_equal(e[0].len, 2049);
            assert_true(e[0].lba + 2 <= fsi_plan_total_blocks(p));
            fsi_image_free(out);
            fsi_medium_unref(m);
            fsi_plan_unref(p);
        }
    fsi_image_free(img);
}

/* A later session: anchors at session_start + 256 and at the end of the medium. */
static void later_session(void **state)
{
    (void)state;
    fsi_image *img = sample_tree();
    for (size_t ri = 0; ri < NREVS; ri += 2) {
        fsi_plan_opts o = opts(FSI_FS_UDF | FSI_FS_ISO9660, REVS[ri]);
        o.session_start = 3000;
        fsi_plan *p = build(img, &o);
        fsi_medium *m = plan_medium(p, 3000);
        fsi_image *out = NULL;
        fsi_import_info info;
        fsi_err err;
        assert_int_equal(fsi_import(m, 3000, FSI_FS_UDF, &out, &info, NULL, NULL, &err), FSI_OK);
        assert_int_equal(info.volume_blocks, 3000 + fsi_plan_total_blocks(p));
        compare_tree(img, out, REVS[ri]);
        fsi_image_free(out);
        /* from block 0 there is no anchor at 256 (zeros), but the one at the end is found */
        assert_int_equal(fsi_import(m, 0, FSI_FS_UDF, &out, &info, NULL, NULL, &err), FSI_OK);
        compare_tree(img, out, REVS[ri]);
        fsi_image_free(out);
        fsi_medium_unref(m);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* Files larger than an extent (1 GiB): several extents, contiguous, and (with enough of them)
 * allocation extent descriptors. Nothing is stored: the medium reads the plan's pattern sources. */
static void multi_extent_files(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    uint64_t big = (UINT64_C(3) << 29) + 777;                   /* 1.5 GiB + 777: 2 extents */
    uint64_t huge = (uint64_t)FSI_UDF_MAX_EXTENT * 240 + 99;    /* 241 extents: AEDs at every rev */
    add_pat(img, r, "big.bin", big, 1);
    add_pat(img, r, "huge.bin", huge, 2);
    add_pat(img, r, "small.bin", 5000, 3);
    for (size_t ri = 0; ri < NREVS; ri++) {
        int rev = REVS[ri];
        fsi_plan_opts o = opts(FSI_FS_UDF, rev);
        fsi_plan *p = build(img, &o);
        fsi_medium *m = plan_medium(p, 0);
        fsi_image *out = NULL;
        fsi_import_info info;
        fsi_err err;
        assert_int_equal(fsi_import(m, 0, FSI_FS_UDF, &out, &info, NULL, NULL, &err), FSI_OK);
        const char *names[] = { "big.bin", "huge.bin", "small.bin" };
        uint64_t sizes[] = { big, huge, 5000 };
        for (int k = 0; k < 3; k++) {
            size_t l;
            const uint16_t *nm = U(names[k], &l);
            fsi_node *f = fsi_dir_lookup(fsi_image_root(out), nm, l);
            assert_non_null(f);
            assert_int_equal(fsi_node_size(f), sizes[k]);
            size_t ne;
            const fsi_disc_extent *e = fsi_source_disc_extents(fsi_node_source(f), &ne);
            assert_int_equal(ne, fsi_udf_extent_count(sizes[k]));
            uint64_t sum = 0;
            for (size_t i = 0; i < ne; i++) {
                assert_int_equal(e[i].len, fsi_udf_extent_len(sizes[k], i));
                if (i)
                    assert_int_equal(e[i].lba, e[i - 1].lba + e[i - 1].len / BS);
                sum += e[i].len;
            }
            assert_int_equal(sum, sizes[k]);
            assert_true(e[ne - 1].lba + (e[ne - 1].len + BS - 1) / BS <= fsi_plan_total_blocks(p));
            /* a few bytes: start, across the first extent boundary, the end */
            uint64_t offs[] = { 0, FSI_UDF_MAX_EXTENT - 3, sizes[k] - 5 };
            for (int j = 0; j < 3; j++) {
                if (offs[j] + 5 > sizes[k])
                    continue;
                uint8_t got[5];
                src_read(fsi_node_source(f), offs[j], got, 5);
                for (int i = 0; i < 5; i++)
                    assert_int_equal(got[i], pat_byte((uint8_t)(k + 1), offs[j] + (uint64_t)i));
            }
        }
        fsi_image_free(out);
        fsi_medium_unref(m);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* Directories of many FIDs (they straddle blocks), and a deep chain of directories up to the
 * depth limit; one more level is FSI_E_CORRUPT. */
static void wide_and_deep(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *w = mkdir_in(img, r, "wide");
    char nm[300];
    for (int i = 0; i < 700; i++) {
        snprintf(nm, sizeof nm, "a rather long file name to fill the directory blocks %04d%.*s", i, i % 37,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        mkfile_in(img, w, nm, nm, i % 5);
    }
    fsi_node *d = r;
    for (unsigned i = 0; i < FSI_IMPORT_MAX_DEPTH; i++)
        d = mkdir_in(img, d, "d");
    for (int rev = 0; rev < 2; rev++) {
        fsi_plan_opts o = opts(FSI_FS_UDF, rev ? 0x250 : 0x102);
        fsi_plan *p = build(img, &o);
        fsi_medium *m = plan_medium(p, 0);
        fsi_image *out = NULL;
        fsi_err err;
        assert_int_equal(fsi_import(m, 0, FSI_FS_UDF, &out, NULL, NULL, NULL, &err), FSI_OK);
        compare_tree(img, out, o.udf_revision);
        fsi_image_free(out);
        fsi_medium_unref(m);
        fsi_plan_unref(p);
    }
    mkdir_in(img, d, "d");
    fsi_plan_opts o = opts(FSI_FS_UDF, 0x201);
    fsi_plan *p = build(img, &o);
    fsi_medium *m = plan_medium(p, 0);
    fsi_image *out = NULL;
    fsi_err err;
    assert_int_equal(fsi_import(m, 0, FSI_FS_UDF, &out, NULL, NULL, NULL, &err), FSI_E_CORRUPT);
    assert_null(out);
    assert_int_equal(err.code, FSI_E_CORRUPT);
    assert_int_equal(err.fs, FSI_FS_UDF);
    fsi_medium_unref(m);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* No UDF on the medium: FSI_E_FS_NOT_FOUND (an ISO-only image, an empty medium, a tiny one). */
static void not_udf(void **state)
{
    (void)state;
    fsi_image *img = sample_tree();
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 0x102);
    fsi_plan *p = build(img, &o);
    fsi_medium *m = plan_medium(p, 0);
    fsi_image *out = NULL;
    fsi_err err;
    assert_int_equal(fsi_import(m, 0, FSI_FS_UDF, &out, NULL, NULL, NULL, &err), FSI_E_FS_NOT_FOUND);
    assert_int_equal(err.code, FSI_E_FS_NOT_FOUND);
    fsi_medium_unref(m);
    fsi_plan_unref(p);
    uint8_t *z = calloc(600, BS);
    assert_int_equal(import_mem(z, 600, 0, 0, &out, NULL, &err), FSI_E_FS_NOT_FOUND);
    assert_int_equal(import_mem(z, 3, 0, 0, &out, NULL, &err), FSI_E_FS_NOT_FOUND);
    assert_int_equal(import_mem(z, 0, 0, 0, &out, NULL, &err), FSI_E_FS_NOT_FOUND);
    /* every block unreadable: a read failure, not "no file system" */
    assert_int_equal(import_mem(z, 600, 0, 600, &out, NULL, &err), FSI_E_MEDIUM_READ);
    assert_int_equal(err.code, FSI_E_MEDIUM_READ);
    free(z);
    fsi_image_free(img);
}

/* ---- damaged and hostile images ---------------------------------------------------------------- */

/* An image of our writer in memory, with what the tests need to find its descriptors. */
typedef struct vimg {
    uint8_t *b;
    uint64_t nblk;
    int rev;
    uint64_t part;                  /* the physical partition's first block */
    uint64_t meta;                  /* 2.50+: the metadata file's data (its first extent) */
    uint64_t mirror;                /* 2.50+: the mirror file's data */
    uint64_t lvd[2];                /* the LVDs of the main and reserve sequences */
    uint64_t fsd;
} vimg;

static uint8_t *blk(vimg *v, uint64_t n)
{
    assert_true(n < v->nblk);
    return v->b + n * BS;
}

static uint64_t abs_of(vimg *v, unsigned part, uint32_t lb) { return (part ? v->meta : v->part) + lb; }

static size_t fe_hdr(const uint8_t *fe) { return rd_le16(fe) == 266 ? 216 : 176; }

/* The first extent of an (E)FE: absolute block and length. */
static void fe_first(vimg *v, const uint8_t *fe, unsigned part, uint64_t *abs, uint32_t *len)
{
    size_t h = fe_hdr(fe);
    const uint8_t *ad = fe + h + rd_le32(fe + h - 8);
    *len = rd_le32(ad) & 0x3FFFFFFF;
    if ((rd_le16(fe + 34) & 7) == 1)
        part = rd_le16(ad + 8);
    *abs = abs_of(v, part, rd_le32(ad + 4));
}

/* Recompute a descriptor's tag (checksum and CRC over len bytes), keeping its identifier, version
 * and location. */
static void retag(uint8_t *d, size_t len)
{
    fsi_udf_tag(d, rd_le16(d), rd_le16(d + 2), rd_le32(d + 12), len);
}

static void retag_fe(uint8_t *fe)
{
    size_t h = fe_hdr(fe);
    retag(fe, h + rd_le32(fe + h - 8) + rd_le32(fe + h - 4));
}

static size_t fid_size(const uint8_t *f) { return (38 + rd_le16(f + 36) + f[19] + 3) & ~(size_t)3; }

static void vopen(vimg *v, fsi_plan *p, int rev)
{
    memset(v, 0, sizeof *v);
    v->b = plan_bytes(p, &v->nblk);
    v->rev = rev;
    const uint8_t *a = blk(v, 256);
    assert_int_equal(rd_le16(a), 2);
    for (int k = 0; k < 2; k++) {
        uint64_t loc = rd_le32(a + (k ? 28 : 20));
        for (uint64_t i = 0; i < 16; i++) {
            const uint8_t *d = blk(v, loc + i);
            if (rd_le16(d) == 5)
                v->part = rd_le32(d + 188);
            if (rd_le16(d) == 6)
                v->lvd[k] = loc + i;
        }
    }
    assert_true(v->part && v->lvd[0] && v->lvd[1]);
    if (rev >= 0x250) {
        uint32_t len;
        fe_first(v, blk(v, v->part), 0, &v->meta, &len);
        fe_first(v, blk(v, v->part + 1), 0, &v->mirror, &len);
    }
    const uint8_t *l = blk(v, v->lvd[0]);
    v->fsd = abs_of(v, rd_le16(l + 256), rd_le32(l + 252));
}

/* The FID of a '/' separated path (the last component) in the main metadata; *icb: where the
 * item's (E)FE is. */
static uint8_t *vfid(vimg *v, const char *path, uint64_t *icb)
{
    const uint8_t *fsd = blk(v, v->fsd);
    uint64_t at = abs_of(v, rd_le16(fsd + 408), rd_le32(fsd + 404));
    uint8_t *found = NULL;
    char comp[256];
    const char *p = path;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);
        memcpy(comp, p, cl);
        comp[cl] = 0;
        uint8_t *fe = blk(v, at);
        uint64_t dabs;
        uint32_t dlen;
        fe_first(v, fe, v->rev >= 0x250, &dabs, &dlen);
        uint8_t *d = blk(v, dabs);
        found = NULL;
        for (size_t pos = 0; pos < dlen; pos += fid_size(d + pos)) {
            uint8_t *f = d + pos;
            assert_int_equal(rd_le16(f), 257);
            uint16_t u16[256];
            size_t n = 0;
            const uint8_t *nm = f + 38 + rd_le16(f + 36);
            if (f[19] && nm[0] == 8)
                for (size_t i = 1; i < f[19]; i++)
                    u16[n++] = nm[i];
            if (n && u16_eq(u16, n, comp)) {
                found = f;
                at = abs_of(v, rd_le16(f + 28), rd_le32(f + 24));
                break;
            }
        }
        assert_non_null(found);
        p += cl + (e != NULL);
    }
    *icb = at;
    return found;
}

static uint8_t *vfe(vimg *v, const char *path)
{
    uint64_t icb;
    vfid(v, path, &icb);
    return blk(v, icb);
}

static fsi_status vimport(vimg *v, fsi_image **out, fsi_err *err)
{
    return import_mem(v->b, v->nblk, 0, 0, out, NULL, err);
}

/* Import must give one of the failures a damaged image may give, or the original tree. */
static fsi_status check_damaged(vimg *v, uint64_t nblk, const fsi_image *orig)
{
    fsi_image *out = NULL;
    fsi_err err;
    fsi_status st = import_mem(v->b, nblk, 0, 0, &out, NULL, &err);
    if (st == FSI_OK) {
        compare_tree(orig, out, v->rev);
        fsi_image_free(out);
    } else {
        assert_true(st == FSI_E_CORRUPT || st == FSI_E_MEDIUM_READ || st == FSI_E_FS_NOT_FOUND);
        assert_int_equal(err.code, st);
        assert_null(out);
    }
    return st;
}

static void expect(vimg *v, fsi_status want)
{
    fsi_image *out = NULL;
    fsi_err err;
    fsi_status st = vimport(v, &out, &err);
    if (st != want)
        fprintf(stderr, "expected status %d, got %d\n", want, st);
    assert_int_equal(st, want);
    assert_int_equal(err.code, want);
    if (want != FSI_OK)
        assert_int_equal(err.fs, FSI_FS_UDF);
    fsi_image_free(out);
}

/* The sample tree (no streams or big files: they are tested above) written at rev. */
static fsi_image *small_tree(void)
{
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    set_times(r, 0);
    static uint8_t data[5000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 17 + 1);
    set_times(mkfile_in(img, r, "readme.txt", "hello, world\n", 13), 1);
    set_times(mkfile_in(img, r, "hidden.bin", data, 2048), 2);
    fsi_node *a = mkdir_in(img, r, "a");
    set_times(a, 3);
    fsi_node *b = mkdir_in(img, a, "b");
    set_times(b, 4);
    set_times(mkfile_in(img, b, "deep.dat", data, 5000), 5);
    set_times(mkfile_in(img, a, "empty", NULL, 0), 6);
    return img;
}

static fsi_plan *small_plan(const fsi_image *img, int rev, int bridge, int mirror)
{
    fsi_plan_opts o = opts(FSI_FS_UDF | (bridge ? FSI_FS_ISO9660 | FSI_FS_JOLIET : 0), rev);
    o.udf_redundant_metadata = mirror;
    return build(img, &o);
}

/* Data blocks of the files of img (imported from the intact image): flipping those changes
 * contents, not metadata. */
static uint8_t *data_map(vimg *v)
{
    uint8_t *map = calloc(v->nblk, 1);
    fsi_image *out = NULL;
    fsi_err err;
    assert_int_equal(vimport(v, &out, &err), FSI_OK);
    fsi_node *stack[64];
    size_t sp = 0;
    stack[sp++] = fsi_image_root(out);
    while (sp) {
        fsi_node *d = stack[--sp];
        for (size_t i = 0; i < fsi_dir_child_count(d); i++) {
            fsi_node *c = fsi_dir_child(d, i);
            if (!c)
                continue;
            if (fsi_node_is_dir(c)) {
                stack[sp++] = c;
                continue;
            }
            size_t ne;
            const fsi_disc_extent *e = fsi_source_disc_extents(fsi_node_source(c), &ne);
            for (size_t k = 0; k < ne; k++)
                for (uint64_t j = 0; j < (e[k].len + BS - 1) / BS; j++)
                    map[e[k].lba + j] = 1;
        }
    }
    fsi_image_free(out);
    return map;
}

static int zero_block(const uint8_t *b)
{
    for (size_t i = 0; i < BS; i++)
        if (b[i])
            return 0;
    return 1;
}

/* One bit flipped at several places of every metadata block (descriptor tags and bodies, FIDs,
 * padding), one at a time: an error or the original tree, never anything else. */
static void bit_flips(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    static const struct { int rev, bridge, mirror; } cases[] = {
        { 0x102, 0, 1 }, { 0x150, 1, 1 }, { 0x201, 0, 1 }, { 0x250, 0, 1 }, { 0x260, 1, 0 },
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        fsi_plan *p = small_plan(img, cases[ci].rev, cases[ci].bridge, cases[ci].mirror);
        vimg v;
        vopen(&v, p, cases[ci].rev);
        uint8_t *map = data_map(&v);
        size_t fails = 0, oks = 0;
        for (uint64_t n = 0; n < v.nblk; n++) {
            if (map[n] || zero_block(blk(&v, n)))
                continue;
            uint8_t *b = blk(&v, n);
            for (size_t k = 0; k < 40; k++) {
                size_t off = k < 16 ? k : (k - 16) * 85 + (n % 7);
                uint8_t bit = (uint8_t)(1u << ((k + n) % 8));
                b[off] ^= bit;
                if (check_damaged(&v, v.nblk, img))
                    fails++;
                else
                    oks++;
                b[off] ^= bit;
            }
        }
        /* with a metadata mirror copy every descriptor has a copy: nothing fails */
        if (cases[ci].rev >= 0x250 && cases[ci].mirror)
            assert_int_equal(fails, 0);
        else
            assert_true(fails > 100);
        assert_true(oks > 100);
        free(map);
        free(v.b);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* Cut the image at every block: an error or (when only the last anchor goes) the tree. */
static void truncated(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    for (size_t ri = 0; ri < NREVS; ri++) {
        fsi_plan *p = small_plan(img, REVS[ri], ri & 1, 1);
        vimg v;
        vopen(&v, p, REVS[ri]);
        for (uint64_t n = 0; n < v.nblk; n++) {
            fsi_status st = check_damaged(&v, n, img);
            if (n <= 256)
                assert_int_equal(st, FSI_E_FS_NOT_FOUND);
        }
        assert_int_equal(check_damaged(&v, v.nblk - 1, img), FSI_OK);
        free(v.b);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* Redundant structures: a damaged anchor, main sequence or metadata file is replaced by its copy;
 * both copies damaged fail. */
static void redundancy(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    for (size_t ri = 0; ri < NREVS; ri++) {
        int rev = REVS[ri];
        fsi_plan *p = small_plan(img, rev, 0, 1);
        vimg v;
        vopen(&v, p, rev);
        /* anchor at 256, then both anchors */
        blk(&v, 256)[20] ^= 1;
        assert_int_equal(check_damaged(&v, v.nblk, img), FSI_OK);
        blk(&v, v.nblk - 1)[20] ^= 1;
        expect(&v, FSI_E_CORRUPT);
        blk(&v, 256)[20] ^= 1;
        blk(&v, v.nblk - 1)[20] ^= 1;
        /* an unreadable anchor or main sequence */
        fsi_image *out = NULL;
        fsi_err err;
        assert_int_equal(import_mem(v.b, v.nblk, 256, 1, &out, NULL, &err), FSI_OK);
        fsi_image_free(out);
        assert_int_equal(import_mem(v.b, v.nblk, v.lvd[0], 1, &out, NULL, &err), FSI_OK);
        assert_int_equal(err.code, FSI_OK);
        compare_tree(img, out, rev);
        fsi_image_free(out);
        /* the LVD of the main sequence, then of both */
        blk(&v, v.lvd[0])[300] ^= 0x10;
        assert_int_equal(check_damaged(&v, v.nblk, img), FSI_OK);
        blk(&v, v.lvd[1])[300] ^= 0x10;
        expect(&v, FSI_E_CORRUPT);
        blk(&v, v.lvd[0])[300] ^= 0x10;
        blk(&v, v.lvd[1])[300] ^= 0x10;
        /* an unreadable FSD and a directory's FE (2.50: the mirror's copies are read) */
        if (rev < 0x250) {
            assert_int_equal(import_mem(v.b, v.nblk, v.fsd, 1, &out, NULL, &err), FSI_E_MEDIUM_READ);
            assert_int_equal(err.expected, v.fsd);
        } else {
            assert_int_equal(import_mem(v.b, v.nblk, v.fsd, 1, &out, NULL, &err), FSI_OK);
            compare_tree(img, out, rev);
            fsi_image_free(out);
        }
        uint64_t icb;
        vfid(&v, "a/b", &icb);
        if (rev < 0x250) {
            assert_int_equal(import_mem(v.b, v.nblk, icb, 1, &out, NULL, &err), FSI_E_MEDIUM_READ);
            assert_int_equal(err.code, FSI_E_MEDIUM_READ);
            assert_int_equal(err.expected, icb);
            /* a damaged FE */
            blk(&v, icb)[60] ^= 2;
            expect(&v, FSI_E_CORRUPT);
            blk(&v, icb)[60] ^= 2;
        } else {
            /* the metadata mirror has its own copy: the walk is done again through it */
            assert_int_equal(import_mem(v.b, v.nblk, icb, 1, &out, NULL, &err), FSI_OK);
            assert_int_equal(err.code, FSI_OK);
            compare_tree(img, out, rev);
            fsi_image_free(out);
            blk(&v, icb)[60] ^= 2;
            assert_int_equal(check_damaged(&v, v.nblk, img), FSI_OK);
            uint64_t micb = icb - v.meta + v.mirror;
            blk(&v, micb)[60] ^= 2;
            expect(&v, FSI_E_CORRUPT);
            blk(&v, icb)[60] ^= 2;
            blk(&v, micb)[60] ^= 2;
            /* the metadata file's EFE: its mirror's is used */
            blk(&v, v.part)[100] ^= 4;
            assert_int_equal(check_damaged(&v, v.nblk, img), FSI_OK);
            blk(&v, v.part + 1)[100] ^= 4;
            expect(&v, FSI_E_CORRUPT);
            blk(&v, v.part)[100] ^= 4;
            blk(&v, v.part + 1)[100] ^= 4;
        }
        /* a damaged FSD: no copy (2.50: the mirror's) */
        blk(&v, v.fsd)[450] ^= 1;
        expect(&v, rev < 0x250 ? FSI_E_CORRUPT : FSI_OK);
        if (rev >= 0x250) {
            blk(&v, v.fsd - v.meta + v.mirror)[450] ^= 1;
            expect(&v, FSI_E_CORRUPT);
            blk(&v, v.fsd - v.meta + v.mirror)[450] ^= 1;
        }
        blk(&v, v.fsd)[450] ^= 1;
        expect(&v, FSI_OK);
        free(v.b);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* Rewrite the FID at f (the same size) and its tag. */
static void fid_retag(uint8_t *f) { retag(f, fid_size(f)); }

/* Directory loops: a directory that contains itself, or its parent, or the root. */
static void directory_loops(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    for (int rev = 0; rev < 2; rev++) {
        fsi_plan *p = small_plan(img, rev ? 0x250 : 0x102, 0, 0);
        vimg v;
        vopen(&v, p, rev ? 0x250 : 0x102);
        uint64_t a_icb, b_icb;
        vfid(&v, "a", &a_icb);
        uint8_t *fb = vfid(&v, "a/b", &b_icb);
        uint8_t save[64];
        memcpy(save, fb, sizeof save);
        uint32_t targets[] = { rd_le32(fb + 24), 0, 0 };
        const uint8_t *fsd = blk(&v, v.fsd);
        targets[1] = (uint32_t)(a_icb - (b_icb - rd_le32(fb + 24)));   /* a itself */
        targets[2] = rd_le32(fsd + 404);                                /* the root */
        for (int t = 1; t < 3; t++) {
            fsi_put_le32(fb + 24, targets[t]);
            fid_retag(fb);
            expect(&v, FSI_E_CORRUPT);
        }
        memcpy(fb, save, sizeof save);
        /* a file FID pointing at a directory, a directory FID pointing at a file */
        fb[18] &= (uint8_t)~2;
        fid_retag(fb);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fb, save, sizeof save);
        expect(&v, FSI_OK);
        free(v.b);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* Allocation descriptors: chains that loop, extents past the partition or the medium, lengths that
 * disagree, descriptors past the FE, unsupported kinds. */
static void allocation_hostile(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    for (size_t ri = 0; ri < NREVS; ri++) {
        int rev = REVS[ri];
        fsi_plan *p = small_plan(img, rev, 0, 0);
        vimg v;
        vopen(&v, p, rev);
        uint8_t *fe = vfe(&v, "hidden.bin"), save[BS];
        memcpy(save, fe, BS);
        size_t h = fe_hdr(fe), adsz = rev >= 0x250 ? 16 : 8;
        uint8_t *ad = fe + h + rd_le32(fe + h - 8);
        uint64_t dabs;
        uint32_t dlen;
        fe_first(&v, fe, rev >= 0x250, &dabs, &dlen);
        uint32_t dlb = rd_le32(ad + 4);
        /* an AED chain that loops: the file's data block made an AED whose continuation is itself */
        uint8_t dsave[BS];
        memcpy(dsave, blk(&v, dabs), BS);
        for (int variant = 0; variant < 2; variant++) {
            memcpy(fe, save, BS);
            fsi_put_le32(fe + 56, 100u << 20);              /* 100 MiB */
            fsi_put_le32(ad + adsz, UINT32_C(3) << 30 | BS);
            fsi_put_le32(ad + adsz + 4, dlb);
            if (adsz == 16)
                fsi_put_le16(ad + adsz + 8, 0);
            fsi_put_le32(fe + h - 4, (uint32_t)(2 * adsz));
            retag_fe(fe);
            uint8_t *aed = blk(&v, dabs);
            memset(aed, 0, BS);
            memcpy(aed + 24, ad, 2 * adsz);                 /* one extent, then itself again */
            if (variant)
                memset(aed + 24, 0, adsz);                  /* only the continuation */
            fsi_put_le32(aed + 20, (uint32_t)(2 * adsz));
            fsi_udf_tag(aed, 0x102, rev >= 0x200 ? 3 : 2, dlb, 24 + 2 * adsz);
            if (variant) {                                  /* skip the empty first descriptor */
                memmove(aed + 24, aed + 24 + adsz, adsz);
                fsi_put_le32(aed + 20, (uint32_t)adsz);
                fsi_udf_tag(aed, 0x102, rev >= 0x200 ? 3 : 2, dlb, 24 + adsz);
            }
            expect(&v, FSI_E_CORRUPT);
        }
        memcpy(blk(&v, dabs), dsave, BS);
        /* extents past the partition, past the medium, too long for the medium */
        uint32_t plen = (uint32_t)(v.nblk - 1 - v.part);
        uint32_t lbs[] = { plen, plen + 100, UINT32_C(0xFFFFFFF0), plen - 1 };
        uint32_t lens[] = { 2048, 2048, 2048, 0x3FFFF800 };
        for (int k = 0; k < 4; k++) {
            memcpy(fe, save, BS);
            fsi_put_le32(ad, lens[k]);
            fsi_put_le32(ad + 4, lbs[k]);
            fsi_put_le32(fe + 56, lens[k]);
            retag_fe(fe);
            expect(&v, FSI_E_CORRUPT);
        }
        /* a partition reference that does not exist (long_ad) */
        if (adsz == 16) {
            memcpy(fe, save, BS);
            fsi_put_le16(ad + 8, 7);
            retag_fe(fe);
            expect(&v, FSI_E_CORRUPT);
        }
        /* information length beyond the extents; an extent before the last not whole blocks */
        memcpy(fe, save, BS);
        fsi_put_le32(fe + 56, 2049);
        retag_fe(fe);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fe, save, BS);
        fsi_put_le32(ad, 100);
        memcpy(ad + adsz, ad, adsz);
        fsi_put_le32(fe + h - 4, (uint32_t)(2 * adsz));
        fsi_put_le32(fe + 56, 200);
        retag_fe(fe);
        expect(&v, FSI_E_CORRUPT);
        /* descriptors or extended attributes past the block */
        memcpy(fe, save, BS);
        fsi_put_le32(fe + h - 4, BS);
        fsi_udf_tag(fe, rd_le16(fe), rd_le16(fe + 2), rd_le32(fe + 12), h + adsz);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fe, save, BS);
        fsi_put_le32(fe + h - 8, UINT32_C(0xFFFFFFF8));
        fsi_udf_tag(fe, rd_le16(fe), rd_le16(fe + 2), rd_le32(fe + 12), h + adsz);
        expect(&v, FSI_E_CORRUPT);
        /* strategy 4096 without an indirect entry after it: the same; other strategies refused;
         * extended allocation descriptors not supported */
        memcpy(fe, save, BS);
        fsi_put_le16(fe + 20, 4096);
        retag_fe(fe);
        assert_int_equal(check_damaged(&v, v.nblk, img), FSI_OK);
        memcpy(fe, save, BS);
        fsi_put_le16(fe + 20, 3);
        retag_fe(fe);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fe, save, BS);
        fsi_put_le16(fe + 34, (uint16_t)((rd_le16(fe + 34) & ~7) | 2));
        retag_fe(fe);
        expect(&v, FSI_E_FS_FEATURE);
        memcpy(fe, save, BS);
        fsi_put_le16(fe + 34, (uint16_t)((rd_le16(fe + 34) & ~7) | 5));
        retag_fe(fe);
        expect(&v, FSI_E_CORRUPT);
        /* unallocated extents are holes of zeros */
        memcpy(fe, save, BS);
        fsi_put_le32(ad, UINT32_C(2) << 30 | 2048);
        retag_fe(fe);
        {
            fsi_image *out = NULL;
            fsi_err err;
            assert_int_equal(vimport(&v, &out, &err), FSI_OK);
            size_t l;
            const uint16_t *nm = U("hidden.bin", &l);
            fsi_node *f = fsi_dir_lookup(fsi_image_root(out), nm, l);
            size_t ne;
            const fsi_disc_extent *e = fsi_source_disc_extents(fsi_node_source(f), &ne);
            assert_int_equal(ne, 1);
            assert_true(e[0].lba == FSI_HOLE);
            uint8_t z[2048], zero[2048] = { 0 };
            src_read(fsi_node_source(f), 0, z, 2048);
            assert_memory_equal(z, zero, 2048);
            fsi_image_free(out);
        }
        memcpy(fe, save, BS);
        expect(&v, FSI_OK);
        free(v.b);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* What FIDs and FEs may hold besides our writer's choices: deleted FIDs, symbolic links, embedded
 * data, time zones, names with characters the tree refuses; and FIDs the reader refuses. */
static void fid_and_fe_variants(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    for (size_t ri = 0; ri < NREVS; ri++) {
        int rev = REVS[ri];
        fsi_plan *p = small_plan(img, rev, 0, 0);
        vimg v;
        vopen(&v, p, rev);
        uint64_t icb;
        uint8_t *fid = vfid(&v, "readme.txt", &icb), fsave[64], *fe = blk(&v, icb), save[BS];
        memcpy(fsave, fid, sizeof fsave);
        memcpy(save, fe, BS);
        fsi_image *out = NULL;
        fsi_err err;
        size_t l;
        const uint16_t *readme = U("readme.txt", &l);
        size_t rl = l;
        /* a deleted FID and a parent FID are not items */
        for (int k = 0; k < 2; k++) {
            fid[18] |= k ? 0x08 : 0x04;
            fid_retag(fid);
            assert_int_equal(vimport(&v, &out, &err), FSI_OK);
            assert_null(fsi_dir_lookup(fsi_image_root(out), readme, rl));
            assert_int_equal(fsi_image_file_count(out), fsi_image_file_count(img) - 1);
            fsi_image_free(out);
            memcpy(fid, fsave, sizeof fsave);
        }
        /* a symbolic link (file type 12) and a FIFO (9) are skipped */
        for (int k = 0; k < 2; k++) {
            fe[27] = k ? 9 : 12;
            retag_fe(fe);
            assert_int_equal(vimport(&v, &out, &err), FSI_OK);
            assert_null(fsi_dir_lookup(fsi_image_root(out), readme, rl));
            fsi_image_free(out);
            memcpy(fe, save, BS);
        }
        /* a real-time file (249) */
        fe[27] = 249;
        retag_fe(fe);
        assert_int_equal(vimport(&v, &out, &err), FSI_OK);
        assert_true(fsi_node_realtime(fsi_dir_lookup(fsi_image_root(out), readme, rl)));
        fsi_image_free(out);
        memcpy(fe, save, BS);
        /* embedded data (in the ICB) */
        size_t h = fe_hdr(fe);
        fsi_put_le16(fe + 34, (uint16_t)((rd_le16(fe + 34) & ~7) | 3));
        memset(fe + h, 0, BS - h);
        memcpy(fe + h, "embedded bytes", 14);
        fsi_put_le32(fe + h - 8, 0);
        fsi_put_le32(fe + h - 4, 14);
        fsi_put_le32(fe + 56, 14);
        retag_fe(fe);
        assert_int_equal(vimport(&v, &out, &err), FSI_OK);
        {
            fsi_node *f = fsi_dir_lookup(fsi_image_root(out), readme, rl);
            assert_int_equal(fsi_node_size(f), 14);
            size_t ne;
            assert_null(fsi_source_disc_extents(fsi_node_source(f), &ne));
            char got[14];
            src_read(fsi_node_source(f), 0, got, 14);
            assert_memory_equal(got, "embedded bytes", 14);
        }
        fsi_image_free(out);
        fsi_put_le32(fe + 56, 15);                          /* longer than the embedded bytes */
        retag_fe(fe);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fe, save, BS);
        /* time zones: +90 minutes local time; -2047 (not specified) reads as UTC */
        size_t mt = rd_le16(fe) == 266 ? 92 : 84;
        fsi_times t0;
        fsi_node_get_times(fsi_dir_lookup(fsi_image_root(img), readme, rl), &t0);
        int16_t zones[] = { 90, -2047, -600 };
        for (int k = 0; k < 3; k++) {
            fsi_put_le16(fe + mt, (uint16_t)(0x1000 | (zones[k] & 0xFFF)));
            retag_fe(fe);
            assert_int_equal(vimport(&v, &out, &err), FSI_OK);
            fsi_times t;
            fsi_node_get_times(fsi_dir_lookup(fsi_image_root(out), readme, rl), &t);
            int64_t off = zones[k] == -2047 ? 0 : zones[k];
            assert_int_equal(t.modification, t0.modification - off * 60 * 10000000);
            fsi_image_free(out);
        }
        memcpy(fe, save, BS);
        /* names: '/' and '\' become '_'; 16-bit CS0 with an odd byte, unknown compression and an
         * empty name are refused */
        uint8_t *nm = fid + 38 + rd_le16(fid + 36);
        nm[1] = '/';
        nm[2] = '\\';
        fid_retag(fid);
        assert_int_equal(vimport(&v, &out, &err), FSI_OK);
        assert_non_null(fsi_dir_lookup(fsi_image_root(out), U("__adme.txt", &l), l));
        fsi_image_free(out);
        memcpy(fid, fsave, sizeof fsave);
        uint64_t aicb;
        uint8_t *fa = vfid(&v, "a", &aicb), asave[64];
        memcpy(asave, fa, sizeof asave);
        fa[38 + rd_le16(fa + 36)] = 16;                     /* "a": 16-bit with one byte */
        fid_retag(fa);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fa, asave, sizeof asave);
        nm[0] = 7;
        fid_retag(fid);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fid, fsave, sizeof fsave);
        /* a FID longer than a block (implementation use), one past the directory's end */
        fsi_put_le16(fid + 36, 4000);
        fid_retag(fid);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fid, fsave, sizeof fsave);
        fsi_put_le16(fid + 36, 1500);
        fid_retag(fid);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fid, fsave, sizeof fsave);
        /* a wrong tag location, a bad CRC */
        fsi_put_le32(fid + 12, rd_le32(fid + 12) + 1);
        fid_retag(fid);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fid, fsave, sizeof fsave);
        fid[40] ^= 1;
        expect(&v, FSI_E_CORRUPT);
        memcpy(fid, fsave, sizeof fsave);
        /* the FID's ICB in a partition that does not exist */
        fsi_put_le16(fid + 28, 9);
        fid_retag(fid);
        expect(&v, FSI_E_CORRUPT);
        memcpy(fid, fsave, sizeof fsave);
        expect(&v, FSI_OK);
        free(v.b);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* ICB strategy 4096: an indirect entry after the direct entry leads to the newer one; a chain of
 * indirect entries that loops fails. */
static void strategy_4096(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    for (int k = 0; k < 2; k++) {
        int rev = k ? 0x250 : 0x102;
        fsi_plan *p = small_plan(img, rev, 0, 0);
        vimg v;
        vopen(&v, p, rev);
        uint64_t icb;
        uint8_t *fid = vfid(&v, "readme.txt", &icb), *fe = blk(&v, icb);
        /* three free blocks: the data of a/b/deep.dat (5000 bytes) in the physical partition */
        uint64_t d;
        uint32_t dlen;
        fe_first(&v, vfe(&v, "a/b/deep.dat"), rev >= 0x250, &d, &dlen);
        uint32_t dlb = (uint32_t)(d - v.part);
        /* d: readme's FE (strategy 4096), d+1: an indirect entry to d+2, d+2: a newer FE */
        for (int e = 0; e < 2; e++) {
            uint8_t *c = blk(&v, d + 2 * (uint64_t)e);
            memcpy(c, fe, BS);
            fsi_put_le16(c + 20, 4096);
            fsi_put_le16(c + 22, 2);
            fsi_put_le16(c + 24, 2);
            fsi_put_le32(c + 12, dlb + 2 * (uint32_t)e);
            size_t mt = rd_le16(c) == 266 ? 92 : 84;
            fsi_put_le16(c + mt + 2, (uint16_t)(2000 + e));          /* year */
            retag_fe(c);
        }
        uint8_t *ie = blk(&v, d + 1);
        memset(ie, 0, BS);
        fsi_put_le16(ie + 20, 4096);
        fsi_put_le32(ie + 36, BS);
        fsi_put_le32(ie + 40, dlb + 2);
        fsi_put_le16(ie + 44, 0);
        fsi_udf_tag(ie, 259, rev >= 0x200 ? 3 : 2, dlb + 1, 52);
        fsi_put_le32(fid + 24, dlb);
        fsi_put_le16(fid + 28, 0);
        fid_retag(fid);
        fsi_image *out = NULL;
        fsi_err err;
        assert_int_equal(vimport(&v, &out, &err), FSI_OK);
        size_t l;
        const uint16_t *nm = U("readme.txt", &l);
        fsi_node *f = fsi_dir_lookup(fsi_image_root(out), nm, l);
        fsi_times t;
        fsi_node_get_times(f, &t);
        assert_true(t.modification > fsi_time_from_unix(978307200, 0));   /* 2001, not 2000 */
        char got[13];
        src_read(fsi_node_source(f), 0, got, 13);
        assert_memory_equal(got, "hello, world\n", 13);
        fsi_image_free(out);
        /* the indirect entry pointing back at the first entry: a loop */
        fsi_put_le32(ie + 40, dlb);
        fsi_udf_tag(ie, 259, rev >= 0x200 ? 3 : 2, dlb + 1, 52);
        expect(&v, FSI_E_CORRUPT);
        free(v.b);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* Rewrite both LVDs with f applied. */
static void both_lvds(vimg *v, void (*f)(uint8_t *lvd))
{
    for (int k = 0; k < 2; k++) {
        uint8_t *l = blk(v, v->lvd[k]);
        f(l);
        retag(l, 440 + rd_le32(l + 264));
    }
}

static void lvd_block_512(uint8_t *l) { fsi_put_le32(l + 212, 512); }
static void lvd_sparable(uint8_t *l)
{
    uint8_t *m = l + 440 + 6;
    m[0] = 2;
    m[1] = 64;
    memset(m + 2, 0, 62);
    memcpy(m + 5, "*UDF Sparable Partition", 23);
    fsi_put_le32(l + 264, 6 + 64);
    fsi_put_le32(l + 268, 2);
}
static void lvd_virtual(uint8_t *l)
{
    lvd_sparable(l);
    memcpy(l + 440 + 6 + 5, "*UDF Virtual Partition\0", 23);
}
static void lvd_many_maps(uint8_t *l) { fsi_put_le32(l + 268, 200); }
static void lvd_bad_table(uint8_t *l) { fsi_put_le32(l + 264, 3000); }
static void lvd_no_pd(uint8_t *l) { fsi_put_le16(l + 440 + 4, 5); }
static void lvd_fsd_part(uint8_t *l) { fsi_put_le16(l + 256, 3); }
static void lvd_domain(uint8_t *l) { l[217] = 'X'; }

static void volume_hostile(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    fsi_plan *p = small_plan(img, 0x201, 0, 1);
    vimg v;
    vopen(&v, p, 0x201);
    uint8_t *copy = malloc(v.nblk * BS);
    memcpy(copy, v.b, v.nblk * BS);
    struct { void (*f)(uint8_t *); fsi_status want; } cases[] = {
        { lvd_block_512, FSI_E_FS_FEATURE }, { lvd_sparable, FSI_E_FS_FEATURE },
        { lvd_virtual, FSI_E_FS_FEATURE },   { lvd_many_maps, FSI_E_FS_FEATURE },
        { lvd_bad_table, FSI_E_CORRUPT },    { lvd_no_pd, FSI_E_CORRUPT },
        { lvd_fsd_part, FSI_E_CORRUPT },     { lvd_domain, FSI_OK },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        both_lvds(&v, cases[k].f);
        expect(&v, cases[k].want);
        memcpy(v.b, copy, v.nblk * BS);
    }
    /* without the domain suffix, the revision comes from the LVID */
    both_lvds(&v, lvd_domain);
    fsi_image *out = NULL;
    fsi_import_info info;
    fsi_err err;
    assert_int_equal(import_mem(v.b, v.nblk, 0, 0, &out, &info, &err), FSI_OK);
    assert_int_equal(info.udf_revision, 0x201);
    fsi_image_free(out);
    memcpy(v.b, copy, v.nblk * BS);
    /* a volume descriptor pointer that points at itself: the sequence is bounded */
    const uint8_t *a = blk(&v, 256);
    uint32_t mloc = rd_le32(a + 20), rloc = rd_le32(a + 28);
    for (int k = 0; k < 2; k++) {
        uint32_t at = k ? rloc : mloc;
        uint8_t *d = blk(&v, at);
        memset(d, 0, BS);
        fsi_put_le32(d + 20, 16 * BS);
        fsi_put_le32(d + 24, at);
        fsi_udf_tag(d, 3, 2, at, 512);
    }
    expect(&v, FSI_E_CORRUPT);
    memcpy(v.b, copy, v.nblk * BS);
    /* an anchor whose sequences are empty extents */
    for (uint64_t at = 256; at != 0; at = at == 256 ? v.nblk - 1 : 0) {
        uint8_t *d = blk(&v, at);
        fsi_put_le32(d + 16, 0);
        fsi_put_le32(d + 24, 100);
        fsi_udf_tag(d, 2, 2, (uint32_t)at, 512);
    }
    expect(&v, FSI_E_CORRUPT);
    memcpy(v.b, copy, v.nblk * BS);
    expect(&v, FSI_OK);
    free(copy);
    free(v.b);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* ---- images of other tools --------------------------------------------------------------------- */

static int have(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

static uint8_t *load_file(const char *path, uint64_t *nblk)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    *nblk = (uint64_t)sz / BS;
    uint8_t *b = malloc(*nblk * BS + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *nblk * BS, f), *nblk * BS);
    fclose(f);
    return b;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* A scratch folder with a small tree: f.txt (50 bytes), big.bin (70000), sub/g.dat (5000),
 * sub/inner/empty (0). */
static char g_tmp[64];
static uint8_t g_data[70000];

static void make_tree_on_disk(void)
{
    strcpy(g_tmp, "/tmp/fsi-import-udf-XXXXXX");
    assert_non_null(mkdtemp(g_tmp));
    for (size_t i = 0; i < sizeof g_data; i++)
        g_data[i] = (uint8_t)(i * 5 + (i >> 8));
    char p[256];
    snprintf(p, sizeof p, "%s/src", g_tmp);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/src/sub", g_tmp);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/src/sub/inner", g_tmp);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/src/f.txt", g_tmp);
    write_file(p, g_data, 50);
    snprintf(p, sizeof p, "%s/src/big.bin", g_tmp);
    write_file(p, g_data, 70000);
    snprintf(p, sizeof p, "%s/src/sub/g.dat", g_tmp);
    write_file(p, g_data + 7, 5000);
    snprintf(p, sizeof p, "%s/src/sub/inner/empty", g_tmp);
    write_file(p, g_data, 0);
}

static void remove_tree_on_disk(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    run(cmd);
}

static void check_file(fsi_node *dir, const char *path, const uint8_t *want, size_t n)
{
    size_t l;
    const uint16_t *u = U(path, &l);
    fsi_node *f = NULL;
    assert_int_equal(fsi_dir_walk(dir, u, l, &f), FSI_OK);
    assert_false(fsi_node_is_dir(f));
    assert_int_equal(fsi_node_size(f), n);
    if (!n)
        return;
    uint8_t *got = malloc(n);
    src_read(fsi_node_source(f), 0, got, n);
    assert_memory_equal(got, want, n);
    free(got);
}

/* The tree of make_tree_on_disk under dir. */
static void check_disk_tree(fsi_node *dir)
{
    check_file(dir, "f.txt", g_data, 50);
    check_file(dir, "big.bin", g_data, 70000);
    check_file(dir, "sub\\g.dat", g_data + 7, 5000);
    check_file(dir, "sub\\inner\\empty", g_data, 0);
}

/* mkudffs (every revision it makes for a hard disk, its other media kinds) and, with udfclient,
 * files written into its images (udfclient embeds small files and directories in their ICBs). */
static void mkudffs_images(void **state)
{
    (void)state;
    if (!have("mkudffs"))
        skip();
    make_tree_on_disk();
    static const char *const revs[] = { "1.01", "1.02", "1.50", "2.00", "2.01", "2.01 --strategy=4096",
                                        "1.50 --space=unalloctable" };
    static const int revn[] = { 0x101, 0x102, 0x150, 0x200, 0x201, 0x201, 0x150 };
    int client = have("udfclient");
    char cmd[2048], img[128];
    snprintf(img, sizeof img, "%s/mk.img", g_tmp);
    for (size_t k = 0; k < sizeof revs / sizeof revs[0]; k++) {
        snprintf(cmd, sizeof cmd,
                 "rm -f '%s' && truncate -s 40M '%s' && mkudffs --media-type=hd -b 2048 --udfrev=%s "
                 "--label=MKUDF%zu '%s' >/dev/null 2>&1",
                 img, img, revs[k], k, img);
        assert_int_equal(run(cmd), 0);
        uint64_t nblk;
        uint8_t *b = load_file(img, &nblk);
        fsi_image *out = NULL;
        fsi_import_info info;
        fsi_err err;
        assert_int_equal(import_mem(b, nblk, 0, 0, &out, &info, &err), FSI_OK);
        free(b);
        assert_int_equal(info.udf_revision, revn[k]);
        assert_int_equal(info.volume_blocks, nblk);
        char want[16];
        snprintf(want, sizeof want, "MKUDF%zu", k);
        assert_true(u16_eq(info.volume_name, info.volume_name_len, want));
        assert_int_equal(fsi_image_file_count(out) + fsi_image_dir_count(out), 0);
        fsi_image_free(out);
        /* udfclient takes seconds per run: 1.02, 2.01 and 2.01 with strategy 4096 (it crashes on
         * space tables) */
        if (!client || (k != 1 && k != 4 && k != 5))
            continue;
        /* udfclient shows the volume as a folder of the root; write the tree under "copy" */
        snprintf(cmd, sizeof cmd,
                 "cd '%s/src' && D=$(printf 'ls\\n' | udfclient -b 2048 '%s' 2>/dev/null | awk '/^d/ {print $NF; exit}') "
                 "&& printf 'cd %%s\\nmkdir copy\\ncd copy\\nput f.txt\\nput big.bin\\nmkdir sub\\ncd sub\\nlcd sub\\n"
                 "put g.dat\\nmkdir inner\\ncd inner\\nlcd inner\\nput empty\\nquit\\n' \"$D\" | "
                 "udfclient -W -b 2048 '%s' >/dev/null 2>&1",
                 g_tmp, img, img);
        assert_int_equal(run(cmd), 0);
        b = load_file(img, &nblk);
        assert_int_equal(import_mem(b, nblk, 0, 0, &out, &info, &err), FSI_OK);
        fsi_node *copy = fsi_dir_lookup(fsi_image_root(out), U("copy", NULL), 4);
        assert_non_null(copy);
        check_disk_tree(copy);
        assert_int_equal(fsi_image_file_count(out), 4);
        assert_int_equal(fsi_image_dir_count(out), 3);
        fsi_image_free(out);
        free(b);
    }
    /* sparable (rewritable discs) and virtual (write-once discs) partitions: not supported */
    static const char *const kinds[] = { "dvdrw", "cdrw", "cdr", "bdr" };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        snprintf(cmd, sizeof cmd,
                 "rm -f '%s' && truncate -s 40M '%s' && mkudffs --media-type=%s -b 2048 '%s' >/dev/null 2>&1",
                 img, img, kinds[k], img);
        assert_int_equal(run(cmd), 0);
        uint64_t nblk;
        uint8_t *b = load_file(img, &nblk);
        fsi_image *out = NULL;
        fsi_err err;
        assert_int_equal(import_mem(b, nblk, 0, 0, &out, NULL, &err), FSI_E_FS_FEATURE);
        assert_int_equal(err.fs, FSI_FS_UDF);
        free(b);
    }
    remove_tree_on_disk();
}

/* genisoimage -udf (UDF 1.02 bridged with ISO 9660), with and without Joliet and Rock Ridge. */
static void genisoimage_images(void **state)
{
    (void)state;
    if (!have("genisoimage"))
        skip();
    make_tree_on_disk();
    static const char *const flags[] = { "", "-J -R", "-iso-level 3 -J" };
    char cmd[1024], img[128];
    snprintf(img, sizeof img, "%s/gen.iso", g_tmp);
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        snprintf(cmd, sizeof cmd, "genisoimage -quiet -udf %s -V GENVOL -o '%s' '%s/src' >/dev/null 2>&1", flags[k],
                 img, g_tmp);
        assert_int_equal(run(cmd), 0);
        uint64_t nblk;
        uint8_t *b = load_file(img, &nblk);
        fsi_image *out = NULL;
        fsi_import_info info;
        fsi_err err;
        assert_int_equal(import_mem(b, nblk, 0, 0, &out, &info, &err), FSI_OK);
        assert_int_equal(info.udf_revision, 0x102);
        assert_true(u16_eq(info.volume_name, info.volume_name_len, "GENVOL"));
        assert_true(info.volume_blocks <= nblk);
        check_disk_tree(fsi_image_root(out));
        assert_int_equal(fsi_image_file_count(out), 4);
        assert_int_equal(fsi_image_dir_count(out), 2);
        fsi_image_free(out);
        free(b);
    }
    remove_tree_on_disk();
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_revisions),
        cmocka_unit_test(later_session),
        cmocka_unit_test(multi_extent_files),
        cmocka_unit_test(wide_and_deep),
        cmocka_unit_test(not_udf),
        cmocka_unit_test(bit_flips),
        cmocka_unit_test(truncated),
        cmocka_unit_test(redundancy),
        cmocka_unit_test(directory_loops),
        cmocka_unit_test(allocation_hostile),
        cmocka_unit_test(fid_and_fe_variants),
        cmocka_unit_test(strategy_4096),
        cmocka_unit_test(volume_hostile),
        cmocka_unit_test(mkudffs_images),
        cmocka_unit_test(genisoimage_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
