/*
 * MsftFileSystemImage: importing the previous session (ImportFileSystem, ImportSpecificFileSystem,
 * GetDefaultFileSystemForImport, MultisessionInterfaces; docs/behaviour.md, "Multisession").
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsimage.h"
#include <stdlib.h>

HRESULT WINAPI fsimage_GetDefaultFileSystemForImport(IFileSystemImage3 *iface, FsiFileSystems fs, FsiFileSystems *def)
{
    TRACE("(%p)->(%#x, %p)\n", iface, fs, def);
    if (!def) return E_POINTER;
    *def = (FsiFileSystems)fsi_policy_import_fs(fs);
    return S_OK;
}

typedef struct import_events { fsimage *img; FsiFileSystems fs; } import_events;

static void import_progress(void *ctx, const uint16_t *path, size_t len, int64_t dirs_done, int64_t dirs_total,
                            int64_t files_done, int64_t files_total)
{
    import_events *e = ctx;
    WCHAR item[1024];
    size_t n = len < ARRAY_SIZE(item) - 1 ? len : ARRAY_SIZE(item) - 1;
    memcpy(item, path, n * sizeof(WCHAR));
    item[n] = 0;
    fsi_events_fire_import(e->img->events, (IDispatch *)&e->img->IFileSystemImage3_iface, e->fs, item,
                           (LONG)dirs_done, (LONG)dirs_total, (LONG)files_done, (LONG)files_total);
}

/* In-memory items win over imported ones: drop from the imported directory idir what the image's
 * directory dir already has (a directory meeting a directory is merged item by item); an item of
 * the other kind is an IMAPI_E_IMPORT_TYPE_COLLISION_* error naming it. */
static HRESULT prune_imported(fsi_image *imp, fsi_node *idir, fsi_node *dir, FsiFileSystems fs)
{
    size_t n = fsi_dir_child_count(idir), ndrop = 0;
    fsi_node **drop = malloc((n ? n : 1) * sizeof(*drop));
    HRESULT hr = S_OK;
    if (!drop) return E_OUTOFMEMORY;
    for (size_t i = 0; i < n && SUCCEEDED(hr); i++) {
        fsi_node *c = fsi_dir_child(idir, i), *e;
        size_t nl;
        const uint16_t *name;
        if (!c) continue;
        name = fsi_node_name(c, &nl);
        if (!(e = fsi_dir_lookup(dir, name, nl))) continue;
        if (fsi_node_is_dir(c) && fsi_node_is_dir(e)) hr = prune_imported(imp, c, e, fs);
        else if (!fsi_node_is_dir(c) && !fsi_node_is_dir(e)) drop[ndrop++] = c;
        else {
            WCHAR path[FSI_ERR_PATH_MAX + 1];
            size_t pl = fsi_node_path(e, path, FSI_ERR_PATH_MAX);
            path[pl < FSI_ERR_PATH_MAX ? pl : FSI_ERR_PATH_MAX] = 0;
            hr = fsi_error3(fsi_node_is_dir(e) ? IMAPI_E_IMPORT_TYPE_COLLISION_FILE_EXISTS_AS_DIRECTORY
                                               : IMAPI_E_IMPORT_TYPE_COLLISION_DIRECTORY_EXISTS_AS_FILE,
                            &IID_IFileSystemImage, path, fsi_fs_name(fs), NULL);
        }
    }
    for (size_t i = 0; SUCCEEDED(hr) && i < ndrop; i++) fsi_node_detach(imp, drop[i]);
    free(drop);
    return hr;
}

/* ImportFileSystem (want = FsiFileSystemNone: the default) and ImportSpecificFileSystem. */
static HRESULT import_fs(fsimage *img, FsiFileSystems want, FsiFileSystems *done)
{
    fsi_medium *m;
    uint64_t start;
    unsigned disc;
    fsi_image *imp = NULL;
    fsi_import_info info;
    fsi_err err;
    fsi_status st;
    import_events ev;
    HRESULT hr;

    *done = FsiFileSystemNone;
    if (want && want != FsiFileSystemISO9660 && want != FsiFileSystemJoliet && want != FsiFileSystemUDF)
        return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"fileSystemToUse", NULL);
    EnterCriticalSection(&img->cs);
    if (img->boot) hr = fsi_error(IMAPI_E_BOOT_OBJECT_CONFLICT, &IID_IFileSystemImage, NULL, NULL);
    else hr = fsimage_session_medium(img, &m, &start);
    LeaveCriticalSection(&img->cs);
    if (FAILED(hr)) return hr;
    disc = fsimage_session_fs(m, start);
    if (!disc) hr = fsi_error(IMAPI_E_EMPTY_DISC, &IID_IFileSystemImage, NULL, NULL);
    else if (!(disc & FS_SUPPORTED)) hr = fsi_error(IMAPI_E_NO_SUPPORTED_FILE_SYSTEM, &IID_IFileSystemImage, NULL, NULL);
    else if (want && !(disc & want))
        hr = fsi_error(IMAPI_E_FILE_SYSTEM_NOT_FOUND, &IID_IFileSystemImage, fsi_fs_name(want), NULL);
    if (FAILED(hr)) {
        fsi_medium_unref(m);
        return hr;
    }
    if (!want) want = (FsiFileSystems)fsi_policy_import_fs(disc);
    /* metadata only; UpdateImport events fire without the lock */
    ev.img = img;
    ev.fs = want;
    st = fsi_import(m, start, want, &imp, &info, fsi_events_have_sinks(img->events, 1) ? import_progress : NULL, &ev,
                    &err);
    if (st != FSI_OK) {
        fsi_medium_unref(m);
        return fsi_error_from_engine(&err, &IID_IFileSystemImage);
    }
    EnterCriticalSection(&img->cs);
    hr = prune_imported(imp, fsi_image_root(imp), fsi_image_root(img->tree), want);
    if (SUCCEEDED(hr)) {
        st = fsi_image_merge(img->tree, fsi_image_root(img->tree), imp);
        if (st != FSI_OK) hr = E_OUTOFMEMORY;   /* only allocation failures remain */
    }
    if (SUCCEEDED(hr)) {
        BSTR name = SysAllocStringLen(info.volume_name, (UINT)info.volume_name_len);
        fsi_medium_unref(img->medium);
        img->medium = m;
        m = NULL;
        img->imported = want;
        img->disc_fs = (FsiFileSystems)(disc & FS_SUPPORTED);
        SysFreeString(img->imported_name);
        img->imported_name = name;
        /* the new session carries the same file systems, and UDF the same revision */
        img->fs = img->disc_fs;
        if (disc & FsiFileSystemUDF) {
            LONG rev = want == FsiFileSystemUDF && info.udf_revision ? info.udf_revision
                     : fsi_identify_udf_revision(fsimage_medium_read, img->medium, fsi_medium_blocks(img->medium), start);
            for (size_t i = 0; i < fsi_policy_udf_revision_count; i++)
                if (fsi_policy_udf_revisions[i] == rev) img->udf_revision = rev;
        }
        if (img->ms->random) {
            /* the new session follows the old volume, on a write unit (and 32-block) boundary;
             * the old recognition sequence at 16 is rewritten */
            uint64_t end;
            img->old_end = info.volume_blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)info.volume_blocks;
            img->base_vrs_end = (uint32_t)fsi_recognition_end(fsimage_medium_read, img->medium, fsi_medium_blocks(img->medium), 0);
            end = fsi_overwrite_session_start(info.volume_blocks, (uint64_t)img->ms->last_written + 1,
                                              img->ms->write_unit > 0 ? (uint32_t)img->ms->write_unit : 0,
                                              img->base_vrs_end);
            img->session_start = (LONG)end;
            img->free_media_blocks = img->ms->total_sectors > (LONG)end ? img->ms->total_sectors - (LONG)end : 0;
        }
        img->change_point++;
        img->epoch++;                   /* imported items may have replaced items in memory */
        img->bound_ok = 0;
        *done = want;
    }
    LeaveCriticalSection(&img->cs);
    fsi_medium_unref(m);
    fsi_image_free(imp);
    return hr;
}

HRESULT WINAPI fsimage_ImportFileSystem(IFileSystemImage3 *iface, FsiFileSystems *imported)
{
    TRACE("(%p)->(%p)\n", iface, imported);
    if (!imported) return E_POINTER;
    return import_fs(impl_from_IFileSystemImage3(iface), FsiFileSystemNone, imported);
}

HRESULT WINAPI fsimage_ImportSpecificFileSystem(IFileSystemImage3 *iface, FsiFileSystems fs)
{
    FsiFileSystems done;

    TRACE("(%p)->(%#x)\n", iface, fs);
    if (!fs) return fsi_error(IMAPI_E_INVALID_PARAM, &IID_IFileSystemImage, L"fileSystemToUse", NULL);
    return import_fs(impl_from_IFileSystemImage3(iface), fs, &done);
}

/* empty until set, as on Windows */
FSIMAGE_GETTER(MultisessionInterfaces, SAFEARRAY *, (*value = NULL, fsi_msession_array(img->ms, value)))

/* Choose among the caller's IMultisession objects (multisession.c). Sequential media: the new
 * session starts at the next writable address and FreeMediaBlocks is what is left; random-write
 * media: both are set when the previous session is imported (it decides where the new one goes). */
HRESULT WINAPI fsimage_put_MultisessionInterfaces(IFileSystemImage3 *iface, SAFEARRAY *value)
{
    fsimage *img = impl_from_IFileSystemImage3(iface);
    fsi_msession *ms;
    HRESULT hr;
    if (!value) return E_POINTER;
    if (FAILED(hr = fsi_msession_create(value, &ms))) return fsi_error(hr, &IID_IFileSystemImage, NULL, NULL);
    EnterCriticalSection(&img->cs);
    if (img->imported) {
        LeaveCriticalSection(&img->cs);
        fsi_msession_free(ms);
        return fsi_error(IMAPI_E_INCOMPATIBLE_PREVIOUS_SESSION, &IID_IFileSystemImage, NULL, NULL);
    }
    fsi_msession_free(img->ms);
    img->ms = ms;
    if (!ms->random) {
        img->session_start = ms->nwa;
        img->free_media_blocks = ms->free_sectors;
    }
    img->change_point++;
    LeaveCriticalSection(&img->cs);
    return S_OK;
}
