/*
 * FsiFileItem (IFsiFileItem2): a file of the image. The IFsiItem part is item.c's.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "item.h"
#include <stdlib.h>

FSI_ITEM_TYPE(fileitem, file, IFsiFileItem2, IID_IFsiFileItem2)

static HRESULT WINAPI file_get_DataSize(IFsiFileItem2 *iface, LONGLONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    return item_get_value(impl_from_IFsiFileItem2(iface), ITEM_DATA_SIZE, value);
}

/* The low or high 32 bits of DataSize. */
static HRESULT get_size_half(IFsiFileItem2 *iface, LONG *value, int high)
{
    LONGLONG size;
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = item_get_value(impl_from_IFsiFileItem2(iface), ITEM_DATA_SIZE, &size))) return hr;
    *value = (LONG)(ULONG)(high ? (ULONGLONG)size >> 32 : size & 0xffffffff);
    return S_OK;
}

static HRESULT WINAPI file_get_DataSize32BitLow(IFsiFileItem2 *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    return get_size_half(iface, value, 0);
}

static HRESULT WINAPI file_get_DataSize32BitHigh(IFsiFileItem2 *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    return get_size_half(iface, value, 1);
}

static HRESULT WINAPI file_get_Data(IFsiFileItem2 *iface, IStream **value)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    HRESULT hr;
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    if (FAILED(hr = item_enter(it))) return hr;
    hr = fsi_source_istream_create(fsi_node_source(it->node), fsi_node_size(it->node), value);
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
    TRACE("(%p)->(%p)\n", iface, data);

    if (!data) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiFileItem, L"newVal", NULL);
    if (FAILED(IStream_Stat(data, &stat, STATFLAG_NONAME)))
        return fsi_error(IMAPI_E_DATA_STREAM_READ_FAILURE, &IID_IFsiFileItem, L"", NULL);
    if (FAILED(hr = item_data_source(it, data, L"", &stat.cbSize.QuadPart, &src))) return hr;
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
    TRACE("(%p)->(%p)\n", iface, streams);
    if (!streams) return E_POINTER;
    *streams = NULL;
    if (FAILED(hr = item_enter(it))) return hr;
    node = it->node;
    fsi_node_ref(node);
    fsimage_unlock(it->img);
    hr = fsi_namedstreams_create(it->img, it->iface, node, streams);
    fsi_node_unref(node);
    return hr;
}

static HRESULT WINAPI file_get_IsNamedStream(IFsiFileItem2 *iface, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
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
    TRACE("(%p)->(%s %p)\n", iface, debugstr_w(name), data);

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
        item_get_Name(it, &path);
        hr = fsi_error(IMAPI_E_NOT_IN_FILE_SYSTEM, &IID_IFsiFileItem2, path ? path : L"", NULL);
        SysFreeString(path);
        return hr;
    }
    hr = fsimage_check_name(it->img, name, len, name);
    if (SUCCEEDED(hr) && fsi_node_find_stream(it->node, name, len) != (size_t)-1)
        hr = fsi_error(IMAPI_E_DUP_NAME, &IID_IFsiFileItem2, name, NULL);
    fsimage_unlock(it->img);
    if (FAILED(hr)) return hr;

    if (FAILED(hr = item_data_source(it, data, name, &stat.cbSize.QuadPart, &src))) return hr;
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
    TRACE("(%p)->(%s)\n", iface, debugstr_w(name));

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
    TRACE("(%p)->(%p)\n", iface, value);
    return item_get_value(impl_from_IFsiFileItem2(iface), ITEM_REALTIME, value);
}

static HRESULT WINAPI file_put_IsRealTime(IFsiFileItem2 *iface, VARIANT_BOOL value)
{
    fsiitem *it = impl_from_IFsiFileItem2(iface);
    HRESULT hr;
    TRACE("(%p)->(%d)\n", iface, value);
    if (FAILED(hr = item_enter(it))) return hr;
    fsi_node_set_realtime(it->node, value != VARIANT_FALSE);
    fsimage_changed(it->img);
    /* Kept in any case; written only in UDF 2.01 and later. */
    hr = fsimage_realtime_written(it->img) ? S_OK : IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED;
    fsimage_unlock(it->img);
    return hr;
}

static const IFsiFileItem2Vtbl file_vtbl = {
    FSI_ITEM_SLOTS(file),
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

FSI_ITEM_OBJECT(fileitem, IFsiFileItem2, file_vtbl, 0)
