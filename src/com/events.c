/*
 * Connection points of MsftFileSystemImage: IConnectionPointContainer with one point for
 * DFileSystemImageEvents and one for DFileSystemImageImportEvents, IProvideClassInfo2 (the coclass
 * and its default source interface, for script hosts), and the firing of the events.
 *
 * The container, the class info and the points are parts of the image object: their AddRef/Release are the
 * image's (as ATL's IConnectionPointContainerImpl does). The sink lists live in an fsi_events,
 * reference counted on its own so that whoever fires (a result stream) can keep it.
 *
 * Events are delivered through IDispatch::Invoke on each sink (DISPID 0x100 / 0x101), as ATL's
 * IDispEventImpl, .NET and script sinks expect. A sink is QueryInterface'd for the event interface
 * first, then for IDispatch. Firing takes a snapshot of the sinks under the list's own lock and
 * calls them with no lock held; what a sink returns is ignored.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

enum { POINT_UPDATE, POINT_IMPORT, POINT_COUNT };

typedef struct sink {
    IDispatch *disp;
    DWORD cookie;
} sink;

typedef struct cpoint {
    IConnectionPoint IConnectionPoint_iface;
    fsi_events *ev;
    const IID *iid;
    sink *sinks;
    size_t count, cap;
    DWORD next_cookie;
} cpoint;

struct fsi_events {
    IConnectionPointContainer IConnectionPointContainer_iface;
    IProvideClassInfo2 IProvideClassInfo2_iface;
    LONG refs;
    CRITICAL_SECTION cs;
    IUnknown *outer;                /* the image; NULL once detached */
    cpoint points[POINT_COUNT];
};

static inline fsi_events *impl_from_IConnectionPointContainer(IConnectionPointContainer *iface)
{
    return impl_from(iface, fsi_events, IConnectionPointContainer_iface);
}

static inline fsi_events *impl_from_IProvideClassInfo2(IProvideClassInfo2 *iface)
{
    return impl_from(iface, fsi_events, IProvideClassInfo2_iface);
}

static inline cpoint *impl_from_IConnectionPoint(IConnectionPoint *iface)
{
    return impl_from(iface, cpoint, IConnectionPoint_iface);
}

/* ---- IConnectionPoint ---------------------------------------------------------------------- */

static HRESULT WINAPI cp_QueryInterface(IConnectionPoint *iface, REFIID riid, void **ppv)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IConnectionPoint)) {
        *ppv = iface;
        IConnectionPoint_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

/* A point lives as long as its container, and the container as long as the image. */
static ULONG WINAPI cp_AddRef(IConnectionPoint *iface)
{
    fsi_events *ev = impl_from_IConnectionPoint(iface)->ev;
    return IConnectionPointContainer_AddRef(&ev->IConnectionPointContainer_iface);
}

static ULONG WINAPI cp_Release(IConnectionPoint *iface)
{
    fsi_events *ev = impl_from_IConnectionPoint(iface)->ev;
    return IConnectionPointContainer_Release(&ev->IConnectionPointContainer_iface);
}

static HRESULT WINAPI cp_GetConnectionInterface(IConnectionPoint *iface, IID *iid)
{
    TRACE("(%p)->(%p)\n", iface, iid);
    if (!iid) return E_POINTER;
    *iid = *impl_from_IConnectionPoint(iface)->iid;
    return S_OK;
}

static HRESULT WINAPI cp_GetConnectionPointContainer(IConnectionPoint *iface, IConnectionPointContainer **out)
{
    fsi_events *ev = impl_from_IConnectionPoint(iface)->ev;
    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    *out = &ev->IConnectionPointContainer_iface;
    IConnectionPointContainer_AddRef(*out);
    return S_OK;
}

static HRESULT WINAPI cp_Advise(IConnectionPoint *iface, IUnknown *unk, DWORD *cookie)
{
    cpoint *cp = impl_from_IConnectionPoint(iface);
    IDispatch *disp = NULL;
    HRESULT hr = S_OK;
    TRACE("(%p)->(%p, %p)\n", iface, unk, cookie);

    if (cookie) *cookie = 0;
    if (!unk || !cookie) return E_POINTER;
    if (FAILED(IUnknown_QueryInterface(unk, cp->iid, (void **)&disp)) &&
        FAILED(IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&disp)))
        return CONNECT_E_CANNOTCONNECT;
    EnterCriticalSection(&cp->ev->cs);
    if (cp->count == cp->cap) {
        size_t cap = cp->cap ? cp->cap * 2 : 4;
        sink *n = realloc(cp->sinks, cap * sizeof(*n));
        if (n) { cp->sinks = n; cp->cap = cap; }
        else hr = E_OUTOFMEMORY;
    }
    if (SUCCEEDED(hr)) {
        if (!++cp->next_cookie) ++cp->next_cookie;      /* 0 is never a cookie */
        cp->sinks[cp->count].disp = disp;
        cp->sinks[cp->count].cookie = *cookie = cp->next_cookie;
        cp->count++;
        disp = NULL;
    }
    LeaveCriticalSection(&cp->ev->cs);
    if (disp) IDispatch_Release(disp);
    return hr;
}

static HRESULT WINAPI cp_Unadvise(IConnectionPoint *iface, DWORD cookie)
{
    cpoint *cp = impl_from_IConnectionPoint(iface);
    IDispatch *disp = NULL;
    TRACE("(%p)->(%lu)\n", iface, (unsigned long)cookie);

    EnterCriticalSection(&cp->ev->cs);
    for (size_t i = 0; i < cp->count; i++)
        if (cp->sinks[i].cookie == cookie) {
            disp = cp->sinks[i].disp;
            memmove(&cp->sinks[i], &cp->sinks[i + 1], (cp->count - i - 1) * sizeof(*cp->sinks));
            cp->count--;
            break;
        }
    LeaveCriticalSection(&cp->ev->cs);
    if (!disp) return CONNECT_E_NOCONNECTION;
    IDispatch_Release(disp);            /* outside the lock: a sink may call back */
    return S_OK;
}

/* IEnumConnections over a snapshot of the sinks (enum.c). */
static HRESULT WINAPI cp_EnumConnections(IConnectionPoint *iface, IEnumConnections **out)
{
    cpoint *cp = impl_from_IConnectionPoint(iface);
    fsi_snapshot *snap;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    *out = NULL;
    EnterCriticalSection(&cp->ev->cs);
    if ((snap = fsi_snapshot_new((ULONG)cp->count, 1)))
        for (ULONG i = 0; i < cp->count; i++) {
            fsi_snapshot_objs(snap)[i] = (IUnknown *)cp->sinks[i].disp;
            fsi_snapshot_cookies(snap)[i] = cp->sinks[i].cookie;
            IUnknown_AddRef(fsi_snapshot_objs(snap)[i]);
        }
    LeaveCriticalSection(&cp->ev->cs);
    hr = fsi_enum_create(snap, FSI_ENUM_CONNECTIONS, &IID_IEnumConnections, (void **)out);
    fsi_snapshot_unref(snap);
    return hr;
}

static const IConnectionPointVtbl cp_vtbl = {
    cp_QueryInterface, cp_AddRef, cp_Release, cp_GetConnectionInterface,
    cp_GetConnectionPointContainer, cp_Advise, cp_Unadvise, cp_EnumConnections,
};

/* ---- IConnectionPointContainer (a part of the image object) --------------------------------- */

static HRESULT WINAPI cpc_QueryInterface(IConnectionPointContainer *iface, REFIID riid, void **ppv)
{
    fsi_events *ev = impl_from_IConnectionPointContainer(iface);
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (ev->outer) return IUnknown_QueryInterface(ev->outer, riid, ppv);
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI cpc_AddRef(IConnectionPointContainer *iface)
{
    fsi_events *ev = impl_from_IConnectionPointContainer(iface);
    return ev->outer ? IUnknown_AddRef(ev->outer) : 1;
}

static ULONG WINAPI cpc_Release(IConnectionPointContainer *iface)
{
    fsi_events *ev = impl_from_IConnectionPointContainer(iface);
    return ev->outer ? IUnknown_Release(ev->outer) : 1;
}

/* IEnumConnectionPoints over the two points (enum.c). */
static HRESULT WINAPI cpc_EnumConnectionPoints(IConnectionPointContainer *iface, IEnumConnectionPoints **out)
{
    fsi_events *ev = impl_from_IConnectionPointContainer(iface);
    fsi_snapshot *snap;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    if ((snap = fsi_snapshot_new(POINT_COUNT, 0)))
        for (int i = 0; i < POINT_COUNT; i++) {
            fsi_snapshot_objs(snap)[i] = (IUnknown *)&ev->points[i].IConnectionPoint_iface;
            IConnectionPoint_AddRef(&ev->points[i].IConnectionPoint_iface);
        }
    hr = fsi_enum_create(snap, FSI_ENUM_POINTS, &IID_IEnumConnectionPoints, (void **)out);
    fsi_snapshot_unref(snap);
    return hr;
}

static HRESULT WINAPI cpc_FindConnectionPoint(IConnectionPointContainer *iface, REFIID riid, IConnectionPoint **out)
{
    fsi_events *ev = impl_from_IConnectionPointContainer(iface);
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (!riid) return E_POINTER;
    for (int i = 0; i < POINT_COUNT; i++)
        if (IsEqualIID(riid, ev->points[i].iid)) {
            *out = &ev->points[i].IConnectionPoint_iface;
            IConnectionPoint_AddRef(*out);
            return S_OK;
        }
    return CONNECT_E_NOCONNECTION;
}

static const IConnectionPointContainerVtbl cpc_vtbl = {
    cpc_QueryInterface, cpc_AddRef, cpc_Release, cpc_EnumConnectionPoints, cpc_FindConnectionPoint,
};

/* ---- IProvideClassInfo2 (a part of the image object) -------------------------------------------- */

/* Hosts that connect script handlers to an object's events (WScript.ConnectObject, pywin32's
 * DispatchWithEvents, PowerShell's Register-ObjectEvent) find the default source interface here. */
static HRESULT WINAPI pci_QueryInterface(IProvideClassInfo2 *iface, REFIID riid, void **ppv)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    return cpc_QueryInterface(&impl_from_IProvideClassInfo2(iface)->IConnectionPointContainer_iface, riid, ppv);
}

static ULONG WINAPI pci_AddRef(IProvideClassInfo2 *iface)
{
    return cpc_AddRef(&impl_from_IProvideClassInfo2(iface)->IConnectionPointContainer_iface);
}

static ULONG WINAPI pci_Release(IProvideClassInfo2 *iface)
{
    return cpc_Release(&impl_from_IProvideClassInfo2(iface)->IConnectionPointContainer_iface);
}

static HRESULT WINAPI pci_GetClassInfo(IProvideClassInfo2 *iface, ITypeInfo **ti)
{
    TRACE("(%p)->(%p)\n", iface, ti);
    if (!ti) return E_POINTER;
    *ti = NULL;
    return fsi_get_typeinfo(&CLSID_MsftFileSystemImage, ti);
}

static HRESULT WINAPI pci_GetGUID(IProvideClassInfo2 *iface, DWORD kind, GUID *guid)
{
    TRACE("(%p)->(%lu, %p)\n", iface, (unsigned long)kind, guid);
    if (!guid) return E_POINTER;
    if (kind != GUIDKIND_DEFAULT_SOURCE_DISP_IID) {
        memset(guid, 0, sizeof(*guid));
        return E_INVALIDARG;
    }
    *guid = IID_DFileSystemImageEvents;
    return S_OK;
}

static const IProvideClassInfo2Vtbl pci_vtbl = {
    pci_QueryInterface, pci_AddRef, pci_Release, pci_GetClassInfo, pci_GetGUID,
};

/* ---- the object's side ----------------------------------------------------------------------- */

HRESULT fsi_events_create(IUnknown *outer, fsi_events **out)
{
    fsi_events *ev = calloc(1, sizeof(*ev));
    static const IID *const iids[POINT_COUNT] = { &IID_DFileSystemImageEvents, &IID_DFileSystemImageImportEvents };
    *out = NULL;
    if (!ev) return E_OUTOFMEMORY;
    ev->IConnectionPointContainer_iface.lpVtbl = &cpc_vtbl;
    ev->IProvideClassInfo2_iface.lpVtbl = &pci_vtbl;
    ev->refs = 1;
    ev->outer = outer;
    InitializeCriticalSection(&ev->cs);
    for (int i = 0; i < POINT_COUNT; i++) {
        ev->points[i].IConnectionPoint_iface.lpVtbl = &cp_vtbl;
        ev->points[i].ev = ev;
        ev->points[i].iid = iids[i];
    }
    *out = ev;
    return S_OK;
}

IConnectionPointContainer *fsi_events_container(fsi_events *ev)
{
    return &ev->IConnectionPointContainer_iface;
}

IProvideClassInfo2 *fsi_events_classinfo(fsi_events *ev)
{
    return &ev->IProvideClassInfo2_iface;
}

void fsi_events_ref(fsi_events *ev)
{
    if (ev) InterlockedIncrement(&ev->refs);
}

void fsi_events_unref(fsi_events *ev)
{
    if (!ev || InterlockedDecrement(&ev->refs)) return;
    for (int i = 0; i < POINT_COUNT; i++) {
        for (size_t j = 0; j < ev->points[i].count; j++) IDispatch_Release(ev->points[i].sinks[j].disp);
        free(ev->points[i].sinks);
    }
    DeleteCriticalSection(&ev->cs);
    free(ev);
}

void fsi_events_detach(fsi_events *ev)
{
    sink *lists[POINT_COUNT];
    size_t counts[POINT_COUNT];
    if (!ev) return;
    EnterCriticalSection(&ev->cs);
    ev->outer = NULL;
    for (int i = 0; i < POINT_COUNT; i++) {
        lists[i] = ev->points[i].sinks;
        counts[i] = ev->points[i].count;
        ev->points[i].sinks = NULL;
        ev->points[i].count = ev->points[i].cap = 0;
    }
    LeaveCriticalSection(&ev->cs);
    for (int i = 0; i < POINT_COUNT; i++) {
        for (size_t j = 0; j < counts[i]; j++) IDispatch_Release(lists[i][j].disp);
        free(lists[i]);
    }
}

int fsi_events_have_sinks(fsi_events *ev, int import)
{
    cpoint *cp;
    int any;
    if (!ev) return 0;
    cp = &ev->points[import ? POINT_IMPORT : POINT_UPDATE];
    EnterCriticalSection(&ev->cs);
    any = cp->count != 0;
    LeaveCriticalSection(&ev->cs);
    return any;
}

/* Invoke id on every sink of one point with params; no lock held while calling out. */
static void fire(fsi_events *ev, int point, DISPID id, DISPPARAMS *params)
{
    cpoint *cp = &ev->points[point];
    IDispatch *local[8], **disps = local;
    size_t n;

    EnterCriticalSection(&ev->cs);
    n = cp->count;
    if (n > ARRAY_SIZE(local) && !(disps = malloc(n * sizeof(*disps)))) n = 0;
    for (size_t i = 0; i < n; i++) {
        disps[i] = cp->sinks[i].disp;
        IDispatch_AddRef(disps[i]);
    }
    LeaveCriticalSection(&ev->cs);
    for (size_t i = 0; i < n; i++) {
        EXCEPINFO ei;
        VARIANT result;
        UINT argerr = 0;
        memset(&ei, 0, sizeof(ei));
        VariantInit(&result);
        IDispatch_Invoke(disps[i], id, &IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, params,
                         &result, &ei, &argerr);
        VariantClear(&result);
        SysFreeString(ei.bstrSource);
        SysFreeString(ei.bstrDescription);
        SysFreeString(ei.bstrHelpFile);
        IDispatch_Release(disps[i]);
    }
    if (disps != local) free(disps);
}

void fsi_events_fire_update(fsi_events *ev, IDispatch *object, const WCHAR *file, size_t file_len,
                            LONG copied, LONG total)
{
    VARIANTARG args[4];
    DISPPARAMS params = { args, NULL, 4, 0 };
    BSTR name;

    if (!fsi_events_have_sinks(ev, 0)) return;
    if (!(name = SysAllocStringLen(file, (UINT)file_len))) return;
    /* Arguments in reverse order: Update(object, currentFile, copiedSectors, totalSectors). */
    V_VT(&args[3]) = VT_DISPATCH; V_DISPATCH(&args[3]) = object;
    V_VT(&args[2]) = VT_BSTR;     V_BSTR(&args[2]) = name;
    V_VT(&args[1]) = VT_I4;       V_I4(&args[1]) = copied;
    V_VT(&args[0]) = VT_I4;       V_I4(&args[0]) = total;
    fire(ev, POINT_UPDATE, DISPID_DFILESYSTEMIMAGEEVENTS_UPDATE, &params);
    SysFreeString(name);
}

void fsi_events_fire_import(fsi_events *ev, IDispatch *object, FsiFileSystems fs, const WCHAR *item,
                            LONG dirs_done, LONG dirs_total, LONG files_done, LONG files_total)
{
    VARIANTARG args[7];
    DISPPARAMS params = { args, NULL, 7, 0 };
    BSTR name;

    if (!fsi_events_have_sinks(ev, 1)) return;
    if (!(name = SysAllocString(item ? item : L""))) return;
    /* UpdateImport(object, fileSystem, currentItem, importedDirectoryItems, totalDirectoryItems,
     *              importedFileItems, totalFileItems), reversed. */
    V_VT(&args[6]) = VT_DISPATCH; V_DISPATCH(&args[6]) = object;
    V_VT(&args[5]) = VT_I4;       V_I4(&args[5]) = fs;
    V_VT(&args[4]) = VT_BSTR;     V_BSTR(&args[4]) = name;
    V_VT(&args[3]) = VT_I4;       V_I4(&args[3]) = dirs_done;
    V_VT(&args[2]) = VT_I4;       V_I4(&args[2]) = dirs_total;
    V_VT(&args[1]) = VT_I4;       V_I4(&args[1]) = files_done;
    V_VT(&args[0]) = VT_I4;       V_I4(&args[0]) = files_total;
    fire(ev, POINT_IMPORT, DISPID_DFILESYSTEMIMAGEIMPORTEVENTS_UPDATEIMPORT, &params);
    SysFreeString(name);
}
