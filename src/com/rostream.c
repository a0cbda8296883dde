/*
 * A read-only IStream over a data provider (fsi_rostream_ops in private.h): the image stream of a
 * result (result.c, over the layout plan) and the data of a file item or named stream
 * (fsi_source_istream_create below, over an engine source).
 *
 * The stream keeps the position and the size; the provider reads at an offset. A stream's lock
 * (a critical section) covers its position and every call of ops->read, so a provider's own state
 * (a cursor) needs no lock of its own; ops->after_read runs with no lock held (the image stream
 * fires its events there). Writing is refused with STG_E_ACCESSDENIED; Seek past the end is
 * allowed (reads there return 0 bytes); Clone makes a stream over ops->clone's context at the
 * same position.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

typedef struct rostream {
    IStream IStream_iface;
    fsi_error_support sei;          /* when desc->error_iids */
    LONG refs;
    CRITICAL_SECTION cs;            /* pos and ops->read */
    const fsi_rostream_desc *desc;
    void *ctx;
    uint64_t size, pos;
} rostream;

static inline rostream *impl_from_IStream(IStream *iface)
{
    return impl_from(iface, rostream, IStream_iface);
}

static HRESULT WINAPI rostream_QueryInterface(IStream *iface, REFIID riid, void **ppv)
{
    rostream *s = impl_from_IStream(iface);
    TRACE("(%p)->(%s %p)\n", iface, debugstr_guid(riid), ppv);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) ||
        IsEqualIID(riid, &IID_IStream))
        *ppv = &s->IStream_iface;
    else if (s->desc->error_iids && IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &s->sei.ISupportErrorInfo_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI rostream_AddRef(IStream *iface)
{
    rostream *s = impl_from_IStream(iface);
    ULONG refs = InterlockedIncrement(&s->refs);
    TRACE("(%p) ref=%lu\n", iface, refs);
    return refs;
}

static ULONG WINAPI rostream_Release(IStream *iface)
{
    rostream *s = impl_from_IStream(iface);
    ULONG refs = InterlockedDecrement(&s->refs);
    TRACE("(%p) ref=%lu\n", iface, refs);
    if (!refs) {
        s->desc->ops->release(s->ctx);
        DeleteCriticalSection(&s->cs);
        free(s);
        fsi_unlock_module();
    }
    return refs;
}

/* Read up to len bytes at the position and move it; then the provider's after_read, unlocked. */
static HRESULT read_at_pos(rostream *s, void *buf, size_t len, size_t *done)
{
    void *pending = NULL;
    HRESULT hr = S_OK;
    *done = 0;
    EnterCriticalSection(&s->cs);
    if (s->pos < s->size) {
        if (len > s->size - s->pos) len = (size_t)(s->size - s->pos);
        hr = s->desc->ops->read(s->ctx, s->pos, buf, len, done, &pending);
        if (SUCCEEDED(hr)) s->pos += *done;
        else *done = 0;
    }
    LeaveCriticalSection(&s->cs);
    if (pending) s->desc->ops->after_read(s->ctx, pending);
    return hr;
}

static HRESULT WINAPI rostream_Read(IStream *iface, void *buf, ULONG len, ULONG *read)
{
    rostream *s = impl_from_IStream(iface);
    size_t done;
    HRESULT hr;
    TRACE("(%p)->(%p %lu %p)\n", iface, buf, len, read);
    if (read) *read = 0;
    if (!buf) return STG_E_INVALIDPOINTER;
    hr = read_at_pos(s, buf, len, &done);
    if (read) *read = (ULONG)done;
    return hr;
}

static HRESULT WINAPI rostream_Write(IStream *iface, const void *buf, ULONG len, ULONG *written)
{
    TRACE("(%p)->(%p %lu %p)\n", iface, buf, len, written);
    if (written && (impl_from_IStream(iface)->desc->flags & FSI_ROSTREAM_SET_OUT)) *written = 0;
    return STG_E_ACCESSDENIED;
}

static HRESULT WINAPI rostream_Seek(IStream *iface, LARGE_INTEGER move, DWORD origin, ULARGE_INTEGER *newpos)
{
    rostream *s = impl_from_IStream(iface);
    LONGLONG base, target;
    HRESULT hr = S_OK;
    TRACE("(%p)->(%s %lu %p)\n", iface, wine_dbgstr_longlong(move.QuadPart), origin, newpos);
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
    if (newpos && (SUCCEEDED(hr) || (s->desc->flags & FSI_ROSTREAM_SET_OUT))) newpos->QuadPart = s->pos;
    LeaveCriticalSection(&s->cs);
    return hr;
}

static HRESULT WINAPI rostream_SetSize(IStream *iface, ULARGE_INTEGER size)
{
    TRACE("(%p)->(%s)\n", iface, wine_dbgstr_longlong(size.QuadPart));
    return STG_E_ACCESSDENIED;
}

/* Chunk by chunk (desc->copy_chunk): each chunk is read as Read does, then written to dest with no
 * lock held. A short write by dest ends the copy with STG_E_MEDIUMFULL; *read then counts what was
 * taken from this stream (its position moved by that much), *written what dest accepted. */
static HRESULT WINAPI rostream_CopyTo(IStream *iface, IStream *dest, ULARGE_INTEGER cb,
                                      ULARGE_INTEGER *read, ULARGE_INTEGER *written)
{
    rostream *s = impl_from_IStream(iface);
    size_t chunk = s->desc->copy_chunk;
    uint64_t total_r = 0, total_w = 0;
    HRESULT hr = S_OK;
    char *buf;

    TRACE("(%p)->(%p %s %p %p)\n", iface, dest, wine_dbgstr_longlong(cb.QuadPart), read, written);
    if (s->desc->flags & FSI_ROSTREAM_SET_OUT) {
        if (read) read->QuadPart = 0;
        if (written) written->QuadPart = 0;
    }
    if (!dest) return STG_E_INVALIDPOINTER;
    if (!(buf = malloc(chunk))) return E_OUTOFMEMORY;
    while (total_r < cb.QuadPart) {
        size_t want = cb.QuadPart - total_r < chunk ? (size_t)(cb.QuadPart - total_r) : chunk, n;
        ULONG w = 0;
        hr = read_at_pos(s, buf, want, &n);
        if (FAILED(hr) || !n) break;
        total_r += n;
        hr = IStream_Write(dest, buf, (ULONG)n, &w);
        total_w += w < n ? w : n;
        if (FAILED(hr)) break;
        if (w < n) { hr = STG_E_MEDIUMFULL; break; }
    }
    free(buf);
    if (read) read->QuadPart = total_r;
    if (written) written->QuadPart = total_w;
    return hr;
}

static HRESULT WINAPI rostream_Commit(IStream *iface, DWORD flags)
{
    TRACE("(%p)->(%#lx)\n", iface, flags);
    return S_OK;
}

static HRESULT WINAPI rostream_Revert(IStream *iface)
{
    TRACE("(%p)\n", iface);
    return S_OK;
}

static HRESULT WINAPI rostream_LockRegion(IStream *iface, ULARGE_INTEGER off, ULARGE_INTEGER cb, DWORD type)
{
    TRACE("(%p)->(%s %s %#lx)\n", iface, wine_dbgstr_longlong(off.QuadPart), wine_dbgstr_longlong(cb.QuadPart), type);
    return STG_E_INVALIDFUNCTION;
}

static HRESULT WINAPI rostream_UnlockRegion(IStream *iface, ULARGE_INTEGER off, ULARGE_INTEGER cb, DWORD type)
{
    TRACE("(%p)->(%s %s %#lx)\n", iface, wine_dbgstr_longlong(off.QuadPart), wine_dbgstr_longlong(cb.QuadPart), type);
    return STG_E_INVALIDFUNCTION;
}

static HRESULT WINAPI rostream_Stat(IStream *iface, STATSTG *stat, DWORD flags)
{
    rostream *s = impl_from_IStream(iface);
    const fsi_rostream_desc *d = s->desc;
    TRACE("(%p)->(%p %#lx)\n", iface, stat, flags);
    if (!stat) return STG_E_INVALIDPOINTER;
    memset(stat, 0, sizeof(*stat));
    if (d->name && !(flags & STATFLAG_NONAME)) {
        size_t bytes = (lstrlenW(d->name) + 1) * sizeof(WCHAR);
        if (!(stat->pwcsName = CoTaskMemAlloc(bytes))) return E_OUTOFMEMORY;
        memcpy(stat->pwcsName, d->name, bytes);
    }
    stat->type = STGTY_STREAM;
    stat->cbSize.QuadPart = s->size;
    stat->grfMode = d->mode;
    if (d->clsid) stat->clsid = *d->clsid;
    return S_OK;
}

static HRESULT WINAPI rostream_Clone(IStream *iface, IStream **out)
{
    rostream *s = impl_from_IStream(iface);
    void *ctx;
    HRESULT hr;
    TRACE("(%p)->(%p)\n", iface, out);
    if (!out) return STG_E_INVALIDPOINTER;
    if (s->desc->flags & FSI_ROSTREAM_SET_OUT) *out = NULL;
    if (FAILED(hr = s->desc->ops->clone(s->ctx, &ctx))) return hr;
    if (FAILED(hr = fsi_rostream_create(s->desc, ctx, s->size, out))) return hr;
    EnterCriticalSection(&s->cs);
    impl_from_IStream(*out)->pos = s->pos;
    LeaveCriticalSection(&s->cs);
    return S_OK;
}

static const IStreamVtbl rostream_vtbl = {
    rostream_QueryInterface, rostream_AddRef, rostream_Release, rostream_Read, rostream_Write,
    rostream_Seek, rostream_SetSize, rostream_CopyTo, rostream_Commit, rostream_Revert,
    rostream_LockRegion, rostream_UnlockRegion, rostream_Stat, rostream_Clone,
};

HRESULT fsi_rostream_create(const fsi_rostream_desc *desc, void *ctx, uint64_t size, IStream **out)
{
    rostream *s = calloc(1, sizeof(*s));
    TRACE("(%p %p %s %p)\n", desc, ctx, wine_dbgstr_longlong(size), out);
    if (!s) {
        desc->ops->release(ctx);
        return E_OUTOFMEMORY;
    }
    s->IStream_iface.lpVtbl = &rostream_vtbl;
    if (desc->error_iids) fsi_error_support_init(&s->sei, (IUnknown *)&s->IStream_iface, desc->error_iids);
    s->refs = 1;
    InitializeCriticalSection(&s->cs);
    s->desc = desc;
    s->ctx = ctx;
    s->size = size;
    fsi_lock_module();
    *out = &s->IStream_iface;
    return S_OK;
}

/* ---- over an engine source (a file item's or named stream's data) ----------------------------- */

typedef struct source_data {
    fsi_source *src;                /* a reference, or NULL: empty */
    void *handle;                   /* opened on the first read */
} source_data;

static HRESULT source_read(void *ctx, uint64_t offset, void *buf, size_t len, size_t *done, void **pending)
{
    source_data *d = ctx;
    if (!len) return S_OK;
    if (!d->handle && d->src->ops->open(d->src, &d->handle) != FSI_OK) return STG_E_READFAULT;
    if (d->src->ops->read(d->src, d->handle, offset, buf, len, done) != FSI_OK) return STG_E_READFAULT;
    return S_OK;
}

static HRESULT source_data_new(fsi_source *src, void **out)
{
    source_data *d = calloc(1, sizeof(*d));
    if (!d) return E_OUTOFMEMORY;
    if ((d->src = src)) fsi_source_ref(src);
    *out = d;
    return S_OK;
}

static HRESULT source_clone(void *ctx, void **out)
{
    return source_data_new(((source_data *)ctx)->src, out);
}

static void source_release(void *ctx)
{
    source_data *d = ctx;
    if (d->handle) d->src->ops->close(d->src, d->handle);
    if (d->src) fsi_source_unref(d->src);
    free(d);
}

static const fsi_rostream_ops source_ops = { source_read, NULL, source_clone, source_release };

/* What the item streams always answered: no name, no class, STGM_READ; out-parameters left alone
 * on failure; no ISupportErrorInfo. */
static const fsi_rostream_desc source_desc = {
    .ops = &source_ops, .flags = 0, .name = NULL, .mode = STGM_READ, .clsid = NULL,
    .error_iids = NULL, .copy_chunk = 65536,
};

HRESULT fsi_source_istream_create(fsi_source *src, uint64_t size, IStream **out)
{
    void *ctx;
    HRESULT hr;
    TRACE("(%p %s %p)\n", src, wine_dbgstr_longlong(size), out);
    if (FAILED(hr = source_data_new(src, &ctx))) return hr;
    return fsi_rostream_create(&source_desc, ctx, src ? size : 0, out);
}
