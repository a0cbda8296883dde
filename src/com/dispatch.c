/*
 * IDispatch for every interface, served from the type library embedded in the DLL (TYPELIB 1),
 * so that late-bound callers (VBScript, JScript, PowerShell) see the same names and DISPIDs as
 * Microsoft's type library.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"

static ITypeLib *typelib;

static HRESULT load_typelib(ITypeLib **out)
{
    WCHAR path[MAX_PATH];
    ITypeLib *tl, *prev;
    HRESULT hr;

    if ((tl = typelib)) { *out = tl; return S_OK; }
    if (!GetModuleFileNameW(fsi_module, path, MAX_PATH)) return HRESULT_FROM_WIN32(GetLastError());
    hr = LoadTypeLibEx(path, REGKIND_NONE, &tl);
    if (FAILED(hr)) return hr;
    prev = InterlockedCompareExchangePointer((void **)&typelib, tl, NULL);
    if (prev) { ITypeLib_Release(tl); tl = prev; }
    *out = tl;
    return S_OK;
}

/* The ITypeInfo of each interface, looked up once: every IDispatch call of an object needs the
 * typeinfo of its IID, and ITypeLib::GetTypeInfoOfGuid searches the library each time. The
 * library holds some 30 type infos; the cache keeps what was asked for (at most CACHE_MAX, the
 * rest answered uncached). Entries are added under the lock and never change until the DLL
 * unloads, so lookups read them under the shared lock. */
#define CACHE_MAX 48
static struct { GUID iid; ITypeInfo *ti; } cache[CACHE_MAX];
static unsigned cache_count;
static SRWLOCK cache_lock = SRWLOCK_INIT;

static ITypeInfo *cache_find(REFIID iid)
{
    ITypeInfo *ti = NULL;
    unsigned i;
    AcquireSRWLockShared(&cache_lock);
    for (i = 0; i < cache_count && !ti; i++)
        if (IsEqualGUID(&cache[i].iid, iid)) ti = cache[i].ti;
    if (ti) ITypeInfo_AddRef(ti);
    ReleaseSRWLockShared(&cache_lock);
    return ti;
}

/* Keep ti for iid (a reference of the cache's own), unless another thread was first. */
static void cache_add(REFIID iid, ITypeInfo *ti)
{
    unsigned i;
    AcquireSRWLockExclusive(&cache_lock);
    for (i = 0; i < cache_count; i++)
        if (IsEqualGUID(&cache[i].iid, iid)) break;
    if (i == cache_count && cache_count < CACHE_MAX) {
        cache[cache_count].iid = *iid;
        cache[cache_count].ti = ti;
        ITypeInfo_AddRef(ti);
        cache_count++;
    }
    ReleaseSRWLockExclusive(&cache_lock);
}

void fsi_typelib_release(void)
{
    ITypeLib *tl = InterlockedExchangePointer((void **)&typelib, NULL);
    unsigned i;
    AcquireSRWLockExclusive(&cache_lock);
    for (i = 0; i < cache_count; i++) ITypeInfo_Release(cache[i].ti);
    cache_count = 0;
    ReleaseSRWLockExclusive(&cache_lock);
    if (tl) ITypeLib_Release(tl);
}

HRESULT fsi_get_typeinfo(REFIID iid, ITypeInfo **ti)
{
    ITypeLib *tl;
    HRESULT hr;
    if ((*ti = cache_find(iid))) return S_OK;
    hr = load_typelib(&tl);
    if (FAILED(hr)) return hr;
    hr = ITypeLib_GetTypeInfoOfGuid(tl, iid, ti);
    if (SUCCEEDED(hr)) cache_add(iid, *ti);
    else WARN("no type info for %s: %#lx\n", debugstr_guid(iid), (unsigned long)hr);
    return hr;
}

HRESULT fsi_dispatch_get_ids(REFIID iid, LPOLESTR *names, UINT count, DISPID *ids)
{
    ITypeInfo *ti;
    HRESULT hr;
    if (!names || !ids) return E_POINTER;
    hr = fsi_get_typeinfo(iid, &ti);
    if (FAILED(hr)) return hr;
    hr = ITypeInfo_GetIDsOfNames(ti, names, count, ids);
    ITypeInfo_Release(ti);
    return hr;
}

HRESULT fsi_dispatch_invoke(REFIID iid, void *iface, DISPID id, WORD flags, DISPPARAMS *params,
                            VARIANT *result, EXCEPINFO *excep, UINT *argerr)
{
    ITypeInfo *ti;
    HRESULT hr = fsi_get_typeinfo(iid, &ti);
    if (FAILED(hr)) return hr;
    hr = ITypeInfo_Invoke(ti, iface, id, flags, params, result, excep, argerr);
    /* Scripts assign object properties both with "=" (PROPERTYPUT) and with "Set"
     * (PROPERTYPUTREF); the type library declares only one of the two. */
    if (hr == DISP_E_MEMBERNOTFOUND && (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF))) {
        WORD other = (flags & DISPATCH_PROPERTYPUTREF) ? DISPATCH_PROPERTYPUT : DISPATCH_PROPERTYPUTREF;
        hr = ITypeInfo_Invoke(ti, iface, id, other, params, result, excep, argerr);
    }
    ITypeInfo_Release(ti);
    return hr;
}
