/* Faults while an image is streamed: a source file that disappears, shrinks, grows or cannot be
 * read after the plan was made, and sources that fail, return short reads or end early. Each gives
 * a documented status (FSI_E_READ, FSI_E_INCONSISTENT, FSI_E_NOMEM) with the file's image path in
 * fsi_err, closes the source, and leaves the cursor and the plan usable: once the source is fixed,
 * the same cursor (and a new plan) give the image byte for byte. docs/behaviour.md, "Faults".
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test_util.h"

/* ---- a folder of real files (path sources) ------------------------------------------------------ */

static char g_dir[256];
#define VICTIM_SIZE 100000u             /* 49 blocks, the last one partly used; over 64 KiB */

static uint8_t content(unsigned file, uint64_t i) { return (uint8_t)(i * 131 + file * 17 + (i >> 9)); }

static void path_of(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", g_dir, name); }

static void write_file(const char *name, unsigned file, size_t size)
{
    char p[512];
    path_of(p, sizeof p, name);
    uint8_t *b = malloc(size + 1);
    for (size_t i = 0; i < size; i++)
        b[i] = content(file, i);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
    free(b);
}

/* The files of the tree: index, name in g_dir, image path, size. */
static const struct { const char *name, *image; size_t size; } g_files[] = {
    { "a.bin", "a.bin", 5000 },
    { "victim.bin", "dir/victim.bin", VICTIM_SIZE },
    { "z.bin", "z.bin", 3000 },
};
#define VICTIM 1

static void restore_files(void)
{
    char p[512];
    for (unsigned k = 0; k < 3; k++) {
        path_of(p, sizeof p, g_files[k].name);
        if (unlink(p) != 0)             /* a test may have put a directory or a link there */
            rmdir(p);
        write_file(g_files[k].name, k, g_files[k].size);
    }
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s/fsi-faults-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir))
        return -1;
    restore_files();
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char p[512];
    for (unsigned k = 0; k < 3; k++) {
        path_of(p, sizeof p, g_files[k].name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    rmdir(g_dir);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    restore_files();
    return 0;
}

static fsi_plan_opts opts(unsigned fs)
{
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = 2;
    o.udf_revision = 0x102;
    o.creation_time = fsi_time_from_unix(1709214330, 0);
    return o;
}

/* The tree over path sources (mem = 0) or over memory copies of the same bytes (mem = 1). */
static uint8_t g_mem[3][VICTIM_SIZE];

static fsi_image *make_tree(int mem)
{
    fsi_image *img = fsi_image_new();
    assert_non_null(img);
    fsi_node *dir = mkdir_in(img, fsi_image_root(img), "dir");
    for (unsigned k = 0; k < 3; k++) {
        fsi_source *src;
        if (mem) {
            for (size_t i = 0; i < g_files[k].size; i++)
                g_mem[k][i] = content(k, i);
            src = fsi_source_new_memory(g_mem[k], g_files[k].size);
        } else {
            char p[512];
            path_of(p, sizeof p, g_files[k].name);
            src = fsi_source_new_path(p);
        }
        assert_non_null(src);
        const char *leaf = strrchr(g_files[k].image, '/');
        leaf = leaf ? leaf + 1 : g_files[k].image;
        size_t l;
        const uint16_t *u = U(leaf, &l);
        fsi_node *n = NULL;
        assert_int_equal(fsi_node_new_file(u, l, g_files[k].size, src, &n), FSI_OK);
        fsi_source_unref(src);
        assert_int_equal(fsi_dir_attach(img, k == VICTIM ? dir : fsi_image_root(img), n, 0), FSI_OK);
        fsi_node_unref(n);
    }
    return img;
}

static fsi_plan *plan_of(fsi_image *img, unsigned fs)
{
    fsi_plan_opts o = opts(fs);
    fsi_plan *p = NULL;
    fsi_err err;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_OK);
    return p;
}

static uint64_t image_size(const fsi_plan *p) { return (uint64_t)fsi_plan_total_blocks(p) * FSI_BLOCK_SIZE; }

/* The extent of the file whose image path is path ("\dir\victim.bin"). */
static const fsi_extent_info *extent_of(const fsi_plan *p, const char *path)
{
    for (size_t i = 0; i < fsi_plan_extent_count(p); i++) {
        const fsi_extent_info *e = fsi_plan_extent(p, i);
        if (e->is_file && u16_eq(e->path, e->path_len, path))
            return e;
    }
    fail_msg("no extent for %s", path);
    return NULL;
}

/* Read the whole image in chunks of chunk bytes; stops at the first failure. */
static fsi_status read_all(fsi_cursor *c, uint64_t size, size_t chunk, uint8_t *out, fsi_err *err)
{
    for (uint64_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
        fsi_status st = fsi_cursor_read(c, off, out + off, n, err);
        if (st != FSI_OK)
            return st;
    }
    return FSI_OK;
}

/* The reference image (memory sources) for fs. */
static uint8_t *reference(unsigned fs, uint64_t *size)
{
    fsi_image *img = make_tree(1);
    fsi_plan *p = plan_of(img, fs);
    fsi_image_free(img);
    *size = image_size(p);
    uint8_t *b = malloc(*size);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    assert_int_equal(read_all(c, *size, 1 << 20, b, &err), FSI_OK);
    fsi_cursor_free(c);
    fsi_plan_unref(p);
    return b;
}

static const unsigned g_fs[] = {
    FSI_FS_ISO9660, FSI_FS_ISO9660 | FSI_FS_JOLIET, FSI_FS_UDF, FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF,
};
static const size_t g_chunks[] = { 1, 2047, 2048, 65536, 1 << 22 };

/* Break the victim with breakit, read the image with every chunk size and file system mix: the read
 * fails with want (and err naming the victim, expected/found when given), the rest of the image stays
 * readable through the same cursor; after the file is restored the same cursor gives the reference. */
static void fault_case(void (*breakit)(void), fsi_status want, int64_t expected, int64_t found)
{
    for (size_t f = 0; f < sizeof g_fs / sizeof g_fs[0]; f++) {
        uint64_t size;
        uint8_t *ref = reference(g_fs[f], &size);
        uint8_t *buf = malloc(size);
        restore_files();
        fsi_image *img = make_tree(0);
        fsi_plan *p = plan_of(img, g_fs[f]);
        assert_int_equal(image_size(p), size);
        const fsi_extent_info *v = extent_of(p, "\\dir\\victim.bin");
        uint64_t vstart = (uint64_t)v->first_block * FSI_BLOCK_SIZE;
        for (size_t k = 0; k < sizeof g_chunks / sizeof g_chunks[0]; k++) {
            size_t chunk = g_chunks[k];
            if (chunk == 1 && (g_fs[f] & FSI_FS_UDF))
                continue;               /* one byte at a time: once is enough */
            fsi_cursor *c = fsi_cursor_new(p);
            fsi_err err;
            breakit();
            memset(&err, 0x5A, sizeof err);
            assert_int_equal(read_all(c, size, chunk, buf, &err), want);
            assert_int_equal(err.code, want);
            assert_true(u16_eq(err.path, err.path_len, "\\dir\\victim.bin"));
            if (expected >= 0) {
                assert_int_equal(err.expected, (uint64_t)expected);
                assert_int_equal(err.found, (uint64_t)found);
            }
            /* the same cursor still reads the metadata and the other files */
            const fsi_extent_info *a = extent_of(p, "\\a.bin");
            uint64_t astart = (uint64_t)a->first_block * FSI_BLOCK_SIZE;
            assert_int_equal(fsi_cursor_read(c, astart, buf, (size_t)a->size, &err), FSI_OK);
            assert_memory_equal(buf, ref + astart, (size_t)a->size);
            assert_int_equal(fsi_cursor_read(c, 16 * FSI_BLOCK_SIZE, buf, FSI_BLOCK_SIZE, NULL), FSI_OK);
            assert_memory_equal(buf, ref + 16 * FSI_BLOCK_SIZE, FSI_BLOCK_SIZE);
            /* without an fsi_err too */
            assert_int_equal(fsi_cursor_read(c, vstart, buf, VICTIM_SIZE, NULL), want);
            /* fixed: the same cursor gives the whole image */
            restore_files();
            memset(buf, 0xEE, size);
            assert_int_equal(read_all(c, size, chunk, buf, &err), FSI_OK);
            assert_memory_equal(buf, ref, size);
            fsi_cursor_free(c);
        }
        /* and a new plan of the same tree after a failure */
        breakit();
        fsi_cursor *c = fsi_cursor_new(p);
        fsi_err err;
        assert_int_equal(read_all(c, size, 1 << 20, buf, &err), want);
        fsi_cursor_free(c);
        restore_files();
        fsi_plan *p2 = plan_of(img, g_fs[f]);
        c = fsi_cursor_new(p2);
        assert_int_equal(read_all(c, size, 1 << 20, buf, &err), FSI_OK);
        assert_memory_equal(buf, ref, size);
        fsi_cursor_free(c);
        fsi_plan_unref(p2);
        fsi_plan_unref(p);
        fsi_image_free(img);
        free(buf);
        free(ref);
    }
}

static void victim_path(char *p, size_t cap) { path_of(p, cap, g_files[VICTIM].name); }

static void do_unlink(void)
{
    char p[512];
    victim_path(p, sizeof p);
    assert_int_equal(unlink(p), 0);
}

static void do_shrink(void)
{
    char p[512];
    victim_path(p, sizeof p);
    assert_int_equal(truncate(p, VICTIM_SIZE - 1000), 0);
}

static void do_empty(void)
{
    char p[512];
    victim_path(p, sizeof p);
    assert_int_equal(truncate(p, 0), 0);
}

static void do_grow(void)
{
    char p[512];
    victim_path(p, sizeof p);
    FILE *f = fopen(p, "ab");
    assert_non_null(f);
    fputc('+', f);
    fclose(f);
}

static void do_grow_a_lot(void)
{
    char p[512];
    victim_path(p, sizeof p);
    assert_int_equal(truncate(p, 10 * 1048576), 0);
}

static void do_directory(void)
{
    char p[512];
    victim_path(p, sizeof p);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkdir(p, 0755), 0);
}

/* Opens but cannot be read: mode 000 for a normal user; for root (who reads those) a link to
 * /proc/self/mem, whose first page is never mapped (EIO). */
/* A FIFO where the file was: opening it must not wait for a writer. */
static void do_fifo(void)
{
    char p[512];
    victim_path(p, sizeof p);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkfifo(p, 0644), 0);
}

static void do_unreadable(void)
{
    char p[512];
    victim_path(p, sizeof p);
    if (geteuid() != 0) {
        assert_int_equal(chmod(p, 0), 0);
        return;
    }
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink("/proc/self/mem", p), 0);
}

static void disappears(void **state) { (void)state; fault_case(do_unlink, FSI_E_READ, -1, -1); }
static void shrinks(void **state) { (void)state; fault_case(do_shrink, FSI_E_INCONSISTENT, VICTIM_SIZE, VICTIM_SIZE - 1000); }
static void becomes_empty(void **state) { (void)state; fault_case(do_empty, FSI_E_INCONSISTENT, VICTIM_SIZE, 0); }
static void grows(void **state) { (void)state; fault_case(do_grow, FSI_E_INCONSISTENT, VICTIM_SIZE, VICTIM_SIZE + 1); }
static void grows_a_lot(void **state) { (void)state; fault_case(do_grow_a_lot, FSI_E_INCONSISTENT, VICTIM_SIZE, VICTIM_SIZE + 1); }
static void becomes_directory(void **state) { (void)state; fault_case(do_directory, FSI_E_READ, -1, -1); }
static void becomes_fifo(void **state) { (void)state; fault_case(do_fifo, FSI_E_READ, -1, -1); }

static void unreadable(void **state)
{
    (void)state;
    fault_case(do_unreadable, FSI_E_READ, -1, -1);
}

/* Changed while its data is being read (the source is open): removing it does not matter (the
 * open descriptor reads on); shrinking it is found at the block where the data ends when that
 * block is read from the file after the change. A reader that takes a file in pieces smaller than
 * 64 KiB is served from one read of up to 64 KiB (cursor.c READ_AHEAD): a change to bytes already
 * read ahead is not seen, and the image holds them as they were read. */
static void changes_while_open(void **state)
{
    (void)state;
    uint64_t size;
    uint8_t *ref = reference(FSI_FS_ISO9660 | FSI_FS_JOLIET, &size);
    uint8_t *buf = malloc(size);
    fsi_image *img = make_tree(0);
    fsi_plan *p = plan_of(img, FSI_FS_ISO9660 | FSI_FS_JOLIET);
    const fsi_extent_info *v = extent_of(p, "\\dir\\victim.bin");
    uint64_t vstart = (uint64_t)v->first_block * FSI_BLOCK_SIZE;
    fsi_err err;

    fsi_cursor *c = fsi_cursor_new(p);
    assert_int_equal(fsi_cursor_read(c, 0, buf, (size_t)vstart + FSI_BLOCK_SIZE, &err), FSI_OK);
    do_unlink();
    assert_int_equal(fsi_cursor_read(c, vstart + FSI_BLOCK_SIZE, buf + vstart + FSI_BLOCK_SIZE,
                                     (size_t)(size - vstart - FSI_BLOCK_SIZE), &err), FSI_OK);
    assert_memory_equal(buf, ref, size);
    /* once it has been read to its end it is closed: the next pass finds it gone */
    assert_int_equal(fsi_cursor_read(c, vstart, buf, FSI_BLOCK_SIZE, &err), FSI_E_READ);
    fsi_cursor_free(c);

    /* first block (the cursor reads 64 KiB), shrink by 1000 bytes, the rest in one piece: the
     * blocks read ahead come as they were, the shrink is found where the data now ends */
    restore_files();
    c = fsi_cursor_new(p);
    assert_int_equal(fsi_cursor_read(c, vstart, buf + vstart, FSI_BLOCK_SIZE, &err), FSI_OK);
    do_shrink();
    assert_int_equal(fsi_cursor_read(c, vstart + FSI_BLOCK_SIZE, buf + vstart + FSI_BLOCK_SIZE,
                                     VICTIM_SIZE - FSI_BLOCK_SIZE, &err), FSI_E_INCONSISTENT);
    assert_int_equal(err.expected, VICTIM_SIZE);
    assert_int_equal(err.found, VICTIM_SIZE - 1000);
    assert_memory_equal(buf + vstart, ref + vstart, 65536);
    fsi_cursor_free(c);

    /* the same a block at a time: blocks 1-31 come from what was read ahead, the error where the
     * data ends */
    restore_files();
    c = fsi_cursor_new(p);
    assert_int_equal(fsi_cursor_read(c, vstart, buf, FSI_BLOCK_SIZE, &err), FSI_OK);
    do_shrink();
    uint64_t at = vstart + FSI_BLOCK_SIZE;
    fsi_status st;
    while ((st = fsi_cursor_read(c, at, buf + at, FSI_BLOCK_SIZE, &err)) == FSI_OK)
        at += FSI_BLOCK_SIZE;
    assert_int_equal(st, FSI_E_INCONSISTENT);
    assert_int_equal(at, vstart + (VICTIM_SIZE - 1000) / FSI_BLOCK_SIZE * FSI_BLOCK_SIZE);
    assert_int_equal(err.found, VICTIM_SIZE - 1000);
    assert_memory_equal(buf + vstart + FSI_BLOCK_SIZE, ref + vstart + FSI_BLOCK_SIZE, 31 * FSI_BLOCK_SIZE);
    fsi_cursor_free(c);

    fsi_plan_unref(p);
    fsi_image_free(img);
    free(buf);
    free(ref);
}

/* ---- sources that fail ------------------------------------------------------------------------- */

typedef struct bad_source {
    fsi_source base;
    uint64_t size;                  /* bytes the source has */
    int opens, closes, destroyed;
    int fail_open;                  /* open fails this many more times */
    fsi_status open_status;         /* with this status */
    uint64_t fail_at;               /* a read reaching this offset fails ... */
    fsi_status read_status;         /* ... with this status (FSI_OK: no read failure) */
    int fail_reads;                 /* read failures left (-1: always) */
    uint64_t eof_at;                /* reads at or past this offset give 0 bytes */
    size_t max_chunk;               /* at most this many bytes per read (0: any) */
    int garbage_got;                /* report *got of len+1 (a broken source) */
} bad_source;

static uint8_t bad_byte(uint64_t i) { return (uint8_t)(i * 7 + 3); }

static fsi_status b_open(fsi_source *s, void **h)
{
    bad_source *b = (bad_source *)s;
    if (b->fail_open) {
        b->fail_open--;
        return b->open_status;
    }
    b->opens++;
    *h = b;
    return FSI_OK;
}

static fsi_status b_read(fsi_source *s, void *h, uint64_t off, void *buf, size_t len, size_t *got)
{
    bad_source *b = (bad_source *)s;
    assert_ptr_equal(h, b);
    assert_true(b->opens > b->closes);          /* only while open */
    uint64_t end = b->size < b->eof_at ? b->size : b->eof_at;
    size_t n = off >= end ? 0 : (end - off < len ? (size_t)(end - off) : len);
    if (b->max_chunk && n > b->max_chunk)
        n = b->max_chunk;
    if (b->read_status != FSI_OK && b->fail_reads && off + n > b->fail_at) {
        if (b->fail_reads > 0)
            b->fail_reads--;
        n = off < b->fail_at ? (size_t)(b->fail_at - off) : 0;
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)buf)[i] = bad_byte(off + i);
        *got = n;
        return b->read_status;
    }
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = bad_byte(off + i);
    *got = n;
    return FSI_OK;
}

static void b_close(fsi_source *s, void *h)
{
    bad_source *b = (bad_source *)s;
    assert_ptr_equal(h, b);
    b->closes++;
    assert_int_equal(b->opens, b->closes);
}

static void b_destroy(fsi_source *s) { ((bad_source *)s)->destroyed++; }

static const fsi_source_ops bad_ops = { b_open, b_read, b_close, b_destroy };

#define BAD_SIZE 70000u                 /* 35 blocks */

static void bad_init(bad_source *b)
{
    memset(b, 0, sizeof *b);
    b->base.ops = &bad_ops;
    b->base.refs = 1;
    b->size = BAD_SIZE;
    b->eof_at = UINT64_MAX;
    b->fail_at = UINT64_MAX;
}

/* An image with "\before" (memory), "\bad" (the bad source) and "\after" (memory). */
static uint8_t g_other[2][3000];

static fsi_plan *bad_plan(bad_source *b, uint64_t recorded, unsigned fs)
{
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    for (int i = 0; i < 3000; i++)
        g_other[0][i] = (uint8_t)i, g_other[1][i] = (uint8_t)(i >> 3);
    mkfile_in(img, r, "after", g_other[1], 3000);
    mkfile_in(img, r, "before", g_other[0], 3000);
    fsi_node *n = NULL;
    size_t l;
    const uint16_t *u = U("bad", &l);
    assert_int_equal(fsi_node_new_file(u, l, recorded, &b->base, &n), FSI_OK);
    fsi_source_unref(&b->base);         /* the node has its own reference */
    assert_int_equal(fsi_dir_attach(img, r, n, 0), FSI_OK);
    fsi_node_unref(n);
    fsi_plan *p = plan_of(img, fs);
    fsi_image_free(img);
    return p;
}

/* Whole image through one cursor in chunk-byte reads; status of the first failure. */
static fsi_status read_image(fsi_plan *p, size_t chunk, fsi_err *err, uint8_t **out)
{
    uint64_t size = image_size(p);
    uint8_t *buf = malloc(size);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_status st = read_all(c, size, chunk, buf, err);
    fsi_cursor_free(c);
    if (out)
        *out = buf;
    else
        free(buf);
    return st;
}

static void check_bad_data(fsi_plan *p, const uint8_t *img, uint64_t len)
{
    const fsi_extent_info *e = extent_of(p, "\\bad");
    const uint8_t *d = img + (uint64_t)e->first_block * FSI_BLOCK_SIZE;
    for (uint64_t i = 0; i < len; i++)
        if (d[i] != bad_byte(i))
            fail_msg("byte %llu of \\bad", (unsigned long long)i);
}

static void failing_sources(void **state)
{
    (void)state;
    static bad_source b;
    for (size_t f = 0; f < sizeof g_fs / sizeof g_fs[0]; f++) {
        unsigned fs = g_fs[f];
        for (size_t k = 1; k < sizeof g_chunks / sizeof g_chunks[0]; k++) {
            size_t chunk = g_chunks[k];
            fsi_err err;
            uint8_t *img;

            /* short reads (up to 7 bytes at a time): nothing wrong, the same bytes */
            bad_init(&b);
            b.max_chunk = 7;
            fsi_plan *p = bad_plan(&b, BAD_SIZE, fs);
            assert_int_equal(read_image(p, chunk, &err, &img), FSI_OK);
            check_bad_data(p, img, BAD_SIZE);
            free(img);
            assert_int_equal(b.opens, b.closes);
            fsi_plan_unref(p);
            assert_int_equal(b.destroyed, 1);

            /* a read error in the middle of the data */
            bad_init(&b);
            b.read_status = FSI_E_READ;
            b.fail_at = 40000;
            b.fail_reads = -1;
            p = bad_plan(&b, BAD_SIZE, fs);
            assert_int_equal(read_image(p, chunk, &err, NULL), FSI_E_READ);
            assert_true(u16_eq(err.path, err.path_len, "\\bad"));
            assert_int_equal(b.opens, b.closes);
            /* a transient one: the same plan reads fine afterwards */
            b.fail_reads = 0;
            assert_int_equal(read_image(p, chunk, &err, &img), FSI_OK);
            check_bad_data(p, img, BAD_SIZE);
            free(img);
            fsi_plan_unref(p);

            /* any other status from read is a read failure, except out of memory */
            bad_init(&b);
            b.read_status = FSI_E_INVALID_PARAM;
            b.fail_at = 0;
            b.fail_reads = -1;
            p = bad_plan(&b, BAD_SIZE, fs);
            assert_int_equal(read_image(p, chunk, &err, NULL), FSI_E_READ);
            b.read_status = FSI_E_NOMEM;
            assert_int_equal(read_image(p, chunk, &err, NULL), FSI_E_NOMEM);
            assert_true(u16_eq(err.path, err.path_len, "\\bad"));
            assert_int_equal(b.opens, b.closes);
            fsi_plan_unref(p);

            /* open fails (twice), then works */
            bad_init(&b);
            b.fail_open = 2;
            b.open_status = FSI_E_READ;
            p = bad_plan(&b, BAD_SIZE, fs);
            assert_int_equal(read_image(p, chunk, &err, NULL), FSI_E_READ);
            assert_true(u16_eq(err.path, err.path_len, "\\bad"));
            b.open_status = FSI_E_NOMEM;
            assert_int_equal(read_image(p, chunk, &err, NULL), FSI_E_NOMEM);
            assert_int_equal(b.opens, 0);
            assert_int_equal(read_image(p, chunk, &err, &img), FSI_OK);
            check_bad_data(p, img, BAD_SIZE);
            free(img);
            assert_int_equal(b.opens, b.closes);
            fsi_plan_unref(p);

            /* the data ends early: inconsistent, found = where it ended */
            bad_init(&b);
            b.eof_at = 12345;
            b.max_chunk = 1000;
            p = bad_plan(&b, BAD_SIZE, fs);
            assert_int_equal(read_image(p, chunk, &err, NULL), FSI_E_INCONSISTENT);
            assert_int_equal(err.expected, BAD_SIZE);
            assert_int_equal(err.found, 12345);
            assert_int_equal(b.opens, b.closes);
            fsi_plan_unref(p);

            /* more data than recorded */
            bad_init(&b);
            p = bad_plan(&b, BAD_SIZE - 1, fs);
            assert_int_equal(read_image(p, chunk, &err, NULL), FSI_E_INCONSISTENT);
            assert_int_equal(err.expected, BAD_SIZE - 1);
            assert_int_equal(err.found, BAD_SIZE);
            fsi_plan_unref(p);
            assert_int_equal(b.destroyed, 1);
        }
    }
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    alarm(300);                         /* a source that blocks must fail the test, not hang it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(disappears, reset),
        cmocka_unit_test_setup(shrinks, reset),
        cmocka_unit_test_setup(becomes_empty, reset),
        cmocka_unit_test_setup(grows, reset),
        cmocka_unit_test_setup(grows_a_lot, reset),
        cmocka_unit_test_setup(becomes_directory, reset),
        cmocka_unit_test_setup(becomes_fifo, reset),
        cmocka_unit_test_setup(unreadable, reset),
        cmocka_unit_test_setup(changes_while_open, reset),
        cmocka_unit_test(failing_sources),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
