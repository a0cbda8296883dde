/*
 * FileSystemImageResult (IFileSystemImageResult2) and FsiStream (IStream over the layout plan).
 * The stream produces the image lazily: file data is read from its source when its sectors are
 * read. Each result/stream holds its own plan reference, so it outlives changes to the image.
 * A stream also holds the image's connection points and the image itself (the events' `object`):
 * copying a file's data fires DFileSystemImageEvents::Update, after the stream's lock is left.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

/* ---- FsiStream ------------------------------------------------------------------------------- */

/* An Update event noted while reading (under the stream's lock), fired after the lock is left. */
typedef struct event_rec {
    const fsi_extent_info *file;    /* in the plan's memory */
    LONG copied, total;
} event_rec;

typedef struct event_queue {
    event_rec *r;
    size_t n, cap;
} event_queue;

typedef struct fsistream {
    IStream IStream_iface;
    fsi_error_support sei;
    LONG refs;
    CRITICAL_SECTION cs;
    fsi_plan *plan;
    fsi_cursor *cursor;
    uint64_t size, pos;
    fsi_events *events;             /* the image's connection points (may be NULL) */
    IDispatch *object;              /* the image, the events' first argument (may be NULL) */
    int noting;                     /* sinks were connected when this read began */
    event_queue queue;
    const fsi_extent_info *prog_file;   /* the file the last event was about */
    uint32_t prog_last;                 /* its sectors copied then */
} fsistream;

#define PROGRESS_SECTORS 512u           /* an Update event every megabyte */

static const IID *const stream_error_iids[] = { &IID_ISequentialStream, &IID_IStream, NULL };

static inline fsistream *impl_from_IStream(IStream *iface)
{
    return impl_from(iface, fsistream, IStream_iface);
}

static HRESULT WINAPI stream_QueryInterface(IStream *iface, REFIID riid, void **ppv)
{
    fsistream *s = impl_from_IStream(iface);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) ||
        IsEqualIID(riid, &IID_IStream))
        *ppv = &s->IStream_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &s->sei.ISupportErrorInfo_iface;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
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
        if (s->object) IDispatch_Release(s->object);
        fsi_events_unref(s->events);
        free(s->queue.r);
        DeleteCriticalSection(&s->cs);
        free(s);
        fsi_unlock_module();
    }
    return refs;
}

static void note_event(fsistream *s, const fsi_extent_info *file, uint32_t copied, uint32_t total)
{
    event_queue *q = &s->queue;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        event_rec *r = realloc(q->r, cap * sizeof(*r));
        if (!r) return;             /* out of memory: the event is lost, the read goes on */
        q->r = r;
        q->cap = cap;
    }
    q->r[q->n++] = (event_rec){ file, (LONG)copied, (LONG)total };
}

/* The cursor's progress callback (lock held): the cursor reports a file at 0, when a read crosses
 * a megabyte and at its end, with the sectors copied so far. The events say 0, then each megabyte
 * (512 sectors) reached, then the total: the same sequence whatever sizes the client reads in. */
static void on_progress(void *ctx, const fsi_extent_info *file, uint32_t copied, uint32_t total)
{
    fsistream *s = ctx;
    uint32_t from;
    if (!s->noting) return;
    if (file != s->prog_file || copied < s->prog_last || !copied) {    /* a file (re)started */
        s->prog_file = file;
        s->prog_last = 0;
        note_event(s, file, 0, total);
    }
    from = s->prog_last;
    for (uint32_t mb = (from / PROGRESS_SECTORS + 1) * PROGRESS_SECTORS; mb <= copied && mb < total; mb += PROGRESS_SECTORS)
        note_event(s, file, mb, total);
    if (copied == total && from != total && total) note_event(s, file, total, total);
    s->prog_last = copied;
}

/* Before a read (lock held): note events only if a sink is connected. */
static void begin_noting(fsistream *s)
{
    s->noting = s->events && fsi_events_have_sinks(s->events, 0);
}

/* After a read (lock held): take the noted events. */
static event_queue take_events(fsistream *s)
{
    event_queue q = s->queue;
    if (!q.n) return (event_queue){ 0 };
    memset(&s->queue, 0, sizeof(s->queue));
    return q;
}

/* No lock held: fire the noted events, then give the buffer back for the next read. */
static void fire_events(fsistream *s, event_queue *q)
{
    if (!q->n) return;
    for (size_t i = 0; i < q->n; i++)
        fsi_events_fire_update(s->events, s->object, (const WCHAR *)q->r[i].file->path,
                               q->r[i].file->path_len, q->r[i].copied, q->r[i].total);
    EnterCriticalSection(&s->cs);
    if (!s->queue.r) {
        s->queue = *q;
        s->queue.n = 0;
        q->r = NULL;
    }
    LeaveCriticalSection(&s->cs);
    free(q->r);
    memset(q, 0, sizeof(*q));
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
    event_queue q;
    size_t done;
    HRESULT hr;
    if (read) *read = 0;
    if (!buf) return STG_E_INVALIDPOINTER;
    EnterCriticalSection(&s->cs);
    begin_noting(s);
    hr = read_locked(s, buf, len, &done);
    q = take_events(s);
    LeaveCriticalSection(&s->cs);
    fire_events(s, &q);
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

/* Chunk by chunk: each chunk is read under the lock, then its events are fired and it is written
 * to dest with no lock held. A short write by dest ends the copy with STG_E_MEDIUMFULL; *read then
 * counts what was taken from this stream (its position moved by that much), *written what dest
 * accepted. */
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
    while (total_r < cb.QuadPart) {
        size_t want = cb.QuadPart - total_r < COPY_CHUNK ? (size_t)(cb.QuadPart - total_r) : COPY_CHUNK, n;
        event_queue q;
        ULONG w = 0;
        EnterCriticalSection(&s->cs);
        begin_noting(s);
        hr = read_locked(s, buf, want, &n);
        q = take_events(s);
        LeaveCriticalSection(&s->cs);
        fire_events(s, &q);
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
    if (FAILED(hr = fsistream_create(s->plan, s->events, s->object, out))) return hr;
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

HRESULT fsistream_create(fsi_plan *plan, fsi_events *events, IDispatch *object, IStream **out)
{
    fsistream *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s) return E_OUTOFMEMORY;
    if (!(s->cursor = fsi_cursor_new(plan))) {
        free(s);
        return E_OUTOFMEMORY;
    }
    s->IStream_iface.lpVtbl = &stream_vtbl;
    fsi_error_support_init(&s->sei, (IUnknown *)&s->IStream_iface, stream_error_iids);
    s->refs = 1;
    InitializeCriticalSection(&s->cs);
    s->plan = plan;
    fsi_plan_ref(plan);
    s->size = (uint64_t)fsi_plan_total_blocks(plan) * FSI_BLOCK_SIZE;
    if ((s->events = events)) fsi_events_ref(events);
    if ((s->object = object)) IDispatch_AddRef(object);
    fsi_cursor_set_progress(s->cursor, on_progress, s);
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
    uint32_t session_start;
    WCHAR disc_id[17];                  /* DiscId: 16 hex digits */
    IStream *stream;                    /* the one ImageStream returns: the same object every time */
    fsi_progress_table *progress;       /* made on first use */
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
        fsi_progress_table_unref(r->progress);
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
    fsiresult *r = impl_from_IFileSystemImageResult2(iface);
    fsi_progress_table *t = r->progress, *prev;
    HRESULT hr;
    if (!items) return E_POINTER;
    *items = NULL;
    if (!t) {
        if (FAILED(hr = fsi_progress_table_create(r->plan, r->session_start, &t))) return hr;
        prev = InterlockedCompareExchangePointer((void **)&r->progress, t, NULL);
        if (prev) {
            fsi_progress_table_unref(t);
            t = prev;
        }
    }
    return fsi_progress_items_create(t, items);
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
    *id = SysAllocString(impl_from_IFileSystemImageResult2(iface)->disc_id);
    return *id ? S_OK : E_OUTOFMEMORY;
}

/* A new image or a sequential session is recorded whole: one range, from the session's first block
 * to its last. A random-write result lists the rewritten recognition area, the UDF anchor at 256
 * and the new session, in recording order (fsi_plan_modified). */
static HRESULT WINAPI result_get_ModifiedBlocks(IFileSystemImageResult2 *iface, IBlockRangeList **list)
{
    fsiresult *r = impl_from_IFileSystemImageResult2(iface);
    LONG range[4][2];
    size_t n = fsi_plan_modified_count(r->plan);
    if (!list) return E_POINTER;
    *list = NULL;
    for (size_t i = 0; i < n && i < 4; i++) {
        uint32_t first, count;
        fsi_plan_modified(r->plan, i, &first, &count);
        range[i][0] = (LONG)first;
        range[i][1] = (LONG)(first + count - 1);
    }
    return fsi_blockrange_list_create((const LONG (*)[2])range, n < 4 ? n : 4, list);
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

HRESULT fsiresult_create(fsi_plan *plan, uint32_t session_start, const WCHAR *disc_id, fsi_events *events,
                         IDispatch *object, IFileSystemImageResult **out)
{
    fsiresult *r = calloc(1, sizeof(*r));
    HRESULT hr;
    *out = NULL;
    if (!r) return E_OUTOFMEMORY;
    if (FAILED(hr = fsistream_create(plan, events, object, &r->stream))) {
        free(r);
        return hr;
    }
    r->IFileSystemImageResult2_iface.lpVtbl = &result_vtbl;
    fsi_error_support_init(&r->sei, (IUnknown *)&r->IFileSystemImageResult2_iface, result_error_iids);
    r->refs = 1;
    r->plan = plan;
    fsi_plan_ref(plan);
    r->session_start = session_start;
    lstrcpynW(r->disc_id, disc_id, ARRAY_SIZE(r->disc_id));
    fsi_lock_module();
    *out = (IFileSystemImageResult *)&r->IFileSystemImageResult2_iface;
    return S_OK;
}
