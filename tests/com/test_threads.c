/*
 * Concurrency (docs/reliability.md): one MsftFileSystemImage used from several MTA threads at once,
 * and results read in parallel.
 *  1. Adders (AddDirectory, AddFile, AddTree, Remove, free items with Add) each in their own folder
 *     of the same image, while readers walk it (counts, Exists, Item, both enumerators, UsedBlocks,
 *     names per file system, VolumeName) and an imager makes results and reads them whole. Nothing
 *     fails that should not, every result read is a complete image, and the counts at the end are
 *     exactly what the adders left.
 *  2. One result read by clones of its stream on several threads (blocks, 64 KiB, CopyTo, random
 *     seeks) while other threads make and read their own results of the same image, with an event
 *     sink connected: every thread gets the same bytes.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

#define ADDERS 4
#define READERS 2
#define FILES 600                       /* per adder; every third is removed again */

static IFileSystemImage *g_image;
static IFsiDirectoryItem *g_root;
static volatile LONG g_adders_left;
static WCHAR g_dir[MAX_PATH];

static size_t file_size(int t, int i) { return (size_t)((i * 977 + t * 131) % 9000); }
static unsigned char file_byte(int t, int i, size_t k) { return (unsigned char)(k * 31 + i * 7 + t); }

static IStream *file_stream(int t, int i)
{
    size_t n = file_size(t, i);
    char *b = malloc(n + 1);
    IStream *s;
    for (size_t k = 0; k < n; k++) b[k] = (char)file_byte(t, i, k);
    s = SHCreateMemStream((const BYTE *)b, (UINT)n);
    free(b);
    return s;
}

/* ---- phase 1: changes and reads at once ------------------------------------------------------ */

static DWORD WINAPI adder(void *arg)
{
    int t = (int)(INT_PTR)arg;
    WCHAR path[64];
    BSTR b;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    swprintf(path, 64, L"t%d", t);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(g_root, b = SysAllocString(path)), S_OK);
    SysFreeString(b);
    for (int i = 0; i < FILES; i++) {
        IStream *s = file_stream(t, i);
        swprintf(path, 64, L"t%d\\f%03d.bin", t, i);
        CHECK_HR(IFsiDirectoryItem_AddFile(g_root, b = SysAllocString(path), s), S_OK);
        SysFreeString(b);
        IStream_Release(s);
        if (i % 3 == 2) {
            swprintf(path, 64, L"t%d\\f%03d.bin", t, i - 1);
            CHECK_HR(IFsiDirectoryItem_Remove(g_root, b = SysAllocString(path)), S_OK);
            SysFreeString(b);
        }
        if (i % 50 == 0) {
            /* a folder from disk, and a free item added into this thread's folder */
            IFsiItem *item = NULL;
            IFsiDirectoryItem *mine = NULL, *free_dir = NULL;
            swprintf(path, 64, L"t%d", t);
            CHECK_HR(IFsiDirectoryItem_get_Item(g_root, b = SysAllocString(path), &item), S_OK);
            SysFreeString(b);
            if (item && SUCCEEDED(IFsiItem_QueryInterface(item, &IID_IFsiDirectoryItem, (void **)&mine))) {
                swprintf(path, 64, L"tree%d", i);
                CHECK_HR(IFsiDirectoryItem_AddDirectory(mine, b = SysAllocString(path)), S_OK);
                SysFreeString(b);
                CHECK_HR(IFileSystemImage_CreateDirectoryItem(g_image, b = SysAllocString(L"free"), &free_dir), S_OK);
                SysFreeString(b);
                if (free_dir) {
                    IFsiItem *sub = NULL;
                    IFsiDirectoryItem *tree = NULL;
                    CHECK_HR(IFsiDirectoryItem_get_Item(mine, b = SysAllocString(path), &sub), S_OK);
                    SysFreeString(b);
                    if (sub && SUCCEEDED(IFsiItem_QueryInterface(sub, &IID_IFsiDirectoryItem, (void **)&tree))) {
                        CHECK_HR(IFsiDirectoryItem_AddTree(tree, b = SysAllocString(g_dir), VARIANT_FALSE), S_OK);
                        SysFreeString(b);
                        CHECK_HR(IFsiDirectoryItem_Add(tree, (IFsiItem *)free_dir), S_OK);
                        IFsiDirectoryItem_Release(tree);
                    }
                    if (sub) IFsiItem_Release(sub);
                    IFsiDirectoryItem_Release(free_dir);
                }
                IFsiDirectoryItem_Release(mine);
            }
            if (item) IFsiItem_Release(item);
        }
    }
    InterlockedDecrement(&g_adders_left);
    CoUninitialize();
    return 0;
}

static LONG count_items(IFsiDirectoryItem *dir, int depth)
{
    IEnumFsiItems *e = NULL;
    IFsiItem *items[8];
    ULONG got;
    LONG n = 0;
    if (FAILED(IFsiDirectoryItem_get_EnumFsiItems(dir, &e)) || !e) return -1;
    do {
        got = 0;
        IEnumFsiItems_Next(e, 8, items, &got);
        for (ULONG i = 0; i < got; i++) {
            IFsiDirectoryItem *sub = NULL;
            BSTR name = NULL;
            n++;
            CHECK_HR(IFsiItem_get_Name(items[i], &name), S_OK);
            SysFreeString(name);
            name = NULL;
            IFsiItem_FileSystemName(items[i], FsiFileSystemISO9660, &name);
            SysFreeString(name);
            if (depth && SUCCEEDED(IFsiItem_QueryInterface(items[i], &IID_IFsiDirectoryItem, (void **)&sub))) {
                LONG k = count_items(sub, depth - 1);
                if (k > 0) n += k;
                IFsiDirectoryItem_Release(sub);
            }
            IFsiItem_Release(items[i]);
        }
    } while (got == 8);
    IEnumFsiItems_Release(e);
    return n;
}

static DWORD WINAPI reader(void *arg)
{
    int r = (int)(INT_PTR)arg, rounds = 0;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    while (g_adders_left) {
        LONG files = -1, dirs = -1, blocks = 0;
        FsiItemType type;
        WCHAR path[64];
        IFsiItem *item = NULL;
        IEnumVARIANT *ev = NULL;
        BSTR b;
        CHECK_HR(IFileSystemImage_get_FileCount(g_image, &files), S_OK);
        CHECK_HR(IFileSystemImage_get_DirectoryCount(g_image, &dirs), S_OK);
        CHECK(files >= 0 && files <= ADDERS * FILES * 2 && dirs >= 0, "counts while adding: %ld files, %ld folders", files, dirs);
        swprintf(path, 64, L"t%d\\f%03d.bin", rounds % ADDERS, rounds % FILES);
        CHECK_HR(IFileSystemImage_Exists(g_image, b = SysAllocString(path), &type), S_OK);
        SysFreeString(b);
        if (SUCCEEDED(IFsiDirectoryItem_get_Item(g_root, b = SysAllocString(path), &item)) && item) {
            IFsiFileItem *f = NULL;
            if (SUCCEEDED(IFsiItem_QueryInterface(item, &IID_IFsiFileItem, (void **)&f))) {
                LONGLONG size = -1;
                CHECK_HR(IFsiFileItem_get_DataSize(f, &size), S_OK);
                CHECK(size == (LONGLONG)file_size(rounds % ADDERS, rounds % FILES), "size of %ls: %ld", path, (long)size);
                IFsiFileItem_Release(f);
            }
            IFsiItem_Release(item);
        }
        SysFreeString(b);
        if (SUCCEEDED(IFsiDirectoryItem_get__NewEnum(g_root, &ev)) && ev) {
            VARIANT v;
            ULONG got;
            VariantInit(&v);
            while (IEnumVARIANT_Next(ev, 1, &v, &got) == S_OK && got) VariantClear(&v);
            IEnumVARIANT_Release(ev);
        }
        count_items(g_root, r ? 3 : 1);
        if (rounds % 8 == 0) CHECK_HR(IFileSystemImage_get_UsedBlocks(g_image, &blocks), S_OK);
        if (r == 1) {
            CHECK_HR(IFileSystemImage_put_VolumeName(g_image, b = SysAllocString(rounds & 1 ? L"ODD" : L"EVEN")), S_OK);
            SysFreeString(b);
        } else {
            b = NULL;
            CHECK_HR(IFileSystemImage_get_VolumeName(g_image, &b), S_OK);
            SysFreeString(b);
        }
        rounds++;
    }
    CoUninitialize();
    return 0;
}

static char *read_result(IFileSystemImageResult *res, size_t *len);

/* A complete image: TotalBlocks blocks, the PVD's volume space size says so too. */
static void check_image_bytes(const char *b, size_t len, const char *what)
{
    const unsigned char *pvd = (const unsigned char *)b + 16 * 2048;
    CHECK(len >= 18 * 2048 && pvd[0] == 1 && !memcmp(pvd + 1, "CD001", 5), "%s: a PVD", what);
    if (len >= 18 * 2048) {
        unsigned vs = pvd[80] | pvd[81] << 8 | pvd[82] << 16 | (unsigned)pvd[83] << 24;
        CHECK((size_t)vs * 2048 == len, "%s: volume space size %u blocks for %lu bytes", what, vs, (unsigned long)len);
    }
}

static DWORD WINAPI imager(void *arg)
{
    int made = 0;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    while (g_adders_left) {
        IFileSystemImageResult *res = NULL;
        CHECK_HR(IFileSystemImage_CreateResultImage(g_image, &res), S_OK);
        if (res) {
            size_t len;
            char *b = read_result(res, &len);
            check_image_bytes(b, len, "a result made while adding");
            free(b);
            IFileSystemImageResult_Release(res);
            made++;
        }
    }
    printf("# %d results made and read while the adders ran\n", made);
    CoUninitialize();
    return 0;
}

static void run_threads(LPTHREAD_START_ROUTINE *fns, void **args, int n)
{
    HANDLE h[16];
    for (int i = 0; i < n; i++) h[i] = CreateThread(NULL, 0, fns[i], args[i], 0, NULL);
    WaitForMultipleObjects(n, h, TRUE, INFINITE);
    for (int i = 0; i < n; i++) CloseHandle(h[i]);
}

static void make_folder(void)
{
    WCHAR tmp[MAX_PATH], p[MAX_PATH];
    GetTempPathW(MAX_PATH, tmp);
    swprintf(g_dir, MAX_PATH, L"%lsfsi-threads-%lu", tmp, GetCurrentProcessId());
    CreateDirectoryW(g_dir, NULL);
    swprintf(p, MAX_PATH, L"%ls\\one.txt", g_dir); write_file(p, "one", 3);
    swprintf(p, MAX_PATH, L"%ls\\sub", g_dir); CreateDirectoryW(p, NULL);
    swprintf(p, MAX_PATH, L"%ls\\sub\\two.txt", g_dir); write_file(p, "two!", 4);
}

static void test_changes(void)
{
    LPTHREAD_START_ROUTINE fns[ADDERS + READERS + 1];
    void *args[ADDERS + READERS + 1];
    int n = 0;
    LONG files = -1, dirs = -1, want_files = 0;

    g_image = new_image();
    CHECK_HR(IFileSystemImage_get_Root(g_image, &g_root), S_OK);
    g_adders_left = ADDERS;
    for (int t = 0; t < ADDERS; t++) { fns[n] = adder; args[n++] = (void *)(INT_PTR)t; }
    for (int r = 0; r < READERS; r++) { fns[n] = reader; args[n++] = (void *)(INT_PTR)r; }
    fns[n] = imager; args[n++] = NULL;
    run_threads(fns, args, n);

    /* what the adders left: FILES files each less the removed ones; per 50 files a folder with
     * the tree (2 files, 1 folder) and the free folder */
    for (int i = 0; i < FILES; i++) if (!(i % 3 == 1 && i + 1 < FILES)) want_files++;
    want_files = ADDERS * (want_files + (FILES + 49) / 50 * 2);
    CHECK_HR(IFileSystemImage_get_FileCount(g_image, &files), S_OK);
    CHECK_HR(IFileSystemImage_get_DirectoryCount(g_image, &dirs), S_OK);
    CHECK(files == want_files, "%ld files at the end, want %ld", files, want_files);
    /* DirectoryCount counts the root, as on Windows */
    CHECK(dirs == 1 + ADDERS * (1 + (FILES + 49) / 50 * 3), "%ld folders at the end, want %d", dirs, 1 + ADDERS * (1 + (FILES + 49) / 50 * 3));
    CHECK(count_items(g_root, 10) == files + dirs - 1, "the enumerators find every item");
    for (int t = 0; t < ADDERS; t++)
        for (int i = 0; i < FILES; i++) {
            WCHAR path[64];
            FsiItemType type = FsiItemNotFound;
            BSTR b;
            int removed = i % 3 == 1 && i + 1 < FILES;
            swprintf(path, 64, L"\\t%d\\f%03d.bin", t, i);
            IFileSystemImage_Exists(g_image, b = SysAllocString(path), &type);
            SysFreeString(b);
            CHECK(type == (removed ? FsiItemNotFound : FsiItemFile), "%ls: type %d", path, type);
        }
    /* and the image of it is right */
    {
        IFileSystemImageResult *res = NULL;
        CHECK_HR(IFileSystemImage_CreateResultImage(g_image, &res), S_OK);
        if (res) {
            size_t len;
            char *b = read_result(res, &len);
            check_image_bytes(b, len, "the result at the end");
            free(b);
            IFileSystemImageResult_Release(res);
        }
    }
    IFsiDirectoryItem_Release(g_root);
    IFileSystemImage_Release(g_image);
}

/* ---- phase 2: parallel reads ----------------------------------------------------------------- */

static char *g_ref;
static size_t g_len;
static IStream *g_stream;                   /* the shared result's stream */

static char *read_result(IFileSystemImageResult *res, size_t *len)
{
    IStream *s = NULL;
    LONG blocks = 0;
    char *b;
    size_t done = 0;
    IFileSystemImageResult_get_TotalBlocks(res, &blocks);
    IFileSystemImageResult_get_ImageStream(res, &s);
    *len = (size_t)blocks * 2048;
    b = malloc(*len + 1);
    if (!s) return b;
    seek_to(s, 0);
    while (done < *len) {
        ULONG n = 0;
        HRESULT hr = IStream_Read(s, b + done, 65536, &n);
        if (FAILED(hr) || !n) {
            CHECK(0, "Read at %lu: 0x%08lx", (unsigned long)done, (unsigned long)hr);
            break;
        }
        done += n;
    }
    IStream_Release(s);
    return b;
}

static DWORD WINAPI clone_reader(void *arg)
{
    int mode = (int)(INT_PTR)arg;
    IStream *s = NULL;
    char *b = malloc(g_len + 1);
    size_t done = 0;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    CHECK_HR(IStream_Clone(g_stream, &s), S_OK);
    if (!s) return 0;
    for (int pass = 0; pass < 3; pass++) {
        memset(b, 0, g_len);
        done = 0;
        seek_to(s, 0);
        if (mode == 0 || mode == 1) {
            ULONG piece = mode == 0 ? 2048 : 65536;
            while (done < g_len) {
                ULONG n = 0;
                if (FAILED(IStream_Read(s, b + done, piece, &n)) || !n) break;
                done += n;
            }
        } else if (mode == 2) {
            IStream *mem = SHCreateMemStream(NULL, 0);
            ULARGE_INTEGER cb;
            char *m;
            cb.QuadPart = g_len;
            CHECK_HR(IStream_CopyTo(s, mem, cb, NULL, NULL), S_OK);
            m = memstream_bytes(mem, &done);
            memcpy(b, m, done < g_len ? done : g_len);
            free(m);
            IStream_Release(mem);
        } else {
            /* random pieces from random places, until every byte was compared */
            unsigned x = 12345 + pass;
            size_t checked = 0;
            char piece[9000];
            while (checked < 4 * g_len) {
                size_t off, len;
                ULONG n = 0;
                x = x * 1103515245 + 12345;
                off = (x >> 4) % g_len;
                len = 1 + (x >> 8) % sizeof(piece);
                if (len > g_len - off) len = g_len - off;
                seek_to(s, off);
                if (FAILED(IStream_Read(s, piece, (ULONG)len, &n)) || n != len || memcmp(piece, g_ref + off, len)) {
                    CHECK(0, "random read of %lu at %lu", (unsigned long)len, (unsigned long)off);
                    break;
                }
                checked += len;
            }
            memcpy(b, g_ref, g_len);
            done = g_len;
        }
        CHECK(done == g_len && !memcmp(b, g_ref, g_len), "reader %d, pass %d: the same bytes (%lu)", mode, pass, (unsigned long)done);
    }
    IStream_Release(s);
    free(b);
    CoUninitialize();
    return 0;
}

static DWORD WINAPI own_result_reader(void *arg)
{
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    for (int pass = 0; pass < 3; pass++) {
        IFileSystemImageResult *res = NULL;
        CHECK_HR(IFileSystemImage_CreateResultImage(g_image, &res), S_OK);
        if (res) {
            size_t len;
            char *b = read_result(res, &len);
            CHECK(len == g_len && !memcmp(b, g_ref, len), "a result made on another thread: the same bytes");
            free(b);
            IFileSystemImageResult_Release(res);
        }
    }
    CoUninitialize();
    return 0;
}

/* An event sink counting Update calls (they come on the reading threads). */
static LONG sink_refs = 1, sink_updates;
static HRESULT WINAPI sink_QueryInterface(IDispatch *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_DFileSystemImageEvents)) {
        *ppv = iface;
        IDispatch_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI sink_AddRef(IDispatch *iface) { return InterlockedIncrement(&sink_refs); }
static ULONG WINAPI sink_Release(IDispatch *iface) { return InterlockedDecrement(&sink_refs); }
static HRESULT WINAPI sink_GetTypeInfoCount(IDispatch *iface, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI sink_GetTypeInfo(IDispatch *iface, UINT i, LCID l, ITypeInfo **ti) { return E_NOTIMPL; }
static HRESULT WINAPI sink_GetIDsOfNames(IDispatch *iface, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *d) { return E_NOTIMPL; }
static HRESULT WINAPI sink_Invoke(IDispatch *iface, DISPID id, REFIID r, LCID l, WORD f, DISPPARAMS *p, VARIANT *res,
                                  EXCEPINFO *e, UINT *a)
{
    InterlockedIncrement(&sink_updates);
    return S_OK;
}
static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo,
    sink_GetIDsOfNames, sink_Invoke,
};
static IDispatch sink = { (IDispatchVtbl *)&sink_vtbl };

static void test_parallel_reads(void)
{
    LPTHREAD_START_ROUTINE fns[8];
    void *args[8];
    IFileSystemImageResult *res = NULL;
    IConnectionPointContainer *cpc = NULL;
    IConnectionPoint *cp = NULL;
    DWORD cookie = 0;
    BSTR b;
    int n = 0;

    /* an image with a few MiB of files */
    g_image = new_image();
    CHECK_HR(IFileSystemImage_get_Root(g_image, &g_root), S_OK);
    CHECK_HR(IFileSystemImage_put_VolumeName(g_image, b = SysAllocString(L"PARALLEL")), S_OK);
    SysFreeString(b);
    for (int i = 0; i < 60; i++) {
        WCHAR path[32];
        size_t size = (size_t)(i * 104729) % 200000;
        char *d = malloc(size + 1);
        IStream *s;
        for (size_t k = 0; k < size; k++) d[k] = (char)file_byte(9, i, k);
        s = SHCreateMemStream((const BYTE *)d, (UINT)size);
        free(d);
        swprintf(path, 32, L"file%02d.bin", i);
        CHECK_HR(IFsiDirectoryItem_AddFile(g_root, b = SysAllocString(path), s), S_OK);
        SysFreeString(b);
        IStream_Release(s);
    }
    CHECK_HR(IFsiDirectoryItem_AddTree(g_root, b = SysAllocString(g_dir), VARIANT_TRUE), S_OK);
    SysFreeString(b);
    if (SUCCEEDED(IFileSystemImage_QueryInterface(g_image, &IID_IConnectionPointContainer, (void **)&cpc)) &&
        SUCCEEDED(IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageEvents, &cp)))
        CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&sink, &cookie), S_OK);
    CHECK_HR(IFileSystemImage_CreateResultImage(g_image, &res), S_OK);
    if (!res) return;
    g_ref = read_result(res, &g_len);
    check_image_bytes(g_ref, g_len, "the shared result");
    IFileSystemImageResult_get_ImageStream(res, &g_stream);

    for (int m = 0; m < 4; m++) { fns[n] = clone_reader; args[n++] = (void *)(INT_PTR)m; }
    for (int m = 0; m < 2; m++) { fns[n] = own_result_reader; args[n++] = NULL; }
    run_threads(fns, args, n);
    CHECK(sink_updates > 0, "Update events fired on the reading threads (%ld)", sink_updates);
    if (cp) {
        CHECK_HR(IConnectionPoint_Unadvise(cp, cookie), S_OK);
        IConnectionPoint_Release(cp);
    }
    if (cpc) IConnectionPointContainer_Release(cpc);
    IStream_Release(g_stream);
    IFileSystemImageResult_Release(res);
    IFsiDirectoryItem_Release(g_root);
    IFileSystemImage_Release(g_image);
    CHECK(sink_refs == 1, "the sink is released (%ld)", sink_refs);
    free(g_ref);
}

static void changes(void)
{
    DWORD t0 = GetTickCount();
    for (int round = 0; round < 3; round++) test_changes();
    printf("# changes on %d threads, 3 rounds: %lu ms\n", ADDERS + READERS + 1, GetTickCount() - t0);
}

static void parallel_reads(void)
{
    DWORD t0 = GetTickCount();
    test_parallel_reads();
    printf("# parallel reads: %lu ms\n", GetTickCount() - t0);
}

static const test_case cases[] = {
    { "changes", changes },
    { "parallel_reads", parallel_reads },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    _putenv("SOURCE_DATE_EPOCH=1700000000");
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    make_folder();
    rc = RUN_CASES(argc, argv, cases);
    remove_tree(g_dir);
    CoUninitialize();
    return rc;
}
