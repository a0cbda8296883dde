/*
 * FsiDirectoryItem (IFsiDirectoryItem2): a directory of the image. The IFsiItem part is item.c's;
 * AddTree's walk is addtree.c's.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "item.h"
#include <stdlib.h>

FSI_ITEM_TYPE(diritem, dir, IFsiDirectoryItem2, IID_IFsiDirectoryItem2)

static HRESULT WINAPI dir_get__NewEnum(IFsiDirectoryItem2 *iface, IEnumVARIANT **out)
{
    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    *out = NULL;
    return item_children_enum(impl_from_IFsiDirectoryItem2(iface), &IID_IEnumVARIANT, (void **)out);
}

static HRESULT WINAPI dir_get_EnumFsiItems(IFsiDirectoryItem2 *iface, IEnumFsiItems **out)
{
    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    *out = NULL;
    return item_children_enum(impl_from_IFsiDirectoryItem2(iface), &IID_IEnumFsiItems, (void **)out);
}

static HRESULT WINAPI dir_get_Item(IFsiDirectoryItem2 *iface, BSTR path, IFsiItem **item)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    fsi_node *node = NULL;
    fsi_status st;
    HRESULT hr;
    TRACE("(%p)->(%s %p)\n", iface, debugstr_w(path), item);
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
    TRACE("(%p)->(%p)\n", iface, count);
    return item_get_value(impl_from_IFsiDirectoryItem2(iface), ITEM_COUNT, count);
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

/* Add node, just made for path (st: how making it went), into parent (lock held): checked against
 * the image's limits, attached and counted. Takes the node's reference. */
static HRESULT add_new(fsiitem *it, BSTR path, fsi_node *parent, fsi_status st, fsi_node *node)
{
    fsimage_grant g;
    HRESULT hr;
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFsiDirectoryItem, path, NULL);
    hr = fsimage_check_add(it->img, parent, node, 1, path, &g);
    if (SUCCEEDED(hr)) hr = attach_new(it, path, node);
    if (SUCCEEDED(hr)) fsimage_added(it->img, &g);
    fsi_node_unref(node);
    return hr;
}

/* A STATSTG time, or now when it is 0. */
static fsi_time stat_time(const FILETIME *ft, fsi_time now)
{
    return ft->dwHighDateTime || ft->dwLowDateTime ? ((int64_t)ft->dwHighDateTime << 32 | ft->dwLowDateTime) : now;
}

static HRESULT WINAPI dir_AddDirectory(IFsiDirectoryItem2 *iface, BSTR path)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    fsi_node *parent, *node;
    const WCHAR *name;
    size_t len;
    fsi_status st;
    HRESULT hr;
    TRACE("(%p)->(%s)\n", iface, debugstr_w(path));

    if (!path || !*path) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"path", NULL);
    if (FAILED(hr = item_enter(it))) return hr;
    hr = split_path(it, path, &parent, &name, &len);
    if (SUCCEEDED(hr)) hr = fsimage_check_name(it->img, name, len, path);
    if (SUCCEEDED(hr)) {
        st = fsi_node_new_dir(name, len, &node);
        hr = add_new(it, path, parent, st, node);
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
    TRACE("(%p)->(%s %p)\n", iface, debugstr_w(path), data);

    if (!path || !*path) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"path", NULL);
    if (!data) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiDirectoryItem, L"fileData", NULL);
    hr = IStream_Stat(data, &stat, STATFLAG_NONAME);
    if (FAILED(hr)) return fsi_error(IMAPI_E_DATA_STREAM_READ_FAILURE, &IID_IFsiDirectoryItem, path, NULL);
    if (FAILED(hr = item_data_source(it, data, path, &stat.cbSize.QuadPart, &src))) return hr;
    if (FAILED(hr = item_enter(it))) {
        fsi_source_unref(src);
        return hr;
    }
    hr = split_path(it, path, &parent, &name, &len);
    if (SUCCEEDED(hr)) hr = fsimage_check_name(it->img, name, len, path);
    if (SUCCEEDED(hr)) {
        st = fsi_node_new_file(name, len, stat.cbSize.QuadPart, stat.cbSize.QuadPart ? src : NULL, &node);
        if (st == FSI_OK) {
            fsi_times t;
            FILETIME ft;
            fsi_time now;
            GetSystemTimeAsFileTime(&ft);
            now = ((int64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
            t.creation = stat_time(&stat.ctime, now);
            t.access = stat_time(&stat.atime, now);
            t.modification = stat_time(&stat.mtime, now);
            fsi_node_set_times(node, &t);
        }
        hr = add_new(it, path, parent, st, node);
    }
    fsimage_unlock(it->img);
    fsi_source_unref(src);
    return hr;
}

static HRESULT WINAPI dir_AddTree(IFsiDirectoryItem2 *iface, BSTR source, VARIANT_BOOL include_base)
{
    TRACE("(%p)->(%s %d)\n", iface, debugstr_w(source), include_base);
    return fsiitem_add_tree(impl_from_IFsiDirectoryItem2(iface), source, include_base, 0);
}

static HRESULT WINAPI dir_Add(IFsiDirectoryItem2 *iface, IFsiItem *item)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    fsi_node *node = fsiitem_node(item);
    fsi_status st;
    HRESULT hr;
    BSTR name = NULL;
    TRACE("(%p)->(%p)\n", iface, item);

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
    TRACE("(%p)->(%s)\n", iface, debugstr_w(path));
    return remove_item(impl_from_IFsiDirectoryItem2(iface), path, 0);
}

static HRESULT WINAPI dir_RemoveTree(IFsiDirectoryItem2 *iface, BSTR path)
{
    TRACE("(%p)->(%s)\n", iface, debugstr_w(path));
    return remove_item(impl_from_IFsiDirectoryItem2(iface), path, 1);
}

static HRESULT WINAPI dir_AddTreeWithNamedStreams(IFsiDirectoryItem2 *iface, BSTR source, VARIANT_BOOL include_base)
{
    fsiitem *it = impl_from_IFsiDirectoryItem2(iface);
    TRACE("(%p)->(%s %d)\n", iface, debugstr_w(source), include_base);
    HRESULT hr = fsiitem_add_tree(it, source, include_base, 1);
    /* The streams are recorded in any case; they are written in UDF 2.00 and later only. */
    if (SUCCEEDED(hr)) {
        fsimage_lock(it->img);
        if (!fsimage_streams_written(it->img)) hr = IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED;
        fsimage_unlock(it->img);
    }
    return hr;
}

static const IFsiDirectoryItem2Vtbl dir_vtbl = {
    FSI_ITEM_SLOTS(dir),
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

FSI_ITEM_OBJECT(diritem, IFsiDirectoryItem2, dir_vtbl, 1)
