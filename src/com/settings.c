/*
 * MsftFileSystemImage: the plain properties (the settings a result is made with).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsimage.h"
#include <stdlib.h>

/* ISO9660InterchangeLevelsSupported lists what Windows lists; the setter also takes 3, our
 * extension (multi-extent files; docs/behaviour.md). */
static const int iso_levels[] = { 1, 2 };

/* A copy of a string field for a getter (NULL: an empty string). */
static HRESULT copy_string(const WCHAR *field, BSTR *value)
{
    *value = SysAllocString(field ? field : L"");
    return *value ? S_OK : E_OUTOFMEMORY;
}

/* The setters' rules, each called with the lock held; most move ChangePoint. */

static HRESULT set_session_start(fsimage *img, LONG value)
{
    if (value < 0) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"value", NULL);
    /* the session follows the imported one */
    if (img->imported) return fsi_error(IMAPI_E_INCOMPATIBLE_PREVIOUS_SESSION, &IID_IFileSystemImage, NULL, NULL);
    img->session_start = value;
    img->change_point++;
    return S_OK;
}

static HRESULT set_free_media_blocks(fsimage *img, LONG value)
{
    LONG used;
    HRESULT hr;

    if (value > 0) {
        if (FAILED(hr = fsimage_used_blocks(img, &used))) return hr;
        if (used > value) return fsi_error(IMAPI_E_IMAGE_TOO_BIG, &IID_IFileSystemImage, NULL, NULL);
    }
    img->free_media_blocks = value;
    img->change_point++;
    return S_OK;
}

static HRESULT set_strict(fsimage *img, VARIANT_BOOL value)
{
    /* TRUE may be set only while the image is empty. */
    if (value && !img->strict && (fsi_image_file_count(img->tree) || fsi_image_dir_count(img->tree)))
        return fsi_error(IMAPI_E_FILE_SYSTEM_NOT_EMPTY, &IID_IFileSystemImage, NULL, NULL);
    img->strict = value ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
}

static HRESULT set_bool(VARIANT_BOOL *field, VARIANT_BOOL value)
{
    *field = value ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
}

static HRESULT set_fs(fsimage *img, FsiFileSystems value)
{
    if ((unsigned)value & ~(unsigned)FS_SUPPORTED)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    /* the new session carries the file systems of the imported one */
    if (img->imported && (unsigned)value != ((unsigned)img->disc_fs & FS_SUPPORTED))
        return fsi_error(IMAPI_E_FILE_SYSTEM_CHANGE_NOT_ALLOWED, &IID_IFileSystemImage, NULL, NULL);
    img->fs = value;
    img->change_point++;
    return S_OK;
}

static HRESULT set_udf_revision(fsimage *img, LONG value)
{
    for (size_t i = 0; i < fsi_policy_udf_revision_count; i++)
        if (fsi_policy_udf_revisions[i] == value) {
            if ((img->disc_fs & FsiFileSystemUDF) && value != img->udf_revision)
                return fsi_error(IMAPI_E_UDF_REVISION_CHANGE_NOT_ALLOWED, &IID_IFileSystemImage, NULL, NULL);
            img->udf_revision = value;
            return S_OK;
        }
    return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
}

static HRESULT set_iso_level(fsimage *img, LONG value)
{
    if (value < 1 || value > 3) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"newVal", NULL);
    img->iso_level = value;
    img->change_point++;
    return S_OK;
}

static HRESULT set_redundant_udf(fsimage *img, VARIANT_BOOL value)
{
    set_bool(&img->redundant_udf, value);
    /* Meaningful only for UDF 2.50 and later. */
    if (!(img->fs & FsiFileSystemUDF) || img->udf_revision < 0x250) return IMAPI_S_IMAGE_FEATURE_NOT_SUPPORTED;
    return S_OK;
}

/* The volume name as one file system writes it (the engine's mapping). */
static HRESULT volume_name_for(fsimage *img, unsigned fs, BSTR *value)
{
    WCHAR buf[64];
    size_t n = img->volume_name ? fsi_volume_name(fs, img->volume_name, SysStringLen(img->volume_name), buf, ARRAY_SIZE(buf)) : 0;
    *value = SysAllocStringLen(buf, (UINT)(n < ARRAY_SIZE(buf) ? n : ARRAY_SIZE(buf)));
    return *value ? S_OK : E_OUTOFMEMORY;
}

/* A SAFEARRAY of VARIANTs of type vt (VT_I4 or VT_UI4) from count values. */
static HRESULT variant_array(VARTYPE vt, const int *values, size_t count, SAFEARRAY **out)
{
    SAFEARRAY *sa = SafeArrayCreateVector(VT_VARIANT, 0, (ULONG)count);
    VARIANT *v;
    if (!sa) return E_OUTOFMEMORY;
    SafeArrayAccessData(sa, (void **)&v);
    for (size_t i = 0; i < count; i++) {
        V_VT(&v[i]) = vt;
        if (vt == VT_I4) V_I4(&v[i]) = values[i];
        else V_UI4(&v[i]) = (ULONG)values[i];
    }
    SafeArrayUnaccessData(sa);
    *out = sa;
    return S_OK;
}

/* ---- the properties, in the interface's order ------------------------------------------------- */

FSIMAGE_FIELD_GETTER(SessionStartBlock, LONG, session_start)
FSIMAGE_SETTER(SessionStartBlock, LONG, "%ld", set_session_start(img, value))
FSIMAGE_FIELD_GETTER(FreeMediaBlocks, LONG, free_media_blocks)
FSIMAGE_SETTER(FreeMediaBlocks, LONG, "%ld", set_free_media_blocks(img, value))
FSIMAGE_GETTER(VolumeName, BSTR, copy_string(img->volume_name, value))

HRESULT WINAPI fsimage_put_VolumeName(IFileSystemImage3 *iface, BSTR value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    UINT len = SysStringLen(value);
    BSTR copy = NULL;

    TRACE("(%p)->(%s)\n", iface, debugstr_w(value));
    /* Up to 32 characters (clients pass more than the documented 15); no control characters. */
    if (!fsi_policy_volume_name_ok((const uint16_t *)value, len))
        return fsi_error(IMAPI_E_INVALID_VOLUME_NAME, &IID_IFileSystemImage, NULL, NULL);
    if (len && !(copy = SysAllocStringLen(value, len))) return E_OUTOFMEMORY;
    EnterCriticalSection(&img->cs);
    SysFreeString(img->volume_name);
    img->volume_name = copy;
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

/* Nothing imported: an empty name. */
FSIMAGE_GETTER(ImportedVolumeName, BSTR, copy_string(img->imported_name, value))
FSIMAGE_GETTER(WorkingDirectory, BSTR, copy_string(img->working_dir, value))

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

FSIMAGE_FIELD_GETTER(StrictFileSystemCompliance, VARIANT_BOOL, strict)
FSIMAGE_SETTER(StrictFileSystemCompliance, VARIANT_BOOL, "%d", set_strict(img, value))
FSIMAGE_FIELD_GETTER(UseRestrictedCharacterSet, VARIANT_BOOL, restricted)
FSIMAGE_SETTER(UseRestrictedCharacterSet, VARIANT_BOOL, "%d", set_bool(&img->restricted, value))
FSIMAGE_FIELD_GETTER(FileSystemsToCreate, FsiFileSystems, fs)
FSIMAGE_SETTER(FileSystemsToCreate, FsiFileSystems, "%#x", set_fs(img, value))
FSIMAGE_GETTER(FileSystemsSupported, FsiFileSystems, (*value = FS_SUPPORTED, S_OK))
FSIMAGE_SETTER(UDFRevision, LONG, "%#lx", set_udf_revision(img, value))
FSIMAGE_FIELD_GETTER(UDFRevision, LONG, udf_revision)
FSIMAGE_GETTER(UDFRevisionsSupported, SAFEARRAY *,
               variant_array(VT_I4, fsi_policy_udf_revisions, fsi_policy_udf_revision_count, value))
FSIMAGE_SETTER(ISO9660InterchangeLevel, LONG, "%ld", set_iso_level(img, value))
FSIMAGE_FIELD_GETTER(ISO9660InterchangeLevel, LONG, iso_level)
FSIMAGE_GETTER(ISO9660InterchangeLevelsSupported, SAFEARRAY *, variant_array(VT_UI4, iso_levels, ARRAY_SIZE(iso_levels), value))
FSIMAGE_GETTER(VolumeNameUDF, BSTR, volume_name_for(img, FSI_FS_UDF, value))
FSIMAGE_GETTER(VolumeNameJoliet, BSTR, volume_name_for(img, FSI_FS_JOLIET, value))
FSIMAGE_GETTER(VolumeNameISO9660, BSTR, volume_name_for(img, FSI_FS_ISO9660, value))
FSIMAGE_FIELD_GETTER(StageFiles, VARIANT_BOOL, stage)
FSIMAGE_SETTER(StageFiles, VARIANT_BOOL, "%d", set_bool(&img->stage, value))
FSIMAGE_FIELD_GETTER(CreateRedundantUdfMetadataFiles, VARIANT_BOOL, redundant_udf)
FSIMAGE_SETTER(CreateRedundantUdfMetadataFiles, VARIANT_BOOL, "%d", set_redundant_udf(img, value))
