/* Name mapping: ISO 9660 levels 1/2, Joliet, uniqueness. SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_util.h"

static char g_out[512];

/* Mapped name of an item as UTF-8 (static buffer). */
static const char *mapped(fsi_image *img, fsi_node *n, unsigned fs, int level)
{
    uint16_t buf[300];
    size_t l = fsi_map_name(img, n, fs, level, buf, 300);
    assert_true(l > 0 && l < 300);
    assert_true(fsi_utf16_to_utf8(buf, l, g_out, sizeof g_out) != (size_t)-1);
    return g_out;
}

#define ISO1(n) mapped(img, n, FSI_FS_ISO9660, 1)
#define ISO2(n) mapped(img, n, FSI_FS_ISO9660, 2)
#define JOL(n) mapped(img, n, FSI_FS_JOLIET, 2)

static void iso_level1(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    assert_string_equal(ISO1(mkfile_in(img, r, "readme.txt", NULL, 0)), "README.TXT");
    assert_string_equal(ISO1(mkfile_in(img, r, "hello world.c", NULL, 0)), "HELLO_WO.C");
    assert_string_equal(ISO1(mkfile_in(img, r, "archive.tar.gz", NULL, 0)), "ARCHIVE_.GZ");
    assert_string_equal(ISO1(mkfile_in(img, r, "README", NULL, 0)), "README.");
    assert_string_equal(ISO1(mkfile_in(img, r, "photo.jpeg", NULL, 0)), "PHOTO.JPE");
    assert_string_equal(ISO1(mkfile_in(img, r, ".bashrc", NULL, 0)), ".BAS");
    assert_string_equal(ISO1(mkfile_in(img, r, "a+b=c.h", NULL, 0)), "A_B_C.H");
    assert_string_equal(ISO1(mkfile_in(img, r, "\xC3\xA9t\xC3\xA9.txt", NULL, 0)), "_T_.TXT");
    /* a surrogate pair is one character: one '_' */
    assert_string_equal(ISO1(mkfile_in(img, r, "\xF0\x9F\x98\x80x.txt", NULL, 0)), "_X.TXT");
    assert_string_equal(ISO1(mkdir_in(img, r, "my.dir")), "MY_DIR");
    assert_string_equal(ISO1(mkdir_in(img, r, "longdirectoryname")), "LONGDIRE");
    fsi_image_free(img);
}

static void iso_level2(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    const char *s;
    s = ISO2(mkfile_in(img, r, "a_very_long_file_name_that_exceeds_the_limit.txt", NULL, 0));
    assert_string_equal(s, "A_VERY_LONG_FILE_NAME_THAT.TXT");
    assert_int_equal(strlen(s), 30);
    assert_string_equal(ISO2(mkfile_in(img, r, "Makefile.am", NULL, 0)), "MAKEFILE.AM");
    assert_string_equal(ISO2(mkfile_in(img, r, "noext", NULL, 0)), "NOEXT.");
    s = ISO2(mkfile_in(img, r, "x.an_extension_that_is_much_too_long_to_keep_whole", NULL, 0));
    assert_int_equal(strlen(s), 30);
    assert_true(s[0] == 'X' && s[1] == '.');
    s = ISO2(mkdir_in(img, r, "a.directory.with.dots.and.a.very.long.name"));
    assert_string_equal(s, "A_DIRECTORY_WITH_DOTS_AND_A_VER");
    assert_int_equal(strlen(s), 31);
    /* level 3 names like level 2 */
    assert_string_equal(mapped(img, fsi_dir_child(r, 0), FSI_FS_ISO9660, 3), "A_VERY_LONG_FILE_NAME_THAT.TXT");
    fsi_image_free(img);
}

static void joliet(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    assert_string_equal(JOL(mkfile_in(img, r, "a*b?c:d;e.txt", NULL, 0)), "a_b_c_d_e.txt");
    assert_string_equal(JOL(mkfile_in(img, r, "Mixed Case Name.Text", NULL, 0)), "Mixed Case Name.Text");
    assert_string_equal(JOL(mkfile_in(img, r, "tab\there", NULL, 0)), "tab_here");
    assert_string_equal(JOL(mkfile_in(img, r, "\xC3\xA9t\xC3\xA9", NULL, 0)), "\xC3\xA9t\xC3\xA9");
    /* 70 characters + ".ext": the extension is kept, the name shortened to 64 in all */
    char longn[128];
    memset(longn, 'n', 70);
    strcpy(longn + 70, ".ext");
    const char *s = JOL(mkfile_in(img, r, longn, NULL, 0));
    assert_int_equal(strlen(s), 64);
    assert_string_equal(s + 60, ".ext");
    /* directory names keep their dots */
    assert_string_equal(JOL(mkdir_in(img, r, "dir.with.dots")), "dir.with.dots");
    fsi_image_free(img);
}

static void joliet_surrogates(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    /* 63 'a' then U+1F600: the 64th unit would be a high surrogate -> cut before it */
    uint16_t name[80];
    for (int i = 0; i < 63; i++)
        name[i] = 'a';
    name[63] = 0xD83D;
    name[64] = 0xDE00;
    name[65] = 'b';
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_dir(name, 66, &n), FSI_OK);
    assert_int_equal(fsi_dir_attach(img, r, n, 0), FSI_OK);
    uint16_t out[80];
    size_t l = fsi_map_name(img, n, FSI_FS_JOLIET, 2, out, 80);
    assert_int_equal(l, 63);
    assert_memory_equal(out, name, 63 * 2);
    fsi_node_unref(n);
    /* 62 'a' + pair: fits exactly */
    name[62] = 0xD83D;
    name[63] = 0xDE00;
    name[64] = 'c';
    assert_int_equal(fsi_node_new_dir(name, 65, &n), FSI_OK);
    assert_int_equal(fsi_dir_attach(img, r, n, 0), FSI_OK);
    l = fsi_map_name(img, n, FSI_FS_JOLIET, 2, out, 80);
    assert_int_equal(l, 64);
    assert_int_equal(out[62], 0xD83D);
    assert_int_equal(out[63], 0xDE00);
    fsi_node_unref(n);
    fsi_image_free(img);
}

static void case_different(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *lo = mkfile_in(img, r, "xt_connmark.h", NULL, 0);
    fsi_node *up = mkfile_in(img, r, "xt_CONNMARK.h", NULL, 0);
    /* Joliet keeps both as they are */
    assert_string_equal(JOL(lo), "xt_connmark.h");
    assert_string_equal(JOL(up), "xt_CONNMARK.h");
    /* ISO: "xt_CONNMARK.h" sorts first (0x43 < 0x63) and keeps the name */
    assert_string_equal(ISO2(up), "XT_CONNMARK.H");
    assert_string_equal(ISO2(lo), "XT_CONNMARK_1.H");   /* ISO: "_N", '~' is no d-character */
    /* a file "a" and a directory "A" are one name to ISO readers */
    fsi_node *fa = mkfile_in(img, r, "a", NULL, 0);
    fsi_node *dA = mkdir_in(img, r, "A");
    assert_string_equal(ISO2(dA), "A");
    assert_string_equal(ISO2(fa), "A_1.");
    fsi_image_free(img);
}

static void tilde_deterministic(void **state)
{
    (void)state;
    /* the same names inserted in two different orders get the same mapping */
    const char *names[] = { "longfilename1.txt", "longfilename2.txt", "longfilename3.txt", "LONGFILENAME.TXT",
                            "longfile.txt",      "longfi~1.txt",      "longfilename10.txt" };
    const size_t nn = sizeof names / sizeof names[0];
    char first[16][32];
    for (int pass = 0; pass < 2; pass++) {
        fsi_image *img = fsi_image_new();
        fsi_node *r = fsi_image_root(img);
        fsi_node *nodes[16];
        for (size_t i = 0; i < nn; i++) {
            size_t k = pass ? nn - 1 - i : i;
            nodes[k] = mkfile_in(img, r, names[k], NULL, 0);
        }
        for (size_t i = 0; i < nn; i++) {
            const char *m = ISO1(nodes[i]);
            assert_true(strlen(m) <= 12);
            if (pass == 0)
                strcpy(first[i], m);
            else
                assert_string_equal(first[i], m);
        }
        /* all distinct */
        for (size_t i = 0; i < nn; i++)
            for (size_t j = i + 1; j < nn; j++)
                assert_string_not_equal(first[i], first[j]);
        fsi_image_free(img);
    }
    /* 9.3 order of the originals: LONGFILENAME.TXT ('L' 0x4C < 'l' 0x6C) < longfile < longfilename1
     * < longfilename10 < longfilename2 < longfilename3 < longfi~1 ('~' 0x7E > 'l'). The first keeps
     * LONGFILE.TXT, the next ones get _1.._5; "longfi~1.txt" maps to LONGFI_1.TXT, taken by then, so
     * it gets its own _N, skipping the taken LONGFI_1..LONGFI_5 */
    assert_string_equal(first[3], "LONGFILE.TXT");
    assert_string_equal(first[4], "LONGFI_1.TXT");
    assert_string_equal(first[0], "LONGFI_2.TXT");
    assert_string_equal(first[6], "LONGFI_3.TXT");
    assert_string_equal(first[1], "LONGFI_4.TXT");
    assert_string_equal(first[2], "LONGFI_5.TXT");
    assert_string_equal(first[5], "LONGFI_6.TXT");
}

static void tilde_many_unique(void **state)
{
    (void)state;
    /* 20000 names that all map to the same 8.3 name: _N grows, the name part shrinks, all unique */
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    char nm[64];
    enum { N = 20000 };
    for (int i = 0; i < N; i++) {
        snprintf(nm, sizeof nm, "samebasename_%05d.data", i);
        mkfile_in(img, r, nm, NULL, 0);
    }
    /* map the whole directory once and check uniqueness by sorting */
    fsi_node **kids = malloc(N * sizeof *kids);
    fsi_mapped *m = malloc(N * sizeof *m);
    for (size_t i = 0; i < N; i++)
        kids[i] = fsi_dir_child(r, i);
    fsi_u16pool pool = { 0 };
    assert_int_equal(fsi_map_children(kids, N, FSI_FS_ISO9660, 1, &pool, m, NULL), FSI_OK);
    char (*s)[16] = malloc(N * sizeof *s);
    for (size_t i = 0; i < N; i++) {
        assert_true(m[i].len <= 12);
        assert_true(m[i].name_len <= 8);
        for (size_t k = 0; k < m[i].len; k++)
            s[i][k] = (char)pool.p[m[i].off + k];
        s[i][m[i].len] = 0;
        assert_int_equal(s[i][m[i].name_len], '.');
        assert_string_equal(s[i] + m[i].name_len, ".DAT");
    }
    qsort(s, N, sizeof *s, (int (*)(const void *, const void *))strcmp);
    for (size_t i = 1; i < N; i++)
        assert_string_not_equal(s[i - 1], s[i]);
    /* the first in 9.3 order keeps the base name, the last has _19999 */
    assert_string_equal(ISO1(fsi_dir_child(r, 0)), "SAMEBASE.DAT");
    assert_string_equal(ISO1(fsi_dir_child(r, N - 1)), "SA_19999.DAT");
    fsi_pool_free(&pool);
    free(s);
    free(m);
    free(kids);
    fsi_image_free(img);
}

static void joliet_truncation_unique(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    char a[128], b[128];
    memset(a, 'q', 80);
    strcpy(a + 80, "1.txt");
    memset(b, 'q', 80);
    strcpy(b + 80, "2.txt");
    fsi_node *na = mkfile_in(img, r, a, NULL, 0);
    fsi_node *nb = mkfile_in(img, r, b, NULL, 0);
    char ma[128];
    strcpy(ma, JOL(na));
    const char *mb = JOL(nb);
    assert_int_equal(strlen(ma), 64);
    assert_int_equal(strlen(mb), 64);
    assert_string_equal(ma + 60, ".txt");
    assert_string_equal(mb + 58, "~1.txt");
    fsi_image_free(img);
}

static void not_mapped(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    uint16_t buf[8];
    assert_int_equal(fsi_map_name(img, r, FSI_FS_ISO9660, 1, buf, 8), 0);      /* root */
    fsi_node *f = mkfile_in(img, r, "f", NULL, 0);
    assert_int_equal(fsi_map_name(img, f, 8, 1, buf, 8), 0);                  /* no such fs */
    assert_int_equal(fsi_map_name(img, f, FSI_FS_UDF, 1, buf, 8), 1);         /* UDF: as is */
    assert_int_equal(buf[0], 'f');
    assert_int_equal(fsi_map_name(img, f, FSI_FS_ISO9660, 4, buf, 8), 0);
    /* small buffer: full length returned */
    assert_int_equal(fsi_map_name(img, f, FSI_FS_ISO9660, 1, buf, 1), 2);
    assert_int_equal(buf[0], 'F');
    fsi_image_free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iso_level1),          cmocka_unit_test(iso_level2),
        cmocka_unit_test(joliet),              cmocka_unit_test(joliet_surrogates),
        cmocka_unit_test(case_different),      cmocka_unit_test(tilde_deterministic),
        cmocka_unit_test(tilde_many_unique),   cmocka_unit_test(joliet_truncation_unique),
        cmocka_unit_test(not_mapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
