/*
 * FsiNamedStreams (IFsiNamedStreams): the named streams of a file item, and the item of one named
 * stream (IFsiFileItem2 whose IsNamedStream is TRUE).
 *
 * The collection is a snapshot of the file's streams when IFsiFileItem2::FsiNamedStreams is read
 * (as directory enumerators are); each stream item keeps its name, size and data, so it stays
 * readable after RemoveStream. A stream item is not a tree item: it cannot be added to a directory
 * (IFsiDirectoryItem::Add answers IMAPI_E_INVALID_PARAM), and what a file has but a stream has not
 * (streams of its own, the hidden and real-time attributes, its own times, new data) answers
 * IMAPI_E_PROPERTY_NOT_ACCESSIBLE or, for Data, IMAPI_E_READONLY. Its times are the file's: UDF
 * records a stream with its file's times.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

/* ---- the item of one named stream -------------------------------------------------------------- */

typedef struct stream_item {
    IFsiFileItem2 IFsiFileItem2_iface;
    fsi_error_support sei;
    LONG refs;
    fsimage *img;
    IFsiItem *file;                 /* the file's item */
    BSTR name;
    uint64_t size;
    fsi_source *src;                /* NULL for an empty stream */
} stream_item;

static const IID *const stream_error_iids[] = {
    &IID_IFsiItem, &IID_IFsiFileItem, &IID_IFsiFileItem2, NULL,
};

static inline stream_item *impl_from_IFsiFileItem2(IFsiFileItem2 *iface)
{
    return impl_from(iface, stream_item, IFsiFileItem2_iface);
}

static HRESULT WINAPI si_QueryInterface(IFsiFileItem2 *iface, REFIID riid, void **ppv)
{
    stream_item *s = impl_from_IFsiFileItem2(iface);
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IFsiItem) ||
        IsEqualIID(riid, &IID_IFsiFileItem) || IsEqualIID(riid, &IID_IFsiFileItem2))
        *ppv = &s->IFsiFileItem2_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &s->sei.ISupportErrorInfo_iface;
    else
        return E_NOINTERFACE;
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI si_AddRef(IFsiFileItem2 *iface)
{
    return InterlockedIncrement(&impl_from_IFsiFileItem2(iface)->refs);
}

static ULONG WINAPI si_Release(IFsiFileItem2 *iface)
{
    stream_item *s = impl_from_IFsiFileItem2(iface);
    ULONG refs = InterlockedDecrement(&s->refs);
    if (!refs) {
        IFsiItem_Release(s->file);
        fsimage_release(s->img);
        fsi_source_unref(s->src);
        SysFreeString(s->name);
        free(s);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(si, IFsiFileItem2, IID_IFsiFileItem2)

static HRESULT not_accessible(const WCHAR *property)
{
    return fsi_error(IMAPI_E_PROPERTY_NOT_ACCESSIBLE, &IID_IFsiFileItem2, property, NULL);
}

static HRESULT WINAPI si_get_Name(IFsiFileItem2 *iface, BSTR *value)
{
    stream_item *s = impl_from_IFsiFileItem2(iface);
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = SysAllocStringLen(s->name, SysStringLen(s->name));
    return *value ? S_OK : E_OUTOFMEMORY;
}

/* prefix + ':' + the stream's name */
static HRESULT with_name(stream_item *s, BSTR prefix, BSTR *value)
{
    UINT pl = SysStringLen(prefix), nl = SysStringLen(s->name);
    if (!(*value = SysAllocStringLen(NULL, pl + 1 + nl))) return E_OUTOFMEMORY;
    memcpy(*value, prefix, pl * sizeof(WCHAR));
    (*value)[pl] = ':';
    memcpy(*value + pl + 1, s->name, nl * sizeof(WCHAR));
    return S_OK;
}

static HRESULT WINAPI si_get_FullPath(IFsiFileItem2 *iface, BSTR *value)
{
    stream_item *s = impl_from_IFsiFileItem2(iface);
    BSTR file;
    HRESULT hr;
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = NULL;
    if (FAILED(hr = IFsiItem_get_FullPath(s->file, &file))) return hr;
    hr = with_name(s, file, value);        /* "\dir\file.txt:stream" */
    SysFreeString(file);
    return hr;
}

static HRESULT WINAPI si_get_CreationTime(IFsiFileItem2 *iface, DATE *v)
{ return IFsiItem_get_CreationTime(impl_from_IFsiFileItem2(iface)->file, v); }
static HRESULT WINAPI si_get_LastAccessedTime(IFsiFileItem2 *iface, DATE *v)
{ return IFsiItem_get_LastAccessedTime(impl_from_IFsiFileItem2(iface)->file, v); }
static HRESULT WINAPI si_get_LastModifiedTime(IFsiFileItem2 *iface, DATE *v)
{ return IFsiItem_get_LastModifiedTime(impl_from_IFsiFileItem2(iface)->file, v); }
static HRESULT WINAPI si_put_CreationTime(IFsiFileItem2 *iface, DATE v) { return not_accessible(L"CreationTime"); }
static HRESULT WINAPI si_put_LastAccessedTime(IFsiFileItem2 *iface, DATE v) { return not_accessible(L"LastAccessedTime"); }
static HRESULT WINAPI si_put_LastModifiedTime(IFsiFileItem2 *iface, DATE v) { return not_accessible(L"LastModifiedTime"); }

static HRESULT WINAPI si_get_IsHidden(IFsiFileItem2 *iface, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = VARIANT_FALSE;
    return S_OK;
}

static HRESULT WINAPI si_put_IsHidden(IFsiFileItem2 *iface, VARIANT_BOOL value) { return not_accessible(L"IsHidden"); }

/* A stream has a name in UDF only (2.00 and later); in ISO 9660 and Joliet it has none (""). */
static HRESULT WINAPI si_FileSystemName(IFsiFileItem2 *iface, FsiFileSystems fs, BSTR *value)
{
    stream_item *s = impl_from_IFsiFileItem2(iface);
    TRACE("(%p)->(%d, %p)\n", iface, (int)fs, value);
    if (!value) return E_POINTER;
    *value = NULL;
    if (fs != FsiFileSystemISO9660 && fs != FsiFileSystemJoliet && fs != FsiFileSystemUDF)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiFileItem2, L"fileSystem", NULL);
    *value = fs == FsiFileSystemUDF ? SysAllocStringLen(s->name, SysStringLen(s->name)) : SysAllocString(L"");
    return *value ? S_OK : E_OUTOFMEMORY;
}

static HRESULT WINAPI si_FileSystemPath(IFsiFileItem2 *iface, FsiFileSystems fs, BSTR *value)
{
    stream_item *s = impl_from_IFsiFileItem2(iface);
    BSTR file;
    HRESULT hr;
    TRACE("(%p)->(%d, %p)\n", iface, (int)fs, value);
    if (!value) return E_POINTER;
    *value = NULL;
    if (fs != FsiFileSystemISO9660 && fs != FsiFileSystemJoliet && fs != FsiFileSystemUDF)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiFileItem2, L"fileSystem", NULL);
    if (fs != FsiFileSystemUDF) return (*value = SysAllocString(L"")) ? S_OK : E_OUTOFMEMORY;
    if (FAILED(hr = IFsiItem_FileSystemPath(s->file, fs, &file))) return hr;
    hr = with_name(s, file, value);
    SysFreeString(file);
    return hr;
}

static HRESULT WINAPI si_get_DataSize(IFsiFileItem2 *iface, LONGLONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = (LONGLONG)impl_from_IFsiFileItem2(iface)->size;
    return S_OK;
}

static HRESULT WINAPI si_get_DataSize32BitLow(IFsiFileItem2 *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = (LONG)(ULONG)(impl_from_IFsiFileItem2(iface)->size & 0xffffffff);
    return S_OK;
}

static HRESULT WINAPI si_get_DataSize32BitHigh(IFsiFileItem2 *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = (LONG)(ULONG)(impl_from_IFsiFileItem2(iface)->size >> 32);
    return S_OK;
}

static HRESULT WINAPI si_get_Data(IFsiFileItem2 *iface, IStream **value)
{
    stream_item *s = impl_from_IFsiFileItem2(iface);
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = NULL;
    return fsi_source_istream_create(s->src, s->size, value);
}

static HRESULT WINAPI si_put_Data(IFsiFileItem2 *iface, IStream *data)
{
    TRACE("(%p)->(%p)\n", iface, data);
    return fsi_error(IMAPI_E_READONLY, &IID_IFsiFileItem2, NULL, NULL);
}

static HRESULT WINAPI si_get_FsiNamedStreams(IFsiFileItem2 *iface, IFsiNamedStreams **streams)
{
    TRACE("(%p)->(%p)\n", iface, streams);
    if (!streams) return E_POINTER;
    *streams = NULL;
    return not_accessible(L"FsiNamedStreams");     /* documented: a named stream has none */
}

static HRESULT WINAPI si_get_IsNamedStream(IFsiFileItem2 *iface, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = VARIANT_TRUE;
    return S_OK;
}

static HRESULT WINAPI si_AddStream(IFsiFileItem2 *iface, BSTR name, IStream *data)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_w(name), data);
    return not_accessible(L"FsiNamedStreams");
}

static HRESULT WINAPI si_RemoveStream(IFsiFileItem2 *iface, BSTR name)
{
    TRACE("(%p)->(%s)\n", iface, debugstr_w(name));
    return not_accessible(L"FsiNamedStreams");
}

static HRESULT WINAPI si_get_IsRealTime(IFsiFileItem2 *iface, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = VARIANT_FALSE;
    return S_OK;
}

static HRESULT WINAPI si_put_IsRealTime(IFsiFileItem2 *iface, VARIANT_BOOL value) { return not_accessible(L"IsRealTime"); }

static const IFsiFileItem2Vtbl stream_item_vtbl = {
    si_QueryInterface, si_AddRef, si_Release,
    si_GetTypeInfoCount, si_GetTypeInfo, si_GetIDsOfNames, si_Invoke,
    si_get_Name, si_get_FullPath,
    si_get_CreationTime, si_put_CreationTime,
    si_get_LastAccessedTime, si_put_LastAccessedTime,
    si_get_LastModifiedTime, si_put_LastModifiedTime,
    si_get_IsHidden, si_put_IsHidden, si_FileSystemName, si_FileSystemPath,
    si_get_DataSize, si_get_DataSize32BitLow, si_get_DataSize32BitHigh, si_get_Data, si_put_Data,
    si_get_FsiNamedStreams, si_get_IsNamedStream, si_AddStream, si_RemoveStream,
    si_get_IsRealTime, si_put_IsRealTime,
};

static HRESULT stream_item_create(fsimage *img, IFsiItem *file, const uint16_t *name, size_t len,
                                  uint64_t size, fsi_source *src, IFsiItem **out)
{
    stream_item *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s || !(s->name = SysAllocStringLen(name, (UINT)len))) {
        free(s);
        return E_OUTOFMEMORY;
    }
    s->IFsiFileItem2_iface.lpVtbl = &stream_item_vtbl;
    fsi_error_support_init(&s->sei, (IUnknown *)&s->IFsiFileItem2_iface, stream_error_iids);
    s->refs = 1;
    s->img = img;
    fsimage_addref(img);
    s->file = file;
    IFsiItem_AddRef(file);
    s->size = size;
    s->src = src;
    fsi_source_ref(src);
    fsi_lock_module();
    *out = (IFsiItem *)&s->IFsiFileItem2_iface;
    return S_OK;
}

/* ---- FsiNamedStreams ------------------------------------------------------------------------- */

typedef struct named_streams {
    IFsiNamedStreams IFsiNamedStreams_iface;
    fsi_error_support sei;
    LONG refs;
    ULONG count;
    IFsiItem **items;               /* stream items */
} named_streams;

static const IID *const collection_error_iids[] = { &IID_IFsiNamedStreams, NULL };

static inline named_streams *impl_from_IFsiNamedStreams(IFsiNamedStreams *iface)
{
    return impl_from(iface, named_streams, IFsiNamedStreams_iface);
}

static HRESULT WINAPI ns_QueryInterface(IFsiNamedStreams *iface, REFIID riid, void **ppv)
{
    named_streams *c = impl_from_IFsiNamedStreams(iface);
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IFsiNamedStreams))
        *ppv = &c->IFsiNamedStreams_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &c->sei.ISupportErrorInfo_iface;
    else
        return E_NOINTERFACE;
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI ns_AddRef(IFsiNamedStreams *iface)
{
    return InterlockedIncrement(&impl_from_IFsiNamedStreams(iface)->refs);
}

static ULONG WINAPI ns_Release(IFsiNamedStreams *iface)
{
    named_streams *c = impl_from_IFsiNamedStreams(iface);
    ULONG refs = InterlockedDecrement(&c->refs);
    if (!refs) {
        for (ULONG i = 0; i < c->count; i++) IFsiItem_Release(c->items[i]);
        free(c->items);
        free(c);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(ns, IFsiNamedStreams, IID_IFsiNamedStreams)

static HRESULT WINAPI ns_get__NewEnum(IFsiNamedStreams *iface, IEnumVARIANT **out)
{
    named_streams *c = impl_from_IFsiNamedStreams(iface);
    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    return fsiitem_enum_create(c->items, c->count, &IID_IEnumVARIANT, (void **)out);
}

static HRESULT WINAPI ns_get_Item(IFsiNamedStreams *iface, LONG index, IFsiFileItem2 **item)
{
    named_streams *c = impl_from_IFsiNamedStreams(iface);
    TRACE("(%p)->(%ld, %p)\n", iface, (long)index, item);
    if (!item) return E_POINTER;
    *item = NULL;
    if (index < 0 || (ULONG)index >= c->count)       /* zero-based */
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFsiNamedStreams, L"index", NULL);
    return IFsiItem_QueryInterface(c->items[index], &IID_IFsiFileItem2, (void **)item);
}

static HRESULT WINAPI ns_get_Count(IFsiNamedStreams *iface, LONG *count)
{
    TRACE("(%p)->(%p)\n", iface, count);
    if (!count) return E_POINTER;
    *count = (LONG)impl_from_IFsiNamedStreams(iface)->count;
    return S_OK;
}

static HRESULT WINAPI ns_get_EnumNamedStreams(IFsiNamedStreams *iface, IEnumFsiItems **out)
{
    named_streams *c = impl_from_IFsiNamedStreams(iface);
    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return E_POINTER;
    return fsiitem_enum_create(c->items, c->count, &IID_IEnumFsiItems, (void **)out);
}

static const IFsiNamedStreamsVtbl ns_vtbl = {
    ns_QueryInterface, ns_AddRef, ns_Release,
    ns_GetTypeInfoCount, ns_GetTypeInfo, ns_GetIDsOfNames, ns_Invoke,
    ns_get__NewEnum, ns_get_Item, ns_get_Count, ns_get_EnumNamedStreams,
};

HRESULT fsi_namedstreams_create(fsimage *img, IFsiItem *file, fsi_node *node, IFsiNamedStreams **out)
{
    named_streams *c = calloc(1, sizeof(*c));
    HRESULT hr = S_OK;
    size_t n;

    *out = NULL;
    if (!c) return E_OUTOFMEMORY;
    c->IFsiNamedStreams_iface.lpVtbl = &ns_vtbl;
    fsi_error_support_init(&c->sei, (IUnknown *)&c->IFsiNamedStreams_iface, collection_error_iids);
    c->refs = 1;
    fsi_lock_module();
    fsimage_lock(img);
    n = fsi_node_stream_count(node);
    if (n && !(c->items = calloc(n, sizeof(*c->items)))) hr = E_OUTOFMEMORY;
    for (size_t i = 0; SUCCEEDED(hr) && i < n; i++) {
        size_t len;
        uint64_t size;
        fsi_source *src;
        const uint16_t *name = fsi_node_stream(node, i, &len, &size, &src);
        hr = stream_item_create(img, file, name, len, size, src, &c->items[i]);
        if (SUCCEEDED(hr)) c->count++;
    }
    fsimage_unlock(img);
    if (FAILED(hr)) {
        IFsiNamedStreams_Release(&c->IFsiNamedStreams_iface);
        return hr;
    }
    *out = &c->IFsiNamedStreams_iface;
    return S_OK;
}
