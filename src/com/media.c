/*
 * MsftFileSystemImage: media types (ChooseImageDefaults*, SetMaxMediaBlocksFromDevice) and the
 * previous session's medium (CalculateDiscIdentifier, IdentifyFileSystemsOnDisc, ProbeSpecificFileSystem).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsimage.h"
#include <stdio.h>

/* What ChooseImageDefaultsForMediaType sets per IMAPI_MEDIA_PHYSICAL_TYPE: file systems, UDF
 * revision and FreeMediaBlocks (nominal user capacity of a single-session disc, in 2048-byte
 * blocks; sources in docs/behaviour.md). Windows' own table is not documented. */
static const struct media_defaults {
    FsiFileSystems fs;
    LONG udf_revision;
    LONG blocks;
} media_table[IMAPI_MEDIA_TYPE_MAX + 1] = {
    [IMAPI_MEDIA_TYPE_CDROM]  = { FsiFileSystemISO9660 | FsiFileSystemJoliet, 0x102, 332800 },
    [IMAPI_MEDIA_TYPE_CDR]    = { FsiFileSystemISO9660 | FsiFileSystemJoliet, 0x102, 332800 },
    [IMAPI_MEDIA_TYPE_CDRW]   = { FsiFileSystemISO9660 | FsiFileSystemJoliet, 0x102, 332800 },
    [IMAPI_MEDIA_TYPE_DVDROM] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2298496 },
    [IMAPI_MEDIA_TYPE_DVDRAM] = { FsiFileSystemUDF, 0x201, 2236704 },
    [IMAPI_MEDIA_TYPE_DVDPLUSR] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2295104 },
    [IMAPI_MEDIA_TYPE_DVDPLUSRW] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2295104 },
    [IMAPI_MEDIA_TYPE_DVDPLUSR_DUALLAYER] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 4171712 },
    [IMAPI_MEDIA_TYPE_DVDDASHR] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2298496 },
    [IMAPI_MEDIA_TYPE_DVDDASHRW] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 2298496 },
    [IMAPI_MEDIA_TYPE_DVDDASHR_DUALLAYER] = { FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF, 0x102, 4173824 },
    [IMAPI_MEDIA_TYPE_DISK] = { FsiFileSystemUDF, 0x201, 0 },
    /* seen on Windows: UDF alone (windows-observed.md) */
    [IMAPI_MEDIA_TYPE_DVDPLUSRW_DUALLAYER] = { FsiFileSystemUDF, 0x102, 4171712 },
    [IMAPI_MEDIA_TYPE_HDDVDROM] = { FsiFileSystemUDF, 0x250, 7324208 },
    [IMAPI_MEDIA_TYPE_HDDVDR] = { FsiFileSystemUDF, 0x250, 7324208 },
    [IMAPI_MEDIA_TYPE_HDDVDRAM] = { FsiFileSystemUDF, 0x250, 7324208 },
    [IMAPI_MEDIA_TYPE_BDROM] = { FsiFileSystemUDF, 0x250, 12219392 },
    [IMAPI_MEDIA_TYPE_BDR] = { FsiFileSystemUDF, 0x250, 12219392 },
    [IMAPI_MEDIA_TYPE_BDRE] = { FsiFileSystemUDF, 0x250, 12219392 },
};

/* MMC profile (IMAPI_PROFILE_TYPE) of the recorder's current media -> media type; 0 if none. */
static IMAPI_MEDIA_PHYSICAL_TYPE media_from_profile(LONG profile)
{
    switch (profile) {
    case 0x08: return IMAPI_MEDIA_TYPE_CDROM;
    case 0x09: return IMAPI_MEDIA_TYPE_CDR;
    case 0x0A: return IMAPI_MEDIA_TYPE_CDRW;
    case 0x10: return IMAPI_MEDIA_TYPE_DVDROM;
    case 0x11: return IMAPI_MEDIA_TYPE_DVDDASHR;
    case 0x12: return IMAPI_MEDIA_TYPE_DVDRAM;
    case 0x13: case 0x14: return IMAPI_MEDIA_TYPE_DVDDASHRW;
    case 0x15: case 0x16: return IMAPI_MEDIA_TYPE_DVDDASHR_DUALLAYER;
    case 0x1A: return IMAPI_MEDIA_TYPE_DVDPLUSRW;
    case 0x1B: return IMAPI_MEDIA_TYPE_DVDPLUSR;
    case 0x2A: return IMAPI_MEDIA_TYPE_DVDPLUSRW_DUALLAYER;
    case 0x2B: return IMAPI_MEDIA_TYPE_DVDPLUSR_DUALLAYER;
    case 0x40: return IMAPI_MEDIA_TYPE_BDROM;
    case 0x41: case 0x42: return IMAPI_MEDIA_TYPE_BDR;
    case 0x43: return IMAPI_MEDIA_TYPE_BDRE;
    case 0x50: return IMAPI_MEDIA_TYPE_HDDVDROM;
    case 0x51: return IMAPI_MEDIA_TYPE_HDDVDR;
    case 0x52: return IMAPI_MEDIA_TYPE_HDDVDRAM;
    case 0x01: case 0x02: case 0x03: return IMAPI_MEDIA_TYPE_DISK;
    default: return IMAPI_MEDIA_TYPE_UNKNOWN;
    }
}

/* The recorder's current media type, from IDiscRecorder2::CurrentProfiles (the first profile
 * that names a known medium). E_IMAPI_RECORDER_MEDIA_NO_MEDIA when there is none. */
static HRESULT recorder_media(IDiscRecorder2 *recorder, IMAPI_MEDIA_PHYSICAL_TYPE *type)
{
    SAFEARRAY *sa = NULL;
    LONG lb = 0, ub = -1;
    HRESULT hr = IDiscRecorder2_get_CurrentProfiles(recorder, &sa);
    *type = IMAPI_MEDIA_TYPE_UNKNOWN;
    if (FAILED(hr)) return hr;
    if (sa && SUCCEEDED(SafeArrayGetLBound(sa, 1, &lb)) && SUCCEEDED(SafeArrayGetUBound(sa, 1, &ub))) {
        for (LONG i = lb; i <= ub && !*type; i++) {
            VARIANT v;
            VariantInit(&v);
            if (SUCCEEDED(SafeArrayGetElement(sa, &i, &v)) && SUCCEEDED(VariantChangeType(&v, &v, 0, VT_I4)))
                *type = media_from_profile(V_I4(&v));
            VariantClear(&v);
        }
    }
    if (sa) SafeArrayDestroy(sa);
    if (ub < lb) return E_IMAPI_RECORDER_MEDIA_NO_MEDIA;       /* no current profile: no media */
    return *type ? S_OK : E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE;
}

HRESULT WINAPI fsimage_SetMaxMediaBlocksFromDevice(IFileSystemImage3 *iface, IDiscRecorder2 *recorder)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    IMAPI_MEDIA_PHYSICAL_TYPE type;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", iface, recorder);
    if (!recorder) return E_POINTER;
    /* The nominal capacity of the recorder's current media type (0 = unknown maximum). */
    if (FAILED(hr = recorder_media(recorder, &type))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    EnterCriticalSection(&img->cs);
    img->free_media_blocks = media_table[type].blocks;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

HRESULT WINAPI fsimage_ChooseImageDefaultsForMediaType(IFileSystemImage3 *iface, IMAPI_MEDIA_PHYSICAL_TYPE value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    const struct media_defaults *m;

    TRACE("(%p)->(%d)\n", iface, value);
    if ((unsigned)value > IMAPI_MEDIA_TYPE_MAX || !media_table[value].fs)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"value", NULL);
    m = &media_table[value];
    EnterCriticalSection(&img->cs);
    /* Overwrites FileSystemsToCreate and FreeMediaBlocks set before it, as clients report. */
    img->fs = m->fs;
    img->udf_revision = m->udf_revision;
    img->free_media_blocks = m->blocks;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

HRESULT WINAPI fsimage_ChooseImageDefaults(IFileSystemImage3 *iface, IDiscRecorder2 *recorder)
{
    IMAPI_MEDIA_PHYSICAL_TYPE type;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", iface, recorder);
    if (!recorder) return E_POINTER;
    if (FAILED(hr = recorder_media(recorder, &type))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    return fsimage_ChooseImageDefaultsForMediaType(iface, type);
}

/* The previous session's medium and where its volume descriptors are (lock held). */
HRESULT fsimage_session_medium(fsimage *img, fsi_medium **m, uint64_t *start)
{
    HRESULT hr;
    *m = NULL;
    *start = 0;
    if (!img->ms) return fsi_error(IMAPI_E_MULTISESSION_NOT_SET, &IID_IFileSystemImage, NULL, NULL);
    if (!img->ms->random && img->ms->first_session)
        return fsi_error(IMAPI_E_EMPTY_DISC, &IID_IFileSystemImage, NULL, NULL);
    if (FAILED(hr = fsi_msession_medium(img->ms, m))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    if (!img->ms->random) *start = (uint64_t)img->ms->prev_start;
    if (!fsi_medium_blocks(*m) || *start >= fsi_medium_blocks(*m)) {
        fsi_medium_unref(*m);
        *m = NULL;
        return fsi_error(IMAPI_E_EMPTY_DISC, &IID_IFileSystemImage, NULL, NULL);
    }
    return S_OK;
}

int fsimage_medium_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    return fsi_medium_read(ctx, lba, count, buf) ? -1 : 0;
}

/* The file systems of the session at start (IdentifyFileSystemsOnDisc at that session). */
unsigned fsimage_session_fs(fsi_medium *m, uint64_t start)
{
    return fsi_identify_session(fsimage_medium_read, m, fsi_medium_blocks(m), start);
}

/* The disc identifier of the session at start of m: FNV-1a over its volume recognition area (16
 * blocks) and the medium's size, 16 hex digits. The same disc in the same state gives the same
 * string (not guaranteed unique, as documented). */
void fsimage_disc_identifier(fsi_medium *m, uint64_t start, WCHAR text[17])
{
    unsigned char b[2048];
    uint64_t h = UINT64_C(14695981039346656037);
    for (uint64_t k = 16; k < 32 && start + k < fsi_medium_blocks(m); k++) {
        if (fsi_medium_read(m, start + k, 1, b)) break;
        for (size_t i = 0; i < sizeof(b); i++) h = (h ^ b[i]) * UINT64_C(1099511628211);
    }
    h = (h ^ fsi_medium_blocks(m)) * UINT64_C(1099511628211);
    swprintf(text, 17, L"%016I64X", (unsigned long long)h);
}

HRESULT WINAPI fsimage_CalculateDiscIdentifier(IFileSystemImage3 *iface, BSTR *id)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    uint64_t start;
    fsi_medium *m;
    WCHAR text[17];
    HRESULT hr;

    TRACE("(%p)->(%p)\n", iface, id);
    if (!id) return E_POINTER;
    *id = NULL;
    EnterCriticalSection(&img->cs);
    hr = fsimage_session_medium(img, &m, &start);
    LeaveCriticalSection(&img->cs);
    if (FAILED(hr)) return hr;
    fsimage_disc_identifier(m, start, text);
    fsi_medium_unref(m);
    *id = SysAllocString(text);
    return *id ? S_OK : E_OUTOFMEMORY;
}

HRESULT WINAPI fsimage_IdentifyFileSystemsOnDisc(IFileSystemImage3 *iface, IDiscRecorder2 *recorder, FsiFileSystems *fs)
{
    fsi_disc *disc;
    HRESULT hr;

    TRACE("(%p)->(%p, %p)\n", iface, recorder, fs);
    if (!recorder || !fs) return E_POINTER;
    *fs = FsiFileSystemNone;
    if (FAILED(hr = fsi_disc_open(recorder, &disc))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    if (!fsi_disc_blocks(disc)) hr = fsi_error(IMAPI_E_EMPTY_DISC, &IID_IFileSystemImage, NULL, NULL);
    else *fs = (FsiFileSystems)fsi_identify(fsi_disc_read, disc, fsi_disc_blocks(disc));
    fsi_disc_close(disc);
    return hr;
}

/* Whether the previous session holds fs in a form that can be imported and appended to. */
HRESULT WINAPI fsimage_ProbeSpecificFileSystem(IFileSystemImage3 *iface, FsiFileSystems fs, VARIANT_BOOL *appendable)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_medium *m;
    uint64_t start;
    fsi_image *imp = NULL;
    HRESULT hr;
    fsi_err err;

    TRACE("(%p)->(%#x, %p)\n", iface, fs, appendable);
    if (!appendable) return E_POINTER;
    *appendable = VARIANT_FALSE;
    if (fs != FsiFileSystemISO9660 && fs != FsiFileSystemJoliet && fs != FsiFileSystemUDF)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"fileSystemToProbe", NULL);
    EnterCriticalSection(&img->cs);
    hr = fsimage_session_medium(img, &m, &start);
    LeaveCriticalSection(&img->cs);
    if (FAILED(hr)) return hr;
    if ((fsimage_session_fs(m, start) & fs) && fsi_import(m, start, fs, &imp, NULL, NULL, NULL, &err) == FSI_OK)
        *appendable = VARIANT_TRUE;
    fsi_image_free(imp);
    fsi_medium_unref(m);
    return S_OK;
}
