/*
 * Import and multisession through the vtable: MultisessionInterfaces and its selection rules,
 * the errors before and after an import, in-memory items winning over imported ones, type
 * collisions leaving the image as it was, removing and replacing imported items, UpdateImport
 * events, a sequential session and a random-write result (ModifiedBlocks) imported again, and a
 * damaged previous session. The "disc" is an image in memory behind tools/fsimage/imagedisc.c's
 * caller-side IMultisessionSequential2 / IMultisessionRandomWrite.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"
#include "imagedisc.h"

static IFileSystemImage3 *ms_image(void)
{
    IFileSystemImage3 *image = windows_image(&IID_IFileSystemImage3, NULL);
    /* what these tests were written for (a fresh image has Windows' 7 and level 1: test_observed) */
    IFileSystemImage3_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet);
    IFileSystemImage3_put_ISO9660InterchangeLevel(image, 2);
    return image;
}

static void add_text(IFileSystemImage3 *image, const WCHAR *path, const char *text)
{
    IFsiDirectoryItem *root;
    const WCHAR *sep = wcschr(path, '\\');
    IFileSystemImage3_get_Root(image, &root);
    if (sep) {                              /* the folder first (it may be there already) */
        BSTR d = SysAllocStringLen(path, (UINT)(sep - path));
        IFsiDirectoryItem_AddDirectory(root, d);
        SysFreeString(d);
    }
    add_bytes(root, path, text, strlen(text), S_OK);
    IFsiDirectoryItem_Release(root);
}

/* The content of the file at path, NUL-terminated (NULL if there is none). */
static char *file_text(IFileSystemImage3 *image, const WCHAR *path)
{
    IFsiDirectoryItem *root;
    IFsiItem *item = NULL;
    IFsiFileItem *file = NULL;
    IStream *data = NULL;
    char *buf = NULL;
    BSTR b = B(path);
    IFileSystemImage3_get_Root(image, &root);
    if (SUCCEEDED(IFsiDirectoryItem_get_Item(root, b, &item)) &&
        SUCCEEDED(IFsiItem_QueryInterface(item, &IID_IFsiFileItem, (void **)&file)) &&
        SUCCEEDED(IFsiFileItem_get_Data(file, &data))) {
        size_t len;
        IStream *copy = SHCreateMemStream(NULL, 0);
        ULARGE_INTEGER all;
        all.QuadPart = ~0ull;
        IStream_CopyTo(data, copy, all, NULL, NULL);
        buf = memstream_bytes(copy, &len);
        buf[len] = 0;
        IStream_Release(copy);
    }
    if (data) IStream_Release(data);
    if (file) IFsiFileItem_Release(file);
    if (item) IFsiItem_Release(item);
    IFsiDirectoryItem_Release(root);
    SysFreeString(b);
    return buf;
}

static int has(IFileSystemImage3 *image, const WCHAR *path)
{
    FsiItemType t = FsiItemNotFound;
    BSTR b = B(path);
    IFileSystemImage3_Exists(image, b, &t);
    SysFreeString(b);
    return t != FsiItemNotFound;
}

/* The image's result stream, whole, as a memory stream; *ss its SessionStartBlock. */
static IStream *result_bytes(IFileSystemImage3 *image, IFileSystemImageResult **keep)
{
    IFileSystemImageResult *result = NULL;
    IStream *s = NULL, *m;
    size_t len;
    char *buf;
    CHECK_HR(IFileSystemImage3_CreateResultImage(image, &result), S_OK);
    IFileSystemImageResult_get_ImageStream(result, &s);
    buf = copy_whole(s, &len);
    m = SHCreateMemStream((const BYTE *)buf, (UINT)len);
    free(buf);
    IStream_Release(s);
    if (keep) *keep = result;
    else IFileSystemImageResult_Release(result);
    return m;
}

static HRESULT use_disc(IFileSystemImage3 *image, IStream *disc, int random)
{
    IMultisession *ms;
    SAFEARRAY *sa = SafeArrayCreateVector(VT_VARIANT, 0, 1);
    VARIANT v;
    LONG i = 0;
    HRESULT hr;
    imagedisc_create(disc, random, &ms);
    V_VT(&v) = VT_DISPATCH;
    V_DISPATCH(&v) = (IDispatch *)ms;
    SafeArrayPutElement(sa, &i, &v);
    IMultisession_Release(ms);
    hr = IFileSystemImage3_put_MultisessionInterfaces(image, sa);
    SafeArrayDestroy(sa);
    return hr;
}

static LONG blocks_of(IStream *s)
{
    STATSTG st;
    IStream_Stat(s, &st, STATFLAG_NONAME);
    return (LONG)(st.cbSize.QuadPart / 2048);
}

/* ---- a DFileSystemImageImportEvents sink ------------------------------------------------------ */

static LONG import_events, dir_events;
static WCHAR last_item[260];
static LONG last_files_total = 0;

static HRESULT WINAPI sink_QI(IDispatch *d, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
        IsEqualIID(riid, &IID_DFileSystemImageImportEvents)) {
        *ppv = d;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI sink_AddRef(IDispatch *d) { return 2; }
static ULONG WINAPI sink_Release(IDispatch *d) { return 1; }
static HRESULT WINAPI sink_count(IDispatch *d, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI sink_ti(IDispatch *d, UINT i, LCID l, ITypeInfo **t) { return E_NOTIMPL; }
static HRESULT WINAPI sink_ids(IDispatch *d, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *ids) { return E_NOTIMPL; }
static HRESULT WINAPI sink_Invoke(IDispatch *d, DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS *p,
                                  VARIANT *res, EXCEPINFO *ei, UINT *arg)
{
    /* UpdateImport(object, fileSystem, currentItem, importedDirs, totalDirs, importedFiles, totalFiles):
     * arguments in reverse order */
    if (id == 0x101 && p->cArgs == 7 && V_VT(&p->rgvarg[4]) == VT_BSTR) {
        import_events++;
        lstrcpynW(last_item, V_BSTR(&p->rgvarg[4]), 260);
        if (last_item[0] && last_item[lstrlenW(last_item) - 1] == '\\') dir_events++;
        last_files_total = V_I4(&p->rgvarg[0]);
    }
    return S_OK;
}
static IDispatchVtbl sink_vtbl = { sink_QI, sink_AddRef, sink_Release, sink_count, sink_ti, sink_ids, sink_Invoke };
static IDispatch sink = { &sink_vtbl };

static DWORD advise(IFileSystemImage3 *image, IConnectionPoint **point)
{
    IConnectionPointContainer *cpc;
    DWORD cookie = 0;
    IFileSystemImage3_QueryInterface(image, &IID_IConnectionPointContainer, (void **)&cpc);
    CHECK_HR(IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageImportEvents, point), S_OK);
    IConnectionPointContainer_Release(cpc);
    CHECK_HR(IConnectionPoint_Advise(*point, (IUnknown *)&sink, &cookie), S_OK);
    return cookie;
}

/* ---- the tests ---------------------------------------------------------------------------------- */

/* The first session: ISO 9660 + Joliet with docs\a.txt, docs\b.txt and top.txt. */
static IStream *first_session(void)
{
    IFileSystemImage3 *image = ms_image();
    IStream *disc;
    BSTR v = B(L"FIRST");
    IFileSystemImage3_put_VolumeName(image, v);
    SysFreeString(v);
    add_text(image, L"docs\\a.txt", "disc a");
    add_text(image, L"docs\\b.txt", "disc b");
    add_text(image, L"top.txt", "disc top");
    {
        static char big[400001];
        memset(big, 'x', 400000);
        add_text(image, L"docs\\big.txt", big);
    }
    disc = result_bytes(image, NULL);
    IFileSystemImage3_Release(image);
    return disc;
}

static void errors_without_multisession(void)
{
    IFileSystemImage3 *image = ms_image();
    FsiFileSystems fs;
    SAFEARRAY *sa = NULL;
    BSTR id = NULL;
    VARIANT_BOOL ok;
    VARIANT v;
    LONG i = 0;
    CHECK_HR(IFileSystemImage3_ImportFileSystem(image, &fs), IMAPI_E_MULTISESSION_NOT_SET);
    CHECK_HR(IFileSystemImage3_ImportSpecificFileSystem(image, FsiFileSystemJoliet), IMAPI_E_MULTISESSION_NOT_SET);
    CHECK_HR(IFileSystemImage3_get_MultisessionInterfaces(image, &sa), S_OK);    /* empty until set */
    CHECK(sa && sa->rgsabound[0].cElements == 0, "MultisessionInterfaces is an empty array until set");
    if (sa) SafeArrayDestroy(sa);
    sa = NULL;
    CHECK_HR(IFileSystemImage3_CalculateDiscIdentifier(image, &id), IMAPI_E_MULTISESSION_NOT_SET);
    CHECK_HR(IFileSystemImage3_ProbeSpecificFileSystem(image, FsiFileSystemJoliet, &ok), IMAPI_E_MULTISESSION_NOT_SET);
    check_error_text(L"MultisessionInterfaces property must be set", "MULTISESSION_NOT_SET text");
    CHECK_HR(IFileSystemImage3_put_MultisessionInterfaces(image, NULL), E_POINTER);
    /* an element that is no IMultisession */
    sa = SafeArrayCreateVector(VT_VARIANT, 0, 1);
    V_VT(&v) = VT_DISPATCH;
    V_DISPATCH(&v) = (IDispatch *)image;
    SafeArrayPutElement(sa, &i, &v);
    CHECK_HR(IFileSystemImage3_put_MultisessionInterfaces(image, sa), IMAPI_E_BAD_MULTISESSION_PARAMETER);
    SafeArrayDestroy(sa);
    /* two in use */
    {
        IStream *disc = SHCreateMemStream(NULL, 0);
        IMultisession *a, *b;
        imagedisc_create(disc, 0, &a);
        imagedisc_create(disc, 1, &b);
        IMultisession_put_InUse(a, VARIANT_TRUE);
        IMultisession_put_InUse(b, VARIANT_TRUE);
        sa = SafeArrayCreateVector(VT_VARIANT, 0, 2);
        V_VT(&v) = VT_DISPATCH;
        V_DISPATCH(&v) = (IDispatch *)a;
        SafeArrayPutElement(sa, &i, &v);
        i = 1;
        V_DISPATCH(&v) = (IDispatch *)b;
        SafeArrayPutElement(sa, &i, &v);
        CHECK_HR(IFileSystemImage3_put_MultisessionInterfaces(image, sa), IMAPI_E_BAD_MULTISESSION_PARAMETER);
        /* none in use: the first supported one is chosen and marked in use */
        IMultisession_put_InUse(a, VARIANT_FALSE);
        IMultisession_put_InUse(b, VARIANT_FALSE);
        CHECK_HR(IFileSystemImage3_put_MultisessionInterfaces(image, sa), S_OK);
        ok = VARIANT_FALSE;
        IMultisession_get_InUse(a, &ok);
        CHECK(ok == VARIANT_TRUE, "the chosen multisession object is InUse");
        SafeArrayDestroy(sa);
        sa = NULL;
        CHECK_HR(IFileSystemImage3_get_MultisessionInterfaces(image, &sa), S_OK);
        CHECK(sa && sa->rgsabound[0].cElements == 2, "MultisessionInterfaces gives back the array");
        if (sa) SafeArrayDestroy(sa);
        /* a blank disc: nothing to import */
        CHECK_HR(IFileSystemImage3_ImportFileSystem(image, &fs), IMAPI_E_EMPTY_DISC);
        IMultisession_Release(a);
        IMultisession_Release(b);
        IStream_Release(disc);
    }
    IFileSystemImage3_Release(image);
}

static void sequential(void)
{
    IStream *disc = first_session(), *session, *both;
    IFileSystemImage3 *image = ms_image(), *again;
    IFileSystemImageResult *result;
    IFileSystemImageResult2 *r2;
    IBlockRangeList *list;
    IConnectionPoint *point;
    FsiFileSystems fs = 0;
    VARIANT_BOOL ok;
    BSTR id1 = NULL, id2 = NULL, name = NULL;
    LONG ss = 0, files = 0, total = 0, n1 = blocks_of(disc);
    SAFEARRAY *ranges = NULL;
    char *t;
    DWORD cookie;

    /* a file in memory before the import wins over the disc's */
    add_text(image, L"docs\\a.txt", "memory a");
    CHECK_HR(use_disc(image, disc, 0), S_OK);
    IFileSystemImage3_get_SessionStartBlock(image, &ss);
    CHECK(ss == n1, "SessionStartBlock is the next writable address (%ld, %ld)", ss, n1);
    CHECK_HR(IFileSystemImage3_ProbeSpecificFileSystem(image, FsiFileSystemJoliet, &ok), S_OK);
    CHECK(ok == VARIANT_TRUE, "Joliet is appendable");
    CHECK_HR(IFileSystemImage3_ProbeSpecificFileSystem(image, FsiFileSystemUDF, &ok), S_OK);
    CHECK(ok == VARIANT_FALSE, "no UDF on the disc");
    CHECK_HR(IFileSystemImage3_CalculateDiscIdentifier(image, &id1), S_OK);
    CHECK_HR(IFileSystemImage3_CalculateDiscIdentifier(image, &id2), S_OK);
    CHECK(id1 && id2 && id1[0] && !lstrcmpW(id1, id2), "CalculateDiscIdentifier is stable");
    CHECK_HR(IFileSystemImage3_ImportSpecificFileSystem(image, FsiFileSystemUDF), IMAPI_E_FILE_SYSTEM_NOT_FOUND);
    check_error_text(L"'UDF'", "FILE_SYSTEM_NOT_FOUND names UDF");

    cookie = advise(image, &point);
    CHECK_HR(IFileSystemImage3_ImportFileSystem(image, &fs), S_OK);
    CHECK(fs == FsiFileSystemJoliet, "ImportFileSystem picks Joliet over ISO 9660 (%d)", fs);
    IConnectionPoint_Unadvise(point, cookie);
    IConnectionPoint_Release(point);
    CHECK(import_events == 4 + 2, "UpdateImport: %ld events (4 files, 2 directories)", import_events);
    CHECK(dir_events == 2, "UpdateImport: directories with a trailing '\\' (%ld)", dir_events);
    CHECK(last_files_total == -1, "UpdateImport: totalFileItems -1 for Joliet");
    CHECK_HR(IFileSystemImage3_get_ImportedVolumeName(image, &name), S_OK);
    CHECK(name && !lstrcmpW(name, L"FIRST"), "ImportedVolumeName");
    IFileSystemImage3_get_FileCount(image, &files);
    CHECK(files == 4, "4 files after the import (%ld)", files);
    t = file_text(image, L"docs\\a.txt");
    CHECK(t && !strcmp(t, "memory a"), "the in-memory file wins");
    free(t);
    t = file_text(image, L"docs\\b.txt");
    CHECK(t && !strcmp(t, "disc b"), "an imported file reads the disc's bytes");
    free(t);
    /* what the imported session fixes */
    CHECK_HR(IFileSystemImage3_put_FileSystemsToCreate(image, FsiFileSystemUDF), IMAPI_E_FILE_SYSTEM_CHANGE_NOT_ALLOWED);
    CHECK_HR(IFileSystemImage3_put_SessionStartBlock(image, 0), IMAPI_E_INCOMPATIBLE_PREVIOUS_SESSION);

    /* remove and replace imported items, add one */
    {
        IFsiDirectoryItem *root;
        BSTR p = B(L"docs\\b.txt");
        IFileSystemImage3_get_Root(image, &root);
        CHECK_HR(IFsiDirectoryItem_Remove(root, p), S_OK);
        SysFreeString(p);
        IFsiDirectoryItem_Release(root);
    }
    add_text(image, L"new.txt", "session two");
    session = result_bytes(image, &result);
    IFileSystemImageResult_get_TotalBlocks(result, &total);
    CHECK(blocks_of(session) == total, "the result is the new session only");
    CHECK(total < n1, "the new session does not copy the old data (%ld blocks, first %ld)", total, n1);
    IFileSystemImageResult_QueryInterface(result, &IID_IFileSystemImageResult2, (void **)&r2);
    CHECK_HR(IFileSystemImageResult2_get_ModifiedBlocks(r2, &list), S_OK);
    IBlockRangeList_get_BlockRanges(list, &ranges);
    CHECK(ranges && ranges->rgsabound[0].cElements == 1, "one modified range for a sequential session");
    if (ranges) SafeArrayDestroy(ranges);
    IBlockRangeList_Release(list);
    IFileSystemImageResult2_Release(r2);
    IFileSystemImageResult_Release(result);

    /* the disc with both sessions, imported again */
    {
        size_t l1, l2;
        char *a = memstream_bytes(disc, &l1), *b = memstream_bytes(session, &l2);
        char *c = malloc(l1 + l2);
        memcpy(c, a, l1);
        memcpy(c + l1, b, l2);
        both = SHCreateMemStream((const BYTE *)c, (UINT)(l1 + l2));
        free(a);
        free(b);
        free(c);
    }
    again = ms_image();
    CHECK_HR(use_disc(again, both, 0), S_OK);
    CHECK_HR(IFileSystemImage3_ImportFileSystem(again, &fs), S_OK);
    t = file_text(again, L"docs\\a.txt");
    CHECK(t && !strcmp(t, "memory a"), "session 2: the file written from memory");
    free(t);
    t = file_text(again, L"top.txt");
    CHECK(t && !strcmp(t, "disc top"), "session 2: a file of session 1, referenced");
    free(t);
    t = file_text(again, L"new.txt");
    CHECK(t && !strcmp(t, "session two"), "session 2: the new file");
    free(t);
    CHECK(!has(again, L"docs\\b.txt"), "session 2: the removed file is gone");
    IFileSystemImage3_Release(again);
    SysFreeString(id1);
    SysFreeString(id2);
    SysFreeString(name);
    IStream_Release(both);
    IStream_Release(session);
    IStream_Release(disc);
    IFileSystemImage3_Release(image);
}

static void random_write(void)
{
    IStream *disc = first_session(), *res;
    IFileSystemImage3 *image = ms_image(), *again;
    IFileSystemImageResult *result;
    IFileSystemImageResult2 *r2;
    IBlockRangeList *list;
    SAFEARRAY *ranges = NULL;
    FsiFileSystems fs;
    LONG total = 0, n1 = blocks_of(disc), ss = 0;
    size_t l1, l2;
    char *old, *all, *t;

    CHECK_HR(use_disc(image, disc, 1), S_OK);
    CHECK_HR(IFileSystemImage3_ImportFileSystem(image, &fs), S_OK);
    IFileSystemImage3_get_SessionStartBlock(image, &ss);
    CHECK(ss >= n1, "random-write: the new session follows the old volume (%ld, %ld)", ss, n1);
    add_text(image, L"docs\\c.txt", "rewritten");
    res = result_bytes(image, &result);
    IFileSystemImageResult_get_TotalBlocks(result, &total);
    CHECK(blocks_of(res) == total && total > ss, "random-write: the result is the whole volume");
    IFileSystemImageResult_QueryInterface(result, &IID_IFileSystemImageResult2, (void **)&r2);
    CHECK_HR(IFileSystemImageResult2_get_ModifiedBlocks(r2, &list), S_OK);
    IBlockRangeList_get_BlockRanges(list, &ranges);
    /* write only the modified ranges over the old image */
    old = memstream_bytes(disc, &l1);
    all = memstream_bytes(res, &l2);
    old = realloc(old, l2);
    memset(old + l1, 0, l2 - l1);
    CHECK(ranges && ranges->rgsabound[0].cElements == 2, "random-write: the descriptors and the session");
    for (LONG k = 0; ranges && k < (LONG)ranges->rgsabound[0].cElements; k++) {
        VARIANT v;
        IBlockRange *br;
        LONG s = -1, e = -1;
        VariantInit(&v);
        SafeArrayGetElement(ranges, &k, &v);
        IDispatch_QueryInterface(V_DISPATCH(&v), &IID_IBlockRange, (void **)&br);
        IBlockRange_get_StartLba(br, &s);
        IBlockRange_get_EndLba(br, &e);
        IBlockRange_Release(br);
        VariantClear(&v);
        if (!k) CHECK(s == 16, "the first range rewrites the descriptors at 16");
        memcpy(old + (size_t)s * 2048, all + (size_t)s * 2048, (size_t)(e - s + 1) * 2048);
    }
    CHECK(!memcmp(old, all, l2), "writing only ModifiedBlocks gives the result");
    if (ranges) SafeArrayDestroy(ranges);
    IBlockRangeList_Release(list);
    IFileSystemImageResult2_Release(r2);
    IFileSystemImageResult_Release(result);
    {
        IStream *d2 = SHCreateMemStream((const BYTE *)old, (UINT)l2);
        again = ms_image();
        CHECK_HR(use_disc(again, d2, 1), S_OK);
        CHECK_HR(IFileSystemImage3_ImportFileSystem(again, &fs), S_OK);
        t = file_text(again, L"docs\\c.txt");
        CHECK(t && !strcmp(t, "rewritten"), "random-write: the new file");
        free(t);
        t = file_text(again, L"docs\\a.txt");
        CHECK(t && !strcmp(t, "disc a"), "random-write: an old file");
        free(t);
        IFileSystemImage3_Release(again);
        IStream_Release(d2);
    }
    free(old);
    free(all);
    IStream_Release(res);
    IStream_Release(disc);
    IFileSystemImage3_Release(image);
}

/* A type collision fails and leaves the image as it was; a damaged session is a consistency error. */
static void collisions_and_damage(void)
{
    IStream *disc = first_session(), *cut;
    IFileSystemImage3 *image = ms_image();
    FsiFileSystems fs;
    LONG files = 0, cp1 = 0, cp2 = 0;
    size_t len;
    char *b;

    add_text(image, L"docs", "a file where the disc has a folder");
    CHECK_HR(use_disc(image, disc, 0), S_OK);
    IFileSystemImage3_get_ChangePoint(image, &cp1);
    CHECK_HR(IFileSystemImage3_ImportFileSystem(image, &fs), IMAPI_E_IMPORT_TYPE_COLLISION_DIRECTORY_EXISTS_AS_FILE);
    check_error_text(L"already exists within the image hierarchy as a file", "collision text");
    IFileSystemImage3_get_FileCount(image, &files);
    IFileSystemImage3_get_ChangePoint(image, &cp2);
    CHECK(files == 1 && cp1 == cp2, "a failed import leaves the image as it was (%ld files)", files);
    IFileSystemImage3_Release(image);

    b = memstream_bytes(disc, &len);
    cut = SHCreateMemStream((const BYTE *)b, 20 * 2048);   /* the volume is larger than the disc */
    image = ms_image();
    CHECK_HR(use_disc(image, cut, 0), S_OK);
    CHECK_HR(IFileSystemImage3_ImportFileSystem(image, &fs), IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR);
    check_error_text(L"Consistency error encountered while importing the 'Joliet' file system", "consistency text");
    IFileSystemImage3_Release(image);
    IStream_Release(cut);
    IStream_Release(disc);
    free(b);
}

static const test_case cases[] = {
    { "errors_without_multisession", errors_without_multisession },
    { "sequential", sequential },
    { "random_write", random_write },
    { "collisions_and_damage", collisions_and_damage },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
