/* ECMA-119 structures: byte orders, dates, records, descriptors. SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_util.h"

static void byte_orders(void **state)
{
    (void)state;
    uint8_t b[8];
    fsi_put_both16(b, 0x1234);
    const uint8_t w16[] = { 0x34, 0x12, 0x12, 0x34 };
    assert_memory_equal(b, w16, 4);
    fsi_put_both32(b, 0x12345678);
    const uint8_t w32[] = { 0x78, 0x56, 0x34, 0x12, 0x12, 0x34, 0x56, 0x78 };
    assert_memory_equal(b, w32, 8);
    fsi_put_le32(b, 0xA1B2C3D4);
    const uint8_t l[] = { 0xD4, 0xC3, 0xB2, 0xA1 };
    assert_memory_equal(b, l, 4);
    fsi_put_be32(b, 0xA1B2C3D4);
    const uint8_t m[] = { 0xA1, 0xB2, 0xC3, 0xD4 };
    assert_memory_equal(b, m, 4);
    fsi_put_le16(b, 0xBEEF);
    assert_int_equal(b[0], 0xEF);
    assert_int_equal(b[1], 0xBE);
    fsi_put_be16(b, 0xBEEF);
    assert_int_equal(b[0], 0xBE);
    assert_int_equal(b[1], 0xEF);
}

static void dates(void **state)
{
    (void)state;
    /* 2024-02-29 13:45:30.57 UTC */
    fsi_time t = fsi_time_from_unix(1709214330, 570000000);
    uint8_t d7[7];
    fsi_put_date7(d7, t);
    const uint8_t w7[] = { 124, 2, 29, 13, 45, 30, 0 };
    assert_memory_equal(d7, w7, 7);
    uint8_t d17[17];
    fsi_put_date17(d17, t);
    assert_memory_equal(d17, "2024022913453057", 16);
    assert_int_equal(d17[16], 0);
    /* before the Unix epoch */
    fsi_put_date7(d7, fsi_time_from_unix(-86400 - 1, 0));      /* 1969-12-30 23:59:59 */
    const uint8_t w7b[] = { 69, 12, 30, 23, 59, 59, 0 };
    assert_memory_equal(d7, w7b, 7);
    /* 1601 (fsi_time 0) clamps to 1900-01-01 in a directory record */
    fsi_put_date7(d7, 0);
    const uint8_t w7c[] = { 0, 1, 1, 0, 0, 0, 0 };
    assert_memory_equal(d7, w7c, 7);
    fsi_put_date17(d17, 0);
    assert_memory_equal(d17, "1601010100000000", 16);
}

static void dirrec(void **state)
{
    (void)state;
    uint8_t r[64];
    memset(r, 0xEE, sizeof r);
    const uint8_t id[] = "AB.C;1";
    size_t n = fsi_write_dirrec(r, 0x01020304, 5000, fsi_time_from_unix(0, 0), 0x01, id, 6);
    assert_int_equal(n, 40);                /* 33 + 6 + pad */
    assert_int_equal(r[0], 40);
    assert_int_equal(r[1], 0);
    const uint8_t loc[] = { 4, 3, 2, 1, 1, 2, 3, 4 };
    assert_memory_equal(r + 2, loc, 8);
    assert_int_equal(rd_both32(r + 10), 5000);
    const uint8_t date[] = { 70, 1, 1, 0, 0, 0, 0 };
    assert_memory_equal(r + 18, date, 7);
    assert_int_equal(r[25], 0x01);
    assert_int_equal(r[26], 0);
    assert_int_equal(r[27], 0);
    assert_int_equal(rd_both16(r + 28), 1);
    assert_int_equal(r[32], 6);
    assert_memory_equal(r + 33, id, 6);
    assert_int_equal(r[39], 0);             /* padding byte */
    assert_int_equal(r[40], 0xEE);          /* nothing written past the record */
    /* odd identifier: no padding */
    assert_int_equal(fsi_dirrec_len(1), 34);
    assert_int_equal(fsi_dirrec_len(7), 40);
    assert_int_equal(fsi_dirrec_len(8), 42);
    /* placement: never straddle */
    assert_int_equal(fsi_dirrec_place(0, 100), 0);
    assert_int_equal(fsi_dirrec_place(2000, 48), 2000);
    assert_int_equal(fsi_dirrec_place(2001, 48), 2048);
    assert_int_equal(fsi_dirrec_place(4096 + 10, 40), 4096 + 10);
}

static void pathrec(void **state)
{
    (void)state;
    uint8_t l[16], m[16];
    const uint8_t id[] = "ABC";
    assert_int_equal(fsi_write_pathrec(l, 0, 0x11223344, 0x0102, id, 3), 12);
    assert_int_equal(fsi_write_pathrec(m, 1, 0x11223344, 0x0102, id, 3), 12);
    const uint8_t wl[] = { 3, 0, 0x44, 0x33, 0x22, 0x11, 0x02, 0x01, 'A', 'B', 'C', 0 };
    const uint8_t wm[] = { 3, 0, 0x11, 0x22, 0x33, 0x44, 0x01, 0x02, 'A', 'B', 'C', 0 };
    assert_memory_equal(l, wl, 12);
    assert_memory_equal(m, wm, 12);
    assert_int_equal(fsi_pathrec_len(1), 10);
    assert_int_equal(fsi_pathrec_len(2), 10);
    assert_int_equal(fsi_pathrec_len(4), 12);
}

static int cmp_s(const char *a, size_t an, const char *b, size_t bn)
{
    size_t al, bl;
    const uint16_t *ua = U(a, &al);
    uint16_t ca[256];
    memcpy(ca, ua, al * 2);
    const uint16_t *ub = U(b, &bl);
    return fsi_ident_cmp(ca, al, an, ub, bl, bn);
}

static void ident_order(void **state)
{
    (void)state;
    /* 9.3: name parts compared padded with spaces, then extensions */
    assert_true(cmp_s("A.B", 1, "A_.B", 2) < 0);        /* "A " < "A_" */
    assert_true(cmp_s("A.CD", 1, "AB.C", 2) < 0);       /* name first: "A " < "AB" */
    assert_true(cmp_s("AB.C", 2, "AB.CD", 2) < 0);
    assert_true(cmp_s("AB", 2, "AB.A", 2) < 0);         /* directory "AB" vs file "AB.A" */
    assert_true(cmp_s("Z", 1, "a", 1) < 0);             /* code unit order */
    assert_int_equal(cmp_s("SAME.X", 4, "SAME.X", 4), 0);
    /* padding makes "a" and "a " equal: shorter first */
    assert_true(cmp_s("a", 1, "a ", 2) < 0);
    assert_true(cmp_s("a ", 2, "a", 1) > 0);
}

static void volume_descriptor(void **state)
{
    (void)state;
    static uint8_t b[FSI_BLOCK_SIZE];
    uint8_t vid[32];
    size_t vl;
    const uint16_t *vn = U("My Disc-1 \xC3\xA9t\xC3\xA9", &vl);
    fsi_volume_id_iso(vn, vl, vid);
    assert_memory_equal(vid, "MY_DISC_1__T_                   ", 32);
    fsi_vd_info vi = { 0 };
    vi.volume_id = vid;
    vi.volume_space = 1234;
    vi.path_table_size = 10;
    vi.path_l = 19;
    vi.path_m = 20;
    vi.root_lba = 21;
    vi.root_size = 2048;
    vi.creation = fsi_time_from_unix(1709214330, 0);
    fsi_write_vd(b, &vi);
    assert_int_equal(b[0], 1);
    assert_memory_equal(b + 1, "CD001", 5);
    assert_int_equal(b[6], 1);
    assert_memory_equal(b + 40, vid, 32);
    assert_int_equal(rd_both32(b + 80), 1234);
    assert_int_equal(rd_both16(b + 120), 1);
    assert_int_equal(rd_both16(b + 124), 1);
    assert_int_equal(rd_both16(b + 128), 2048);
    assert_int_equal(rd_both32(b + 132), 10);
    assert_int_equal(rd_le32(b + 140), 19);
    assert_int_equal(rd_be32(b + 148), 20);
    assert_int_equal(b[156], 34);
    assert_int_equal(rd_both32(b + 158), 21);
    assert_int_equal(b[156 + 25], 2);
    assert_memory_equal(b + 574, "IMAPI2FS OPEN IMAGE CREATOR ", 28);
    assert_memory_equal(b + 813, "2024022913453000", 16);
    assert_memory_equal(b + 830, "2024022913453000", 16);
    assert_memory_equal(b + 847, "0000000000000000", 16);
    assert_int_equal(b[881], 1);
    for (size_t i = 883; i < FSI_BLOCK_SIZE; i++)
        assert_int_equal(b[i], 0);

    fsi_volume_id_joliet(vn, vl, vid);
    assert_int_equal(rd_be16(vid), 'M');
    assert_int_equal(rd_be16(vid + 2 * 10), 0xE9);
    assert_int_equal(rd_be16(vid + 2 * 11), 't');
    assert_int_equal(rd_be16(vid + 2 * 15), 0x20);
    vi.joliet = 1;
    fsi_write_vd(b, &vi);
    assert_int_equal(b[0], 2);
    assert_memory_equal(b + 88, "%/E", 3);
    assert_int_equal(rd_be16(b + 574), 'I');
    assert_int_equal(rd_be16(b + 8), 0x20);             /* system id: UCS-2 spaces */

    fsi_write_vd_terminator(b);
    assert_int_equal(b[0], 255);
    assert_memory_equal(b + 1, "CD001\x01", 6);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(byte_orders), cmocka_unit_test(dates),       cmocka_unit_test(dirrec),
        cmocka_unit_test(pathrec),     cmocka_unit_test(ident_order), cmocka_unit_test(volume_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
