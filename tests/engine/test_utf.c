/* UTF-8 <-> UTF-16 conversion. SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_util.h"

static void utf8_to_16_basic(void **state)
{
    (void)state;
    uint16_t out[16];
    /* "aé€😀": 1, 2, 3 and 4 byte sequences */
    const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    size_t n = fsi_utf8_to_utf16(s, strlen(s), out, 16);
    assert_int_equal(n, 5);
    assert_int_equal(out[0], 'a');
    assert_int_equal(out[1], 0xE9);
    assert_int_equal(out[2], 0x20AC);
    assert_int_equal(out[3], 0xD83D);
    assert_int_equal(out[4], 0xDE00);
    assert_int_equal(out[5], 0);
    /* counting mode */
    assert_int_equal(fsi_utf8_to_utf16(s, strlen(s), NULL, 0), 5);
    /* exactly enough room needs the NUL too */
    assert_int_equal(fsi_utf8_to_utf16(s, strlen(s), out, 5), (size_t)-1);
    assert_int_equal(fsi_utf8_to_utf16(s, strlen(s), out, 6), 5);
    assert_int_equal(fsi_utf8_to_utf16("", 0, out, 1), 0);
    assert_int_equal(out[0], 0);
}

static void utf8_invalid(void **state)
{
    (void)state;
    uint16_t out[16];
    const char *bad[] = {
        "\x80",             /* lone continuation */
        "\xC0\xAF",         /* overlong */
        "\xE0\x80\xAF",     /* overlong */
        "\xED\xA0\x80",     /* surrogate */
        "\xF4\x90\x80\x80", /* > U+10FFFF */
        "\xE2\x82",         /* truncated */
        "\xFF",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(fsi_utf8_to_utf16(bad[i], strlen(bad[i]), out, 16), (size_t)-1);
}

static void utf16_to_8(void **state)
{
    (void)state;
    const uint16_t s[] = { 'x', 0xE9, 0x20AC, 0xD83D, 0xDE00, 0xD800, 'y', 0xDC00 };
    char out[64];
    size_t n = fsi_utf16_to_utf8(s, 8, out, sizeof out);
    const char *want = "x\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBDy\xEF\xBF\xBD";
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    assert_int_equal(fsi_utf16_to_utf8(s, 8, NULL, 0), strlen(want));
    assert_int_equal(fsi_utf16_to_utf8(s, 8, out, strlen(want)), (size_t)-1);
}

static void roundtrip(void **state)
{
    (void)state;
    /* every BMP non-surrogate code point and a sample of supplementary ones survive a round trip */
    static uint16_t u[0x10000 * 2];
    static char b[0x10000 * 4 + 1];
    static uint16_t back[0x10000 * 2 + 1];
    size_t k = 0;
    for (uint32_t c = 1; c < 0x10000; c++)
        if (c < 0xD800 || c > 0xDFFF)
            u[k++] = (uint16_t)c;
    for (uint32_t c = 0x10000; c <= 0x10FFFF; c += 0x1234) {
        u[k++] = (uint16_t)(0xD800 | ((c - 0x10000) >> 10));
        u[k++] = (uint16_t)(0xDC00 | ((c - 0x10000) & 0x3FF));
    }
    size_t n8 = fsi_utf16_to_utf8(u, k, b, sizeof b);
    assert_true(n8 != (size_t)-1);
    size_t n16 = fsi_utf8_to_utf16(b, n8, back, sizeof back / sizeof back[0]);
    assert_int_equal(n16, k);
    assert_memory_equal(u, back, k * 2);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_to_16_basic),
        cmocka_unit_test(utf8_invalid),
        cmocka_unit_test(utf16_to_8),
        cmocka_unit_test(roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
