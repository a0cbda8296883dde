/* fsi_identify: the file systems of images the engine wrote, of damaged ones and of non-images. */
#include "test_util.h"

typedef struct mem { const uint8_t *data; uint64_t blocks; } mem;

static int mem_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    mem *m = ctx;
    if (lba + count > m->blocks)
        return -1;
    memcpy(buf, m->data + lba * FSI_BLOCK_SIZE, (size_t)count * FSI_BLOCK_SIZE);
    return 0;
}

/* An image of a small tree with the given file systems, in memory. */
static uint8_t *build(unsigned fs, int udf_rev, uint64_t *blocks)
{
    static const char data[] = "hello";
    fsi_image *img = fsi_image_new();
    fsi_node *d = mkdir_in(img, fsi_image_root(img), "dir");
    mkfile_in(img, d, "a.txt", data, sizeof(data));
    fsi_plan_opts o = { .fs = fs, .iso_level = 2, .udf_revision = udf_rev, .udf_redundant_metadata = 1 };
    fsi_plan *plan;
    fsi_err err;
    assert_int_equal(fsi_plan_build(img, &o, &plan, &err), FSI_OK);
    *blocks = fsi_plan_total_blocks(plan);
    uint8_t *buf = malloc(*blocks * FSI_BLOCK_SIZE);
    fsi_cursor *c = fsi_cursor_new(plan);
    assert_int_equal(fsi_cursor_read(c, 0, buf, *blocks * FSI_BLOCK_SIZE, &err), FSI_OK);
    fsi_cursor_free(c);
    fsi_plan_unref(plan);
    fsi_image_free(img);
    return buf;
}

static unsigned identify(const uint8_t *data, uint64_t blocks)
{
    mem m = { data, blocks };
    return fsi_identify(mem_read, &m, blocks);
}

static void written_images(void **state)
{
    (void)state;
    static const struct { unsigned fs; int rev; } cases[] = {
        { FSI_FS_ISO9660, 0 }, { FSI_FS_ISO9660 | FSI_FS_JOLIET, 0 }, { FSI_FS_UDF, 0x102 },
        { FSI_FS_UDF, 0x250 }, { FSI_FS_UDF, 0x260 }, { FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF, 0x201 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t n;
        uint8_t *img = build(cases[i].fs, cases[i].rev ? cases[i].rev : 0x102, &n);
        assert_int_equal(identify(img, n), cases[i].fs);
        free(img);
    }
}

static void damaged_and_foreign(void **state)
{
    (void)state;
    uint64_t n;
    uint8_t *img = build(FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF, 0x250, &n);

    /* Truncated before the anchor: the UDF part is not confirmed; every read stays in bounds. */
    assert_int_equal(identify(img, 200), FSI_FS_ISO9660 | FSI_FS_JOLIET);
    /* Truncated inside the descriptors. */
    assert_int_equal(identify(img, 17), FSI_FS_ISO9660);
    assert_int_equal(identify(img, 16), 0);
    /* A bad AVDP checksum: no UDF. */
    uint8_t *copy = malloc(n * FSI_BLOCK_SIZE);
    memcpy(copy, img, n * FSI_BLOCK_SIZE);
    copy[256 * FSI_BLOCK_SIZE + 4] ^= 0xFF;
    copy[(n - 1) * FSI_BLOCK_SIZE + 4] ^= 0xFF;
    if (n > 257)
        copy[(n - 257) * FSI_BLOCK_SIZE + 4] ^= 0xFF;
    assert_int_equal(identify(copy, n) & FSI_FS_UDF, 0);
    /* Zeros: nothing; a recognition area of unknown descriptors only: unknown. */
    memset(copy, 0, n * FSI_BLOCK_SIZE);
    assert_int_equal(identify(copy, n), 0);
    memcpy(copy + 16 * FSI_BLOCK_SIZE + 1, "BEA01", 5);
    assert_int_equal(identify(copy, n), FSI_FS_UNKNOWN);
    free(copy);
    free(img);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(written_images),
        cmocka_unit_test(damaged_and_foreign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
