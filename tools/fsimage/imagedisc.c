/*
 * An image file presented as a disc (see imagedisc.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define COBJMACROS
#include "imagedisc.h"
#include "fsi/engine.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct imagedisc {
    IMultisessionSequential2 IMultisessionSequential2_iface;
    IMultisessionRandomWrite IMultisessionRandomWrite_iface;
    IDiscRecorder2 IDiscRecorder2_iface;
    LONG refs;
    IStream *stream;
    int random;
    VARIANT_BOOL in_use;
} imagedisc;

static HRESULT WINAPI notimpl(void) { return E_NOTIMPL; }

static LONG blocks_of(IStream *s)
{
    STATSTG st;
    if (FAILED(IStream_Stat(s, &st, STATFLAG_NONAME))) return 0;
    return (LONG)(st.cbSize.QuadPart / 2048);
}

static int read_block(IStream *s, LONG lba, unsigned char *b)
{
    LARGE_INTEGER pos;
    ULONG got = 0;
    pos.QuadPart = (LONGLONG)lba * 2048;
    return SUCCEEDED(IStream_Seek(s, pos, STREAM_SEEK_SET, NULL)) && SUCCEEDED(IStream_Read(s, b, 2048, &got)) &&
           got == 2048;
}

static int stream_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    for (uint32_t i = 0; i < count; i++)
        if (!read_block(ctx, (LONG)(lba + i), (unsigned char *)buf + (size_t)i * 2048)) return -1;
    return 0;
}

/* The engine's finder (fsi_last_session), which the native fsimage uses too. */
LONG imagedisc_last_session(IStream *s)
{
    return (LONG)fsi_last_session(stream_read, s, (uint64_t)blocks_of(s));
}

/* ---- IDiscRecorder2 (only QueryInterface matters: IStream) ---------------------------------- */

static imagedisc *from_rec(IDiscRecorder2 *i) { return CONTAINING_RECORD(i, imagedisc, IDiscRecorder2_iface); }

static HRESULT WINAPI rec_QI(IDiscRecorder2 *iface, REFIID riid, void **ppv)
{
    imagedisc *d = from_rec(iface);
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IDiscRecorder2)) {
        *ppv = iface;
        IDiscRecorder2_AddRef(iface);
        return S_OK;
    }
    if (IsEqualIID(riid, &IID_IStream)) {
        IStream_AddRef(d->stream);
        *ppv = d->stream;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI rec_AddRef(IDiscRecorder2 *i) { return IMultisessionSequential2_AddRef(&from_rec(i)->IMultisessionSequential2_iface); }
static ULONG WINAPI rec_Release(IDiscRecorder2 *i) { return IMultisessionSequential2_Release(&from_rec(i)->IMultisessionSequential2_iface); }

static IDiscRecorder2Vtbl rec_vtbl;

/* ---- IMultisessionSequential2 ---------------------------------------------------------------- */

static imagedisc *from_seq(IMultisessionSequential2 *i) { return CONTAINING_RECORD(i, imagedisc, IMultisessionSequential2_iface); }

static HRESULT WINAPI seq_QI(IMultisessionSequential2 *iface, REFIID riid, void **ppv)
{
    imagedisc *d = from_seq(iface);
    *ppv = NULL;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IMultisession))
        *ppv = d->random ? (void *)&d->IMultisessionRandomWrite_iface : (void *)&d->IMultisessionSequential2_iface;
    else if (!d->random && (IsEqualIID(riid, &IID_IMultisessionSequential) || IsEqualIID(riid, &IID_IMultisessionSequential2)))
        *ppv = &d->IMultisessionSequential2_iface;
    else if (d->random && IsEqualIID(riid, &IID_IMultisessionRandomWrite))
        *ppv = &d->IMultisessionRandomWrite_iface;
    if (!*ppv) return E_NOINTERFACE;
    InterlockedIncrement(&d->refs);
    return S_OK;
}
static ULONG WINAPI seq_AddRef(IMultisessionSequential2 *i) { return InterlockedIncrement(&from_seq(i)->refs); }
static ULONG WINAPI seq_Release(IMultisessionSequential2 *i)
{
    imagedisc *d = from_seq(i);
    ULONG r = InterlockedDecrement(&d->refs);
    if (!r) {
        IStream_Release(d->stream);
        free(d);
    }
    return r;
}
static HRESULT WINAPI seq_supported(IMultisessionSequential2 *i, VARIANT_BOOL *v) { *v = VARIANT_TRUE; return S_OK; }
static HRESULT WINAPI seq_put_InUse(IMultisessionSequential2 *i, VARIANT_BOOL v) { from_seq(i)->in_use = v; return S_OK; }
static HRESULT WINAPI seq_get_InUse(IMultisessionSequential2 *i, VARIANT_BOOL *v) { *v = from_seq(i)->in_use; return S_OK; }
static HRESULT WINAPI seq_recorder(IMultisessionSequential2 *i, IDiscRecorder2 **r)
{
    *r = &from_seq(i)->IDiscRecorder2_iface;
    IDiscRecorder2_AddRef(*r);
    return S_OK;
}
static HRESULT WINAPI seq_first(IMultisessionSequential2 *i, VARIANT_BOOL *v)
{
    *v = blocks_of(from_seq(i)->stream) ? VARIANT_FALSE : VARIANT_TRUE;
    return S_OK;
}
static HRESULT WINAPI seq_prev_start(IMultisessionSequential2 *i, LONG *v) { *v = imagedisc_last_session(from_seq(i)->stream); return S_OK; }
static HRESULT WINAPI seq_prev_last(IMultisessionSequential2 *i, LONG *v) { *v = blocks_of(from_seq(i)->stream) - 1; return S_OK; }
static HRESULT WINAPI seq_nwa(IMultisessionSequential2 *i, LONG *v) { *v = blocks_of(from_seq(i)->stream); return S_OK; }
static HRESULT WINAPI seq_free(IMultisessionSequential2 *i, LONG *v) { *v = 0x7FFFFFFF - blocks_of(from_seq(i)->stream); return S_OK; }
static HRESULT WINAPI seq_unit(IMultisessionSequential2 *i, LONG *v) { *v = 16; return S_OK; }

static IMultisessionSequential2Vtbl seq_vtbl;

/* ---- IMultisessionRandomWrite ---------------------------------------------------------------- */

static imagedisc *from_rw(IMultisessionRandomWrite *i) { return CONTAINING_RECORD(i, imagedisc, IMultisessionRandomWrite_iface); }
static HRESULT WINAPI rw_QI(IMultisessionRandomWrite *i, REFIID riid, void **ppv) { return seq_QI(&from_rw(i)->IMultisessionSequential2_iface, riid, ppv); }
static ULONG WINAPI rw_AddRef(IMultisessionRandomWrite *i) { return seq_AddRef(&from_rw(i)->IMultisessionSequential2_iface); }
static ULONG WINAPI rw_Release(IMultisessionRandomWrite *i) { return seq_Release(&from_rw(i)->IMultisessionSequential2_iface); }
static HRESULT WINAPI rw_supported(IMultisessionRandomWrite *i, VARIANT_BOOL *v) { *v = VARIANT_TRUE; return S_OK; }
static HRESULT WINAPI rw_put_InUse(IMultisessionRandomWrite *i, VARIANT_BOOL v) { from_rw(i)->in_use = v; return S_OK; }
static HRESULT WINAPI rw_get_InUse(IMultisessionRandomWrite *i, VARIANT_BOOL *v) { *v = from_rw(i)->in_use; return S_OK; }
static HRESULT WINAPI rw_recorder(IMultisessionRandomWrite *i, IDiscRecorder2 **r) { return seq_recorder(&from_rw(i)->IMultisessionSequential2_iface, r); }
static HRESULT WINAPI rw_unit(IMultisessionRandomWrite *i, LONG *v) { *v = 16; return S_OK; }
static HRESULT WINAPI rw_last(IMultisessionRandomWrite *i, LONG *v) { *v = blocks_of(from_rw(i)->stream) - 1; return S_OK; }
static HRESULT WINAPI rw_total(IMultisessionRandomWrite *i, LONG *v) { *v = 0x7FFFFFFF; return S_OK; }

static IMultisessionRandomWriteVtbl rw_vtbl;

static void fill(void *vtbl, size_t size)
{
    void **slots = vtbl;
    for (size_t i = 0; i < size / sizeof(void *); i++) slots[i] = (void *)notimpl;
}

HRESULT imagedisc_create(IStream *stream, int random, IMultisession **out)
{
    imagedisc *d;
    *out = NULL;
    if (!rec_vtbl.QueryInterface) {
        fill(&rec_vtbl, sizeof(rec_vtbl));
        rec_vtbl.QueryInterface = rec_QI;
        rec_vtbl.AddRef = rec_AddRef;
        rec_vtbl.Release = rec_Release;
        fill(&seq_vtbl, sizeof(seq_vtbl));
        seq_vtbl.QueryInterface = seq_QI;
        seq_vtbl.AddRef = seq_AddRef;
        seq_vtbl.Release = seq_Release;
        seq_vtbl.get_IsSupportedOnCurrentMediaState = seq_supported;
        seq_vtbl.put_InUse = seq_put_InUse;
        seq_vtbl.get_InUse = seq_get_InUse;
        seq_vtbl.get_ImportRecorder = seq_recorder;
        seq_vtbl.get_IsFirstDataSession = seq_first;
        seq_vtbl.get_StartAddressOfPreviousSession = seq_prev_start;
        seq_vtbl.get_LastWrittenAddressOfPreviousSession = seq_prev_last;
        seq_vtbl.get_NextWritableAddress = seq_nwa;
        seq_vtbl.get_FreeSectorsOnMedia = seq_free;
        seq_vtbl.get_WriteUnitSize = seq_unit;
        fill(&rw_vtbl, sizeof(rw_vtbl));
        rw_vtbl.QueryInterface = rw_QI;
        rw_vtbl.AddRef = rw_AddRef;
        rw_vtbl.Release = rw_Release;
        rw_vtbl.get_IsSupportedOnCurrentMediaState = rw_supported;
        rw_vtbl.put_InUse = rw_put_InUse;
        rw_vtbl.get_InUse = rw_get_InUse;
        rw_vtbl.get_ImportRecorder = rw_recorder;
        rw_vtbl.get_WriteUnitSize = rw_unit;
        rw_vtbl.get_LastWrittenAddress = rw_last;
        rw_vtbl.get_TotalSectorsOnMedia = rw_total;
    }
    if (!(d = calloc(1, sizeof(*d)))) return E_OUTOFMEMORY;
    d->IMultisessionSequential2_iface.lpVtbl = &seq_vtbl;
    d->IMultisessionRandomWrite_iface.lpVtbl = &rw_vtbl;
    d->IDiscRecorder2_iface.lpVtbl = &rec_vtbl;
    d->refs = 1;
    d->stream = stream;
    IStream_AddRef(stream);
    d->random = random;
    *out = random ? (IMultisession *)&d->IMultisessionRandomWrite_iface : (IMultisession *)&d->IMultisessionSequential2_iface;
    return S_OK;
}
