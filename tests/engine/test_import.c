/* fsi_import (ISO 9660 / Joliet) and multisession plans: round trips through our own images, new
 * sequential sessions that reference the old extents, random-write results whose modified ranges
 * are all that differs, hostile images, and images made by genisoimage and xorriso when present. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <unistd.h>

typedef struct mem {
    uint8_t *data;
    uint64_t blocks;
} mem;

static int mem_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    mem *m = ctx;
    if (lba + count > m->blocks)
        return -1;
    memcpy(buf, m->data + lba * FSI_BLOCK_SIZE, (size_t)count * FSI_BLOCK_SIZE);
    return 0;
}

static void mem_release(void *ctx)
{
    mem *m = ctx;
    free(m->data);
    free(m);
}

/* A medium owning a copy of data[0 .. blocks). */
static fsi_medium *medium_of(const uint8_t *data, uint64_t blocks)
{
    mem *m = malloc(sizeof *m);
    m->data = malloc(blocks * FSI_BLOCK_SIZE + 1);
    memcpy(m->data, data, blocks * FSI_BLOCK_SIZE);
    m->blocks = blocks;
    fsi_medium *md = fsi_medium_new(mem_read, m, mem_release, blocks);
    assert_non_null(md);
    return md;
}

static uint8_t *render(fsi_plan *plan, uint64_t *blocks)
{
    fsi_err err;
    *blocks = fsi_plan_total_blocks(plan);
    uint8_t *buf = malloc(*blocks * FSI_BLOCK_SIZE + 1);
    fsi_cursor *c = fsi_cursor_new(plan);
    assert_int_equal(fsi_cursor_read(c, 0, buf, *blocks * FSI_BLOCK_SIZE, &err), FSI_OK);
    fsi_cursor_free(c);
    return buf;
}

static uint8_t big[300000];

/* The sample tree: nested folders, an empty file, a hidden file, long and non-ASCII names. */
static fsi_image *sample(void)
{
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + i / 251);
    fsi_image *img = fsi_image_new();
    fsi_node *root = fsi_image_root(img);
    fsi_node *a = mkdir_in(img, root, "alpha");
    fsi_node *b = mkdir_in(img, a, "beta gamma");
    mkfile_in(img, root, "readme.txt", "hello", 5);
    mkfile_in(img, a, "big.bin", big, sizeof big);
    mkfile_in(img, b, "empty", NULL, 0);
    fsi_node *h = mkfile_in(img, b, "A rather long file name.text", "long", 4);
    fsi_node_set_hidden(h, 1);
    mkfile_in(img, b, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.txt", "cjk", 3);
    fsi_times t = { fsi_time_from_unix(1700000000, 0), fsi_time_from_unix(1700000000, 0),
                    fsi_time_from_unix(1700000000, 0) };
    fsi_node *all[] = { root, a, b, h };
    for (size_t i = 0; i < 4; i++)
        fsi_node_set_times(all[i], &t);
    for (size_t i = 0; i < fsi_dir_child_count(b); i++)
        fsi_node_set_times(fsi_dir_child(b, i), &t);
    for (size_t i = 0; i < fsi_dir_child_count(a); i++)
        fsi_node_set_times(fsi_dir_child(a, i), &t);
    for (size_t i = 0; i < fsi_dir_child_count(root); i++)
        fsi_node_set_times(fsi_dir_child(root, i), &t);
    return img;
}

static fsi_plan_opts opts(unsigned fs)
{
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = 2;
    o.udf_revision = 0x102;
    o.udf_redundant_metadata = 1;
    o.creation_time = fsi_time_from_unix(1700000000, 0);
    return o;
}

static uint8_t *build(const fsi_image *img, const fsi_plan_opts *o, uint64_t *blocks)
{
    fsi_plan *plan;
    fsi_err err;
    assert_int_equal(fsi_plan_build(img, o, &plan, &err), FSI_OK);
    uint8_t *buf = render(plan, blocks);
    fsi_plan_unref(plan);
    return buf;
}

/* The whole content of a file item through its source. */
static uint8_t *slurp(const fsi_node *n)
{
    uint64_t size = fsi_node_size(n);
    uint8_t *buf = malloc(size + 1);
    if (!size)
        return buf;
    fsi_source *s = fsi_node_source(n);
    void *h;
    assert_int_equal(s->ops->open(s, &h), FSI_OK);
    size_t done = 0;
    while (done < size) {
        size_t got = 0;
        assert_int_equal(s->ops->read(s, h, done, buf + done, (size_t)(size - done) < 5000 ? (size_t)(size - done) : 5000,
                                      &got), FSI_OK);
        assert_true(got > 0);
        done += got;
    }
    s->ops->close(s, h);
    return buf;
}

/* Every item of want is in got with the same name, kind, size and bytes (and hidden flag). */
static void same_tree(const fsi_node *want, const fsi_node *got, int check_hidden)
{
    assert_int_equal(fsi_dir_child_count(want), fsi_dir_child_count(got));
    for (size_t i = 0; i < fsi_dir_child_count(want); i++) {
        const fsi_node *w = fsi_dir_child(want, i);
        if (!w)
            continue;
        size_t nl;
        const uint16_t *nm = fsi_node_name(w, &nl);
        const fsi_node *g = fsi_dir_lookup(got, nm, nl);
        assert_non_null(g);
        assert_int_equal(fsi_node_is_dir(w), fsi_node_is_dir(g));
        if (check_hidden)
            assert_int_equal(fsi_node_hidden(w), fsi_node_hidden(g));
        if (fsi_node_is_dir(w)) {
            same_tree(w, g, check_hidden);
            continue;
        }
        assert_int_equal(fsi_node_size(w), fsi_node_size(g));
        uint8_t *a = slurp(w), *b = slurp(g);
        assert_memory_equal(a, b, fsi_node_size(w));
        free(a);
        free(b);
        fsi_times tw, tg;
        fsi_node_get_times(w, &tw);
        fsi_node_get_times(g, &tg);
        assert_true(tw.modification / 10000000 == tg.modification / 10000000);
    }
}

static const fsi_node *find(fsi_image *img, const char *path)
{
    size_t l;
    const uint16_t *p = U(path, &l);
    fsi_node *n = NULL;
    if (fsi_dir_walk(fsi_image_root(img), p, l, &n))
        return NULL;
    return n;
}

static void import_ok(fsi_medium *m, uint64_t ss, unsigned fs, fsi_image **out, fsi_import_info *info)
{
    fsi_err err;
    fsi_status st = fsi_import(m, ss, fs, out, info, NULL, NULL, &err);
    assert_int_equal(st, FSI_OK);
}

static void joliet_round_trip(void **state)
{
    (void)state;
    fsi_image *img = sample();
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET);
    uint16_t vn[] = { 'M', 'y', 'D', 'i', 's', 'c' };
    o.volume_name = vn;
    o.volume_name_len = 6;
    uint64_t n;
    uint8_t *buf = build(img, &o, &n);
    fsi_medium *m = medium_of(buf, n);
    fsi_image *got;
    fsi_import_info info;
    import_ok(m, 0, FSI_FS_JOLIET, &got, &info);
    same_tree(fsi_image_root(img), fsi_image_root(got), 1);
    assert_true(u16_eq(info.volume_name, info.volume_name_len, "MyDisc"));
    assert_int_equal(info.volume_blocks, n);
    assert_int_equal(info.files, 5);
    assert_int_equal(info.dirs, 2);
    fsi_image_free(got);

    /* ISO 9660: level-2 names (upper case), same structure and bytes */
    import_ok(m, 0, FSI_FS_ISO9660, &got, &info);
    assert_true(u16_eq(info.volume_name, info.volume_name_len, "MYDISC"));
    const fsi_node *f = find(got, "ALPHA\\BIG.BIN");
    assert_non_null(f);
    assert_int_equal(fsi_node_size(f), sizeof big);
    uint8_t *d = slurp(f);
    assert_memory_equal(d, big, sizeof big);
    free(d);
    assert_non_null(find(got, "README.TXT"));
    fsi_image_free(got);

    /* no UDF here */
    fsi_err err;
    assert_int_equal(fsi_import(m, 0, FSI_FS_UDF, &got, NULL, NULL, NULL, &err), FSI_E_FS_NOT_FOUND);
    assert_null(got);
    fsi_medium_unref(m);
    free(buf);
    fsi_image_free(img);
}

/* Import, change the tree (add, replace, remove), write a new session after the old one. */
static fsi_image *changed(fsi_medium *m, unsigned fs)
{
    fsi_image *got;
    fsi_import_info info;
    import_ok(m, 0, fs, &got, &info);
    fsi_node *root = fsi_image_root(got);
    mkfile_in(got, root, "new.txt", "new data", 8);
    fsi_node *rm = (fsi_node *)find(got, "readme.txt");
    assert_non_null(rm);
    fsi_node_detach(got, rm);
    fsi_node *a = (fsi_node *)find(got, "alpha");
    fsi_node *nf;
    size_t l;
    const uint16_t *u = U("big.bin", &l);
    fsi_source *src = fsi_source_new_memory("replaced", 8);
    assert_int_equal(fsi_node_new_file(u, l, 8, src, &nf), FSI_OK);
    fsi_source_unref(src);
    assert_int_equal(fsi_dir_attach(got, a, nf, 1), FSI_OK);
    fsi_node_unref(nf);
    return got;
}

static void check_changed(fsi_image *got)
{
    assert_null(find(got, "readme.txt"));
    const fsi_node *n = find(got, "new.txt");
    assert_non_null(n);
    uint8_t *d = slurp(n);
    assert_memory_equal(d, "new data", 8);
    free(d);
    n = find(got, "alpha\\big.bin");
    assert_int_equal(fsi_node_size(n), 8);
    n = find(got, "alpha\\beta gamma\\A rather long file name.text");
    assert_non_null(n);
    d = slurp(n);
    assert_memory_equal(d, "long", 4);
    free(d);
    assert_true(fsi_node_hidden(n));
}

static void sequential_session(void **state)
{
    (void)state;
    static const unsigned fss[] = { FSI_FS_ISO9660 | FSI_FS_JOLIET, FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF };
    static const int revs[] = { 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 };
    for (size_t k = 0; k < 7; k++) {
        unsigned fs = fss[k ? 1 : 0];
        fsi_image *img = sample();
        /* a file the old session holds that the new one keeps, several blocks long */
        fsi_plan_opts o = opts(fs);
        o.udf_revision = k ? revs[k - 1] : 0x102;
        uint64_t n;
        uint8_t *old = build(img, &o, &n);
        fsi_medium *m = medium_of(old, n);
        fsi_image *next = changed(m, FSI_FS_JOLIET);
        /* the long hidden file is imported: its source reads the old medium */
        const fsi_node *kept = find(next, "alpha\\beta gamma\\A rather long file name.text");
        size_t ne;
        const fsi_disc_extent *e = fsi_source_disc_extents(fsi_node_source(kept), &ne);
        assert_non_null(e);
        assert_int_equal(ne, 1);
        uint64_t kept_lba = e[0].lba;

        fsi_plan_opts o2 = o;
        o2.session_start = (uint32_t)n;
        o2.reuse_end = (uint32_t)n;
        uint64_t n2;
        uint8_t *sess = build(next, &o2, &n2);
        /* the disc: the old session, then the new one */
        uint8_t *disc = malloc((n + n2) * FSI_BLOCK_SIZE);
        memcpy(disc, old, n * FSI_BLOCK_SIZE);
        memcpy(disc + n * FSI_BLOCK_SIZE, sess, n2 * FSI_BLOCK_SIZE);
        fsi_medium *m2 = medium_of(disc, n + n2);
        fsi_image *again;
        fsi_import_info info;
        import_ok(m2, n, FSI_FS_JOLIET, &again, &info);
        check_changed(again);
        assert_int_equal(info.volume_blocks, n + n2);
        /* referenced, not copied: the same extent in the old session */
        kept = find(again, "alpha\\beta gamma\\A rather long file name.text");
        e = fsi_source_disc_extents(fsi_node_source(kept), &ne);
        assert_int_equal(ne, 1);
        assert_int_equal(e[0].lba, kept_lba);
        /* the new session holds the new data only: far smaller than the old one */
        assert_true(n2 < n);
        fsi_image_free(again);
        import_ok(m2, n, FSI_FS_ISO9660, &again, &info);
        assert_non_null(find(again, "NEW.TXT"));
        assert_null(find(again, "README.TXT"));
        fsi_image_free(again);
        fsi_medium_unref(m2);
        free(disc);
        free(sess);
        fsi_image_free(next);
        fsi_medium_unref(m);
        free(old);
        fsi_image_free(img);
    }
}

static void random_write(void **state)
{
    (void)state;
    for (int udf = 0; udf < 2; udf++) {
        fsi_image *img = sample();
        fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET | (udf ? FSI_FS_UDF : 0));
        o.udf_revision = 0x250;
        uint64_t n;
        uint8_t *old = build(img, &o, &n);
        fsi_medium *m = medium_of(old, n);
        fsi_image *next = changed(m, FSI_FS_JOLIET);
        fsi_plan_opts o2 = o;
        o2.session_start = (uint32_t)((n + 31) / 32 * 32);
        o2.reuse_end = (uint32_t)n;
        o2.base = m;
        o2.base_vrs_end = (uint32_t)fsi_recognition_end(mem_read, &(mem){ old, n }, n, 0);
        fsi_plan *plan;
        fsi_err err;
        assert_int_equal(fsi_plan_build(next, &o2, &plan, &err), FSI_OK);
        uint64_t total;
        uint8_t *res = render(plan, &total);
        assert_true(total > n);
        /* outside the modified ranges the result is the old medium (or zeros past its end) */
        uint8_t *mask = calloc(total, 1);
        size_t nr = fsi_plan_modified_count(plan);
        assert_int_equal(nr, udf ? 3 : 2);
        uint32_t prev_end = 0;
        for (size_t i = 0; i < nr; i++) {
            uint32_t f, c;
            fsi_plan_modified(plan, i, &f, &c);
            assert_true(f >= prev_end);         /* in recording order, not overlapping */
            prev_end = f + c;
            memset(mask + f, 1, c);
        }
        assert_int_equal(prev_end, total);
        for (uint64_t b = 0; b < total; b++) {
            if (mask[b])
                continue;
            const uint8_t *r = res + b * FSI_BLOCK_SIZE;
            if (b < n)
                assert_memory_equal(r, old + b * FSI_BLOCK_SIZE, FSI_BLOCK_SIZE);
            else
                for (size_t q = 0; q < FSI_BLOCK_SIZE; q++)
                    assert_int_equal(r[q], 0);
        }
        /* readers that start at block 16 find the new tree */
        fsi_medium *m2 = medium_of(res, total);
        fsi_image *again;
        fsi_import_info info;
        import_ok(m2, 0, FSI_FS_JOLIET, &again, &info);
        check_changed(again);
        fsi_image_free(again);
        assert_int_equal(fsi_identify((fsi_read_blocks_fn)mem_read, &(mem){ res, total }, total),
                         o.fs);
        fsi_medium_unref(m2);
        free(mask);
        free(res);
        fsi_plan_unref(plan);
        fsi_image_free(next);
        fsi_medium_unref(m);
        free(old);
        fsi_image_free(img);
    }
}

/* fsi_last_session follows sessions from block 0 (ISO 9660 volume space, UDF partition end) across
 * writer padding; fsi_overwrite_session_start's placement; fsi_image_merge moves a whole tree. */
static void last_session(void **state)
{
    (void)state;
    static const unsigned fss[] = { FSI_FS_ISO9660 | FSI_FS_JOLIET, FSI_FS_UDF, FSI_FS_ISO9660 | FSI_FS_UDF };
    for (size_t k = 0; k < 3; k++) {
        fsi_image *img = sample();
        fsi_plan_opts o = opts(fss[k]);
        uint64_t starts[3], total = 0;
        uint8_t *disc = NULL;
        for (int sn = 0; sn < 3; sn++) {
            /* the second session after 150 blocks of padding, the third right after the second */
            uint64_t at = total + (sn == 1 ? 150 : 0), n;
            o.session_start = (uint32_t)at;
            uint8_t *sess = build(img, &o, &n);
            disc = realloc(disc, (at + n) * FSI_BLOCK_SIZE);
            memset(disc + total * FSI_BLOCK_SIZE, 0, (at - total) * FSI_BLOCK_SIZE);
            memcpy(disc + at * FSI_BLOCK_SIZE, sess, n * FSI_BLOCK_SIZE);
            free(sess);
            starts[sn] = at;
            total = at + n;
            mem md = { disc, total };
            assert_int_equal(fsi_last_session(mem_read, &md, total), starts[sn]);
            assert_int_equal(fsi_identify_session(mem_read, &md, total, starts[sn]), fss[k]);
        }
        /* a medium that ends in the padding holds one session; garbage after the last is ignored */
        mem md = { disc, starts[1] - 10 };
        assert_int_equal(fsi_last_session(mem_read, &md, starts[1] - 10), 0);
        disc = realloc(disc, (total + 40) * FSI_BLOCK_SIZE);
        memset(disc + total * FSI_BLOCK_SIZE, 0xA5, 40 * FSI_BLOCK_SIZE);
        md = (mem){ disc, total + 40 };
        assert_int_equal(fsi_last_session(mem_read, &md, total + 40), starts[2]);
        free(disc);
        fsi_image_free(img);
    }
    mem empty = { NULL, 0 };
    assert_int_equal(fsi_last_session(mem_read, &empty, 0), 0);

    assert_int_equal(fsi_overwrite_session_start(100, 0, 0, 18), 288);       /* after the anchor */
    assert_int_equal(fsi_overwrite_session_start(300, 301, 16, 18), 320);
    assert_int_equal(fsi_overwrite_session_start(300, 0, 64, 18), 320);
    assert_int_equal(fsi_overwrite_session_start(1000, 0, 32, 2000), 2000);

    /* fsi_image_merge: the imported tree goes into a tree that has items; src's items win */
    fsi_image *dst = fsi_image_new(), *src = sample();
    fsi_node *a = mkdir_in(dst, fsi_image_root(dst), "alpha");
    mkfile_in(dst, a, "big.bin", "x", 1);
    mkfile_in(dst, a, "mine", "m", 1);
    mkfile_in(dst, fsi_image_root(dst), "readme.txt", "old", 3);
    uint64_t files = fsi_image_file_count(src);
    assert_int_equal(fsi_image_merge(dst, fsi_image_root(dst), src), FSI_OK);
    assert_int_equal(fsi_image_file_count(src), 0);
    assert_int_equal(fsi_dir_child_count(fsi_image_root(src)), 0);
    assert_int_equal(fsi_image_file_count(dst), files + 1);
    assert_int_equal(fsi_node_size(find(dst, "alpha\\big.bin")), sizeof big);
    assert_int_equal(fsi_node_size(find(dst, "readme.txt")), 5);
    assert_non_null(find(dst, "alpha\\mine"));
    assert_non_null(find(dst, "alpha\\beta gamma\\empty"));
    /* src stays usable */
    mkfile_in(src, fsi_image_root(src), "later", "l", 1);
    assert_int_equal(fsi_image_file_count(src), 1);
    fsi_image_free(src);
    fsi_image_free(dst);
}

/* Damaged images give FSI_E_CORRUPT / FSI_E_MEDIUM_READ, never a crash (run under ASan too). */
static fsi_status try_import(uint8_t *data, uint64_t blocks, unsigned fs)
{
    fsi_medium *m = medium_of(data, blocks);
    fsi_image *got = NULL;
    fsi_err err;
    fsi_status st = fsi_import(m, 0, fs, &got, NULL, NULL, NULL, &err);
    if (st)
        assert_null(got);
    fsi_image_free(got);
    fsi_medium_unref(m);
    return st;
}

static uint64_t failing_block;

static int failing_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    if (failing_block >= lba && failing_block < lba + count)
        return -1;
    return mem_read(ctx, lba, count, buf);
}

static void put_both32(uint8_t *p, uint32_t v) { fsi_put_both32(p, v); }

static void hostile(void **state)
{
    (void)state;
    fsi_image *img = sample();
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET);
    uint64_t n;
    uint8_t *good = build(img, &o, &n);
    uint8_t *bad = malloc(n * FSI_BLOCK_SIZE);
    iso_img im = { good, n * FSI_BLOCK_SIZE, 0 };
    for (int joliet = 0; joliet < 2; joliet++) {
        unsigned fs = joliet ? FSI_FS_JOLIET : FSI_FS_ISO9660;
        uint32_t rl, rs;
        iso_root(&im, joliet, &rl, &rs);
        iso_rec alpha;
        assert_true(iso_find(&im, joliet, joliet ? "alpha" : "ALPHA", &alpha));
        /* the directory record of "alpha" inside the root's extent */
        uint8_t *rootd = good + (uint64_t)rl * FSI_BLOCK_SIZE;
        size_t off = 0;
        while (rd_le32(rootd + off + 2) != alpha.lba)
            off += rootd[off];

        /* a loop: alpha points back at the root */
        memcpy(bad, good, n * FSI_BLOCK_SIZE);
        put_both32(bad + (uint64_t)rl * FSI_BLOCK_SIZE + off + 2, rl);
        assert_int_equal(try_import(bad, n, fs), FSI_E_CORRUPT);
        /* an extent past the end */
        memcpy(bad, good, n * FSI_BLOCK_SIZE);
        put_both32(bad + (uint64_t)rl * FSI_BLOCK_SIZE + off + 2, (uint32_t)n + 5);
        assert_int_equal(try_import(bad, n, fs), FSI_E_CORRUPT);
        /* a length over 4 GiB of blocks */
        memcpy(bad, good, n * FSI_BLOCK_SIZE);
        put_both32(bad + (uint64_t)rl * FSI_BLOCK_SIZE + off + 10, 0xFFFFFFFFu);
        assert_int_equal(try_import(bad, n, fs), FSI_E_CORRUPT);
        /* a record shorter than its fixed part */
        memcpy(bad, good, n * FSI_BLOCK_SIZE);
        bad[(uint64_t)rl * FSI_BLOCK_SIZE + off] = 20;
        assert_int_equal(try_import(bad, n, fs), FSI_E_CORRUPT);
        /* a path table that disagrees: its last directory elsewhere */
        memcpy(bad, good, n * FSI_BLOCK_SIZE);
        const uint8_t *vd = good + 16 * FSI_BLOCK_SIZE;
        while (vd[0] != (joliet ? 2 : 1))
            vd += FSI_BLOCK_SIZE;
        uint32_t ptl = rd_le32(vd + 140);
        uint8_t *pt = bad + (uint64_t)ptl * FSI_BLOCK_SIZE;
        pt += 8 + pt[0] + (pt[0] & 1);          /* the second record: a subdirectory */
        fsi_put_le32(pt + 2, (uint32_t)n - 1);      /* a block that holds no directory */
        assert_int_equal(try_import(bad, n, fs), FSI_E_CORRUPT);
        /* truncated: the directories are gone (the volume is larger than the medium) */
        assert_int_equal(try_import(good, rl, fs), FSI_E_CORRUPT);
        /* a block that cannot be read: the error says which */
        mem fm = { good, n };
        failing_block = rl;
        fsi_medium *m = fsi_medium_new(failing_read, &fm, NULL, n);
        fsi_image *got = NULL;
        fsi_err err;
        assert_int_equal(fsi_import(m, 0, fs, &got, NULL, NULL, NULL, &err), FSI_E_MEDIUM_READ);
        assert_int_equal(err.expected, rl);
        assert_null(got);
        fsi_medium_unref(m);
    }
    /* every byte of the metadata flipped in turn: any answer but a crash (ASan watches) */
    uint64_t meta_end = 0;
    {
        const fsi_plan_opts *oo = &o;
        (void)oo;
        iso_rec f;
        assert_true(iso_find(&im, 0, "README.TXT;1", &f));
        meta_end = f.lba;
    }
    for (uint64_t i = 16 * FSI_BLOCK_SIZE; i < meta_end * FSI_BLOCK_SIZE; i += 7) {
        memcpy(bad, good, n * FSI_BLOCK_SIZE);
        bad[i] ^= (uint8_t)(0x5A + i);
        fsi_status st = try_import(bad, n, (i & 8) ? FSI_FS_JOLIET : FSI_FS_ISO9660);
        assert_true(st == FSI_OK || st == FSI_E_CORRUPT || st == FSI_E_MEDIUM_READ || st == FSI_E_FS_NOT_FOUND ||
                    st == FSI_E_FS_FEATURE);
    }
    free(bad);
    free(good);
    fsi_image_free(img);
}

/* Images from other mastering tools, when they are installed: every file with its bytes. */
static void foreign(void **state)
{
    (void)state;
    char dir[] = "/tmp/fsi_import_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p src/sub/deeper && printf hello > src/a.txt && : > src/sub/empty && "
             "head -c 100000 /dev/urandom > src/sub/deeper/rand.bin && printf x > 'src/sub/Long name here.txt'",
             dir);
    assert_int_equal(system(cmd), 0);
    const char *tools[] = {
        "genisoimage -quiet -J -o %s/out.iso %s/src",
        "xorriso -as mkisofs -quiet -J -o %s/out.iso %s/src",
    };
    int ran = 0;
    for (size_t t = 0; t < 2; t++) {
        char tool[32];
        sscanf(tools[t], "%31s", tool);
        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
        if (system(cmd))
            continue;
        char fmt[512];
        snprintf(fmt, sizeof fmt, "%s >/dev/null 2>&1", tools[t]);
        snprintf(cmd, sizeof cmd, fmt, dir, dir);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "%s/out.iso", dir);
        FILE *f = fopen(cmd, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *data = malloc((size_t)size);
        assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        fsi_image *got;
        fsi_medium *m = medium_of(data, (uint64_t)size / FSI_BLOCK_SIZE);
        import_ok(m, 0, FSI_FS_JOLIET, &got, NULL);
        const fsi_node *n = find(got, "sub\\deeper\\rand.bin");
        assert_non_null(n);
        snprintf(cmd, sizeof cmd, "%s/src/sub/deeper/rand.bin", dir);
        FILE *r = fopen(cmd, "rb");
        uint8_t want[100000];
        assert_int_equal(fread(want, 1, sizeof want, r), sizeof want);
        fclose(r);
        uint8_t *d = slurp(n);
        assert_memory_equal(d, want, sizeof want);
        free(d);
        assert_non_null(find(got, "sub\\Long name here.txt"));
        assert_int_equal(fsi_node_size(find(got, "sub\\empty")), 0);
        fsi_image_free(got);
        import_ok(m, 0, FSI_FS_ISO9660, &got, NULL);
        assert_non_null(find(got, "A.TXT"));
        fsi_image_free(got);
        fsi_medium_unref(m);
        free(data);
        ran++;
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    if (!ran)
        skip();
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(joliet_round_trip),
        cmocka_unit_test(sequential_session),
        cmocka_unit_test(random_write),
        cmocka_unit_test(last_session),
        cmocka_unit_test(hostile),
        cmocka_unit_test(foreign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
