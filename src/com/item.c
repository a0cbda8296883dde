/*
 * The common part of FsiDirectoryItem and FsiFileItem (item.h): binding an item to the live tree,
 * its IUnknown and its IFsiItem methods; fsiitem_create, fsiitem_node and fsiitem_image. An item
 * holds a reference on its node and on the image object; every call takes the image lock.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "item.h"
#include <stdlib.h>

static const IID *const dir_error_iids[] = {
    &IID_IFsiItem, &IID_IFsiDirectoryItem, &IID_IFsiDirectoryItem2, NULL,
};
static const IID *const file_error_iids[] = {
    &IID_IFsiItem, &IID_IFsiFileItem, &IID_IFsiFileItem2, NULL,
};

static fsiitem *item_from_IFsiItem(IFsiItem *item)
{
    fsiitem *it;
    if (!item) return NULL;
    if ((it = diritem_item(item))) return it;
    return fileitem_item(item);
}

fsi_node *fsiitem_node(IFsiItem *item)
{
    fsiitem *it = item_from_IFsiItem(item);
    return it ? it->node : NULL;
}

fsimage *fsiitem_image(IFsiItem *item)
{
    fsiitem *it = item_from_IFsiItem(item);
    return it ? it->img : NULL;
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
HRESULT item_bind(fsiitem *it)
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
HRESULT item_enter(fsiitem *it)
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

HRESULT item_QueryInterface(fsiitem *it, REFIID riid, void **ppv)
{
    TRACE("(%p)->(%s %p)\n", it, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IFsiItem))
        *ppv = it->iface;
    else if (it->is_dir && (IsEqualIID(riid, &IID_IFsiDirectoryItem) || IsEqualIID(riid, &IID_IFsiDirectoryItem2)))
        *ppv = it->iface;
    else if (!it->is_dir && (IsEqualIID(riid, &IID_IFsiFileItem) || IsEqualIID(riid, &IID_IFsiFileItem2)))
        *ppv = it->iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &it->sei.ISupportErrorInfo_iface;
    else
        return E_NOINTERFACE;
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

ULONG item_AddRef(fsiitem *it)
{
    ULONG refs = InterlockedIncrement(&it->refs);
    TRACE("(%p) ref=%lu\n", it, refs);
    return refs;
}

ULONG item_Release(fsiitem *it)
{
    ULONG refs = InterlockedDecrement(&it->refs);
    TRACE("(%p) ref=%lu\n", it, refs);
    if (!refs) {
        fsimage *img = it->img;
        fsimage_lock(img);
        fsi_node_unref(it->node);
        fsimage_unlock(img);
        fsimage_release(img);
        free(it->path);
        free(it->alloc);
        fsi_unlock_module();
    }
    return refs;
}

/* ---- IFsiItem --------------------------------------------------------------------------------- */

HRESULT item_get_Name(fsiitem *it, BSTR *value)
{
    const uint16_t *name;
    size_t len;
    TRACE("(%p)->(%p)\n", it, value);
    if (!value) return E_POINTER;
    fsimage_lock(it->img);
    if (FAILED(item_bind(it))) SetErrorInfo(0, NULL);  /* an item that is gone keeps its name */
    name = fsi_node_name(it->node, &len);
    *value = SysAllocStringLen(name, (UINT)len);
    fsimage_unlock(it->img);
    return *value ? S_OK : E_OUTOFMEMORY;
}

HRESULT item_get_FullPath(fsiitem *it, BSTR *value)
{
    size_t len;
    TRACE("(%p)->(%p)\n", it, value);
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

static HRESULT get_time(fsiitem *it, enum time_kind kind, DATE *value)
{
    fsi_times t;
    fsi_time v;
    HRESULT hr;
    TRACE("(%p)->(%d %p)\n", it, kind, value);
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

static HRESULT put_time(fsiitem *it, enum time_kind kind, DATE value, const WCHAR *param)
{
    fsi_times t;
    fsi_time v;
    HRESULT hr;
    TRACE("(%p)->(%d %f)\n", it, kind, value);
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

HRESULT item_get_CreationTime(fsiitem *it, DATE *v) { return get_time(it, TIME_CREATION, v); }
HRESULT item_put_CreationTime(fsiitem *it, DATE v) { return put_time(it, TIME_CREATION, v, L"newVal"); }
HRESULT item_get_LastAccessedTime(fsiitem *it, DATE *v) { return get_time(it, TIME_ACCESS, v); }
HRESULT item_put_LastAccessedTime(fsiitem *it, DATE v) { return put_time(it, TIME_ACCESS, v, L"newVal"); }
HRESULT item_get_LastModifiedTime(fsiitem *it, DATE *v) { return get_time(it, TIME_MODIFICATION, v); }
HRESULT item_put_LastModifiedTime(fsiitem *it, DATE v) { return put_time(it, TIME_MODIFICATION, v, L"newVal"); }

HRESULT item_get_value(fsiitem *it, enum item_value what, void *value)
{
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = item_enter(it))) return hr;
    switch (what) {
    case ITEM_HIDDEN:
        *(VARIANT_BOOL *)value = fsi_node_hidden(it->node) ? VARIANT_TRUE : VARIANT_FALSE;
        break;
    case ITEM_REALTIME:
        *(VARIANT_BOOL *)value = fsi_node_realtime(it->node) ? VARIANT_TRUE : VARIANT_FALSE;
        break;
    case ITEM_DATA_SIZE:
        *(LONGLONG *)value = (LONGLONG)fsi_node_size(it->node);
        break;
    case ITEM_COUNT:
        *(LONG *)value = (LONG)fsi_dir_child_count(it->node);
        break;
    }
    fsimage_unlock(it->img);
    return S_OK;
}

HRESULT item_get_IsHidden(fsiitem *it, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", it, value);
    return item_get_value(it, ITEM_HIDDEN, value);
}

HRESULT item_put_IsHidden(fsiitem *it, VARIANT_BOOL value)
{
    HRESULT hr;
    TRACE("(%p)->(%d)\n", it, value);
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

HRESULT item_FileSystemName(fsiitem *it, FsiFileSystems fs, BSTR *value)
{
    uint16_t buf[256];
    size_t len;
    HRESULT hr;
    TRACE("(%p)->(%d %p)\n", it, fs, value);
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

HRESULT item_FileSystemPath(fsiitem *it, FsiFileSystems fs, BSTR *value)
{
    uint16_t *path = NULL, buf[256];
    size_t len = 0, cap = 0;
    fsi_node *chain[256], *n;
    int depth = 0;
    HRESULT hr;
    TRACE("(%p)->(%d %p)\n", it, fs, value);

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


/* ---- data from a client's stream ------------------------------------------------------------- */

HRESULT item_data_source(fsiitem *it, IStream *data, const WCHAR *what, ULONGLONG *size, fsi_source **out)
{
    fsi_source *src, *staged;
    uint64_t copied;
    HRESULT hr;
    if (!(src = fsi_source_new_istream(data))) return E_OUTOFMEMORY;
    if (!fsimage_staging(it->img)) {
        *out = src;
        return S_OK;
    }
    /* StageFiles: the image keeps the data as it is now. */
    hr = fsimage_stage(it->img, src, *size, what, &staged, &copied);
    fsi_source_unref(src);
    if (FAILED(hr)) return hr;
    *out = staged;
    *size = copied;
    return S_OK;
}

/* ---- enumerators over items (enum.c) ---------------------------------------------------------- */

/* The children of a directory item, as IFsiItem objects made now. */
HRESULT item_children_enum(fsiitem *it, REFIID riid, void **out)
{
    fsi_snapshot *snap;
    IUnknown **objs = NULL;
    ULONG count, i;
    HRESULT hr;

    TRACE("(%p)->(%s %p)\n", it, debugstr_guid(riid), out);
    if (FAILED(hr = item_enter(it))) return hr;
    count = (ULONG)fsi_dir_child_count(it->node);
    if (!(snap = fsi_snapshot_new(count, 0))) hr = E_OUTOFMEMORY;
    else objs = fsi_snapshot_objs(snap);
    for (i = 0; SUCCEEDED(hr) && i < count; i++)
        hr = fsiitem_create(it->img, fsi_dir_child(it->node, i), &IID_IUnknown, (void **)&objs[i]);
    fsimage_unlock(it->img);
    if (SUCCEEDED(hr)) hr = fsi_enum_create(snap, FSI_ENUM_ITEMS, riid, out);
    fsi_snapshot_unref(snap);
    return hr;
}

HRESULT fsiitem_enum_create(IFsiItem *const *items, ULONG count, REFIID riid, void **out)
{
    fsi_snapshot *snap = fsi_snapshot_new(count, 0);
    HRESULT hr;

    TRACE("(%p %lu %s %p)\n", items, count, debugstr_guid(riid), out);
    *out = NULL;
    if (!snap) return E_OUTOFMEMORY;
    for (ULONG i = 0; i < count; i++) {
        fsi_snapshot_objs(snap)[i] = (IUnknown *)items[i];
        IFsiItem_AddRef(items[i]);
    }
    hr = fsi_enum_create(snap, FSI_ENUM_ITEMS, riid, out);
    fsi_snapshot_unref(snap);
    return hr;
}

HRESULT fsiitem_create(fsimage *img, fsi_node *node, REFIID riid, void **ppv)
{
    fsiitem *it;
    HRESULT hr;
    TRACE("(%p %p %s %p)\n", img, node, debugstr_guid(riid), ppv);
    *ppv = NULL;
    if (!(it = fsi_node_is_dir(node) ? diritem_new() : fileitem_new())) return E_OUTOFMEMORY;
    fsi_error_support_init(&it->sei, (IUnknown *)it->iface, it->is_dir ? dir_error_iids : file_error_iids);
    it->refs = 1;
    it->img = img;
    it->node = node;
    fsi_node_ref(node);
    fsimage_addref(img);
    fsi_lock_module();
    /* callers hold the image lock (or own the detached node) */
    it->epoch = fsimage_epoch(img);
    if (fsi_node_standing(fsimage_tree(img), node) > 0) remember_path(it);
    hr = item_QueryInterface(it, riid, ppv);
    item_Release(it);
    return hr;
}
