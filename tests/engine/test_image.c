/* Whole images: layout, read back through a small ISO 9660 reader, cursor behaviour.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_util.h"

/* ---- test sources ------------------------------------------------------------------------------ */

static int g_open_now, g_max_open;

typedef struct cnt_source {
    fsi_source base;
    const uint8_t *data;        /* NULL: pattern */
    uint64_t size;              /* bytes the source really has */
    int opens, closes, reads, fail_open;
} cnt_source;

static uint8_t pat(uint64_t off) { return (uint8_t)((off ^ (off >> 11) ^ (off >> 23)) * 31 + 7); }

static fsi_status c_open(fsi_source *s, void **h)
{
    cnt_source *c = (cnt_source *)s;
    if (c->fail_open)
        return FSI_E_READ;
    c->opens++;
    if (++g_open_now > g_max_open)
        g_max_open = g_open_now;
    *h = c;
    return FSI_OK;
}

static fsi_status c_read(fsi_source *s, void *h, uint64_t off, void *buf, size_t len, size_t *got)
{
    cnt_source *c = (cnt_source *)s;
    assert_ptr_equal(h, c);
    c->reads++;
    size_t n = off >= c->size ? 0 : (c->size - off < len ? (size_t)(c->size - off) : len);
    if (c->data)
        memcpy(buf, c->data + off, n);
    else
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)buf)[i] = pat(off + i);
    *got = n;
    return FSI_OK;
}

static void c_close(fsi_source *s, void *h)
{
    (void)h;
    ((cnt_source *)s)->closes++;
    g_open_now--;
}

static void c_destroy(fsi_source *s) { (void)s; /* static in the tests */ }

static const fsi_source_ops cnt_ops = { c_open, c_read, c_close, c_destroy };

static void cnt_init(cnt_source *c, const void *data, uint64_t size)
{
    memset(c, 0, sizeof *c);
    c->base.ops = &cnt_ops;
    c->base.refs = 1;
    c->data = data;
    c->size = size;
}

/* file whose recorded size may differ from the source's */
static fsi_node *add_src_file(fsi_image *img, fsi_node *dir, const char *name, uint64_t size, fsi_source *src)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_file(u, l, size, src, &n), FSI_OK);
    assert_int_equal(fsi_dir_attach(img, dir, n, 0), FSI_OK);
    fsi_node_unref(n);
    return n;
}

static fsi_plan_opts opts(unsigned fs, int level)
{
    static uint16_t vol[32];
    size_t l;
    const uint16_t *u = U("Test Vol", &l);
    memcpy(vol, u, l * 2);
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = level;
    o.volume_name = vol;
    o.volume_name_len = l;
    o.creation_time = fsi_time_from_unix(1709214330, 0);
    return o;
}

static fsi_plan *build(fsi_image *img, const fsi_plan_opts *o)
{
    fsi_plan *p = NULL;
    fsi_err err;
    fsi_status st = fsi_plan_build(img, o, &p, &err);
    assert_int_equal(st, FSI_OK);
    assert_int_equal(err.code, FSI_OK);
    return p;
}

static uint8_t g_data[3][8192];

static void fill_data(void)
{
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 8192; i++)
            g_data[k][i] = (uint8_t)(i * (k + 3) + k);
}

static void set_mtime(fsi_node *n, int64_t unix_sec)
{
    fsi_times t = { 0, 0, fsi_time_from_unix(unix_sec, 0) };
    fsi_node_set_times(n, &t);
}

/* ---- layout of a small image ------------------------------------------------------------------- */

static void small_image(void **state)
{
    (void)state;
    fill_data();
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    set_mtime(r, 1600000000);
    fsi_node *readme = mkfile_in(img, r, "readme", g_data[0], 100);
    set_mtime(readme, 1709214330);
    mkfile_in(img, r, "zeta.txt", g_data[1], 5000);
    mkfile_in(img, r, "empty.dat", NULL, 0);
    fsi_node *d1 = mkdir_in(img, r, "dir1");
    mkfile_in(img, d1, "b.bin", g_data[2], 2048);
    fsi_node *sub = mkdir_in(img, d1, "sub");
    mkfile_in(img, sub, "c", g_data[1] + 7, 3000);
    fsi_node *hid = mkfile_in(img, d1, "hidden.txt", g_data[0] + 1, 10);
    fsi_node_set_hidden(hid, 1);
    mkdir_in(img, r, "Dir2");
    mkfile_in(img, r, "MixedCase.Name.txt", "!", 1);

    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    fsi_plan *p = build(img, &o);
    fsi_image_free(img);            /* the plan is independent of the tree */
    iso_img im = { 0 };
    iso_load(p, &im);
    uint32_t total = fsi_plan_total_blocks(p);

    for (size_t i = 0; i < 16 * FSI_BLOCK_SIZE; i++)
        assert_int_equal(im.b[i], 0);
    const uint8_t *pvd = im.b + 16 * FSI_BLOCK_SIZE;
    assert_int_equal(pvd[0], 1);
    assert_memory_equal(pvd + 1, "CD001", 5);
    assert_memory_equal(pvd + 40, "TEST_VOL                        ", 32);
    assert_int_equal(rd_both32(pvd + 80), total);
    assert_int_equal(rd_both16(pvd + 128), 2048);
    assert_memory_equal(pvd + 813, "2024022913453000", 16);
    const uint8_t *svd = pvd + FSI_BLOCK_SIZE;
    assert_int_equal(svd[0], 2);
    assert_memory_equal(svd + 88, "%/E", 3);
    assert_int_equal(rd_be16(svd + 40), 'T');
    assert_int_equal(rd_be16(svd + 42), 'e');
    assert_int_equal(rd_be16(svd + 40 + 30), ' ');
    assert_int_equal(rd_both32(svd + 80), total);
    assert_int_equal(im.b[18 * FSI_BLOCK_SIZE], 255);

    /* root: ".", ".." point at the root itself; children in 9.3 order */
    iso_rec recs[64];
    uint32_t rl, rs;
    iso_root(&im, 0, &rl, &rs);
    size_t n = iso_list(&im, rl, rs, recs, 64);
    assert_int_equal(n, 8);
    assert_int_equal(recs[0].idlen, 1);
    assert_int_equal(recs[0].id[0], 0);
    assert_int_equal(recs[1].id[0], 1);
    assert_int_equal(recs[0].lba, rl);
    assert_int_equal(recs[1].lba, rl);
    assert_int_equal(recs[0].size, rs);
    assert_int_equal(recs[0].flags, 0x02);
    const uint8_t root_date[] = { 120, 9, 13, 12, 26, 40, 0 };     /* 2020-09-13 12:26:40 */
    assert_memory_equal(recs[0].date, root_date, 7);
    const char *want[] = { "DIR1", "DIR2", "EMPTY.DAT;1", "MIXEDCASE_NAME.TXT;1", "README.;1", "ZETA.TXT;1" };
    for (int i = 0; i < 6; i++) {
        char nm[256];
        iso_rec_name(&recs[2 + i], 0, nm);
        assert_string_equal(nm, want[i]);
    }
    const uint8_t readme_date[] = { 124, 2, 29, 13, 45, 30, 0 };
    assert_memory_equal(recs[6].date, readme_date, 7);

    /* the same files in Joliet, sharing the extents */
    iso_rec a, b;
    assert_true(iso_find(&im, 0, "README.;1", &a));
    assert_true(iso_find(&im, 1, "readme;1", &b));
    assert_int_equal(a.lba, b.lba);
    assert_int_equal(a.size, 100);
    assert_int_equal(b.size, 100);
    assert_memory_equal(iso_block(&im, a.lba), g_data[0], 100);
    for (int i = 100; i < 2048; i++)
        assert_int_equal(iso_block(&im, a.lba)[i], 0);      /* file tail zero */

    assert_true(iso_find(&im, 0, "DIR1/SUB/C.;1", &a));
    assert_true(iso_find(&im, 1, "dir1/sub/c;1", &b));
    assert_int_equal(a.lba, b.lba);
    assert_int_equal(a.size, 3000);
    assert_memory_equal(iso_block(&im, a.lba), g_data[1] + 7, 3000);

    assert_true(iso_find(&im, 0, "EMPTY.DAT;1", &a));
    assert_int_equal(a.lba, 0);
    assert_int_equal(a.size, 0);
    assert_true(iso_find(&im, 1, "empty.dat;1", &a));
    assert_int_equal(a.lba, 0);

    assert_true(iso_find(&im, 0, "DIR1/HIDDEN.TXT;1", &a));
    assert_int_equal(a.flags, 0x01);
    assert_true(iso_find(&im, 1, "dir1/hidden.txt;1", &a));
    assert_int_equal(a.flags, 0x01);
    assert_true(iso_find(&im, 1, "MixedCase.Name.txt;1", &a));
    assert_int_equal(a.size, 1);

    /* DIR1's "." and ".." */
    assert_true(iso_find(&im, 0, "DIR1", &a));
    assert_int_equal(a.flags, 0x02);
    n = iso_list(&im, a.lba, a.size, recs, 64);
    assert_int_equal(n, 5);
    assert_int_equal(recs[0].lba, a.lba);
    assert_int_equal(recs[0].size, a.size);
    assert_int_equal(recs[1].lba, rl);
    assert_int_equal(recs[1].size, rs);
    assert_true(iso_find(&im, 1, "Dir2", &a));
    assert_true(iso_find(&im, 1, "dir1", &b));
    assert_int_not_equal(a.lba, b.lba);

    /* file data: depth-first order of the ISO tree, contiguous, image ends after the last */
    const char *order[] = { "DIR1/B.BIN;1", "DIR1/HIDDEN.TXT;1", "DIR1/SUB/C.;1", "MIXEDCASE_NAME.TXT;1", "README.;1",
                            "ZETA.TXT;1" };
    uint32_t next = 0;
    for (int i = 0; i < 6; i++) {
        assert_true(iso_find(&im, 0, order[i], &a));
        if (i)
            assert_int_equal(a.lba, next);
        next = a.lba + (a.size + 2047) / 2048;
    }
    assert_int_equal(next, total);

    /* extents: sorted, non-overlapping, covering the image; files with their paths */
    size_t ne = fsi_plan_extent_count(p);
    assert_int_equal(ne, 7);
    uint32_t pos = 0;
    for (size_t i = 0; i < ne; i++) {
        const fsi_extent_info *e = fsi_plan_extent(p, i);
        assert_int_equal(e->first_block, pos);
        pos += e->block_count;
        assert_int_equal(e->is_file, i > 0);
    }
    assert_int_equal(pos, total);
    assert_null(fsi_plan_extent(p, ne));
    const fsi_extent_info *e = fsi_plan_extent(p, 3);
    assert_true(u16_eq(e->path, e->path_len, "\\dir1\\sub\\c"));
    assert_int_equal(e->size, 3000);
    assert_int_equal(e->block_count, 2);
    assert_true(iso_find(&im, 0, "DIR1/SUB/C.;1", &a));
    assert_int_equal(e->first_block, a.lba);
    e = fsi_plan_extent(p, 0);
    assert_true(u16_eq(e->path, e->path_len, "File system metadata"));

    free(im.b);
    fsi_plan_unref(p);
}

/* ---- path tables -------------------------------------------------------------------------------- */

typedef struct ptrec { uint32_t lba; uint16_t parent; uint8_t id[256]; size_t idlen; } ptrec;

static size_t parse_pt(const iso_img *im, int joliet, ptrec *out)
{
    const uint8_t *vd = im->b + (16 + joliet) * FSI_BLOCK_SIZE;
    uint32_t size = rd_both32(vd + 132);
    const uint8_t *l = iso_block(im, rd_le32(vd + 140));
    const uint8_t *m = iso_block(im, rd_be32(vd + 148));
    assert_int_equal(rd_le32(vd + 144), 0);
    assert_int_equal(rd_be32(vd + 152), 0);
    size_t n = 0;
    uint32_t pos = 0;
    while (pos < size) {
        size_t len = l[pos];
        assert_int_equal(m[pos], len);
        ptrec *r = &out[n++];
        r->lba = rd_le32(l + pos + 2);
        assert_int_equal(rd_be32(m + pos + 2), r->lba);
        r->parent = rd_le16(l + pos + 6);
        assert_int_equal(rd_be16(m + pos + 6), r->parent);
        r->idlen = len;
        memcpy(r->id, l + pos + 8, len);
        assert_memory_equal(m + pos + 8, r->id, len);
        pos += 8 + (uint32_t)len + (len & 1);
    }
    assert_int_equal(pos, size);
    return n;
}

static int pt_idcmp(const ptrec *a, const ptrec *b, int joliet)
{
    /* identifiers padded with spaces (for Joliet: UCS-2 spaces) */
    size_t n = a->idlen > b->idlen ? a->idlen : b->idlen;
    for (size_t i = 0; i < n; i++) {
        uint8_t pad = (joliet && !(i & 1)) ? 0 : 0x20;
        uint8_t x = i < a->idlen ? a->id[i] : pad, y = i < b->idlen ? b->id[i] : pad;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static void path_tables(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *b = mkdir_in(img, r, "b");
    fsi_node *a = mkdir_in(img, r, "a");
    fsi_node *c = mkdir_in(img, r, "c");
    mkdir_in(img, r, "B");
    mkdir_in(img, r, "AB");
    fsi_node *z = mkdir_in(img, a, "z");
    fsi_node *y = mkdir_in(img, a, "y");
    mkdir_in(img, b, "w");
    mkdir_in(img, c, "x");
    fsi_node *deep = mkdir_in(img, y, "deep");
    mkdir_in(img, z, "zz");
    mkfile_in(img, deep, "f", "f", 1);
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    fsi_plan *p = build(img, &o);
    iso_img im = { 0 };
    iso_load(p, &im);

    ptrec t[64];
    size_t n = parse_pt(&im, 0, t);
    assert_int_equal(n, 12);
    /* expected ISO order: level 1 root; level 2 A, AB, B, B~1 ("b" collides with "B"), C; level 3 by
     * parent number then identifier: Y, Z (parent A=2), W (parent B~1=5), X (parent C=6); level 4 DEEP
     * (parent Y=7), ZZ (parent Z=8) */
    const char *ids[] = { "\0", "A", "AB", "B", "B~1", "C", "Y", "Z", "W", "X", "DEEP", "ZZ" };
    const uint16_t parents[] = { 1, 1, 1, 1, 1, 1, 2, 2, 5, 6, 7, 8 };
    for (size_t i = 0; i < n; i++) {
        size_t il = i ? strlen(ids[i]) : 1;
        assert_int_equal(t[i].idlen, il);
        assert_memory_equal(t[i].id, ids[i], il);
        assert_int_equal(t[i].parent, parents[i]);
    }
    /* each entry's extent is its directory's */
    iso_rec rec;
    assert_true(iso_find(&im, 0, "A/Y/DEEP", &rec));
    assert_int_equal(t[10].lba, rec.lba);
    assert_true(iso_find(&im, 0, "B~1/W", &rec));
    assert_int_equal(t[8].lba, rec.lba);
    uint32_t rl, rs;
    iso_root(&im, 0, &rl, &rs);
    assert_int_equal(t[0].lba, rl);

    /* Joliet: 6.9.1 ordering checked generically; "B" < "a" in UCS-2 order */
    ptrec j[64];
    size_t nj = parse_pt(&im, 1, j);
    assert_int_equal(nj, 12);
    uint8_t lvl[64];
    lvl[0] = 1;
    for (size_t i = 1; i < nj; i++) {
        assert_true(j[i].parent >= 1 && j[i].parent <= i);
        lvl[i] = (uint8_t)(lvl[j[i].parent - 1] + 1);
        assert_true(lvl[i] >= lvl[i - 1]);
        if (lvl[i] == lvl[i - 1] && i > 1) {
            assert_true(j[i].parent >= j[i - 1].parent);
            if (j[i].parent == j[i - 1].parent)
                assert_true(pt_idcmp(&j[i - 1], &j[i], 1) < 0);
        }
    }
    /* UCS-2 order: "AB" < "B" < "a" < "b" < "c" */
    assert_int_equal(j[1].idlen, 4);
    assert_int_equal(rd_be16(j[1].id), 'A');
    assert_int_equal(rd_be16(j[2].id), 'B');
    assert_int_equal(j[2].idlen, 2);
    assert_int_equal(rd_be16(j[3].id), 'a');
    assert_int_equal(rd_be16(j[4].id), 'b');
    assert_int_equal(rd_be16(j[5].id), 'c');
    assert_true(iso_find(&im, 1, "a/y/deep", &rec));
    int found = 0;
    for (size_t i = 0; i < nj; i++)
        found += j[i].lba == rec.lba;
    assert_int_equal(found, 1);
    /* the ISO table also satisfies the generic rule */
    for (size_t i = 2; i < n; i++)
        if (t[i].parent == t[i - 1].parent)
            assert_true(pt_idcmp(&t[i - 1], &t[i], 0) < 0);
    free(im.b);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* ---- directory record packing --------------------------------------------------------------------- */

static void dir_packing(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *d = mkdir_in(img, r, "many");
    char nm[64];
    for (int i = 0; i < 150; i++) {
        snprintf(nm, sizeof nm, "file_with_a_long_name_%04d.txt", i);     /* 30 chars: 64-byte records */
        mkfile_in(img, d, nm, NULL, 0);
    }
    for (int i = 0; i < 7; i++) {
        snprintf(nm, sizeof nm, "odd%d.x", i);                              /* 9 chars "ODDn.X;1" */
        mkfile_in(img, d, nm, NULL, 0);
    }
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    fsi_plan *p = build(img, &o);
    iso_img im = { 0 };
    iso_load(p, &im);
    static iso_rec recs[400];
    for (int joliet = 0; joliet < 2; joliet++) {
        iso_rec dr;
        assert_true(iso_find(&im, joliet, "many", &dr) || iso_find(&im, joliet, "MANY", &dr));
        size_t n = iso_list(&im, dr.lba, dr.size, recs, 400);      /* checks straddling and zero tails */
        assert_int_equal(n, 2 + 157);
        assert_int_equal(recs[0].size, dr.size);
        /* expected size from the record lengths */
        uint64_t pos = 68;
        for (size_t i = 2; i < n; i++) {
            size_t len = fsi_dirrec_len(recs[i].idlen);
            pos = fsi_dirrec_place(pos, len) + len;
        }
        assert_int_equal(dr.size, (pos + 2047) / 2048 * 2048);
        assert_true(dr.size >= (joliet ? 6 : 5) * 2048u);
        /* sorted: first is FILE_WITH_A_LONG_NAME_0000.TXT;1, last ODD6.X;1 */
        char first[256], last[256];
        iso_rec_name(&recs[2], joliet, first);
        iso_rec_name(&recs[n - 1], joliet, last);
        assert_string_equal(first, joliet ? "file_with_a_long_name_0000.txt;1" : "FILE_WITH_A_LONG_NAME_0000.TXT;1");
        assert_string_equal(last, joliet ? "odd6.x;1" : "ODD6.X;1");
        /* identifier lengths: odd -> no pad byte, even -> pad byte (checked by iso_list) */
        assert_int_equal(recs[n - 1].idlen, joliet ? 16 : 8);
    }
    free(im.b);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* Joliet records are in Joliet order, which is not ISO 9660's: "a..." comes first in ISO 9660
 * ("A..." < "B...") and last in Joliet ('B' < 'a'). Packed in ISO 9660 order the 24 records take two
 * blocks; in Joliet order (23 records of 166 bytes, then one of 58) three: the directory is measured
 * in the order it is written (it was measured in ISO 9660 order, and the third block's record was
 * written past the buffer). */
static void joliet_dir_order(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    char nm[80];
    mkfile_in(img, r, "aaaaaaaaaa", NULL, 0);                       /* 10 units: 58 bytes in Joliet */
    for (int i = 0; i < 23; i++) {
        snprintf(nm, sizeof nm, "B%02d", i);
        memset(nm + 3, 'x', 61);                                    /* 64 units: 166 bytes */
        nm[64] = 0;
        mkfile_in(img, r, nm, NULL, 0);
    }
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    fsi_plan *p = build(img, &o);
    iso_img im = { 0 };
    iso_load(p, &im);
    static iso_rec recs[64];
    uint32_t lba, size;
    iso_root(&im, 1, &lba, &size);
    assert_int_equal(size, 3 * 2048);
    assert_int_equal(iso_list(&im, lba, size, recs, 64), 2 + 24);   /* every record, none straddling */
    char last[256];
    iso_rec_name(&recs[25], 1, last);
    assert_string_equal(last, "aaaaaaaaaa;1");
    iso_root(&im, 0, &lba, &size);
    assert_int_equal(iso_list(&im, lba, size, recs, 64), 2 + 24);
    free(im.b);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* ---- reading ------------------------------------------------------------------------------------ */

/* Files of 1 MiB or more start on an even absolute block, files of 8 MiB or more on a multiple of
 * 32 blocks (plan.c, ALIGN_MIN and ALIGN_BIG), whatever the session start; the blocks left free
 * before one read as zeros through the cursor, in one read and in odd chunks that end or start
 * inside them (a gap after a file's last block once made the cursor spin). */
static void aligned_large_files(void **state)
{
    (void)state;
    const size_t mib = (size_t)1 << 20, huge_len = 8 * mib + 5;
    uint8_t *big = malloc(huge_len);
    assert_non_null(big);
    for (size_t i = 0; i < huge_len; i++)
        big[i] = (uint8_t)(i * 13 + i / 4099);
    for (uint32_t ss = 0; ss < 2; ss++) {
        fsi_image *img = fsi_image_new();
        fsi_node *r = fsi_image_root(img);
        mkfile_in(img, r, "a", "x", 1);
        mkfile_in(img, r, "b1", big, mib + 1);              /* 513 blocks */
        mkfile_in(img, r, "b2", big, mib);                  /* after an odd run: a free block */
        mkfile_in(img, r, "b3", big, huge_len);             /* 4097 blocks: up to 31 free before */
        mkfile_in(img, r, "b4", big, 8 * mib);              /* and again after an odd run */
        mkfile_in(img, r, "c", "yz", 2);
        fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
        o.session_start = ss ? 101 : 0;
        fsi_plan *p = build(img, &o);
        uint64_t size = (uint64_t)fsi_plan_total_blocks(p) * FSI_BLOCK_SIZE;
        uint8_t *all = malloc(size), *chunk = malloc(size);
        fsi_cursor *c = fsi_cursor_new(p);
        fsi_err err;
        assert_int_equal(fsi_cursor_read(c, 0, all, size, &err), FSI_OK);
        int seen = 0, gaps = 0;
        uint64_t prev_end = 0;
        for (size_t i = 0; i < fsi_plan_extent_count(p); i++) {
            const fsi_extent_info *x = fsi_plan_extent(p, i);
            uint64_t rel = (uint64_t)(x->first_block - o.session_start) * FSI_BLOCK_SIZE;
            if (x->is_file && x->size >= mib) {
                assert_int_equal(x->first_block % (x->size >= 8 * mib ? 32 : 2), 0);
                assert_memory_equal(all + rel, big, (size_t)x->size);
                seen++;
            }
            if (i && x->first_block > prev_end) {       /* a free block: zeros */
                for (uint64_t k = (prev_end - o.session_start) * FSI_BLOCK_SIZE; k < rel; k++)
                    assert_int_equal(all[k], 0);
                gaps++;
            }
            prev_end = (uint64_t)x->first_block + x->block_count;
        }
        assert_int_equal(seen, 4);
        assert_true(gaps >= 3);
        for (uint64_t off = 0; off < size; off += 7777) {
            size_t len = size - off < 7777 ? (size_t)(size - off) : 7777;
            assert_int_equal(fsi_cursor_read(c, off, chunk + off, len, &err), FSI_OK);
        }
        assert_memory_equal(chunk, all, (size_t)size);
        fsi_cursor_free(c);
        free(all);
        free(chunk);
        fsi_plan_unref(p);
        fsi_image_free(img);
    }
    free(big);
}

static void odd_reads(void **state)
{
    (void)state;
    fill_data();
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    mkfile_in(img, r, "a", g_data[0], 1);
    mkfile_in(img, r, "b", g_data[1], 2047);
    mkfile_in(img, r, "c", g_data[2], 2048);
    mkfile_in(img, r, "d", g_data[0], 2049);
    mkfile_in(img, r, "e", NULL, 0);
    mkfile_in(img, r, "f", g_data[1], 8192);
    fsi_node *s = mkdir_in(img, r, "s");
    mkfile_in(img, s, "g", g_data[2] + 3, 5555);
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 1);
    fsi_plan *p = build(img, &o);
    iso_img im = { 0 };
    iso_load(p, &im);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    uint8_t *buf = malloc(im.size + 1);
    /* one read of everything */
    assert_int_equal(fsi_cursor_read(c, 0, buf, im.size, &err), FSI_OK);
    assert_memory_equal(buf, im.b, im.size);
    /* pseudo-random offsets and sizes, forwards and backwards */
    uint32_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        uint64_t off = (x >> 8) % im.size;
        x = x * 1103515245u + 12345u;
        size_t len = (x >> 8) % 9000;
        if (off + len > im.size)
            len = (size_t)(im.size - off);
        memset(buf, 0xA5, len + 1);
        assert_int_equal(fsi_cursor_read(c, off, buf, len, &err), FSI_OK);
        assert_memory_equal(buf, im.b + off, len);
        assert_int_equal(buf[len], 0xA5);               /* nothing written past len */
    }
    /* sequential odd chunks */
    for (uint64_t off = 0; off < im.size; off += 777) {
        size_t len = im.size - off < 777 ? (size_t)(im.size - off) : 777;
        assert_int_equal(fsi_cursor_read(c, off, buf, len, &err), FSI_OK);
        assert_memory_equal(buf, im.b + off, len);
    }
    /* range */
    assert_int_equal(fsi_cursor_read(c, im.size - 10, buf, 11, &err), FSI_E_RANGE);
    assert_int_equal(fsi_cursor_read(c, im.size + 1, buf, 0, &err), FSI_E_RANGE);
    assert_int_equal(fsi_cursor_read(c, im.size, buf, 0, &err), FSI_OK);
    fsi_cursor_free(c);
    free(buf);
    free(im.b);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

static void inconsistent_sources(void **state)
{
    (void)state;
    fill_data();
    static cnt_source shrt, lng, ok;
    cnt_init(&shrt, g_data[0], 4000);
    cnt_init(&lng, g_data[1], 4000);
    cnt_init(&ok, g_data[2], 100);
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    add_src_file(img, r, "a_ok.bin", 100, &ok.base);
    add_src_file(img, r, "short.bin", 5000, &shrt.base);        /* source has 1000 bytes less */
    add_src_file(img, r, "z_long.bin", 3000, &lng.base);        /* source has 1000 bytes more */
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    fsi_plan *p = build(img, &o);
    fsi_image_free(img);
    const fsi_extent_info *es = fsi_plan_extent(p, 2), *el = fsi_plan_extent(p, 3);
    assert_true(u16_eq(es->path, es->path_len, "\\short.bin"));
    assert_true(u16_eq(el->path, el->path_len, "\\z_long.bin"));
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    static uint8_t buf[8192];
    uint64_t so = (uint64_t)es->first_block * 2048, lo = (uint64_t)el->first_block * 2048;
    /* the first block of the short file is fine, the second is not */
    assert_int_equal(fsi_cursor_read(c, so, buf, 2048, &err), FSI_OK);
    assert_memory_equal(buf, g_data[0], 2048);
    assert_int_equal(fsi_cursor_read(c, so + 2048, buf, 2048, &err), FSI_E_INCONSISTENT);
    assert_int_equal(err.code, FSI_E_INCONSISTENT);
    assert_int_equal(err.expected, 5000);
    assert_int_equal(err.found, 4000);
    assert_true(u16_eq(err.path, err.path_len, "\\short.bin"));
    /* whole file at once */
    assert_int_equal(fsi_cursor_read(c, so, buf, 3 * 2048, &err), FSI_E_INCONSISTENT);
    assert_int_equal(err.found, 4000);
    /* longer source: detected when its last bytes are read, with room after (tail) ... */
    assert_int_equal(fsi_cursor_read(c, lo, buf, 2 * 2048, &err), FSI_E_INCONSISTENT);
    assert_int_equal(err.expected, 3000);
    assert_int_equal(err.found, 3001);
    assert_true(u16_eq(err.path, err.path_len, "\\z_long.bin"));
    /* ... and exactly up to the last byte (separate probe) */
    assert_int_equal(fsi_cursor_read(c, lo + 1000, buf, 2000, &err), FSI_E_INCONSISTENT);
    /* reading below the end is fine */
    assert_int_equal(fsi_cursor_read(c, lo, buf, 2999, &err), FSI_OK);
    assert_memory_equal(buf, g_data[1], 2999);
    fsi_cursor_free(c);
    assert_int_equal(g_open_now, 0);
    /* a source that cannot be opened */
    static cnt_source bad;
    cnt_init(&bad, g_data[0], 10);
    bad.fail_open = 1;
    img = fsi_image_new();
    add_src_file(img, fsi_image_root(img), "unreadable", 10, &bad.base);
    fsi_plan_unref(p);
    p = build(img, &o);
    c = fsi_cursor_new(p);
    uint64_t total = (uint64_t)fsi_plan_total_blocks(p) * 2048;
    assert_int_equal(fsi_cursor_read(c, 0, buf, 0, &err), FSI_OK);
    uint8_t *all = malloc(total);
    assert_int_equal(fsi_cursor_read(c, 0, all, total, &err), FSI_E_READ);
    assert_true(u16_eq(err.path, err.path_len, "\\unreadable"));
    free(all);
    fsi_cursor_free(c);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

static int g_prog_calls;
static uint32_t g_prog_last, g_prog_total, g_prog_first;
static int g_prog_monotonic;

static void on_progress(void *ctx, const fsi_extent_info *f, uint32_t copied, uint32_t total)
{
    (void)ctx;
    if (!f->is_file || total != f->block_count)
        g_prog_monotonic = 0;
    if (g_prog_calls == 0)
        g_prog_first = copied;
    else if (copied < g_prog_last)
        g_prog_monotonic = 0;
    g_prog_calls++;
    g_prog_last = copied;
    g_prog_total = total;
}

static void sources_open_once_and_progress(void **state)
{
    (void)state;
    enum { BIG = 1300 * 2048 - 5 };
    uint8_t *big = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = pat(i);
    static cnt_source s[4];
    cnt_init(&s[0], big, BIG);
    cnt_init(&s[1], big + 1, 3000);
    cnt_init(&s[2], big + 2, 1);
    cnt_init(&s[3], big + 3, 70000);
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    add_src_file(img, r, "0big", BIG, &s[0].base);
    add_src_file(img, r, "1", 3000, &s[1].base);
    add_src_file(img, r, "2", 1, &s[2].base);
    add_src_file(img, r, "3", 70000, &s[3].base);
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    fsi_plan *p = build(img, &o);
    fsi_image_free(img);
    uint64_t total = (uint64_t)fsi_plan_total_blocks(p) * 2048;
    uint8_t *all = malloc(total);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    g_max_open = g_open_now = 0;
    /* one big read: each source opened once, read with one data call + one probe at most */
    assert_int_equal(fsi_cursor_read(c, 0, all, total, &err), FSI_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s[i].opens, 1);
        assert_int_equal(s[i].closes, 1);
        assert_true(s[i].reads <= 2);
    }
    assert_int_equal(g_max_open, 1);
    assert_memory_equal(all + (uint64_t)fsi_plan_extent(p, 1)->first_block * 2048, big, BIG);
    /* sequential reads of 64 KiB: still one open per file, at most one source open at a time */
    for (int i = 0; i < 4; i++)
        s[i].opens = s[i].closes = s[i].reads = 0;
    fsi_cursor_set_progress(c, on_progress, NULL);
    g_prog_calls = 0;
    g_prog_monotonic = 1;
    uint8_t *chunk = malloc(65536);
    for (uint64_t off = 0; off < total; off += 65536) {
        size_t len = total - off < 65536 ? (size_t)(total - off) : 65536;
        assert_int_equal(fsi_cursor_read(c, off, chunk, len, &err), FSI_OK);
        assert_memory_equal(chunk, all + off, len);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s[i].opens, 1);
        assert_int_equal(s[i].closes, 1);
    }
    assert_int_equal(g_max_open, 1);
    assert_int_equal(g_open_now, 0);
    /* big file: 0, 512, 1024, 1300; small ones: 0 and end each (2 calls x 3) */
    assert_int_equal(g_prog_first, 0);
    assert_int_equal(g_prog_calls, 4 + 2 * 3);
    assert_int_equal(g_prog_last, g_prog_total);
    /* only the big file again, with progress recorded per call */
    g_prog_calls = 0;
    g_prog_monotonic = 1;
    uint64_t bo = (uint64_t)fsi_plan_extent(p, 1)->first_block * 2048;
    for (uint64_t off = bo; off < bo + 1300 * 2048; off += 65536) {
        size_t len = bo + 1300 * 2048 - off < 65536 ? (size_t)(bo + 1300 * 2048 - off) : 65536;
        assert_int_equal(fsi_cursor_read(c, off, chunk, len, &err), FSI_OK);
    }
    assert_int_equal(g_prog_calls, 4);
    assert_true(g_prog_monotonic);
    assert_int_equal(g_prog_last, 1300);
    assert_int_equal(g_prog_total, 1300);
    /* a block at a time (the commonest client): the same bytes, the sources read 64 KiB at a time
     * (cursor.c READ_AHEAD) plus the piece that reaches the end and the probe past it */
    fsi_cursor_set_progress(c, NULL, NULL);
    for (int i = 0; i < 4; i++)
        s[i].opens = s[i].closes = s[i].reads = 0;
    for (uint64_t off = 0; off < total; off += 2048) {
        assert_int_equal(fsi_cursor_read(c, off, chunk, 2048, &err), FSI_OK);
        assert_memory_equal(chunk, all + off, 2048);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s[i].opens, 1);
        assert_int_equal(s[i].closes, 1);
        assert_true(s[i].reads <= (int)((s[i].size + 65535) / 65536) + 2);
    }
    assert_true(s[0].reads >= 3);
    /* backwards inside the big file: the same bytes from wherever they come */
    for (uint64_t k = 1; k <= 40; k++) {
        uint64_t off = bo + (40 - k) * 2048 + 100;
        assert_int_equal(fsi_cursor_read(c, off, chunk, 777, &err), FSI_OK);
        assert_memory_equal(chunk, all + off, 777);
    }
    fsi_cursor_free(c);
    assert_int_equal(g_open_now, 0);
    free(chunk);
    free(all);
    free(big);
    fsi_plan_unref(p);
}

/* ---- limits and options ----------------------------------------------------------------------- */

static cnt_source g_huge;

static void errors(void **state)
{
    (void)state;
    cnt_init(&g_huge, NULL, UINT64_C(5) << 30);
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *bd = mkdir_in(img, r, "big");
    add_src_file(img, bd, "huge.bin", UINT64_C(5) << 30, &g_huge.base);
    fsi_plan *p = NULL;
    fsi_err err;
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_DATA_TOO_BIG);
    assert_null(p);
    assert_int_equal(err.code, FSI_E_DATA_TOO_BIG);
    assert_int_equal(err.fs, FSI_FS_ISO9660 | FSI_FS_JOLIET);    /* "ISO9660/Joliet", as Windows says */
    assert_true(u16_eq(err.path, err.path_len, "\\big\\huge.bin"));
    o = opts(FSI_FS_JOLIET, 1);
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_DATA_TOO_BIG);
    assert_int_equal(err.fs, FSI_FS_JOLIET);
    /* Windows' ceiling at levels 1 and 2: 2 GiB is fine, one byte more is not, with UDF too */
    fsi_node *h = fsi_dir_lookup(bd, U("huge.bin", NULL), 8);
    fsi_node_detach(img, h);
    add_src_file(img, bd, "max.bin", UINT64_C(1) << 31, &g_huge.base);
    o = opts(FSI_FS_ISO9660, 1);
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_OK);
    fsi_plan_unref(p);
    add_src_file(img, bd, "over.bin", (UINT64_C(1) << 31) + 1, &g_huge.base);
    o = opts(FSI_FS_ISO9660 | FSI_FS_UDF, 2);
    o.udf_revision = 0x102;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_DATA_TOO_BIG);
    assert_int_equal(err.fs, FSI_FS_ISO9660);
    assert_true(u16_eq(err.path, err.path_len, "\\big\\over.bin"));
    o = opts(FSI_FS_UDF, 2);
    o.udf_revision = 0x102;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_OK);
    fsi_plan_unref(p);
    fsi_node_detach(img, fsi_dir_lookup(bd, U("over.bin", NULL), 8));
    o = opts(FSI_FS_ISO9660, 2);
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_OK);
    fsi_plan_unref(p);
    /* no file system, bad level */
    o = opts(0, 2);
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_NO_OUTPUT);
    /* UDF needs one of the revisions; the ISO level does not matter without ISO 9660 / Joliet */
    o = opts(FSI_FS_UDF, 2);
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    assert_int_equal(err.fs, FSI_FS_UDF);
    o.udf_revision = 0x251;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    o = opts(FSI_FS_UDF, 7);
    o.udf_revision = 0x102;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_OK);
    fsi_plan_unref(p);
    o = opts(FSI_FS_ISO9660, 4);
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    /* image too big with a session start near the end of the address space */
    o = opts(FSI_FS_ISO9660, 2);
    o.session_start = UINT32_MAX - 1000;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_IMAGE_TOO_BIG);
    fsi_image_free(img);
}

static void depth_rules(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *d = fsi_image_root(img);
    for (int i = 0; i < 8; i++) {       /* levels 2..9 */
        char nm[8];
        snprintf(nm, sizeof nm, "l%d", i + 2);
        d = mkdir_in(img, d, nm);
    }
    mkfile_in(img, d, "deep.txt", "deep", 4);
    fsi_plan *p = NULL;
    fsi_err err;
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    o.strict = 1;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_ISO9660_LEVELS);
    assert_int_equal(err.fs, FSI_FS_ISO9660);
    assert_true(u16_eq(err.path, err.path_len, "\\l2\\l3\\l4\\l5\\l6\\l7\\l8\\l9"));
    o.fs = FSI_FS_JOLIET;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_ISO9660_LEVELS);
    assert_int_equal(err.fs, FSI_FS_JOLIET);
    /* relaxed: written as they are, readable */
    o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    p = build(img, &o);
    iso_img im = { 0 };
    iso_load(p, &im);
    iso_rec rec;
    assert_true(iso_find(&im, 0, "L2/L3/L4/L5/L6/L7/L8/L9/DEEP.TXT;1", &rec));
    assert_memory_equal(iso_block(&im, rec.lba), "deep", 4);
    assert_true(iso_find(&im, 1, "l2/l3/l4/l5/l6/l7/l8/l9/deep.txt;1", &rec));
    free(im.b);
    fsi_plan_unref(p);
    fsi_image_free(img);

    /* 8 levels but a path longer than 255 characters */
    img = fsi_image_new();
    d = fsi_image_root(img);
    for (int i = 0; i < 7; i++) {
        char nm[40];
        snprintf(nm, sizeof nm, "directory_name_of_31_chars_%04d", i);
        d = mkdir_in(img, d, nm);
    }
    mkfile_in(img, d, "a_file_name_of_thirty_chars_xx.txt", NULL, 0);
    o = opts(FSI_FS_ISO9660, 2);
    o.strict = 1;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_ISO9660_LEVELS);
    assert_int_equal(err.fs, FSI_FS_ISO9660);
    o.strict = 0;
    p = build(img, &o);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

static void multi_extent(void **state)
{
    (void)state;
    cnt_init(&g_huge, NULL, UINT64_C(5) << 30);
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    add_src_file(img, r, "huge.bin", UINT64_C(5) << 30, &g_huge.base);
    mkfile_in(img, r, "z.txt", "after", 5);
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 3);
    fsi_plan *p = build(img, &o);
    fsi_image_free(img);
    /* read the metadata only */
    const fsi_extent_info *meta = fsi_plan_extent(p, 0);
    iso_img im = { 0 };
    im.size = (uint64_t)meta->block_count * 2048;
    im.b = malloc(im.size);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    assert_int_equal(fsi_cursor_read(c, 0, im.b, im.size, &err), FSI_OK);
    const uint64_t part = 0xFFFFF800u;
    const fsi_extent_info *hx = fsi_plan_extent(p, 1);
    assert_int_equal(hx->size, UINT64_C(5) << 30);
    assert_int_equal(hx->block_count, (UINT64_C(5) << 30) / 2048);
    for (int joliet = 0; joliet < 2; joliet++) {
        iso_rec recs[8];
        uint32_t rl, rs;
        iso_root(&im, joliet, &rl, &rs);
        size_t n = iso_list(&im, rl, rs, recs, 8);
        assert_int_equal(n, 5);
        char a[256], b[256];
        iso_rec_name(&recs[2], joliet, a);
        iso_rec_name(&recs[3], joliet, b);
        assert_string_equal(a, b);
        assert_string_equal(a, joliet ? "huge.bin;1" : "HUGE.BIN;1");
        assert_int_equal(recs[2].flags, 0x80);
        assert_int_equal(recs[3].flags, 0x00);
        assert_int_equal(recs[2].size, part);
        assert_int_equal(recs[3].size, (UINT64_C(5) << 30) - part);
        assert_int_equal(recs[2].lba, hx->first_block);
        assert_int_equal(recs[3].lba, hx->first_block + part / 2048);
        assert_int_equal(recs[4].lba, hx->first_block + hx->block_count);
        assert_int_equal(recs[4].size, 5);
    }
    /* sampled data: around the part boundary and at the end */
    uint64_t base = (uint64_t)hx->first_block * 2048;
    uint64_t offs[] = { 0, part - 3, (UINT64_C(5) << 30) - 100 };
    uint8_t buf[4096];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fsi_cursor_read(c, base + offs[i], buf, 100, &err), FSI_OK);
        for (int k = 0; k < 100; k++)
            assert_int_equal(buf[k], pat(offs[i] + k));
    }
    uint64_t zo = (uint64_t)fsi_plan_extent(p, 2)->first_block * 2048;
    assert_int_equal(fsi_cursor_read(c, zo, buf, 2048, &err), FSI_OK);
    assert_memory_equal(buf, "after", 5);
    assert_int_equal(zo + 2048, (uint64_t)fsi_plan_total_blocks(p) * 2048);
    fsi_cursor_free(c);
    free(im.b);
    fsi_plan_unref(p);
}

static void selections_and_session(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *d = mkdir_in(img, r, "docs");
    mkfile_in(img, d, "note.txt", "hello", 5);
    /* ISO only: no SVD */
    fsi_plan_opts o = opts(FSI_FS_ISO9660, 1);
    fsi_plan *p = build(img, &o);
    iso_img im = { 0 };
    iso_load(p, &im);
    assert_int_equal(im.b[16 * 2048], 1);
    assert_int_equal(im.b[17 * 2048], 255);
    iso_rec rec;
    assert_true(iso_find(&im, 0, "DOCS/NOTE.TXT;1", &rec));
    free(im.b);
    fsi_plan_unref(p);
    /* Joliet only: the PVD is still there with the ISO tree */
    o = opts(FSI_FS_JOLIET, 2);
    p = build(img, &o);
    memset(&im, 0, sizeof im);
    iso_load(p, &im);
    assert_int_equal(im.b[16 * 2048], 1);
    assert_int_equal(im.b[17 * 2048], 2);
    assert_int_equal(im.b[18 * 2048], 255);
    assert_true(iso_find(&im, 0, "DOCS/NOTE.TXT;1", &rec));
    iso_rec jr;
    assert_true(iso_find(&im, 1, "docs/note.txt;1", &jr));
    assert_int_equal(rec.lba, jr.lba);
    free(im.b);
    fsi_plan_unref(p);
    /* session start: every LBA absolute */
    o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    o.session_start = 5000;
    p = build(img, &o);
    memset(&im, 0, sizeof im);
    im.ss = 5000;
    iso_load(p, &im);
    assert_int_equal(rd_both32(im.b + 16 * 2048 + 80), 5000 + fsi_plan_total_blocks(p));
    assert_true(rd_le32(im.b + 16 * 2048 + 140) > 5000);
    assert_true(iso_find(&im, 0, "DOCS/NOTE.TXT;1", &rec));
    assert_true(rec.lba > 5000);
    assert_memory_equal(iso_block(&im, rec.lba), "hello", 5);
    assert_true(iso_find(&im, 1, "docs/note.txt;1", &jr));
    assert_int_equal(rec.lba, jr.lba);
    assert_int_equal(fsi_plan_extent(p, 0)->first_block, 5000);
    assert_int_equal(fsi_plan_extent(p, 1)->first_block, rec.lba);
    free(im.b);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

static void map_name_matches_image(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    const char *names[] = { "longfilename1.txt", "longfilename2.txt", "LongFileName1.txt", "x*y.c", "x?y.c" };
    fsi_node *n[5];
    for (int i = 0; i < 5; i++)
        n[i] = mkfile_in(img, r, names[i], NULL, 0);
    for (int level = 1; level <= 2; level++) {
        fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, level);
        fsi_plan *p = build(img, &o);
        iso_img im = { 0 };
        iso_load(p, &im);
        for (int i = 0; i < 5; i++) {
            for (int joliet = 0; joliet < 2; joliet++) {
                uint16_t m[80];
                size_t l = fsi_map_name(img, n[i], joliet ? FSI_FS_JOLIET : FSI_FS_ISO9660, level, m, 80);
                char path[200];
                size_t k = fsi_utf16_to_utf8(m, l, path, sizeof path);
                strcpy(path + k, ";1");
                iso_rec rec;
                assert_true(iso_find(&im, joliet, path, &rec));
            }
        }
        free(im.b);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}


static void too_many_dirs(void **state)
{
    (void)state;
    /* 65536 directories below the root, the last of which (number 65537) has a child: the child's
     * parent number does not fit the 16-bit path table field */
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    char nm[16];
    fsi_node *last = NULL;
    for (int i = 0; i < 65536; i++) {
        snprintf(nm, sizeof nm, "d%05d", i);
        last = mkdir_in(img, r, nm);
    }
    fsi_node *child = mkdir_in(img, last, "child");
    fsi_plan *p = NULL;
    fsi_err err;
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 2);
    o.strict = 1;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_TOO_MANY_DIRS);
    assert_int_equal(err.fs, FSI_FS_ISO9660);
    assert_true(u16_eq(err.path, err.path_len, "\\d65535\\child"));
    /* relaxed: written, the parent number clamped to 65535 */
    o.strict = 0;
    p = build(img, &o);
    iso_img im = { 0 };
    iso_load(p, &im);
    static ptrec t[65540];
    size_t n = parse_pt(&im, 0, t);
    assert_int_equal(n, 65538);
    assert_int_equal(t[65537].idlen, 5);
    assert_memory_equal(t[65537].id, "CHILD", 5);
    assert_int_equal(t[65537].parent, 65535);
    assert_int_equal(t[65536].parent, 1);
    iso_rec rec;
    assert_true(iso_find(&im, 0, "D65535/CHILD", &rec));
    assert_int_equal(rec.lba, t[65537].lba);
    /* without the child: no parent number above 65535, strict is fine */
    fsi_node_detach(img, child);
    o.strict = 1;
    fsi_plan_unref(p);
    p = build(img, &o);
    fsi_plan_unref(p);
    free(im.b);
    fsi_image_free(img);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_image),
        cmocka_unit_test(path_tables),
        cmocka_unit_test(dir_packing),
        cmocka_unit_test(joliet_dir_order),
        cmocka_unit_test(odd_reads),
        cmocka_unit_test(aligned_large_files),
        cmocka_unit_test(inconsistent_sources),
        cmocka_unit_test(sources_open_once_and_progress),
        cmocka_unit_test(errors),
        cmocka_unit_test(depth_rules),
        cmocka_unit_test(multi_extent),
        cmocka_unit_test(selections_and_session),
        cmocka_unit_test(map_name_matches_image),
        cmocka_unit_test(too_many_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
