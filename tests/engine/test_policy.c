/*
 * The policy module (include/fsi/policy.h): message texts and inserts, status -> HRESULT, the
 * default volume name and SOURCE_DATE_EPOCH, the strict limits, the FreeMediaBlocks check against
 * the exact size, BootOptions' rules, the progress items with their metadata gaps.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test_util.h"
#include "fsi/policy.h"
#include "imapi2fserror.h"

static void to_ascii(const uint16_t *s, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)s[i];
    out[n] = 0;
}

static void test_messages(void **state)
{
    uint16_t out[256];
    char text[256];
    const uint16_t *ins[3] = { u"a\\b.txt", u"UDF", NULL };
    size_t n;
    (void)state;
    for (size_t i = 1; i < fsi_error_table_count; i++)
        assert_true((uint32_t)fsi_error_table[i - 1].hr < (uint32_t)fsi_error_table[i].hr);
    assert_non_null(fsi_error_lookup(IMAPI_E_DUP_NAME));
    assert_null(fsi_error_lookup(0x12345678));
    n = fsi_message_format(IMAPI_E_NO_UNIQUE_NAME, ins, out, 256);
    to_ascii(out, n, text);
    assert_string_equal(text, "Attempt to add 'a\\b.txt' failed:  cannot create a file-system-specific unique name "
                              "for the UDF file system.");
    /* trailing blanks cut; a missing insert is empty */
    n = fsi_message_format(IMAPI_E_DATA_STREAM_INCONSISTENCY, NULL, out, 256);
    to_ascii(out, n, text);
    assert_string_equal(text, "Data stream supplied for file '' is inconsistent:  expected  bytes, found .");
    n = fsi_message_format((int32_t)0x8007000E, NULL, out, 256);
    assert_true(n > 0);
    assert_int_equal(fsi_message_format(0x12345678, NULL, out, 256), 0);
    /* cut to the buffer, terminated */
    assert_int_equal(fsi_message_format(IMAPI_E_EMPTY_DISC, NULL, out, 6), 5);
    assert_int_equal(out[5], 0);
}

static void test_engine_errors(void **state)
{
    fsi_err e;
    fsi_error_inserts ins;
    char text[64];
    (void)state;
    memset(&e, 0, sizeof e);
    assert_int_equal(fsi_hresult_from_status(FSI_OK), 0);
    assert_int_equal(fsi_hresult_from_status(FSI_E_DUP_NAME), IMAPI_E_DUP_NAME);
    assert_int_equal(fsi_hresult_from_status(FSI_E_CORRUPT), IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR);
    e.code = FSI_E_INCONSISTENT;
    e.path_len = 2;
    e.path[0] = '\\';
    e.path[1] = 'f';
    e.expected = 18446744073709551615ull;
    e.found = 0;
    assert_int_equal(fsi_policy_engine_error(&e, &ins), IMAPI_E_DATA_STREAM_INCONSISTENCY);
    to_ascii(ins.ins[0], 2, text);
    assert_string_equal(text, "\\f");
    to_ascii(ins.ins[1], 20, text);
    assert_string_equal(text, "18446744073709551615");
    assert_int_equal(ins.ins[2][0], '0');
    assert_int_equal(ins.ins[2][1], 0);
    e.code = FSI_E_DATA_TOO_BIG;
    e.fs = FSI_FS_ISO9660 | FSI_FS_JOLIET;
    assert_int_equal(fsi_policy_engine_error(&e, &ins), IMAPI_E_DATA_TOO_BIG);
    assert_memory_equal(ins.ins[0], u"ISO9660/Joliet", 15 * 2);
}

static void test_volume_name(void **state)
{
    static const struct { int64_t unix_time; const char *name; } cases[] = {
        { 0, "19700101_000000" }, { 951782400, "20000229_000000" }, { 1709214330, "20240229_134530" },
        { 4102444799, "20991231_235959" }, { 253402300799, "99991231_235959" },
    };
    uint16_t out[16];
    char text[16];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(fsi_policy_default_volume_name(fsi_time_from_unix(cases[i].unix_time, 0), out), 15);
        assert_int_equal(out[15], 0);
        to_ascii(out, 15, text);
        assert_string_equal(text, cases[i].name);
    }
    setenv("SOURCE_DATE_EPOCH", "1709214330", 1);
    assert_true(fsi_policy_creation_time(42) == fsi_time_from_unix(1709214330, 0));
    setenv("SOURCE_DATE_EPOCH", "-5", 1);
    assert_true(fsi_policy_creation_time(42) == 42);
    setenv("SOURCE_DATE_EPOCH", "12x", 1);
    assert_true(fsi_policy_creation_time(42) == 42);
    unsetenv("SOURCE_DATE_EPOCH");
    assert_true(fsi_policy_creation_time(42) == 42);
    assert_true(fsi_policy_volume_name_ok(u"ABC", 3));
    assert_false(fsi_policy_volume_name_ok(u"A\tB", 3));
    assert_true(fsi_policy_volume_name_ok(u"0123456789012345678901234567890X", 32));
    assert_false(fsi_policy_volume_name_ok(u"0123456789012345678901234567890XY", 33));
}

static void test_strict(void **state)
{
    fsi_image *img = fsi_image_new();
    fsi_node *top = NULL, *d;
    const uint16_t *insert;
    (void)state;
    assert_int_equal(fsi_node_new_dir(u"x", 1, &top), FSI_OK);
    d = top;
    for (int i = 0; i < 7; i++)                     /* 7 levels below the root: 8 in all */
        d = mkdir_in(NULL, d, "d");
    assert_int_equal(fsi_policy_check_strict(img, FSI_FS_ISO9660, 1, fsi_image_root(img), top, 0, &insert), 0);
    mkdir_in(NULL, d, "e");                         /* 9 levels */
    assert_int_equal(fsi_policy_check_strict(img, FSI_FS_ISO9660, 1, fsi_image_root(img), top, 0, &insert),
                     IMAPI_E_ISO9660_LEVELS);
    assert_int_equal(fsi_policy_check_strict(img, FSI_FS_UDF, 1, fsi_image_root(img), top, 0, &insert), 0);
    assert_int_equal(fsi_policy_check_strict(img, FSI_FS_ISO9660, 0, fsi_image_root(img), top, 0, &insert), 0);
    fsi_node_unref(top);
    fsi_image_free(img);
}

/* A detached folder of 30 files of about 100 KB (AddTree's walk before the merge). */
static fsi_node *thirty_files(void)
{
    static uint8_t data[100000];
    fsi_node *top = NULL;
    assert_int_equal(fsi_node_new_dir(u"x", 1, &top), FSI_OK);
    for (int i = 0; i < 30; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        mkfile_in(NULL, top, name, data, sizeof data - (size_t)i * 1000);
    }
    return top;
}

static void test_limit(void **state)
{
    fsi_image *img = fsi_image_new();
    fsi_node *top = thirty_files();
    fsi_plan_opts o;
    fsi_plan *plan;
    fsi_err err;
    uint32_t size;
    (void)state;
    memset(&o, 0, sizeof o);
    o.fs = FSI_FS_ISO9660 | FSI_FS_JOLIET;
    o.iso_level = 2;
    o.udf_revision = 0x102;
    assert_int_equal(fsi_dir_merge(img, fsi_image_root(img), top), FSI_OK);
    fsi_node_unref(top);
    assert_int_equal(fsi_plan_build(img, &o, &plan, &err), FSI_OK);
    size = fsi_plan_total_blocks(plan);
    fsi_plan_unref(plan);
    fsi_image_free(img);
    /* the same addition to an empty image: allowed exactly up to its size */
    img = fsi_image_new();
    top = thirty_files();
    assert_int_equal(fsi_policy_check_limit(img, &o, size, fsi_image_root(img), top, 0, &err), 0);
    assert_int_equal(fsi_policy_check_limit(img, &o, size - 1, fsi_image_root(img), top, 0, &err),
                     IMAPI_E_IMAGE_SIZE_LIMIT);
    assert_int_equal(err.code, FSI_OK);
    fsi_node_unref(top);
    fsi_image_free(img);
}

static void test_import_fs(void **state)
{
    (void)state;
    assert_int_equal(fsi_policy_import_fs(FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF), FSI_FS_UDF);
    assert_int_equal(fsi_policy_import_fs(FSI_FS_ISO9660 | FSI_FS_JOLIET), FSI_FS_JOLIET);
    assert_int_equal(fsi_policy_import_fs(FSI_FS_ISO9660), FSI_FS_ISO9660);
    /* GetDefaultFileSystemForImport(FsiFileSystemNone): none, not ISO 9660 */
    assert_int_equal(fsi_policy_import_fs(0), 0);
    assert_int_equal(fsi_policy_import_fs(8), 0);
}

static void test_boot(void **state)
{
    uint8_t mbr[512] = { 0 };
    fsi_boot_entry e;
    (void)state;
    assert_int_equal(fsi_policy_floppy_size(FSI_EMUL_FLOPPY144), 1474560);
    assert_int_equal(fsi_policy_floppy_size(FSI_EMUL_HARD_DISK), 0);
    assert_int_equal(fsi_policy_emulation_for_size(1228800, FSI_EMUL_NONE), FSI_EMUL_FLOPPY12);
    assert_int_equal(fsi_policy_emulation_for_size(2949120, FSI_EMUL_HARD_DISK), FSI_EMUL_FLOPPY288);
    assert_int_equal(fsi_policy_emulation_for_size(4096, FSI_EMUL_HARD_DISK), FSI_EMUL_HARD_DISK);
    assert_true(fsi_policy_platform_ok(FSI_BOOT_EFI));
    assert_false(fsi_policy_platform_ok(3));
    assert_int_equal(fsi_policy_boot_entry(&e, 3, FSI_EMUL_NONE, 4096, mbr, 512), IMAPI_E_INVALID_PARAM);
    assert_int_equal(fsi_policy_boot_entry(&e, FSI_BOOT_X86, 5, 4096, mbr, 512), IMAPI_E_INVALID_PARAM);
    assert_int_equal(fsi_policy_boot_entry(&e, FSI_BOOT_X86, FSI_EMUL_NONE, 0, mbr, 0), IMAPI_E_BOOT_IMAGE_DATA);
    assert_int_equal(fsi_policy_boot_entry(&e, FSI_BOOT_X86, FSI_EMUL_FLOPPY12, 4096, mbr, 512),
                     IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH);
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    mbr[446 + 4] = 0x0C;                            /* the first partition: FAT32 LBA */
    assert_int_equal(fsi_policy_boot_entry(&e, FSI_BOOT_X86, FSI_EMUL_HARD_DISK, 1 << 20, mbr, 512), 0);
    assert_int_equal(e.system_type, 0x0C);
    assert_int_equal(e.sector_count, -1);
    assert_int_equal(e.load_segment, 0);
    assert_null(e.src);
}

typedef struct items { uint32_t first[16], count[16]; int meta[16]; int n; } items;

static int take_item(void *ctx, uint32_t first, uint32_t count, const uint16_t *desc, size_t len)
{
    items *it = ctx;
    assert_true(it->n < 16);
    it->first[it->n] = first;
    it->count[it->n] = count;
    it->meta[it->n++] = len == FSI_POLICY_METADATA_DESC_LEN &&
                        !memcmp(desc, fsi_policy_metadata_desc, len * sizeof *desc);
    return 0;
}

static void test_progress_items(void **state)
{
    static uint8_t data[5000];
    fsi_image *img = fsi_image_new();
    fsi_plan_opts o;
    fsi_plan *plan;
    fsi_err err;
    items it = { 0 };
    uint32_t next = 0;
    (void)state;
    mkfile_in(img, fsi_image_root(img), "a", data, sizeof data);
    mkfile_in(img, fsi_image_root(img), "empty", data, 0);
    mkfile_in(img, fsi_image_root(img), "b", data, 10);
    memset(&o, 0, sizeof o);
    o.fs = FSI_FS_ISO9660;
    o.iso_level = 2;
    o.udf_revision = 0x102;
    assert_int_equal(fsi_plan_build(img, &o, &plan, &err), FSI_OK);
    assert_int_equal(fsi_policy_progress_items(plan, 0, take_item, &it), 0);
    /* metadata, a (3 blocks), b (1 block), then metadata to the end if any: contiguous from 0 */
    assert_true(it.n >= 3);
    assert_true(it.meta[0]);
    assert_int_equal(it.meta[1] + it.meta[2], 0);
    assert_int_equal(it.count[1], 3);
    assert_int_equal(it.count[2], 1);
    for (int i = 0; i < it.n; i++) {
        assert_int_equal(it.first[i], next);
        next += it.count[i];
    }
    assert_int_equal(next, fsi_plan_total_blocks(plan));
    fsi_plan_unref(plan);
    fsi_image_free(img);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages),      cmocka_unit_test(test_engine_errors),
        cmocka_unit_test(test_volume_name),   cmocka_unit_test(test_strict),
        cmocka_unit_test(test_limit),         cmocka_unit_test(test_boot),
        cmocka_unit_test(test_progress_items), cmocka_unit_test(test_import_fs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
