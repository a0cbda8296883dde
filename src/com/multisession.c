/*
 * MultisessionInterfaces: the IMultisession objects a caller (IDiscFormat2Data, or its own
 * implementation over an image file) hands to the image, and the choice among them.
 *
 * Rules (put_MultisessionInterfaces, docs/behaviour.md): every element must be an IMultisession;
 * the types supported are IMultisessionSequential(2) and IMultisessionRandomWrite. If exactly one
 * element is InUse it is the one: IMAPI_E_INCOMPATIBLE_MULTISESSION_TYPE when its type is not
 * supported, IMAPI_E_NO_COMPATIBLE_MULTISESSION_TYPE when it is not supported on the current media
 * state. If none is InUse, the first supported one on the current media state is chosen and set
 * InUse; none: IMAPI_E_NO_COMPATIBLE_MULTISESSION_TYPE. Several InUse, or a property that cannot
 * be read or makes no sense: IMAPI_E_BAD_MULTISESSION_PARAMETER.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "private.h"
#include <stdlib.h>

void fsi_msession_free(fsi_msession *ms)
{
    if (!ms) return;
    if (ms->chosen) IMultisession_Release(ms->chosen);
    if (ms->array) SafeArrayDestroy(ms->array);
    free(ms);
}

static HRESULT element(SAFEARRAY *sa, LONG i, IMultisession **out)
{
    VARIANT v;
    HRESULT hr;
    IUnknown *unk = NULL;

    *out = NULL;
    VariantInit(&v);
    if (FAILED(SafeArrayGetElement(sa, &i, &v))) return IMAPI_E_BAD_MULTISESSION_PARAMETER;
    if (V_VT(&v) == VT_DISPATCH) unk = (IUnknown *)V_DISPATCH(&v);
    else if (V_VT(&v) == VT_UNKNOWN) unk = V_UNKNOWN(&v);
    hr = unk ? IUnknown_QueryInterface(unk, &IID_IMultisession, (void **)out) : E_NOINTERFACE;
    VariantClear(&v);
    return FAILED(hr) ? IMAPI_E_BAD_MULTISESSION_PARAMETER : S_OK;
}

static HRESULT read_sequential(IMultisession *m, fsi_msession *ms)
{
    IMultisessionSequential *seq;
    VARIANT_BOOL first = VARIANT_FALSE;
    HRESULT hr;
    if (FAILED(IMultisession_QueryInterface(m, &IID_IMultisessionSequential, (void **)&seq))) return E_NOINTERFACE;
    hr = IMultisessionSequential_get_IsFirstDataSession(seq, &first);
    if (SUCCEEDED(hr)) hr = IMultisessionSequential_get_StartAddressOfPreviousSession(seq, &ms->prev_start);
    if (SUCCEEDED(hr)) hr = IMultisessionSequential_get_LastWrittenAddressOfPreviousSession(seq, &ms->prev_last);
    if (SUCCEEDED(hr)) hr = IMultisessionSequential_get_NextWritableAddress(seq, &ms->nwa);
    if (SUCCEEDED(hr)) hr = IMultisessionSequential_get_FreeSectorsOnMedia(seq, &ms->free_sectors);
    IMultisessionSequential_Release(seq);
    if (FAILED(hr)) return IMAPI_E_BAD_MULTISESSION_PARAMETER;
    ms->first_session = first != VARIANT_FALSE;
    if (ms->nwa < 0 || ms->free_sectors < 0) return IMAPI_E_BAD_MULTISESSION_PARAMETER;
    if (!ms->first_session && (ms->prev_start < 0 || ms->prev_last < ms->prev_start || ms->nwa <= ms->prev_last))
        return IMAPI_E_BAD_MULTISESSION_PARAMETER;
    return S_OK;
}

static HRESULT read_random(IMultisession *m, fsi_msession *ms)
{
    IMultisessionRandomWrite *rw;
    HRESULT hr;
    if (FAILED(IMultisession_QueryInterface(m, &IID_IMultisessionRandomWrite, (void **)&rw))) return E_NOINTERFACE;
    hr = IMultisessionRandomWrite_get_WriteUnitSize(rw, &ms->write_unit);
    if (SUCCEEDED(hr)) hr = IMultisessionRandomWrite_get_LastWrittenAddress(rw, &ms->last_written);
    if (SUCCEEDED(hr)) hr = IMultisessionRandomWrite_get_TotalSectorsOnMedia(rw, &ms->total_sectors);
    IMultisessionRandomWrite_Release(rw);
    if (FAILED(hr) || ms->write_unit <= 0 || ms->last_written < -1 || ms->total_sectors <= 0 ||
        ms->last_written >= ms->total_sectors)
        return IMAPI_E_BAD_MULTISESSION_PARAMETER;
    ms->random = 1;
    return S_OK;
}

/* Is m of a type we support? 1 sequential or random-write, 0 not. */
static int supported_type(IMultisession *m)
{
    IUnknown *u;
    if (SUCCEEDED(IMultisession_QueryInterface(m, &IID_IMultisessionSequential, (void **)&u)) ||
        SUCCEEDED(IMultisession_QueryInterface(m, &IID_IMultisessionRandomWrite, (void **)&u))) {
        IUnknown_Release(u);
        return 1;
    }
    return 0;
}

static int on_media(IMultisession *m)
{
    VARIANT_BOOL ok = VARIANT_FALSE;
    return SUCCEEDED(IMultisession_get_IsSupportedOnCurrentMediaState(m, &ok)) && ok != VARIANT_FALSE;
}

HRESULT fsi_msession_create(SAFEARRAY *array, fsi_msession **out)
{
    LONG lo, hi, in_use = -1, pick = -1;
    fsi_msession *ms;
    IMultisession *m;
    HRESULT hr;

    *out = NULL;
    if (!array) return E_POINTER;
    if (SafeArrayGetDim(array) != 1 || FAILED(SafeArrayGetLBound(array, 1, &lo)) ||
        FAILED(SafeArrayGetUBound(array, 1, &hi)) || hi < lo)
        return IMAPI_E_BAD_MULTISESSION_PARAMETER;
    for (LONG i = lo; i <= hi; i++) {
        VARIANT_BOOL use = VARIANT_FALSE;
        if (FAILED(hr = element(array, i, &m))) return hr;
        if (FAILED(IMultisession_get_InUse(m, &use))) use = VARIANT_FALSE;
        if (use != VARIANT_FALSE) {
            if (in_use >= 0) {
                IMultisession_Release(m);
                return IMAPI_E_BAD_MULTISESSION_PARAMETER;
            }
            in_use = i;
            if (!supported_type(m)) hr = IMAPI_E_INCOMPATIBLE_MULTISESSION_TYPE;
            else if (!on_media(m)) hr = IMAPI_E_NO_COMPATIBLE_MULTISESSION_TYPE;
            if (FAILED(hr)) {
                IMultisession_Release(m);
                return hr;
            }
        } else if (pick < 0 && supported_type(m) && on_media(m)) {
            pick = i;
        }
        IMultisession_Release(m);
    }
    if (in_use >= 0) pick = in_use;
    if (pick < 0) return IMAPI_E_NO_COMPATIBLE_MULTISESSION_TYPE;
    if (!(ms = calloc(1, sizeof(*ms)))) return E_OUTOFMEMORY;
    if (FAILED(hr = element(array, pick, &ms->chosen))) goto fail;
    hr = read_sequential(ms->chosen, ms);
    if (hr == E_NOINTERFACE) hr = read_random(ms->chosen, ms);
    if (FAILED(hr)) goto fail;
    if (in_use < 0) IMultisession_put_InUse(ms->chosen, VARIANT_TRUE);
    if (FAILED(hr = SafeArrayCopy(array, &ms->array))) goto fail;
    *out = ms;
    return S_OK;
fail:
    fsi_msession_free(ms);
    return hr == E_OUTOFMEMORY ? hr : FAILED(hr) ? hr : IMAPI_E_BAD_MULTISESSION_PARAMETER;
}

HRESULT fsi_msession_array(const fsi_msession *ms, SAFEARRAY **out)
{
    *out = NULL;
    if (!ms) {
        SAFEARRAYBOUND b = { 0, 0 };
        return (*out = SafeArrayCreate(VT_VARIANT, 1, &b)) ? S_OK : E_OUTOFMEMORY;
    }
    return SafeArrayCopy(ms->array, out);
}

HRESULT fsi_msession_medium(const fsi_msession *ms, fsi_medium **out)
{
    IDiscRecorder2 *rec = NULL;
    fsi_disc *disc;
    HRESULT hr;

    *out = NULL;
    if (FAILED(IMultisession_get_ImportRecorder(ms->chosen, &rec)) || !rec) return IMAPI_E_BAD_MULTISESSION_PARAMETER;
    hr = fsi_disc_open(rec, &disc);
    IDiscRecorder2_Release(rec);
    if (FAILED(hr)) return hr;
    if (!(*out = fsi_medium_new(fsi_disc_read, disc, fsi_disc_release, fsi_disc_blocks(disc)))) {
        fsi_disc_close(disc);
        return E_OUTOFMEMORY;
    }
    return S_OK;
}
