/*
 * FsiDirectoryItem (IFsiDirectoryItem2) and FsiFileItem (IFsiFileItem2): COM views of engine
 * nodes. An item holds a reference on its node and on the image object; every call takes the
 * image lock.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>
#include <shlwapi.h>

typedef struct fsiitem {
    union {
        IFsiItem IFsiItem_iface;            /* the common prefix of both vtables */
        IFsiDirectoryItem2 IFsiDirectoryItem2_iface;
        IFsiFileItem2 IFsiFileItem2_iface;
    };
    fsi_error_support sei;
    LONG refs;
    fsimage *img;
    fsi_node *node;                 /* a reference; rebound by item_bind */
    int is_dir;
    LONG epoch;                     /* fsimage_epoch when node was last found good */
    WCHAR *path;                    /* its image path when last seen in the tree; NULL: never */
} fsiitem;

static const IID *const dir_error_iids[] = {
    &IID_IFsiItem, &IID_IFsiDirectoryItem, &IID_IFsiDirectoryItem2, NULL,
};
static const IID *const file_error_iids[] = {
    &IID_IFsiItem, &IID_IFsiFileItem, &IID_IFsiFileItem2, NULL,
};

static const IFsiDirectoryItem2Vtbl dir_vtbl;
static const IFsiFileItem2Vtbl file_vtbl;

static inline fsiitem *impl_from_IFsiItem(IFsiItem *iface)
{
    return impl_from(iface, fsiitem, IFsiItem_iface);
}

fsi_node *fsiitem_node(IFsiItem *item)
{
    if (!item || ((void *)item->lpVtbl != (void *)&dir_vtbl && (void *)item->lpVtbl != (void *)&file_vtbl))
        return NULL;
    return impl_from_IFsiItem(item)->node;
}

fsimage *fsiitem_image(IFsiItem *item)
{
    return fsiitem_node(item) ? impl_from_IFsiItem(item)->img : NULL;
}

static const IID *item_iid(fsiitem *it)
{
    return it->is_dir ? &IID_IFsiDirectoryItem : &IID_IFsiFileItem;
}

/* ---- binding to the live image ------------------------------------------------------------------
 * An item outlives changes to the tree. Its node is good while it is in the image's tree or in a
 * subtree that was never in one (CreateDirectoryItem / CreateFileItem and what is built under
 * them). Once it has left the tree (Remove or RemoveTree of it or an ancestor, a merge that
 * replaced it, RollbackToChangePoint, which swaps the tree) the item works on the item of its kind
 * at the same path in the live tree, or fails with IMAPI_E_ITEM_NOT_FOUND: nothing added through a
 * stale item can vanish. The check is skipped while the image's epoch has not moved. */

static void remember_path(fsiitem *it)
{
    size_t len = fsi_node_path(it->node, NULL, 0);
    WCHAR *path = malloc((len + 1) * sizeof(*path));
    if (!path) return;                      /* keep the older one */
    fsi_node_path(it->node, path, len);
    path[len] = 0;
    free(it->path);
    it->path = path;
}

/* Lock held. */
static HRESULT item_bind(fsiitem *it)
{
    fsi_image *tree = fsimage_tree(it->img);
    LONG epoch = fsimage_epoch(it->img);
    int standing;
    fsi_node *n;

    if (it->epoch == epoch) return S_OK;
    standing = fsi_node_standing(tree, it->node);
    if (standing > 0) {
        remember_path(it);
    } else if (standing < 0) {
        if (!it->path || fsi_dir_walk(fsi_image_root(tree), it->path, lstrlenW(it->path), &n) != FSI_OK ||
            fsi_node_is_dir(n) != it->is_dir) {
            size_t len;
            const WCHAR *name = fsi_node_name(it->node, &len);
            WCHAR *what = it->path ? NULL : SysAllocStringLen(name, (UINT)len);
            HRESULT hr = fsi_error(IMAPI_E_ITEM_NOT_FOUND, item_iid(it), it->path ? it->path : what ? what : L"", NULL);
            SysFreeString(what);
            return hr;
        }
        fsi_node_ref(n);
        fsi_node_unref(it->node);
        it->node = n;
    }
    it->epoch = epoch;
    return S_OK;
}

/* Take the image lock and bind; on failure the lock is not held. */
static HRESULT item_enter(fsiitem *it)
{
    HRESULT hr;
    fsimage_lock(it->img);
    if (FAILED(hr = item_bind(it))) fsimage_unlock(it->img);
    return hr;
}

/* ---- time conversion: DATE (days since 1899-12-30, taken as UTC) <-> fsi_time ------------------ */

static DATE date_from_time(fsi_time t)
{
    FILETIME ft;
    SYSTEMTIME st;
    DATE d = 0;
    ft.dwLowDateTime = (DWORD)t;
    ft.dwHighDateTime = (DWORD)((uint64_t)t >> 32);
    if (FileTimeToSystemTime(&ft, &st)) SystemTimeToVariantTime(&st, &d);
    return d;
}

static int time_from_date(DATE d, fsi_time *t)
{
    SYSTEMTIME st;
    FILETIME ft;
    if (!VariantTimeToSystemTime(d, &st) || !SystemTimeToFileTime(&st, &ft)) return 0;
    *t = ((int64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return 1;
}

/* ---- IUnknown / IDispatch ------------------------------------------------------------------ */

static HRESULT WINAPI item_QueryInterface(IFsiItem *iface, REFIID riid, void **ppv)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IFsiItem))
        *ppv = &it->IFsiItem_iface;
    else if (it->is_dir && (IsEqualIID(riid, &IID_IFsiDirectoryItem) || IsEqualIID(riid, &IID_IFsiDirectoryItem2)))
        *ppv = &it->IFsiItem_iface;
    else if (!it->is_dir && (IsEqualIID(riid, &IID_IFsiFileItem) || IsEqualIID(riid, &IID_IFsiFileItem2)))
        *ppv = &it->IFsiItem_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &it->sei.ISupportErrorInfo_iface;
    else
        return E_NOINTERFACE;
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI item_AddRef(IFsiItem *iface)
{
    return InterlockedIncrement(&impl_from_IFsiItem(iface)->refs);
}

static ULONG WINAPI item_Release(IFsiItem *iface)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    ULONG refs = InterlockedDecrement(&it->refs);
    if (!refs) {
        fsimage *img = it->img;
        fsimage_lock(img);
        fsi_node_unref(it->node);
        fsimage_unlock(img);
        fsimage_release(img);
        free(it->path);
        free(it);
        fsi_unlock_module();
    }
    return refs;
}

static HRESULT WINAPI item_GetTypeInfoCount(IFsiItem *iface, UINT *count)
{
    if (!count) return E_POINTER;
    *count = 1;
    return S_OK;
}

static HRESULT WINAPI item_GetTypeInfo(IFsiItem *iface, UINT index, LCID lcid, ITypeInfo **ti)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    if (!ti) return E_POINTER;
    *ti = NULL;
    if (index) return DISP_E_BADINDEX;
    return fsi_get_typeinfo(it->is_dir ? &IID_IFsiDirectoryItem2 : &IID_IFsiFileItem2, ti);
}

static HRESULT WINAPI item_GetIDsOfNames(IFsiItem *iface, REFIID riid, LPOLESTR *names, UINT count,
                                         LCID lcid, DISPID *ids)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    return fsi_dispatch_get_ids(it->is_dir ? &IID_IFsiDirectoryItem2 : &IID_IFsiFileItem2, names, count, ids);
}

static HRESULT WINAPI item_Invoke(IFsiItem *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                  DISPPARAMS *params, VARIANT *result, EXCEPINFO *excep, UINT *argerr)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    return fsi_dispatch_invoke(it->is_dir ? &IID_IFsiDirectoryItem2 : &IID_IFsiFileItem2, iface, id,
                               flags, params, result, excep, argerr);
}

/* ---- IFsiItem --------------------------------------------------------------------------------- */

static HRESULT WINAPI item_get_Name(IFsiItem *iface, BSTR *value)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    const uint16_t *name;
    size_t len;
    if (!value) return E_POINTER;
    fsimage_lock(it->img);
    if (FAILED(item_bind(it))) SetErrorInfo(0, NULL);  /* an item that is gone keeps its name */
    name = fsi_node_name(it->node, &len);
    *value = SysAllocStringLen(name, (UINT)len);
    fsimage_unlock(it->img);
    return *value ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI item_get_FullPath(IFsiItem *iface, BSTR *value)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    size_t len;
    if (!value) return E_POINTER;
    fsimage_lock(it->img);
    if (FAILED(item_bind(it))) {
        /* gone: the path it had */
        SetErrorInfo(0, NULL);
        *value = SysAllocString(it->path ? it->path : L"");
    } else {
        /* the root's FullPath is empty, as on Windows; below it "\dir\file" */
        len = it->node == fsi_image_root(fsimage_tree(it->img)) ? 0 : fsi_node_path(it->node, NULL, 0);
        if ((*value = SysAllocStringLen(NULL, (UINT)len))) fsi_node_path(it->node, *value, len);
    }
    fsimage_unlock(it->img);
    return *value ? S_OK : E_OUTOFMEMORY;
}

enum time_kind { TIME_CREATION, TIME_ACCESS, TIME_MODIFICATION };

static HRESULT get_time(IFsiItem *iface, enum time_kind kind, DATE *value)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    fsi_times t;
    fsi_time v;
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = item_enter(it))) return hr;
    fsi_node_get_times(it->node, &t);
    v = kind == TIME_CREATION ? t.creation : kind == TIME_ACCESS ? t.access : t.modification;
    /* The root answers DATE 0 (1899-12-30) until a client sets its times, as on Windows; the image
     * still dates the root directory when the image object was made (fsimage_root_time). */
    if (it->node == fsi_image_root(fsimage_tree(it->img)) && v == fsimage_root_time(it->img)) {
        fsimage_unlock(it->img);
        *value = 0;
        return S_OK;
    }
    fsimage_unlock(it->img);
    *value = date_from_time(v);
    return S_OK;
}

static HRESULT put_time(IFsiItem *iface, enum time_kind kind, DATE value, const WCHAR *param)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    fsi_times t;
    fsi_time v;
    HRESULT hr;
    if (!time_from_date(value, &v)) return fsi_error(IMAPI_E_INVALID_PARAM, item_iid(it), param, NULL);
    if (FAILED(hr = item_enter(it))) return hr;
    fsi_node_get_times(it->node, &t);
    if (kind == TIME_CREATION) t.creation = v;
    else if (kind == TIME_ACCESS) t.access = v;
    else t.modification = v;
    fsi_node_set_times(it->node, &t);
    fsimage_changed(it->img);
    fsimage_unlock(it->img);
    return S_OK;
}

static HRESULT WINAPI item_get_CreationTime(IFsiItem *iface, DATE *v) { return get_time(iface, TIME_CREATION, v); }
static HRESULT WINAPI item_put_CreationTime(IFsiItem *iface, DATE v) { return put_time(iface, TIME_CREATION, v, L"newVal"); }
static HRESULT WINAPI item_get_LastAccessedTime(IFsiItem *iface, DATE *v) { return get_time(iface, TIME_ACCESS, v); }
static HRESULT WINAPI item_put_LastAccessedTime(IFsiItem *iface, DATE v) { return put_time(iface, TIME_ACCESS, v, L"newVal"); }
static HRESULT WINAPI item_get_LastModifiedTime(IFsiItem *iface, DATE *v) { return get_time(iface, TIME_MODIFICATION, v); }
static HRESULT WINAPI item_put_LastModifiedTime(IFsiItem *iface, DATE v) { return put_time(iface, TIME_MODIFICATION, v, L"newVal"); }

static HRESULT WINAPI item_get_IsHidden(IFsiItem *iface, VARIANT_BOOL *value)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = item_enter(it))) return hr;
    *value = fsi_node_hidden(it->node) ? VARIANT_TRUE : VARIANT_FALSE;
    fsimage_unlock(it->img);
    return S_OK;
}

static HRESULT WINAPI item_put_IsHidden(IFsiItem *iface, VARIANT_BOOL value)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    HRESULT hr;
    if (FAILED(hr = item_enter(it))) return hr;
    fsi_node_set_hidden(it->node, value != VARIANT_FALSE);
    fsimage_changed(it->img);
    fsimage_unlock(it->img);
    return S_OK;
}

static HRESULT check_fs_arg(fsiitem *it, FsiFileSystems fs)
{
    if (fs != FsiFileSystemISO9660 && fs != FsiFileSystemJoliet && fs != FsiFileSystemUDF)
        return fsi_error(IMAPI_E_INVALID_PARAM, item_iid(it), L"fileSystem", NULL);
    return S_OK;
}

static HRESULT WINAPI item_FileSystemName(IFsiItem *iface, FsiFileSystems fs, BSTR *value)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    uint16_t buf[256];
    size_t len;
    HRESULT hr;
    if (!value) return E_POINTER;
    *value = NULL;
    if (FAILED(hr = check_fs_arg(it, fs))) return hr;
    if (FAILED(hr = item_enter(it))) return hr;
    if (!fsi_node_parent(it->node)) len = 0;      /* root or not in the image */
    else len = fsi_map_name(fsimage_tree(it->img), it->node, fs, fsimage_iso_level(it->img), buf, ARRAY_SIZE(buf));
    fsimage_unlock(it->img);
    *value = SysAllocStringLen(buf, (UINT)(len < ARRAY_SIZE(buf) ? len : ARRAY_SIZE(buf)));
    return *value ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI item_FileSystemPath(IFsiItem *iface, FsiFileSystems fs, BSTR *value)
{
    fsiitem *it = impl_from_IFsiItem(iface);
    uint16_t *path = NULL, buf[256];
    size_t len = 0, cap = 0;
    fsi_node *chain[256], *n;
    int depth = 0;
    HRESULT hr;

    if (!value) return E_POINTER;
    *value = NULL;
    if (FAILED(hr = check_fs_arg(it, fs))) return hr;
    if (FAILED(hr = item_enter(it))) return hr;
    for (n = it->node; n && fsi_node_parent(n) && depth < (int)ARRAY_SIZE(chain); n = fsi_node_parent(n))
        chain[depth++] = n;
    cap = 1 + (size_t)depth * 257;
    if ((path = malloc(cap * sizeof(*path)))) {
        path[len++] = '\\';
        for (int i = depth - 1; i >= 0; i--) {
            size_t l = fsi_map_name(fsimage_tree(it->img), chain[i], fs, fsimage_iso_level(it->img), buf, ARRAY_SIZE(buf));
            if (!l) { len = 0; break; }     /* not in that file system (a 4 GiB file in UDF only) */
            if (l > ARRAY_SIZE(buf)) l = ARRAY_SIZE(buf);
            memcpy(path + len, buf, l * sizeof(*buf));
            len += l;
            if (i) path[len++] = '\\';
        }
    }
    fsimage_unlock(it->img);
    if (!path) return E_OUTOFMEMORY;
    *value = SysAllocStringLen(path, (UINT)len);
    free(path);
    return *value ? S_OK : E_OUTOFMEMORY;
}

/* ---- IEnumFsiItems / IEnumVARIANT over a snapshot of a directory's children ------------------- */

typedef struct item_enum {
    IEnumFsiItems IEnumFsiItems_iface;
    IEnumVARIANT IEnumVARIANT_iface;
    LONG refs;
    ULONG pos, count;
    IFsiItem **items;                       /* shared snapshot, refcounted below */
    LONG *snapshot_refs;
} item_enum;

static void snapshot_release(item_enum *e)
{
    if (!InterlockedDecrement(e->snapshot_refs)) {
        for (ULONG i = 0; i < e->count; i++) IFsiItem_Release(e->items[i]);
        free(e->items);
        free(e->snapshot_refs);
    }
}

static HRESULT enum_new(IFsiItem **items, ULONG count, LONG *snapshot_refs, ULONG pos, item_enum **out);

static inline item_enum *impl_from_IEnumFsiItems(IEnumFsiItems *iface)
{ return impl_from(iface, item_enum, IEnumFsiItems_iface); }
static inline item_enum *impl_from_IEnumVARIANT(IEnumVARIANT *iface)
{ return impl_from(iface, item_enum, IEnumVARIANT_iface); }

static HRESULT enum_qi(item_enum *e, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IEnumFsiItems)) *ppv = &e->IEnumFsiItems_iface;
    else if (IsEqualIID(riid, &IID_IEnumVARIANT)) *ppv = &e->IEnumVARIANT_iface;
    else { *ppv = NULL; return E_NOINTERFACE; }
    InterlockedIncrement(&e->refs);
    return S_OK;
}

static ULONG enum_release(item_enum *e)
{
    ULONG refs = InterlockedDecrement(&e->refs);
    if (!refs) {
        snapshot_release(e);
        free(e);
        fsi_unlock_module();
    }
    return refs;
}

static HRESULT WINAPI efi_QueryInterface(IEnumFsiItems *iface, REFIID riid, void **ppv)
{ return enum_qi(impl_from_IEnumFsiItems(iface), riid, ppv); }
static ULONG WINAPI efi_AddRef(IEnumFsiItems *iface)
{ return InterlockedIncrement(&impl_from_IEnumFsiItems(iface)->refs); }
static ULONG WINAPI efi_Release(IEnumFsiItems *iface)
{ return enum_release(impl_from_IEnumFsiItems(iface)); }

static HRESULT WINAPI efi_Next(IEnumFsiItems *iface, ULONG celt, IFsiItem **items, ULONG *fetched)
{
    item_enum *e = impl_from_IEnumFsiItems(iface);
    ULONG n = 0;
    if (!items || (celt > 1 && !fetched)) return E_POINTER;
    while (n < celt && e->pos < e->count) {
        items[n] = e->items[e->pos++];
        IFsiItem_AddRef(items[n]);
        n++;
    }
    if (fetched) *fetched = n;
    return n == celt ? S_OK : S_FALSE;
}

static HRESULT WINAPI efi_Skip(IEnumFsiItems *iface, ULONG celt)
{
    item_enum *e = impl_from_IEnumFsiItems(iface);
    ULONG left = e->count - e->pos;
    e->pos += celt < left ? celt : left;
    return celt <= left ? S_OK : S_FALSE;
}

static HRESULT WINAPI efi_Reset(IEnumFsiItems *iface)
{
    impl_from_IEnumFsiItems(iface)->pos = 0;
    return S_OK;
}

static HRESULT WINAPI efi_Clone(IEnumFsiItems *iface, IEnumFsiItems **out)
{
    item_enum *e = impl_from_IEnumFsiItems(iface), *c;
    HRESULT hr;
    if (!out) return E_POINTER;
    *out = NULL;
    InterlockedIncrement(e->snapshot_refs);
    if (FAILED(hr = enum_new(e->items, e->count, e->snapshot_refs, e->pos, &c))) {
        InterlockedDecrement(e->snapshot_refs);
        return hr;
    }
    *out = &c->IEnumFsiItems_iface;
    return S_OK;
}

static const IEnumFsiItemsVtbl efi_vtbl = {
    efi_QueryInterface, efi_AddRef, efi_Release, efi_Next, efi_Skip, efi_Reset, efi_Clone,
};

static HRESULT WINAPI ev_QueryInterface(IEnumVARIANT *iface, REFIID riid, void **ppv)
{ return enum_qi(impl_from_IEnumVARIANT(iface), riid, ppv); }
static ULONG WINAPI ev_AddRef(IEnumVARIANT *iface)
{ return InterlockedIncrement(&impl_from_IEnumVARIANT(iface)->refs); }
static ULONG WINAPI ev_Release(IEnumVARIANT *iface)
{ return enum_release(impl_from_IEnumVARIANT(iface)); }

static HRESULT WINAPI ev_Next(IEnumVARIANT *iface, ULONG celt, VARIANT *vars, ULONG *fetched)
{
    item_enum *e = impl_from_IEnumVARIANT(iface);
    ULONG n = 0;
    if (!vars) return E_POINTER;
    while (n < celt && e->pos < e->count) {
        V_VT(&vars[n]) = VT_DISPATCH;
        V_DISPATCH(&vars[n]) = (IDispatch *)e->items[e->pos++];
        IDispatch_AddRef(V_DISPATCH(&vars[n]));
        n++;
    }
    if (fetched) *fetched = n;
    return n == celt ? S_OK : S_FALSE;
}

static HRESULT WINAPI ev_Skip(IEnumVARIANT *iface, ULONG celt)
{ return efi_Skip(&impl_from_IEnumVARIANT(iface)->IEnumFsiItems_iface, celt); }
static HRESULT WINAPI ev_Reset(IEnumVARIANT *iface)
{ return efi_Reset(&impl_from_IEnumVARIANT(iface)->IEnumFsiItems_iface); }

static HRESULT WINAPI ev_Clone(IEnumVARIANT *iface, IEnumVARIANT **out)
{
    IEnumFsiItems *c;
    HRESULT hr;
    if (!out) return E_POINTER;
    *out = NULL;
    if (FAILED(hr = efi_Clone(&impl_from_IEnumVARIANT(iface)->IEnumFsiItems_iface, &c))) return hr;
    *out = &impl_from_IEnumFsiItems(c)->IEnumVARIANT_iface;
    return S_OK;
}

static const IEnumVARIANTVtbl ev_vtbl = {
    ev_QueryInterface, ev_AddRef, ev_Release, ev_Next, ev_Skip, ev_Reset, ev_Clone,
};

static HRESULT enum_new(IFsiItem **items, ULONG count, LONG *snapshot_refs, ULONG pos, item_enum **out)
{
    item_enum *e = calloc(1, sizeof(*e));
    if (!e) return E_OUTOFMEMORY;
    e->IEnumFsiItems_iface.lpVtbl = &efi_vtbl;
    e->IEnumVARIANT_iface.lpVtbl = &ev_vtbl;
    e->refs = 1;
    e->items = items;
    e->count = count;
    e->pos = pos;
    e->snapshot_refs = snapshot_refs;
    fsi_lock_module();
    *out = e;
    return S_OK;
}

/* Snapshot the children of a directory item as IFsiItem objects. */
static HRESULT dir_enum(fsiitem *it, item_enum **out)
{
    IFsiItem **items = NULL;
    LONG *refs = malloc(sizeof(*refs));
    ULONG count = 0, i;
    HRESULT hr = S_OK;

    if (!refs) return E_OUTOFMEMORY;
    *refs = 1;
    if (FAILED(hr = item_enter(it))) {
        free(refs);
        return hr;
    }
    count = (ULONG)fsi_dir_child_count(it->node);
    if (count && !(items = calloc(count, sizeof(*items)))) hr = E_OUTOFMEMORY;
    for (i = 0; SUCCEEDED(hr) && i < count; i++) {
        fsi_node *child = fsi_dir_child(it->node, i);
        hr = fsiitem_create(it->img, child, &IID_IFsiItem, (void **)&items[i]);
    }
    fsimage_unlock(it->img);
    if (SUCCEEDED(hr)) hr = enum_new(items, count, refs, 0, out);
    if (FAILED(hr)) {
        for (ULONG j = 0; j < count && items && items[j]; j++) IFsiItem_Release(items[j]);
        free(items);
        free(refs);
    }
    return hr;
}

HRESULT fsiitem_enum_create(IFsiItem *const *items, ULONG count, REFIID riid, void **out)
{
    IFsiItem **copy = NULL;
    LONG *refs = malloc(sizeof(*refs));
    item_enum *e;
    HRESULT hr;

    *out = NULL;
    if (!refs || (count && !(copy = malloc(count * sizeof(*copy))))) {
        free(refs);
        return E_OUTOFMEMORY;
    }
    *refs = 1;
    for (ULONG i = 0; i < count; i++) {
        copy[i] = items[i];
        IFsiItem_AddRef(copy[i]);
    }
    if (FAILED(hr = enum_new(copy, count, refs, 0, &e))) {
        for (ULONG i = 0; i < count; i++) IFsiItem_Release(copy[i]);
        free(copy);
        free(refs);
        return hr;
    }
    hr = enum_qi(e, riid, out);
    enum_release(e);
    return hr;
}

/* ---- IFsiDirectoryItem ---------------------------------------------------------------------- */

static inline fsiitem *impl_from_IFsiDirectoryItem2(IFsiDirectoryItem2 *iface)
{
    return impl_from(iface, fsiitem, IFsiDirectoryItem2_iface);
}

static HRESULT WINAPI dir_get__NewEnum(IFsiDirectoryItem2 *iface, IEnumVARIANT **out)
{
    item_enum *e;
    HRESULT hr;
    if (!out) return E_POINTER;
    *out = NULL;
    if (FAILED(hr = dir_enum(impl_from_IFsiDirectoryItem2(iface), &e))) return hr;
    *out = &e->IEnumVARIANT_iface;
    return S_OK;
}

static HRESULT WINAPI dir_get_EnumFsiItems(IFsiDirectoryItem2 *iface, IEnumFsiItems **out)
{
    item_enum *e;
    HRESULT hr;
    if (!out) return E_POINTER;
    *out = NULL;
    if (FAILED(hr = dir_enum(impl_from_IFsiDirectoryItem2(iface), &e))) return hr;
    *out = &e->IEnumFsiItems_iface;
    return S_OK;
}

static HRESULT WINAPI dir_get_Item(IFsiDirectoryItem2 *iface, BSTR path, IFsiItem **item)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    fsi_node *node = NULL;
    fsi_status st;
    HRESULT hr;
    if (!item) return E_POINTER;
    *item = NULL;
    if (!path || !*path) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"path", NULL);
    if (FAILED(hr = item_enter(it))) return hr;
    st = fsi_dir_walk(it->node, path, SysStringLen(path), &node);
    if (st == FSI_OK) hr = fsiitem_create(it->img, node, &IID_IFsiItem, (void **)item);
    else hr = fsi_error(IMAPI_E_ITEM_NOT_FOUND, &IID_IFsiDirectoryItem, path, NULL);
    fsimage_unlock(it->img);
    return hr;
}

static HRESULT WINAPI dir_get_Count(IFsiDirectoryItem2 *iface, LONG *count)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    HRESULT hr;
    if (!count) return E_POINTER;
    if (FAILED(hr = item_enter(it))) return hr;
    *count = (LONG)fsi_dir_child_count(it->node);
    fsimage_unlock(it->img);
    return S_OK;
}

/* Split "a\b\c" into the parent directory (walked from dir) and the last name. Lock held. */
static HRESULT split_path(fsiitem *it, BSTR path, fsi_node **parent, const WCHAR **name, size_t *name_len)
{
    size_t len = SysStringLen(path), start;
    fsi_node *p = it->node;

    while (len && (path[len - 1] == '\\' || path[len - 1] == '/')) len--;
    if (!len) return fsi_error(IMAPI_E_INVALID_PATH, &IID_IFsiDirectoryItem, path ? path : L"", NULL);
    start = len;
    while (start && path[start - 1] != '\\' && path[start - 1] != '/') start--;
    if (start) {
        size_t plen = start;
        while (plen && (path[plen - 1] == '\\' || path[plen - 1] == '/')) plen--;
        if (plen) {
            fsi_status st = fsi_dir_walk(it->node, path, plen, &p);
            if (st != FSI_OK || !fsi_node_is_dir(p)) {
                WCHAR *dir = SysAllocStringLen(path, (UINT)plen);
                HRESULT hr = fsi_error(IMAPI_E_DIR_NOT_FOUND, &IID_IFsiDirectoryItem, dir ? dir : L"", NULL);
                SysFreeString(dir);
                return hr;
            }
        }
    }
    *parent = p;
    *name = path + start;
    *name_len = len - start;
    return S_OK;
}

static HRESULT attach_new(fsiitem *it, BSTR path, fsi_node *node)
{
    fsi_node *parent;
    const WCHAR *name;
    size_t len;
    fsi_status st;
    HRESULT hr;
    (void)name; (void)len;
    if (FAILED(hr = split_path(it, path, &parent, &name, &len))) return hr;
    st = fsi_dir_attach(fsimage_tree(it->img), parent, node, 0);
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, path, NULL);
    fsimage_changed(it->img);
    return S_OK;
}

static HRESULT WINAPI dir_AddDirectory(IFsiDirectoryItem2 *iface, BSTR path)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    fsi_node *parent, *node;
    const WCHAR *name;
    size_t len;
    fsi_status st;
    HRESULT hr;

    if (!path || !*path) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"path", NULL);
    if (FAILED(hr = item_enter(it))) return hr;
    hr = split_path(it, path, &parent, &name, &len);
    if (SUCCEEDED(hr)) hr = fsimage_check_name(it->img, name, len, path);
    if (SUCCEEDED(hr)) {
        st = fsi_node_new_dir(name, len, &node);
        if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, path, NULL);
        else {
            fsimage_grant g;
            hr = fsimage_check_add(it->img, parent, node, 1, path, &g);
            if (SUCCEEDED(hr)) hr = attach_new(it, path, node);
            if (SUCCEEDED(hr)) fsimage_added(it->img, &g);
            fsi_node_unref(node);
        }
    }
    fsimage_unlock(it->img);
    return hr;
}

static HRESULT WINAPI dir_AddFile(IFsiDirectoryItem2 *iface, BSTR path, IStream *data)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    fsi_node *parent, *node;
    fsi_source *src;
    const WCHAR *name;
    STATSTG stat;
    size_t len;
    fsi_status st;
    HRESULT hr;

    if (!path || !*path) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"path", NULL);
    if (!data) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"fileData", NULL);
    hr = IStream_Stat(data, &stat, STATFLAG_NONAME);
    if (FAILED(hr)) return fsi_error(IMAPI_E_DATA_STREAM_READ_FAILURE, &IID_IFsiDirectoryItem, path, NULL);
    if (!(src = fsi_source_new_istream(data))) return E_OUTOFMEMORY;
    if (fsimage_staging(it->img)) {
        /* StageFiles: the image keeps the data as it is now. */
        fsi_source *staged;
        uint64_t copied;
        hr = fsimage_stage(it->img, src, stat.cbSize.QuadPart, path, &staged, &copied);
        fsi_source_unref(src);
        if (FAILED(hr)) return hr;
        src = staged;
        stat.cbSize.QuadPart = copied;
    }
    if (FAILED(hr = item_enter(it))) {
        fsi_source_unref(src);
        return hr;
    }
    hr = split_path(it, path, &parent, &name, &len);
    if (SUCCEEDED(hr)) hr = fsimage_check_name(it->img, name, len, path);
    if (SUCCEEDED(hr)) {
        st = fsi_node_new_file(name, len, stat.cbSize.QuadPart, stat.cbSize.QuadPart ? src : NULL, &node);
        if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, path, NULL);
        else {
            fsi_times t;
            fsi_time now;
            FILETIME ft;
            GetSystemTimeAsFileTime(&ft);
            now = ((int64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
            t.creation = stat.ctime.dwHighDateTime || stat.ctime.dwLowDateTime
                ? ((int64_t)stat.ctime.dwHighDateTime << 32 | stat.ctime.dwLowDateTime) : now;
            t.access = stat.atime.dwHighDateTime || stat.atime.dwLowDateTime
                ? ((int64_t)stat.atime.dwHighDateTime << 32 | stat.atime.dwLowDateTime) : now;
            t.modification = stat.mtime.dwHighDateTime || stat.mtime.dwLowDateTime
                ? ((int64_t)stat.mtime.dwHighDateTime << 32 | stat.mtime.dwLowDateTime) : now;
            fsi_node_set_times(node, &t);
            fsimage_grant g;
            hr = fsimage_check_add(it->img, parent, node, 1, path, &g);
            if (SUCCEEDED(hr)) hr = attach_new(it, path, node);
            if (SUCCEEDED(hr)) fsimage_added(it->img, &g);
            fsi_node_unref(node);
        }
    }
    fsimage_unlock(it->img);
    fsi_source_unref(src);
    return hr;
}

/* ---- AddTree: mirror a folder into a detached subtree, then merge it all at once ------------- */

typedef struct tree_walk {
    fsimage *img;                   /* for UseRestrictedCharacterSet (read without the lock) */
    int streams;                    /* AddTreeWithNamedStreams: the files' alternate data streams too */
    struct { DWORD volume, high, low; } ancestors[256];
    int depth;
    HRESULT hr;
    const WCHAR *failed_path;
} tree_walk;

static int dir_identity(const WCHAR *path, DWORD id[3])
{
    BY_HANDLE_FILE_INFORMATION info;
    HANDLE h = CreateFileW(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    int ok;
    if (h == INVALID_HANDLE_VALUE) return 0;
    ok = GetFileInformationByHandle(h, &info);
    CloseHandle(h);
    if (!ok) return 0;
    id[0] = info.dwVolumeSerialNumber;
    id[1] = info.nFileIndexHigh;
    id[2] = info.nFileIndexLow;
    return 1;
}

static void set_find_times(fsi_node *node, const WIN32_FIND_DATAW *fd)
{
    fsi_times t;
    t.creation = (int64_t)fd->ftCreationTime.dwHighDateTime << 32 | fd->ftCreationTime.dwLowDateTime;
    t.access = (int64_t)fd->ftLastAccessTime.dwHighDateTime << 32 | fd->ftLastAccessTime.dwLowDateTime;
    t.modification = (int64_t)fd->ftLastWriteTime.dwHighDateTime << 32 | fd->ftLastWriteTime.dwLowDateTime;
    fsi_node_set_times(node, &t);
}

/* FindFirstStreamW / FindNextStreamW (Vista and later; Wine lists the unnamed stream only). */
typedef HANDLE (WINAPI *find_first_stream_fn)(const WCHAR *, STREAM_INFO_LEVELS, void *, DWORD);
typedef BOOL (WINAPI *find_next_stream_fn)(HANDLE, void *);

/* AddTreeWithNamedStreams: the named $DATA streams of the file at path become named streams of
 * node. Streams that cannot be listed or opened, and names a UDF stream cannot have, are left out.
 */
static HRESULT add_streams(tree_walk *w, const WCHAR *path, fsi_node *node)
{
    static find_first_stream_fn first_cached;
    static find_next_stream_fn next_cached;
    static LONG looked;                             /* the two above are set */
    find_first_stream_fn first;
    find_next_stream_fn next;
    WIN32_FIND_STREAM_DATA sd;
    WCHAR *spath;
    HANDLE find;
    size_t plen = lstrlenW(path);
    HRESULT hr = S_OK;

    if (!InterlockedCompareExchange(&looked, 0, 0)) {
        /* threads arriving together all look them up, and store the same values */
        HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
        first = k32 ? (find_first_stream_fn)(void *)GetProcAddress(k32, "FindFirstStreamW") : NULL;
        next = k32 ? (find_next_stream_fn)(void *)GetProcAddress(k32, "FindNextStreamW") : NULL;
        first_cached = first;
        next_cached = next;
        InterlockedExchange(&looked, 1);
    } else {
        first = first_cached;
        next = next_cached;
    }
    if (!first || !next) return S_OK;               /* no streams on this system */
    find = first(path, FindStreamInfoStandard, &sd, 0);
    if (find == INVALID_HANDLE_VALUE) return S_OK;  /* none, or a file system without streams */
    if (!(spath = malloc((plen + ARRAY_SIZE(sd.cStreamName) + 1) * sizeof(WCHAR)))) {
        FindClose(find);
        return E_OUTOFMEMORY;
    }
    do {
        /* ":name:$DATA"; the unnamed data stream is "::$DATA" */
        const WCHAR *name = sd.cStreamName + 1, *end;
        size_t nlen;
        fsi_source *src;
        uint64_t size = (uint64_t)sd.StreamSize.QuadPart;
        if (sd.cStreamName[0] != ':' || !(end = wcschr(name, ':')) || lstrcmpiW(end, L":$DATA")) continue;
        nlen = end - name;
        if (!nlen || fsi_node_find_stream(node, name, nlen) != (size_t)-1) continue;
        memcpy(spath, path, plen * sizeof(WCHAR));
        spath[plen] = ':';
        memcpy(spath + plen + 1, name, nlen * sizeof(WCHAR));
        spath[plen + 1 + nlen] = 0;
        src = NULL;
        if (size && !(src = fsi_source_new_win32_path(spath))) { hr = E_OUTOFMEMORY; break; }
        if (src && fsimage_staging(w->img)) {
            fsi_source *staged;
            hr = fsimage_stage(w->img, src, size, spath, &staged, &size);
            fsi_source_unref(src);
            src = staged;
            if (FAILED(hr)) break;
        }
        fsi_node_add_stream(node, name, nlen, size, size ? src : NULL);
        if (src) fsi_source_unref(src);
    } while (next(find, &sd));
    FindClose(find);
    free(spath);
    return hr;
}

/* Enter the folder at path unless it is unreadable (a dangling link) or one of the folders being
 * walked (a link back to an ancestor: a loop). Returns 0 to skip it. */
static int enter_dir(tree_walk *w, const WCHAR *path)
{
    DWORD id[3];
    if (w->depth >= (int)ARRAY_SIZE(w->ancestors) || !dir_identity(path, id)) return 0;
    for (int i = 0; i < w->depth; i++)
        if (w->ancestors[i].volume == id[0] && w->ancestors[i].high == id[1] && w->ancestors[i].low == id[2])
            return 0;
    w->ancestors[w->depth].volume = id[0];
    w->ancestors[w->depth].high = id[1];
    w->ancestors[w->depth].low = id[2];
    w->depth++;
    return 1;
}

/* A detached file node for the file at path that fd describes: its size, times and a source that
 * opens it when the image stream reaches it (or a staged copy), with its named streams for
 * AddTreeWithNamedStreams. S_FALSE (no node) for a link whose target is gone. */
static HRESULT file_node(tree_walk *w, const WCHAR *path, const WIN32_FIND_DATAW *fd, fsi_node **out)
{
    uint64_t size = (uint64_t)fd->nFileSizeHigh << 32 | fd->nFileSizeLow;
    fsi_source *src = NULL;
    fsi_status st;
    HRESULT hr = S_OK;

    *out = NULL;
    if (fd->dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
        /* A link: its target's size; a link whose target is gone cannot be opened and is
         * skipped. (Wine does not list dangling links at all.) */
        HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                               NULL, OPEN_EXISTING, 0, NULL);
        LARGE_INTEGER sz;
        if (h == INVALID_HANDLE_VALUE) return S_FALSE;
        if (GetFileSizeEx(h, &sz)) size = (uint64_t)sz.QuadPart;
        CloseHandle(h);
    }
    if (size && !(src = fsi_source_new_win32_path(path))) return E_OUTOFMEMORY;
    if (src && fsimage_staging(w->img)) {
        fsi_source *staged;
        hr = fsimage_stage(w->img, src, size, path, &staged, &size);
        fsi_source_unref(src);
        src = staged;
        if (FAILED(hr)) return hr;
    }
    st = fsi_node_new_file(fd->cFileName, lstrlenW(fd->cFileName), size, src, out);
    if (src) fsi_source_unref(src);
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, path, NULL);
    set_find_times(*out, fd);
    if (w->streams) hr = add_streams(w, path, *out);
    if (FAILED(hr)) {
        fsi_node_unref(*out);
        *out = NULL;
    }
    return hr;
}

/* AddTree given a file: that file, added into the directory (scripts call AddTree on every entry
 * of a folder, files included, and Windows adds them). include_base has no meaning for a file. */
static HRESULT walk_file(tree_walk *w, const WCHAR *path, const WCHAR *source, fsi_node *top)
{
    WIN32_FIND_DATAW fd;
    HANDLE find = FindFirstFileExW(path, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
    fsi_node *node;
    fsi_status st;
    HRESULT hr;

    if (find == INVALID_HANDLE_VALUE) return fsi_error(IMAPI_E_DIR_NOT_FOUND, &IID_IFsiDirectoryItem, source, NULL);
    FindClose(find);
    if (FAILED(hr = fsimage_check_name(w->img, fd.cFileName, lstrlenW(fd.cFileName), path))) return hr;
    hr = file_node(w, path, &fd, &node);
    if (hr == S_FALSE) return fsi_error(IMAPI_E_DIR_NOT_FOUND, &IID_IFsiDirectoryItem, source, NULL);
    if (FAILED(hr)) return hr;
    st = fsi_dir_attach(NULL, top, node, 1);
    fsi_node_unref(node);
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, source, NULL);
    return S_OK;
}

/* Mirror the folder at path (a buffer of 32768 WCHARs; len its length) into dir. The caller has
 * entered it (enter_dir); it is left on return. */
static HRESULT walk_dir(tree_walk *w, WCHAR *path, size_t len, fsi_node *dir)
{
    WIN32_FIND_DATAW fd;
    HANDLE find;
    HRESULT hr = S_OK;

    if (len + 3 >= 32768) return S_OK;
    lstrcpyW(path + len, L"\\*");
    find = FindFirstFileExW(path, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, FIND_FIRST_EX_LARGE_FETCH);
    path[len] = 0;
    if (find == INVALID_HANDLE_VALUE) {
        DWORD err = GetLastError();
        if (err == ERROR_FILE_NOT_FOUND || err == ERROR_NO_MORE_FILES) return S_OK;
        return fsi_error(IMAPI_E_DIRECTORY_READ_FAILURE, &IID_IFsiDirectoryItem, path, NULL);
    }
    do {
        size_t nlen = lstrlenW(fd.cFileName);
        fsi_node *node = NULL;
        fsi_status st;

        if (!lstrcmpW(fd.cFileName, L".") || !lstrcmpW(fd.cFileName, L"..")) continue;
        if (len + 1 + nlen + 3 >= 32768) continue;
        path[len] = '\\';
        memcpy(path + len + 1, fd.cFileName, (nlen + 1) * sizeof(WCHAR));
        if (FAILED(hr = fsimage_check_name(w->img, fd.cFileName, nlen, path))) break;

        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
            if (!enter_dir(w, path)) { path[len] = 0; continue; }
            st = fsi_node_new_dir(fd.cFileName, nlen, &node);
            if (st != FSI_OK) { hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, path, NULL); break; }
            set_find_times(node, &fd);
            hr = walk_dir(w, path, len + 1 + nlen, node);
            w->depth--;
        } else {
            hr = file_node(w, path, &fd, &node);
            if (hr == S_FALSE) { path[len] = 0; continue; }
            if (FAILED(hr)) break;
        }
        path[len] = 0;
        if (SUCCEEDED(hr)) {
            st = fsi_dir_attach(NULL, dir, node, 1);
            if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, fd.cFileName, NULL);
        }
        fsi_node_unref(node);
        if (FAILED(hr)) break;
    } while (FindNextFileW(find, &fd));
    FindClose(find);
    path[len] = 0;
    return hr;
}

static HRESULT add_tree(fsiitem *it, BSTR source, VARIANT_BOOL include_base, int streams)
{
    WCHAR *path;
    size_t len;
    tree_walk *w;
    fsi_node *top = NULL, *base = NULL;
    DWORD attrs;
    HRESULT hr;
    fsi_status st;

    if (!source || !*source) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"sourceDirectory", NULL);
    attrs = GetFileAttributesW(source);
    if (attrs == INVALID_FILE_ATTRIBUTES) return fsi_error(IMAPI_E_DIR_NOT_FOUND, &IID_IFsiDirectoryItem, source, NULL);
    if (!(path = malloc(32768 * sizeof(WCHAR)))) return E_OUTOFMEMORY;
    if (!(w = calloc(1, sizeof(*w)))) { free(path); return E_OUTOFMEMORY; }
    w->img = it->img;
    w->streams = streams;
    len = GetFullPathNameW(source, 32768, path, NULL);
    if (!len || len >= 32768) { free(path); free(w); return fsi_error(IMAPI_E_INVALID_PATH, &IID_IFsiDirectoryItem, source, NULL); }
    while (len > 3 && (path[len - 1] == '\\' || path[len - 1] == '/')) path[--len] = 0;

    /* Build the whole subtree detached from the image (no lock needed: nobody else sees it). */
    st = fsi_node_new_dir(L"x", 1, &top);
    hr = st == FSI_OK ? S_OK : E_OUTOFMEMORY;
    if (SUCCEEDED(hr) && !(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
        hr = walk_file(w, path, source, top);
    } else if (SUCCEEDED(hr) && include_base) {
        const WCHAR *name = path + len;
        while (name > path && name[-1] != '\\' && name[-1] != '/') name--;
        st = fsi_node_new_dir(name, lstrlenW(name), &base);
        if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, source, NULL);
        else {
            WIN32_FILE_ATTRIBUTE_DATA fad;
            if (GetFileAttributesExW(path, GetFileExInfoStandard, &fad)) {
                fsi_times t;
                t.creation = (int64_t)fad.ftCreationTime.dwHighDateTime << 32 | fad.ftCreationTime.dwLowDateTime;
                t.access = (int64_t)fad.ftLastAccessTime.dwHighDateTime << 32 | fad.ftLastAccessTime.dwLowDateTime;
                t.modification = (int64_t)fad.ftLastWriteTime.dwHighDateTime << 32 | fad.ftLastWriteTime.dwLowDateTime;
                fsi_node_set_times(base, &t);
            }
        }
    }
    if (SUCCEEDED(hr) && (attrs & FILE_ATTRIBUTE_DIRECTORY)) {
        if (!enter_dir(w, path)) hr = fsi_error(IMAPI_E_DIRECTORY_READ_FAILURE, &IID_IFsiDirectoryItem, source, NULL);
        else hr = walk_dir(w, path, len, base ? base : top);
    }
    if (SUCCEEDED(hr) && base) {
        st = fsi_dir_attach(NULL, top, base, 1);
        if (st != FSI_OK) hr = E_OUTOFMEMORY;
    }

    /* Merge it in one step: the source wins on collisions; on failure the image is unchanged. */
    if (SUCCEEDED(hr) && SUCCEEDED(hr = item_enter(it))) {
        fsimage_grant g;
        hr = fsimage_check_add(it->img, it->node, top, 0, source, &g);
        if (SUCCEEDED(hr)) {
            st = fsi_dir_merge(fsimage_tree(it->img), it->node, top);
            if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, source, NULL);
            else {
                fsimage_added(it->img, &g);
                fsimage_changed(it->img);
            }
        }
        fsimage_unlock(it->img);
    }
    if (base) fsi_node_unref(base);
    if (top) fsi_node_unref(top);
    free(path);
    free(w);
    return hr;
}

static HRESULT WINAPI dir_AddTree(IFsiDirectoryItem2 *iface, BSTR source, VARIANT_BOOL include_base)
{
    return add_tree(impl_from_IFsiDirectoryItem2(iface), source, include_base, 0);
}

static HRESULT WINAPI dir_Add(IFsiDirectoryItem2 *iface, IFsiItem *item)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    fsi_node *node = fsiitem_node(item);
    fsi_status st;
    HRESULT hr;
    BSTR name = NULL;

    if (!item) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"item", NULL);
    if (!node) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"item", NULL);
    IFsiItem_get_Name(item, &name);
    if (FAILED(hr = item_enter(it))) {
        SysFreeString(name);
        return hr;
    }
    if (fsi_node_parent(node) || node == fsi_image_root(fsimage_tree(it->img)))
        hr = fsi_error(IMAPI_E_DUP_NAME, &IID_IFsiDirectoryItem, name ? name : L"", NULL);
    else {
        fsimage_grant g;
        hr = fsimage_check_add(it->img, it->node, node, 1, name ? name : L"", &g);
        if (SUCCEEDED(hr)) {
            st = fsi_dir_attach(fsimage_tree(it->img), it->node, node, 0);
            if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, name ? name : L"", NULL);
            else {
                fsimage_added(it->img, &g);
                fsimage_changed(it->img);
            }
        }
    }
    fsimage_unlock(it->img);
    SysFreeString(name);
    return hr;
}

static HRESULT remove_item(fsiitem *it, BSTR path, int tree)
{
    fsi_node *node;
    fsi_status st;
    HRESULT hr = S_OK;
    if (!path || !*path) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"path", NULL);
    if (FAILED(hr = item_enter(it))) return hr;
    st = fsi_dir_walk(it->node, path, SysStringLen(path), &node);
    if (st != FSI_OK) hr = fsi_error(IMAPI_E_ITEM_NOT_FOUND, &IID_IFsiDirectoryItem, path, NULL);
    else if (!fsi_node_parent(node)) hr = fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"path", NULL);
    else if (!tree && fsi_node_is_dir(node) && fsi_dir_child_count(node))
        hr = fsi_error(IMAPI_E_DIR_NOT_EMPTY, &IID_IFsiDirectoryItem, path, NULL);
    else if (tree && !fsi_node_is_dir(node))
        hr = fsi_error(IMAPI_E_NOT_DIR, &IID_IFsiDirectoryItem, path, NULL);
    else {
        fsi_node_detach(fsimage_tree(it->img), node);
        fsimage_changed(it->img);
    }
    fsimage_unlock(it->img);
    return hr;
}

static HRESULT WINAPI dir_Remove(IFsiDirectoryItem2 *iface, BSTR path)
{
    return remove_item(impl_from_IFsiDirectoryItem2(iface), path, 0);
}

static HRESULT WINAPI dir_RemoveTree(IFsiDirectoryItem2 *iface, BSTR path)
{
    return remove_item(impl_from_IFsiDirectoryItem2(iface), path, 1);
}

static HRESULT WINAPI dir_AddTreeWithNamedStreams(IFsiDirectoryItem2 *iface, BSTR source, VARIANT_BOOL include_base)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    HRESULT hr = add_tree(it, source, include_base, 1);
    /* The streams are recorded in any case; they are written in UDF 2.00 and later only. */
    if (SUCCEEDED(hr)) {
        fsimage_lock(it->img);
        if (!fsimage_streams_written(it->img)) hr = IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED;
        fsimage_unlock(it->img);
    }
    return hr;
}

#define ITEM_BASE(T)                                                                              \
    (void *)item_QueryInterface, (void *)item_AddRef, (void *)item_Release,                       \
    (void *)item_GetTypeInfoCount, (void *)item_GetTypeInfo, (void *)item_GetIDsOfNames,          \
    (void *)item_Invoke, (void *)item_get_Name, (void *)item_get_FullPath,                        \
    (void *)item_get_CreationTime, (void *)item_put_CreationTime,                                 \
    (void *)item_get_LastAccessedTime, (void *)item_put_LastAccessedTime,                         \
    (void *)item_get_LastModifiedTime, (void *)item_put_LastModifiedTime,                         \
    (void *)item_get_IsHidden, (void *)item_put_IsHidden, (void *)item_FileSystemName,            \
    (void *)item_FileSystemPath

static const IFsiDirectoryItem2Vtbl dir_vtbl = {
    ITEM_BASE(IFsiDirectoryItem2),
    dir_get__NewEnum,
    dir_get_Item,
    dir_get_Count,
    dir_get_EnumFsiItems,
    dir_AddDirectory,
    dir_AddFile,
    dir_AddTree,
    dir_Add,
    dir_Remove,
    dir_RemoveTree,
    dir_AddTreeWithNamedStreams,
};

/* ---- IFsiFileItem ---------------------------------------------------------------------------- */

static inline fsiitem *impl_from_IFsiFileItem2(IFsiFileItem2 *iface)
{
    return impl_from(iface, fsiitem, IFsiFileItem2_iface);
}

static HRESULT WINAPI file_get_DataSize(IFsiFileItem2 *iface, LONGLONG *value)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = item_enter(it))) return hr;
    *value = (LONGLONG)fsi_node_size(it->node);
    fsimage_unlock(it->img);
    return S_OK;
}

static HRESULT WINAPI file_get_DataSize32BitLow(IFsiFileItem2 *iface, LONG *value)
{
    LONGLONG size;
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = file_get_DataSize(iface, &size))) return hr;
    *value = (LONG)(ULONG)(size & 0xffffffff);
    return S_OK;
}

static HRESULT WINAPI file_get_DataSize32BitHigh(IFsiFileItem2 *iface, LONG *value)
{
    LONGLONG size;
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = file_get_DataSize(iface, &size))) return hr;
    *value = (LONG)(ULONG)((ULONGLONG)size >> 32);
    return S_OK;
}

/* An IStream over an engine source (a read-only view of the item's data). */
typedef struct source_stream {
    IStream IStream_iface;
    LONG refs;
    fsi_source *src;
    void *handle;
    uint64_t size, pos;
} source_stream;

static HRESULT source_stream_create(fsi_source *src, uint64_t size, IStream **out);

static inline source_stream *impl_from_IStream(IStream *iface)
{
    return impl_from(iface, source_stream, IStream_iface);
}

static HRESULT WINAPI ss_QueryInterface(IStream *iface, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) || IsEqualIID(riid, &IID_IStream)) {
        *ppv = iface;
        IStream_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI ss_AddRef(IStream *iface) { return InterlockedIncrement(&impl_from_IStream(iface)->refs); }

static ULONG WINAPI ss_Release(IStream *iface)
{
    source_stream *s = impl_from_IStream(iface);
    ULONG refs = InterlockedDecrement(&s->refs);
    if (!refs) {
        if (s->handle) s->src->ops->close(s->src, s->handle);
        if (s->src) fsi_source_unref(s->src);
        free(s);
        fsi_unlock_module();
    }
    return refs;
}

static HRESULT WINAPI ss_Read(IStream *iface, void *buf, ULONG len, ULONG *read)
{
    source_stream *s = impl_from_IStream(iface);
    size_t got = 0;
    if (read) *read = 0;
    if (!buf) return STG_E_INVALIDPOINTER;
    if (s->pos >= s->size || !len) return S_OK;
    if (len > s->size - s->pos) len = (ULONG)(s->size - s->pos);
    if (!s->handle && s->src->ops->open(s->src, &s->handle) != FSI_OK) return STG_E_READFAULT;
    if (s->src->ops->read(s->src, s->handle, s->pos, buf, len, &got) != FSI_OK) return STG_E_READFAULT;
    s->pos += got;
    if (read) *read = (ULONG)got;
    return S_OK;
}

static HRESULT WINAPI ss_Write(IStream *iface, const void *buf, ULONG len, ULONG *written)
{
    return STG_E_ACCESSDENIED;
}

static HRESULT WINAPI ss_Seek(IStream *iface, LARGE_INTEGER move, DWORD origin, ULARGE_INTEGER *newpos)
{
    source_stream *s = impl_from_IStream(iface);
    LONGLONG base;
    switch (origin) {
    case STREAM_SEEK_SET: base = 0; break;
    case STREAM_SEEK_CUR: base = (LONGLONG)s->pos; break;
    case STREAM_SEEK_END: base = (LONGLONG)s->size; break;
    default: return STG_E_INVALIDFUNCTION;
    }
    if (base + move.QuadPart < 0) return STG_E_INVALIDFUNCTION;
    s->pos = (uint64_t)(base + move.QuadPart);
    if (newpos) newpos->QuadPart = s->pos;
    return S_OK;
}

static HRESULT WINAPI ss_SetSize(IStream *iface, ULARGE_INTEGER size) { return STG_E_ACCESSDENIED; }

static HRESULT WINAPI ss_CopyTo(IStream *iface, IStream *dest, ULARGE_INTEGER cb, ULARGE_INTEGER *read, ULARGE_INTEGER *written)
{
    char buf[65536];
    uint64_t total_r = 0, total_w = 0;
    HRESULT hr = S_OK;
    if (!dest) return STG_E_INVALIDPOINTER;
    while (total_r < cb.QuadPart) {
        ULONG want = (ULONG)(cb.QuadPart - total_r < sizeof(buf) ? cb.QuadPart - total_r : sizeof(buf)), n = 0, w = 0;
        if (FAILED(hr = ss_Read(iface, buf, want, &n)) || !n) break;
        total_r += n;
        hr = IStream_Write(dest, buf, n, &w);
        total_w += w;
        if (FAILED(hr)) break;
        if (w < n) { hr = STG_E_MEDIUMFULL; break; }
    }
    if (read) read->QuadPart = total_r;
    if (written) written->QuadPart = total_w;
    return hr;
}

static HRESULT WINAPI ss_Commit(IStream *iface, DWORD flags) { return S_OK; }
static HRESULT WINAPI ss_Revert(IStream *iface) { return S_OK; }
static HRESULT WINAPI ss_LockRegion(IStream *iface, ULARGE_INTEGER off, ULARGE_INTEGER cb, DWORD type) { return STG_E_INVALIDFUNCTION; }
static HRESULT WINAPI ss_UnlockRegion(IStream *iface, ULARGE_INTEGER off, ULARGE_INTEGER cb, DWORD type) { return STG_E_INVALIDFUNCTION; }

static HRESULT WINAPI ss_Stat(IStream *iface, STATSTG *stat, DWORD flags)
{
    source_stream *s = impl_from_IStream(iface);
    if (!stat) return STG_E_INVALIDPOINTER;
    memset(stat, 0, sizeof(*stat));
    stat->type = STGTY_STREAM;
    stat->cbSize.QuadPart = s->size;
    stat->grfMode = STGM_READ;
    return S_OK;
}

static HRESULT WINAPI ss_Clone(IStream *iface, IStream **out)
{
    source_stream *s = impl_from_IStream(iface);
    HRESULT hr;
    if (!out) return STG_E_INVALIDPOINTER;
    if (FAILED(hr = source_stream_create(s->src, s->size, out))) return hr;
    impl_from_IStream(*out)->pos = s->pos;
    return S_OK;
}

static const IStreamVtbl ss_vtbl = {
    ss_QueryInterface, ss_AddRef, ss_Release, ss_Read, ss_Write, ss_Seek, ss_SetSize, ss_CopyTo,
    ss_Commit, ss_Revert, ss_LockRegion, ss_UnlockRegion, ss_Stat, ss_Clone,
};

HRESULT fsi_source_istream_create(fsi_source *src, uint64_t size, IStream **out)
{
    return source_stream_create(src, size, out);
}

static HRESULT source_stream_create(fsi_source *src, uint64_t size, IStream **out)
{
    source_stream *s = calloc(1, sizeof(*s));
    if (!s) return E_OUTOFMEMORY;
    s->IStream_iface.lpVtbl = &ss_vtbl;
    s->refs = 1;
    s->src = src;
    if (src) fsi_source_ref(src);
    s->size = src ? size : 0;
    fsi_lock_module();
    *out = &s->IStream_iface;
    return S_OK;
}

static HRESULT WINAPI file_get_Data(IFsiFileItem2 *iface, IStream **value)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = item_enter(it))) return hr;
    hr = source_stream_create(fsi_node_source(it->node), fsi_node_size(it->node), value);
    fsimage_unlock(it->img);
    return hr;
}

static HRESULT WINAPI file_put_Data(IFsiFileItem2 *iface, IStream *data)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    fsi_source *src;
    STATSTG stat;
    fsi_status st;
    HRESULT hr = S_OK;

    if (!data) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiFileItem, L"newVal", NULL);
    if (FAILED(IStream_Stat(data, &stat, STATFLAG_NONAME)))
        return fsi_error(IMAPI_E_DATA_STREAM_READ_FAILURE, &IID_IFsiFileItem, L"", NULL);
    if (!(src = fsi_source_new_istream(data))) return E_OUTOFMEMORY;
    if (fsimage_staging(it->img)) {
        /* StageFiles: the image keeps the data as it is now. */
        fsi_source *staged;
        uint64_t copied;
        hr = fsimage_stage(it->img, src, stat.cbSize.QuadPart, L"", &staged, &copied);
        fsi_source_unref(src);
        if (FAILED(hr)) return hr;
        src = staged;
        stat.cbSize.QuadPart = copied;
    }
    if (FAILED(hr = item_enter(it))) {
        fsi_source_unref(src);
        return hr;
    }
    /* Read-only once the item is part of an image. */
    if (fsi_node_parent(it->node)) hr = fsi_error(IMAPI_E_READONLY, &IID_IFsiFileItem, NULL, NULL);
    else {
        st = fsi_node_set_file_data(it->node, stat.cbSize.QuadPart, stat.cbSize.QuadPart ? src : NULL);
        if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiFileItem, L"newVal", NULL);
    }
    fsimage_unlock(it->img);
    fsi_source_unref(src);
    return hr;
}

static HRESULT WINAPI file_get_FsiNamedStreams(IFsiFileItem2 *iface, IFsiNamedStreams **streams)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    fsi_node *node;
    HRESULT hr;
    if (!streams) return E_POINTER;
    *streams = NULL;
    if (FAILED(hr = item_enter(it))) return hr;
    node = it->node;
    fsi_node_ref(node);
    fsimage_unlock(it->img);
    hr = fsi_namedstreams_create(it->img, &it->IFsiItem_iface, node, streams);
    fsi_node_unref(node);
    return hr;
}

static HRESULT WINAPI file_get_IsNamedStream(IFsiFileItem2 *iface, VARIANT_BOOL *value)
{
    if (!value) return E_POINTER;
    *value = VARIANT_FALSE;     /* the items of named streams are FsiNamedStreams' (namedstreams.c) */
    return S_OK;
}

/* Is the item's file in the image's tree after binding (not made detached and never added, not
 * removed)? Lock held. */
static int in_image(fsiitem *it)
{
    if (FAILED(item_bind(it))) {
        SetErrorInfo(0, NULL);
        return 0;
    }
    return fsi_node_standing(fsimage_tree(it->img), it->node) > 0;
}

static HRESULT WINAPI file_AddStream(IFsiFileItem2 *iface, BSTR name, IStream *data)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    size_t len = SysStringLen(name);
    fsi_source *src;
    STATSTG stat;
    fsi_status st;
    fsimage_grant g = { 0 };
    HRESULT hr;

    if (!name || !len) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiFileItem2, L"name", NULL);
    if (!data) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiFileItem2, L"streamData", NULL);
    if (FAILED(IStream_Stat(data, &stat, STATFLAG_NONAME)))
        return fsi_error(IMAPI_E_DATA_STREAM_READ_FAILURE, &IID_IFsiFileItem2, name, NULL);
    fsimage_lock(it->img);
    /* The file must be in the image; a name of its streams is not replaced. Checked before staging
     * copies the data. */
    if (!in_image(it)) {
        BSTR path = NULL;
        fsimage_unlock(it->img);
        item_get_Name(&it->IFsiItem_iface, &path);
        hr = fsi_error(IMAPI_E_NOT_IN_FILE_SYSTEM, &IID_IFsiFileItem2, path ? path : L"", NULL);
        SysFreeString(path);
        return hr;
    }
    hr = fsimage_check_name(it->img, name, len, name);
    if (SUCCEEDED(hr) && fsi_node_find_stream(it->node, name, len) != (size_t)-1)
        hr = fsi_error(IMAPI_E_DUP_NAME, &IID_IFsiFileItem2, name, NULL);
    fsimage_unlock(it->img);
    if (FAILED(hr)) return hr;

    if (!(src = fsi_source_new_istream(data))) return E_OUTOFMEMORY;
    if (fsimage_staging(it->img)) {
        /* StageFiles: the image keeps the data as it is now. */
        fsi_source *staged;
        uint64_t copied;
        hr = fsimage_stage(it->img, src, stat.cbSize.QuadPart, name, &staged, &copied);
        fsi_source_unref(src);
        if (FAILED(hr)) return hr;
        src = staged;
        stat.cbSize.QuadPart = copied;
    }
    fsimage_lock(it->img);
    if (!in_image(it)) hr = fsi_error(IMAPI_E_NOT_IN_FILE_SYSTEM, &IID_IFsiFileItem2, name, NULL);
    else if (fsimage_streams_written(it->img))
        hr = fsimage_check_stream(it->img, it->node, name, len, stat.cbSize.QuadPart, src, &g);
    if (SUCCEEDED(hr)) {
        st = fsi_node_add_stream(it->node, name, len, stat.cbSize.QuadPart, stat.cbSize.QuadPart ? src : NULL);
        if (st != FSI_OK) hr = fsi_error(fsi_hresult_from_status(st), &IID_IFsiFileItem2,
                                         st == FSI_E_INVALID_PARAM ? L"name" : name, NULL);
        else {
            fsimage_added(it->img, &g);
            fsimage_changed(it->img);
            /* Recorded; written only in UDF 2.00 and later. */
            hr = fsimage_streams_written(it->img) ? S_OK : IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED;
        }
    }
    fsimage_unlock(it->img);
    fsi_source_unref(src);
    return hr;
}

static HRESULT WINAPI file_RemoveStream(IFsiFileItem2 *iface, BSTR name)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    size_t len = SysStringLen(name);
    fsi_status st;
    HRESULT hr = S_OK;

    if (!name || !len) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiFileItem2, L"name", NULL);
    if (FAILED(hr = item_enter(it))) return hr;
    st = fsi_node_remove_stream(it->node, name, len);
    if (st != FSI_OK) hr = fsi_error(IMAPI_E_ITEM_NOT_FOUND, &IID_IFsiFileItem2, name, NULL);
    else fsimage_changed(it->img);
    fsimage_unlock(it->img);
    return hr;
}

static HRESULT WINAPI file_get_IsRealTime(IFsiFileItem2 *iface, VARIANT_BOOL *value)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = item_enter(it))) return hr;
    *value = fsi_node_realtime(it->node) ? VARIANT_TRUE : VARIANT_FALSE;
    fsimage_unlock(it->img);
    return S_OK;
}

static HRESULT WINAPI file_put_IsRealTime(IFsiFileItem2 *iface, VARIANT_BOOL value)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    HRESULT hr;
    if (FAILED(hr = item_enter(it))) return hr;
    fsi_node_set_realtime(it->node, value != VARIANT_FALSE);
    fsimage_changed(it->img);
    /* Kept in any case; written only in UDF 2.01 and later. */
    hr = fsimage_realtime_written(it->img) ? S_OK : IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED;
    fsimage_unlock(it->img);
    return hr;
}

static const IFsiFileItem2Vtbl file_vtbl = {
    ITEM_BASE(IFsiFileItem2),
    file_get_DataSize,
    file_get_DataSize32BitLow,
    file_get_DataSize32BitHigh,
    file_get_Data,
    file_put_Data,
    file_get_FsiNamedStreams,
    file_get_IsNamedStream,
    file_AddStream,
    file_RemoveStream,
    file_get_IsRealTime,
    file_put_IsRealTime,
};

HRESULT fsiitem_create(fsimage *img, fsi_node *node, REFIID riid, void **ppv)
{
    fsiitem *it;
    HRESULT hr;
    *ppv = NULL;
    if (!(it = calloc(1, sizeof(*it)))) return E_OUTOFMEMORY;
    it->is_dir = fsi_node_is_dir(node);
    if (it->is_dir) it->IFsiDirectoryItem2_iface.lpVtbl = &dir_vtbl;
    else it->IFsiFileItem2_iface.lpVtbl = &file_vtbl;
    fsi_error_support_init(&it->sei, (IUnknown *)&it->IFsiItem_iface, it->is_dir ? dir_error_iids : file_error_iids);
    it->refs = 1;
    it->img = img;
    it->node = node;
    fsi_node_ref(node);
    fsimage_addref(img);
    fsi_lock_module();
    /* callers hold the image lock (or own the detached node) */
    it->epoch = fsimage_epoch(img);
    if (fsi_node_standing(fsimage_tree(img), node) > 0) remember_path(it);
    hr = IFsiItem_QueryInterface(&it->IFsiItem_iface, riid, ppv);
    IFsiItem_Release(&it->IFsiItem_iface);
    return hr;
}
