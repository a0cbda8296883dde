/* Named streams and real-time flags of file items: names, duplicates, removal, order, clones and
 * the references they hold on their sources. (Their UDF structures: test_udf.c.)
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_util.h"

/* A memory source that counts its destruction. */
typedef struct count_source { fsi_source base; int destroyed; } count_source;
static fsi_status c_open(fsi_source *s, void **h) { *h = s; return FSI_OK; }
static fsi_status c_read(fsi_source *s, void *h, uint64_t off, void *buf, size_t len, size_t *got)
{
    (void)s; (void)h; (void)off;
    memset(buf, 'c', len);
    *got = len;
    return FSI_OK;
}
static void c_close(fsi_source *s, void *h) { (void)s; (void)h; }
static void c_destroy(fsi_source *s) { ((count_source *)s)->destroyed++; }
static const fsi_source_ops count_ops = { c_open, c_read, c_close, c_destroy };

static void count_init(count_source *c)
{
    c->base.ops = &count_ops;
    c->base.refs = 1;
    c->destroyed = 0;
}

static fsi_status add(fsi_node *f, const char *name, uint64_t size, fsi_source *src)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    return fsi_node_add_stream(f, u, l, size, src);
}

static void names_and_duplicates(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *f = mkfile_in(img, r, "f", "x", 1);
    fsi_node *d = mkdir_in(img, r, "d");
    count_source c;
    count_init(&c);
    assert_int_equal(add(f, "one", 3, &c.base), FSI_OK);
    assert_int_equal(add(f, "two", 0, NULL), FSI_OK);
    assert_int_equal(add(f, "One", 0, NULL), FSI_OK);         /* case-sensitive */
    assert_int_equal(add(f, "one", 0, NULL), FSI_E_DUP_NAME);   /* not replaced */
    assert_int_equal(fsi_node_stream_count(f), 3);
    uint64_t size;
    fsi_source *src;
    size_t l;
    const uint16_t *nm = fsi_node_stream(f, 0, &l, &size, &src);
    assert_true(u16_eq(nm, l, "one"));
    assert_int_equal(size, 3);
    assert_ptr_equal(src, &c.base);
    nm = fsi_node_stream(f, 2, &l, NULL, NULL);
    assert_true(u16_eq(nm, l, "One"));
    assert_null(fsi_node_stream(f, 3, &l, NULL, NULL));
    assert_int_equal(fsi_node_find_stream(f, U("two", NULL), 3), 1);
    assert_int_equal(fsi_node_find_stream(f, U("three", NULL), 5), (size_t)-1);
    /* names: empty, separators, ':' (NTFS's stream separator), NUL, reserved "*UDF", too long */
    assert_int_equal(fsi_node_add_stream(f, U("x", NULL), 0, 0, NULL), FSI_E_INVALID_PARAM);
    assert_int_equal(add(f, "a:b", 0, NULL), FSI_E_INVALID_NAME);
    assert_int_equal(add(f, "a/b", 0, NULL), FSI_E_INVALID_NAME);
    assert_int_equal(add(f, "a\\b", 0, NULL), FSI_E_INVALID_NAME);
    const uint16_t nul[3] = { 'a', 0, 'b' };
    assert_int_equal(fsi_node_add_stream(f, nul, 3, 0, NULL), FSI_E_INVALID_NAME);
    assert_int_equal(add(f, "*UDF Macintosh Resource Fork", 0, NULL), FSI_E_INVALID_NAME);
    assert_int_equal(add(f, "*UD", 0, NULL), FSI_OK);
    char longname[300];
    memset(longname, 'n', 254);
    longname[254] = 0;
    assert_int_equal(add(f, longname, 0, NULL), FSI_OK);      /* 255 CS0 bytes */
    longname[254] = 'n';
    longname[255] = 0;
    assert_int_equal(add(f, longname, 0, NULL), FSI_E_INVALID_NAME);
    char wide[400] = "";
    for (int i = 0; i < 128; i++)
        strcat(wide, "中");                                  /* 1 + 256 bytes */
    assert_int_equal(add(f, wide, 0, NULL), FSI_E_INVALID_NAME);
    /* data without a source; a directory */
    assert_int_equal(add(f, "nosrc", 5, NULL), FSI_E_INVALID_PARAM);
    assert_int_equal(add(d, "s", 0, NULL), FSI_E_INVALID_PARAM);
    assert_int_equal(fsi_node_stream_count(d), 0);
    /* removal keeps the order of the others; a missing name */
    assert_int_equal(fsi_node_remove_stream(f, U("two", NULL), 3), FSI_OK);
    assert_int_equal(fsi_node_remove_stream(f, U("two", NULL), 3), FSI_E_NOT_FOUND);
    assert_int_equal(fsi_node_remove_stream(d, U("two", NULL), 3), FSI_E_INVALID_PARAM);
    nm = fsi_node_stream(f, 1, &l, NULL, NULL);
    assert_true(u16_eq(nm, l, "One"));
    /* the stream holds its own reference */
    fsi_source_unref(&c.base);
    assert_int_equal(c.destroyed, 0);
    assert_int_equal(fsi_node_remove_stream(f, U("one", NULL), 3), FSI_OK);
    assert_int_equal(c.destroyed, 1);
    fsi_image_free(img);
}

static void realtime_flag(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *f = mkfile_in(img, r, "f", "x", 1);
    assert_false(fsi_node_realtime(f));
    fsi_node_set_realtime(f, 5);
    assert_true(fsi_node_realtime(f));
    fsi_node_set_realtime(f, 0);
    assert_false(fsi_node_realtime(f));
    fsi_node_set_realtime(r, 1);
    assert_false(fsi_node_realtime(r));
    assert_false(fsi_node_realtime(NULL));
    fsi_image_free(img);
}

/* Clones (change points) copy streams and the flag and share the sources; freeing a tree, or a
 * removed item, releases its streams' sources. */
static void clones_and_release(void **state)
{
    (void)state;
    count_source c;
    count_init(&c);
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *d = mkdir_in(img, r, "d");
    fsi_node *f = mkfile_in(img, d, "f", "x", 1);
    assert_int_equal(add(f, "s", 10, &c.base), FSI_OK);
    assert_int_equal(add(f, "e", 0, NULL), FSI_OK);
    fsi_node_set_realtime(f, 1);
    fsi_source_unref(&c.base);                              /* the tree's reference remains */
    fsi_image *copy = NULL;
    assert_int_equal(fsi_image_clone(img, &copy), FSI_OK);
    fsi_node *cf = NULL;
    assert_int_equal(fsi_dir_walk(fsi_image_root(copy), U("d\\f", NULL), 3, &cf), FSI_OK);
    assert_int_equal(fsi_node_stream_count(cf), 2);
    assert_true(fsi_node_realtime(cf));
    size_t l;
    uint64_t size;
    fsi_source *src;
    const uint16_t *nm = fsi_node_stream(cf, 0, &l, &size, &src);
    assert_true(u16_eq(nm, l, "s"));
    assert_int_equal(size, 10);
    assert_ptr_equal(src, &c.base);
    /* changing the copy leaves the original alone */
    assert_int_equal(fsi_node_remove_stream(cf, U("e", NULL), 1), FSI_OK);
    assert_int_equal(fsi_node_stream_count(f), 2);
    fsi_image_free(img);
    assert_int_equal(c.destroyed, 0);                       /* the copy still has it */
    fsi_node *keep = cf;
    fsi_node_ref(keep);                                     /* a COM item holding a removed file */
    fsi_node_detach(copy, keep);
    fsi_image_free(copy);
    assert_int_equal(c.destroyed, 0);
    assert_int_equal(fsi_node_stream_count(keep), 1);
    fsi_node_unref(keep);
    assert_int_equal(c.destroyed, 1);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_duplicates),
        cmocka_unit_test(realtime_flag),
        cmocka_unit_test(clones_and_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
