/*
 * What real Windows was seen to do (../shared/reference/windows-observed.md), through the vtable:
 * a fresh MsftFileSystemImage's values, the root item, AddTree given a file, the 2 GiB ISO 9660 /
 * Joliet ceiling, DiscId, and items that stay bound to the live image across RollbackToChangePoint
 * and the removal of an ancestor. observed.vbs pins the same late-bound (observed.test.sh).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

enum { NAME, FULLPATH };
static BSTR bstr_of(IFsiItem *item, int which)
{
    BSTR v = NULL;
    if (which == NAME) IFsiItem_get_Name(item, &v);
    else IFsiItem_get_FullPath(item, &v);
    return v;
}

static void expect_bstr(BSTR got, const WCHAR *want, const char *what)
{
    CHECK(got && !wcscmp(got, want), "%s: '%ls', want '%ls'", what, got ? got : L"(null)", want);
    SysFreeString(got);
}

/* Elements of a one-dimensional SAFEARRAY of VARIANTs as LONGs; returns the count. */
static LONG array_longs(SAFEARRAY *sa, LONG *out, LONG cap)
{
    LONG lb = 0, ub = -1, n = 0;
    if (!sa) return -1;
    SafeArrayGetLBound(sa, 1, &lb);
    SafeArrayGetUBound(sa, 1, &ub);
    for (LONG i = lb; i <= ub; i++, n++) {
        VARIANT v;
        VariantInit(&v);
        SafeArrayGetElement(sa, &i, &v);
        VariantChangeType(&v, &v, 0, VT_I4);
        if (n < cap) out[n] = V_I4(&v);
        VariantClear(&v);
    }
    return n;
}

static IFileSystemImage3 *fresh(IFsiDirectoryItem **root)
{
    return windows_image(&IID_IFileSystemImage3, root);
}

static FsiItemType exists(IFileSystemImage3 *image, const WCHAR *path)
{
    FsiItemType t = FsiItemNotFound;
    BSTR p = B(path);
    IFileSystemImage3_Exists(image, p, &t);
    SysFreeString(p);
    return t;
}

static IFsiDirectoryItem *dir_item(IFsiDirectoryItem *from, const WCHAR *path)
{
    IFsiItem *item = NULL;
    IFsiDirectoryItem *dir = NULL;
    BSTR p = B(path);
    CHECK_HR(IFsiDirectoryItem_get_Item(from, p, &item), S_OK);
    SysFreeString(p);
    if (item) {
        IFsiItem_QueryInterface(item, &IID_IFsiDirectoryItem, (void **)&dir);
        IFsiItem_Release(item);
    }
    return dir;
}

/* ---- 1. a fresh image --------------------------------------------------------------------------- */

static void fresh_values(void)
{
    IFsiDirectoryItem *root;
    IFileSystemImage3 *image = fresh(&root);
    FsiFileSystems fs = 0;
    LONG v = -1, levels[8], n;
    VARIANT_BOOL b;
    SAFEARRAY *sa = NULL;
    BSTR s;

    CHECK_HR(IFileSystemImage3_get_FileSystemsToCreate(image, &fs), S_OK);
    CHECK(fs == 7, "FileSystemsToCreate %d, want 7", fs);
    CHECK_HR(IFileSystemImage3_get_FileSystemsSupported(image, &fs), S_OK);
    CHECK(fs == 7, "FileSystemsSupported %d, want 7", fs);
    CHECK_HR(IFileSystemImage3_get_ISO9660InterchangeLevel(image, &v), S_OK);
    CHECK(v == 1, "ISO9660InterchangeLevel %ld, want 1", v);
    CHECK_HR(IFileSystemImage3_get_UDFRevision(image, &v), S_OK);
    CHECK(v == 0x102, "UDFRevision 0x%lx, want 0x102", v);
    CHECK_HR(IFileSystemImage3_get_DirectoryCount(image, &v), S_OK);
    CHECK(v == 1, "DirectoryCount %ld, want 1 (the root counts)", v);
    CHECK_HR(IFileSystemImage3_get_FileCount(image, &v), S_OK);
    CHECK(v == 0, "FileCount %ld", v);
    CHECK_HR(IFileSystemImage3_get_FreeMediaBlocks(image, &v), S_OK);
    CHECK(v == 332800, "FreeMediaBlocks %ld", v);
    CHECK_HR(IFileSystemImage3_get_SessionStartBlock(image, &v), S_OK);
    CHECK(v == 0, "SessionStartBlock %ld", v);
    CHECK_HR(IFileSystemImage3_get_ChangePoint(image, &v), S_OK);
    CHECK(v == 0, "ChangePoint %ld", v);
    CHECK_HR(IFileSystemImage3_get_CreateRedundantUdfMetadataFiles(image, &b), S_OK);
    CHECK(b == VARIANT_TRUE, "CreateRedundantUdfMetadataFiles");
    CHECK_HR(IFileSystemImage3_get_StrictFileSystemCompliance(image, &b), S_OK);
    CHECK(b == VARIANT_FALSE, "StrictFileSystemCompliance");
    CHECK_HR(IFileSystemImage3_get_VolumeName(image, &s), S_OK);
    expect_bstr(s, L"", "VolumeName");

    /* ISO9660InterchangeLevelsSupported: exactly {1, 2}; level 3 stays accepted (our extension) */
    CHECK_HR(IFileSystemImage3_get_ISO9660InterchangeLevelsSupported(image, &sa), S_OK);
    n = array_longs(sa, levels, 8);
    CHECK(n == 2 && levels[0] == 1 && levels[1] == 2, "ISO9660InterchangeLevelsSupported: %ld elements", n);
    if (sa) SafeArrayDestroy(sa);
    CHECK_HR(IFileSystemImage3_put_ISO9660InterchangeLevel(image, 3), S_OK);
    CHECK_HR(IFileSystemImage3_put_ISO9660InterchangeLevel(image, 4), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IFileSystemImage3_put_ISO9660InterchangeLevel(image, 1), S_OK);

    /* MultisessionInterfaces and BootImageOptionsArray: empty arrays, not errors */
    sa = NULL;
    CHECK_HR(IFileSystemImage3_get_MultisessionInterfaces(image, &sa), S_OK);
    CHECK(array_longs(sa, levels, 8) == 0, "MultisessionInterfaces is an empty array");
    if (sa) SafeArrayDestroy(sa);
    sa = NULL;
    CHECK_HR(IFileSystemImage3_get_BootImageOptionsArray(image, &sa), S_OK);
    CHECK(array_longs(sa, levels, 8) == 0, "BootImageOptionsArray is an empty array");
    if (sa) SafeArrayDestroy(sa);

    /* the names a volume name gets, and UsedBlocks, which it does not change */
    CHECK_HR(IFileSystemImage3_get_UsedBlocks(image, &v), S_OK);
    CHECK(v == 268, "UsedBlocks of an empty image %ld (Windows: 528; docs/behaviour.md)", v);
    CHECK_HR(IFileSystemImage3_put_VolumeName(image, s = B(L"Test_FileSystem")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage3_get_VolumeNameUDF(image, &s), S_OK);
    expect_bstr(s, L"Test_FileSystem", "VolumeNameUDF");
    CHECK_HR(IFileSystemImage3_get_VolumeNameJoliet(image, &s), S_OK);
    expect_bstr(s, L"Test_FileSystem", "VolumeNameJoliet");
    CHECK_HR(IFileSystemImage3_get_VolumeNameISO9660(image, &s), S_OK);
    expect_bstr(s, L"TEST_FILESYSTEM", "VolumeNameISO9660");
    CHECK_HR(IFileSystemImage3_get_UsedBlocks(image, &v), S_OK);
    CHECK(v == 268, "UsedBlocks after VolumeName %ld", v);
    CHECK_HR(IFileSystemImage3_put_FreeMediaBlocks(image, 0), S_OK);
    CHECK_HR(IFileSystemImage3_get_FreeMediaBlocks(image, &v), S_OK);
    CHECK(v == 0, "FreeMediaBlocks 0 reads back 0 (%ld)", v);
    /* ChooseImageDefaultsForMediaType(DVD+RW dual layer): UDF alone, as seen */
    CHECK_HR(IFileSystemImage3_ChooseImageDefaultsForMediaType(image, IMAPI_MEDIA_TYPE_DVDPLUSRW_DUALLAYER), S_OK);
    CHECK_HR(IFileSystemImage3_get_FileSystemsToCreate(image, &fs), S_OK);
    CHECK(fs == FsiFileSystemUDF, "media type 13: FileSystemsToCreate %d, want 4", fs);
    CHECK_HR(IFileSystemImage3_put_FileSystemsToCreate(image, 7), S_OK);

    /* every added folder counts, as the root does */
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"a")), S_OK); SysFreeString(s);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"a\\b")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage3_get_DirectoryCount(image, &v), S_OK);
    CHECK(v == 3, "DirectoryCount %ld after two folders, want 3", v);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage3_Release(image);
}

/* ---- 2. the root item ---------------------------------------------------------------------------- */

static void root_item(void)
{
    IFsiDirectoryItem *root, *sub;
    IFileSystemImage3 *image = fresh(&root);
    IFileSystemImageResult *result = NULL;
    IStream *stream = NULL;
    IFsiItem *file = NULL;
    DATE d = -1;
    BSTR s;
    unsigned char pvd[2048];
    ULONG got = 0;

    expect_bstr(bstr_of((IFsiItem *)root, NAME), L"", "root Name");
    expect_bstr(bstr_of((IFsiItem *)root, FULLPATH), L"", "root FullPath");
    CHECK_HR(IFsiDirectoryItem_get_CreationTime(root, &d), S_OK);
    CHECK(d == 0, "root CreationTime %f, want 0 (1899-12-30)", d);
    CHECK_HR(IFsiDirectoryItem_get_LastAccessedTime(root, &d), S_OK);
    CHECK(d == 0, "root LastAccessedTime %f", d);
    CHECK_HR(IFsiDirectoryItem_get_LastModifiedTime(root, &d), S_OK);
    CHECK(d == 0, "root LastModifiedTime %f", d);

    /* children keep "\dir\file" */
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"dir")), S_OK); SysFreeString(s);
    add_bytes(root, L"dir\\file.txt", "x", 1, S_OK);
    CHECK_HR(IFsiDirectoryItem_get_Item(root, s = B(L"dir\\file.txt"), &file), S_OK); SysFreeString(s);
    if (file) {
        expect_bstr(bstr_of(file, FULLPATH), L"\\dir\\file.txt", "child FullPath");
        IFsiItem_Release(file);
    }
    sub = dir_item(root, L"dir");
    if (sub) {
        expect_bstr(bstr_of((IFsiItem *)sub, FULLPATH), L"\\dir", "folder FullPath");
        IFsiDirectoryItem_Release(sub);
    }

    /* the image still dates the root directory when the object was made: its record in the PVD
     * (ECMA-119 9.1.5, years since 1900) is of this century */
    CHECK_HR(IFileSystemImage3_put_FileSystemsToCreate(image, FsiFileSystemISO9660), S_OK);
    CHECK_HR(IFileSystemImage3_CreateResultImage(image, &result), S_OK);
    if (result) {
        IFileSystemImageResult_get_ImageStream(result, &stream);
        seek_to(stream, 16 * 2048);
        IStream_Read(stream, pvd, sizeof(pvd), &got);
        CHECK(got == 2048 && pvd[156 + 18] >= 100, "root directory record year %d", pvd[156 + 18] + 1900);
        IStream_Release(stream);
        IFileSystemImageResult_Release(result);
    }

    /* a time a client sets is what it reads back */
    CHECK_HR(IFsiDirectoryItem_put_LastModifiedTime(root, 45000.5), S_OK);
    CHECK_HR(IFsiDirectoryItem_get_LastModifiedTime(root, &d), S_OK);
    CHECK(d == 45000.5, "root LastModifiedTime after put: %f", d);
    CHECK_HR(IFsiDirectoryItem_get_CreationTime(root, &d), S_OK);
    CHECK(d == 0, "root CreationTime still 0: %f", d);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage3_Release(image);
}

/* ---- 3. AddTree given a file ------------------------------------------------------------------------ */

static void add_tree_file(void)
{
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    IFsiDirectoryItem *root, *sub;
    IFileSystemImage3 *image = fresh(&root);
    IFsiItem *item = NULL;
    IFsiFileItem *file = NULL;
    LONGLONG size = 0;
    LONG count = 0, files = 0;
    BSTR s;

    make_tree(dir, L"obs");
    IFileSystemImage3_put_FreeMediaBlocks(image, 0);
    /* the way scripts call it: every entry of a folder, files included, base folder TRUE */
    swprintf(path, MAX_PATH, L"%ls\\b.bin", dir);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(path), VARIANT_TRUE), S_OK); SysFreeString(s);
    swprintf(path, MAX_PATH, L"%ls\\a.txt", dir);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(path), VARIANT_FALSE), S_OK); SysFreeString(s);
    swprintf(path, MAX_PATH, L"%ls\\sub", dir);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(path), VARIANT_TRUE), S_OK); SysFreeString(s);
    CHECK(exists(image, L"b.bin") == FsiItemFile, "AddTree(file) added b.bin into the root");
    CHECK(exists(image, L"a.txt") == FsiItemFile, "AddTree(file, FALSE) added a.txt");
    CHECK(exists(image, L"sub\\odd.bin") == FsiItemFile, "AddTree(folder) still adds the folder");
    CHECK_HR(IFsiDirectoryItem_get_Item(root, s = B(L"b.bin"), &item), S_OK); SysFreeString(s);
    if (item) {
        IFsiItem_QueryInterface(item, &IID_IFsiFileItem, (void **)&file);
        if (file) {
            IFsiFileItem_get_DataSize(file, &size);
            CHECK(size == 70000, "b.bin DataSize %lld", size);
            IFsiFileItem_Release(file);
        }
        IFsiItem_Release(item);
    }
    /* into a subfolder, from another item, AddTreeWithNamedStreams too */
    sub = dir_item(root, L"sub");
    if (sub) {
        swprintf(path, MAX_PATH, L"%ls\\z\\last.bin", dir);
        CHECK_HR(IFsiDirectoryItem2_AddTreeWithNamedStreams((IFsiDirectoryItem2 *)sub, s = B(path), VARIANT_FALSE),
                 IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED);      /* UDF 1.02: streams recorded, not written */
        SysFreeString(s);
        IFsiDirectoryItem_Release(sub);
    }
    CHECK(exists(image, L"sub\\last.bin") == FsiItemFile, "AddTreeWithNamedStreams(file) into sub");
    /* the source wins on a collision, as for folders */
    swprintf(path, MAX_PATH, L"%ls\\sub\\exact.bin", dir);
    add_bytes(root, L"exact.bin", "old", 3, S_OK);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(path), VARIANT_FALSE), S_OK); SysFreeString(s);
    CHECK_HR(IFsiDirectoryItem_get_Item(root, s = B(L"exact.bin"), &item), S_OK); SysFreeString(s);
    if (item) {
        IFsiItem_QueryInterface(item, &IID_IFsiFileItem, (void **)&file);
        size = 0;
        if (file) { IFsiFileItem_get_DataSize(file, &size); IFsiFileItem_Release(file); }
        CHECK(size == 2048, "exact.bin replaced by the source's (%lld bytes)", size);
        IFsiItem_Release(item);
    }
    /* errors, and nothing changes on failure: a missing path, a file over the size limit */
    IFileSystemImage3_get_FileCount(image, &files);
    IFsiDirectoryItem_get_Count(root, &count);
    swprintf(path, MAX_PATH, L"%ls\\nope.bin", dir);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(path), VARIANT_FALSE), IMAPI_E_DIR_NOT_FOUND); SysFreeString(s);
    check_error_text(L"nope.bin", "IMAPI_E_DIR_NOT_FOUND names the path");
    {
        LONG used = 0;
        CHECK_HR(IFileSystemImage3_get_UsedBlocks(image, &used), S_OK);
        CHECK_HR(IFileSystemImage3_put_FreeMediaBlocks(image, used + 100), S_OK);
    }
    swprintf(path, MAX_PATH, L"%ls\\sub\\deep\\x\\y\\big.bin", dir);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(path), VARIANT_FALSE), IMAPI_E_IMAGE_SIZE_LIMIT); SysFreeString(s);
    check_error_text(L"size larger than the current configured limit", "IMAPI_E_IMAGE_SIZE_LIMIT text");
    {
        LONG files2 = -1, count2 = -1;
        IFileSystemImage3_get_FileCount(image, &files2);
        IFsiDirectoryItem_get_Count(root, &count2);
        CHECK(files2 == files && count2 == count, "a failed AddTree(file) changes nothing (%ld/%ld files)", files2, files);
        CHECK(exists(image, L"big.bin") == FsiItemNotFound, "big.bin not added");
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage3_Release(image);
    remove_tree(dir);
}

/* ---- 5. the 2 GiB ceiling of ISO 9660 / Joliet at levels 1 and 2 --------------------------------- */

static void size_ceiling(void)
{
    static const struct { FsiFileSystems fs; LONG level; HRESULT hr; const WCHAR *text; } cases[] = {
        { 7, 1, IMAPI_E_DATA_TOO_BIG, L"Data file is too large for 'ISO9660/Joliet' file system." },
        { 3, 2, IMAPI_E_DATA_TOO_BIG, L"Data file is too large for 'ISO9660/Joliet' file system." },
        { 5, 2, IMAPI_E_DATA_TOO_BIG, L"Data file is too large for 'ISO9660' file system." },
        { 1, 1, IMAPI_E_DATA_TOO_BIG, L"Data file is too large for 'ISO9660' file system." },
        { 2, 2, IMAPI_E_DATA_TOO_BIG, L"Data file is too large for 'Joliet' file system." },
        { 6, 1, IMAPI_E_DATA_TOO_BIG, L"Data file is too large for 'Joliet' file system." },
        { 4, 1, S_OK, NULL },               /* UDF alone takes any size */
        { 7, 3, S_OK, NULL },               /* level 3: several extents (our extension) */
    };
    for (size_t i = 0; i < ARRAYSIZE(cases); i++) {
        IFsiDirectoryItem *root;
        IFileSystemImage3 *image = fresh(&root);
        IFileSystemImageResult *result = NULL;
        IStream *data = big((1ull << 31) + 1);
        BSTR s;
        IFileSystemImage3_put_FreeMediaBlocks(image, 0);
        IFileSystemImage3_put_FileSystemsToCreate(image, cases[i].fs);
        IFileSystemImage3_put_ISO9660InterchangeLevel(image, cases[i].level);
        CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"over.bin"), data), S_OK); SysFreeString(s);
        IStream_Release(data);
        CHECK_HR(IFileSystemImage3_CreateResultImage(image, &result), cases[i].hr);
        if (cases[i].text) {
            IErrorInfo *ei = NULL;
            BSTR desc = NULL;
            if (GetErrorInfo(0, &ei) == S_OK && ei) { IErrorInfo_GetDescription(ei, &desc); IErrorInfo_Release(ei); }
            CHECK(desc && !wcscmp(desc, cases[i].text), "fs %d level %ld: '%ls'", cases[i].fs, cases[i].level,
                  desc ? desc : L"(none)");
            SysFreeString(desc);
        }
        if (result) IFileSystemImageResult_Release(result);
        /* exactly 2 GiB is fine */
        CHECK_HR(IFsiDirectoryItem_Remove(root, s = B(L"over.bin")), S_OK); SysFreeString(s);
        data = big(1ull << 31);
        CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"max.bin"), data), S_OK); SysFreeString(s);
        IStream_Release(data);
        result = NULL;
        CHECK_HR(IFileSystemImage3_CreateResultImage(image, &result), S_OK);
        if (result) IFileSystemImageResult_Release(result);
        IFsiDirectoryItem_Release(root);
        IFileSystemImage3_Release(image);
    }
}

/* ---- 6. DiscId ----------------------------------------------------------------------------------------- */

static void disc_id(void)
{
    static const FsiFileSystems fss[] = { 1, 3, 4, 7 };
    for (size_t i = 0; i < ARRAYSIZE(fss); i++) {
        IFsiDirectoryItem *root;
        IFileSystemImage3 *image = fresh(&root);
        IFileSystemImageResult *result = NULL;
        BSTR id = NULL, s;
        IFileSystemImage3_put_FileSystemsToCreate(image, fss[i]);
        IFileSystemImage3_put_VolumeName(image, s = B(L"My Disc")); SysFreeString(s);
        add_bytes(root, L"a.txt", "a", 1, S_OK);
        CHECK_HR(IFileSystemImage3_CreateResultImage(image, &result), S_OK);
        if (result) {
            CHECK_HR(IFileSystemImageResult_get_DiscId(result, &id), S_OK);
            expect_bstr(id, L"0000000000000000", "DiscId of a new image");
            IFileSystemImageResult_Release(result);
        }
        IFsiDirectoryItem_Release(root);
        IFileSystemImage3_Release(image);
    }
}

/* ---- 7. items stay bound to the live image ------------------------------------------------------------- */

static void bound_items(void)
{
    IFsiDirectoryItem *root, *d, *e, *b, *made, *inner;
    IFileSystemImage3 *image = fresh(&root);
    IFsiItem *f = NULL, *item = NULL;
    LONG cp, files = 0, count = -1;
    BSTR s;

    IFileSystemImage3_put_FreeMediaBlocks(image, 0);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"d")), S_OK); SysFreeString(s);
    d = dir_item(root, L"d");
    add_bytes(d, L"one.txt", "1", 1, S_OK);
    CHECK_HR(IFileSystemImage3_get_ChangePoint(image, &cp), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"e")), S_OK); SysFreeString(s);
    e = dir_item(root, L"e");
    add_bytes(d, L"two.txt", "22", 2, S_OK);
    CHECK_HR(IFsiDirectoryItem_get_Item(root, s = B(L"d\\two.txt"), &f), S_OK); SysFreeString(s);

    /* after a rollback: d works on the live \d, e (made after the point) and two.txt are gone */
    CHECK_HR(IFileSystemImage3_RollbackToChangePoint(image, cp), S_OK);
    add_bytes(d, L"three.txt", "333", 3, S_OK);
    CHECK(exists(image, L"d\\three.txt") == FsiItemFile, "an add through a directory item after a rollback is in the image");
    IFileSystemImage3_get_FileCount(image, &files);
    CHECK(files == 2, "FileCount %ld after the rollback and one add, want 2", files);
    CHECK_HR(IFsiDirectoryItem_get_Count(d, &count), S_OK);
    CHECK(count == 2, "the directory item counts the live folder: %ld", count);
    add_bytes(e, L"lost.txt", "x", 1, IMAPI_E_ITEM_NOT_FOUND);
    check_error_text(L"Cannot find item '\\e' in FileSystemImage hierarchy.", "IMAPI_E_ITEM_NOT_FOUND text");
    CHECK_HR(IFsiDirectoryItem_AddDirectory(e, s = B(L"x")), IMAPI_E_ITEM_NOT_FOUND); SysFreeString(s);
    CHECK_HR(IFsiDirectoryItem_get_Count(e, &count), IMAPI_E_ITEM_NOT_FOUND);
    expect_bstr(bstr_of((IFsiItem *)e, NAME), L"e", "a gone item keeps its Name");
    expect_bstr(bstr_of((IFsiItem *)e, FULLPATH), L"\\e", "and its FullPath");
    if (f) {
        DATE t;
        CHECK_HR(IFsiItem_put_LastModifiedTime(f, 40000.0), IMAPI_E_ITEM_NOT_FOUND);
        CHECK_HR(IFsiItem_get_LastModifiedTime(f, &t), IMAPI_E_ITEM_NOT_FOUND);
        IFsiItem_Release(f);
    }
    /* the path made again: e works on it */
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"e")), S_OK); SysFreeString(s);
    add_bytes(e, L"found.txt", "y", 1, S_OK);
    CHECK(exists(image, L"e\\found.txt") == FsiItemFile, "a stale item works once its path exists again");
    /* but not on an item of another kind */
    CHECK_HR(IFsiDirectoryItem_Remove(root, s = B(L"e\\found.txt")), S_OK); SysFreeString(s);
    CHECK_HR(IFsiDirectoryItem_Remove(root, s = B(L"e")), S_OK); SysFreeString(s);
    add_bytes(root, L"e", "file", 4, S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(e, s = B(L"x")), IMAPI_E_ITEM_NOT_FOUND); SysFreeString(s);

    /* RemoveTree of an ancestor */
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"a\\b")), IMAPI_E_DIR_NOT_FOUND); SysFreeString(s);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"a")), S_OK); SysFreeString(s);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"a\\b")), S_OK); SysFreeString(s);
    b = dir_item(root, L"a\\b");
    CHECK_HR(IFsiDirectoryItem_RemoveTree(root, s = B(L"a")), S_OK); SysFreeString(s);
    add_bytes(b, L"lost.txt", "x", 1, IMAPI_E_ITEM_NOT_FOUND);
    check_error_text(L"'\\a\\b'", "the text names the path");
    CHECK(exists(image, L"a") == FsiItemNotFound, "a stays removed");

    /* an item made by CreateDirectoryItem works before it is added, and on the image after */
    CHECK_HR(IFileSystemImage3_CreateDirectoryItem(image, s = B(L"made"), &made), S_OK); SysFreeString(s);
    add_bytes(made, L"before.txt", "b", 1, S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(made, s = B(L"inner")), S_OK); SysFreeString(s);
    inner = dir_item(made, L"inner");
    CHECK_HR(IFsiDirectoryItem_Add(root, (IFsiItem *)made), S_OK);
    add_bytes(made, L"after.txt", "a", 1, S_OK);
    add_bytes(inner, L"deep.txt", "d", 1, S_OK);
    CHECK(exists(image, L"made\\before.txt") == FsiItemFile && exists(image, L"made\\after.txt") == FsiItemFile &&
          exists(image, L"made\\inner\\deep.txt") == FsiItemFile, "adds through a made folder before and after Add");
    CHECK_HR(IFsiDirectoryItem_Remove(root, s = B(L"made")), IMAPI_E_DIR_NOT_EMPTY); SysFreeString(s);
    CHECK_HR(IFsiDirectoryItem_RemoveTree(root, s = B(L"made")), S_OK); SysFreeString(s);
    add_bytes(inner, L"lost.txt", "x", 1, IMAPI_E_ITEM_NOT_FOUND);
    add_bytes(made, L"lost.txt", "x", 1, IMAPI_E_ITEM_NOT_FOUND);
    /* a removed folder can be added again (moved), and then works */
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"target")), S_OK); SysFreeString(s);
    {
        IFsiDirectoryItem *target = dir_item(root, L"target");
        if (target) {
            CHECK_HR(IFsiDirectoryItem_Add(target, (IFsiItem *)made), S_OK);
            IFsiDirectoryItem_Release(target);
        }
    }
    add_bytes(made, L"moved.txt", "m", 1, S_OK);
    CHECK(exists(image, L"target\\made\\moved.txt") == FsiItemFile && exists(image, L"target\\made\\before.txt") == FsiItemFile,
          "a removed folder added again is bound at its new place");
    expect_bstr(bstr_of((IFsiItem *)made, FULLPATH), L"\\target\\made", "its FullPath");

    /* a merge that replaces an item (AddTree: the source wins): its item works on the new one */
    add_bytes(root, L"a.txt", "old", 3, S_OK);
    CHECK_HR(IFsiDirectoryItem_get_Item(root, s = B(L"a.txt"), &item), S_OK); SysFreeString(s);
    {
        WCHAR dir[MAX_PATH], path[MAX_PATH];
        IFsiFileItem *file = NULL;
        LONGLONG size = 0;
        make_tree(dir, L"bnd");
        swprintf(path, MAX_PATH, L"%ls\\a.txt", dir);
        CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(path), VARIANT_FALSE), S_OK); SysFreeString(s);
        remove_tree(dir);
        if (item) {
            IFsiItem_QueryInterface(item, &IID_IFsiFileItem, (void **)&file);
            if (file) {
                CHECK_HR(IFsiFileItem_get_DataSize(file, &size), S_OK);
                CHECK(size == 6, "a file item over a replaced file reads the live one (%lld bytes)", size);
                IFsiFileItem_Release(file);
            }
            IFsiItem_Release(item);
        }
    }

    IFsiDirectoryItem_Release(inner);
    IFsiDirectoryItem_Release(made);
    IFsiDirectoryItem_Release(b);
    IFsiDirectoryItem_Release(e);
    IFsiDirectoryItem_Release(d);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage3_Release(image);
}

/* ---- 8. FreeMediaBlocks checked on every add: exactly ---------------------------------------------- */

static LONG used_of(IFileSystemImage3 *image)
{
    LONG used = -1;
    CHECK_HR(IFileSystemImage3_get_UsedBlocks(image, &used), S_OK);
    return used;
}

/* Add number i: a folder, a file of a size that varies, a file into a folder. */
static HRESULT add_one(IFileSystemImage3 *image, int i, int undo)
{
    static char data[70000];
    IFsiDirectoryItem *root;
    WCHAR path[64];
    HRESULT hr;
    BSTR p;
    IFileSystemImage3_get_Root(image, &root);
    if (i % 7 == 0) swprintf(path, 64, L"folder %d", i / 7);
    else if (i % 3) swprintf(path, 64, L"folder %d\\longer file name %d.data", i / 7, i);
    else swprintf(path, 64, L"f%d.txt", i);
    p = B(path);
    if (undo) {
        hr = IFsiDirectoryItem_Remove(root, p);
    } else if (i % 7 == 0) {
        hr = IFsiDirectoryItem_AddDirectory(root, p);
    } else {
        IStream *s = SHCreateMemStream((const BYTE *)data, (UINT)((i * 7919) % sizeof(data)));
        hr = IFsiDirectoryItem_AddFile(root, p, s);
        IStream_Release(s);
    }
    SysFreeString(p);
    IFsiDirectoryItem_Release(root);
    return hr;
}

/* The same add to both images; the twin has no limit and says what the image would be: the add
 * must fail with IMAPI_E_IMAGE_SIZE_LIMIT exactly when the twin is then over the limit. */
static void add_both(IFileSystemImage3 *image, IFileSystemImage3 *twin, LONG limit, int i, int *refused)
{
    HRESULT hr, want;
    LONG size;
    size = -1;
    if (FAILED(want = add_one(twin, i, 0))) {
        /* into a folder that was refused: the same error, whatever the limit */
    } else {
        size = used_of(twin);
        want = size > limit ? IMAPI_E_IMAGE_SIZE_LIMIT : S_OK;
        if (want != S_OK) add_one(twin, i, 1);
    }
    hr = add_one(image, i, 0);
    CHECK(hr == want, "add %d: 0x%08lx, want 0x%08lx (the image would have %ld blocks, limit %ld)", i,
          (unsigned long)hr, (unsigned long)want, size, limit);
    if (hr == IMAPI_E_IMAGE_SIZE_LIMIT) {
        check_error_text(L"would result in a result image having a size larger than the current configured limit",
                         "IMAPI_E_IMAGE_SIZE_LIMIT text");
        (*refused)++;
    }
}

static void size_limit(void)
{
    static const struct { FsiFileSystems fs; LONG level, rev; } cases[] = {
        { 7, 1, 0x102 }, { 3, 2, 0x102 }, { 4, 1, 0x260 }, { 7, 2, 0x250 },
    };
    for (size_t c = 0; c < ARRAYSIZE(cases); c++) {
        IFileSystemImage3 *image = fresh(NULL), *twin = fresh(NULL);
        LONG limit, blocks;
        int refused = 0;
        IFileSystemImage3 *both[2] = { image, twin };
        for (int k = 0; k < 2; k++) {
            IFileSystemImage3_put_FileSystemsToCreate(both[k], cases[c].fs);
            IFileSystemImage3_put_ISO9660InterchangeLevel(both[k], cases[c].level);
            IFileSystemImage3_put_UDFRevision(both[k], cases[c].rev);
        }
        IFileSystemImage3_put_FreeMediaBlocks(twin, 0);
        /* the limit: what the twin is after 120 adds */
        for (int i = 0; i < 120; i++) CHECK_HR(add_one(twin, i, 0), S_OK);
        limit = used_of(twin);
        IFileSystemImage3_Release(twin);
        twin = fresh(NULL);
        IFileSystemImage3_put_FileSystemsToCreate(twin, cases[c].fs);
        IFileSystemImage3_put_ISO9660InterchangeLevel(twin, cases[c].level);
        IFileSystemImage3_put_UDFRevision(twin, cases[c].rev);
        IFileSystemImage3_put_FreeMediaBlocks(twin, 0);
        CHECK_HR(IFileSystemImage3_put_FreeMediaBlocks(image, limit), S_OK);
        refused = 0;
        for (int i = 0; i < 160; i++) add_both(image, twin, limit, i, &refused);
        CHECK(refused > 0, "fs %d: some adds refused at the limit", cases[c].fs);
        blocks = used_of(image);
        CHECK(blocks <= limit && blocks == used_of(twin), "fs %d: %ld blocks, limit %ld", cases[c].fs, blocks, limit);
        IFileSystemImage3_Release(twin);
        IFileSystemImage3_Release(image);
    }
}

static const test_case cases[] = {
    { "fresh_values", fresh_values },
    { "root_item", root_item },
    { "add_tree_file", add_tree_file },
    { "size_ceiling", size_ceiling },
    { "disc_id", disc_id },
    { "bound_items", bound_items },
    { "size_limit", size_limit },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
