/* Tree operations. SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_util.h"

static fsi_node *new_dir(const char *name)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_dir(u, l, &n), FSI_OK);
    return n;
}

static fsi_node *new_file(const char *name, uint64_t size)
{
    static const char data[64];
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_source *s = size ? fsi_source_new_memory(data, sizeof data) : NULL;
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_file(u, l, size, s, &n), FSI_OK);
    fsi_source_unref(s);
    return n;
}

static fsi_node *lookup(const fsi_node *d, const char *name)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    return fsi_dir_lookup(d, u, l);
}

static void names_validated(void **state)
{
    (void)state;
    fsi_node *n = NULL;
    uint16_t name[300];
    for (int i = 0; i < 300; i++)
        name[i] = 'a';
    assert_int_equal(fsi_node_new_dir(name, 0, &n), FSI_E_INVALID_PARAM);
    assert_int_equal(fsi_node_new_dir(name, 256, &n), FSI_E_INVALID_NAME);
    assert_int_equal(fsi_node_new_dir(name, 255, &n), FSI_OK);
    fsi_node_unref(n);
    const char *bad[] = { ".", "..", "a/b", "a\\b" };
    for (size_t i = 0; i < 4; i++) {
        size_t l;
        const uint16_t *u = U(bad[i], &l);
        assert_int_equal(fsi_node_new_file(u, l, 0, NULL, &n), FSI_E_INVALID_NAME);
        assert_null(n);
    }
    const uint16_t nul[] = { 'a', 0, 'b' };
    assert_int_equal(fsi_node_new_dir(nul, 3, &n), FSI_E_INVALID_NAME);
    size_t l;
    const uint16_t *u = U("...", &l);
    assert_int_equal(fsi_node_new_dir(u, l, &n), FSI_OK);
    fsi_node_unref(n);
    /* data without a source */
    u = U("f", &l);
    assert_int_equal(fsi_node_new_file(u, l, 10, NULL, &n), FSI_E_INVALID_PARAM);
}

static void attach_counts_lookup(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *root = fsi_image_root(img);
    fsi_node *a = mkdir_in(img, root, "a");
    mkfile_in(img, a, "x.txt", "x", 1);
    mkfile_in(img, a, "X.txt", "X", 1);                 /* case-sensitive: a different item */
    fsi_node *b = mkdir_in(img, a, "b");
    mkfile_in(img, b, "y", NULL, 0);
    assert_int_equal(fsi_image_file_count(img), 3);
    assert_int_equal(fsi_image_dir_count(img), 2);
    assert_ptr_equal(lookup(a, "b"), b);
    assert_null(lookup(a, "B"));
    assert_non_null(lookup(a, "X.txt"));
    assert_ptr_not_equal(lookup(a, "X.txt"), lookup(a, "x.txt"));
    assert_ptr_equal(fsi_node_parent(b), a);
    assert_null(fsi_node_parent(root));
    assert_true(fsi_node_is_dir(b));
    assert_int_equal(fsi_node_size(lookup(a, "x.txt")), 1);
    assert_non_null(fsi_node_source(lookup(a, "x.txt")));

    /* duplicate */
    fsi_node *dup = new_file("x.txt", 0);
    assert_int_equal(fsi_dir_attach(img, a, dup, 0), FSI_E_DUP_NAME);
    assert_null(fsi_node_parent(dup));
    /* attach under a file */
    assert_int_equal(fsi_dir_attach(img, lookup(a, "x.txt"), dup, 0), FSI_E_NOT_DIR);
    /* replace a file by a file */
    assert_int_equal(fsi_dir_attach(img, a, dup, 1), FSI_OK);
    assert_ptr_equal(lookup(a, "x.txt"), dup);
    assert_int_equal(fsi_node_size(dup), 0);
    assert_int_equal(fsi_image_file_count(img), 3);
    /* attaching an attached node fails */
    assert_int_equal(fsi_dir_attach(img, b, dup, 0), FSI_E_INVALID_PARAM);
    fsi_node_unref(dup);
    /* replace a directory (with a file inside) by a file */
    fsi_node *fb = new_file("b", 0);
    assert_int_equal(fsi_dir_attach(img, a, fb, 1), FSI_OK);
    fsi_node_unref(fb);
    assert_int_equal(fsi_image_file_count(img), 3);     /* y gone, b added */
    assert_int_equal(fsi_image_dir_count(img), 1);
    /* a cycle is refused */
    fsi_node *c = new_dir("c");
    fsi_node *d = new_dir("d");
    assert_int_equal(fsi_dir_attach(img, c, d, 0), FSI_OK);
    assert_int_equal(fsi_dir_attach(img, d, c, 0), FSI_E_INVALID_PARAM);
    assert_int_equal(fsi_dir_attach(img, c, c, 0), FSI_E_INVALID_PARAM);
    /* the root cannot be attached */
    assert_int_equal(fsi_dir_attach(img, c, root, 0), FSI_E_INVALID_PARAM);
    /* attaching a subtree counts its content */
    mkfile_in(img, d, "f1", NULL, 0);
    mkfile_in(img, d, "f2", NULL, 0);
    assert_int_equal(fsi_dir_attach(img, root, c, 0), FSI_OK);
    assert_int_equal(fsi_image_file_count(img), 5);
    assert_int_equal(fsi_image_dir_count(img), 3);
    /* files added below an attached subtree are counted too */
    mkfile_in(img, d, "f3", NULL, 0);
    assert_int_equal(fsi_image_file_count(img), 6);
    fsi_node_unref(d);
    fsi_node_unref(c);
    fsi_image_free(img);
}

static void paths_and_walk(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *root = fsi_image_root(img);
    fsi_node *a = mkdir_in(img, root, "alpha");
    fsi_node *b = mkdir_in(img, a, "beta");
    fsi_node *f = mkfile_in(img, b, "file.txt", NULL, 0);
    uint16_t buf[64];
    size_t n = fsi_node_path(f, buf, 64);
    assert_true(u16_eq(buf, n, "\\alpha\\beta\\file.txt"));
    assert_int_equal(fsi_node_path(root, buf, 64), 1);
    assert_int_equal(buf[0], '\\');
    /* truncated: full length returned, prefix written */
    memset(buf, 0xFF, sizeof buf);
    assert_int_equal(fsi_node_path(f, buf, 4), 20);
    assert_true(u16_eq(buf, 4, "\\alp"));
    assert_int_equal(buf[4], 0xFFFF);

    fsi_node *out = NULL;
    size_t l;
    const uint16_t *p = U("\\alpha\\beta\\file.txt", &l);
    assert_int_equal(fsi_dir_walk(root, p, l, &out), FSI_OK);
    assert_ptr_equal(out, f);
    p = U("alpha/beta", &l);
    assert_int_equal(fsi_dir_walk(root, p, l, &out), FSI_OK);
    assert_ptr_equal(out, b);
    p = U("beta\\file.txt", &l);
    assert_int_equal(fsi_dir_walk(a, p, l, &out), FSI_OK);
    assert_ptr_equal(out, f);
    p = U("alpha\\gamma", &l);
    assert_int_equal(fsi_dir_walk(root, p, l, &out), FSI_E_NOT_FOUND);
    p = U("alpha\\beta\\file.txt\\x", &l);
    assert_int_equal(fsi_dir_walk(root, p, l, &out), FSI_E_NOT_DIR);
    p = U("\\", &l);
    assert_int_equal(fsi_dir_walk(root, p, l, &out), FSI_OK);
    assert_ptr_equal(out, root);
    fsi_image_free(img);
}

static void detach_and_order(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *root = fsi_image_root(img);
    char nm[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(nm, sizeof nm, "f%04d", i);
        mkfile_in(img, root, nm, NULL, 0);
    }
    fsi_node *sub = mkdir_in(img, root, "sub");
    mkfile_in(img, sub, "inner", NULL, 0);
    assert_int_equal(fsi_dir_child_count(root), 1001);
    assert_int_equal(fsi_image_file_count(img), 1001);
    /* detach every even file; keep a reference to one of them */
    fsi_node *keep = lookup(root, "f0010");
    fsi_node_ref(keep);
    for (int i = 0; i < 1000; i += 2) {
        snprintf(nm, sizeof nm, "f%04d", i);
        fsi_node *n = lookup(root, nm);
        assert_non_null(n);
        fsi_node_detach(img, n);
        assert_null(lookup(root, nm));
    }
    assert_null(fsi_node_parent(keep));
    assert_int_equal(fsi_node_size(keep), 0);
    fsi_node_unref(keep);
    assert_int_equal(fsi_dir_child_count(root), 501);
    assert_int_equal(fsi_image_file_count(img), 501);
    /* insertion order preserved */
    for (size_t i = 0; i < 500; i++) {
        snprintf(nm, sizeof nm, "f%04d", (int)(2 * i + 1));
        size_t l;
        const uint16_t *name = fsi_node_name(fsi_dir_child(root, i), &l);
        assert_true(u16_eq(name, l, nm));
    }
    assert_ptr_equal(fsi_dir_child(root, 500), sub);
    assert_null(fsi_dir_child(root, 501));
    /* every remaining odd file still found through the hash */
    for (int i = 1; i < 1000; i += 2) {
        snprintf(nm, sizeof nm, "f%04d", i);
        assert_non_null(lookup(root, nm));
    }
    /* detaching a directory takes its subtree; a held node survives the image */
    fsi_node_ref(sub);
    fsi_node_detach(img, sub);
    assert_int_equal(fsi_image_file_count(img), 500);
    assert_int_equal(fsi_image_dir_count(img), 0);
    fsi_image_free(img);
    assert_non_null(lookup(sub, "inner"));
    assert_null(fsi_node_parent(sub));
    fsi_node_unref(sub);
}

static void merge(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *root = fsi_image_root(img);
    fsi_node *a = mkdir_in(img, root, "a");
    fsi_node *old_file = mkfile_in(img, a, "same.txt", "old", 3);
    mkfile_in(img, a, "only_old", NULL, 0);
    fsi_node *sub = mkdir_in(img, a, "sub");
    mkfile_in(img, sub, "s_old", NULL, 0);
    mkdir_in(img, a, "dir_becomes_file");
    mkfile_in(img, a, "file_becomes_dir", NULL, 0);
    assert_int_equal(fsi_image_file_count(img), 4);
    assert_int_equal(fsi_image_dir_count(img), 3);

    /* the source: a detached tree */
    fsi_node *src = new_dir("src");
    fsi_node *sa = new_dir("a");
    assert_int_equal(fsi_dir_attach(img, src, sa, 0), FSI_OK);
    mkfile_in(img, sa, "same.txt", "newer", 5);
    mkfile_in(img, sa, "only_new", NULL, 0);
    fsi_node *ssub = mkdir_in(img, sa, "sub");
    mkfile_in(img, ssub, "s_new", NULL, 0);
    mkfile_in(img, sa, "dir_becomes_file", NULL, 0);
    fsi_node *fbd = mkdir_in(img, sa, "file_becomes_dir");
    mkfile_in(img, fbd, "inside", NULL, 0);
    mkfile_in(img, src, "top", NULL, 0);
    /* counts of the image unchanged while the source is detached */
    assert_int_equal(fsi_image_file_count(img), 4);

    assert_int_equal(fsi_dir_merge(img, root, src), FSI_OK);
    assert_int_equal(fsi_dir_child_count(src), 0);
    assert_null(fsi_node_parent(sa));                   /* merged into "a", dropped */
    fsi_node_unref(sa);
    fsi_node_unref(src);

    assert_ptr_equal(lookup(root, "a"), a);             /* directory meeting directory: merged */
    fsi_node *same = lookup(a, "same.txt");
    assert_ptr_not_equal(same, old_file);               /* source wins */
    assert_int_equal(fsi_node_size(same), 5);
    assert_non_null(lookup(a, "only_old"));
    assert_non_null(lookup(a, "only_new"));
    assert_ptr_equal(lookup(a, "sub"), sub);
    assert_non_null(lookup(sub, "s_old"));
    assert_non_null(lookup(sub, "s_new"));
    assert_false(fsi_node_is_dir(lookup(a, "dir_becomes_file")));
    assert_true(fsi_node_is_dir(lookup(a, "file_becomes_dir")));
    assert_non_null(lookup(lookup(a, "file_becomes_dir"), "inside"));
    assert_non_null(lookup(root, "top"));
    /* files: same.txt, only_old, only_new, s_old, s_new, dir_becomes_file, inside, top */
    assert_int_equal(fsi_image_file_count(img), 8);
    /* dirs: a, sub, file_becomes_dir */
    assert_int_equal(fsi_image_dir_count(img), 3);
    /* the tree is consistent: walk */
    fsi_node *w = NULL;
    size_t l;
    const uint16_t *p = U("a\\file_becomes_dir\\inside", &l);
    assert_int_equal(fsi_dir_walk(root, p, l, &w), FSI_OK);
    fsi_image_free(img);
}

static void merge_refuses_bad_args(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *root = fsi_image_root(img);
    fsi_node *a = mkdir_in(img, root, "a");
    /* attached source */
    assert_int_equal(fsi_dir_merge(img, root, a), FSI_E_INVALID_PARAM);
    fsi_node *f = new_file("f", 0);
    assert_int_equal(fsi_dir_merge(img, root, f), FSI_E_NOT_DIR);
    fsi_node_unref(f);
    fsi_image_free(img);
}

static void many_children(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *root = fsi_image_root(img);
    char nm[32];
    for (int i = 0; i < 50000; i++) {
        snprintf(nm, sizeof nm, "n%d", i);
        mkfile_in(img, root, nm, NULL, 0);
    }
    for (int i = 0; i < 50000; i += 7) {
        snprintf(nm, sizeof nm, "n%d", i);
        fsi_node *n = lookup(root, nm);
        assert_non_null(n);
        size_t l;
        const uint16_t *name = fsi_node_name(n, &l);
        assert_true(u16_eq(name, l, nm));
    }
    assert_null(lookup(root, "n50000"));
    assert_int_equal(fsi_image_file_count(img), 50000);
    fsi_image_free(img);
}

static void deep_tree_free(void **state)
{
    (void)state;
    /* freeing must not recurse: 20000 levels (attach is O(depth), so not more) */
    fsi_image *img = fsi_image_new();
    fsi_node *d = fsi_image_root(img);
    for (int i = 0; i < 20000; i++)
        d = mkdir_in(img, d, "d");
    assert_int_equal(fsi_image_dir_count(img), 20000);
    fsi_image_free(img);
}

static void times_hidden(void **state)
{
    (void)state;
    fsi_node *n = new_file("t", 0);
    fsi_times t = { 1, 2, 3 }, g;
    fsi_node_set_times(n, &t);
    fsi_node_get_times(n, &g);
    assert_int_equal(g.creation, 1);
    assert_int_equal(g.access, 2);
    assert_int_equal(g.modification, 3);
    assert_false(fsi_node_hidden(n));
    fsi_node_set_hidden(n, 5);
    assert_true(fsi_node_hidden(n));
    fsi_node_unref(n);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_validated), cmocka_unit_test(attach_counts_lookup),
        cmocka_unit_test(paths_and_walk),  cmocka_unit_test(detach_and_order),
        cmocka_unit_test(merge),           cmocka_unit_test(merge_refuses_bad_args),
        cmocka_unit_test(many_children),   cmocka_unit_test(deep_tree_free),
        cmocka_unit_test(times_hidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
