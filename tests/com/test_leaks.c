/*
 * Leaks (docs/reliability.md): every creatable object (MsftFileSystemImage, BootOptions,
 * MsftIsoImageManager) and every object reachable from them (Root, items, enumerators and their
 * clones, results, streams and their clones, progress items, block ranges, connection points,
 * type info, IErrorInfo) is made, used and released again and again; after a warm-up the process's
 * private bytes (GetProcessMemoryInfo), the bytes in use on its heaps (HeapWalk) and its handle
 * count (GetProcessHandleCount) must stay flat, and DllCanUnloadNow must answer S_OK once
 * everything is released (S_FALSE while an object or a server lock is alive).
 *
 *   test_leaks [ROUNDS] [CASE...]  default 20000 light rounds; heavy rounds (AddTree, results,
 *                                  reads) are a tenth of that
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define PSAPI_VERSION 2                 /* GetProcessMemoryInfo is K32GetProcessMemoryInfo in kernel32 */
#include "client_util.h"
#include <psapi.h>

/* ---- measures --------------------------------------------------------------------------------- */

typedef struct metrics {
    SIZE_T priv;                        /* private bytes */
    SIZE_T heap;                        /* bytes in busy blocks of every process heap */
    DWORD handles;
} metrics;

static SIZE_T heap_busy(void)
{
    HANDLE heaps[64];
    DWORD n = GetProcessHeaps(64, heaps);
    SIZE_T busy = 0;
    for (DWORD i = 0; i < n && i < 64; i++) {
        PROCESS_HEAP_ENTRY e;
        if (!HeapLock(heaps[i])) continue;
        e.lpData = NULL;
        while (HeapWalk(heaps[i], &e))
            if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) busy += e.cbData;
        HeapUnlock(heaps[i]);
    }
    return busy;
}

/* Handles by probing: Wine answers GetProcessHandleCount with 0. New handles take the lowest free
 * slot, so leaked ones show up among the first few thousand values. */
static DWORD probe_handles(void)
{
    DWORD n = 0, flags;
    for (ULONG_PTR h = 4; h < 0x8000; h += 4)
        if (GetHandleInformation((HANDLE)h, &flags)) n++;
    return n;
}

static void measure(metrics *m)
{
    PROCESS_MEMORY_COUNTERS_EX pmc;
    memset(&pmc, 0, sizeof(pmc));
    pmc.cb = sizeof(pmc);
    GetProcessMemoryInfo(GetCurrentProcess(), (PROCESS_MEMORY_COUNTERS *)&pmc, sizeof(pmc));
    /* Windows: PrivateUsage (= PagefileUsage, the commit charge); Wine fills only PagefileUsage */
    m->priv = pmc.PrivateUsage ? pmc.PrivateUsage : pmc.PagefileUsage;
    m->heap = heap_busy();
    m->handles = 0;
    if (!GetProcessHandleCount(GetCurrentProcess(), &m->handles) || !m->handles) m->handles = probe_handles();
}

/* ---- the DLL's exports ------------------------------------------------------------------------ */

typedef HRESULT (WINAPI *can_unload_fn)(void);
typedef HRESULT (WINAPI *get_class_fn)(REFCLSID, REFIID, void **);
static can_unload_fn dll_can_unload;
static get_class_fn dll_get_class;

/* ---- an event sink (DFileSystemImageEvents through IDispatch) ---------------------------------- */

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

/* ---- helpers ------------------------------------------------------------------------------------- */

static WCHAR g_dir[MAX_PATH], g_iso[MAX_PATH];

#define OK(expr) CHECK_HR(expr, S_OK)
#define REL(p) do { if (p) { IUnknown_Release((IUnknown *)(p)); (p) = NULL; } } while (0)

static void drop_error(void)
{
    IErrorInfo *ei = NULL;
    BSTR d = NULL;
    if (GetErrorInfo(0, &ei) == S_OK && ei) {
        IErrorInfo_GetDescription(ei, &d);
        SysFreeString(d);
        IErrorInfo_Release(ei);
    }
}

static void free_array(SAFEARRAY *sa) { if (sa) SafeArrayDestroy(sa); }

static void read_all(IStream *s)
{
    char buf[8192];
    ULONG n;
    seek_to(s, 0);
    do {
        n = 0;
        if (FAILED(IStream_Read(s, buf, sizeof(buf), &n))) break;
    } while (n);
}

/* Items: every property, the data stream, the names per file system. */
static void use_item(IFsiItem *item)
{
    IFsiFileItem *file = NULL;
    IFsiFileItem2 *file2 = NULL;
    BSTR b = NULL;
    DATE d;
    VARIANT_BOOL h;
    OK(IFsiItem_get_Name(item, &b)); SysFreeString(b);
    OK(IFsiItem_get_FullPath(item, &b)); SysFreeString(b);
    IFsiItem_get_CreationTime(item, &d);
    IFsiItem_get_LastModifiedTime(item, &d);
    IFsiItem_get_IsHidden(item, &h);
    b = NULL; IFsiItem_FileSystemName(item, FsiFileSystemJoliet, &b); SysFreeString(b);
    b = NULL; IFsiItem_FileSystemPath(item, FsiFileSystemISO9660, &b); SysFreeString(b);
    if (SUCCEEDED(IFsiItem_QueryInterface(item, &IID_IFsiFileItem, (void **)&file))) {
        IStream *data = NULL;
        LONGLONG size;
        IFsiFileItem_get_DataSize(file, &size);
        if (SUCCEEDED(IFsiFileItem_get_Data(file, &data)) && data) {
            read_all(data);
            REL(data);
        }
        if (SUCCEEDED(IFsiFileItem_QueryInterface(file, &IID_IFsiFileItem2, (void **)&file2))) {
            VARIANT_BOOL rt;
            IFsiNamedStreams *ns = NULL;
            IFsiFileItem2_get_IsRealTime(file2, &rt);
            if (SUCCEEDED(IFsiFileItem2_get_FsiNamedStreams(file2, &ns))) REL(ns);
            else drop_error();
            REL(file2);
        }
        REL(file);
    }
}

/* Both enumerators of a directory, with their clones. */
static void enumerate(IFsiDirectoryItem *dir)
{
    IEnumVARIANT *ev = NULL, *ev2 = NULL;
    IEnumFsiItems *ef = NULL, *ef2 = NULL;
    VARIANT v[4];
    IFsiItem *items[4];
    ULONG got;
    LONG count;
    OK(IFsiDirectoryItem_get_Count(dir, &count));
    OK(IFsiDirectoryItem_get__NewEnum(dir, &ev));
    if (ev) {
        OK(IEnumVARIANT_Clone(ev, &ev2));
        do {
            got = 0;
            for (int i = 0; i < 4; i++) VariantInit(&v[i]);
            IEnumVARIANT_Next(ev, 4, v, &got);
            for (ULONG i = 0; i < got; i++) VariantClear(&v[i]);
        } while (got == 4);
        IEnumVARIANT_Reset(ev);
        IEnumVARIANT_Skip(ev, 1);
        REL(ev2);
        REL(ev);
    }
    OK(IFsiDirectoryItem_get_EnumFsiItems(dir, &ef));
    if (ef) {
        OK(IEnumFsiItems_Clone(ef, &ef2));
        do {
            got = 0;
            IEnumFsiItems_Next(ef, 4, items, &got);
            for (ULONG i = 0; i < got; i++) {
                IFsiDirectoryItem *sub = NULL;
                use_item(items[i]);
                if (SUCCEEDED(IFsiItem_QueryInterface(items[i], &IID_IFsiDirectoryItem, (void **)&sub))) {
                    enumerate(sub);
                    REL(sub);
                }
                REL(items[i]);
            }
        } while (got == 4);
        if (ef2) {
            got = 0;
            IEnumFsiItems_Next(ef2, 1, items, &got);
            if (got) REL(items[0]);
        }
        REL(ef2);
        REL(ef);
    }
}

/* A result: its stream (read, cloned, Stat with a name, CopyTo), progress items, ranges, DiscId,
 * and the ISO image manager over it. */
static void use_result(IFileSystemImageResult *res, int events)
{
    IFileSystemImageResult2 *res2 = NULL;
    IStream *s = NULL, *clone = NULL, *mem = SHCreateMemStream(NULL, 0);
    IProgressItems *pi = NULL;
    IBlockRangeList *brl = NULL;
    STATSTG st;
    BSTR b = NULL;
    LONG blocks;
    OK(IFileSystemImageResult_get_TotalBlocks(res, &blocks));
    OK(IFileSystemImageResult_get_ImageStream(res, &s));
    if (!s) return;
    read_all(s);
    OK(IStream_Clone(s, &clone));
    if (clone) {
        char buf[4096];
        ULONG n;
        IStream_Read(clone, buf, sizeof(buf), &n);
        REL(clone);
    }
    if (SUCCEEDED(IStream_Stat(s, &st, STATFLAG_DEFAULT))) CoTaskMemFree(st.pwcsName);
    seek_to(s, 0);
    OK(IStream_CopyTo(s, mem, st.cbSize, NULL, NULL));
    REL(mem);
    OK(IFileSystemImageResult_get_ProgressItems(res, &pi));
    if (pi) {
        IProgressItem *item = NULL;
        IEnumProgressItems *ep = NULL, *ep2 = NULL;
        IEnumVARIANT *ev = NULL;
        LONG count = 0;
        IProgressItems_get_Count(pi, &count);
        if (SUCCEEDED(IProgressItems_get_Item(pi, 0, &item))) {
            IProgressItem_get_Description(item, &b);
            SysFreeString(b);
            REL(item);
        }
        if (SUCCEEDED(IProgressItems_ProgressItemFromBlock(pi, 20, &item))) REL(item);
        else drop_error();
        if (SUCCEEDED(IProgressItems_get_EnumProgressItems(pi, &ep))) {
            ULONG got = 0;
            IEnumProgressItems_Clone(ep, &ep2);
            while (IEnumProgressItems_Next(ep, 1, &item, &got) == S_OK && got) REL(item);
            REL(ep2);
            REL(ep);
        }
        if (SUCCEEDED(IProgressItems_get__NewEnum(pi, &ev))) {
            VARIANT v;
            ULONG got = 0;
            VariantInit(&v);
            while (IEnumVARIANT_Next(ev, 1, &v, &got) == S_OK && got) VariantClear(&v);
            REL(ev);
        }
        REL(pi);
    }
    b = NULL;
    IFileSystemImageResult_get_DiscId(res, &b);
    SysFreeString(b);
    if (SUCCEEDED(IFileSystemImageResult_QueryInterface(res, &IID_IFileSystemImageResult2, (void **)&res2))) {
        if (SUCCEEDED(IFileSystemImageResult2_get_ModifiedBlocks(res2, &brl)) && brl) {
            SAFEARRAY *sa = NULL;
            IBlockRangeList_get_BlockRanges(brl, &sa);
            free_array(sa);
            REL(brl);
        }
        REL(res2);
    }
    /* the image manager over the stream and over the file */
    {
        IIsoImageManager *mgr = NULL;
        OK(CoCreateInstance(&CLSID_MsftIsoImageManager, NULL, CLSCTX_INPROC_SERVER, &IID_IIsoImageManager, (void **)&mgr));
        if (mgr) {
            IStream *got = NULL;
            OK(IIsoImageManager_SetStream(mgr, s));
            OK(IIsoImageManager_Validate(mgr));
            if (SUCCEEDED(IIsoImageManager_get_Stream(mgr, &got))) REL(got);
            OK(IIsoImageManager_SetPath(mgr, b = SysAllocString(g_iso)));
            SysFreeString(b);
            b = NULL;
            IIsoImageManager_get_Path(mgr, &b);
            SysFreeString(b);
            OK(IIsoImageManager_Validate(mgr));
            REL(mgr);
        }
    }
    (void)events;
    REL(s);
}

/* ---- the rounds ---------------------------------------------------------------------------------- */

/* Light: objects made and released, properties, type info and IDispatch, errors, BootOptions. */
static void light_round(int i)
{
    IFileSystemImage *image = NULL;
    IFileSystemImage3 *image3 = NULL;
    IDispatch *disp = NULL;
    ISupportErrorInfo *sei = NULL;
    IFsiDirectoryItem *root = NULL;
    IFsiItem *item = NULL;
    IBootOptions *boot = NULL;
    SAFEARRAY *sa = NULL;
    BSTR b = NULL;
    LONG l;
    WCHAR name[32];

    OK(CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image));
    if (!image) return;
    OK(IFileSystemImage_QueryInterface(image, &IID_IFileSystemImage3, (void **)&image3));
    OK(IFileSystemImage_QueryInterface(image, &IID_IDispatch, (void **)&disp));
    OK(IFileSystemImage_QueryInterface(image, &IID_ISupportErrorInfo, (void **)&sei));
    swprintf(name, 32, L"VOL%d", i);
    OK(IFileSystemImage_put_VolumeName(image, b = SysAllocString(name)));
    SysFreeString(b);
    OK(IFileSystemImage_get_VolumeName(image, &b)); SysFreeString(b);
    b = NULL; IFileSystemImage3_get_VolumeNameJoliet(image3, &b); SysFreeString(b);
    b = NULL; IFileSystemImage3_get_VolumeNameISO9660(image3, &b); SysFreeString(b);
    b = NULL; IFileSystemImage3_get_VolumeNameUDF(image3, &b); SysFreeString(b);
    b = NULL; IFileSystemImage_get_WorkingDirectory(image, &b); SysFreeString(b);
    b = NULL; IFileSystemImage_get_ImportedVolumeName(image, &b); SysFreeString(b);
    OK(IFileSystemImage_get_ISO9660InterchangeLevelsSupported(image, &sa)); free_array(sa); sa = NULL;
    OK(IFileSystemImage_get_UDFRevisionsSupported(image, &sa)); free_array(sa); sa = NULL;
    if (SUCCEEDED(IFileSystemImage_get_MultisessionInterfaces(image, &sa))) free_array(sa);
    else drop_error();
    sa = NULL;
    if (SUCCEEDED(IFileSystemImage3_get_BootImageOptionsArray(image3, &sa))) free_array(sa);
    else drop_error();
    sa = NULL;
    IFileSystemImage_get_FileSystemsSupported(image, (FsiFileSystems *)&l);
    IFileSystemImage_get_UsedBlocks(image, &l);
    /* IDispatch: type info, names, a property through Invoke */
    {
        ITypeInfo *ti = NULL;
        LPOLESTR names[] = { (LPOLESTR)L"VolumeName" };
        DISPID id = 0;
        DISPPARAMS none = { NULL, NULL, 0, 0 };
        VARIANT v;
        OK(IDispatch_GetTypeInfo(disp, 0, 0, &ti));
        REL(ti);
        OK(IDispatch_GetIDsOfNames(disp, &IID_NULL, names, 1, 0, &id));
        VariantInit(&v);
        OK(IDispatch_Invoke(disp, id, &IID_NULL, 0, DISPATCH_PROPERTYGET, &none, &v, NULL, NULL));
        VariantClear(&v);
    }
    /* errors (each sets an IErrorInfo) */
    OK(IFileSystemImage_get_Root(image, &root));
    CHECK_HR(IFsiDirectoryItem_get_Item(root, b = SysAllocString(L"no\\such\\item"), &item), IMAPI_E_ITEM_NOT_FOUND);
    SysFreeString(b);
    drop_error();
    CHECK_HR(IFileSystemImage_put_VolumeName(image, b = SysAllocString(L"a\tb")), IMAPI_E_INVALID_VOLUME_NAME);
    SysFreeString(b);
    drop_error();
    /* BootOptions, alone and set on the image */
    OK(CoCreateInstance(&CLSID_BootOptions, NULL, CLSCTX_INPROC_SERVER, &IID_IBootOptions, (void **)&boot));
    if (boot) {
        IStream *bi = SHCreateMemStream(NULL, 0), *got = NULL;
        ULARGE_INTEGER sz;
        sz.QuadPart = 2048 * 4;
        IStream_SetSize(bi, sz);
        if (SUCCEEDED(IBootOptions_AssignBootImage(boot, bi))) {
            if (SUCCEEDED(IBootOptions_get_BootImage(boot, &got))) REL(got);
        } else drop_error();
        OK(IBootOptions_put_Manufacturer(boot, b = SysAllocString(L"leaks")));
        SysFreeString(b);
        b = NULL; IBootOptions_get_Manufacturer(boot, &b); SysFreeString(b);
        if (FAILED(IFileSystemImage_put_BootImageOptions(image, boot))) drop_error();
        REL(bi);
        REL(boot);
    }
    {
        IBootOptions *back = NULL;
        if (SUCCEEDED(IFileSystemImage_get_BootImageOptions(image, &back))) REL(back);
        else drop_error();
    }
    REL(root);
    REL(sei);
    REL(disp);
    REL(image3);
    REL(image);
}

/* Heavy: a tree (AddDirectory, AddFile, AddTree, free items), walked, changed, a result read by
 * every means, events, change points. */
static void heavy_round(int i)
{
    IFileSystemImage *image = NULL;
    IConnectionPointContainer *cpc = NULL;
    IConnectionPoint *cp = NULL;
    IFsiDirectoryItem *root = NULL, *newdir = NULL;
    IFsiFileItem *newfile = NULL;
    IFsiItem *item = NULL;
    IFileSystemImageResult *res = NULL;
    IStream *data;
    DWORD cookie = 0;
    LONG change = 0;
    BSTR b;

    OK(CoCreateInstance(&CLSID_MsftFileSystemImage, NULL, CLSCTX_INPROC_SERVER, &IID_IFileSystemImage, (void **)&image));
    if (!image) return;
    IFileSystemImage_put_FreeMediaBlocks(image, 0);
    if (i & 1) IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF);
    if (SUCCEEDED(IFileSystemImage_QueryInterface(image, &IID_IConnectionPointContainer, (void **)&cpc))) {
        if (SUCCEEDED(IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageEvents, &cp)))
            IConnectionPoint_Advise(cp, (IUnknown *)&sink, &cookie);
    }
    OK(IFileSystemImage_get_Root(image, &root));
    if (!root) return;
    OK(IFsiDirectoryItem_AddDirectory(root, b = SysAllocString(L"d")));
    SysFreeString(b);
    data = SHCreateMemStream((const BYTE *)"some file data", 14);
    OK(IFsiDirectoryItem_AddFile(root, b = SysAllocString(L"d\\f.txt"), data));
    SysFreeString(b);
    REL(data);
    CHECK_HR(IFsiDirectoryItem_AddFile(root, b = SysAllocString(L"d\\f.txt"), NULL), IMAPI_E_INVALID_PARAM);
    SysFreeString(b);
    drop_error();
    OK(IFsiDirectoryItem_AddTree(root, b = SysAllocString(g_dir), VARIANT_TRUE));
    SysFreeString(b);
    IFileSystemImage_get_ChangePoint(image, &change);
    /* free items, added */
    OK(IFileSystemImage_CreateDirectoryItem(image, b = SysAllocString(L"free"), &newdir));
    SysFreeString(b);
    OK(IFileSystemImage_CreateFileItem(image, b = SysAllocString(L"free.bin"), &newfile));
    SysFreeString(b);
    if (newfile) {
        data = SHCreateMemStream((const BYTE *)"free item data", 14);
        OK(IFsiFileItem_put_Data(newfile, data));
        REL(data);
        OK(IFsiDirectoryItem_Add(newdir, (IFsiItem *)newfile));
        REL(newfile);
    }
    if (newdir) {
        OK(IFsiDirectoryItem_Add(root, (IFsiItem *)newdir));
        REL(newdir);
    }
    OK(IFsiDirectoryItem_get_Item(root, b = SysAllocString(L"d\\f.txt"), &item));
    SysFreeString(b);
    if (item) {
        use_item(item);
        REL(item);
    }
    enumerate(root);
    /* a result, read by every means, with events */
    OK(IFileSystemImage_CreateResultImage(image, &res));
    if (res) {
        use_result(res, 1);
        REL(res);
    }
    /* changes after the result; back to the change point; removals */
    OK(IFsiDirectoryItem_Remove(root, b = SysAllocString(L"d\\f.txt")));
    SysFreeString(b);
    if (FAILED(IFileSystemImage_RollbackToChangePoint(image, change))) drop_error();
    if (FAILED(IFileSystemImage_LockInChangePoint(image))) drop_error();
    OK(IFsiDirectoryItem_RemoveTree(root, b = SysAllocString(L"d")));
    SysFreeString(b);
    if (cp) {
        IConnectionPoint_Unadvise(cp, cookie);
        REL(cp);
    }
    REL(cpc);
    REL(root);
    REL(image);
}

/* Run fn n times after a warm-up of n/10 and compare the measures before and after. */
static void run(const char *name, void (*fn)(int), int n, SIZE_T priv_tol, SIZE_T heap_tol)
{
    metrics a, b;
    DWORD t0;
    int warm = n / 10 < 50 ? 50 : n / 10;
    for (int i = 0; i < warm; i++) fn(i);
    CHECK(dll_can_unload() == S_OK, "%s: DllCanUnloadNow S_OK after the warm-up", name);
    measure(&a);
    t0 = GetTickCount();
    for (int i = 0; i < n; i++) fn(warm + i);
    measure(&b);
    CHECK(dll_can_unload() == S_OK, "%s: DllCanUnloadNow S_OK after %d rounds", name, n);
    printf("# %s: %d rounds in %lu ms; private bytes %ld -> %ld (%+ld), heap in use %ld -> %ld (%+ld), "
           "handles %lu -> %lu\n", name, n, GetTickCount() - t0, (long)a.priv, (long)b.priv,
           (long)b.priv - (long)a.priv, (long)a.heap, (long)b.heap, (long)b.heap - (long)a.heap,
           a.handles, b.handles);
    CHECK(b.priv <= a.priv + priv_tol, "%s: private bytes grew by %ld (tolerance %lu)", name,
          (long)b.priv - (long)a.priv, (unsigned long)priv_tol);
    CHECK(b.heap <= a.heap + heap_tol, "%s: heap in use grew by %ld (tolerance %lu)", name,
          (long)b.heap - (long)a.heap, (unsigned long)heap_tol);
    CHECK(b.handles <= a.handles + 2, "%s: handles %lu -> %lu", name, a.handles, b.handles);
    fflush(stdout);
}

/* DllCanUnloadNow with the class factories: S_FALSE while an object or a lock lives. */
static void test_unload(void)
{
    static const CLSID *const classes[] = { &CLSID_MsftFileSystemImage, &CLSID_BootOptions, &CLSID_MsftIsoImageManager };
    for (size_t c = 0; c < ARRAYSIZE(classes); c++) {
        IClassFactory *cf = NULL;
        IUnknown *obj = NULL;
        OK(dll_get_class(classes[c], &IID_IClassFactory, (void **)&cf));
        if (!cf) continue;
        CHECK(dll_can_unload() == S_FALSE, "class %zu: DllCanUnloadNow S_FALSE while a factory lives", c);
        OK(IClassFactory_CreateInstance(cf, NULL, &IID_IUnknown, (void **)&obj));
        OK(IClassFactory_LockServer(cf, TRUE));
        REL(cf);
        CHECK(dll_can_unload() == S_FALSE, "class %zu: S_FALSE with an object and a lock", c);
        REL(obj);
        CHECK(dll_can_unload() == S_FALSE, "class %zu: S_FALSE with a lock", c);
        OK(dll_get_class(classes[c], &IID_IClassFactory, (void **)&cf));
        if (cf) {
            OK(IClassFactory_LockServer(cf, FALSE));
            REL(cf);
        }
        CHECK(dll_can_unload() == S_OK, "class %zu: S_OK once all is released", c);
    }
    /* a result outliving its image keeps the DLL */
    {
        IFileSystemImage *image = new_image();
        IFileSystemImageResult *res = NULL;
        IStream *s = NULL;
        OK(IFileSystemImage_CreateResultImage(image, &res));
        if (res) IFileSystemImageResult_get_ImageStream(res, &s);
        REL(image);
        REL(res);
        CHECK(dll_can_unload() == S_FALSE, "S_FALSE while a result's stream lives");
        REL(s);
        CHECK(dll_can_unload() == S_OK, "S_OK once the stream goes");
    }
}

static void make_folder(void)
{
    WCHAR tmp[MAX_PATH], p[MAX_PATH];
    char data[5000];
    GetTempPathW(MAX_PATH, tmp);
    swprintf(g_dir, MAX_PATH, L"%lsfsi-leaks-%lu", tmp, GetCurrentProcessId());
    CreateDirectoryW(g_dir, NULL);
    for (int i = 0; i < (int)sizeof(data); i++) data[i] = (char)(i * 7);
    swprintf(p, MAX_PATH, L"%ls\\a.txt", g_dir); write_file(p, data, 100);
    swprintf(p, MAX_PATH, L"%ls\\sub", g_dir); CreateDirectoryW(p, NULL);
    swprintf(p, MAX_PATH, L"%ls\\sub\\b.bin", g_dir); write_file(p, data, 5000);
    swprintf(p, MAX_PATH, L"%ls\\sub\\empty", g_dir); write_file(p, data, 0);
    /* an image file for IIsoImageManager::SetPath */
    swprintf(g_iso, MAX_PATH, L"%ls.iso", g_dir);
    {
        IFileSystemImage *image = image_of_tree(g_dir);
        IFileSystemImageResult *res = NULL;
        IStream *s = NULL, *f = NULL;
        ULARGE_INTEGER all;
        all.QuadPart = ~0ull >> 1;
        OK(IFileSystemImage_CreateResultImage(image, &res));
        if (res) IFileSystemImageResult_get_ImageStream(res, &s);
        OK(SHCreateStreamOnFileW(g_iso, STGM_CREATE | STGM_WRITE, &f));
        if (s && f) IStream_CopyTo(s, f, all, NULL, NULL);
        REL(f);
        REL(s);
        REL(res);
        REL(image);
    }
}

static int rounds = 20000;

static void light_rounds(void) { run("light rounds", light_round, rounds, 1 << 20, 64 << 10); }

static void heavy_rounds(void)
{
    run("heavy rounds", heavy_round, rounds / 10, 1 << 20, 64 << 10);
    CHECK(sink_refs == 1, "the event sink is released (%ld references left)", sink_refs);
    CHECK(sink_updates > 0, "events were fired (%ld)", sink_updates);
    test_unload();                      /* and the DLL still unloads after them */
}

static void print_dll(void)             /* which imapi2fs.dll was measured */
{
    WCHAR path[MAX_PATH];
    GetModuleFileNameW(GetModuleHandleW(L"imapi2fs.dll"), path, MAX_PATH);
    printf("# %ls\n", path);
}

static const test_case cases[] = {
    { "unload", test_unload },
    { "light_rounds", light_rounds },
    { "heavy_rounds", heavy_rounds },
};

/* test_leaks [ROUNDS] [CASE...] */
int wmain(int argc, WCHAR **argv)
{
    HMODULE dll;
    int rc;
    if (argc > 1 && iswdigit(argv[1][0])) {
        rounds = _wtoi(argv[1]);
        argc--, argv++;
    }
    SetEnvironmentVariableW(L"OANOCACHE", L"1");    /* no BSTR cache in the heap figures */
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    make_folder();
    dll = GetModuleHandleW(L"imapi2fs.dll");
    CHECK(dll != NULL, "imapi2fs.dll is loaded");
    if (!dll) return report();
    dll_can_unload = (can_unload_fn)(void *)GetProcAddress(dll, "DllCanUnloadNow");
    dll_get_class = (get_class_fn)(void *)GetProcAddress(dll, "DllGetClassObject");
    before_report = print_dll;
    rc = RUN_CASES(argc, argv, cases);
    DeleteFileW(g_iso);
    remove_tree(g_dir);
    CoUninitialize();
    return rc;
}
