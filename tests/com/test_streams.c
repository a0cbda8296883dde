/*
 * Named streams and real-time files through COM (IFsiFileItem2, FsiNamedStreams,
 * AddTreeWithNamedStreams): the HRESULT of AddStream, put_IsRealTime and AddTreeWithNamedStreams
 * for every file system mix and UDF revision, duplicates, files not in the image, the collection
 * (Item, Count, both enumerators), the items of streams (IsNamedStream, what they refuse), removal,
 * change points, progress items, and the data read back.
 *
 *   test_streams.exe [CASE...]                    every case, or those named
 *   test_streams.exe --image OUT.img [REV [FS]]   only the image: named streams, a real-time and a
 *                                                 hidden file, written to OUT.img with UDF revision
 *                                                 REV (default 0x201) and file systems FS (default
 *                                                 7); read by tests/com/streams.test.sh
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

#define S_FEATURE IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED

static IFsiFileItem2 *file_item(IFsiDirectoryItem *root, const WCHAR *path)
{
    IFsiItem *item = NULL;
    IFsiFileItem2 *f = NULL;
    BSTR s = B(path);
    CHECK_HR(IFsiDirectoryItem_get_Item(root, s, &item), S_OK);
    SysFreeString(s);
    if (item) {
        CHECK_HR(IFsiItem_QueryInterface(item, &IID_IFsiFileItem2, (void **)&f), S_OK);
        IFsiItem_Release(item);
    }
    if (!f) { report(); exit(1); }
    return f;
}

static HRESULT add_stream(IFsiFileItem2 *f, const WCHAR *name, const char *data, size_t len)
{
    IStream *m = mem_stream(data, len);
    BSTR s = B(name);
    HRESULT hr = IFsiFileItem2_AddStream(f, s, m);
    SysFreeString(s);
    IStream_Release(m);
    return hr;
}

static LONG stream_count(IFsiFileItem2 *f)
{
    IFsiNamedStreams *ns = NULL;
    LONG n = -1;
    CHECK_HR(IFsiFileItem2_get_FsiNamedStreams(f, &ns), S_OK);
    if (ns) {
        CHECK_HR(IFsiNamedStreams_get_Count(ns, &n), S_OK);
        IFsiNamedStreams_Release(ns);
    }
    return n;
}

static void set_fs(IFileSystemImage *image, FsiFileSystems fs, LONG rev)
{
    CHECK_HR(IFileSystemImage_put_FileSystemsToCreate(image, fs), S_OK);
    CHECK_HR(IFileSystemImage_put_UDFRevision(image, rev), S_OK);
}

/* AddStream and put_IsRealTime: S_OK when the selection writes them, else the S code; the stream
 * and the flag are recorded in both cases. */
static void per_revision(void)
{
    static const LONG revs[] = { 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 };
    static const FsiFileSystems mixes[] = { FsiFileSystemISO9660 | FsiFileSystemJoliet,
                                            FsiFileSystemUDF, FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF };
    IFileSystemImage *image = new_image();
    IFsiDirectoryItem *root;
    IFsiFileItem2 *f;
    IStream *m = mem_stream("x", 1);
    BSTR s;
    int k = 0;
    IFileSystemImage_get_Root(image, &root);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"f.bin"), m), S_OK);
    SysFreeString(s);
    IStream_Release(m);
    f = file_item(root, L"f.bin");
    for (size_t i = 0; i < ARRAYSIZE(mixes); i++)
        for (size_t r = 0; r < ARRAYSIZE(revs); r++) {
            WCHAR name[32];
            int udf = (mixes[i] & FsiFileSystemUDF) != 0;
            VARIANT_BOOL rt = VARIANT_FALSE;
            set_fs(image, mixes[i], revs[r]);
            swprintf(name, ARRAYSIZE(name), L"s%d", k++);
            CHECK_HR(add_stream(f, name, "data", 4), udf && revs[r] >= 0x200 ? S_OK : S_FEATURE);
            CHECK_HR(IFsiFileItem2_put_IsRealTime(f, (r & 1) ? VARIANT_TRUE : VARIANT_FALSE),
                     udf && revs[r] >= 0x201 ? S_OK : S_FEATURE);
            CHECK_HR(IFsiFileItem2_get_IsRealTime(f, &rt), S_OK);
            CHECK(rt == ((r & 1) ? VARIANT_TRUE : VARIANT_FALSE), "IsRealTime kept (mix %d rev 0x%lx)", (int)mixes[i], revs[r]);
        }
    CHECK(stream_count(f) == k, "every stream recorded whatever the revision: %ld of %d", stream_count(f), k);
    IFsiFileItem2_Release(f);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

static void read_all(IStream *s, char *buf, ULONG len, ULONG *got)
{
    ULONG n = 0;
    *got = 0;
    while (*got < len && SUCCEEDED(IStream_Read(s, buf + *got, len - *got, &n)) && n) *got += n;
}

/* The collection and the items of streams. */
static void collection(void)
{
    IFileSystemImage *image = new_image();
    IFsiDirectoryItem *root;
    IFsiFileItem2 *f, *si = NULL, *si2 = NULL;
    IFsiFileItem *created = NULL;
    IFsiNamedStreams *ns = NULL, *old = NULL;
    IEnumVARIANT *ev = NULL;
    IEnumFsiItems *ef = NULL;
    IStream *m;
    BSTR s, name = NULL;
    VARIANT_BOOL b;
    LONG n = 0;
    LONGLONG size = 0;
    char buf[64];
    ULONG got = 0;

    set_fs(image, FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x201);
    IFileSystemImage_get_Root(image, &root);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"dir")), S_OK);
    SysFreeString(s);
    m = mem_stream("main", 4);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"dir\\a.txt"), m), S_OK);
    SysFreeString(s);
    IStream_Release(m);
    f = file_item(root, L"dir\\a.txt");
    CHECK(stream_count(f) == 0, "a new file has no streams");
    CHECK_HR(IFsiFileItem2_get_IsNamedStream(f, &b), S_OK);
    CHECK(b == VARIANT_FALSE, "a file is not a named stream");

    CHECK_HR(add_stream(f, L"one", "first stream", 12), S_OK);
    CHECK_HR(add_stream(f, L"Zone.Identifier", "[ZoneTransfer]\r\nZoneId=3\r\n", 26), S_OK);
    CHECK_HR(add_stream(f, L"empty", "", 0), S_OK);
    /* a duplicate name: an error, and the stream is not replaced */
    CHECK_HR(add_stream(f, L"one", "other data", 10), IMAPI_E_DUP_NAME);
    check_error_text(L"'one' name already exists", "AddStream duplicate");
    /* arguments */
    m = mem_stream("x", 1);
    CHECK_HR(IFsiFileItem2_AddStream(f, NULL, m), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IFsiFileItem2_AddStream(f, s = B(L""), m), IMAPI_E_INVALID_PARAM);
    SysFreeString(s);
    CHECK_HR(IFsiFileItem2_AddStream(f, s = B(L"x"), NULL), IMAPI_E_INVALID_PARAM);
    SysFreeString(s);
    CHECK_HR(IFsiFileItem2_AddStream(f, s = B(L"a:b"), m), IMAPI_E_INVALID_PATH);
    SysFreeString(s);
    CHECK_HR(IFsiFileItem2_AddStream(f, s = B(L"*UDF NT ACL"), m), IMAPI_E_INVALID_PATH);
    SysFreeString(s);
    IStream_Release(m);

    CHECK_HR(IFsiFileItem2_get_FsiNamedStreams(f, &ns), S_OK);
    CHECK_HR(IFsiNamedStreams_get_Count(ns, &n), S_OK);
    CHECK(n == 3, "Count %ld, want 3", n);
    CHECK_HR(IFsiNamedStreams_get_Item(ns, -1, &si), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IFsiNamedStreams_get_Item(ns, 3, &si), IMAPI_E_INVALID_PARAM);
    CHECK(si == NULL, "no item out of range");
    CHECK_HR(IFsiNamedStreams_get_Item(ns, 0, &si), S_OK);       /* zero-based, in the order added */
    if (si) {
        IStream *data = NULL;
        CHECK_HR(IFsiFileItem2_get_Name(si, &name), S_OK);
        CHECK(name && !wcscmp(name, L"one"), "Item(0) is 'one': %ls", name);
        SysFreeString(name);
        CHECK_HR(IFsiFileItem2_get_FullPath(si, &name), S_OK);
        CHECK(name && !wcscmp(name, L"\\dir\\a.txt:one"), "FullPath %ls", name);
        SysFreeString(name);
        CHECK_HR(IFsiFileItem2_FileSystemName(si, FsiFileSystemUDF, &name), S_OK);
        CHECK(name && !wcscmp(name, L"one"), "UDF name %ls", name);
        SysFreeString(name);
        CHECK_HR(IFsiFileItem2_FileSystemName(si, FsiFileSystemISO9660, &name), S_OK);
        CHECK(name && !*name, "no ISO 9660 name: %ls", name);
        SysFreeString(name);
        CHECK_HR(IFsiFileItem2_FileSystemPath(si, FsiFileSystemUDF, &name), S_OK);
        CHECK(name && !wcscmp(name, L"\\dir\\a.txt:one"), "UDF path %ls", name);
        SysFreeString(name);
        CHECK_HR(IFsiFileItem2_get_IsNamedStream(si, &b), S_OK);
        CHECK(b == VARIANT_TRUE, "IsNamedStream TRUE");
        CHECK_HR(IFsiFileItem2_get_DataSize(si, &size), S_OK);
        CHECK(size == 12, "DataSize %lld (not replaced by the duplicate)", size);
        CHECK_HR(IFsiFileItem2_get_Data(si, &data), S_OK);
        if (data) {
            read_all(data, buf, sizeof(buf), &got);
            CHECK(got == 12 && !memcmp(buf, "first stream", 12), "Data of the stream (%lu bytes)", got);
            IStream_Release(data);
        }
        /* what a named stream does not have */
        CHECK_HR(IFsiFileItem2_get_FsiNamedStreams(si, &old), IMAPI_E_PROPERTY_NOT_ACCESSIBLE);
        check_error_text(L"FsiNamedStreams", "FsiNamedStreams of a stream");
        CHECK(old == NULL, "no collection");
        CHECK_HR(add_stream(si, L"sub", "x", 1), IMAPI_E_PROPERTY_NOT_ACCESSIBLE);
        CHECK_HR(IFsiFileItem2_RemoveStream(si, s = B(L"one")), IMAPI_E_PROPERTY_NOT_ACCESSIBLE);
        SysFreeString(s);
        CHECK_HR(IFsiFileItem2_put_IsRealTime(si, VARIANT_TRUE), IMAPI_E_PROPERTY_NOT_ACCESSIBLE);
        CHECK_HR(IFsiFileItem2_put_IsHidden(si, VARIANT_TRUE), IMAPI_E_PROPERTY_NOT_ACCESSIBLE);
        m = mem_stream("y", 1);
        CHECK_HR(IFsiFileItem2_put_Data(si, m), IMAPI_E_READONLY);
        IStream_Release(m);
        /* a stream is not a tree item */
        CHECK_HR(IFsiDirectoryItem_Add(root, (IFsiItem *)si), IMAPI_E_INVALID_PARAM);
        /* late binding: the type library's IFsiFileItem2 */
        {
            IDispatch *disp = NULL;
            LPOLESTR names[1] = { (LPOLESTR)L"IsNamedStream" };
            DISPID id = 0;
            DISPPARAMS dp = { NULL, NULL, 0, 0 };
            VARIANT v;
            VariantInit(&v);
            CHECK_HR(IFsiFileItem2_QueryInterface(si, &IID_IDispatch, (void **)&disp), S_OK);
            if (disp) {
                CHECK_HR(IDispatch_GetIDsOfNames(disp, &IID_NULL, names, 1, 0, &id), S_OK);
                CHECK(id == 46, "DISPID of IsNamedStream %ld", id);
                CHECK_HR(IDispatch_Invoke(disp, id, &IID_NULL, 0, DISPATCH_PROPERTYGET, &dp, &v, NULL, NULL), S_OK);
                CHECK(V_VT(&v) == VT_BOOL && V_BOOL(&v) == VARIANT_TRUE, "IsNamedStream through IDispatch");
                IDispatch_Release(disp);
            }
        }
    }
    CHECK_HR(IFsiNamedStreams_get_Item(ns, 2, &si2), S_OK);
    if (si2) {
        CHECK_HR(IFsiFileItem2_get_DataSize(si2, &size), S_OK);
        CHECK(size == 0, "the empty stream: %lld", size);
        IFsiFileItem2_Release(si2);
    }
    /* both enumerators give every stream */
    CHECK_HR(IFsiNamedStreams_get__NewEnum(ns, &ev), S_OK);
    if (ev) {
        VARIANT v[4];
        ULONG fetched = 0;
        CHECK_HR(IEnumVARIANT_Next(ev, 4, v, &fetched), S_FALSE);
        CHECK(fetched == 3, "_NewEnum gave %lu", fetched);
        for (ULONG i = 0; i < fetched; i++) {
            IFsiFileItem2 *x = NULL;
            CHECK(V_VT(&v[i]) == VT_DISPATCH, "VT_DISPATCH");
            IDispatch_QueryInterface(V_DISPATCH(&v[i]), &IID_IFsiFileItem2, (void **)&x);
            CHECK(x != NULL, "element %lu is an IFsiFileItem2", i);
            if (x) IFsiFileItem2_Release(x);
            VariantClear(&v[i]);
        }
        IEnumVARIANT_Release(ev);
    }
    CHECK_HR(IFsiNamedStreams_get_EnumNamedStreams(ns, &ef), S_OK);
    if (ef) {
        IFsiItem *items[4] = { 0 };
        ULONG fetched = 0;
        CHECK_HR(IEnumFsiItems_Next(ef, 4, items, &fetched), S_FALSE);
        CHECK(fetched == 3, "EnumNamedStreams gave %lu", fetched);
        for (ULONG i = 0; i < fetched; i++) {
            BSTR nm = NULL;
            IFsiItem_get_Name(items[i], &nm);
            CHECK(nm && !wcscmp(nm, i == 0 ? L"one" : i == 1 ? L"Zone.Identifier" : L"empty"), "enumerated %ls", nm);
            SysFreeString(nm);
            IFsiItem_Release(items[i]);
        }
        IEnumFsiItems_Release(ef);
    }

    /* removal: the collection read before is a snapshot; its item still reads its data */
    CHECK_HR(IFsiFileItem2_RemoveStream(f, s = B(L"one")), S_OK);
    CHECK_HR(IFsiFileItem2_RemoveStream(f, s), IMAPI_E_ITEM_NOT_FOUND);
    check_error_text(L"'one'", "RemoveStream of a missing stream");
    SysFreeString(s);
    CHECK_HR(IFsiFileItem2_RemoveStream(f, NULL), IMAPI_E_INVALID_PARAM);
    CHECK(stream_count(f) == 2, "two streams left");
    CHECK_HR(IFsiNamedStreams_get_Count(ns, &n), S_OK);
    CHECK(n == 3, "the earlier collection is a snapshot: %ld", n);
    if (si) {
        IStream *data = NULL;
        CHECK_HR(IFsiFileItem2_get_Data(si, &data), S_OK);
        if (data) {
            read_all(data, buf, sizeof(buf), &got);
            CHECK(got == 12 && !memcmp(buf, "first stream", 12), "a removed stream's item reads its data");
            IStream_Release(data);
        }
        IFsiFileItem2_Release(si);
    }
    IFsiNamedStreams_Release(ns);
    /* the name is free again */
    CHECK_HR(add_stream(f, L"one", "again", 5), S_OK);

    /* a file not in the image: created and not added, or removed */
    CHECK_HR(IFileSystemImage_CreateFileItem(image, s = B(L"loose.bin"), &created), S_OK);
    SysFreeString(s);
    if (created) {
        IFsiFileItem2 *c2 = NULL;
        IFsiFileItem_QueryInterface(created, &IID_IFsiFileItem2, (void **)&c2);
        CHECK_HR(add_stream(c2, L"s", "x", 1), IMAPI_E_NOT_IN_FILE_SYSTEM);
        check_error_text(L"'loose.bin' is not part of the file system", "AddStream on a file not added");
        IFsiFileItem2_Release(c2);
        IFsiFileItem_Release(created);
    }
    CHECK_HR(IFsiDirectoryItem_Remove(root, s = B(L"dir\\a.txt")), S_OK);
    SysFreeString(s);
    CHECK_HR(add_stream(f, L"late", "x", 1), IMAPI_E_NOT_IN_FILE_SYSTEM);
    {
        /* the item of a removed file is gone (test_observed): it does not read a stale file */
        IFsiNamedStreams *ns = NULL;
        CHECK_HR(IFsiFileItem2_get_FsiNamedStreams(f, &ns), IMAPI_E_ITEM_NOT_FOUND);
        CHECK(!ns, "no collection of a removed file");
    }
    IFsiFileItem2_Release(f);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

/* RollbackToChangePoint restores the streams and the real-time flag of the point. */
static void change_points(void)
{
    IFileSystemImage *image = new_image();
    IFsiDirectoryItem *root;
    IFsiFileItem2 *f;
    IStream *m = mem_stream("abc", 3);
    LONG cp = 0;
    VARIANT_BOOL rt = VARIANT_TRUE;
    BSTR s;
    IFileSystemImage_get_Root(image, &root);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"f"), m), S_OK);
    SysFreeString(s);
    IStream_Release(m);
    f = file_item(root, L"f");
    CHECK_HR(add_stream(f, L"kept", "k", 1), S_FEATURE);      /* ISO 9660 + Joliet: recorded only */
    CHECK_HR(IFileSystemImage_get_ChangePoint(image, &cp), S_OK);
    CHECK_HR(add_stream(f, L"dropped", "d", 1), S_FEATURE);
    CHECK_HR(IFsiFileItem2_put_IsRealTime(f, VARIANT_TRUE), S_FEATURE);
    IFsiFileItem2_Release(f);
    CHECK_HR(IFileSystemImage_RollbackToChangePoint(image, cp), S_OK);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_get_Root(image, &root);
    f = file_item(root, L"f");
    CHECK(stream_count(f) == 1, "rollback: the point's streams (%ld)", stream_count(f));
    CHECK_HR(IFsiFileItem2_get_IsRealTime(f, &rt), S_OK);
    CHECK(rt == VARIANT_FALSE, "rollback: the point's real-time flag");
    IFsiFileItem2_Release(f);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

/* The image: streams in the progress items and the size (none below UDF 2.00); written to out if
 * given. */
static void image_with_streams(const WCHAR *out, LONG rev, FsiFileSystems fs)
{
    int written = (fs & FsiFileSystemUDF) && rev >= 0x200, rt_written = (fs & FsiFileSystemUDF) && rev >= 0x201;
    IFileSystemImage *image = new_image();
    IFsiDirectoryItem *root;
    IFsiFileItem2 *f, *rt, *h;
    IFileSystemImageResult *result = NULL;
    IProgressItems *items = NULL;
    LONG with = 0, without = 0, count = 0;
    char *big = malloc(300000);
    IStream *m;
    BSTR s;
    for (int i = 0; i < 300000; i++) big[i] = (char)('a' + i % 26);
    set_fs(image, fs, rev);
    CHECK_HR(IFileSystemImage_put_VolumeName(image, s = B(L"STREAMS")), S_OK);
    SysFreeString(s);
    IFileSystemImage_get_Root(image, &root);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"dir")), S_OK);
    SysFreeString(s);
    m = mem_stream("main data of a\n", 15);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"a.txt"), m), S_OK);
    SysFreeString(s);
    IStream_Release(m);
    m = mem_stream("realtime data\n", 14);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"rt.bin"), m), S_OK);
    SysFreeString(s);
    IStream_Release(m);
    m = mem_stream("hidden\n", 7);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"dir\\hidden.txt"), m), S_OK);
    SysFreeString(s);
    IStream_Release(m);
    /* several hundred blocks in all: udfclient reads no image under 300 blocks */
    m = mem_stream(big, 300000);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"dir\\big.bin"), m), S_OK);
    SysFreeString(s);
    IStream_Release(m);
    CHECK_HR(IFileSystemImage_get_UsedBlocks(image, &without), S_OK);
    f = file_item(root, L"a.txt");
    CHECK_HR(add_stream(f, L"s1", "stream one data\n", 16), written ? S_OK : S_FEATURE);
    CHECK_HR(add_stream(f, L"Zone.Identifier", "[ZoneTransfer]\r\nZoneId=3\r\n", 26), written ? S_OK : S_FEATURE);
    CHECK_HR(add_stream(f, L"empty", "", 0), written ? S_OK : S_FEATURE);
    IFsiFileItem2_Release(f);
    f = file_item(root, L"dir\\big.bin");
    CHECK_HR(add_stream(f, L"bigstream", big + 1, 200000), written ? S_OK : S_FEATURE);
    IFsiFileItem2_Release(f);
    rt = file_item(root, L"rt.bin");
    CHECK_HR(IFsiFileItem2_put_IsRealTime(rt, VARIANT_TRUE), rt_written ? S_OK : S_FEATURE);
    IFsiFileItem2_Release(rt);
    h = file_item(root, L"dir\\hidden.txt");
    CHECK_HR(IFsiFileItem2_put_IsHidden(h, VARIANT_TRUE), S_OK);
    IFsiFileItem2_Release(h);
    CHECK_HR(IFileSystemImage_get_UsedBlocks(image, &with), S_OK);
    /* stream data (1 + 1 + 98 blocks), two stream directories (EFE and FIDs: 2 x 2) and four
     * stream EFEs; below 2.00 nothing. 2.50+ round the metadata (and its mirror) up to 32-block
     * units, which may hold the 8 blocks already, and put the mirror and the reserve VDS after
     * the data from a 32-block unit where they are a tenth of the image from the metadata file
     * and the main VDS (zeros before them when the data is short, fewer with more data): the
     * image grows by whole units, at most the data, a unit of metadata and of mirror, and one */
    if (!written) CHECK(with == without, "no streams below UDF 2.00: UsedBlocks %ld, without %ld", with, without);
    else if (rev < 0x250) CHECK(with - without == 108, "UsedBlocks with streams %ld, without %ld", with, without);
    else CHECK(with >= without && (with - without) % 32 == 0 && with - without <= 100 + 3 * 32,
               "UsedBlocks with streams %ld, without %ld", with, without);

    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) {
        LONG blocks = 0;
        CHECK_HR(IFileSystemImageResult_get_TotalBlocks(result, &blocks), S_OK);
        CHECK(blocks == with, "TotalBlocks %ld = UsedBlocks %ld", blocks, with);
        CHECK_HR(IFileSystemImageResult_get_ProgressItems(result, &items), S_OK);
        if (items && written) {
            IProgressItem *pi = NULL;
            ULONG nb = 0;
            CHECK_HR(IProgressItems_get_Count(items, &count), S_OK);
            CHECK_HR(IProgressItems_ProgressItemFromDescription(items, s = B(L"\\a.txt:s1"), &pi), S_OK);
            SysFreeString(s);
            if (pi) { IProgressItem_get_BlockCount(pi, &nb); CHECK(nb == 1, "a.txt:s1 one block"); IProgressItem_Release(pi); pi = NULL; }
            CHECK_HR(IProgressItems_ProgressItemFromDescription(items, s = B(L"\\dir\\big.bin:bigstream"), &pi), S_OK);
            SysFreeString(s);
            if (pi) { IProgressItem_get_BlockCount(pi, &nb); CHECK(nb == 98, "bigstream 98 blocks: %lu", nb); IProgressItem_Release(pi); pi = NULL; }
        }
        if (items) IProgressItems_Release(items);
        if (out) {
            IStream *img = NULL;
            size_t len = 0;
            char *bytes;
            CHECK_HR(IFileSystemImageResult_get_ImageStream(result, &img), S_OK);
            if (img) {
                HANDLE hf;
                DWORD w = 0;
                bytes = copy_whole(img, &len);
                hf = CreateFileW(out, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
                CHECK(hf != INVALID_HANDLE_VALUE, "create %ls", out);
                if (hf != INVALID_HANDLE_VALUE) {
                    WriteFile(hf, bytes, (DWORD)len, &w, NULL);
                    CloseHandle(hf);
                }
                CHECK(w == len && len == (size_t)with * 2048, "wrote the image (%lu bytes)", w);
                free(bytes);
                IStream_Release(img);
            }
        }
        IFileSystemImageResult_Release(result);
    }
    free(big);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

/* AddTreeWithNamedStreams: the tree as AddTree gives it, plus the files' alternate data streams
 * where the system has them (Windows NTFS; Wine lists none), and the S code below UDF 2.00. */
static void tree_with_streams(void)
{
    typedef HANDLE (WINAPI *first_fn)(const WCHAR *, STREAM_INFO_LEVELS, void *, DWORD);
    first_fn first = (first_fn)(void *)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "FindFirstStreamW");
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    int have_ads = 0;
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFsiDirectoryItem2 *root2 = NULL;
    BSTR s;
    make_tree(dir, L"streams");
    /* an alternate data stream on a.txt, where the file system has them */
    swprintf(path, MAX_PATH, L"%ls\\a.txt:ads", dir);
    {
        HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
        if (h != INVALID_HANDLE_VALUE) {
            DWORD w;
            WriteFile(h, "alternate", 9, &w, NULL);
            CloseHandle(h);
        }
    }
    if (first) {
        WIN32_FIND_STREAM_DATA sd;
        HANDLE f;
        swprintf(path, MAX_PATH, L"%ls\\a.txt", dir);
        f = first(path, FindStreamInfoStandard, &sd, 0);
        if (f != INVALID_HANDLE_VALUE) {
            do if (!wcscmp(sd.cStreamName, L":ads:$DATA")) have_ads = 1; while (FindNextStreamW(f, &sd));
            FindClose(f);
        }
    }
    printf("# FindFirstStreamW %s; alternate data streams %s\n", first ? "present" : "absent",
           have_ads ? "listed" : "not listed (none on this system)");
    for (int udf = 0; udf < 3; udf++) {
        static const LONG revs[3] = { 0x102, 0x200, 0x250 };
        image = new_image();
        set_fs(image, FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, revs[udf]);
        IFileSystemImage_get_Root(image, &root);
        IFsiDirectoryItem_QueryInterface(root, &IID_IFsiDirectoryItem2, (void **)&root2);
        CHECK_HR(IFsiDirectoryItem2_AddTreeWithNamedStreams(root2, s = B(dir), VARIANT_FALSE),
                 revs[udf] >= 0x200 ? S_OK : S_FEATURE);
        SysFreeString(s);
        {
            IFsiFileItem2 *a = file_item(root, L"a.txt");
            LONG n = stream_count(a);
            CHECK(n == have_ads, "a.txt has %ld streams, want %d", n, have_ads);
            if (n == 1) {
                IFsiNamedStreams *ns = NULL;
                IFsiFileItem2 *si = NULL;
                LONGLONG size = 0;
                BSTR nm = NULL;
                IFsiFileItem2_get_FsiNamedStreams(a, &ns);
                if (ns) IFsiNamedStreams_get_Item(ns, 0, &si);
                if (si) {
                    IFsiFileItem2_get_Name(si, &nm);
                    IFsiFileItem2_get_DataSize(si, &size);
                    CHECK(nm && !wcscmp(nm, L"ads") && size == 9, "the stream 'ads' of 9 bytes: %ls %lld", nm, size);
                    SysFreeString(nm);
                    IFsiFileItem2_Release(si);
                }
                if (ns) IFsiNamedStreams_Release(ns);
            }
            IFsiFileItem2_Release(a);
        }
        /* the files are those of AddTree */
        {
            LONG files = 0;
            IFileSystemImage_get_FileCount(image, &files);
            CHECK(files >= (LONG)TREE_FILES, "FileCount %ld", files);
        }
        IFsiDirectoryItem2_Release(root2);
        IFsiDirectoryItem_Release(root);
        IFileSystemImage_Release(image);
    }
    /* a missing folder: the same error as AddTree */
    image = new_image();
    IFileSystemImage_get_Root(image, &root);
    IFsiDirectoryItem_QueryInterface(root, &IID_IFsiDirectoryItem2, (void **)&root2);
    CHECK_HR(IFsiDirectoryItem2_AddTreeWithNamedStreams(root2, s = B(L"Z:\\no\\such\\folder"), VARIANT_FALSE), IMAPI_E_DIR_NOT_FOUND);
    SysFreeString(s);
    IFsiDirectoryItem2_Release(root2);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    remove_tree(dir);
}

static void streams_2_01(void) { image_with_streams(NULL, 0x201, FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF); }
static void streams_1_02(void) { image_with_streams(NULL, 0x102, FsiFileSystemUDF); }

static const test_case cases[] = {
    { "per_revision", per_revision },
    { "collection", collection },
    { "change_points", change_points },
    { "image_2_01", streams_2_01 },
    { "image_1_02", streams_1_02 },
    { "tree_with_streams", tree_with_streams },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (argc > 2 && !wcscmp(argv[1], L"--image")) {
        LONG rev = argc > 3 ? wcstol(argv[3], NULL, 0) : 0x201;
        FsiFileSystems fs = argc > 4 ? (FsiFileSystems)wcstol(argv[4], NULL, 0) : FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF;
        image_with_streams(argv[2], rev, fs);
        CoUninitialize();
        return report();
    }
    rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
