/*
 * MsftFileSystemImage: the object (IFileSystemImage3 with 2 and 1, ISupportErrorInfo, the connection
 * points), its tree (Root, counts, Exists, the item factories, CreateResultImage), the accessors of
 * private.h, staging. The other methods: fsimage.h says where.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsimage.h"
#include <stdlib.h>
#include <stdio.h>

/* ---- internals shared with the items (private.h) ------------------------------------------- */

static const IID *const fsimage_error_iids[] = {
    &IID_IFileSystemImage, &IID_IFileSystemImage2, &IID_IFileSystemImage3, NULL,
};

void fsimage_addref(fsimage *img) { IFileSystemImage3_AddRef(&img->IFileSystemImage3_iface); }
void fsimage_release(fsimage *img) { IFileSystemImage3_Release(&img->IFileSystemImage3_iface); }
void fsimage_lock(fsimage *img) { EnterCriticalSection(&img->cs); }
void fsimage_unlock(fsimage *img) { LeaveCriticalSection(&img->cs); }
fsi_image *fsimage_tree(fsimage *img) { return img->tree; }
fsi_time fsimage_root_time(fsimage *img) { return img->made; }
void fsimage_changed(fsimage *img) { img->change_point++; img->epoch++; }
LONG fsimage_epoch(fsimage *img) { return img->epoch; }
unsigned fsimage_fs(fsimage *img) { return img->fs; }
int fsimage_iso_level(fsimage *img) { return img->iso_level; }
int fsimage_restricted(fsimage *img) { return img->restricted != VARIANT_FALSE; }
int fsimage_staging(fsimage *img) { return img->stage != VARIANT_FALSE; }
LONG fsimage_udf_revision(fsimage *img) { return img->udf_revision; }

/* Update events while a file is staged (DFileSystemImageEvents: 0, every megabyte, the end). */
typedef struct stage_events {
    fsimage *img;
    const WCHAR *what;
    LONG total;
} stage_events;

static void stage_progress(void *ctx, uint64_t copied)
{
    stage_events *e = ctx;
    LONG sectors = (LONG)((copied + 2047) / 2048);
    fsi_events_fire_update(e->img->events, (IDispatch *)&e->img->IFileSystemImage3_iface, e->what,
                           lstrlenW(e->what), sectors < e->total ? sectors : e->total, e->total);
}

HRESULT fsimage_stage(fsimage *img, fsi_source *src, uint64_t size, const WCHAR *what, fsi_source **out, uint64_t *copied)
{
    stage_events events = { img, what, (LONG)((size + 2047) / 2048) };
    ULARGE_INTEGER avail;
    fsi_stash *stash;
    HRESULT hr = S_OK;
    WCHAR dir[MAX_PATH];

    EnterCriticalSection(&img->cs);
    lstrcpynW(dir, img->working_dir, MAX_PATH);
    if (!img->stash) hr = fsi_stash_create(dir, &img->stash);
    if ((stash = img->stash)) fsi_stash_ref(stash);
    LeaveCriticalSection(&img->cs);
    if (FAILED(hr)) return hr;
    /* Refuse up front rather than leave a partial copy (a full disk still fails cleanly later). */
    if (GetDiskFreeSpaceExW(dir, &avail, NULL, NULL) && avail.QuadPart < size) {
        WCHAR have[32], need[32];
        swprintf(have, ARRAY_SIZE(have), L"%I64u", (unsigned long long)avail.QuadPart);
        swprintf(need, ARRAY_SIZE(need), L"%I64u", (unsigned long long)size);
        fsi_stash_unref(stash);
        return fsi_error3(IMAPI_E_WORKING_DIRECTORY_SPACE, &IID_IFsiDirectoryItem, dir, have, need);
    }
    hr = fsi_stash_add(stash, src, what, out, copied,
                       fsi_events_have_sinks(img->events, 0) ? stage_progress : NULL, &events);
    fsi_stash_unref(stash);
    return hr;
}

/* The creation time: SOURCE_DATE_EPOCH when set, else now (the policy module's rule). */
static fsi_time now_time(void)
{
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft);
    return fsi_policy_creation_time(((int64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
}

/* The settings the layout depends on (not the volume name and time: descriptors of fixed size). */
void fsimage_layout_opts(fsimage *img, fsi_plan_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->fs = img->fs;
    o->iso_level = img->iso_level;
    o->udf_revision = img->udf_revision;
    o->udf_redundant_metadata = img->redundant_udf != VARIANT_FALSE;
    o->session_start = img->session_start;
    if (img->medium) {
        /* imported files stay where they are: sequential media, below the new session; random-write
         * media, anywhere in the old volume that is not rewritten (fsi_plan_opts.base) */
        if (img->ms && img->ms->random) {
            o->base = img->medium;
            o->base_vrs_end = img->base_vrs_end;
            o->reuse_end = img->old_end;
        } else {
            o->reuse_end = img->session_start;
        }
    }
    o->strict = img->strict != VARIANT_FALSE;
    if (img->boot) {
        o->boot = img->boot->e;
        o->boot_count = img->boot->n;
    }
}

void fsimage_plan_opts(fsimage *img, fsi_plan_opts *o, WCHAR defname[16])
{
    fsimage_layout_opts(img, o);
    o->creation_time = now_time();
    if (img->volume_name) {
        o->volume_name = img->volume_name;
        o->volume_name_len = SysStringLen(img->volume_name);
    } else {
        /* the creation date and time, "YYYYMMDD_HHMMSS" (docs/behaviour.md) */
        o->volume_name = defname;
        o->volume_name_len = fsi_policy_default_volume_name(o->creation_time, (uint16_t *)defname);
    }
}

static HRESULT WINAPI fsimage_QueryInterface(IFileSystemImage3 *iface, REFIID riid, void **ppv)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
        IsEqualIID(riid, &IID_IFileSystemImage) || IsEqualIID(riid, &IID_IFileSystemImage2) ||
        IsEqualIID(riid, &IID_IFileSystemImage3))
        *ppv = &img->IFileSystemImage3_iface;
    else if (IsEqualIID(riid, &IID_ISupportErrorInfo))
        *ppv = &img->sei.ISupportErrorInfo_iface;
    else if (IsEqualIID(riid, &IID_IConnectionPointContainer))
        *ppv = fsi_events_container(img->events);
    else if (IsEqualIID(riid, &IID_IProvideClassInfo) || IsEqualIID(riid, &IID_IProvideClassInfo2))
        *ppv = fsi_events_classinfo(img->events);
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*ppv);
    return S_OK;
}

static ULONG WINAPI fsimage_AddRef(IFileSystemImage3 *iface)
{
    return InterlockedIncrement(&impl_from_IFileSystemImage3(iface)->refs);
}

static ULONG WINAPI fsimage_Release(IFileSystemImage3 *iface)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    ULONG refs = InterlockedDecrement(&img->refs);
    if (!refs) {
        fsi_events_detach(img->events);
        fsi_events_unref(img->events);
        fsi_stash_unref(img->stash);
        fsimage_free_points(img);
        fsi_image_free(img->tree);
        fsi_boot_set_free(img->boot);
        fsi_msession_free(img->ms);
        fsi_medium_unref(img->medium);
        SysFreeString(img->imported_name);
        SysFreeString(img->volume_name);
        SysFreeString(img->working_dir);
        DeleteCriticalSection(&img->cs);
        free(img);
        fsi_unlock_module();
    }
    return refs;
}

FSI_IMPLEMENT_DISPATCH(fsimage, IFileSystemImage3, IID_IFileSystemImage3)

static HRESULT WINAPI fsimage_get_Root(IFileSystemImage3 *iface, IFsiDirectoryItem **root)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);

    TRACE("(%p)->(%p)\n", iface, root);
    if (!root) return E_POINTER;
    return fsiitem_create(img, fsi_image_root(img->tree), &IID_IFsiDirectoryItem, (void **)root);
}

FSIMAGE_GETTER(FileCount, LONG, (*value = (LONG)fsi_image_file_count(img->tree), S_OK))

/* the root counts, as on Windows */
FSIMAGE_GETTER(DirectoryCount, LONG, (*value = (LONG)fsi_image_dir_count(img->tree) + 1, S_OK))

static HRESULT WINAPI fsimage_CreateResultImage(IFileSystemImage3 *iface, IFileSystemImageResult **result)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_plan_opts o;
    fsi_plan *plan;
    fsi_err err;
    WCHAR defname[16], disc_id[17] = L"0000000000000000";
    fsi_status st;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", iface, result);
    if (!result) return E_POINTER;
    *result = NULL;
    EnterCriticalSection(&img->cs);
    fsimage_plan_opts(img, &o, defname);
    if (!o.fs) {
        LeaveCriticalSection(&img->cs);
        return fsi_error(IMAPI_E_NO_OUTPUT, &IID_IFileSystemImage, NULL, NULL);
    }
    st = fsi_plan_build(img->tree, &o, &plan, &err);
    /* A generated name becomes the image's name, as if the caller had set it. */
    if (st == FSI_OK && !img->volume_name) img->volume_name = SysAllocString(defname);
    /* DiscId: zeros for a new image, as on Windows; an appended session names the disc it
     * belongs to: CalculateDiscIdentifier of the medium it was imported from */
    if (st == FSI_OK && img->medium) fsimage_disc_identifier(img->medium, img->ms && !img->ms->random ? (uint64_t)img->ms->prev_start : 0, disc_id);
    LeaveCriticalSection(&img->cs);
    if (st != FSI_OK) return fsi_error_from_engine(&err, &IID_IFileSystemImage);
    /* a random-write result is the whole volume, from block 0 */
    hr = fsiresult_create(plan, o.base ? 0 : o.session_start, disc_id, img->events,
                          (IDispatch *)&img->IFileSystemImage3_iface, result);
    fsi_plan_unref(plan);
    return hr;
}

static HRESULT WINAPI fsimage_Exists(IFileSystemImage3 *iface, BSTR path, FsiItemType *type)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_node *node;

    TRACE("(%p)->(%s, %p)\n", iface, debugstr_w(path), type);
    if (!type) return E_POINTER;
    if (!path) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"fullPath", NULL);
    EnterCriticalSection(&img->cs);
    if (fsi_dir_walk(fsi_image_root(img->tree), path, SysStringLen(path), &node) != FSI_OK)
        *type = FsiItemNotFound;
    else
        *type = fsi_node_is_dir(node) ? FsiItemDirectory : FsiItemFile;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}

/* A detached item, not yet in the tree (CreateDirectoryItem, CreateFileItem). */
static HRESULT create_item(fsimage *img, BSTR name, int dir, REFIID riid, void **item)
{
    fsi_node *node;
    fsi_status st;
    HRESULT hr;

    if (!item) return E_POINTER;
    *item = NULL;
    if (FAILED(hr = fsimage_check_name(img, name, SysStringLen(name), name))) return hr;
    st = dir ? fsi_node_new_dir(name, SysStringLen(name), &node)
             : fsi_node_new_file(name, SysStringLen(name), 0, NULL, &node);
    if (st != FSI_OK) return fsi_error(fsi_hresult_from_status(st), &IID_IFileSystemImage, name ? name : L"", NULL);
    hr = fsiitem_create(img, node, riid, item);
    fsi_node_unref(node);
    return hr;
}

static HRESULT WINAPI fsimage_CreateDirectoryItem(IFileSystemImage3 *iface, BSTR name, IFsiDirectoryItem **item)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_w(name), item);
    return create_item(impl_from_IFileSystemImage3(iface), name, 1, &IID_IFsiDirectoryItem, (void **)item);
}

static HRESULT WINAPI fsimage_CreateFileItem(IFileSystemImage3 *iface, BSTR name, IFsiFileItem **item)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_w(name), item);
    return create_item(impl_from_IFileSystemImage3(iface), name, 0, &IID_IFsiFileItem, (void **)item);
}

static const IFileSystemImage3Vtbl fsimage_vtbl = {
    fsimage_QueryInterface,
    fsimage_AddRef,
    fsimage_Release,
    fsimage_GetTypeInfoCount,
    fsimage_GetTypeInfo,
    fsimage_GetIDsOfNames,
    fsimage_Invoke,
    fsimage_get_Root,
    fsimage_get_SessionStartBlock,
    fsimage_put_SessionStartBlock,
    fsimage_get_FreeMediaBlocks,
    fsimage_put_FreeMediaBlocks,
    fsimage_SetMaxMediaBlocksFromDevice,
    fsimage_get_UsedBlocks,
    fsimage_get_VolumeName,
    fsimage_put_VolumeName,
    fsimage_get_ImportedVolumeName,
    fsimage_get_BootImageOptions,
    fsimage_put_BootImageOptions,
    fsimage_get_FileCount,
    fsimage_get_DirectoryCount,
    fsimage_get_WorkingDirectory,
    fsimage_put_WorkingDirectory,
    fsimage_get_ChangePoint,
    fsimage_get_StrictFileSystemCompliance,
    fsimage_put_StrictFileSystemCompliance,
    fsimage_get_UseRestrictedCharacterSet,
    fsimage_put_UseRestrictedCharacterSet,
    fsimage_get_FileSystemsToCreate,
    fsimage_put_FileSystemsToCreate,
    fsimage_get_FileSystemsSupported,
    fsimage_put_UDFRevision,
    fsimage_get_UDFRevision,
    fsimage_get_UDFRevisionsSupported,
    fsimage_ChooseImageDefaults,
    fsimage_ChooseImageDefaultsForMediaType,
    fsimage_put_ISO9660InterchangeLevel,
    fsimage_get_ISO9660InterchangeLevel,
    fsimage_get_ISO9660InterchangeLevelsSupported,
    fsimage_CreateResultImage,
    fsimage_Exists,
    fsimage_CalculateDiscIdentifier,
    fsimage_IdentifyFileSystemsOnDisc,
    fsimage_GetDefaultFileSystemForImport,
    fsimage_ImportFileSystem,
    fsimage_ImportSpecificFileSystem,
    fsimage_RollbackToChangePoint,
    fsimage_LockInChangePoint,
    fsimage_CreateDirectoryItem,
    fsimage_CreateFileItem,
    fsimage_get_VolumeNameUDF,
    fsimage_get_VolumeNameJoliet,
    fsimage_get_VolumeNameISO9660,
    fsimage_get_StageFiles,
    fsimage_put_StageFiles,
    fsimage_get_MultisessionInterfaces,
    fsimage_put_MultisessionInterfaces,
    fsimage_get_BootImageOptionsArray,
    fsimage_put_BootImageOptionsArray,
    fsimage_get_CreateRedundantUdfMetadataFiles,
    fsimage_put_CreateRedundantUdfMetadataFiles,
    fsimage_ProbeSpecificFileSystem,
};

HRESULT fsimage_create(IUnknown *outer, REFIID riid, void **ppv)
{
    fsimage *img = calloc(1, sizeof(*img));
    WCHAR temp[MAX_PATH + 1];
    HRESULT hr;

    if (!img) return E_OUTOFMEMORY;
    if (!(img->tree = fsi_image_new()) ||
        FAILED(fsi_events_create((IUnknown *)&img->IFileSystemImage3_iface, &img->events))) {
        fsi_image_free(img->tree);
        free(img);
        return E_OUTOFMEMORY;
    }
    {
        /* the root folder is dated when the image object is made (docs/behaviour.md) */
        fsi_times t;
        t.creation = t.access = t.modification = img->made = now_time();
        fsi_node_set_times(fsi_image_root(img->tree), &t);
    }
    img->IFileSystemImage3_iface.lpVtbl = &fsimage_vtbl;
    fsi_error_support_init(&img->sei, (IUnknown *)&img->IFileSystemImage3_iface, fsimage_error_iids);
    img->refs = 1;
    InitializeCriticalSection(&img->cs);
    img->free_media_blocks = DEFAULT_FREE_MEDIA_BLOCKS;
    /* Windows 11's defaults (docs/behaviour.md) */
    img->fs = FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF;
    img->udf_revision = 0x102;
    img->iso_level = 1;
    img->strict = VARIANT_FALSE;
    img->restricted = VARIANT_FALSE;
    img->stage = VARIANT_FALSE;
    img->redundant_udf = VARIANT_TRUE;
    if (!GetTempPathW(ARRAY_SIZE(temp), temp)) lstrcpyW(temp, L"C:\\");
    img->working_dir = SysAllocString(temp);
    fsi_lock_module();
    hr = IFileSystemImage3_QueryInterface(&img->IFileSystemImage3_iface, riid, ppv);
    IFileSystemImage3_Release(&img->IFileSystemImage3_iface);
    return hr;
}
