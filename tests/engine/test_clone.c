/* fsi_image_clone: a deep copy for change points; changes to either tree leave the other alone. */
#include "test_util.h"

static fsi_node *find(fsi_node *dir, const char *name)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    return fsi_dir_lookup(dir, u, l);
}

static void clone_is_deep(void **state)
{
    (void)state;
    static const char data[] = "payload";
    fsi_image *img = fsi_image_new(), *copy = NULL;
    fsi_node *root = fsi_image_root(img);
    fsi_node *d = mkdir_in(img, root, "dir");
    fsi_node *sub = mkdir_in(img, d, "sub");
    fsi_node *f = mkfile_in(img, sub, "file.txt", data, sizeof(data));
    fsi_times t = { 111, 222, 333 };
    fsi_node_set_times(f, &t);
    fsi_node_set_hidden(f, 1);
    mkfile_in(img, root, "empty", NULL, 0);

    assert_int_equal(fsi_image_clone(img, &copy), FSI_OK);
    assert_int_equal(fsi_image_file_count(copy), 2);
    assert_int_equal(fsi_image_dir_count(copy), 2);

    fsi_node *cf = find(find(find(fsi_image_root(copy), "dir"), "sub"), "file.txt");
    assert_non_null(cf);
    assert_ptr_not_equal(cf, f);
    assert_int_equal(fsi_node_size(cf), sizeof(data));
    assert_ptr_equal(fsi_node_source(cf), fsi_node_source(f));   /* data shared */
    assert_true(fsi_node_hidden(cf));
    fsi_times ct;
    fsi_node_get_times(cf, &ct);
    assert_int_equal(ct.creation, 111);
    assert_int_equal(ct.access, 222);
    assert_int_equal(ct.modification, 333);

    /* Changing the original leaves the copy as it was, and the other way round. */
    fsi_node_detach(img, d);
    mkdir_in(img, root, "later");
    assert_int_equal(fsi_image_file_count(img), 1);
    assert_int_equal(fsi_image_file_count(copy), 2);
    assert_null(find(fsi_image_root(copy), "later"));
    assert_non_null(find(fsi_image_root(copy), "dir"));
    fsi_node_detach(copy, find(fsi_image_root(copy), "empty"));
    assert_non_null(find(root, "empty"));

    fsi_image_free(img);
    /* The shared source outlives the original tree. */
    assert_int_equal(fsi_node_size(cf), sizeof(data));
    fsi_image_free(copy);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clone_is_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
