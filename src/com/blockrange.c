/*
 * BlockRange (IBlockRange) and BlockRangeList (IBlockRangeList): the blocks of a result that must
 * be recorded (IFileSystemImageResult2::ModifiedBlocks). Immutable once made.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

/* ---- BlockRange ------------------------------------------------------------------------------ */

typedef struct blockrange {
    IBlockRange IBlockRange_iface;
    LONG refs;
    LONG start, end;                /* inclusive */
} blockrange;

static inline blockrange *impl_from_IBlockRange(IBlockRange *iface)
{
    return impl_from(iface, blockrange, IBlockRange_iface);
}

static HRESULT WINAPI range_QueryInterface(IBlockRange *iface, REFIID riid, void **ppv)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IBlockRange)) {
        *ppv = iface;
        IBlockRange_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI range_AddRef(IBlockRange *iface)
{
    return InterlockedIncrement(&impl_from_IBlockRange(iface)->refs);
}

static ULONG WINAPI range_Release(IBlockRange *iface)
{
    blockrange *r = impl_from_IBlockRange(iface);
    ULONG refs = InterlockedDecrement(&r->refs);
    if (!refs) {
        free(r);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(range, IBlockRange, IID_IBlockRange)

static HRESULT WINAPI range_get_StartLba(IBlockRange *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IBlockRange(iface)->start;
    return S_OK;
}

static HRESULT WINAPI range_get_EndLba(IBlockRange *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IBlockRange(iface)->end;
    return S_OK;
}

static const IBlockRangeVtbl range_vtbl = {
    range_QueryInterface, range_AddRef, range_Release,
    range_GetTypeInfoCount, range_GetTypeInfo, range_GetIDsOfNames, range_Invoke,
    range_get_StartLba, range_get_EndLba,
};

static HRESULT blockrange_create(LONG start, LONG end, IBlockRange **out)
{
    blockrange *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (!r) return E_OUTOFMEMORY;
    r->IBlockRange_iface.lpVtbl = &range_vtbl;
    r->refs = 1;
    r->start = start;
    r->end = end;
    fsi_lock_module();
    *out = &r->IBlockRange_iface;
    return S_OK;
}

/* ---- BlockRangeList -------------------------------------------------------------------------- */

typedef struct blocklist {
    IBlockRangeList IBlockRangeList_iface;
    LONG refs;
    size_t count;
    LONG (*ranges)[2];
} blocklist;

static inline blocklist *impl_from_IBlockRangeList(IBlockRangeList *iface)
{
    return impl_from(iface, blocklist, IBlockRangeList_iface);
}

static HRESULT WINAPI list_QueryInterface(IBlockRangeList *iface, REFIID riid, void **ppv)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IBlockRangeList)) {
        *ppv = iface;
        IBlockRangeList_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI list_AddRef(IBlockRangeList *iface)
{
    return InterlockedIncrement(&impl_from_IBlockRangeList(iface)->refs);
}

static ULONG WINAPI list_Release(IBlockRangeList *iface)
{
    blocklist *l = impl_from_IBlockRangeList(iface);
    ULONG refs = InterlockedDecrement(&l->refs);
    if (!refs) {
        free(l->ranges);
        free(l);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(list, IBlockRangeList, IID_IBlockRangeList)

/* A SAFEARRAY of VARIANTs, each VT_DISPATCH holding a new BlockRange, in recording order. */
static HRESULT WINAPI list_get_BlockRanges(IBlockRangeList *iface, SAFEARRAY **value)
{
    blocklist *l = impl_from_IBlockRangeList(iface);
    SAFEARRAY *sa;
    VARIANT *v;
    HRESULT hr = S_OK;
    TRACE("(%p)->(%p)\n", iface, value);

    if (!value) return E_POINTER;
    *value = NULL;
    if (!(sa = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)l->count))) return E_OUTOFMEMORY;
    if (FAILED(hr = SafeArrayAccessData(sa, (void **)&v))) {
        SafeArrayDestroy(sa);
        return hr;
    }
    for (size_t i = 0; i < l->count && SUCCEEDED(hr); i++) {
        IBlockRange *r;
        if (SUCCEEDED(hr = blockrange_create(l->ranges[i][0], l->ranges[i][1], &r))) {
            V_VT(&v[i]) = VT_DISPATCH;
            V_DISPATCH(&v[i]) = (IDispatch *)r;
        }
    }
    SafeArrayUnaccessData(sa);
    if (FAILED(hr)) {
        SafeArrayDestroy(sa);       /* clears the VARIANTs made so far */
        return hr;
    }
    *value = sa;
    return S_OK;
}

static const IBlockRangeListVtbl list_vtbl = {
    list_QueryInterface, list_AddRef, list_Release,
    list_GetTypeInfoCount, list_GetTypeInfo, list_GetIDsOfNames, list_Invoke,
    list_get_BlockRanges,
};

HRESULT fsi_blockrange_list_create(const LONG (*ranges)[2], size_t count, IBlockRangeList **out)
{
    blocklist *l = calloc(1, sizeof(*l));
    *out = NULL;
    if (!l || (count && !(l->ranges = malloc(count * sizeof(*l->ranges))))) {
        free(l);
        return E_OUTOFMEMORY;
    }
    if (count) memcpy(l->ranges, ranges, count * sizeof(*l->ranges));
    l->IBlockRangeList_iface.lpVtbl = &list_vtbl;
    l->refs = 1;
    l->count = count;
    fsi_lock_module();
    *out = &l->IBlockRangeList_iface;
    return S_OK;
}
