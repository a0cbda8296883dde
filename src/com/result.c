/*
 * FileSystemImageResult (IFileSystemImageResult2) and FsiStream (rostream.c's IStream over the
 * layout plan).
 * The stream produces the image lazily: file data is read from its source when its sectors are
 * read. Each result/stream holds its own plan reference, so it outlives changes to the image.
 * A stream also holds the image's connection points and the image itself (the events' `object`):
 * copying a file's data fires DFileSystemImageEvents::Update, after the stream's lock is left.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

/* ---- FsiStream: rostream.c's IStream over the plan ------------------------------------------ */

/* The Update events noted while reading (under the stream's lock), fired after the lock is left. */
typedef struct event_rec {
    const fsi_extent_info *file;    /* in the plan's memory */
    LONG copied, total;
} event_rec;

typedef struct event_queue {
    size_t n, cap;
    event_rec r[];
} event_queue;

/* The stream's data: its own cursor over the plan. Lock: the stream's (image_read). */
typedef struct image_data {
    fsi_plan *plan;
    fsi_cursor *cursor;
    fsi_events *events;             /* the image's connection points (may be NULL) */
    IDispatch *object;              /* the image, the events' first argument (may be NULL) */
    int noting;                     /* sinks were connected when this read began */
    event_queue *queue;             /* noted during this read; NULL: none */
    const fsi_extent_info *prog_file;   /* the file the last event was about */
    uint32_t prog_last;                 /* its sectors copied then */
} image_data;

#define PROGRESS_SECTORS 512u           /* an Update event every megabyte */

static const IID *const stream_error_iids[] = { &IID_ISequentialStream, &IID_IStream, NULL };

static void note_event(image_data *d, const fsi_extent_info *file, uint32_t copied, uint32_t total)
{
    event_queue *q = d->queue;
    if (!q || q->n == q->cap) {
        size_t cap = q ? q->cap * 2 : 16;
        event_queue *g = realloc(q, sizeof(*q) + cap * sizeof(q->r[0]));
        if (!g) return;             /* out of memory: the event is lost, the read goes on */
        if (!q) g->n = 0;
        g->cap = cap;
        d->queue = q = g;
    }
    q->r[q->n++] = (event_rec){ file, (LONG)copied, (LONG)total };
}

/* The cursor's progress callback (lock held): the cursor reports a file at 0, when a read crosses
 * a megabyte and at its end, with the sectors copied so far. The events say 0, then each megabyte
 * (512 sectors) reached, then the total: the same sequence whatever sizes the client reads in. */
static void on_progress(void *ctx, const fsi_extent_info *file, uint32_t copied, uint32_t total)
{
    image_data *d = ctx;
    uint32_t from;
    if (!d->noting) return;
    if (file != d->prog_file || copied < d->prog_last || !copied) {    /* a file (re)started */
        d->prog_file = file;
        d->prog_last = 0;
        note_event(d, file, 0, total);
    }
    from = d->prog_last;
    for (uint32_t mb = (from / PROGRESS_SECTORS + 1) * PROGRESS_SECTORS; mb <= copied && mb < total; mb += PROGRESS_SECTORS)
        note_event(d, file, mb, total);
    if (copied == total && from != total && total) note_event(d, file, total, total);
    d->prog_last = copied;
}

/* The stream's lock held: note events only if a sink is connected; hand them to image_fire. */
static HRESULT image_read(void *ctx, uint64_t offset, void *buf, size_t len, size_t *done, void **pending)
{
    image_data *d = ctx;
    fsi_err err;
    fsi_status st;
    d->noting = d->events && fsi_events_have_sinks(d->events, 0);
    st = fsi_cursor_read(d->cursor, offset, buf, len, &err);
    if (d->queue && d->queue->n) {
        *pending = d->queue;
        d->queue = NULL;
    }
    if (st != FSI_OK) return fsi_error_from_engine(&err, &IID_IStream);
    *done = len;
    return S_OK;
}

/* No lock held: fire the events noted by a read. */
static void image_fire(void *ctx, void *pending)
{
    image_data *d = ctx;
    event_queue *q = pending;
    for (size_t i = 0; i < q->n; i++)
        fsi_events_fire_update(d->events, d->object, (const WCHAR *)q->r[i].file->path,
                               q->r[i].file->path_len, q->r[i].copied, q->r[i].total);
    free(q);
}

static void image_release(void *ctx)
{
    image_data *d = ctx;
    fsi_cursor_free(d->cursor);
    fsi_plan_unref(d->plan);
    if (d->object) IDispatch_Release(d->object);
    fsi_events_unref(d->events);
    free(d->queue);
    free(d);
}

static HRESULT image_data_new(fsi_plan *plan, fsi_events *events, IDispatch *object, void **out)
{
    image_data *d = calloc(1, sizeof(*d));
    if (!d) return E_OUTOFMEMORY;
    if (!(d->cursor = fsi_cursor_new(plan))) {
        free(d);
        return E_OUTOFMEMORY;
    }
    d->plan = plan;
    fsi_plan_ref(plan);
    if ((d->events = events)) fsi_events_ref(events);
    if ((d->object = object)) IDispatch_AddRef(object);
    fsi_cursor_set_progress(d->cursor, on_progress, d);
    *out = d;
    return S_OK;
}

static HRESULT image_clone(void *ctx, void **out)
{
    image_data *d = ctx;
    return image_data_new(d->plan, d->events, d->object, out);
}

static const fsi_rostream_ops image_ops = { image_read, image_fire, image_clone, image_release };

static const fsi_rostream_desc image_desc = {
    .ops = &image_ops, .flags = FSI_ROSTREAM_SET_OUT, .name = L"FileSystemImage",
    .mode = STGM_READ | STGM_SHARE_DENY_WRITE, .clsid = &CLSID_FsiStream,
    .error_iids = stream_error_iids, .copy_chunk = 1u << 20,
};

HRESULT fsistream_create(fsi_plan *plan, fsi_events *events, IDispatch *object, IStream **out)
{
    void *ctx;
    HRESULT hr;
    TRACE("(%p %p %p %p)\n", plan, events, object, out);
    *out = NULL;
    if (FAILED(hr = image_data_new(plan, events, object, &ctx))) return hr;
    return fsi_rostream_create(&image_desc, ctx, (uint64_t)fsi_plan_total_blocks(plan) * FSI_BLOCK_SIZE, out);
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
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), ppv);
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
    TRACE("(%p)->(%p)\n", iface, stream);
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
    TRACE("(%p)->(%p)\n", iface, items);
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
    TRACE("(%p)->(%p)\n", iface, blocks);
    if (!blocks) return E_POINTER;
    *blocks = (LONG)fsi_plan_total_blocks(impl_from_IFileSystemImageResult2(iface)->plan);
    return S_OK;
}

static HRESULT WINAPI result_get_BlockSize(IFileSystemImageResult2 *iface, LONG *size)
{
    TRACE("(%p)->(%p)\n", iface, size);
    if (!size) return E_POINTER;
    *size = FSI_BLOCK_SIZE;
    return S_OK;
}

static HRESULT WINAPI result_get_DiscId(IFileSystemImageResult2 *iface, BSTR *id)
{
    TRACE("(%p)->(%p)\n", iface, id);
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
    TRACE("(%p)->(%p)\n", iface, list);
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
