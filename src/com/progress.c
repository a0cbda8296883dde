/*
 * Progress items of a result: ProgressItems (IProgressItems), ProgressItem (IProgressItem) and
 * EnumProgressItems (IEnumProgressItems, also IEnumVARIANT for _NewEnum: enum.c's enumerator).
 *
 * One item per file with data (Description = its full path in the image) and one per range of
 * file system metadata, as the layout plan lists them; every block of the image is in exactly one
 * item (a range the plan does not list is reported as metadata). The table is built once per
 * result from the plan, is immutable and shared by every object here.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

typedef struct pentry {
    uint32_t first, count;          /* absolute blocks (session start included); count >= 1 */
    const WCHAR *desc;              /* in the plan's memory, not NUL-terminated */
    size_t len;
} pentry;

struct fsi_progress_table {
    LONG refs;
    fsi_plan *plan;                 /* keeps the descriptions alive */
    size_t count;
    pentry *e;                      /* sorted by first block, no overlap */
    const pentry **by_name;         /* sorted by description ignoring case; built on first use */
};

/* The table being filled by fsi_policy_progress_items (the items and their gaps are the policy
 * module's, shared with fsimage --map). */
typedef struct table_fill {
    pentry *e;
    size_t count, cap;
} table_fill;

static int add_entry(void *ctx, uint32_t first, uint32_t n, const uint16_t *desc, size_t len)
{
    table_fill *f = ctx;
    if (f->count == f->cap) {
        size_t c = f->cap ? f->cap * 2 : 16;
        pentry *ne = realloc(f->e, c * sizeof(*ne));
        if (!ne) return 1;
        f->e = ne;
        f->cap = c;
    }
    f->e[f->count++] = (pentry){ first, n, (const WCHAR *)desc, len };
    return 0;
}

HRESULT fsi_progress_table_create(fsi_plan *plan, uint32_t session_start, fsi_progress_table **out)
{
    fsi_progress_table *t = calloc(1, sizeof(*t));
    table_fill f = { NULL, 0, 0 };

    *out = NULL;
    if (!t || fsi_policy_progress_items(plan, session_start, add_entry, &f)) {
        free(f.e);
        free(t);
        return E_OUTOFMEMORY;
    }
    t->refs = 1;
    t->plan = plan;
    fsi_plan_ref(plan);
    t->count = f.count;
    t->e = f.e;
    *out = t;
    return S_OK;
}

static void table_ref(fsi_progress_table *t) { InterlockedIncrement(&t->refs); }

void fsi_progress_table_unref(fsi_progress_table *t)
{
    if (!t || InterlockedDecrement(&t->refs)) return;
    fsi_plan_unref(t->plan);
    free(t->e);
    free((void *)t->by_name);
    free(t);
}

/* Index of the item holding block, or -1. O(log n). */
static ptrdiff_t find_block(const fsi_progress_table *t, ULONG block)
{
    size_t lo = 0, hi = t->count;
    while (lo < hi) {                       /* first item with first > block */
        size_t mid = lo + (hi - lo) / 2;
        if (t->e[mid].first <= block) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return -1;
    lo--;
    return (uint64_t)block < (uint64_t)t->e[lo].first + t->e[lo].count ? (ptrdiff_t)lo : -1;
}

static int compare_desc(const WCHAR *a, size_t la, const WCHAR *b, size_t lb, BOOL ignore_case)
{
    return CompareStringOrdinal(a, (int)la, b, (int)lb, ignore_case) - CSTR_EQUAL;
}

static int cmp_entries(const void *pa, const void *pb)
{
    const pentry *a = *(const pentry *const *)pa, *b = *(const pentry *const *)pb;
    int c = compare_desc(a->desc, a->len, b->desc, b->len, TRUE);
    if (c) return c;
    return a < b ? -1 : a > b;              /* stable: the first in block order comes first */
}

static const pentry **name_index(fsi_progress_table *t)
{
    const pentry **idx = t->by_name, **prev;
    if (idx) return idx;
    if (!(idx = malloc((t->count ? t->count : 1) * sizeof(*idx)))) return NULL;
    for (size_t i = 0; i < t->count; i++) idx[i] = &t->e[i];
    qsort(idx, t->count, sizeof(*idx), cmp_entries);
    prev = InterlockedCompareExchangePointer((void **)&t->by_name, (void *)idx, NULL);
    if (prev) {
        free((void *)idx);
        idx = prev;
    }
    return idx;
}

/* Item whose description is desc: an exact match first, else one that differs only in case. */
static ptrdiff_t find_desc(fsi_progress_table *t, const WCHAR *desc, size_t len)
{
    const pentry **idx = name_index(t);
    size_t lo = 0, hi = t->count;
    if (!idx) return -1;
    while (lo < hi) {                       /* first entry not less than desc, ignoring case */
        size_t mid = lo + (hi - lo) / 2;
        if (compare_desc(idx[mid]->desc, idx[mid]->len, desc, len, TRUE) < 0) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i < t->count && !compare_desc(idx[i]->desc, idx[i]->len, desc, len, TRUE); i++)
        if (!compare_desc(idx[i]->desc, idx[i]->len, desc, len, FALSE)) return idx[i] - t->e;
    if (lo < t->count && !compare_desc(idx[lo]->desc, idx[lo]->len, desc, len, TRUE)) return idx[lo] - t->e;
    return -1;
}

/* ---- ProgressItem ---------------------------------------------------------------------------- */

typedef struct progress_item {
    IProgressItem IProgressItem_iface;
    LONG refs;
    fsi_progress_table *t;
    const pentry *e;
} progress_item;

static inline progress_item *impl_from_IProgressItem(IProgressItem *iface)
{
    return impl_from(iface, progress_item, IProgressItem_iface);
}

static HRESULT WINAPI item_QueryInterface(IProgressItem *iface, REFIID riid, void **ppv)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IProgressItem)) {
        *ppv = iface;
        IProgressItem_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI item_AddRef(IProgressItem *iface)
{
    return InterlockedIncrement(&impl_from_IProgressItem(iface)->refs);
}

static ULONG WINAPI item_Release(IProgressItem *iface)
{
    progress_item *it = impl_from_IProgressItem(iface);
    ULONG refs = InterlockedDecrement(&it->refs);
    if (!refs) {
        fsi_progress_table_unref(it->t);
        free(it);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(item, IProgressItem, IID_IProgressItem)

static HRESULT WINAPI item_get_Description(IProgressItem *iface, BSTR *desc)
{
    const pentry *e = impl_from_IProgressItem(iface)->e;
    TRACE("(%p)->(%p)\n", iface, desc);
    if (!desc) return E_POINTER;
    *desc = SysAllocStringLen(e->desc, (UINT)e->len);
    return *desc ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI item_get_FirstBlock(IProgressItem *iface, ULONG *block)
{
    TRACE("(%p)->(%p)\n", iface, block);
    if (!block) return E_POINTER;
    *block = impl_from_IProgressItem(iface)->e->first;
    return S_OK;
}

static HRESULT WINAPI item_get_LastBlock(IProgressItem *iface, ULONG *block)
{
    const pentry *e = impl_from_IProgressItem(iface)->e;
    TRACE("(%p)->(%p)\n", iface, block);
    if (!block) return E_POINTER;
    *block = e->first + e->count - 1;
    return S_OK;
}

static HRESULT WINAPI item_get_BlockCount(IProgressItem *iface, ULONG *blocks)
{
    TRACE("(%p)->(%p)\n", iface, blocks);
    if (!blocks) return E_POINTER;
    *blocks = impl_from_IProgressItem(iface)->e->count;
    return S_OK;
}

static const IProgressItemVtbl item_vtbl = {
    item_QueryInterface, item_AddRef, item_Release,
    item_GetTypeInfoCount, item_GetTypeInfo, item_GetIDsOfNames, item_Invoke,
    item_get_Description, item_get_FirstBlock, item_get_LastBlock, item_get_BlockCount,
};

static HRESULT item_create(fsi_progress_table *t, size_t index, IProgressItem **out)
{
    progress_item *it = calloc(1, sizeof(*it));
    *out = NULL;
    if (!it) return E_OUTOFMEMORY;
    it->IProgressItem_iface.lpVtbl = &item_vtbl;
    it->refs = 1;
    it->t = t;
    table_ref(t);
    it->e = &t->e[index];
    fsi_lock_module();
    *out = &it->IProgressItem_iface;
    return S_OK;
}

/* ---- EnumProgressItems (IEnumProgressItems and IEnumVARIANT, enum.c) ----------------------- */

/* The enumerators make a new ProgressItem each time Next reaches one. */
static HRESULT enum_make_item(void *ctx, ULONG index, IUnknown **out)
{
    IProgressItem *it;
    HRESULT hr = item_create(ctx, index, &it);
    *out = (IUnknown *)it;
    return hr;
}

static void enum_release_table(void *ctx)
{
    fsi_progress_table_unref(ctx);
}

static HRESULT enum_create(fsi_progress_table *t, REFIID riid, void **out)
{
    fsi_snapshot *snap = fsi_snapshot_new_lazy((ULONG)t->count, enum_make_item, t, enum_release_table);
    HRESULT hr;
    if (snap) table_ref(t);
    hr = fsi_enum_create(snap, FSI_ENUM_PROGRESS, riid, out);
    fsi_snapshot_unref(snap);
    return hr;
}

/* ---- ProgressItems --------------------------------------------------------------------------- */

typedef struct progress_items {
    IProgressItems IProgressItems_iface;
    fsi_error_support sei;
    LONG refs;
    fsi_progress_table *t;
} progress_items;

static const IID *const items_error_iids[] = { &IID_IProgressItems, NULL };

static inline progress_items *impl_from_IProgressItems(IProgressItems *iface)
{
    return impl_from(iface, progress_items, IProgressItems_iface);
}

static HRESULT WINAPI items_QueryInterface(IProgressItems *iface, REFIID riid, void **ppv)
{
    progress_items *p = impl_from_IProgressItems(iface);
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IProgressItems))
        *ppv = &p->IProgressItems_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &p->sei.ISupportErrorInfo_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI items_AddRef(IProgressItems *iface)
{
    return InterlockedIncrement(&impl_from_IProgressItems(iface)->refs);
}

static ULONG WINAPI items_Release(IProgressItems *iface)
{
    progress_items *p = impl_from_IProgressItems(iface);
    ULONG refs = InterlockedDecrement(&p->refs);
    if (!refs) {
        fsi_progress_table_unref(p->t);
        free(p);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(items, IProgressItems, IID_IProgressItems)

static HRESULT WINAPI items_get__NewEnum(IProgressItems *iface, IEnumVARIANT **out)
{
    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    *out = NULL;
    return enum_create(impl_from_IProgressItems(iface)->t, &IID_IEnumVARIANT, (void **)out);
}

static HRESULT WINAPI items_get_Item(IProgressItems *iface, LONG index, IProgressItem **item)
{
    progress_items *p = impl_from_IProgressItems(iface);
    TRACE("(%p)->(%ld, %p)\n", iface, (long)index, item);
    if (!item) return E_POINTER;
    *item = NULL;
    if (index < 0 || (size_t)index >= p->t->count)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IProgressItems, L"Index", NULL);
    return item_create(p->t, (size_t)index, item);
}

static HRESULT WINAPI items_get_Count(IProgressItems *iface, LONG *count)
{
    TRACE("(%p)->(%p)\n", iface, count);
    if (!count) return E_POINTER;
    *count = (LONG)impl_from_IProgressItems(iface)->t->count;
    return S_OK;
}

static HRESULT WINAPI items_ProgressItemFromBlock(IProgressItems *iface, ULONG block, IProgressItem **item)
{
    progress_items *p = impl_from_IProgressItems(iface);
    ptrdiff_t i;
    TRACE("(%p)->(%lu, %p)\n", iface, (unsigned long)block, item);
    if (!item) return E_POINTER;
    *item = NULL;
    if ((i = find_block(p->t, block)) < 0)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IProgressItems, L"block", NULL);
    return item_create(p->t, (size_t)i, item);
}

static HRESULT WINAPI items_ProgressItemFromDescription(IProgressItems *iface, BSTR desc, IProgressItem **item)
{
    progress_items *p = impl_from_IProgressItems(iface);
    ptrdiff_t i;
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_w(desc), item);
    if (!item) return E_POINTER;
    *item = NULL;
    if (!desc) return E_FAIL;                   /* documented: description is NULL */
    if ((i = find_desc(p->t, desc, SysStringLen(desc))) < 0)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IProgressItems, L"description", NULL);
    return item_create(p->t, (size_t)i, item);
}

static HRESULT WINAPI items_get_EnumProgressItems(IProgressItems *iface, IEnumProgressItems **out)
{
    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    *out = NULL;
    return enum_create(impl_from_IProgressItems(iface)->t, &IID_IEnumProgressItems, (void **)out);
}

static const IProgressItemsVtbl items_vtbl = {
    items_QueryInterface, items_AddRef, items_Release,
    items_GetTypeInfoCount, items_GetTypeInfo, items_GetIDsOfNames, items_Invoke,
    items_get__NewEnum, items_get_Item, items_get_Count, items_ProgressItemFromBlock,
    items_ProgressItemFromDescription, items_get_EnumProgressItems,
};

HRESULT fsi_progress_items_create(fsi_progress_table *t, IProgressItems **out)
{
    progress_items *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (!p) return E_OUTOFMEMORY;
    p->IProgressItems_iface.lpVtbl = &items_vtbl;
    fsi_error_support_init(&p->sei, (IUnknown *)&p->IProgressItems_iface, items_error_iids);
    p->refs = 1;
    p->t = t;
    table_ref(t);
    fsi_lock_module();
    *out = &p->IProgressItems_iface;
    return S_OK;
}
