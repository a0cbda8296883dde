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

void fsi_typelib_release(void)
{
    ITypeLib *tl = InterlockedExchangePointer((void **)&typelib, NULL);
    if (tl) ITypeLib_Release(tl);
}

HRESULT fsi_get_typeinfo(REFIID iid, ITypeInfo **ti)
{
    ITypeLib *tl;
    HRESULT hr = load_typelib(&tl);
    if (FAILED(hr)) return hr;
    return ITypeLib_GetTypeInfoOfGuid(tl, iid, ti);
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
