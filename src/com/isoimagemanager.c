/*
 * MsftIsoImageManager (IIsoImageManager): an image file or stream, checked by Validate.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>
#include <shlwapi.h>

typedef struct isoimagemanager {
    IIsoImageManager IIsoImageManager_iface;
    fsi_error_support sei;
    LONG refs;
    CRITICAL_SECTION cs;
    BSTR path;
    IStream *stream;
} isoimagemanager;

static const IID *const iim_error_iids[] = { &IID_IIsoImageManager, NULL };

static inline isoimagemanager *impl_from_IIsoImageManager(IIsoImageManager *iface)
{
    return impl_from(iface, isoimagemanager, IIsoImageManager_iface);
}

static HRESULT WINAPI iim_QueryInterface(IIsoImageManager *iface, REFIID riid, void **ppv)
{
    isoimagemanager *m = impl_from_IIsoImageManager(iface);
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IIsoImageManager))
        *ppv = &m->IIsoImageManager_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &m->sei.ISupportErrorInfo_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI iim_AddRef(IIsoImageManager *iface)
{
    return InterlockedIncrement(&impl_from_IIsoImageManager(iface)->refs);
}

static ULONG WINAPI iim_Release(IIsoImageManager *iface)
{
    isoimagemanager *m = impl_from_IIsoImageManager(iface);
    ULONG refs = InterlockedDecrement(&m->refs);
    if (!refs) {
        if (m->stream) IStream_Release(m->stream);
        SysFreeString(m->path);
        DeleteCriticalSection(&m->cs);
        free(m);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(iim, IIsoImageManager, IID_IIsoImageManager)

static HRESULT WINAPI iim_get_Path(IIsoImageManager *iface, BSTR *value)
{
    isoimagemanager *m = impl_from_IIsoImageManager(iface);
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    EnterCriticalSection(&m->cs);
    *value = m->path ? SysAllocString(m->path) : NULL;
    LeaveCriticalSection(&m->cs);
    return (m->path && !*value) ? E_OUTOFMEMORY : S_OK;
}

static HRESULT WINAPI iim_get_Stream(IIsoImageManager *iface, IStream **value)
{
    isoimagemanager *m = impl_from_IIsoImageManager(iface);
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    EnterCriticalSection(&m->cs);
    if ((*value = m->stream)) IStream_AddRef(m->stream);
    LeaveCriticalSection(&m->cs);
    return S_OK;
}

static HRESULT WINAPI iim_SetPath(IIsoImageManager *iface, BSTR path)
{
    isoimagemanager *m = impl_from_IIsoImageManager(iface);
    IStream *stream;
    BSTR copy;
    HRESULT hr;
    TRACE("(%p)->(%s)\n", iface, debugstr_w(path));

    if (!path || !*path) return fsi_error(IMAPI_E_INVALID_PATH, &IID_IIsoImageManager, L"", NULL);
    /* A file-backed stream that reads on demand: the image is never loaded whole. */
    hr = SHCreateStreamOnFileEx(path, STGM_READ | STGM_SHARE_DENY_NONE, FILE_ATTRIBUTE_NORMAL, FALSE, NULL, &stream);
    if (FAILED(hr)) return fsi_error(IMAPI_E_INVALID_PATH, &IID_IIsoImageManager, path, NULL);
    if (!(copy = SysAllocString(path))) {
        IStream_Release(stream);
        return E_OUTOFMEMORY;
    }
    EnterCriticalSection(&m->cs);
    if (m->stream) IStream_Release(m->stream);
    SysFreeString(m->path);
    m->stream = stream;
    m->path = copy;
    LeaveCriticalSection(&m->cs);
    return S_OK;
}

static HRESULT WINAPI iim_SetStream(IIsoImageManager *iface, IStream *stream)
{
    isoimagemanager *m = impl_from_IIsoImageManager(iface);
    TRACE("(%p)->(%p)\n", iface, stream);
    if (!stream) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IIsoImageManager, L"data", NULL);
    IStream_AddRef(stream);
    EnterCriticalSection(&m->cs);
    if (m->stream) IStream_Release(m->stream);
    SysFreeString(m->path);
    m->path = NULL;
    m->stream = stream;
    LeaveCriticalSection(&m->cs);
    return S_OK;
}

/* A volume recognition sequence descriptor (ECMA-119 8.1, ECMA-167 2/9.1) at 16 + index. */
static int is_volume_descriptor(const BYTE *b)
{
    static const char *const ids[] = { "CD001", "BEA01", "NSR02", "NSR03", "TEA01", "BOOT2", "CDW02" };
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
        if (!memcmp(b + 1, ids[i], 5)) return 1;
    return 0;
}

static HRESULT WINAPI iim_Validate(IIsoImageManager *iface)
{
    isoimagemanager *m = impl_from_IIsoImageManager(iface);
    IStream *stream;
    STATSTG stat;
    BYTE block[2048];
    HRESULT hr = IMAPI_E_IMAGEMANAGER_NO_VALID_VD_FOUND;
    TRACE("(%p)\n", iface);

    EnterCriticalSection(&m->cs);
    if ((stream = m->stream)) IStream_AddRef(stream);
    LeaveCriticalSection(&m->cs);
    if (!stream) return fsi_error(IMAPI_E_IMAGEMANAGER_NO_IMAGE, &IID_IIsoImageManager, NULL, NULL);
    if (FAILED(IStream_Stat(stream, &stat, STATFLAG_NONAME))) {
        IStream_Release(stream);
        return fsi_error(IMAPI_E_IMAGEMANAGER_NO_IMAGE, &IID_IIsoImageManager, NULL, NULL);
    }
    if (stat.cbSize.QuadPart % 2048) hr = IMAPI_E_IMAGEMANAGER_IMAGE_NOT_ALIGNED;
    else if (stat.cbSize.QuadPart / 2048 > 0x7fffffff) hr = IMAPI_E_IMAGEMANAGER_IMAGE_TOO_BIG;
    else {
        /* The volume recognition area starts at block 16; look at its first descriptors. */
        for (ULONGLONG lba = 16; lba < 16 + 32 && (lba + 1) * 2048 <= stat.cbSize.QuadPart; lba++) {
            LARGE_INTEGER pos;
            ULONG n = 0;
            pos.QuadPart = (LONGLONG)(lba * 2048);
            if (FAILED(IStream_Seek(stream, pos, STREAM_SEEK_SET, NULL)) ||
                FAILED(IStream_Read(stream, block, sizeof(block), &n)) || n != sizeof(block))
                break;
            if (is_volume_descriptor(block)) { hr = S_OK; break; }
        }
    }
    IStream_Release(stream);
    return FAILED(hr) ? fsi_error(hr, &IID_IIsoImageManager, NULL, NULL) : hr;
}

static const IIsoImageManagerVtbl iim_vtbl = {
    iim_QueryInterface,
    iim_AddRef,
    iim_Release,
    iim_GetTypeInfoCount,
    iim_GetTypeInfo,
    iim_GetIDsOfNames,
    iim_Invoke,
    iim_get_Path,
    iim_get_Stream,
    iim_SetPath,
    iim_SetStream,
    iim_Validate,
};

HRESULT isoimagemanager_create(IUnknown *outer, REFIID riid, void **ppv)
{
    isoimagemanager *m = calloc(1, sizeof(*m));
    HRESULT hr;
    if (!m) return E_OUTOFMEMORY;
    m->IIsoImageManager_iface.lpVtbl = &iim_vtbl;
    fsi_error_support_init(&m->sei, (IUnknown *)&m->IIsoImageManager_iface, iim_error_iids);
    m->refs = 1;
    InitializeCriticalSection(&m->cs);
    fsi_lock_module();
    hr = IIsoImageManager_QueryInterface(&m->IIsoImageManager_iface, riid, ppv);
    IIsoImageManager_Release(&m->IIsoImageManager_iface);
    return hr;
}
