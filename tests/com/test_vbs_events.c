/*
 * VBScript event handlers for MsftFileSystemImage: runs tests/com/events.vbs in the VBScript
 * engine (IActiveScript) with a small WScript object of our own, because Wine's wscript.exe has
 * neither WScript.ConnectObject nor the prefix argument of WScript.CreateObject (both answer
 * E_NOTIMPL; events.test.sh shows it).
 *
 * The host connects the script's handlers as Windows Script Host does: the object's
 * IProvideClassInfo2 gives the coclass and its default source interface; a sink advised on that
 * interface's connection point turns each event's DISPID into its name through the source
 * interface's type information (0x100 -> "Update") and calls the script's "<prefix>Update" with
 * the event's arguments. Host.ReadStream(stream) reads an IStream to its end (what VBScript cannot
 * do), so that the image's Update events fire while the script waits.
 *
 *   test_vbs_events [--script FILE.vbs] [CASE...]   (default: events.vbs next to this source file)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define CONST_VTABLE
#include "client_util.h"
#include <activscp.h>

static const CLSID CLSID_VBScript_ = { 0xb54f3741, 0x5b07, 0x11cf, { 0xa4, 0xb0, 0x00, 0xaa, 0x00, 0x4a, 0x55, 0xe8 } };
static const IID IID_IActiveScript_ = { 0xbb1a2ae1, 0xa4f9, 0x11cf, { 0x8f, 0x20, 0x00, 0x80, 0x5f, 0x2c, 0xd0, 0x64 } };
static const IID IID_IActiveScriptSite_ = { 0xdb01a1e3, 0xa42b, 0x11cf, { 0x8f, 0x20, 0x00, 0x80, 0x5f, 0x2c, 0xd0, 0x64 } };
#ifdef _WIN64
static const IID IID_IActiveScriptParse_ = { 0xc7ef7658, 0xe1ee, 0x480e, { 0x97, 0xea, 0xd5, 0x2c, 0xb4, 0xd7, 0x6d, 0x17 } };
#else
static const IID IID_IActiveScriptParse_ = { 0xbb1a2ae2, 0xa4f9, 0x11cf, { 0x8f, 0x20, 0x00, 0x80, 0x5f, 0x2c, 0xd0, 0x64 } };
#endif

static IActiveScript *engine;
static int script_errors;
static WCHAR last_line[512];

/* ---- the sink that calls "<prefix><event name>" in the script ---------------------------------- */

typedef struct script_sink {
    IDispatch IDispatch_iface;
    LONG refs;
    WCHAR prefix[64];
    ITypeInfo *source;              /* the default source interface */
    IConnectionPoint *cp;
    DWORD cookie;
    struct script_sink *next;
} script_sink;

static script_sink *sinks;

static script_sink *ss_impl(IDispatch *iface) { return CONTAINING_RECORD(iface, script_sink, IDispatch_iface); }

static HRESULT WINAPI ss_QueryInterface(IDispatch *iface, REFIID riid, void **ppv)
{
    script_sink *s = ss_impl(iface);
    TYPEATTR *ta;
    int is_source = 0;
    if (SUCCEEDED(ITypeInfo_GetTypeAttr(s->source, &ta))) {
        is_source = IsEqualIID(riid, &ta->guid);
        ITypeInfo_ReleaseTypeAttr(s->source, ta);
    }
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || is_source) {
        *ppv = iface;
        IDispatch_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI ss_AddRef(IDispatch *iface) { return InterlockedIncrement(&ss_impl(iface)->refs); }
static ULONG WINAPI ss_Release(IDispatch *iface)
{
    script_sink *s = ss_impl(iface);
    ULONG refs = InterlockedDecrement(&s->refs);
    if (!refs) {
        ITypeInfo_Release(s->source);
        free(s);
    }
    return refs;
}
static HRESULT WINAPI ss_GetTypeInfoCount(IDispatch *iface, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI ss_GetTypeInfo(IDispatch *iface, UINT i, LCID l, ITypeInfo **ti) { return E_NOTIMPL; }
static HRESULT WINAPI ss_GetIDsOfNames(IDispatch *iface, REFIID r, LPOLESTR *n, UINT c, LCID l, DISPID *id) { return E_NOTIMPL; }

static HRESULT WINAPI ss_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS *params,
                                VARIANT *result, EXCEPINFO *ei, UINT *argerr)
{
    script_sink *s = ss_impl(iface);
    BSTR name = NULL;
    UINT n = 0;
    WCHAR full[256];
    LPOLESTR pfull = full;
    IDispatch *script = NULL;
    DISPID sid;
    HRESULT hr;

    /* The event's name from the source interface's type information. */
    if (FAILED(hr = ITypeInfo_GetNames(s->source, id, &name, 1, &n)) || !n) return DISP_E_MEMBERNOTFOUND;
    swprintf(full, ARRAYSIZE(full), L"%ls%ls", s->prefix, name);
    SysFreeString(name);
    if (FAILED(IActiveScript_GetScriptDispatch(engine, NULL, &script))) return S_OK;
    if (SUCCEEDED(IDispatch_GetIDsOfNames(script, &IID_NULL, &pfull, 1, 0, &sid)))
        IDispatch_Invoke(script, sid, &IID_NULL, 0, DISPATCH_METHOD, params, NULL, NULL, NULL);
    IDispatch_Release(script);
    return S_OK;
}

static const IDispatchVtbl ss_vtbl = {
    ss_QueryInterface, ss_AddRef, ss_Release, ss_GetTypeInfoCount, ss_GetTypeInfo, ss_GetIDsOfNames, ss_Invoke,
};

/* WScript.ConnectObject(object, prefix), as Windows Script Host does it. */
static HRESULT connect_object(IDispatch *obj, const WCHAR *prefix)
{
    IProvideClassInfo2 *pci = NULL;
    IConnectionPointContainer *cpc = NULL;
    ITypeInfo *cls = NULL, *src = NULL;
    TYPEATTR *ta = NULL;
    script_sink *s;
    HRESULT hr;
    GUID iid;

    if (FAILED(hr = IDispatch_QueryInterface(obj, &IID_IProvideClassInfo2, (void **)&pci))) return hr;
    hr = IProvideClassInfo2_GetGUID(pci, GUIDKIND_DEFAULT_SOURCE_DISP_IID, &iid);
    if (SUCCEEDED(hr)) hr = IProvideClassInfo2_GetClassInfo(pci, &cls);
    IProvideClassInfo2_Release(pci);
    /* The coclass's [default, source] interface, checked against GetGUID. */
    if (SUCCEEDED(hr) && SUCCEEDED(hr = ITypeInfo_GetTypeAttr(cls, &ta))) {
        hr = E_FAIL;
        for (UINT i = 0; i < ta->cImplTypes && !src; i++) {
            INT flags = 0;
            HREFTYPE ref;
            ITypeInfo_GetImplTypeFlags(cls, i, &flags);
            if ((flags & (IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE)) == (IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE) &&
                SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(cls, i, &ref)) &&
                SUCCEEDED(ITypeInfo_GetRefTypeInfo(cls, ref, &src))) {
                TYPEATTR *sa;
                if (SUCCEEDED(ITypeInfo_GetTypeAttr(src, &sa))) {
                    hr = IsEqualIID(&sa->guid, &iid) ? S_OK : E_FAIL;
                    ITypeInfo_ReleaseTypeAttr(src, sa);
                }
            }
        }
        ITypeInfo_ReleaseTypeAttr(cls, ta);
    }
    if (cls) ITypeInfo_Release(cls);
    if (FAILED(hr)) {
        if (src) ITypeInfo_Release(src);
        return hr;
    }
    if (!(s = calloc(1, sizeof(*s)))) { ITypeInfo_Release(src); return E_OUTOFMEMORY; }
    s->IDispatch_iface.lpVtbl = &ss_vtbl;
    s->refs = 1;
    s->source = src;
    lstrcpynW(s->prefix, prefix, ARRAYSIZE(s->prefix));
    if (SUCCEEDED(hr = IDispatch_QueryInterface(obj, &IID_IConnectionPointContainer, (void **)&cpc))) {
        hr = IConnectionPointContainer_FindConnectionPoint(cpc, &iid, &s->cp);
        IConnectionPointContainer_Release(cpc);
    }
    if (SUCCEEDED(hr)) hr = IConnectionPoint_Advise(s->cp, (IUnknown *)&s->IDispatch_iface, &s->cookie);
    if (FAILED(hr)) {
        if (s->cp) IConnectionPoint_Release(s->cp);
        IDispatch_Release(&s->IDispatch_iface);
        return hr;
    }
    s->next = sinks;
    sinks = s;
    return S_OK;
}

static void disconnect_all(void)
{
    while (sinks) {
        script_sink *s = sinks;
        sinks = s->next;
        IConnectionPoint_Unadvise(s->cp, s->cookie);
        IConnectionPoint_Release(s->cp);
        IDispatch_Release(&s->IDispatch_iface);
    }
}

/* ---- the WScript and Host objects (one IDispatch, members by name) ----------------------------- */

enum { ID_ECHO = 1, ID_CREATEOBJECT, ID_CONNECTOBJECT, ID_READSTREAM, ID_NAME };

static HRESULT WINAPI host_QueryInterface(IDispatch *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
        *ppv = iface;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI host_AddRef(IDispatch *iface) { return 2; }
static ULONG WINAPI host_Release(IDispatch *iface) { return 1; }
static HRESULT WINAPI host_GetTypeInfoCount(IDispatch *iface, UINT *n) { *n = 0; return S_OK; }
static HRESULT WINAPI host_GetTypeInfo(IDispatch *iface, UINT i, LCID l, ITypeInfo **ti) { return E_NOTIMPL; }

static HRESULT WINAPI host_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT count, LCID lcid, DISPID *ids)
{
    static const struct { const WCHAR *name; DISPID id; } members[] = {
        { L"Echo", ID_ECHO }, { L"CreateObject", ID_CREATEOBJECT }, { L"ConnectObject", ID_CONNECTOBJECT },
        { L"ReadStream", ID_READSTREAM }, { L"Name", ID_NAME },
    };
    for (UINT i = 0; i < count; i++) ids[i] = DISPID_UNKNOWN;
    for (size_t m = 0; m < ARRAYSIZE(members); m++)
        if (!_wcsicmp(names[0], members[m].name)) {
            ids[0] = members[m].id;
            return S_OK;
        }
    return DISP_E_UNKNOWNNAME;
}

static VARIANT *arg(DISPPARAMS *p, UINT i)      /* i-th argument, left to right, by reference or not */
{
    VARIANT *v = &p->rgvarg[p->cArgs - 1 - i];
    return V_VT(v) == (VT_BYREF | VT_VARIANT) ? V_VARIANTREF(v) : v;
}

static HRESULT WINAPI host_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS *p,
                                  VARIANT *res, EXCEPINFO *ei, UINT *argerr)
{
    HRESULT hr = S_OK;
    switch (id) {
    case ID_NAME:
        if (res) { V_VT(res) = VT_BSTR; V_BSTR(res) = SysAllocString(L"imapi2fs test host"); }
        return S_OK;
    case ID_ECHO: {
        WCHAR line[512] = L"";
        for (UINT i = 0; i < p->cArgs; i++) {
            VARIANT s;
            VariantInit(&s);
            if (SUCCEEDED(VariantChangeType(&s, arg(p, i), VARIANT_ALPHABOOL, VT_BSTR))) {
                if (i) wcsncat(line, L" ", ARRAYSIZE(line) - wcslen(line) - 1);
                wcsncat(line, V_BSTR(&s), ARRAYSIZE(line) - wcslen(line) - 1);
            }
            VariantClear(&s);
        }
        printf("%ls\n", line);
        fflush(stdout);
        wcscpy(last_line, line);
        return S_OK;
    }
    case ID_CREATEOBJECT: {         /* CreateObject(progid [, prefix]) */
        CLSID clsid;
        IDispatch *obj = NULL;
        if (p->cArgs < 1 || V_VT(arg(p, 0)) != VT_BSTR) return DISP_E_TYPEMISMATCH;
        if (FAILED(hr = CLSIDFromProgID(V_BSTR(arg(p, 0)), &clsid))) return hr;
        if (FAILED(hr = CoCreateInstance(&clsid, NULL, CLSCTX_INPROC_SERVER, &IID_IDispatch, (void **)&obj))) return hr;
        if (p->cArgs > 1 && V_VT(arg(p, 1)) == VT_BSTR && SysStringLen(V_BSTR(arg(p, 1))) &&
            FAILED(hr = connect_object(obj, V_BSTR(arg(p, 1))))) {
            IDispatch_Release(obj);
            return hr;
        }
        if (res) { V_VT(res) = VT_DISPATCH; V_DISPATCH(res) = obj; }
        else IDispatch_Release(obj);
        return S_OK;
    }
    case ID_CONNECTOBJECT:          /* ConnectObject(object, prefix) */
        if (p->cArgs != 2 || V_VT(arg(p, 0)) != VT_DISPATCH || V_VT(arg(p, 1)) != VT_BSTR) return DISP_E_TYPEMISMATCH;
        return connect_object(V_DISPATCH(arg(p, 0)), V_BSTR(arg(p, 1)));
    case ID_READSTREAM: {           /* ReadStream(stream): bytes read to the end */
        IStream *s = NULL;
        VARIANT *v = p->cArgs == 1 ? arg(p, 0) : NULL;
        ULONGLONG total = 0;
        char *buf;
        if (!v || (V_VT(v) != VT_UNKNOWN && V_VT(v) != VT_DISPATCH) || !V_UNKNOWN(v)) return DISP_E_TYPEMISMATCH;
        if (FAILED(hr = IUnknown_QueryInterface(V_UNKNOWN(v), &IID_IStream, (void **)&s))) return hr;
        buf = malloc(1 << 20);
        for (;;) {
            ULONG n = 0;
            if (FAILED(hr = IStream_Read(s, buf, 1 << 20, &n)) || !n) break;
            total += n;
        }
        free(buf);
        IStream_Release(s);
        if (res) { V_VT(res) = VT_R8; V_R8(res) = (double)total; }
        return hr;
    }
    }
    return DISP_E_MEMBERNOTFOUND;
}

static const IDispatchVtbl host_vtbl = {
    host_QueryInterface, host_AddRef, host_Release, host_GetTypeInfoCount, host_GetTypeInfo, host_GetIDsOfNames,
    host_Invoke,
};
static IDispatch host = { &host_vtbl };

/* ---- IActiveScriptSite ----------------------------------------------------------------------------- */

static HRESULT WINAPI site_QueryInterface(IActiveScriptSite *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IActiveScriptSite_)) {
        *ppv = iface;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI site_AddRef(IActiveScriptSite *iface) { return 2; }
static ULONG WINAPI site_Release(IActiveScriptSite *iface) { return 1; }
static HRESULT WINAPI site_GetLCID(IActiveScriptSite *iface, LCID *lcid) { return E_NOTIMPL; }
static HRESULT WINAPI site_GetItemInfo(IActiveScriptSite *iface, LPCOLESTR name, DWORD mask, IUnknown **unk, ITypeInfo **ti)
{
    if (ti) *ti = NULL;
    if (unk) *unk = NULL;
    if (_wcsicmp(name, L"WScript") && _wcsicmp(name, L"Host")) return TYPE_E_ELEMENTNOTFOUND;
    if ((mask & SCRIPTINFO_IUNKNOWN) && unk) *unk = (IUnknown *)&host;
    return S_OK;
}
static HRESULT WINAPI site_GetDocVersionString(IActiveScriptSite *iface, BSTR *v) { return E_NOTIMPL; }
static HRESULT WINAPI site_OnScriptTerminate(IActiveScriptSite *iface, const VARIANT *r, const EXCEPINFO *e) { return S_OK; }
static HRESULT WINAPI site_OnStateChange(IActiveScriptSite *iface, SCRIPTSTATE s) { return S_OK; }
static HRESULT WINAPI site_OnScriptError(IActiveScriptSite *iface, IActiveScriptError *err)
{
    EXCEPINFO ei;
    DWORD ctx = 0;
    ULONG line = 0;
    LONG col = 0;
    memset(&ei, 0, sizeof(ei));
    IActiveScriptError_GetExceptionInfo(err, &ei);
    IActiveScriptError_GetSourcePosition(err, &ctx, &line, &col);
    printf("not ok - script error at line %lu: 0x%08lx %ls\n", line + 1, (unsigned long)ei.scode,
           ei.bstrDescription ? ei.bstrDescription : L"");
    SysFreeString(ei.bstrSource);
    SysFreeString(ei.bstrDescription);
    SysFreeString(ei.bstrHelpFile);
    script_errors++;
    return S_OK;
}
static HRESULT WINAPI site_OnEnterScript(IActiveScriptSite *iface) { return S_OK; }
static HRESULT WINAPI site_OnLeaveScript(IActiveScriptSite *iface) { return S_OK; }

static const IActiveScriptSiteVtbl site_vtbl = {
    site_QueryInterface, site_AddRef, site_Release, site_GetLCID, site_GetItemInfo, site_GetDocVersionString,
    site_OnScriptTerminate, site_OnStateChange, site_OnScriptError, site_OnEnterScript, site_OnLeaveScript,
};
static IActiveScriptSite site = { &site_vtbl };

/* ---- main -------------------------------------------------------------------------------------------- */

static WCHAR *read_script(const WCHAR *path)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    DWORD size, got = 0;
    char *bytes;
    WCHAR *text;
    int n;
    if (h == INVALID_HANDLE_VALUE) return NULL;
    size = GetFileSize(h, NULL);
    bytes = malloc(size + 1);
    ReadFile(h, bytes, size, &got, NULL);
    CloseHandle(h);
    n = MultiByteToWideChar(CP_UTF8, 0, bytes, (int)got, NULL, 0);
    text = calloc(n + 1, sizeof(WCHAR));
    MultiByteToWideChar(CP_UTF8, 0, bytes, (int)got, text, n);
    free(bytes);
    return text;
}

static WCHAR path[MAX_PATH];             /* the script */

/* The script run with Host's objects connected as WScript.ConnectObject does; it checks itself. */
static void script(void)
{
    IActiveScriptParse *parse = NULL;
    EXCEPINFO ei;
    WCHAR *text;
    HRESULT hr;

    if (!(text = read_script(path))) {
        CHECK(0, "cannot read %ls", path);
        return;
    }
    CoInitialize(NULL);
    hr = CoCreateInstance(&CLSID_VBScript_, NULL, CLSCTX_INPROC_SERVER, &IID_IActiveScript_, (void **)&engine);
    CHECK_HR(hr, S_OK);
    if (FAILED(hr)) return;
    CHECK_HR(IActiveScript_QueryInterface(engine, &IID_IActiveScriptParse_, (void **)&parse), S_OK);
    if (!parse) return;
    CHECK_HR(parse->lpVtbl->InitNew(parse), S_OK);
    CHECK_HR(IActiveScript_SetScriptSite(engine, &site), S_OK);
    CHECK_HR(IActiveScript_AddNamedItem(engine, L"WScript", SCRIPTITEM_ISVISIBLE), S_OK);
    CHECK_HR(IActiveScript_AddNamedItem(engine, L"Host", SCRIPTITEM_ISVISIBLE), S_OK);
    memset(&ei, 0, sizeof(ei));
    CHECK_HR(parse->lpVtbl->ParseScriptText(parse, text, NULL, NULL, NULL, 0, 0, SCRIPTTEXT_ISVISIBLE, NULL, &ei), S_OK);
    CHECK_HR(IActiveScript_SetScriptState(engine, SCRIPTSTATE_STARTED), S_OK);
    disconnect_all();
    IActiveScript_Close(engine);
    parse->lpVtbl->Release(parse);
    IActiveScript_Release(engine);
    free(text);
    CoUninitialize();

    /* The script checks itself and ends with "N passed, 0 failed". */
    CHECK(!script_errors, "%d script errors", script_errors);
    CHECK(wcsstr(last_line, L" passed, 0 failed") && _wtoi(last_line) > 20, "the script's checks: '%ls'", last_line);
}

static const test_case cases[] = {
    { "script", script },
};

int wmain(int argc, WCHAR **argv)
{
    if (argc > 2 && !wcscmp(argv[1], L"--script")) {
        lstrcpynW(path, argv[2], MAX_PATH);
        argc -= 2, argv += 2;
    } else {
        /* events.vbs beside this source file; the build runs under Wine, where / is Z:\. */
        char src[MAX_PATH];
        char *slash;
        snprintf(src, sizeof(src), "%s", __FILE__);
        for (char *c = src; *c; c++) if (*c == '/') *c = '\\';
        if ((slash = strrchr(src, '\\'))) slash[1] = 0;
        swprintf(path, MAX_PATH, L"%hs%hsevents.vbs", src[0] == '\\' ? "Z:" : "", src);
    }
    return RUN_CASES(argc, argv, cases);
}
