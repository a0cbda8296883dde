/*
 * MsftFileSystemImage: the plain properties (the settings a result is made with).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsimage.h"
#include <stdlib.h>

const LONG fsimage_udf_revisions[FSIMAGE_UDF_REVISIONS] = { 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 };
/* ISO9660InterchangeLevelsSupported lists what Windows lists; the setter also takes 3, our
 * extension (multi-extent files; docs/behaviour.md). */
static const ULONG iso_levels[] = { 1, 2 };

HRESULT WINAPI fsimage_get_SessionStartBlock(IFileSystemImage3 *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->session_start;
    return S_OK;
}

HRESULT WINAPI fsimage_put_SessionStartBlock(IFileSystemImage3 *iface, LONG value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%ld)\n", iface, value);
    if (value < 0) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"value", NULL);
    EnterCriticalSection(&img->cs);
    if (img->imported) {                    /* the session follows the imported one */
        LeaveCriticalSection(&img->cs);
        return fsi_error(IMAPI_E_INCOMPATIBLE_PREVIOUS_SESSION, &IID_IFileSystemImage, NULL, NULL);
    }
    img->session_start = value;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

HRESULT WINAPI fsimage_get_FreeMediaBlocks(IFileSystemImage3 *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->free_media_blocks;
    return S_OK;
}

HRESULT WINAPI fsimage_put_FreeMediaBlocks(IFileSystemImage3 *iface, LONG value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    HRESULT hr = S_OK;
    LONG used;

    TRACE("(%p)->(%ld)\n", iface, value);
    EnterCriticalSection(&img->cs);
    if (value > 0) {
        hr = fsimage_used_blocks(img, &used);
        if (SUCCEEDED(hr) && used > value) hr = fsi_error(IMAPI_E_IMAGE_TOO_BIG, &IID_IFileSystemImage, NULL, NULL);
    }
    if (SUCCEEDED(hr)) {
        img->free_media_blocks = value;
        img->change_point++;
    }
    LeaveCriticalSection(&img->cs);
    return hr;
}

HRESULT WINAPI fsimage_get_VolumeName(IFileSystemImage3 *iface, BSTR *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    *value = SysAllocString(img->volume_name ? img->volume_name : L"");
    LeaveCriticalSection(&img->cs);
    return *value ? S_OK : E_OUTOFMEMORY;
}

HRESULT WINAPI fsimage_put_VolumeName(IFileSystemImage3 *iface, BSTR value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    UINT len = SysStringLen(value);
    BSTR copy = NULL;

    TRACE("(%p)->(%s)\n", iface, debugstr_w(value));
    /* Up to 32 characters (clients pass more than the documented 15); no control characters. */
    if (len > 32) return fsi_error(IMAPI_E_INVALID_VOLUME_NAME, &IID_IFileSystemImage, NULL, NULL);
    for (UINT i = 0; i < len; i++)
        if (value[i] < 0x20) return fsi_error(IMAPI_E_INVALID_VOLUME_NAME, &IID_IFileSystemImage, NULL, NULL);
    if (len && !(copy = SysAllocStringLen(value, len))) return E_OUTOFMEMORY;
    EnterCriticalSection(&img->cs);
    SysFreeString(img->volume_name);
    img->volume_name = copy;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

HRESULT WINAPI fsimage_get_ImportedVolumeName(IFileSystemImage3 *iface, BSTR *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    /* Nothing imported: an empty name. */
    EnterCriticalSection(&img->cs);
    *value = SysAllocString(img->imported_name ? img->imported_name : L"");
    LeaveCriticalSection(&img->cs);
    return *value ? S_OK : E_OUTOFMEMORY;
}

/* The volume name as one file system writes it (the engine's mapping). */
static HRESULT volume_name_for(fsimage *img, unsigned fs, BSTR *value)
{
    WCHAR buf[64];
    size_t n;
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    n = img->volume_name ? fsi_volume_name(fs, img->volume_name, SysStringLen(img->volume_name), buf, ARRAY_SIZE(buf)) : 0;
    LeaveCriticalSection(&img->cs);
    *value = SysAllocStringLen(buf, (UINT)(n < ARRAY_SIZE(buf) ? n : ARRAY_SIZE(buf)));
    return *value ? S_OK : E_OUTOFMEMORY;
}

HRESULT WINAPI fsimage_get_VolumeNameUDF(IFileSystemImage3 *iface, BSTR *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    return volume_name_for(impl_from_IFileSystemImage3(iface), FSI_FS_UDF, value);
}

HRESULT WINAPI fsimage_get_VolumeNameJoliet(IFileSystemImage3 *iface, BSTR *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    return volume_name_for(impl_from_IFileSystemImage3(iface), FSI_FS_JOLIET, value);
}

HRESULT WINAPI fsimage_get_VolumeNameISO9660(IFileSystemImage3 *iface, BSTR *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    return volume_name_for(impl_from_IFileSystemImage3(iface), FSI_FS_ISO9660, value);
}

HRESULT WINAPI fsimage_get_WorkingDirectory(IFileSystemImage3 *iface, BSTR *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    EnterCriticalSection(&img->cs);
    *value = SysAllocString(img->working_dir);
    LeaveCriticalSection(&img->cs);
    return *value ? S_OK : E_OUTOFMEMORY;
}

HRESULT WINAPI fsimage_put_WorkingDirectory(IFileSystemImage3 *iface, BSTR value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    DWORD attrs;
    BSTR copy;
    HRESULT hr;

    TRACE("(%p)->(%s)\n", iface, debugstr_w(value));
    if (!value || !*value) return fsi_error(IMAPI_E_INVALID_WORKING_DIRECTORY, &IID_IFileSystemImage, L"", NULL);
    attrs = GetFileAttributesW(value);
    if (attrs == INVALID_FILE_ATTRIBUTES || !(attrs & FILE_ATTRIBUTE_DIRECTORY))
        return fsi_error(IMAPI_E_INVALID_WORKING_DIRECTORY, &IID_IFileSystemImage, value, NULL);
    if (!(copy = SysAllocString(value))) return E_OUTOFMEMORY;
    EnterCriticalSection(&img->cs);
    /* Existing stash files move with it. */
    if (img->stash && FAILED(hr = fsi_stash_move(img->stash, value))) {
        LeaveCriticalSection(&img->cs);
        SysFreeString(copy);
        return hr;
    }
    SysFreeString(img->working_dir);
    img->working_dir = copy;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

HRESULT WINAPI fsimage_get_StrictFileSystemCompliance(IFileSystemImage3 *iface, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->strict;
    return S_OK;
}

HRESULT WINAPI fsimage_put_StrictFileSystemCompliance(IFileSystemImage3 *iface, VARIANT_BOOL value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    HRESULT hr = S_OK;

    TRACE("(%p)->(%d)\n", iface, value);
    EnterCriticalSection(&img->cs);
    /* TRUE may be set only while the image is empty. */
    if (value && !img->strict && (fsi_image_file_count(img->tree) || fsi_image_dir_count(img->tree)))
        hr = fsi_error(IMAPI_E_FILE_SYSTEM_NOT_EMPTY, &IID_IFileSystemImage, NULL, NULL);
    else
        img->strict = value ? VARIANT_TRUE : VARIANT_FALSE;
    LeaveCriticalSection(&img->cs);
    return hr;
}

HRESULT WINAPI fsimage_get_UseRestrictedCharacterSet(IFileSystemImage3 *iface, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->restricted;
    return S_OK;
}

HRESULT WINAPI fsimage_put_UseRestrictedCharacterSet(IFileSystemImage3 *iface, VARIANT_BOOL value)
{
    TRACE("(%p)->(%d)\n", iface, value);
    impl_from_IFileSystemImage3(iface)->restricted = value ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
}

HRESULT WINAPI fsimage_get_FileSystemsToCreate(IFileSystemImage3 *iface, FsiFileSystems *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->fs;
    return S_OK;
}

HRESULT WINAPI fsimage_put_FileSystemsToCreate(IFileSystemImage3 *iface, FsiFileSystems value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%#x)\n", iface, value);
    if ((unsigned)value & ~(unsigned)(FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF))
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    if ((unsigned)value & ~(unsigned)FS_SUPPORTED)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    EnterCriticalSection(&img->cs);
    if (img->imported && (unsigned)value != ((unsigned)img->disc_fs & FS_SUPPORTED)) {
        /* the new session carries the file systems of the imported one */
        LeaveCriticalSection(&img->cs);
        return fsi_error(IMAPI_E_FILE_SYSTEM_CHANGE_NOT_ALLOWED, &IID_IFileSystemImage, NULL, NULL);
    }
    img->fs = value;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

HRESULT WINAPI fsimage_get_FileSystemsSupported(IFileSystemImage3 *iface, FsiFileSystems *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = FS_SUPPORTED;
    return S_OK;
}

/* A SAFEARRAY of VARIANTs of type vt from count values. */
static HRESULT variant_array(VARTYPE vt, const void *values, size_t count, SAFEARRAY **out)
{
    SAFEARRAY *sa = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)count);
    VARIANT *v;
    if (!sa) return E_OUTOFMEMORY;
    SafeArrayAccessData(sa, (void **)&v);
    for (size_t i = 0; i < count; i++) {
        V_VT(&v[i]) = vt;
        if (vt == VT_I4) V_I4(&v[i]) = ((const LONG *)values)[i];
        else V_UI4(&v[i]) = ((const ULONG *)values)[i];
    }
    SafeArrayUnaccessData(sa);
    *out = sa;
    return S_OK;
}

HRESULT WINAPI fsimage_put_UDFRevision(IFileSystemImage3 *iface, LONG value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%ld)\n", iface, value);
    for (size_t i = 0; i < ARRAY_SIZE(fsimage_udf_revisions); i++)
        if (fsimage_udf_revisions[i] == value) {
            if ((img->disc_fs & FsiFileSystemUDF) && value != img->udf_revision)
                return fsi_error(IMAPI_E_UDF_REVISION_CHANGE_NOT_ALLOWED, &IID_IFileSystemImage, NULL, NULL);
            img->udf_revision = value;
            return S_OK;
        }
    return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
}

HRESULT WINAPI fsimage_get_UDFRevision(IFileSystemImage3 *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->udf_revision;
    return S_OK;
}

HRESULT WINAPI fsimage_get_UDFRevisionsSupported(IFileSystemImage3 *iface, SAFEARRAY **value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    return variant_array(VT_I4, fsimage_udf_revisions, ARRAY_SIZE(fsimage_udf_revisions), value);
}

HRESULT WINAPI fsimage_put_ISO9660InterchangeLevel(IFileSystemImage3 *iface, LONG value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%ld)\n", iface, value);
    if (value < 1 || value > 3) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    EnterCriticalSection(&img->cs);
    img->iso_level = value;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

HRESULT WINAPI fsimage_get_ISO9660InterchangeLevel(IFileSystemImage3 *iface, LONG *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->iso_level;
    return S_OK;
}

HRESULT WINAPI fsimage_get_ISO9660InterchangeLevelsSupported(IFileSystemImage3 *iface, SAFEARRAY **value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    return variant_array(VT_UI4, iso_levels, ARRAY_SIZE(iso_levels), value);
}

HRESULT WINAPI fsimage_get_StageFiles(IFileSystemImage3 *iface, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->stage;
    return S_OK;
}

HRESULT WINAPI fsimage_put_StageFiles(IFileSystemImage3 *iface, VARIANT_BOOL value)
{
    TRACE("(%p)->(%d)\n", iface, value);
    impl_from_IFileSystemImage3(iface)->stage = value ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
}

HRESULT WINAPI fsimage_get_CreateRedundantUdfMetadataFiles(IFileSystemImage3 *iface, VARIANT_BOOL *value)
{
    TRACE("(%p)->(%p)\n", iface, value);
    if (!value) return E_POINTER;
    *value = impl_from_IFileSystemImage3(iface)->redundant_udf;
    return S_OK;
}

HRESULT WINAPI fsimage_put_CreateRedundantUdfMetadataFiles(IFileSystemImage3 *iface, VARIANT_BOOL value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%d)\n", iface, value);
    img->redundant_udf = value ? VARIANT_TRUE : VARIANT_FALSE;
    /* Meaningful only for UDF 2.50 and later. */
    if (!(img->fs & FsiFileSystemUDF) || img->udf_revision < 0x250) return IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED;
    return S_OK;
}
