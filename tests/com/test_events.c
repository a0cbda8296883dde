/*
 * MsftFileSystemImage's connection points and DFileSystemImageEvents::Update, with C sinks as
 * ATL/.NET clients write them (events arrive through IDispatch::Invoke, DISPID 0x100):
 * IConnectionPointContainer / IConnectionPoint / the enumerators, several sinks at once (one
 * answering the event interface, one only IDispatch, one failing), Update for every file with
 * data while the result stream is read by each client pattern, copiedSectors monotonic in steps of
 * at most a megabyte and ending at totalSectors, the image as `object`, a sink calling back into
 * the objects, Unadvise (also from inside an event), clones read on other threads, and the sinks
 * released with the image.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

/* ---- a recording sink ---------------------------------------------------------------------------- */

enum sink_mode {
    SINK_EVENTS,        /* answers QueryInterface for DIID DFileSystemImageEvents and IDispatch */
    SINK_DISPATCH,      /* answers IDispatch only (script and .NET sinks) */
    SINK_NONE,          /* answers neither: Advise must refuse it */
    SINK_FAILING,       /* Invoke returns DISP_E_EXCEPTION */
    SINK_CALLBACK,      /* calls into the image and the result from inside Update */
    SINK_UNADVISE,      /* unadvises itself on its first event */
};

typedef struct event {
    WCHAR file[128];
    LONG copied, total;
    DWORD thread;
} event;

typedef struct sink {
    IDispatch IDispatch_iface;
    LONG refs;
    enum sink_mode mode;
    CRITICAL_SECTION cs;
    event *ev;
    size_t n, cap;
    int bad_calls;                  /* Invoke calls with the wrong DISPID or arguments */
    IUnknown *expect_object;        /* identity the `object` argument must have */
    IConnectionPoint *cp;           /* SINK_UNADVISE */
    DWORD cookie;
    IFileSystemImageResult *result; /* SINK_CALLBACK */
    int callbacks_ok;
} sink;

static sink *impl_from_IDispatch(IDispatch *iface) { return CONTAINING_RECORD(iface, sink, IDispatch_iface); }

static HRESULT WINAPI sink_QueryInterface(IDispatch *iface, REFIID riid, void **ppv)
{
    sink *s = impl_from_IDispatch(iface);
    *ppv = NULL;
    if (s->mode == SINK_NONE && !IsEqualIID(riid, &IID_IUnknown)) return E_NOINTERFACE;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
        (s->mode == SINK_EVENTS && IsEqualIID(riid, &IID_DFileSystemImageEvents))) {
        *ppv = iface;
        IDispatch_AddRef(iface);
        return S_OK;
    }
    return E_NOINTERFACE;
}

static ULONG WINAPI sink_AddRef(IDispatch *iface) { return InterlockedIncrement(&impl_from_IDispatch(iface)->refs); }
static ULONG WINAPI sink_Release(IDispatch *iface) { return InterlockedDecrement(&impl_from_IDispatch(iface)->refs); }
static HRESULT WINAPI sink_GetTypeInfoCount(IDispatch *iface, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI sink_GetTypeInfo(IDispatch *iface, UINT i, LCID l, ITypeInfo **ti) { return E_NOTIMPL; }
static HRESULT WINAPI sink_GetIDsOfNames(IDispatch *iface, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *id)
{ return E_NOTIMPL; }

static HRESULT WINAPI sink_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS *p,
                                  VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    sink *s = impl_from_IDispatch(iface);
    int ok = id == DISPID_DFILESYSTEMIMAGEEVENTS_UPDATE && (flags & DISPATCH_METHOD) && p && p->cArgs == 4 &&
             !p->cNamedArgs && V_VT(&p->rgvarg[3]) == VT_DISPATCH && V_VT(&p->rgvarg[2]) == VT_BSTR &&
             V_VT(&p->rgvarg[1]) == VT_I4 && V_VT(&p->rgvarg[0]) == VT_I4;
    if (ok && s->expect_object) {
        IUnknown *unk = NULL;
        ok = V_DISPATCH(&p->rgvarg[3]) &&
             SUCCEEDED(IDispatch_QueryInterface(V_DISPATCH(&p->rgvarg[3]), &IID_IUnknown, (void **)&unk)) &&
             unk == s->expect_object;
        if (unk) IUnknown_Release(unk);
    }
    EnterCriticalSection(&s->cs);
    if (!ok) s->bad_calls++;
    else {
        event *e;
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 256;
            s->ev = realloc(s->ev, s->cap * sizeof(*s->ev));
        }
        e = &s->ev[s->n++];
        lstrcpynW(e->file, V_BSTR(&p->rgvarg[2]) ? V_BSTR(&p->rgvarg[2]) : L"", ARRAYSIZE(e->file));
        e->copied = V_I4(&p->rgvarg[1]);
        e->total = V_I4(&p->rgvarg[0]);
        e->thread = GetCurrentThreadId();
    }
    LeaveCriticalSection(&s->cs);

    if (ok && s->mode == SINK_CALLBACK) {
        /* Call back into the image (through the object argument) and the result: no deadlock. */
        IFileSystemImage *img = NULL;
        LONG files = -1, blocks = -1;
        if (SUCCEEDED(IDispatch_QueryInterface(V_DISPATCH(&p->rgvarg[3]), &IID_IFileSystemImage, (void **)&img))) {
            IFileSystemImage_get_FileCount(img, &files);
            IFileSystemImage_Release(img);
        }
        if (s->result) IFileSystemImageResult_get_TotalBlocks(s->result, &blocks);
        if (files > 0 && blocks > 0) s->callbacks_ok++;
    }
    if (ok && s->mode == SINK_UNADVISE && s->cp && s->cookie) {
        DWORD c = s->cookie;
        s->cookie = 0;
        IConnectionPoint_Unadvise(s->cp, c);
    }
    if (s->mode == SINK_FAILING) {
        if (ei) {
            memset(ei, 0, sizeof(*ei));
            ei->scode = E_FAIL;
            ei->bstrDescription = SysAllocString(L"the sink fails");
        }
        return DISP_E_EXCEPTION;
    }
    return S_OK;
}

static const IDispatchVtbl sink_vtbl = {
    sink_QueryInterface, sink_AddRef, sink_Release, sink_GetTypeInfoCount, sink_GetTypeInfo,
    sink_GetIDsOfNames, sink_Invoke,
};

static void sink_init(sink *s, enum sink_mode mode)
{
    memset(s, 0, sizeof(*s));
    s->IDispatch_iface.lpVtbl = (IDispatchVtbl *)&sink_vtbl;
    s->refs = 1;
    s->mode = mode;
    InitializeCriticalSection(&s->cs);
}

static void sink_clear(sink *s)
{
    EnterCriticalSection(&s->cs);
    s->n = 0;
    s->bad_calls = 0;
    LeaveCriticalSection(&s->cs);
}

static void sink_free(sink *s)
{
    free(s->ev);
    DeleteCriticalSection(&s->cs);
}

/* The events of one copy of the whole image: for every file with data, in image order, Update with
 * copiedSectors 0, then each megabyte (512 sectors) reached, then totalSectors = the file's size in
 * sectors; whatever sizes the client reads in. */
static void check_sequence(sink *s, const char *what, DWORD thread)
{
    size_t i = 0;
    int files = 0, expected = 0;
    EnterCriticalSection(&s->cs);
    CHECK(!s->bad_calls, "%s: %d calls with the wrong DISPID or arguments", what, s->bad_calls);
    for (size_t f = 0; f < TREE_FILES; f++) expected += tree_files[f].size != 0;
    while (i < s->n) {
        const event *first = &s->ev[i];
        const src_file *src = NULL;
        LONG want_total, want = 0;
        size_t j = i;
        int ok = 1;
        for (size_t f = 0; f < TREE_FILES; f++)
            if (first->file[0] == '\\' && !wcscmp(first->file + 1, tree_files[f].path)) src = &tree_files[f];
        CHECK(src && src->size, "%s: an event for '%ls', a file with data", what, first->file);
        want_total = src ? (LONG)((src->size + 2047) / 2048) : first->total;
        for (; j < s->n && !wcscmp(s->ev[j].file, first->file); j++) {
            if (s->ev[j].total != want_total || s->ev[j].copied != want) ok = 0;
            if (thread && s->ev[j].thread != thread) ok = 0;
            if (!ok) {
                printf("# %s: event %zu: %ls %ld of %ld, want %ld of %ld\n", what, j - i, s->ev[j].file, s->ev[j].copied,
                       s->ev[j].total, want, want_total);
                break;
            }
            want = want == want_total ? -1 : want + 512 < want_total ? want + 512 : want_total;
        }
        CHECK(ok && want == -1, "%s: %ls: copiedSectors 0, 512, 1024, ... %ld, on the reading thread", what,
              first->file, want_total);
        while (j < s->n && !wcscmp(s->ev[j].file, first->file)) j++;
        files++;
        i = j;
    }
    CHECK(files == expected, "%s: events for %d files, want %d (each file once)", what, files, expected);
    LeaveCriticalSection(&s->cs);
}

/* ---- connection point plumbing ------------------------------------------------------------------- */

static void test_container(IFileSystemImage *image)
{
    IConnectionPointContainer *cpc = NULL, *back = NULL;
    IConnectionPoint *cp = NULL, *cp2 = NULL, *pts[3];
    IEnumConnectionPoints *ecp = NULL, *ecp2 = NULL;
    IUnknown *u1 = NULL, *u2 = NULL;
    IID iid;
    ULONG n = 0;
    sink none;

    CHECK_HR(IFileSystemImage_QueryInterface(image, &IID_IConnectionPointContainer, (void **)&cpc), S_OK);
    if (!cpc) return;
    IFileSystemImage_QueryInterface(image, &IID_IUnknown, (void **)&u1);
    IConnectionPointContainer_QueryInterface(cpc, &IID_IUnknown, (void **)&u2);
    CHECK(u1 && u1 == u2, "the container is a part of the image (same IUnknown)");
    if (u1) IUnknown_Release(u1);
    if (u2) IUnknown_Release(u2);

    CHECK_HR(IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageEvents, &cp), S_OK);
    CHECK_HR(IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageImportEvents, &cp2), S_OK);
    CHECK_HR(IConnectionPointContainer_FindConnectionPoint(cpc, &IID_IDispatch, &pts[0]), CONNECT_E_NOCONNECTION);
    CHECK_HR(IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageEvents, NULL), E_POINTER);
    if (cp) {
        CHECK_HR(IConnectionPoint_GetConnectionInterface(cp, &iid), S_OK);
        CHECK(IsEqualIID(&iid, &IID_DFileSystemImageEvents), "GetConnectionInterface");
        CHECK_HR(IConnectionPoint_GetConnectionPointContainer(cp, &back), S_OK);
        CHECK(back == cpc, "GetConnectionPointContainer gives the container");
        if (back) IConnectionPointContainer_Release(back);
        /* Sinks that answer neither the event interface nor IDispatch are refused. */
        sink_init(&none, SINK_NONE);
        {
            DWORD cookie = 1;
            CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&none.IDispatch_iface, &cookie), CONNECT_E_CANNOTCONNECT);
            CHECK(cookie == 0, "no cookie for a refused sink");
            CHECK_HR(IConnectionPoint_Advise(cp, NULL, &cookie), E_POINTER);
            CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&none.IDispatch_iface, NULL), E_POINTER);
            CHECK_HR(IConnectionPoint_Unadvise(cp, 0), CONNECT_E_NOCONNECTION);
            CHECK_HR(IConnectionPoint_Unadvise(cp, 12345), CONNECT_E_NOCONNECTION);
        }
        CHECK(none.refs == 1, "a refused sink is not kept");
        sink_free(&none);
    }
    if (cp2) {
        sink imp;
        DWORD cookie = 0;
        sink_init(&imp, SINK_DISPATCH);
        CHECK_HR(IConnectionPoint_GetConnectionInterface(cp2, &iid), S_OK);
        CHECK(IsEqualIID(&iid, &IID_DFileSystemImageImportEvents), "the import point's interface");
        CHECK_HR(IConnectionPoint_Advise(cp2, (IUnknown *)&imp.IDispatch_iface, &cookie), S_OK);
        CHECK(cookie != 0 && imp.refs == 2, "an import sink is kept (refs %ld)", imp.refs);
        CHECK_HR(IConnectionPoint_Unadvise(cp2, cookie), S_OK);
        CHECK(imp.refs == 1, "Unadvise releases the sink");
        sink_free(&imp);
    }

    /* EnumConnectionPoints: both points. */
    CHECK_HR(IConnectionPointContainer_EnumConnectionPoints(cpc, &ecp), S_OK);
    if (ecp) {
        CHECK_HR(IEnumConnectionPoints_Next(ecp, 3, pts, &n), S_FALSE);
        CHECK(n == 2, "two connection points (%lu)", n);
        for (ULONG i = 0; i < n; i++) {
            CHECK_HR(IConnectionPoint_GetConnectionInterface(pts[i], &iid), S_OK);
            CHECK(IsEqualIID(&iid, i ? &IID_DFileSystemImageImportEvents : &IID_DFileSystemImageEvents), "point %lu", i);
            IConnectionPoint_Release(pts[i]);
        }
        CHECK_HR(IEnumConnectionPoints_Reset(ecp), S_OK);
        CHECK_HR(IEnumConnectionPoints_Skip(ecp, 1), S_OK);
        CHECK_HR(IEnumConnectionPoints_Clone(ecp, &ecp2), S_OK);
        if (ecp2) {
            CHECK_HR(IEnumConnectionPoints_Next(ecp2, 1, pts, NULL), S_OK);
            IConnectionPoint_GetConnectionInterface(pts[0], &iid);
            CHECK(IsEqualIID(&iid, &IID_DFileSystemImageImportEvents), "a clone goes on from its original's place");
            IConnectionPoint_Release(pts[0]);
            CHECK_HR(IEnumConnectionPoints_Skip(ecp2, 1), S_FALSE);
            IEnumConnectionPoints_Release(ecp2);
        }
        IEnumConnectionPoints_Release(ecp);
    }
    if (cp) IConnectionPoint_Release(cp);
    if (cp2) IConnectionPoint_Release(cp2);
    IConnectionPointContainer_Release(cpc);

    /* IProvideClassInfo2: how script hosts find the default source interface. */
    {
        IProvideClassInfo2 *pci = NULL;
        IProvideClassInfo *pci1 = NULL;
        ITypeInfo *ti = NULL;
        TYPEATTR *ta;
        GUID g;
        CHECK_HR(IFileSystemImage_QueryInterface(image, &IID_IProvideClassInfo2, (void **)&pci), S_OK);
        CHECK_HR(IFileSystemImage_QueryInterface(image, &IID_IProvideClassInfo, (void **)&pci1), S_OK);
        if (pci1) IProvideClassInfo_Release(pci1);
        if (pci) {
            CHECK_HR(IProvideClassInfo2_GetGUID(pci, GUIDKIND_DEFAULT_SOURCE_DISP_IID, &g), S_OK);
            CHECK(IsEqualIID(&g, &IID_DFileSystemImageEvents), "the default source interface is DFileSystemImageEvents");
            CHECK_HR(IProvideClassInfo2_GetGUID(pci, 0, &g), E_INVALIDARG);
            CHECK_HR(IProvideClassInfo2_GetClassInfo(pci, &ti), S_OK);
            if (ti && SUCCEEDED(ITypeInfo_GetTypeAttr(ti, &ta))) {
                CHECK(ta->typekind == TKIND_COCLASS && IsEqualCLSID(&ta->guid, &CLSID_MsftFileSystemImage),
                      "GetClassInfo gives the MsftFileSystemImage coclass");
                ITypeInfo_ReleaseTypeAttr(ti, ta);
            }
            if (ti) ITypeInfo_Release(ti);
            IProvideClassInfo2_QueryInterface(pci, &IID_IUnknown, (void **)&u2);
            IFileSystemImage_QueryInterface(image, &IID_IUnknown, (void **)&u1);
            CHECK(u1 && u1 == u2, "IProvideClassInfo2 is a part of the image");
            if (u1) IUnknown_Release(u1);
            if (u2) IUnknown_Release(u2);
            IProvideClassInfo2_Release(pci);
        }
    }
}

static IConnectionPoint *update_point(IFileSystemImage *image)
{
    IConnectionPointContainer *cpc = NULL;
    IConnectionPoint *cp = NULL;
    if (SUCCEEDED(IFileSystemImage_QueryInterface(image, &IID_IConnectionPointContainer, (void **)&cpc))) {
        IConnectionPointContainer_FindConnectionPoint(cpc, &IID_DFileSystemImageEvents, &cp);
        IConnectionPointContainer_Release(cpc);
    }
    CHECK(cp != NULL, "the DFileSystemImageEvents connection point");
    return cp;
}

/* ---- readers on other threads ------------------------------------------------------------------ */

typedef struct reader {
    IStream *stream;
    size_t len;
    DWORD thread;
    int ok;
} reader;

static DWORD WINAPI reader_thread(void *arg)
{
    reader *r = arg;
    char *buf = malloc(65536);
    size_t done = 0;
    r->thread = GetCurrentThreadId();
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    seek_to(r->stream, 0);
    for (;;) {
        ULONG n = 0;
        if (FAILED(IStream_Read(r->stream, buf, 65536, &n)) || !n) break;
        done += n;
    }
    r->ok = done == r->len;
    free(buf);
    CoUninitialize();
    return 0;
}

static WCHAR dir[MAX_PATH];              /* the source folder (make_tree) */

/* The image's IConnectionPointContainer. */
static void container(void)
{
    IFileSystemImage *image = image_of_tree(dir);
    test_container(image);
    IFileSystemImage_Release(image);
}

/* DFileSystemImageEvents::Update as the stream is read: every kind of sink, every way to copy,
 * Unadvise, sinks that call back or unadvise themselves, clones on other threads, a result that
 * outlives its image; then the same bytes with no sink. */
static void update_events(void)
{
    IFileSystemImage *image;
    IFileSystemImageResult *result;
    IConnectionPoint *cp;
    IStream *stream;
    IUnknown *image_unk = NULL;
    sink events, disp, failing, callback, selfun;
    DWORD c_events = 0, c_disp = 0, c_failing = 0, c_callback = 0, c_self = 0;
    LONG blocks = 0;
    size_t len;
    char *ref, *copy;

    image = image_of_tree(dir);
    IFileSystemImage_QueryInterface(image, &IID_IUnknown, (void **)&image_unk);

    sink_init(&events, SINK_EVENTS);
    sink_init(&disp, SINK_DISPATCH);
    sink_init(&failing, SINK_FAILING);
    sink_init(&callback, SINK_CALLBACK);
    sink_init(&selfun, SINK_UNADVISE);
    events.expect_object = disp.expect_object = callback.expect_object = image_unk;

    cp = update_point(image);
    if (!cp) return;
    CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&events.IDispatch_iface, &c_events), S_OK);
    CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&failing.IDispatch_iface, &c_failing), S_OK);
    CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&disp.IDispatch_iface, &c_disp), S_OK);
    CHECK(c_events && c_disp && c_failing && c_events != c_disp && c_disp != c_failing, "distinct cookies");
    CHECK(events.refs == 2 && disp.refs == 2, "the point keeps its sinks");

    /* EnumConnections lists the three sinks with their cookies. */
    {
        IEnumConnections *ec = NULL;
        CONNECTDATA cd[4];
        ULONG n = 0;
        CHECK_HR(IConnectionPoint_EnumConnections(cp, &ec), S_OK);
        if (ec) {
            CHECK_HR(IEnumConnections_Next(ec, 4, cd, &n), S_FALSE);
            CHECK(n == 3 && cd[0].dwCookie == c_events && cd[1].dwCookie == c_failing && cd[2].dwCookie == c_disp,
                  "EnumConnections (%lu)", n);
            for (ULONG i = 0; i < n; i++) IUnknown_Release(cd[i].pUnk);
            IEnumConnections_Release(ec);
        }
    }

    /* No events before data is copied: creating the result copies nothing. */
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (!result) return;
    CHECK(events.n == 0, "no events before the stream is read");
    IFileSystemImageResult_get_TotalBlocks(result, &blocks);
    IFileSystemImageResult_get_ImageStream(result, &stream);
    len = (size_t)blocks * 2048;

    /* Read 2048 bytes TotalBlocks times: every sink gets the whole sequence; the failing one
     * stops nothing. */
    ref = copy_by_blocks(stream, blocks);
    check_sequence(&events, "Read x TotalBlocks, event sink", GetCurrentThreadId());
    check_sequence(&disp, "Read x TotalBlocks, IDispatch sink", GetCurrentThreadId());
    check_sequence(&failing, "Read x TotalBlocks, failing sink", GetCurrentThreadId());

    /* CopyTo in 2 MiB chunks, and Stat + one CopyTo: the same events, the same bytes. */
    sink_clear(&events);
    copy = copy_chunks(stream, blocks, &len);
    CHECK(len == (size_t)blocks * 2048 && !memcmp(copy, ref, len), "chunked CopyTo with sinks connected");
    free(copy);
    check_sequence(&events, "CopyTo in 2 MiB chunks", GetCurrentThreadId());
    sink_clear(&events);
    copy = copy_whole(stream, &len);
    CHECK(len == (size_t)blocks * 2048 && !memcmp(copy, ref, len), "one CopyTo with sinks connected");
    free(copy);
    check_sequence(&events, "Stat + one CopyTo", GetCurrentThreadId());

    /* Unadvise: that sink hears nothing more, the others go on. */
    CHECK_HR(IConnectionPoint_Unadvise(cp, c_failing), S_OK);
    CHECK_HR(IConnectionPoint_Unadvise(cp, c_failing), CONNECT_E_NOCONNECTION);
    CHECK(failing.refs == 1, "Unadvise releases the sink");
    CHECK_HR(IConnectionPoint_Unadvise(cp, c_disp), S_OK);
    sink_clear(&events);
    sink_clear(&disp);
    sink_clear(&failing);

    /* A sink that calls into the image and the result from Update, and one that unadvises
     * itself from inside its first event. */
    callback.result = result;
    CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&callback.IDispatch_iface, &c_callback), S_OK);
    selfun.cp = cp;
    CHECK_HR(IConnectionPoint_Advise(cp, (IUnknown *)&selfun.IDispatch_iface, &c_self), S_OK);
    selfun.cookie = c_self;
    free(copy_by_blocks(stream, blocks));
    CHECK(failing.n == 0 && disp.n == 0, "unadvised sinks hear nothing (%zu, %zu)", failing.n, disp.n);
    check_sequence(&events, "with a sink calling back", GetCurrentThreadId());
    CHECK(callback.callbacks_ok == (int)callback.n && callback.n > 0, "the sink called the image and result back (%d of %zu)",
          callback.callbacks_ok, callback.n);
    CHECK(selfun.n == 1 && selfun.refs == 1, "a sink unadvised from its own event got one event (%zu) and was released",
          selfun.n);
    CHECK_HR(IConnectionPoint_Unadvise(cp, c_callback), S_OK);

    /* Clones read on other threads: each reader's events arrive on its own thread. */
    {
        IStream *clone = NULL;
        reader r = { NULL, (size_t)blocks * 2048, 0, 0 };
        HANDLE th;
        sink_clear(&events);
        CHECK_HR(IStream_Clone(stream, &clone), S_OK);
        r.stream = clone;
        th = CreateThread(NULL, 0, reader_thread, &r, 0, NULL);
        WaitForSingleObject(th, INFINITE);
        CloseHandle(th);
        CHECK(r.ok, "a clone read on another thread");
        check_sequence(&events, "clone on another thread", r.thread);
        if (clone) IStream_Release(clone);
    }

    /* The client lets go of the image: the result's stream still fires, with the image as object. */
    IConnectionPoint_Release(cp);
    IFileSystemImage_Release(image);
    sink_clear(&events);
    free(copy_by_blocks(stream, blocks));
    check_sequence(&events, "after the image was released by the client", GetCurrentThreadId());
    IStream_Release(stream);
    IFileSystemImageResult_Release(result);
    IUnknown_Release(image_unk);
    CHECK(events.refs == 1, "the sinks are released with the image (refs %ld)", events.refs);
    CHECK(callback.refs == 1 && disp.refs == 1, "every sink released");

    /* No sink: reading works and nothing is called (nothing to observe but no crash). */
    image = image_of_tree(dir);
    if (SUCCEEDED(IFileSystemImage_CreateResultImage(image, &result))) {
        IFileSystemImageResult_get_ImageStream(result, &stream);
        copy = copy_by_blocks(stream, blocks);
        CHECK(!memcmp(copy, ref, (size_t)blocks * 2048), "the same bytes with no sink");
        free(copy);
        IStream_Release(stream);
        IFileSystemImageResult_Release(result);
    }
    IFileSystemImage_Release(image);

    free(ref);
    sink_free(&events);
    sink_free(&disp);
    sink_free(&failing);
    sink_free(&callback);
    sink_free(&selfun);
}

static const test_case cases[] = {
    { "container", container },
    { "update_events", update_events },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    _putenv("SOURCE_DATE_EPOCH=1700000000");     /* two images of one folder are the same bytes */
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    make_tree(dir, L"events");
    rc = RUN_CASES(argc, argv, cases);
    remove_tree(dir);
    CoUninitialize();
    return rc;
}
