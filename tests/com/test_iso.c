/*
 * ISO 9660 and Joliet through the COM API: interchange levels, names per file system
 * (FileSystemName / FileSystemPath), files of 4 GiB and more, strict limits, restricted names,
 * volume names, hidden items; every failure with its documented HRESULT and text.
 */
#define CONST_VTABLE
#include "client_util.h"

static void expect_name(IFsiDirectoryItem *root, const WCHAR *path, FsiFileSystems fs, const WCHAR *want_name, const WCHAR *want_path)
{
    IFsiItem *item = NULL;
    BSTR b = B(path), name = NULL, full = NULL;
    CHECK_HR(IFsiDirectoryItem_get_Item(root, b, &item), S_OK);
    SysFreeString(b);
    if (!item) return;
    CHECK_HR(IFsiItem_FileSystemName(item, fs, &name), S_OK);
    CHECK_HR(IFsiItem_FileSystemPath(item, fs, &full), S_OK);
    CHECK(name && !wcscmp(name, want_name), "FileSystemName(%ls, %d) = '%ls', want '%ls'", path, fs, name ? name : L"", want_name);
    CHECK(full && !wcscmp(full, want_path), "FileSystemPath(%ls, %d) = '%ls', want '%ls'", path, fs, full ? full : L"", want_path);
    SysFreeString(name);
    SysFreeString(full);
    IFsiItem_Release(item);
}

/* Read the root directory's records of the primary volume descriptor's tree: flags of a name. */
static int iso_flags_of(IStream *stream, const char *ident)
{
    BYTE pvd[2048], dir[2048];
    LARGE_INTEGER pos;
    ULONG n;
    pos.QuadPart = 16 * 2048;
    IStream_Seek(stream, pos, STREAM_SEEK_SET, NULL);
    IStream_Read(stream, pvd, 2048, &n);
    pos.QuadPart = (LONGLONG)(*(DWORD *)(pvd + 156 + 2)) * 2048;
    IStream_Seek(stream, pos, STREAM_SEEK_SET, NULL);
    IStream_Read(stream, dir, 2048, &n);
    for (int off = 0; off < 2048 && dir[off];) {
        BYTE len = dir[off], idlen = dir[off + 32];
        if (idlen == strlen(ident) && !memcmp(dir + off + 33, ident, idlen)) return dir[off + 25];
        off += len;
    }
    return -1;
}

/* ---- names the Windows way: FileSystemName and the image agree ------------------------------ */

/* Identifiers of the root directory of the primary volume descriptor's tree (up to max). */
static int root_idents(IStream *stream, char ids[][40], int max)
{
    BYTE pvd[2048], dir[4 * 2048];
    LARGE_INTEGER pos;
    ULONG n = 0, size;
    int k = 0;
    pos.QuadPart = 16 * 2048;
    IStream_Seek(stream, pos, STREAM_SEEK_SET, NULL);
    IStream_Read(stream, pvd, 2048, &n);
    size = *(DWORD *)(pvd + 156 + 10);
    if (size > sizeof(dir)) size = sizeof(dir);
    pos.QuadPart = (LONGLONG)(*(DWORD *)(pvd + 156 + 2)) * 2048;
    IStream_Seek(stream, pos, STREAM_SEEK_SET, NULL);
    IStream_Read(stream, dir, size, &n);
    for (ULONG off = 0; off < n;) {
        BYTE len = dir[off], idlen = dir[off + 32];
        if (!len) { off = (off / 2048 + 1) * 2048; continue; }
        if (!(idlen == 1 && dir[off + 33] <= 1) && k < max) {       /* not "." or ".." */
            memcpy(ids[k], dir + off + 33, idlen < 39 ? idlen : 39);
            ids[k++][idlen < 39 ? idlen : 39] = 0;
        }
        off += len;
    }
    return k;
}

/* Each of the root's items named in want[] has that ISO 9660 FileSystemName and FileSystemPath,
 * and the image made now holds exactly those names in its root (files with ";1"). */
static void expect_root(IFileSystemImage *image, IFsiDirectoryItem *root, const WCHAR *const *items,
                        const WCHAR *const *want, int n, const char *what)
{
    IFileSystemImageResult *result = NULL;
    IStream *stream = NULL;
    char ids[64][40];
    int k = 0;
    for (int i = 0; i < n; i++) {
        WCHAR path[64];
        swprintf(path, 64, L"\\%ls", want[i]);
        expect_name(root, items[i], FsiFileSystemISO9660, want[i], path);
    }
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (!result) return;
    IFileSystemImageResult_get_ImageStream(result, &stream);
    if (stream) { k = root_idents(stream, ids, 64); IStream_Release(stream); }
    IFileSystemImageResult_Release(result);
    CHECK(k == n, "%s: %d names in the image's root, %d items", what, k, n);
    for (int i = 0; i < n; i++) {
        IFsiItem *item = NULL;
        IFsiDirectoryItem *dir = NULL;
        BSTR b = B(items[i]);
        char rec[48];
        int found = 0, is_dir = 0;
        IFsiDirectoryItem_get_Item(root, b, &item);
        SysFreeString(b);
        if (item) {
            if (SUCCEEDED(IFsiItem_QueryInterface(item, &IID_IFsiDirectoryItem, (void **)&dir))) {
                is_dir = 1;
                IFsiDirectoryItem_Release(dir);
            }
            IFsiItem_Release(item);
        }
        snprintf(rec, sizeof(rec), "%ls%s", want[i], is_dir ? "" : ";1");
        for (int j = 0; j < k; j++) found |= !strcmp(ids[j], rec);
        CHECK(found, "%s: '%s' (FileSystemName of '%ls') in the image", what, rec, items[i]);
    }
}

static void windows_names(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    BSTR s;
    WCHAR names[12][40];
    WCHAR tails[12][40];

    /* Level 1, ISO 9660 alone: as Windows was seen to write (windows-observed.md) */
    {
        const WCHAR *items[16] = { L"_internal", L"AIPacsLiteViewer.exe", L"A.TXT", L"a.txt" };
        const WCHAR *want[16] = { L"_INTER~1", L"AIPACS~1.EXE", L"A.TXT", L"A~1.TXT" };
        int n = 4;
        image = new_image_root(&root);
        CHECK_HR(IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660), S_OK);
        CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 1), S_OK);
        CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"_internal")), S_OK); SysFreeString(s);
        add_bytes(root, L"AIPacsLiteViewer.exe", "", 0, S_OK);
        add_bytes(root, L"a.txt", "", 0, S_OK);
        add_bytes(root, L"A.TXT", "", 0, S_OK);
        for (int i = 0; i < 11; i++, n++) {         /* ~1 .. ~9, then ~10 with one character less */
            swprintf(names[i], 40, L"longfilename%02d.txt", i);
            swprintf(tails[i], 40, i < 9 ? L"LONGFI~%d.TXT" : L"LONGF~%d.TXT", i + 1);
            add_bytes(root, names[i], "", 0, S_OK);
            items[n] = names[i];
            want[n] = tails[i];
        }
        expect_root(image, root, items, want, n, "level 1");
        IFsiDirectoryItem_Release(root);
        IFileSystemImage_Release(image);
    }
    /* Level 2 with Joliet and UDF: names cut to 30 collide and get "~N", the name part shorter
     * from ~10 */
    {
        const WCHAR *items[11], *want[11];
        image = new_image_root(&root);
        CHECK_HR(IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF), S_OK);
        CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 2), S_OK);
        for (int i = 0; i < 11; i++) {
            swprintf(names[i], 40, L"a_very_long_common_name_prefix_%02d.txt", i);
            if (i == 0) swprintf(tails[i], 40, L"A_VERY_LONG_COMMON_NAME_PR.TXT");
            else if (i < 10) swprintf(tails[i], 40, L"A_VERY_LONG_COMMON_NAME_~%d.TXT", i);
            else swprintf(tails[i], 40, L"A_VERY_LONG_COMMON_NAME~%d.TXT", i);
            add_bytes(root, names[i], "", 0, S_OK);
            items[i] = names[i];
            want[i] = tails[i];
        }
        expect_root(image, root, items, want, 11, "level 2");
        IFsiDirectoryItem_Release(root);
        IFileSystemImage_Release(image);
    }
    /* Issue 17: A.TXT of 5 GiB beside a.txt, ISO 9660 + UDF, level 2 (FileSystemName said A_1.TXT,
     * the image had A.TXT;1). Either the big file is in the ISO 9660 tree and a.txt is A~1.TXT, or
     * it is in UDF only (the engine's rule today) and a.txt is A.TXT; the image agrees, unless a
     * size ceiling refuses it. At level 3 it is in both. */
    {
        IStream *data = big(5ull << 30);
        IFileSystemImageResult *result = NULL;
        IFsiItem *item;
        BSTR bn = NULL, sn = NULL;
        HRESULT hr;
        image = new_image_root(&root);
        CHECK_HR(IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemUDF), S_OK);
        CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 2), S_OK);
        CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"A.TXT"), data), S_OK); SysFreeString(s);
        IStream_Release(data);
        add_bytes(root, L"a.txt", "", 0, S_OK);
        IFsiDirectoryItem_get_Item(root, s = B(L"A.TXT"), &item); SysFreeString(s);
        if (item) { IFsiItem_FileSystemName(item, FsiFileSystemISO9660, &bn); IFsiItem_Release(item); }
        if (bn && *bn) {
            expect_name(root, L"A.TXT", FsiFileSystemISO9660, L"A.TXT", L"\\A.TXT");
            expect_name(root, L"a.txt", FsiFileSystemISO9660, L"A~1.TXT", L"\\A~1.TXT");
        } else {
            expect_name(root, L"A.TXT", FsiFileSystemISO9660, L"", L"");
            expect_name(root, L"A.TXT", FsiFileSystemJoliet, L"", L"");
            expect_name(root, L"a.txt", FsiFileSystemISO9660, L"A.TXT", L"\\A.TXT");
        }
        expect_name(root, L"A.TXT", FsiFileSystemUDF, L"A.TXT", L"\\A.TXT");
        IFsiDirectoryItem_get_Item(root, s = B(L"a.txt"), &item); SysFreeString(s);
        if (item) { IFsiItem_FileSystemName(item, FsiFileSystemISO9660, &sn); IFsiItem_Release(item); }
        hr = IFileSystemImage_CreateResultImage(image, &result);
        CHECK(hr == S_OK || hr == IMAPI_E_DATA_TOO_BIG, "CreateResultImage: 0x%08lx", (unsigned long)hr);
        if (result) {
            IStream *stream = NULL;
            char ids[4][40], want_b[48], want_s[48];
            int k = 0;
            snprintf(want_b, sizeof(want_b), "%ls;1", bn ? bn : L"");
            snprintf(want_s, sizeof(want_s), "%ls;1", sn ? sn : L"");
            IFileSystemImageResult_get_ImageStream(result, &stream);
            if (stream) { k = root_idents(stream, ids, 4); IStream_Release(stream); }
            if (bn && *bn)
                CHECK(k == 2 && !strcmp(ids[0], want_b) && !strcmp(ids[1], want_s), "the ISO 9660 root holds %s and %s", want_b, want_s);
            else
                CHECK(k == 1 && !strcmp(ids[0], want_s), "the ISO 9660 root holds %s alone (%d names)", want_s, k);
            IFileSystemImageResult_Release(result);
            result = NULL;
        }
        SysFreeString(bn);
        SysFreeString(sn);
        CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 3), S_OK);
        expect_name(root, L"a.txt", FsiFileSystemISO9660, L"A~1.TXT", L"\\A~1.TXT");
        expect_name(root, L"A.TXT", FsiFileSystemISO9660, L"A.TXT", L"\\A.TXT");
        CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
        if (result) {
            IStream *stream = NULL;
            char ids[4][40];
            int k = 0;
            IFileSystemImageResult_get_ImageStream(result, &stream);
            if (stream) { k = root_idents(stream, ids, 4); IStream_Release(stream); }
            /* the big file has two records (multi-extent) */
            CHECK(k == 3 && !strcmp(ids[0], "A.TXT;1") && !strcmp(ids[1], "A.TXT;1") && !strcmp(ids[2], "A~1.TXT;1"),
                  "level 3: the ISO 9660 root holds A.TXT;1 (twice) and A~1.TXT;1 (%d names)", k);
            IFileSystemImageResult_Release(result);
        }
        IFsiDirectoryItem_Release(root);
        IFileSystemImage_Release(image);
    }
}

/* Levels supported and refused, names per file system at levels 2 and 1, a file over 4 GiB by level. */
static void levels(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result = NULL;
    BSTR s;
    IStream *data;
    LONG blocks = 0;
    SAFEARRAY *sa = NULL;

    /* Levels supported: {1, 2, 3} as VT_UI4. */
    image = new_image_root(&root);
    CHECK_HR(IFileSystemImage_get_ISO9660InterchangeLevelsSupported(image, &sa), S_OK);
    if (sa) {
        VARIANT *v;
        LONG ub = -1;
        SafeArrayGetUBound(sa, 1, &ub);
        SafeArrayAccessData(sa, (void **)&v);
        CHECK(ub == 1 && V_VT(&v[0]) == VT_UI4 && V_UI4(&v[0]) == 1 && V_UI4(&v[1]) == 2, "levels {1,2} VT_UI4");
        SafeArrayUnaccessData(sa);
        SafeArrayDestroy(sa);
    }
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 4), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 0), IMAPI_E_INVALID_PARAM);

    /* Names per file system at level 2 and the unique names after mapping. */
    CHECK_HR(IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet), S_OK);
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 2), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"Include")), S_OK); SysFreeString(s);
    add_bytes(root, L"Include\\a.h", "", 0, S_OK);
    add_bytes(root, L"Include\\A.h", "", 0, S_OK);
    add_bytes(root, L"Include\\what?.txt", "", 0, S_OK);
    add_bytes(root, L"Include\\README", "", 0, S_OK);
    add_bytes(root, L"Include\\emoji \xD83D\xDE00 file.txt", "", 0, S_OK);
    /* Collisions are resolved in ECMA-119 order of the original names: "A.h" < "a.h"; the later
     * one gets Windows' numeric tail "~N". */
    expect_name(root, L"Include\\A.h", FsiFileSystemISO9660, L"A.H", L"\\INCLUDE\\A.H");
    expect_name(root, L"Include\\a.h", FsiFileSystemISO9660, L"A~1.H", L"\\INCLUDE\\A~1.H");
    expect_name(root, L"Include\\a.h", FsiFileSystemJoliet, L"a.h", L"\\Include\\a.h");
    expect_name(root, L"Include\\A.h", FsiFileSystemJoliet, L"A.h", L"\\Include\\A.h");
    expect_name(root, L"Include\\what?.txt", FsiFileSystemJoliet, L"what_.txt", L"\\Include\\what_.txt");
    expect_name(root, L"Include\\what?.txt", FsiFileSystemISO9660, L"WHAT_.TXT", L"\\INCLUDE\\WHAT_.TXT");
    expect_name(root, L"Include\\emoji \xD83D\xDE00 file.txt", FsiFileSystemJoliet, L"emoji \xD83D\xDE00 file.txt", L"\\Include\\emoji \xD83D\xDE00 file.txt");
    {
        IFsiItem *item;
        BSTR name = NULL;
        IFsiDirectoryItem_get_Item(root, s = B(L"Include"), &item); SysFreeString(s);
        CHECK_HR(IFsiItem_FileSystemName(item, (FsiFileSystems)8, &name), IMAPI_E_INVALID_PARAM);
        IFsiItem_Release(item);
    }

    /* Level 1: 8.3 names, "~N" for every name that is not 8.3 already (as Windows does). */
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 1), S_OK);
    add_bytes(root, L"longfilename1.text", "", 0, S_OK);
    add_bytes(root, L"longfilename2.text", "", 0, S_OK);
    expect_name(root, L"longfilename1.text", FsiFileSystemISO9660, L"LONGFI~1.TEX", L"\\LONGFI~1.TEX");
    expect_name(root, L"longfilename2.text", FsiFileSystemISO9660, L"LONGFI~2.TEX", L"\\LONGFI~2.TEX");
    expect_name(root, L"Include", FsiFileSystemISO9660, L"INCLUDE", L"\\INCLUDE");
    expect_name(root, L"Include\\what?.txt", FsiFileSystemISO9660, L"WHAT_~1.TXT", L"\\INCLUDE\\WHAT_~1.TXT");

    /* A file over 2 GiB: too big for levels 1 and 2 (test_observed has the 2 GiB edge) ... */
    data = big(0x100000000ull + 12345);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"huge.bin"), data), S_OK); SysFreeString(s);
    IStream_Release(data);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), IMAPI_E_DATA_TOO_BIG);
    check_error_text(L"'ISO9660/Joliet'", "IMAPI_E_DATA_TOO_BIG text names the file systems");
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 2), S_OK);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), IMAPI_E_DATA_TOO_BIG);
    /* ... and written in several extents at level 3. */
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 3), S_OK);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) {
        IFileSystemImageResult_get_TotalBlocks(result, &blocks);
        CHECK(blocks > 2097152 + 6 && blocks < 2097152 + 100, "TotalBlocks %ld for a 4 GiB + 12345 file", blocks);
        IFileSystemImageResult_Release(result);
        result = NULL;
    }
    {
        LONG used = 0;
        CHECK_HR(IFileSystemImage_get_UsedBlocks(image, &used), S_OK);
        CHECK(used == blocks, "UsedBlocks %ld == TotalBlocks %ld", used, blocks);
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

/* StrictFileSystemCompliance: only on an empty image; then depth over 8 fails. */
static void strict(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result = NULL;
    BSTR s;

    /* Strict compliance: only on an empty image; then depth over 8 and 65535 directories fail. */
    image = new_image_root(&root);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"x")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_put_StrictFileSystemCompliance(image, VARIANT_TRUE), IMAPI_E_FILE_SYSTEM_NOT_EMPTY);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    image = new_image_root(&root);
    CHECK_HR(IFileSystemImage_put_StrictFileSystemCompliance(image, VARIANT_TRUE), S_OK);
    {
        WCHAR path[64] = L"d1";
        for (int level = 2; level <= 8; level++) {
            CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(path)), S_OK); SysFreeString(s);
            swprintf(path + wcslen(path), 8, L"\\d%d", level);
        }
        /* root is level 1: d1..d7 are levels 2..8; one more is level 9. */
        CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(path)), IMAPI_E_ISO9660_LEVELS); SysFreeString(s);
        check_error_text(L"8 levels", "IMAPI_E_ISO9660_LEVELS text");
        add_bytes(root, L"d1\\d2\\d3\\d4\\d5\\d6\\d7\\file-at-level-8.txt", "", 0, S_OK);
    }
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) { IFileSystemImageResult_Release(result); result = NULL; }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

/* Relaxed (the default): deep trees are written as they are. */
static void deep_trees(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result = NULL;
    BSTR s;

    image = new_image_root(&root);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"a")), S_OK); SysFreeString(s);
    {
        WCHAR path[128] = L"a";
        for (int level = 2; level <= 12; level++) {
            swprintf(path + wcslen(path), 8, L"\\a");
            CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(path)), S_OK); SysFreeString(s);
        }
    }
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) { IFileSystemImageResult_Release(result); result = NULL; }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

static void restricted_names(void)
{
    IFsiDirectoryItem *root;
    IFileSystemImage *image = new_image_root(&root);
    BSTR s;

    /* UseRestrictedCharacterSet: names outside the ANSI code page fail. */
    CHECK_HR(IFileSystemImage_put_UseRestrictedCharacterSet(image, VARIANT_TRUE), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"\x4E2D\x6587")), IMAPI_E_RESTRICTED_NAME_VIOLATION); SysFreeString(s);
    check_error_text(L"ANSI", "IMAPI_E_RESTRICTED_NAME_VIOLATION text");
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"plain")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_put_UseRestrictedCharacterSet(image, VARIANT_FALSE), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"\x4E2D\x6587")), S_OK); SysFreeString(s);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

static void volume_names(void)
{
    IFsiDirectoryItem *root;
    IFileSystemImage *image = new_image_root(&root);
    BSTR s;

    /* Volume names as clients pass them, mapped per file system. */
    {
        BSTR v = NULL;
        CHECK_HR(IFileSystemImage_put_VolumeName(image, s = B(L"my-backup.2026 disc one")), S_OK); SysFreeString(s);
        CHECK_HR(IFileSystemImage_get_VolumeNameISO9660(image, &v), S_OK);
        CHECK(v && !wcscmp(v, L"MY_BACKUP_2026_DISC_ONE"), "VolumeNameISO9660 '%ls'", v ? v : L"");
        SysFreeString(v);
        CHECK_HR(IFileSystemImage_get_VolumeNameJoliet(image, &v), S_OK);
        CHECK(v && !wcscmp(v, L"my-backup.2026 d"), "VolumeNameJoliet '%ls'", v ? v : L"");
        SysFreeString(v);
        CHECK_HR(IFileSystemImage_put_VolumeName(image, s = B(L"0123456789abcdef0123456789abcdefX")), IMAPI_E_INVALID_VOLUME_NAME); SysFreeString(s);
        check_error_text(L"Volume Identifier", "IMAPI_E_INVALID_VOLUME_NAME text");
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

/* The default volume name and hidden items. */
static void hidden(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result = NULL;
    BSTR s;

    /* No name set: YYYYMMDD_HHMMSS of SOURCE_DATE_EPOCH, kept as the image's VolumeName. */
    SetEnvironmentVariableW(L"SOURCE_DATE_EPOCH", L"1700000000");
    _wputenv(L"SOURCE_DATE_EPOCH=1700000000");
    image = new_image_root(&root);
    add_bytes(root, L"hidden.txt", "", 0, S_OK);
    add_bytes(root, L"shown.txt", "", 0, S_OK);
    {
        IFsiItem *item;
        BSTR v = NULL;
        IStream *stream;
        IFsiDirectoryItem_get_Item(root, s = B(L"hidden.txt"), &item); SysFreeString(s);
        CHECK_HR(IFsiItem_put_IsHidden(item, VARIANT_TRUE), S_OK);
        IFsiItem_Release(item);
        CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
        CHECK_HR(IFileSystemImage_get_VolumeName(image, &v), S_OK);
        CHECK(v && !wcscmp(v, L"20231114_221320"), "default VolumeName '%ls'", v ? v : L"");
        SysFreeString(v);
        IFileSystemImageResult_get_ImageStream(result, &stream);
        CHECK(iso_flags_of(stream, "HIDDEN.TXT;1") == 1, "hidden file has the existence bit");
        CHECK(iso_flags_of(stream, "SHOWN.TXT;1") == 0, "other file has no flag");
        IStream_Release(stream);
        IFileSystemImageResult_Release(result);
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

static const test_case cases[] = {
    { "levels", levels },
    { "strict", strict },
    { "deep_trees", deep_trees },
    { "restricted_names", restricted_names },
    { "volume_names", volume_names },
    { "hidden", hidden },
    { "windows_names", windows_names },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
