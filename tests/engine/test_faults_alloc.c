/* Out of memory everywhere: every allocation the engine makes (malloc, calloc, realloc, wrapped
 * at link time with -Wl,--wrap, see CMakeLists.txt) is made to fail in turn, the 1st, the 2nd, ...
 * until an operation runs through without failing. Each failure must come back as FSI_E_NOMEM (or
 * NULL from a constructor) with nothing changed, nothing leaked (the ASan and valgrind runs of this
 * test check that) and the objects still usable: the same operation then succeeds and gives the
 * same image as a run without failures.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_util.h"

/* ---- the allocator ------------------------------------------------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);

static int g_armed;                     /* count allocations and fail the g_fail_at-th */
static long g_count, g_fail_at;
static int g_failed;                    /* the armed failure happened */

static int fail_now(void)
{
    if (!g_armed)
        return 0;
    if (g_count++ == g_fail_at) {
        g_failed = 1;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t k) { return fail_now() ? NULL : __real_calloc(n, k); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

static void arm(long at)
{
    g_count = 0;
    g_fail_at = at;
    g_failed = 0;
    g_armed = 1;
}

static void disarm(void) { g_armed = 0; }

/* ---- a tree with a bit of everything ------------------------------------------------------------ */

static uint8_t g_data[70000];

static void fill(void)
{
    for (size_t i = 0; i < sizeof g_data; i++)
        g_data[i] = (uint8_t)(i * 13 + (i >> 8));
}

/* A zero source of any size (no data behind it: only its plan is made, never read). */
static fsi_status z_open(fsi_source *s, void **h) { (void)s; *h = NULL; return FSI_OK; }
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

/* Steps that build the tree; each may fail with FSI_E_NOMEM and is then left out. Returns the
 * first failure. Names: colliding under ISO level 1 (unique names), long (Joliet cut), non-ASCII,
 * a deep path (over 8 levels), many entries in one directory (hash and array growth). */
static fsi_status add_file(fsi_image *img, fsi_node *dir, const char *name, size_t size, fsi_source *src)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_node *n = NULL;
    (void)src;
    fsi_source *s = NULL;
    if (size && !(s = fsi_source_new_memory(g_data, size)))
        return FSI_E_NOMEM;
    fsi_status st = fsi_node_new_file(u, l, size, s, &n);
    fsi_source_unref(s);
    if (st != FSI_OK)
        return st;
    st = fsi_dir_attach(img, dir, n, 0);
    fsi_node_unref(n);
    return st;
}

static fsi_status add_dir(fsi_image *img, fsi_node *dir, const char *name, fsi_node **out)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_node *n = NULL;
    fsi_status st = fsi_node_new_dir(u, l, &n);
    if (st != FSI_OK)
        return st;
    st = fsi_dir_attach(img, dir, n, 0);
    fsi_node_unref(n);
    if (st == FSI_OK && out)
        *out = n;
    return st;
}

#define TRY(x) do { fsi_status st_ = (x); if (st_ != FSI_OK) { ret = st_; goto out; } } while (0)

static fsi_status build_tree(fsi_image *img, fsi_source *mem)
{
    fsi_status ret = FSI_OK;
    fsi_node *r = fsi_image_root(img), *d = NULL, *deep = NULL;
    char name[128];
    TRY(add_file(img, r, "readme.txt", 100, mem));
    TRY(add_file(img, r, "empty", 0, NULL));
    {   /* named streams (UDF 2.00+) on a file and on an empty file; a real-time file */
        static const char *const sn[3] = { "s1", "Zone.Identifier", "empty" };
        fsi_node *f = fsi_dir_lookup(r, U("readme.txt", NULL), 10), *e = fsi_dir_lookup(r, U("empty", NULL), 5);
        for (int i = 0; i < 3; i++) {
            size_t l;
            const uint16_t *u = U(sn[i], &l);
            if (fsi_node_find_stream(f, u, l) != (size_t)-1)
                continue;
            fsi_source *s = i == 2 ? NULL : fsi_source_new_memory(g_data + i, 3000);
            if (i != 2 && !s)
                TRY(FSI_E_NOMEM);
            fsi_status st = fsi_node_add_stream(f, u, l, i == 2 ? 0 : 3000, s);
            fsi_source_unref(s);
            TRY(st);
        }
        if (!fsi_node_stream_count(e)) {
            fsi_source *s = fsi_source_new_memory(g_data, 7);
            if (!s)
                TRY(FSI_E_NOMEM);
            fsi_status st = fsi_node_add_stream(e, U("only", NULL), 4, 7, s);
            fsi_source_unref(s);
            TRY(st);
        }
        fsi_node_set_realtime(e, 1);
    }
    TRY(add_file(img, r, "A very long file name that Joliet has to cut somewhere past sixty-four units.text", 5000, mem));
    TRY(add_file(img, r, "\xc3\xbcnic\xc3\xb6" "de \xe2\x82\xac.txt", 3, mem));
    TRY(add_dir(img, r, "many", &d));
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "collide_name_%02d.data", i);     /* all COLLIDE_.DAT at level 1 */
        TRY(add_file(img, d, name, (size_t)i * 701, mem));
    }
    deep = r;
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "level%d", i);
        TRY(add_dir(img, deep, name, &deep));
    }
    TRY(add_file(img, deep, "bottom.bin", 70000, mem));
    /* a detached subtree merged in (AddTree), over an existing folder */
    {
        fsi_node *sub = NULL, *m = NULL;
        size_t l;
        const uint16_t *u = U("many", &l);
        TRY(fsi_node_new_dir(u, l, &sub));
        fsi_status st = add_file(NULL, sub, "merged.bin", 2049, mem);
        if (st == FSI_OK)
            st = add_file(NULL, sub, "collide_name_00.data", 1, mem);   /* replaces one */
        if (st == FSI_OK)
            st = add_dir(NULL, sub, "newdir", &m);
        if (st == FSI_OK)
            st = add_file(NULL, m, "x", 10, mem);
        if (st == FSI_OK) {
            fsi_node *top = NULL;
            u = U("wrap", &l);
            st = fsi_node_new_dir(u, l, &top);
            if (st == FSI_OK) {
                st = fsi_dir_attach(NULL, top, sub, 0);
                if (st == FSI_OK)
                    st = fsi_dir_merge(img, r, top);
                /* merge puts the contents of top (the folder "many") into the root */
                fsi_node_unref(top);
            }
        }
        fsi_node_unref(sub);
        TRY(st);
    }
out:
    return ret;
}

/* Files and directories reachable from dir, checked against the incremental counts. */
static void count_tree(const fsi_node *dir, uint64_t *files, uint64_t *dirs)
{
    for (size_t i = 0; i < fsi_dir_child_count(dir); i++) {
        const fsi_node *c = fsi_dir_child(dir, i);
        if (!c)
            continue;
        assert_ptr_equal(fsi_node_parent(c), dir);
        if (fsi_node_is_dir(c)) {
            ++*dirs;
            count_tree(c, files, dirs);
        } else {
            ++*files;
        }
    }
}

static void check_counts(fsi_image *img)
{
    uint64_t f = 0, d = 0;
    count_tree(fsi_image_root(img), &f, &d);
    assert_int_equal(f, fsi_image_file_count(img));
    assert_int_equal(d, fsi_image_dir_count(img));
}

/* ---- the tree: every allocation of building it fails in turn ------------------------------------ */

static void tree_ops(void **state)
{
    (void)state;
    fill();
    fsi_source *mem = fsi_source_new_memory(g_data, sizeof g_data);
    fsi_image *ref = fsi_image_new();
    assert_int_equal(build_tree(ref, mem), FSI_OK);
    check_counts(ref);
    long k;
    for (k = 0;; k++) {
        arm(k);
        fsi_image *img = fsi_image_new();
        fsi_status st = img ? build_tree(img, mem) : FSI_E_NOMEM;
        disarm();
        if (st == FSI_OK) {
            check_counts(img);
            assert_int_equal(fsi_image_file_count(img), fsi_image_file_count(ref));
            assert_int_equal(fsi_image_dir_count(img), fsi_image_dir_count(ref));
            fsi_image_free(img);
            if (!g_failed)
                break;
            continue;
        }
        assert_int_equal(st, FSI_E_NOMEM);
        if (img) {
            check_counts(img);
            /* the image stays usable: a fresh build into it (collisions now replace) works */
            fsi_image_free(img);
        }
    }
    print_message("tree: %ld allocation points\n", k);

    /* clone: every allocation fails in turn */
    for (k = 0;; k++) {
        fsi_image *cl = (fsi_image *)1;
        arm(k);
        fsi_status st = fsi_image_clone(ref, &cl);
        disarm();
        if (st == FSI_OK) {
            check_counts(cl);
            assert_int_equal(fsi_image_file_count(cl), fsi_image_file_count(ref));
            assert_int_equal(fsi_image_dir_count(cl), fsi_image_dir_count(ref));
            fsi_image_free(cl);
            if (!g_failed)
                break;
            continue;
        }
        assert_int_equal(st, FSI_E_NOMEM);
        assert_null(cl);
    }
    print_message("clone: %ld allocation points\n", k);
    fsi_image_free(ref);
    fsi_source_unref(mem);
}

/* ---- plans and cursors ---------------------------------------------------------------------------- */

static fsi_plan_opts opts(unsigned fs, int level, int udf_rev)
{
    static uint16_t vol[32];
    size_t l;
    const uint16_t *u = U("Out Of Memory", &l);
    memcpy(vol, u, l * 2);
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = level;
    o.udf_revision = udf_rev;
    o.udf_redundant_metadata = 1;
    o.volume_name = vol;
    o.volume_name_len = l;
    o.creation_time = fsi_time_from_unix(1709214330, 0);
    return o;
}

static uint8_t *read_whole(fsi_plan *p, uint64_t *size)
{
    *size = (uint64_t)fsi_plan_total_blocks(p) * FSI_BLOCK_SIZE;
    uint8_t *b = malloc(*size);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    assert_non_null(c);
    assert_int_equal(fsi_cursor_read(c, 0, b, (size_t)*size, &err), FSI_OK);
    fsi_cursor_free(c);
    return b;
}

static const struct { unsigned fs; int level, udf; } g_cfg[] = {
    { FSI_FS_ISO9660, 1, 0 },
    { FSI_FS_ISO9660 | FSI_FS_JOLIET, 2, 0 },
    { FSI_FS_ISO9660 | FSI_FS_JOLIET, 3, 0 },
    { FSI_FS_UDF, 2, 0x102 },
    { FSI_FS_UDF, 2, 0x250 },
    { FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF, 2, 0x260 },
};

static void plans(void **state)
{
    (void)state;
    fill();
    fsi_source *mem = fsi_source_new_memory(g_data, sizeof g_data);
    fsi_image *img = fsi_image_new();
    assert_int_equal(build_tree(img, mem), FSI_OK);
    fsi_source_unref(mem);
    for (size_t i = 0; i < sizeof g_cfg / sizeof g_cfg[0]; i++) {
        fsi_plan_opts o = opts(g_cfg[i].fs, g_cfg[i].level, g_cfg[i].udf);
        fsi_plan *p = NULL;
        fsi_err err;
        assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_OK);
        uint64_t size, size2;
        uint8_t *want = read_whole(p, &size);
        fsi_plan_unref(p);
        long k;
        for (k = 0;; k++) {
            p = (fsi_plan *)1;
            arm(k);
            fsi_status st = fsi_plan_build(img, &o, &p, &err);
            disarm();
            if (st == FSI_OK) {
                /* done, or a failure it could do without (e.g. shrinking a buffer): same image */
                uint8_t *got = read_whole(p, &size2);
                assert_int_equal(size, size2);
                assert_memory_equal(got, want, size);
                free(got);
                if (!g_failed)
                    break;
                fsi_plan_unref(p);
                continue;
            }
            assert_true(g_failed);
            assert_int_equal(st, FSI_E_NOMEM);
            assert_int_equal(err.code, FSI_E_NOMEM);
        }
        print_message("plan fs=%u level=%d udf=%#x: %ld allocation points\n", g_cfg[i].fs, g_cfg[i].level,
                      g_cfg[i].udf, k);

        /* cursors: creating one and reading the whole image, in 2048 and 64 KiB steps */
        for (k = 0;; k++) {
            arm(k);
            fsi_cursor *c = fsi_cursor_new(p);
            fsi_status st = c ? FSI_OK : FSI_E_NOMEM;
            uint8_t *b = __real_malloc(size);
            uint64_t off = 0;
            for (int step = 0; c && st == FSI_OK && off < size; step++, off += step & 1 ? 2048 : 65536) {
                size_t n = step & 1 ? 65536 : 2048;
                st = fsi_cursor_read(c, off, b + off, size - off < n ? (size_t)(size - off) : n, &err);
            }
            disarm();
            if (c && st != FSI_OK) {
                /* the cursor is still usable: the rest reads fine once memory is back */
                assert_int_equal(st, FSI_E_NOMEM);
                st = fsi_cursor_read(c, off, b + off, (size_t)(size - off), &err);
            }
            if (c) {
                assert_int_equal(st, FSI_OK);
                assert_memory_equal(b, want, size);
            }
            fsi_cursor_free(c);
            free(b);
            if (!g_failed)
                break;
        }
        print_message("cursor: %ld allocation points\n", k);

        /* the name mapping (IFsiItem names): 0 on failure, the name once memory is back */
        fsi_node *many = fsi_dir_lookup(fsi_image_root(img), U("many", NULL), 4);
        if (g_cfg[i].fs & FSI_FS_ISO9660) {
            fsi_node *n = fsi_dir_child(many, 7);
            uint16_t a[256], b[256];
            size_t la = fsi_map_name(img, n, FSI_FS_ISO9660, g_cfg[i].level, a, 256), lb;
            assert_true(la > 0);
            for (k = 0;; k++) {
                arm(k);
                lb = fsi_map_name(img, n, FSI_FS_ISO9660, g_cfg[i].level, b, 256);
                disarm();
                if (!g_failed)
                    break;
                assert_int_equal(lb, 0);
            }
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, la * 2);
        }
        fsi_plan_unref(p);
        free(want);
    }
    fsi_image_free(img);
}

/* A file too big for one extent (multi-extent ISO 9660, UDF allocation descriptors): its plan only. */
static void big_file_plan(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    size_t l;
    const uint16_t *u = U("huge.bin", &l);
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_file(u, l, (uint64_t)9 << 30, &g_zero, &n), FSI_OK);
    assert_int_equal(fsi_dir_attach(img, fsi_image_root(img), n, 0), FSI_OK);
    fsi_node_unref(n);
    for (size_t i = 0; i < sizeof g_cfg / sizeof g_cfg[0]; i++) {
        if (g_cfg[i].level != 3 && (g_cfg[i].fs & FSI_FS_ISO9660))
            continue;                   /* levels 1 and 2: too big (FSI_E_DATA_TOO_BIG) */
        fsi_plan_opts o = opts(g_cfg[i].fs, g_cfg[i].level, g_cfg[i].udf);
        fsi_err err;
        uint32_t want = 0;
        for (long k = 0;; k++) {
            fsi_plan *p = NULL;
            arm(k);
            fsi_status st = fsi_plan_build(img, &o, &p, &err);
            disarm();
            if (st == FSI_OK) {
                assert_true(!want || want == fsi_plan_total_blocks(p));
                want = fsi_plan_total_blocks(p);
                fsi_plan_unref(p);
                if (!g_failed)
                    break;
                continue;
            }
            assert_int_equal(st, FSI_E_NOMEM);
        }
        assert_true(want > ((uint64_t)9 << 30) / FSI_BLOCK_SIZE);
    }
    fsi_image_free(img);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree_ops),
        cmocka_unit_test(plans),
        cmocka_unit_test(big_file_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
