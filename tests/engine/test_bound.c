/*
 * The size bound for adding items one at a time (engine.h: fsi_size_bound, fsi_add_bound,
 * fsi_image_clone_with): it is never below the exact size, whatever is added where (random trees
 * with colliding names, large files, named streams, every file system mix, level and UDF revision,
 * a later session), and it stays close enough that the DLL rarely needs an exact plan.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test_util.h"

/* A source of any size that is never read (the plans here are not rendered to the end). */
static fsi_status z_open(fsi_source *s, void **h) { *h = s; return FSI_OK; }
static fsi_status z_read(fsi_source *s, void *h, uint64_t off, void *buf, size_t len, size_t *got)
{
    (void)s; (void)h; (void)off;
    memset(buf, 0, len);
    *got = len;
    return FSI_OK;
}
static void z_close(fsi_source *s, void *h) { (void)s; (void)h; }
static void z_destroy(fsi_source *s) { (void)s; }
static const fsi_source_ops z_ops = { z_open, z_read, z_close, z_destroy };
static fsi_source g_zero = { &z_ops, 1 };

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

static fsi_node *new_file(const char *name, uint64_t size)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_file(u, l, size, size ? &g_zero : NULL, &n), FSI_OK);
    return n;
}

static fsi_node *new_dir(const char *name)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_dir(u, l, &n), FSI_OK);
    return n;
}

/* Names that collide in every way names.c knows: case, 8.3 stems, tails past a digit, Joliet's 64
 * units, long UDF names, non-ASCII. */
static void rand_name(char *out, size_t cap, int dir)
{
    static const char *stems[] = { "longfilename", "a", "A", "read me", "x_connmark", "Data", "data",
                                   "\xC3\xA9t\xC3\xA9", "\xE6\x97\xA5\xE6\x9C\xAC" };
    static const char *exts[] = { "", ".txt", ".TXT", ".html", ".h", ".tar.gz" };
    const char *stem = stems[rnd(sizeof stems / sizeof *stems)];
    switch (rnd(4)) {
    case 0:
        snprintf(out, cap, "%s%s", stem, dir ? "" : exts[rnd(6)]);
        break;
    case 1:
        snprintf(out, cap, "%s%u%s", stem, rnd(150), dir ? "" : exts[rnd(6)]);
        break;
    case 2: {
        size_t n = 40 + rnd(100);               /* past Joliet's 64, sometimes past 255 CS0 bytes */
        size_t k = 0;
        while (k + 3 < cap && k < n)
            out[k++] = (char)('a' + rnd(3));
        out[k] = 0;
        break;
    }
    default:
        snprintf(out, cap, "%c%u.%s", 'a' + rnd(26), rnd(20), dir ? "d" : "z");
    }
}

static uint64_t rand_size(int big_ok)
{
    switch (rnd(10)) {
    case 0: return 0;
    case 1: return (1u << 20) + rnd(100000);            /* even-block alignment */
    case 2: return (8u << 20) + rnd(3000000);           /* 32-block alignment */
    case 3: return big_ok ? (UINT64_C(5) << 30) + rnd(5000) : 7;   /* several extents */
    default: return 1 + rnd(20000);
    }
}

/* A detached subtree: a file (with named streams sometimes) or a folder of a few items. */
static fsi_node *rand_item(int depth, int big_ok)
{
    char name[160];
    int dir = depth < 2 && rnd(3) == 0;
    rand_name(name, sizeof name, dir);
    if (!dir) {
        fsi_node *f = new_file(name, rand_size(big_ok));
        for (uint32_t k = rnd(4) == 0 ? 1 + rnd(3) : 0; k > 0; k--) {
            char sn[32];
            size_t l;
            snprintf(sn, sizeof sn, "s%u", k);
            const uint16_t *u = U(sn, &l);
            uint64_t size = rnd(3) ? rnd(5000) : 0;
            fsi_node_add_stream(f, u, l, size, size ? &g_zero : NULL);
        }
        return f;
    }
    fsi_node *d = new_dir(name);
    for (uint32_t k = rnd(5); k > 0; k--) {
        fsi_node *c = rand_item(depth + 1, big_ok);
        fsi_dir_attach(NULL, d, c, 1);
        fsi_node_unref(c);
    }
    return d;
}

/* Directories of the tree (root first). */
static size_t dirs_of(fsi_node *d, fsi_node **out, size_t n, size_t cap)
{
    if (n < cap)
        out[n++] = d;
    for (size_t i = 0; i < fsi_dir_child_count(d); i++) {
        fsi_node *c = fsi_dir_child(d, i);
        if (c && fsi_node_is_dir(c))
            n = dirs_of(c, out, n, cap);
    }
    return n;
}

static uint32_t exact(fsi_image *img, const fsi_plan_opts *o, fsi_size_bound *restart)
{
    fsi_plan *p = NULL;
    fsi_err err;
    assert_int_equal(fsi_plan_build(img, o, &p, &err), FSI_OK);
    uint32_t blocks = fsi_plan_total_blocks(p);
    if (restart)
        fsi_size_bound_start(restart, p);
    fsi_plan_unref(p);
    return blocks;
}

static fsi_plan_opts opts_for(unsigned fs, int level, int rev, int mirror, uint32_t ss)
{
    static uint16_t vol[] = { 'B', 'O', 'U', 'N', 'D' };
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = level;
    o.udf_revision = rev;
    o.udf_redundant_metadata = mirror;
    o.volume_name = vol;
    o.volume_name_len = 5;
    o.creation_time = fsi_time_from_unix(1700000000, 0);
    o.session_start = ss;
    return o;
}

/* Add random items one at a time (AddFile, AddDirectory, AddTree-like merges), remove some, and
 * check after every step that the exact size is within the bound. */
static void never_below(void **state)
{
    (void)state;
    static const unsigned masks[] = { 1, 2, 3, 4, 5, 6, 7 };
    static const int revs[][2] = { { 0x102, 1 }, { 0x201, 1 }, { 0x250, 1 }, { 0x250, 0 }, { 0x260, 1 } };
    size_t checked = 0, without = 0;
    fsi_node *dirs[512];
    int steps = getenv("FSI_TEST_QUICK") ? 12 : 60;        /* tools/memcheck sets it */
    for (size_t mi = 0; mi < sizeof masks / sizeof *masks; mi++)
        for (int level = 1; level <= 3; level++)
            for (size_t ri = 0; ri < sizeof revs / sizeof *revs; ri++) {
                unsigned fs = masks[mi];
                if (!(fs & FSI_FS_UDF) && ri)
                    continue;
                if (!(fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET)) && level > 1)
                    continue;
                rng_state = mi * 1000 + level * 100 + ri;
                fsi_plan_opts o = opts_for(fs, level, revs[ri][0], revs[ri][1], rnd(2) ? 0 : 1000 + rnd(400));
                int big_ok = level == 3 || !(fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET));
                fsi_image *img = fsi_image_new();
                fsi_size_bound sb;
                uint32_t blocks = exact(img, &o, &sb);
                assert_true(blocks <= fsi_size_bound_blocks(&sb, 0));
                for (int step = 0; step < steps; step++) {
                    size_t nd = dirs_of(fsi_image_root(img), dirs, 0, 512);
                    fsi_node *at = dirs[rnd((uint32_t)nd)];
                    uint32_t op = rnd(10);
                    if (op == 0 && fsi_dir_child_count(at)) {
                        /* Remove / RemoveTree: the bound stays as it is */
                        fsi_node *victim = fsi_dir_child(at, rnd((uint32_t)fsi_dir_child_count(at)));
                        if (victim)
                            fsi_node_detach(img, victim);
                    } else if (op == 1) {
                        /* AddTree: a folder merged in, the source winning on collisions */
                        fsi_node *top = new_dir("x");
                        for (uint32_t k = 1 + rnd(4); k > 0; k--) {
                            fsi_node *c = rand_item(0, big_ok);
                            fsi_dir_attach(NULL, top, c, 1);
                            fsi_node_unref(c);
                        }
                        sb.added += fsi_add_bound(&o, top);     /* top itself counted too: more, not less */
                        assert_int_equal(fsi_dir_merge(img, at, top), FSI_OK);
                        fsi_node_unref(top);
                    } else {
                        fsi_node *c = rand_item(0, big_ok);
                        sb.added += fsi_add_bound(&o, c);
                        fsi_dir_attach(img, at, c, 0);      /* a duplicate name: not added */
                        fsi_node_unref(c);
                    }
                    if (step % 20 == 19) {
                        blocks = exact(img, &o, &sb);       /* a new start, as after an exact plan */
                    } else {
                        blocks = exact(img, &o, NULL);
                    }
                    uint64_t bound = fsi_size_bound_blocks(&sb, 0);
                    fsi_size_bound none = sb;
                    none.added = 0;
                    without += blocks > fsi_size_bound_blocks(&none, 0);  /* the adds' bounds matter */
                    if (blocks > bound)
                        fail_msg("fs %u level %d rev %x mirror %d step %d: %u blocks over the bound %llu", fs, level,
                                 revs[ri][0], revs[ri][1], step, blocks, (unsigned long long)bound);
                    checked++;
                }
                fsi_image_free(img);
            }
    assert_true(checked > (size_t)steps * 50);
    assert_true(without > checked / 4);
}

/* fsi_image_clone_with: the size of the copy is the size of the tree after the same addition. */
static void clone_with(void **state)
{
    (void)state;
    fsi_plan_opts o = opts_for(7, 1, 0x250, 1, 0);
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *d = mkdir_in(img, r, "dir");
    mkfile_in(img, d, "a.txt", "old", 3);
    mkfile_in(img, r, "top.txt", "t", 1);
    /* a folder merged into \dir: a.txt replaced, b.txt new */
    fsi_node *src = new_dir("x");
    fsi_node *a = new_file("a.txt", 100000), *b = new_file("b.txt", 5);
    fsi_dir_attach(NULL, src, a, 0);
    fsi_dir_attach(NULL, src, b, 0);
    fsi_image *copy = NULL;
    assert_int_equal(fsi_image_clone_with(img, d, src, 0, &copy), FSI_OK);
    uint32_t want = 0;
    {
        fsi_image *twin = NULL;
        assert_int_equal(fsi_image_clone(img, &twin), FSI_OK);
        fsi_node *td = NULL;
        assert_int_equal(fsi_dir_walk(fsi_image_root(twin), U("dir", NULL), 3, &td), FSI_OK);
        fsi_node *src2 = new_dir("x");
        fsi_node *a2 = new_file("a.txt", 100000), *b2 = new_file("b.txt", 5);
        fsi_dir_attach(NULL, src2, a2, 0);
        fsi_dir_attach(NULL, src2, b2, 0);
        assert_int_equal(fsi_dir_merge(twin, td, src2), FSI_OK);
        want = exact(twin, &o, NULL);
        fsi_node_unref(a2);
        fsi_node_unref(b2);
        fsi_node_unref(src2);
        fsi_image_free(twin);
    }
    assert_int_equal(exact(copy, &o, NULL), want);
    assert_int_equal(fsi_image_file_count(copy), 3);     /* a.txt replaced, b.txt added */
    /* img and src are as they were */
    assert_int_equal(fsi_image_file_count(img), 2);
    assert_int_equal(fsi_dir_child_count(src), 2);
    fsi_image_free(copy);
    /* whole: the folder itself into the root */
    assert_int_equal(fsi_image_clone_with(img, r, src, 1, &copy), FSI_OK);
    fsi_node *x = NULL;
    assert_int_equal(fsi_dir_walk(fsi_image_root(copy), U("x\\b.txt", NULL), 7, &x), FSI_OK);
    fsi_image_free(copy);
    /* a directory not in the tree */
    fsi_node *loose = new_dir("loose");
    assert_int_equal(fsi_image_clone_with(img, loose, src, 0, &copy), FSI_E_NOT_FOUND);
    assert_null(copy);
    fsi_node_unref(loose);
    fsi_node_unref(a);
    fsi_node_unref(b);
    fsi_node_unref(src);
    fsi_image_free(img);
}

/* 50,000 files added one at a time to one folder under Windows' defaults (ISO 9660 + Joliet + UDF,
 * level 1): the bound stays within the default limit of 332,800 blocks and close to the size, so
 * the DLL builds no exact plan on the way (docs/benchmarks.md). */
static void close_enough(void **state)
{
    (void)state;
    static const int revs[] = { 0x102, 0x260 };
    for (size_t ri = 0; ri < 2; ri++) {
        fsi_plan_opts o = opts_for(7, 1, revs[ri], 1, 0);
        fsi_image *img = fsi_image_new();
        fsi_node *r = fsi_image_root(img);
        fsi_size_bound sb;
        exact(img, &o, &sb);
        char name[64];
        for (int i = 0; i < 50000; i++) {
            snprintf(name, sizeof name, "file %06d name.txt", i);
            fsi_node *f = new_file(name, 1 + (i % 3000));
            sb.added += fsi_add_bound(&o, f);
            assert_int_equal(fsi_dir_attach(img, r, f, 0), FSI_OK);
            fsi_node_unref(f);
        }
        uint32_t blocks = exact(img, &o, NULL);
        uint64_t bound = fsi_size_bound_blocks(&sb, 0);
        print_message("rev %x: 50,000 files: %u blocks, bound %llu (%.3f)\n", revs[ri], blocks,
                      (unsigned long long)bound, (double)bound / blocks);
        assert_true(blocks <= bound);
        assert_true(bound <= 332800);
        assert_true(bound * 100 <= blocks * 125ull);
        fsi_image_free(img);
    }
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(never_below),
        cmocka_unit_test(clone_with),
        cmocka_unit_test(close_enough),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
