/*
 * El Torito: boot record, catalog (validation entry, default entry, sections), load sizes, system
 * type, boot image placement, with ISO 9660 + Joliet, UDF alone and bridged, 1, 2 and 32 entries.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test_util.h"

static uint8_t g_bios[2048], g_efi[1474560], g_big[100000];   /* 32 entries: up to 97,000 bytes */

static void fill(void)
{
    for (size_t i = 0; i < sizeof g_bios; i++)
        g_bios[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof g_efi; i++)
        g_efi[i] = (uint8_t)(i * 13 + 5);
    for (size_t i = 0; i < sizeof g_big; i++)
        g_big[i] = (uint8_t)(i * 3 + 2);
}

static fsi_boot_entry entry(unsigned platform, const void *data, size_t size, const char *id)
{
    fsi_boot_entry e = { 0 };
    e.platform = platform;
    e.emulation = FSI_EMUL_NONE;
    e.sector_count = -1;
    e.src = fsi_source_new_memory(data, size);
    e.size = size;
    e.id = id;
    assert_non_null(e.src);
    return e;
}

static void drop(fsi_boot_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fsi_source_unref(e[i].src);
}

static fsi_plan_opts opts(unsigned fs, const fsi_boot_entry *e, size_t n)
{
    static uint16_t vol[32];
    size_t l;
    const uint16_t *u = U("Boot Test", &l);
    memcpy(vol, u, l * 2);
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = 2;
    o.udf_revision = 0x102;
    o.udf_redundant_metadata = 1;
    o.volume_name = vol;
    o.volume_name_len = l;
    o.creation_time = fsi_time_from_unix(1709214330, 0);
    o.boot = e;
    o.boot_count = n;
    return o;
}

static fsi_image *small_tree(void)
{
    fsi_image *img = fsi_image_new();
    assert_non_null(img);
    fsi_node *r = fsi_image_root(img);
    mkfile_in(img, r, "readme.txt", "hello\n", 6);
    fsi_node *d = mkdir_in(img, r, "sub");
    mkfile_in(img, d, "data.bin", g_big, 5000);
    return img;
}

static void load(fsi_image *img, const fsi_plan_opts *o, iso_img *im, fsi_plan **pp)
{
    fsi_plan *p = NULL;
    fsi_err err;
    assert_int_equal(fsi_plan_build(img, o, &p, &err), FSI_OK);
    memset(im, 0, sizeof *im);
    im->ss = o->session_start;
    iso_load(p, im);
    if (pp)
        *pp = p;
    else
        fsi_plan_unref(p);
}

static const uint8_t *blk(const iso_img *im, uint32_t rel) { return im->b + (uint64_t)rel * FSI_BLOCK_SIZE; }

/* Boot record at relative block 17: returns the (absolute) catalog address. */
static uint32_t check_brvd(const iso_img *im)
{
    const uint8_t *b = blk(im, 17);
    assert_int_equal(b[0], 0);
    assert_memory_equal(b + 1, "CD001", 5);
    assert_int_equal(b[6], 1);
    assert_memory_equal(b + 7, "EL TORITO SPECIFICATION", 23);
    for (int i = 7 + 23; i < 0x47; i++)
        assert_int_equal(b[i], 0);
    for (int i = 0x4B; i < (int)FSI_BLOCK_SIZE; i++)
        assert_int_equal(b[i], 0);
    return rd_le32(b + 0x47);
}

/* The validation entry: header 1, platform, ID, words summing to 0, key bytes. */
static void check_validation(const uint8_t *c, unsigned platform, const char *id)
{
    assert_int_equal(c[0], 1);
    assert_int_equal(c[1], platform);
    assert_int_equal(c[2] | c[3], 0);
    char got[25] = { 0 };
    memcpy(got, c + 4, 24);
    assert_string_equal(got, id ? id : "");
    uint16_t sum = 0;
    for (int i = 0; i < 32; i += 2)
        sum = (uint16_t)(sum + rd_le16(c + i));
    assert_int_equal(sum, 0);
    assert_int_equal(c[30], 0x55);
    assert_int_equal(c[31], 0xAA);
}

static void check_entry(const uint8_t *e, unsigned media, uint16_t count, uint32_t lba, uint8_t systype)
{
    assert_int_equal(e[0], 0x88);
    assert_int_equal(e[1], media);
    assert_int_equal(rd_le16(e + 2), 0);
    assert_int_equal(e[4], systype);
    assert_int_equal(e[5], 0);
    assert_int_equal(rd_le16(e + 6), count);
    assert_int_equal(rd_le32(e + 8), lba);
    for (int i = 12; i < 32; i++)
        assert_int_equal(e[i], 0);
}

/* ---- without boot entries nothing moves -------------------------------------------------------- */

static void not_bootable(void **state)
{
    (void)state;
    fill();
    fsi_image *img = small_tree();
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, NULL, 0);
    iso_img im;
    load(img, &o, &im, NULL);
    assert_int_equal(blk(&im, 17)[0], 2);          /* the Joliet SVD */
    assert_int_equal(blk(&im, 18)[0], 255);
    free(im.b);
    fsi_image_free(img);
}

/* ---- one entry, ISO 9660 + Joliet ---------------------------------------------------------------- */

static void one_entry(void **state)
{
    (void)state;
    fill();
    fsi_image *img = small_tree();
    fsi_boot_entry e[1] = { entry(FSI_BOOT_X86, g_bios, sizeof g_bios, "Microsoft") };
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, e, 1);
    iso_img im;
    fsi_plan *p;
    load(img, &o, &im, &p);
    drop(e, 1);                                     /* the plan holds its own references */
    assert_int_equal(blk(&im, 16)[0], 1);
    uint32_t cat = check_brvd(&im);
    assert_int_equal(blk(&im, 18)[0], 2);          /* Joliet moves to 18 */
    assert_int_equal(blk(&im, 19)[0], 255);
    assert_int_equal(cat, 20);                      /* right after the set terminator */
    const uint8_t *c = blk(&im, cat);
    check_validation(c, FSI_BOOT_X86, "Microsoft");
    uint32_t lba = rd_le32(c + 32 + 8);
    check_entry(c + 32, FSI_EMUL_NONE, 4, lba, 0);
    for (int i = 64; i < (int)FSI_BLOCK_SIZE; i++)
        assert_int_equal(c[i], 0);
    /* the image: first in the data, its bytes, then zeros to the block end */
    assert_memory_equal(blk(&im, lba), g_bios, sizeof g_bios);
    const fsi_extent_info *x = fsi_plan_extent(p, 1);
    assert_int_equal(x->first_block, lba);
    assert_int_equal(x->block_count, 1);
    assert_true(x->is_file);
    assert_true(u16_eq(x->path, x->path_len, "El Torito boot image"));
    /* the trees hold the files only, readable as before */
    iso_rec r;
    for (int j = 0; j <= 1; j++) {
        uint32_t rl, rs;
        iso_root(&im, j, &rl, &rs);
        static iso_rec recs[16];
        assert_int_equal(iso_list(&im, rl, rs, recs, 16), 4);    /* ., .., README.TXT, SUB */
        assert_true(iso_find(&im, j, j ? "sub/data.bin;1" : "SUB/DATA.BIN;1", &r));
        assert_int_equal(r.size, 5000);
        assert_true(r.lba > lba);
        assert_memory_equal(blk(&im, r.lba), g_big, 5000);
    }
    fsi_plan_unref(p);
    free(im.b);
    fsi_image_free(img);
}

/* ---- BIOS + UEFI with UDF alone and bridged ------------------------------------------------------ */

static void check_two(const iso_img *im, uint32_t cat)
{
    const uint8_t *c = blk(im, cat);
    check_validation(c, FSI_BOOT_X86, "Microsoft");
    uint32_t l0 = rd_le32(c + 32 + 8), l1 = rd_le32(c + 96 + 8);
    check_entry(c + 32, FSI_EMUL_NONE, 4, l0, 0);
    assert_int_equal(c[64], 0x91);
    assert_int_equal(c[65], FSI_BOOT_EFI);
    assert_int_equal(rd_le16(c + 66), 1);
    assert_memory_equal(c + 68, "Microsoft\0", 10);
    check_entry(c + 96, FSI_EMUL_NONE, 2880, l1, 0);
    assert_int_equal(l1, l0 + 1);
    assert_memory_equal(blk(im, l0), g_bios, sizeof g_bios);
    assert_memory_equal(blk(im, l1), g_efi, sizeof g_efi);
}

static int read_im(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    const iso_img *im = ctx;
    if ((lba + count) * FSI_BLOCK_SIZE > im->size)
        return 1;
    memcpy(buf, im->b + lba * FSI_BLOCK_SIZE, (size_t)count * FSI_BLOCK_SIZE);
    return 0;
}

static void bios_uefi_udf(void **state)
{
    (void)state;
    fill();
    fsi_image *img = small_tree();
    fsi_boot_entry e[2] = { entry(FSI_BOOT_X86, g_bios, sizeof g_bios, "Microsoft"),
                            entry(FSI_BOOT_EFI, g_efi, sizeof g_efi, "Microsoft") };
    iso_img im;

    /* UDF alone: PVD with an empty root, boot record, terminator, BEA01 NSR02 TEA01, catalog at 22 */
    fsi_plan_opts o = opts(FSI_FS_UDF, e, 2);
    load(img, &o, &im, NULL);
    const uint8_t *pvd = blk(&im, 16);
    assert_int_equal(pvd[0], 1);
    assert_int_equal(rd_both32(pvd + 80), im.size / FSI_BLOCK_SIZE);     /* volume space */
    assert_int_equal(check_brvd(&im), 22);
    assert_int_equal(blk(&im, 18)[0], 255);
    assert_memory_equal(blk(&im, 19) + 1, "BEA01", 5);
    assert_memory_equal(blk(&im, 20) + 1, "NSR02", 5);
    assert_memory_equal(blk(&im, 21) + 1, "TEA01", 5);
    check_two(&im, 22);
    uint32_t rl, rs;
    iso_root(&im, 0, &rl, &rs);
    assert_int_equal(rl, 25);
    static iso_rec recs[4];
    assert_int_equal(iso_list(&im, rl, rs, recs, 4), 2);                /* . and .. only */
    assert_int_equal(rd_both32(pvd + 132), 10);                         /* path table: the root */
    assert_int_equal(rd_le32(pvd + 140), 23);
    assert_int_equal(rd_be32(pvd + 148), 24);
    assert_int_equal(rd_le32(blk(&im, 23) + 2), 25);
    assert_int_equal(rd_be32(blk(&im, 24) + 2), 25);
    assert_int_equal(fsi_identify(read_im, &im, im.size / FSI_BLOCK_SIZE), FSI_FS_ISO9660 | FSI_FS_UDF);
    free(im.b);

    /* bridged: PVD, boot record, SVD, terminator, BEA01 at 20, catalog at 23 */
    o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF, e, 2);
    load(img, &o, &im, NULL);
    assert_int_equal(check_brvd(&im), 23);
    assert_int_equal(blk(&im, 18)[0], 2);
    assert_int_equal(blk(&im, 19)[0], 255);
    assert_memory_equal(blk(&im, 20) + 1, "BEA01", 5);
    check_two(&im, 23);
    iso_rec r;
    assert_true(iso_find(&im, 1, "readme.txt;1", &r));
    assert_memory_equal(blk(&im, r.lba), "hello\n", 6);
    assert_int_equal(fsi_identify(read_im, &im, im.size / FSI_BLOCK_SIZE),
                     FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF);
    free(im.b);

    /* UDF 2.50 alone (metadata partition) */
    o = opts(FSI_FS_UDF, e, 2);
    o.udf_revision = 0x250;
    load(img, &o, &im, NULL);
    assert_int_equal(check_brvd(&im), 22);
    assert_memory_equal(blk(&im, 20) + 1, "NSR03", 5);
    check_two(&im, 22);
    free(im.b);
    drop(e, 2);
    fsi_image_free(img);
}

/* ---- 32 entries ---------------------------------------------------------------------------------- */

static void thirty_two(void **state)
{
    (void)state;
    fill();
    fsi_image *img = small_tree();
    fsi_boot_entry e[FSI_BOOT_MAX + 1];
    static char ids[FSI_BOOT_MAX + 1][8];
    for (size_t i = 0; i <= FSI_BOOT_MAX; i++) {
        snprintf(ids[i], sizeof ids[i], "E%zu", i);
        e[i] = entry(i % 2 ? FSI_BOOT_EFI : FSI_BOOT_X86, g_big, 1000 + 3000 * i, ids[i]);
    }
    /* every further entry a section of its own: 2 + 31 * 2 records, one full block */
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, e, FSI_BOOT_MAX);
    iso_img im;
    load(img, &o, &im, NULL);
    uint32_t cat = check_brvd(&im);
    const uint8_t *c = blk(&im, cat);
    check_validation(c, FSI_BOOT_X86, "E0");
    /* a full block of records: a second, empty block follows (the terminating record) */
    for (size_t i = 0; i < FSI_BLOCK_SIZE; i++)
        assert_int_equal(c[FSI_BLOCK_SIZE + i], 0);
    assert_int_equal(rd_le32(blk(&im, 16) + 140), cat + 2);       /* then the path tables */
    uint32_t prev = rd_le32(c + 40);
    check_entry(c + 32, 0, 4, prev, 0);
    for (size_t i = 1; i < FSI_BOOT_MAX; i++) {
        const uint8_t *h = c + 64 * i, *s = h + 32;
        assert_int_equal(h[0], i + 1 == FSI_BOOT_MAX ? 0x91 : 0x90);
        assert_int_equal(h[1], i % 2 ? FSI_BOOT_EFI : FSI_BOOT_X86);
        assert_int_equal(rd_le16(h + 2), 1);
        assert_string_equal((const char *)h + 4, ids[i]);
        uint64_t size = 1000 + 3000 * i;
        uint32_t lba = rd_le32(s + 8);
        check_entry(s, 0, fsi_boot_sector_count(h[1], 0, size), lba, 0);
        assert_int_equal(lba, prev + (1000 + 3000 * (i - 1) + 2047) / 2048);    /* in order, packed */
        assert_memory_equal(blk(&im, lba), g_big, (size_t)size);
        prev = lba;
    }
    free(im.b);

    /* UDF alone with the two-block catalog: the stub tree after it, before the VDS at 32 */
    fsi_plan_opts ou = opts(FSI_FS_UDF, e, FSI_BOOT_MAX);
    load(img, &ou, &im, NULL);
    assert_int_equal(check_brvd(&im), 22);
    uint32_t rl, rs;
    iso_root(&im, 0, &rl, &rs);
    assert_int_equal(rl, 26);
    assert_int_equal(fsi_identify(read_im, &im, im.size / FSI_BLOCK_SIZE), FSI_FS_ISO9660 | FSI_FS_UDF);
    free(im.b);

    /* consecutive entries of one platform and ID share a section */
    for (size_t i = 0; i < FSI_BOOT_MAX; i++) {
        e[i].platform = i < 10 ? FSI_BOOT_X86 : FSI_BOOT_EFI;
        e[i].id = "same";
    }
    load(img, &o, &im, NULL);
    cat = check_brvd(&im);
    c = blk(&im, cat);
    assert_int_equal(rd_le32(blk(&im, 16) + 140), cat + 1);       /* one block */
    assert_int_equal(c[64], 0x90);
    assert_int_equal(c[65], FSI_BOOT_X86);
    assert_int_equal(rd_le16(c + 66), 9);
    const uint8_t *h = c + 64 + 32 * 10;
    assert_int_equal(h[0], 0x91);
    assert_int_equal(h[1], FSI_BOOT_EFI);
    assert_int_equal(rd_le16(h + 2), 22);
    assert_int_equal(h[32], 0x88);
    for (size_t i = (size_t)(h - c) + 32 * 23; i < FSI_BLOCK_SIZE; i++)
        assert_int_equal(c[i], 0);
    free(im.b);

    /* 33 is one too many */
    fsi_plan *p = NULL;
    fsi_err err;
    o.boot_count = FSI_BOOT_MAX + 1;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    assert_null(p);
    drop(e, FSI_BOOT_MAX + 1);
    fsi_image_free(img);
}

/* ---- load sizes, system type, emulation ---------------------------------------------------------- */

static void sector_counts(void **state)
{
    (void)state;
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_X86, FSI_EMUL_NONE, 1), 4);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_X86, FSI_EMUL_NONE, 2048), 4);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_X86, FSI_EMUL_NONE, 4096), 8);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_X86, FSI_EMUL_NONE, 65536), 128);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_X86, FSI_EMUL_NONE, 65537), 4);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_MAC, FSI_EMUL_NONE, 40000), 80);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_EFI, FSI_EMUL_NONE, 1474560), 2880);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_EFI, FSI_EMUL_NONE, 10000), 20);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_EFI, FSI_EMUL_NONE, 65535u * 512), 65535);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_EFI, FSI_EMUL_NONE, 65535u * 512 + 1), 0);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_X86, FSI_EMUL_FLOPPY144, 1474560), 1);
    assert_int_equal(fsi_boot_sector_count(FSI_BOOT_X86, FSI_EMUL_HARD_DISK, 10 << 20), 1);
}

static void hard_disk_and_floppy(void **state)
{
    (void)state;
    fill();
    static uint8_t hd[65536], fl[1228800];
    memset(hd, 0, sizeof hd);
    assert_int_equal(fsi_boot_system_type(hd, sizeof hd), 0);          /* no signature */
    hd[510] = 0x55;
    hd[511] = 0xAA;
    assert_int_equal(fsi_boot_system_type(hd, sizeof hd), 0);          /* no partition */
    hd[446 + 16 + 4] = 0x0C;                                            /* second entry: FAT32 LBA */
    assert_int_equal(fsi_boot_system_type(hd, sizeof hd), 0x0C);
    hd[446 + 4] = 0x06;
    assert_int_equal(fsi_boot_system_type(hd, sizeof hd), 0x06);
    assert_int_equal(fsi_boot_system_type(hd, 511), 0);
    assert_int_equal(fsi_boot_system_type(NULL, 512), 0);

    fsi_image *img = small_tree();
    fsi_boot_entry e[3] = { entry(FSI_BOOT_X86, hd, sizeof hd, NULL), entry(FSI_BOOT_X86, fl, sizeof fl, NULL),
                            entry(FSI_BOOT_POWERPC, g_bios, sizeof g_bios, "ppc") };
    e[0].emulation = FSI_EMUL_HARD_DISK;
    e[0].system_type = fsi_boot_system_type(hd, sizeof hd);
    e[1].emulation = FSI_EMUL_FLOPPY12;
    e[2].load_segment = 0x1000;
    e[2].sector_count = 1234;
    fsi_plan_opts o = opts(FSI_FS_ISO9660, e, 3);
    o.session_start = 500;                      /* addresses are absolute */
    iso_img im;
    load(img, &o, &im, NULL);
    uint32_t cat = check_brvd(&im);
    assert_int_equal(cat, 500 + 19);            /* PVD, boot record, terminator */
    const uint8_t *c = blk(&im, cat - 500);
    check_validation(c, FSI_BOOT_X86, NULL);
    uint32_t l0 = rd_le32(c + 40);
    check_entry(c + 32, FSI_EMUL_HARD_DISK, 1, l0, 0x06);
    assert_int_equal(c[64], 0x90);
    assert_int_equal(rd_le16(c + 66), 1);
    check_entry(c + 96, FSI_EMUL_FLOPPY12, 1, l0 + 32, 0);
    assert_int_equal(c[128], 0x91);
    assert_int_equal(c[129], FSI_BOOT_POWERPC);
    uint32_t l2 = rd_le32(c + 160 + 8);
    assert_int_equal(l2, l0 + 32 + 600);
    assert_int_equal(rd_le16(c + 160 + 2), 0x1000);
    assert_int_equal(rd_le16(c + 160 + 6), 1234);
    assert_memory_equal(blk(&im, l0 - 500), hd, 1024);
    free(im.b);
    drop(e, 3);
    fsi_image_free(img);
}

static void invalid_entries(void **state)
{
    (void)state;
    fill();
    fsi_image *img = small_tree();
    fsi_plan *p = NULL;
    fsi_err err;
    fsi_boot_entry e = entry(FSI_BOOT_X86, g_bios, sizeof g_bios, NULL);
    fsi_plan_opts o = opts(FSI_FS_ISO9660 | FSI_FS_JOLIET, &e, 1);
    fsi_boot_entry bad;

    bad = e; bad.emulation = FSI_EMUL_FLOPPY144;       /* not a floppy's size */
    o.boot = &bad;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    bad = e; bad.emulation = 5;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    bad = e; bad.platform = 3;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    bad = e; bad.size = 0;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    bad = e; bad.src = NULL;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    bad = e; bad.id = "1234567890123456789012345";        /* 25 bytes */
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    bad = e; bad.sector_count = 65536;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    o.boot = NULL;                                          /* a count without entries */
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_INVALID_PARAM);
    assert_null(p);
    bad = e; bad.id = "123456789012345678901234";         /* 24 bytes: fine */
    o.boot = &bad;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_OK);
    fsi_plan_unref(p);
    drop(&e, 1);
    fsi_image_free(img);
}

/* A boot image whose source fails: the read fails naming the boot image. */
static void failing_source(void **state)
{
    (void)state;
    fill();
    fsi_image *img = small_tree();
    fsi_boot_entry e = entry(FSI_BOOT_X86, g_bios, sizeof g_bios, NULL);
    e.size = sizeof g_bios + 10;                            /* the source is shorter */
    fsi_plan_opts o = opts(FSI_FS_ISO9660, &e, 1);
    fsi_plan *p = NULL;
    fsi_err err;
    assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_OK);
    fsi_cursor *c = fsi_cursor_new(p);
    uint64_t size = (uint64_t)fsi_plan_total_blocks(p) * FSI_BLOCK_SIZE;
    uint8_t *buf = malloc(size);
    assert_int_equal(fsi_cursor_read(c, 0, buf, size, &err), FSI_E_INCONSISTENT);
    assert_true(u16_eq(err.path, err.path_len, "El Torito boot image"));
    free(buf);
    fsi_cursor_free(c);
    fsi_plan_unref(p);
    drop(&e, 1);
    fsi_image_free(img);
}

/* fsi_source_new_memory_owned: reads as the memory source, frees the buffer with itself (the DLL's
 * copies of boot images; a leak or double free shows under the sanitizers and valgrind). */
static void owned_source(void **state)
{
    uint8_t *data = malloc(3000), buf[4096];
    fsi_source *src;
    void *h = NULL;
    size_t got = 0;
    (void)state;
    assert_non_null(data);
    memset(data, 0x5A, 3000);
    src = fsi_source_new_memory_owned(data, 3000);
    assert_non_null(src);
    fsi_source_ref(src);
    assert_int_equal(src->ops->open(src, &h), FSI_OK);
    assert_int_equal(src->ops->read(src, h, 2048, buf, sizeof buf, &got), FSI_OK);
    assert_int_equal(got, 952);
    assert_int_equal(buf[951], 0x5A);
    src->ops->close(src, h);
    fsi_source_unref(src);
    fsi_source_unref(src);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_bootable),
        cmocka_unit_test(one_entry),
        cmocka_unit_test(bios_uefi_udf),
        cmocka_unit_test(thirty_two),
        cmocka_unit_test(sector_counts),
        cmocka_unit_test(hard_disk_and_floppy),
        cmocka_unit_test(invalid_entries),
        cmocka_unit_test(failing_source),
        cmocka_unit_test(owned_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
