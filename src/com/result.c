/*
 * FileSystemImageResult (IFileSystemImageResult2) and FsiStream (IStream over the layout plan).
 * The stream produces the image lazily: file data is read from its source when its sectors are
 * read. Each result/stream holds its own plan reference, so it outlives changes to the image.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

/* ---- FsiStream ------------------------------------------------------------------------------- */

typedef struct fsistream {
    IStream IStream_iface;
    LONG refs;
    CRITICAL_SECTION cs;
    fsi_plan *plan;
    fsi_cursor *cursor;
    uint64_t size, pos;
} fsistream;

static inline fsistream *impl_from_IStream(IStream *iface)
{
    return impl_from(iface, fsistream, IStream_iface);
}

static HRESULT WINAPI stream_QueryInterface(IStream *iface, REFIID riid, void **ppv)
{
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) ||
        IsEqualIID(riid, &IID_IStream)) {
        *ppv = iface;
        IStream_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI stream_AddRef(IStream *iface)
{
    return InterlockedIncrement(&impl_from_IStream(iface)->refs);
}

static ULONG WINAPI stream_Release(IStream *iface)
{
    fsistream *s = impl_from_IStream(iface);
    ULONG refs = InterlockedDecrement(&s->refs);
    if (!refs) {
        fsi_cursor_free(s->cursor);
        fsi_plan_unref(s->plan);
        DeleteCriticalSection(&s->cs);
        free(s);
        fsi_unlock_module();
    }
    return refs;
}

/* Read up to len bytes at the current position (lock held). */
static HRESULT read_locked(fsistream *s, void *buf, size_t len, size_t *done)
{
    fsi_err err;
    fsi_status st;
    *done = 0;
    if (s->pos >= s->size) return S_OK;
    if (len > s->size - s->pos) len = (size_t)(s->size - s->pos);
    st = fsi_cursor_read(s->cursor, s->pos, buf, len, &err);
    if (st != FSI_OK) return fsi_error_from_engine(&err, &IID_IStream);
    s->pos += len;
    *done = len;
    return S_OK;
}

static HRESULT WINAPI stream_Read(IStream *iface, void *buf, ULONG len, ULONG *read)
{
    fsistream *s = impl_from_IStream(iface);
    size_t done;
    HRESULT hr;
    if (read) *read = 0;
    if (!buf) return STG_E_INVALIDPOINTER;
    EnterCriticalSection(&s->cs);
    hr = read_locked(s, buf, len, &done);
    LeaveCriticalSection(&s->cs);
    if (read) *read = (ULONG)done;
    return hr;
}

static HRESULT WINAPI stream_Write(IStream *iface, const void *buf, ULONG len, ULONG *written)
{
    if (written) *written = 0;
    return STG_E_ACCESSDENIED;
}

static HRESULT WINAPI stream_Seek(IStream *iface, LARGE_INTEGER move, DWORD origin, ULARGE_INTEGER *newpos)
{
    fsistream *s = impl_from_IStream(iface);
    LONGLONG base, target;
    HRESULT hr = S_OK;
    EnterCriticalSection(&s->cs);
    switch (origin) {
    case STREAM_SEEK_SET: base = 0; break;
    case STREAM_SEEK_CUR: base = (LONGLONG)s->pos; break;
    case STREAM_SEEK_END: base = (LONGLONG)s->size; break;
    default: hr = STG_E_INVALIDFUNCTION; base = 0; break;
    }
    if (SUCCEEDED(hr)) {
        target = base + move.QuadPart;
        if (target < 0) hr = STG_E_INVALIDFUNCTION;
        else s->pos = (uint64_t)target;     /* past the end is allowed; reads there return 0 bytes */
    }
    if (newpos) newpos->QuadPart = s->pos;
    LeaveCriticalSection(&s->cs);
    return hr;
}

static HRESULT WINAPI stream_SetSize(IStream *iface, ULARGE_INTEGER size)
{
    return STG_E_ACCESSDENIED;
}

#define COPY_CHUNK (1u << 20)

static HRESULT WINAPI stream_CopyTo(IStream *iface, IStream *dest, ULARGE_INTEGER cb,
                                    ULARGE_INTEGER *read, ULARGE_INTEGER *written)
{
    fsistream *s = impl_from_IStream(iface);
    uint64_t total_r = 0, total_w = 0;
    HRESULT hr = S_OK;
    char *buf;

    if (read) read->QuadPart = 0;
    if (written) written->QuadPart = 0;
    if (!dest) return STG_E_INVALIDPOINTER;
    if (!(buf = malloc(COPY_CHUNK))) return E_OUTOFMEMORY;
    EnterCriticalSection(&s->cs);
    while (total_r < cb.QuadPart) {
        size_t want = cb.QuadPart - total_r < COPY_CHUNK ? (size_t)(cb.QuadPart - total_r) : COPY_CHUNK, n;
        ULONG w = 0;
        if (FAILED(hr = read_locked(s, buf, want, &n)) || !n) break;
        total_r += n;
        hr = IStream_Write(dest, buf, (ULONG)n, &w);
        total_w += w;
        if (FAILED(hr)) break;
        if (w < n) { hr = STG_E_MEDIUMFULL; break; }
    }
    LeaveCriticalSection(&s->cs);
    free(buf);
    if (read) read->QuadPart = total_r;
    if (written) written->QuadPart = total_w;
    return hr;
}

static HRESULT WINAPI stream_Commit(IStream *iface, DWORD flags) { return S_OK; }
static HRESULT WINAPI stream_Revert(IStream *iface) { return S_OK; }

static HRESULT WINAPI stream_LockRegion(IStream *iface, ULARGE_INTEGER off, ULARGE_INTEGER cb, DWORD type)
{
    return STG_E_INVALIDFUNCTION;
}

static HRESULT WINAPI stream_UnlockRegion(IStream *iface, ULARGE_INTEGER off, ULARGE_INTEGER cb, DWORD type)
{
    return STG_E_INVALIDFUNCTION;
}

static HRESULT WINAPI stream_Stat(IStream *iface, STATSTG *stat, DWORD flags)
{
    fsistream *s = impl_from_IStream(iface);
    if (!stat) return STG_E_INVALIDPOINTER;
    memset(stat, 0, sizeof(*stat));
    if (!(flags & STATFLAG_NONAME)) {
        static const WCHAR name[] = L"FileSystemImage";
        if (!(stat->pwcsName = CoTaskMemAlloc(sizeof(name)))) return E_OUTOFMEMORY;
        memcpy(stat->pwcsName, name, sizeof(name));
    }
    stat->type = STGTY_STREAM;
    stat->cbSize.QuadPart = s->size;
    stat->grfMode = STGM_READ | STGM_SHARE_DENY_WRITE;
    stat->clsid = CLSID_FsiStream;
    return S_OK;
}

static HRESULT WINAPI stream_Clone(IStream *iface, IStream **out)
{
    fsistream *s = impl_from_IStream(iface);
    HRESULT hr;
    if (!out) return STG_E_INVALIDPOINTER;
    *out = NULL;
    if (FAILED(hr = fsistream_create(s->plan, out))) return hr;
    EnterCriticalSection(&s->cs);
    impl_from_IStream(*out)->pos = s->pos;
    LeaveCriticalSection(&s->cs);
    return S_OK;
}

static const IStreamVtbl stream_vtbl = {
    stream_QueryInterface, stream_AddRef, stream_Release, stream_Read, stream_Write, stream_Seek,
    stream_SetSize, stream_CopyTo, stream_Commit, stream_Revert, stream_LockRegion,
    stream_UnlockRegion, stream_Stat, stream_Clone,
};

HRESULT fsistream_create(fsi_plan *plan, IStream **out)
{
    fsistream *s = calloc(1, sizeof(*s));
    if (!s) return E_OUTOFMEMORY;
    fsi_plan_ref(plan);
    if (!(s->cursor = fsi_cursor_new(plan))) {
        fsi_plan_unref(plan);
        free(s);
        return E_OUTOFMEMORY;
    }
    s->IStream_iface.lpVtbl = &stream_vtbl;
    s->refs = 1;
    InitializeCriticalSection(&s->cs);
    s->plan = plan;
    s->size = (uint64_t)fsi_plan_total_blocks(plan) * FSI_BLOCK_SIZE;
    fsi_lock_module();
    *out = &s->IStream_iface;
    return S_OK;
}

/* ---- FileSystemImageResult --------------------------------------------------------------------- */

typedef struct fsiresult {
    IFileSystemImageResult2 IFileSystemImageResult2_iface;
    fsi_error_support sei;
    LONG refs;
    fsi_plan *plan;
    IStream *stream;            /* the one ImageStream returns: the same object every time */
} fsiresult;

static const IID *const result_error_iids[] = {
    &IID_IFileSystemImageResult, &IID_IFileSystemImageResult2, NULL,
};

static inline fsiresult *impl_from_IFileSystemImageResult2(IFileSystemImageResult2 *iface)
{
    return impl_from(iface, fsiresult, IFileSystemImageResult2_iface);
}

static HRESULT WINAPI result_QueryInterface(IFileSystemImageResult2 *iface, REFIID riid, void **ppv)
{
    fsiresult *r = impl_from_IFileSystemImageResult2(iface);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
        IsEqualIID(riid, &IID_IFileSystemImageResult) || IsEqualIID(riid, &IID_IFileSystemImageResult2))
        *ppv = &r->IFileSystemImageResult2_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &r->sei.ISupportErrorInfo_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI result_AddRef(IFileSystemImageResult2 *iface)
{
    return InterlockedIncrement(&impl_from_IFileSystemImageResult2(iface)->refs);
}

static ULONG WINAPI result_Release(IFileSystemImageResult2 *iface)
{
    fsiresult *r = impl_from_IFileSystemImageResult2(iface);
    ULONG refs = InterlockedDecrement(&r->refs);
    if (!refs) {
        IStream_Release(r->stream);
        fsi_plan_unref(r->plan);
        free(r);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(result, IFileSystemImageResult2, IID_IFileSystemImageResult2)

static HRESULT WINAPI result_get_ImageStream(IFileSystemImageResult2 *iface, IStream **stream)
{
    fsiresult *r = impl_from_IFileSystemImageResult2(iface);
    if (!stream) return E_POINTER;
    *stream = r->stream;
    IStream_AddRef(r->stream);
    return S_OK;
}

static HRESULT WINAPI result_get_ProgressItems(IFileSystemImageResult2 *iface, IProgressItems **items)
{
    if (!items) return E_POINTER;
    *items = NULL;
    return E_NOTIMPL;   /* issue 6 */
}

static HRESULT WINAPI result_get_TotalBlocks(IFileSystemImageResult2 *iface, LONG *blocks)
{
    if (!blocks) return E_POINTER;
    *blocks = (LONG)fsi_plan_total_blocks(impl_from_IFileSystemImageResult2(iface)->plan);
    return S_OK;
}

static HRESULT WINAPI result_get_BlockSize(IFileSystemImageResult2 *iface, LONG *size)
{
    if (!size) return E_POINTER;
    *size = FSI_BLOCK_SIZE;
    return S_OK;
}

static HRESULT WINAPI result_get_DiscId(IFileSystemImageResult2 *iface, BSTR *id)
{
    if (!id) return E_POINTER;
    *id = NULL;
    return E_NOTIMPL;   /* issue 8 */
}

static HRESULT WINAPI result_get_ModifiedBlocks(IFileSystemImageResult2 *iface, IBlockRangeList **list)
{
    if (!list) return E_POINTER;
    *list = NULL;
    return E_NOTIMPL;   /* documented: the whole image must be recorded */
}

static const IFileSystemImageResult2Vtbl result_vtbl = {
    result_QueryInterface,
    result_AddRef,
    result_Release,
    result_GetTypeInfoCount,
    result_GetTypeInfo,
    result_GetIDsOfNames,
    result_Invoke,
    result_get_ImageStream,
    result_get_ProgressItems,
    result_get_TotalBlocks,
    result_get_BlockSize,
    result_get_DiscId,
    result_get_ModifiedBlocks,
};

HRESULT fsiresult_create(fsi_plan *plan, IFileSystemImageResult **out)
{
    fsiresult *r = calloc(1, sizeof(*r));
    HRESULT hr;
    if (!r) return E_OUTOFMEMORY;
    if (FAILED(hr = fsistream_create(plan, &r->stream))) {
        free(r);
        return hr;
    }
    r->IFileSystemImageResult2_iface.lpVtbl = &result_vtbl;
    fsi_error_support_init(&r->sei, (IUnknown *)&r->IFileSystemImageResult2_iface, result_error_iids);
    r->refs = 1;
    r->plan = plan;
    fsi_plan_ref(plan);
    fsi_lock_module();
    *out = (IFileSystemImageResult *)&r->IFileSystemImageResult2_iface;
    return S_OK;
}
